"""gRPC methods for panels and rubrics."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from grantflow.scoring.v1 import panels_pb2, rubrics_pb2
from grantflow.scoring.v1 import scoring_service_pb2 as pb
from grantflow_runtime.access import require
from grantflow_runtime.context import Role
from grantflow_runtime.errors import FailedPrecondition, NotFound
from grantflow_runtime.masks import apply_mask

from grantflow_scoring.adapters.panels_repo import PanelRepository
from grantflow_scoring.adapters.reviews_repo import Reviews
from grantflow_scoring.api.base import Methods, required
from grantflow_scoring.api.mapping import (
    panel_to_proto,
    rubric_from_proto,
    rubric_to_proto,
    settings_from_proto,
)
from grantflow_scoring.domain.panels import PanelState
from grantflow_scoring.domain.rubric import Rubric, validate_rubric

SETTABLE = frozenset(
    {
        "experts_per_application",
        "max_experts_per_application",
        "divergence_threshold_percent",
        "final_rule",
        "decide_by_calibrated",
        "same_region_is_conflict",
        "pass_marks",
        "scores_due_time",
    }
)


class PanelMethods(Methods):
    async def GetRubric(self, request: pb.GetRubricRequest, context: Any) -> rubrics_pb2.Rubric:
        # The rubric is public to every participant: applicants read what they will be judged on.
        require()
        competition_id = required(request.competition_id, "competition_id")
        async with self.db.reading() as session:
            rubric = await PanelRepository(session).rubric(competition_id)
        if rubric is None:
            raise NotFound(f"no panel for competition {competition_id}")
        return rubric_to_proto(rubric)

    async def UpdateRubric(
        self, request: pb.UpdateRubricRequest, context: Any
    ) -> rubrics_pb2.Rubric:
        who = require(Role.FUNDER, Role.ADMIN)
        competition_id = request.rubric.competition_id
        criteria, bands = rubric_from_proto(request.rubric, competition_id)
        validate_rubric(criteria, bands)
        async with self.db.transaction() as session:
            panel = await self._run_panel(
                session, who, competition_id, for_update=True, field="rubric.competition_id"
            )
            if panel.state in (PanelState.CLOSED, PanelState.DECIDED) or await Reviews(
                session
            ).any_score(competition_id):
                raise FailedPrecondition(
                    "the rubric is fixed once the first score is given", reason="RUBRIC_IN_USE"
                )
            rubric = Rubric(competition_id=competition_id, criteria=criteria, bands=bands)
            await PanelRepository(session).save_rubric(rubric)
            await Reviews(session).audit(
                at=self.clock(),
                actor=who.subject,
                action="rubric.update",
                subject_id=competition_id,
                before=None,
                after={"criteria": [c.code for c in criteria], "bands": len(bands)},
            )
        return rubric_to_proto(rubric)

    async def GetPanel(self, request: pb.GetPanelRequest, context: Any) -> panels_pb2.Panel:
        who = require(Role.FUNDER, Role.ADMIN)
        async with self.db.reading() as session:
            panel = await self._run_panel(session, who, request.competition_id)
        return panel_to_proto(panel)

    async def UpdatePanel(self, request: pb.UpdatePanelRequest, context: Any) -> panels_pb2.Panel:
        who = require(Role.FUNDER, Role.ADMIN)
        async with self.db.transaction() as session:
            panel = await self._run_panel(
                session,
                who,
                request.panel.competition_id,
                for_update=True,
                field="panel.competition_id",
            )
            merged = apply_mask(
                panel_to_proto(panel), request.panel, request.update_mask, settable=SETTABLE
            )
            changed = panel.change_settings(settings_from_proto(merged))
            await PanelRepository(session).save(changed)
            await Reviews(session).audit(
                at=self.clock(),
                actor=who.subject,
                action="panel.settings",
                subject_id=panel.competition_id,
                before={"settings": repr(panel.settings)},
                after={"settings": repr(changed.settings)},
            )
        return panel_to_proto(replace(changed))

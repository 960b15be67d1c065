"""gRPC methods for rankings and the award decision."""

from __future__ import annotations

import csv
import io
from typing import Any

from grantflow.events.v1 import awards_pb2
from grantflow.scoring.v1 import reviews_pb2
from grantflow.scoring.v1 import scoring_service_pb2 as pb
from grantflow_runtime import catalogue
from grantflow_runtime.access import require
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.errors import FailedPrecondition, NotFound
from grantflow_runtime.protoconv import to_money, to_timestamp
from grantflow_runtime.spreadsheet import safe_text
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_scoring.adapters.applications_copy import SubmittedApplications
from grantflow_scoring.adapters.panels_repo import PanelRepository
from grantflow_scoring.adapters.reviews_repo import Reviews
from grantflow_scoring.api.base import Methods
from grantflow_scoring.api.standings import Standings, standings
from grantflow_scoring.domain.awards import decide
from grantflow_scoring.domain.panels import Panel, PanelState
from grantflow_scoring.domain.ranking import rank_by_direction

CSV_COLUMNS = (
    "rank",
    "application_id",
    "title",
    "direction_code",
    "requested_rub",
    "raw_score",
    "calibrated_score",
    "experts",
    "diverged",
    "incomplete",
)


def entries(table: Standings, direction_code: str = "") -> list[reviews_pb2.RankingEntry]:
    ranked = (
        rank_by_direction([r.candidate for r in table.ranked]).get(direction_code, [])
        if direction_code
        else table.ranked
    )
    found = []
    for r in ranked:
        s = table.by_application[r.candidate.application_id]
        found.append(
            reviews_pb2.RankingEntry(
                rank=r.rank,
                application_id=r.candidate.application_id,
                direction_code=r.candidate.direction_code,
                requested=to_money(r.candidate.requested),
                raw_score=str(s.raw),
                calibrated_score=str(s.calibrated) if s.calibrated is not None else "",
                experts=s.experts,
                diverged=s.diverged,
                incomplete=s.incomplete,
                title=s.application.title,
            )
        )
    return found


class DecisionMethods(Methods):
    async def _table(
        self, session: AsyncSession, who: Identity, competition_id: str, *, for_update: bool = False
    ) -> tuple[Panel, Standings]:
        panel = await self._run_panel(session, who, competition_id, for_update=for_update)
        rubric = await PanelRepository(session).rubric(panel.competition_id)
        assert rubric is not None
        return panel, await standings(session, panel, rubric)

    async def GetRanking(
        self, request: pb.GetRankingRequest, context: Any
    ) -> pb.GetRankingResponse:
        who = require(Role.FUNDER, Role.ADMIN)
        async with self.db.reading() as session:
            panel, table = await self._table(session, who, request.competition_id)
        return pb.GetRankingResponse(
            entries=entries(table, request.direction_code),
            by_calibrated=panel.settings.decide_by_calibrated,
        )

    async def ExportRanking(
        self, request: pb.ExportRankingRequest, context: Any
    ) -> pb.ExportRankingResponse:
        who = require(Role.FUNDER, Role.ADMIN)
        async with self.db.reading() as session:
            _, table = await self._table(session, who, request.competition_id)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for e in entries(table):
            writer.writerow(
                [
                    e.rank,
                    e.application_id,
                    safe_text(e.title),
                    e.direction_code,
                    f"{e.requested.minor_units // 100}.{e.requested.minor_units % 100:02d}",
                    e.raw_score,
                    e.calibrated_score,
                    e.experts,
                    "yes" if e.diverged else "no",
                    "yes" if e.incomplete else "no",
                ]
            )
        return pb.ExportRankingResponse(
            content_type="text/csv; charset=utf-8", data=out.getvalue().encode()
        )

    async def GetDecision(
        self, request: pb.GetDecisionRequest, context: Any
    ) -> reviews_pb2.Decision:
        who = require(Role.FUNDER, Role.ADMIN)
        async with self.db.reading() as session:
            panel = await self._run_panel(session, who, request.competition_id)
            recorded = await Reviews(session).decision(panel.competition_id)
        if recorded is None:
            raise NotFound(f"no decision for competition {panel.competition_id} yet")
        return reviews_pb2.Decision.FromString(recorded)

    async def DecideAwards(
        self, request: pb.DecideAwardsRequest, context: Any
    ) -> reviews_pb2.Decision:
        who = require(Role.FUNDER, Role.ADMIN)
        async with self.db.transaction() as session:
            reviews = Reviews(session)
            panel, table = await self._table(session, who, request.competition_id, for_update=True)
            recorded = await reviews.decision(panel.competition_id)
            if recorded is not None:
                # Recorded once: a second call answers with the same decision.
                return reviews_pb2.Decision.FromString(recorded)
            if panel.state is not PanelState.CLOSED:
                raise FailedPrecondition(
                    f"the panel is {panel.state.value}; close scoring before deciding",
                    reason="PANEL_STATE",
                )
            outcome = decide(
                table.ranked,
                budget=panel.budget,
                quotas=dict(panel.direction_quotas),
                pass_marks=panel.settings.pass_marks,
            )
            now = self.clock()
            decision = reviews_pb2.Decision(
                competition_id=panel.competition_id,
                awards=[
                    reviews_pb2.AwardLine(
                        application_id=a.application_id,
                        amount=to_money(a.amount),
                        rank=a.rank,
                        score=str(a.score),
                    )
                    for a in outcome.awards
                ],
                declined=[
                    *(
                        reviews_pb2.DeclinedLine(
                            application_id=d.application_id, rank=d.rank, reason=d.reason
                        )
                        for d in outcome.declined
                    ),
                    *(
                        reviews_pb2.DeclinedLine(
                            application_id=a.application_id, rank=0, reason="no expert scored it"
                        )
                        for a in table.unscored
                    ),
                ],
                budget_used=to_money(outcome.budget_used),
                decide_time=to_timestamp(now),
                decided_by=who.subject,
            )
            await reviews.record_decision(
                panel.competition_id,
                decision=decision.SerializeToString(deterministic=True),
                by=who.subject,
                at=now,
            )
            await PanelRepository(session).save(panel.decided())
            await reviews.audit(
                at=now,
                actor=who.subject,
                action="awards.decide",
                subject_id=panel.competition_id,
                before=None,
                after={
                    "awards": [
                        [a.application_id, a.amount.minor_units, a.rank] for a in outcome.awards
                    ],
                    "declined": [line.application_id for line in decision.declined],
                },
            )
            copies = SubmittedApplications(session)
            required = await PanelRepository(session).required_indicator_codes(panel.competition_id)
            for a in outcome.awards:
                submitted = await copies.event(a.application_id)
                await self.outbox.add(
                    session,
                    catalogue.AWARD_DECIDED,
                    awards_pb2.AwardDecided(
                        application_id=a.application_id,
                        competition_id=panel.competition_id,
                        organisation_id=submitted.organisation_id,
                        award=to_money(a.amount),
                        rank=a.rank,
                        score=str(a.score),
                        decided_at=to_timestamp(now),
                        organisation_inn=submitted.organisation_inn,
                        organisation_name=submitted.organisation_name,
                        organisation_region_code=submitted.organisation_region_code,
                        direction_code=submitted.direction_code,
                        region_codes=submitted.region_codes,
                        title=submitted.title,
                        cofinancing_sources=submitted.cofinancing_sources,
                        planned_results=submitted.planned_results,
                        budget_lines=submitted.budget_lines,
                        start_date=submitted.start_date,
                        end_date=submitted.end_date,
                        funder=panel.owner,
                        required_indicator_codes=required,
                    ),
                )
            for line in decision.declined:
                submitted = await copies.event(line.application_id)
                await self.outbox.add(
                    session,
                    catalogue.APPLICATION_DECLINED,
                    awards_pb2.ApplicationDeclined(
                        application_id=line.application_id,
                        competition_id=panel.competition_id,
                        organisation_id=submitted.organisation_id,
                        reason=line.reason,
                        decided_at=to_timestamp(now),
                    ),
                )
        return decision

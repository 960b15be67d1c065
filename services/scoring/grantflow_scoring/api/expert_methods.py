"""gRPC methods for experts and their conflicts of interest."""

from __future__ import annotations

import re
import uuid
from typing import Any

from grantflow.scoring.v1 import experts_pb2
from grantflow.scoring.v1 import scoring_service_pb2 as pb
from grantflow_runtime.access import require
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.errors import (
    AlreadyExists,
    FieldViolation,
    InvalidArgument,
    NotFound,
    Violations,
)
from grantflow_runtime.idempotency import idempotent
from grantflow_runtime.paging import cut, parse_page
from grantflow_runtime.protoconv import to_timestamp
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_scoring.adapters.applications_copy import SubmittedApplications
from grantflow_scoring.adapters.experts_repo import Expert, ExpertRepository
from grantflow_scoring.adapters.panels_repo import PanelRepository
from grantflow_scoring.adapters.reviews_repo import CANCELLED, Reviews
from grantflow_scoring.api.base import TRUSTED, Methods, required, runs
from grantflow_scoring.api.mapping import expert_to_proto
from grantflow_scoring.domain.conflicts import DeclaredConflict

CODE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
REGION = re.compile(r"^RU-[A-Z]{2,3}$")
INN = re.compile(r"^([0-9]{10}|[0-9]{12})$")


def validate_expert(m: experts_pb2.Expert, prefix: str = "expert") -> None:
    v = Violations()
    if not m.subject.strip():
        v.add(
            f"{prefix}.subject",
            "is required: the token subject the expert signs in with",
            "required",
        )
    if not m.display_name.strip():
        v.add(f"{prefix}.display_name", "is required", "required")
    elif len(m.display_name) > 300:
        v.add(f"{prefix}.display_name", "must be at most 300 characters", "max_len")
    if not m.direction_codes:
        v.add(f"{prefix}.direction_codes", "must name at least one direction", "required")
    for i, code in enumerate(m.direction_codes):
        if not CODE.match(code):
            v.add(
                f"{prefix}.direction_codes[{i}]", "must be a direction code like 'health'", "format"
            )
    if not REGION.match(m.region_code):
        v.add(f"{prefix}.region_code", "must be an ISO 3166-2:RU code like 'RU-TA'", "format")
    for i, inn in enumerate(m.affiliation_inns):
        if not INN.match(inn):
            v.add(f"{prefix}.affiliation_inns[{i}]", "must be a 10- or 12-digit INN", "format")
    if not 1 <= m.max_load <= 500:
        v.add(f"{prefix}.max_load", "must be between 1 and 500", "range")
    v.raise_if_any()


class ExpertMethods(Methods):
    async def CreateExpert(
        self, request: pb.CreateExpertRequest, context: Any
    ) -> experts_pb2.Expert:
        who = require(Role.FUNDER, Role.ADMIN)
        if not request.HasField("expert"):
            raise InvalidArgument([FieldViolation("expert", "is required", "required")])
        m = request.expert
        validate_expert(m)

        async def create(session: AsyncSession) -> experts_pb2.Expert:
            repo = ExpertRepository(session)
            if await repo.by_subject(m.subject) is not None:
                raise AlreadyExists(
                    "an expert with this subject is registered already", reason="DUPLICATE_SUBJECT"
                )
            now = self.clock()
            expert = Expert(
                id=str(uuid.uuid4()),
                subject=m.subject.strip(),
                display_name=m.display_name.strip(),
                direction_codes=tuple(sorted(set(m.direction_codes))),
                region_code=m.region_code,
                affiliation_inns=tuple(sorted(set(m.affiliation_inns))),
                max_load=m.max_load,
                # A new expert is active unless said otherwise; proto3 cannot tell false from unset.
                active=True,
                created_at=now,
                updated_at=now,
            )
            await repo.add(expert)
            return expert_to_proto(expert)

        return await idempotent(
            self.db,
            self.idempotency,
            operation="CreateExpert",
            request_id=request.request_id,
            caller=who.subject,
            request=request,
            response_type=experts_pb2.Expert,
            action=create,
        )

    async def GetExpert(self, request: pb.GetExpertRequest, context: Any) -> experts_pb2.Expert:
        who = require(Role.FUNDER, Role.ADMIN, Role.EXPERT)
        expert_id = required(request.id, "id")
        async with self.db.reading() as session:
            expert = await ExpertRepository(session).get(expert_id)
        if expert is None or (who.role is Role.EXPERT and expert.subject != who.subject):
            raise NotFound(f"expert {expert_id} not found")
        return expert_to_proto(expert)

    async def ListExperts(
        self, request: pb.ListExpertsRequest, context: Any
    ) -> pb.ListExpertsResponse:
        require(Role.FUNDER, Role.ADMIN)
        filters = {"direction_code": request.direction_code}
        page = parse_page(request.page_size, request.page_token, filters=filters)
        async with self.db.reading() as session:
            items = await ExpertRepository(session).page(
                limit=page.size + 1,
                after=page.after[0] if page.after else None,
                direction_code=request.direction_code,
            )
        rows, token = cut(items, page, key=lambda e: [e.id], filters=filters)
        return pb.ListExpertsResponse(
            experts=[expert_to_proto(e) for e in rows], next_page_token=token
        )

    async def DeclareConflict(
        self, request: pb.DeclareConflictRequest, context: Any
    ) -> experts_pb2.Conflict:
        who = require(Role.EXPERT, Role.FUNDER, Role.ADMIN)
        c = request.conflict
        v = Violations()
        if bool(c.organisation_inn) == bool(c.application_id):
            v.add("conflict", "name exactly one of organisation_inn and application_id", "one_of")
        if c.organisation_inn and not INN.match(c.organisation_inn):
            v.add("conflict.organisation_inn", "must be a 10- or 12-digit INN", "format")
        if not c.reason.strip():
            v.add("conflict.reason", "is required", "required")
        elif len(c.reason) > 2000:
            v.add("conflict.reason", "must be at most 2000 characters", "max_len")
        v.raise_if_any()
        now = self.clock()
        async with self.db.transaction() as session:
            experts = ExpertRepository(session)
            if who.role is Role.EXPERT:
                expert = await self._expert_of(session, who)
                if c.expert_id and c.expert_id != expert.id:
                    raise NotFound(f"expert {c.expert_id} not found")
            else:
                found = await experts.get(required(c.expert_id, "conflict.expert_id"))
                if found is None:
                    raise NotFound(f"expert {c.expert_id} not found")
                expert = found
            targets = await self._conflict_targets(session, who, c)
            declared = DeclaredConflict(
                expert.id, organisation_inn=c.organisation_inn, application_id=c.application_id
            )
            await experts.declare(declared, reason=c.reason.strip(), now=now)
            # A conflict found after assignment ends the assignment: the expert must not score it.
            reviews = Reviews(session)
            for application_id in targets:
                if await reviews.assignment(application_id, expert.id) is not None:
                    await reviews.set_state(application_id, expert.id, CANCELLED)
                    await reviews.audit(
                        at=now,
                        actor=who.subject,
                        action="assignment.cancel",
                        subject_id=application_id,
                        before={"expert_id": expert.id},
                        after=None,
                        reason="conflict of interest declared",
                    )
        return experts_pb2.Conflict(
            expert_id=expert.id,
            organisation_inn=c.organisation_inn,
            application_id=c.application_id,
            reason=c.reason.strip(),
            source=experts_pb2.Conflict.SOURCE_DECLARED,
            create_time=to_timestamp(now),
        )

    async def _conflict_targets(
        self, session: AsyncSession, who: Identity, c: experts_pb2.Conflict
    ) -> list[str]:
        """The applications whose assignments a declaration ends. A funder reaches only panels it
        runs: another funder's application answers like a missing one, and a conflict with an
        organisation ends assignments in the caller's own competitions only."""
        copies = SubmittedApplications(session)
        ids = (
            [c.application_id]
            if c.application_id
            else await copies.ids_of_organisation(c.organisation_inn)
        )
        if who.role is not Role.FUNDER:
            return ids
        panels = PanelRepository(session)
        mine: list[str] = []
        for application_id in ids:
            found = await copies.get(application_id)
            panel = await panels.get(found.competition_id) if found else None
            if panel is not None and runs(who, panel):
                mine.append(application_id)
        if c.application_id and not mine:
            raise NotFound(f"application {c.application_id} not found")
        return mine


__all__ = ["TRUSTED", "ExpertMethods"]

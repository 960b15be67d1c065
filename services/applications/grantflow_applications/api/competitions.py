"""gRPC methods for competitions."""

from __future__ import annotations

import uuid
from typing import Any

from grantflow.applications.v1 import applications_service_pb2 as pb
from grantflow.applications.v1 import competitions_pb2
from grantflow_runtime import catalogue
from grantflow_runtime.access import require
from grantflow_runtime.context import Role
from grantflow_runtime.errors import FieldViolation, InvalidArgument, NotFound
from grantflow_runtime.idempotency import idempotent
from grantflow_runtime.masks import apply_mask
from grantflow_runtime.paging import after_time_and_id, cut, parse_page
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_applications.adapters.competitions_repo import CompetitionRepository
from grantflow_applications.api.base import Methods, required_id
from grantflow_applications.api.closing import record_closing
from grantflow_applications.api.mapping import (
    COMPETITION_STATES_IN,
    competition_opened,
    competition_terms,
    competition_to_proto,
)
from grantflow_applications.api.policy import manages_competition, sees_competition
from grantflow_applications.domain.competitions import Competition

# What a funder may change in a draft; id, state and times belong to the server.
SETTABLE = frozenset(
    name
    for name in competitions_pb2.Competition.DESCRIPTOR.fields_by_name
    if name not in {"id", "state", "create_time", "update_time"}
)


class CompetitionMethods(Methods):
    async def CreateCompetition(
        self, request: pb.CreateCompetitionRequest, context: Any
    ) -> competitions_pb2.Competition:
        identity = require(Role.FUNDER, Role.ADMIN)
        if not request.HasField("competition"):
            raise InvalidArgument([FieldViolation("competition", "is required", "required")])
        terms = competition_terms(request.competition)

        async def create(session: AsyncSession) -> competitions_pb2.Competition:
            competition = Competition.create(
                id=str(uuid.uuid4()), owner=identity.subject, terms=terms, now=self.clock()
            )
            await CompetitionRepository(session).add(competition)
            return competition_to_proto(competition)

        return await idempotent(
            self.db,
            self.idempotency,
            operation="CreateCompetition",
            request_id=request.request_id,
            caller=identity.subject,
            request=request,
            response_type=competitions_pb2.Competition,
            action=create,
        )

    async def GetCompetition(
        self, request: pb.GetCompetitionRequest, context: Any
    ) -> competitions_pb2.Competition:
        identity = require()
        competition_id = required_id(request.id, "id")
        async with self.db.reading() as session:
            competition = await CompetitionRepository(session).get(competition_id)
        if competition is None or not sees_competition(identity, competition):
            raise NotFound(f"competition {competition_id} not found")
        return competition_to_proto(competition)

    async def ListCompetitions(
        self, request: pb.ListCompetitionsRequest, context: Any
    ) -> pb.ListCompetitionsResponse:
        identity = require()
        state = COMPETITION_STATES_IN.get(request.state) if request.state else None
        if request.state and state is None:
            raise InvalidArgument([FieldViolation("state", "is not a known state", "enum")])
        filters = {"state": state.value if state else ""}
        page = parse_page(request.page_size, request.page_token, filters=filters, key_length=2)
        after = after_time_and_id(page)
        async with self.db.reading() as session:
            items = await CompetitionRepository(session).page(
                limit=page.size + 1,
                after=after,
                state=state,
                visible_drafts_of=identity.subject,
                all_drafts=identity.role in (Role.ADMIN, Role.SYSTEM),
            )
        items, token = cut(
            items, page, key=lambda c: [c.created_at.isoformat(), c.id], filters=filters
        )
        return pb.ListCompetitionsResponse(
            competitions=[competition_to_proto(c) for c in items], next_page_token=token
        )

    async def UpdateCompetition(
        self, request: pb.UpdateCompetitionRequest, context: Any
    ) -> competitions_pb2.Competition:
        identity = require(Role.FUNDER, Role.ADMIN)
        competition_id = required_id(request.competition.id, "competition.id")
        async with self.db.transaction() as session:
            repo = CompetitionRepository(session)
            current = await repo.get(competition_id, for_update=True)
            if current is None or not manages_competition(identity, current):
                raise NotFound(f"competition {competition_id} not found")
            merged = apply_mask(
                competition_to_proto(current),
                request.competition,
                request.update_mask,
                settable=SETTABLE,
            )
            updated = current.revise(competition_terms(merged), self.clock())
            await repo.save(updated)
        return competition_to_proto(updated)

    async def OpenCompetition(
        self, request: pb.OpenCompetitionRequest, context: Any
    ) -> competitions_pb2.Competition:
        identity = require(Role.FUNDER, Role.ADMIN)
        competition_id = required_id(request.id, "id")
        async with self.db.transaction() as session:
            repo = CompetitionRepository(session)
            competition = await repo.get(competition_id, for_update=True)
            if competition is None or not manages_competition(identity, competition):
                raise NotFound(f"competition {competition_id} not found")
            opened = competition.open(self.clock())
            await repo.save(opened)
            await self.outbox.add(session, catalogue.COMPETITION_OPENED, competition_opened(opened))
        return competition_to_proto(opened)

    async def CloseCompetition(
        self, request: pb.CloseCompetitionRequest, context: Any
    ) -> competitions_pb2.Competition:
        identity = require(Role.FUNDER, Role.ADMIN)
        competition_id = required_id(request.id, "id")
        now = self.clock()
        async with self.db.transaction() as session:
            competition = await CompetitionRepository(session).get(competition_id, for_update=True)
            if competition is None or not manages_competition(identity, competition):
                raise NotFound(f"competition {competition_id} not found")
            early = now < competition.closes_at
            closed = competition.close_now(now, request.early_close_reason)
            await record_closing(
                session,
                self.outbox,
                closed,
                now=now,
                early_reason=request.early_close_reason.strip() if early else "",
            )
        return competition_to_proto(closed)

"""gRPC `grantflow.applications.v1.ApplicationsService`: protobuf in, domain calls, protobuf out."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from grantflow.applications.v1 import applications_service_pb2 as pb
from grantflow.applications.v1 import applications_service_pb2_grpc as pb_grpc
from grantflow.applications.v1 import competitions_pb2
from grantflow_runtime import catalogue
from grantflow_runtime.access import require
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.db import Database
from grantflow_runtime.errors import FieldViolation, InvalidArgument, NotFound
from grantflow_runtime.idempotency import IdempotencyStore, idempotent
from grantflow_runtime.outbox import Outbox
from grantflow_runtime.paging import next_token, parse_page

from grantflow_applications.adapters.competitions_repo import CompetitionRepository
from grantflow_applications.api.mapping import (
    STATE_FROM_PROTO,
    competition_opened,
    competition_to_proto,
    terms_from_proto,
)
from grantflow_applications.domain.competitions import Competition, CompetitionState

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _can_see(identity: Identity, competition: Competition) -> bool:
    if competition.state is not CompetitionState.DRAFT:
        return True
    return identity.role in (Role.ADMIN, Role.SYSTEM) or competition.owner == identity.subject


def _can_manage(identity: Identity, competition: Competition) -> bool:
    return identity.role in (Role.ADMIN, Role.SYSTEM) or competition.owner == identity.subject


def _required_id(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument([FieldViolation(field, "is required", "required")])
    return value


class ApplicationsServicer(pb_grpc.ApplicationsServiceServicer):
    def __init__(
        self, db: Database, outbox: Outbox, idempotency: IdempotencyStore, clock: Clock = _utcnow
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.idempotency = idempotency
        self.clock = clock

    async def CreateCompetition(
        self, request: pb.CreateCompetitionRequest, context: Any
    ) -> competitions_pb2.Competition:
        identity = require(Role.FUNDER, Role.ADMIN)
        if not request.HasField("competition"):
            raise InvalidArgument([FieldViolation("competition", "is required", "required")])

        async def create(session: Any) -> competitions_pb2.Competition:
            competition = Competition.create(
                id=str(uuid.uuid4()),
                owner=identity.subject,
                terms=terms_from_proto(request.competition),
                now=self.clock(),
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
        competition_id = _required_id(request.id, "id")
        async with self.db.reading() as session:
            competition = await CompetitionRepository(session).get(competition_id)
        # A draft someone else owns answers exactly like a missing one.
        if competition is None or not _can_see(identity, competition):
            raise NotFound(f"competition {competition_id} not found")
        return competition_to_proto(competition)

    async def ListCompetitions(
        self, request: pb.ListCompetitionsRequest, context: Any
    ) -> pb.ListCompetitionsResponse:
        identity = require()
        state = STATE_FROM_PROTO.get(request.state) if request.state else None
        if request.state and state is None:
            raise InvalidArgument([FieldViolation("state", "is not a known state", "enum")])
        filters = {"state": state.value if state else ""}
        page = parse_page(request.page_size, request.page_token, filters=filters, key_length=2)
        after = None
        if page.after is not None:
            try:
                after = (datetime.fromisoformat(page.after[0]), page.after[1])
            except ValueError as exc:
                raise InvalidArgument(
                    [FieldViolation("page_token", "is not a token this API issued", "format")]
                ) from exc
        async with self.db.reading() as session:
            items = await CompetitionRepository(session).page(
                limit=page.size + 1,
                after=after,
                state=state,
                visible_drafts_of=identity.subject,
                all_drafts=identity.role in (Role.ADMIN, Role.SYSTEM),
            )
        more = len(items) > page.size
        items = items[: page.size]
        last = [items[-1].created_at.isoformat(), items[-1].id] if more and items else None
        return pb.ListCompetitionsResponse(
            competitions=[competition_to_proto(c) for c in items],
            next_page_token=next_token(last, filters=filters),
        )

    async def OpenCompetition(
        self, request: pb.OpenCompetitionRequest, context: Any
    ) -> competitions_pb2.Competition:
        identity = require(Role.FUNDER, Role.ADMIN)
        competition_id = _required_id(request.id, "id")
        async with self.db.transaction() as session:
            repo = CompetitionRepository(session)
            competition = await repo.get(competition_id, for_update=True)
            if competition is None or not _can_manage(identity, competition):
                raise NotFound(f"competition {competition_id} not found")
            opened = competition.open(self.clock())
            await repo.save(opened)
            await self.outbox.add(session, catalogue.COMPETITION_OPENED, competition_opened(opened))
        return competition_to_proto(opened)

"""gRPC `grantflow.impact.v1.ImpactService`: protobuf in, domain calls, protobuf out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from grantflow.impact.v1 import impact_service_pb2 as pb
from grantflow.impact.v1 import impact_service_pb2_grpc as pb_grpc
from grantflow.impact.v1 import indicators_pb2
from grantflow_runtime.access import require
from grantflow_runtime.context import Role
from grantflow_runtime.db import Database
from grantflow_runtime.errors import AlreadyExists, FieldViolation, InvalidArgument, NotFound
from grantflow_runtime.idempotency import IdempotencyStore, idempotent
from grantflow_runtime.outbox import Outbox
from grantflow_runtime.paging import cut, parse_page
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_impact.adapters.indicators_repo import IndicatorDefinitionRepository
from grantflow_impact.api.agreement_methods import AgreementMethods, PortfolioMethods
from grantflow_impact.api.mapping import definition_to_proto, terms_from_proto
from grantflow_impact.api.practice_methods import PracticeMethods
from grantflow_impact.domain.indicators import IndicatorDefinition

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _required(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument([FieldViolation(field, "is required", "required")])
    return value


class ImpactServicer(
    AgreementMethods, PortfolioMethods, PracticeMethods, pb_grpc.ImpactServiceServicer
):
    def __init__(
        self, db: Database, outbox: Outbox, idempotency: IdempotencyStore, clock: Clock = _utcnow
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.idempotency = idempotency
        self.clock = clock

    async def CreateIndicatorDefinition(
        self, request: pb.CreateIndicatorDefinitionRequest, context: Any
    ) -> indicators_pb2.IndicatorDefinition:
        identity = require(Role.FUNDER, Role.ADMIN)
        if not request.HasField("indicator_definition"):
            raise InvalidArgument(
                [FieldViolation("indicator_definition", "is required", "required")]
            )

        async def create(session: AsyncSession) -> indicators_pb2.IndicatorDefinition:
            definition = IndicatorDefinition.create(
                terms=terms_from_proto(request.indicator_definition), now=self.clock()
            )
            repo = IndicatorDefinitionRepository(session)
            # Codes are shared vocabulary across competitions: a second definition under one code
            # would silently change what every project reporting on it measures.
            if await repo.get(definition.code) is not None:
                raise AlreadyExists(f"indicator definition {definition.code!r} already exists")
            await repo.add(definition)
            return definition_to_proto(definition)

        return await idempotent(
            self.db,
            self.idempotency,
            operation="CreateIndicatorDefinition",
            request_id=request.request_id,
            caller=identity.subject,
            request=request,
            response_type=indicators_pb2.IndicatorDefinition,
            action=create,
        )

    async def GetIndicatorDefinition(
        self, request: pb.GetIndicatorDefinitionRequest, context: Any
    ) -> indicators_pb2.IndicatorDefinition:
        require()
        code = _required(request.code, "code")
        async with self.db.reading() as session:
            definition = await IndicatorDefinitionRepository(session).get(code)
        if definition is None:
            raise NotFound(f"indicator definition {code!r} not found")
        return definition_to_proto(definition)

    async def ListIndicatorDefinitions(
        self, request: pb.ListIndicatorDefinitionsRequest, context: Any
    ) -> pb.ListIndicatorDefinitionsResponse:
        require()
        filters: dict[str, Any] = {}
        page = parse_page(request.page_size, request.page_token, filters=filters)
        after = page.after[0] if page.after is not None else None
        async with self.db.reading() as session:
            items = await IndicatorDefinitionRepository(session).page(
                limit=page.size + 1, after=after
            )
        items, token = cut(items, page, key=lambda d: [d.code], filters=filters)
        return pb.ListIndicatorDefinitionsResponse(
            indicator_definitions=[definition_to_proto(d) for d in items], next_page_token=token
        )

"""Composition root of the scoring service."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import grpc
from grantflow.scoring.v1 import scoring_service_pb2, scoring_service_pb2_grpc
from grantflow_runtime import catalogue
from grantflow_runtime.consumer import Subscription
from grantflow_runtime.host import ServiceContext, ServiceDefinition, ServiceParts, run
from grantflow_runtime.idempotency import IdempotencyStore

from grantflow_scoring.adapters.tables import Base, messaging
from grantflow_scoring.api.handlers import (
    on_application_submitted,
    on_application_withdrawn,
    on_competition_closed,
    on_competition_opened,
)
from grantflow_scoring.api.servicer import ScoringServicer

SERVICE_NAME = scoring_service_pb2.DESCRIPTOR.services_by_name["ScoringService"].full_name


def build(ctx: ServiceContext) -> ServiceParts:
    servicer = ScoringServicer(ctx.db, ctx.outbox, IdempotencyStore(messaging.idempotency))

    def register(server: grpc.aio.Server) -> Iterable[str]:
        scoring_service_pb2_grpc.add_ScoringServiceServicer_to_server(servicer, server)
        return (SERVICE_NAME,)

    return ServiceParts(
        register=register,
        subscriptions=(
            Subscription(catalogue.COMPETITION_OPENED, on_competition_opened),
            Subscription(catalogue.COMPETITION_CLOSED, on_competition_closed),
            Subscription(catalogue.APPLICATION_SUBMITTED, on_application_submitted),
            Subscription(catalogue.APPLICATION_WITHDRAWN, on_application_withdrawn),
        ),
    )


SERVICE = ServiceDefinition(
    name="scoring",
    metadata=Base.metadata,
    messaging=messaging,
    migrations=Path(__file__).parent / "migrations" / "versions",
    build=build,
)


def main() -> None:
    run(SERVICE)


if __name__ == "__main__":
    main()

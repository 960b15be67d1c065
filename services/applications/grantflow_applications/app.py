"""Composition root of the applications service."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import grpc
from grantflow.applications.v1 import applications_service_pb2, applications_service_pb2_grpc
from grantflow_runtime import catalogue
from grantflow_runtime.consumer import Subscription
from grantflow_runtime.host import ServiceContext, ServiceDefinition, ServiceParts, run
from grantflow_runtime.idempotency import IdempotencyStore

from grantflow_applications.adapters.tables import Base, messaging
from grantflow_applications.api.closing import CompetitionCloser
from grantflow_applications.api.handlers import DecisionHandlers
from grantflow_applications.api.servicer import ApplicationsServicer

SERVICE_NAME = applications_service_pb2.DESCRIPTOR.services_by_name["ApplicationsService"].full_name


def build(ctx: ServiceContext) -> ServiceParts:
    servicer = ApplicationsServicer(ctx.db, ctx.outbox, IdempotencyStore(messaging.idempotency))

    def register(server: grpc.aio.Server) -> Iterable[str]:
        applications_service_pb2_grpc.add_ApplicationsServiceServicer_to_server(servicer, server)
        return (SERVICE_NAME,)

    decisions = DecisionHandlers(ctx.outbox)
    closer = CompetitionCloser(ctx.db, ctx.outbox)
    return ServiceParts(
        register=register,
        subscriptions=(
            Subscription(catalogue.AWARD_DECIDED, decisions.on_award_decided),
            Subscription(catalogue.APPLICATION_DECLINED, decisions.on_application_declined),
        ),
        background=(closer.run,),
    )


SERVICE = ServiceDefinition(
    name="applications",
    metadata=Base.metadata,
    messaging=messaging,
    migrations=Path(__file__).parent / "migrations" / "versions",
    build=build,
)


def main() -> None:
    run(SERVICE)


if __name__ == "__main__":
    main()

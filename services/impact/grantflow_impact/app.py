"""Composition root of the impact service."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import grpc
from grantflow.impact.v1 import impact_service_pb2, impact_service_pb2_grpc
from grantflow_runtime import catalogue
from grantflow_runtime.consumer import Subscription
from grantflow_runtime.host import ServiceContext, ServiceDefinition, ServiceParts, run
from grantflow_runtime.idempotency import IdempotencyStore

from grantflow_impact.adapters.tables import Base, messaging
from grantflow_impact.api.evaluation import LateReportWatcher
from grantflow_impact.api.handlers import on_award_decided
from grantflow_impact.api.servicer import ImpactServicer

SERVICE_NAME = impact_service_pb2.DESCRIPTOR.services_by_name["ImpactService"].full_name


def build(ctx: ServiceContext) -> ServiceParts:
    servicer = ImpactServicer(ctx.db, ctx.outbox, IdempotencyStore(messaging.idempotency))

    def register(server: grpc.aio.Server) -> Iterable[str]:
        impact_service_pb2_grpc.add_ImpactServiceServicer_to_server(servicer, server)
        return (SERVICE_NAME,)

    watcher = LateReportWatcher(ctx.db, ctx.outbox)
    return ServiceParts(
        register=register,
        subscriptions=(Subscription(catalogue.AWARD_DECIDED, on_award_decided),),
        background=(watcher.run,),
    )


SERVICE = ServiceDefinition(
    name="impact",
    metadata=Base.metadata,
    messaging=messaging,
    migrations=Path(__file__).parent / "migrations" / "versions",
    build=build,
)


def main() -> None:
    run(SERVICE)


if __name__ == "__main__":
    main()

"""Every service serves the standard health check and reflection, and stops gracefully."""

from __future__ import annotations

import importlib

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.conftest import ConfigFactory, ServiceStarter

pytestmark = pytest.mark.asyncio

SERVICES = {
    "applications": "grantflow.applications.v1.ApplicationsService",
    "scoring": "grantflow.scoring.v1.ScoringService",
    "impact": "grantflow.impact.v1.ImpactService",
}


async def list_services(chan: grpc.aio.Channel) -> set[str]:
    stub = reflection_pb2_grpc.ServerReflectionStub(chan)

    async def requests():  # type: ignore[no-untyped-def]
        yield reflection_pb2.ServerReflectionRequest(list_services="")

    names: set[str] = set()
    async for response in stub.ServerReflectionInfo(requests()):
        names.update(s.name for s in response.list_services_response.service)
    return names


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_health_and_reflection(name: str, make_config: ConfigFactory, start_service: ServiceStarter) -> None:
    definition = importlib.import_module(f"grantflow_{name}.app").SERVICE
    host, chan = await start_service(definition, await make_config())
    health = health_pb2_grpc.HealthStub(chan)
    for service in ("", SERVICES[name]):
        reply = await health.Check(health_pb2.HealthCheckRequest(service=service))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    assert {SERVICES[name], "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"} <= await list_services(chan)

    await host.server.stop()  # type: ignore[union-attr]
    with pytest.raises(grpc.aio.AioRpcError):
        await health.Check(health_pb2.HealthCheckRequest(), timeout=1)


async def test_health_goes_not_serving_before_the_drain(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> None:
    from grantflow_scoring.app import SERVICE

    host, chan = await start_service(SERVICE, await make_config())
    assert host.server is not None
    health = health_pb2_grpc.HealthStub(chan)
    await host.server.health.enter_graceful_shutdown()
    for service in ("", SERVICES["scoring"]):
        reply = await health.Check(health_pb2.HealthCheckRequest(service=service))
        assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING

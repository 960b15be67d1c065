"""Every service serves the standard health check and reflection, and stops gracefully."""

from __future__ import annotations

import importlib

import grpc
import pytest
from grantflow_runtime.grpc_client import health_status
from grpc_reflection.v1alpha import reflection_pb2

from tests.conftest import ConfigFactory, ServiceStarter

pytestmark = pytest.mark.asyncio

SERVICES = {
    "applications": "grantflow.applications.v1.ApplicationsService",
    "scoring": "grantflow.scoring.v1.ScoringService",
    "impact": "grantflow.impact.v1.ImpactService",
}


async def list_services(chan: grpc.aio.Channel) -> set[str]:
    # The reflection stubs are typed for sync channels only; call the method by name.
    info = chan.stream_stream(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    call = info(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    names: set[str] = set()
    async for response in call:
        names.update(s.name for s in response.list_services_response.service)
    return names


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_health_and_reflection(
    name: str, make_config: ConfigFactory, start_service: ServiceStarter
) -> None:
    definition = importlib.import_module(f"grantflow_{name}.app").SERVICE
    host, chan = await start_service(definition, await make_config())
    for service in ("", SERVICES[name]):
        assert await health_status(chan, service) == "SERVING"
    assert {
        SERVICES[name],
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    } <= await list_services(chan)

    await host.server.stop()  # type: ignore[union-attr]
    assert await health_status(chan) == "UNAVAILABLE"


async def test_health_goes_not_serving_before_the_drain(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> None:
    from grantflow_scoring.app import SERVICE

    host, chan = await start_service(SERVICE, await make_config())
    assert host.server is not None
    await host.server.health.enter_graceful_shutdown()
    for service in ("", SERVICES["scoring"]):
        assert await health_status(chan, service) == "NOT_SERVING"

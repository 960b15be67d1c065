"""Upstream readiness: the standard gRPC health check of every service the gateway calls."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


async def check(channel: grpc.aio.Channel, *, timeout: float = 1.0) -> str:
    """SERVING, NOT_SERVING, or the gRPC code name when the upstream cannot be asked."""
    try:
        response = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=timeout
        )
    except grpc.aio.AioRpcError as exc:
        return exc.code().name
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))


async def check_all(channels: Mapping[str, grpc.aio.Channel], *, timeout: float = 1.0) -> dict[str, str]:
    names = list(channels)
    results = await asyncio.gather(*(check(channels[n], timeout=timeout) for n in names))
    return dict(zip(names, results, strict=True))

"""Upstream readiness: the standard gRPC health check of every service the gateway calls."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import grpc
from grantflow_runtime.grpc_client import health_status


async def check_all(
    channels: Mapping[str, grpc.aio.Channel], *, timeout: float = 1.0
) -> dict[str, str]:
    names = list(channels)
    results = await asyncio.gather(*(health_status(channels[n], timeout=timeout) for n in names))
    return dict(zip(names, results, strict=True))

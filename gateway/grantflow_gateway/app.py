"""The HTTP/JSON gateway: the public edge. For now it answers liveness and readiness; the API
routes arrive with the gateway issue."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import grpc
import uvicorn
from grantflow_runtime.config import SERVICES, Config
from grantflow_runtime.logs import configure_logging, get_logger
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from grantflow_gateway.health import check_all

log = get_logger(__name__)


def create_app(config: Config) -> Starlette:
    channels: dict[str, grpc.aio.Channel] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        for name in SERVICES:
            channels[name] = grpc.aio.insecure_channel(
                config.service_addrs[name],
                options=[("grpc.max_receive_message_length", config.max_message_bytes)],
            )
        try:
            yield
        finally:
            await asyncio.gather(*(c.close() for c in channels.values()))

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        upstreams = await check_all(channels)
        ready = all(state == "SERVING" for state in upstreams.values())
        return JSONResponse(
            {"ready": ready, "upstreams": upstreams}, status_code=200 if ready else 503
        )

    return Starlette(
        routes=[Route("/healthz", healthz), Route("/readyz", readyz)],
        lifespan=lifespan,
    )


def main() -> None:
    config = Config.from_env()
    configure_logging(service="gateway", log_format=config.log_format, level=config.log_level)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host=config.gateway_host,
            port=config.gateway_port,
            log_config=None,  # uvicorn's records go through our structlog handler
            timeout_graceful_shutdown=int(config.shutdown_grace_s),
        )
    )
    log.info("gateway starting", port=config.gateway_port)
    server.run()


if __name__ == "__main__":
    main()

"""The HTTP/JSON gateway: the public edge for applicants, experts and funders."""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
from grantflow_runtime.config import Config
from grantflow_runtime.logs import configure_logging, get_logger
from grantflow_runtime.tokens import key_from_config
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, request_response
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from grantflow_gateway.api import Api
from grantflow_gateway.console.app import console_routes
from grantflow_gateway.health import check_all
from grantflow_gateway.limits import RateLimiter
from grantflow_gateway.openapi import build_openapi
from grantflow_gateway.router import Router
from grantflow_gateway.routes import ROUTES
from grantflow_gateway.upstream import Upstreams

log = get_logger(__name__)

_SWAGGER_STATIC = Path(importlib.util.find_spec("swagger_ui").origin or "").parent / "static"  # type: ignore[union-attr]
_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Grantflow API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#docs", persistAuthorization: true});
</script>
</body>
</html>
"""


def create_app(config: Config) -> Starlette:
    upstreams = Upstreams(config.service_addrs, max_message_bytes=config.max_message_bytes)
    limits = config.gateway_limits
    api = Api(
        router=Router(ROUTES),
        upstreams=upstreams,
        key=key_from_config(config),
        limits=limits,
        limiter=RateLimiter(limits.rate_per_s, limits.rate_burst),
    )
    openapi = build_openapi(ROUTES)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        upstreams.open(ROUTES)
        try:
            yield
        finally:
            await upstreams.close()

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        states = await check_all(upstreams.channels)
        ready = all(state == "SERVING" for state in states.values())
        return JSONResponse(
            {"ready": ready, "upstreams": states}, status_code=200 if ready else 503
        )

    async def openapi_json(_: Request) -> JSONResponse:
        return JSONResponse(openapi)

    async def console_home(_: Request) -> Response:
        return RedirectResponse("/console/", status_code=303)

    async def docs(_: Request) -> Response:
        return HTMLResponse(_DOCS_PAGE)

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/openapi.json", openapi_json),
            Route("/docs", docs),
            Mount("/docs/static", StaticFiles(directory=_SWAGGER_STATIC)),
            Route("/", console_home),
            *console_routes(api),
        ],
        lifespan=lifespan,
    )
    # Everything else goes to the API's own router, whatever characters the path holds (a
    # Starlette path pattern stops at an encoded newline), so every answer is a problem document.
    api_app = request_response(api.handle)

    async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await api_app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})

    app.router.default = fallback
    return app


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
            server_header=False,
        )
    )
    log.info("gateway starting", port=config.gateway_port)
    server.run()


if __name__ == "__main__":
    main()

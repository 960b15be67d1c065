"""The `/v1` API: authenticate, limit, translate to gRPC, call, translate back."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.message import Message
from grantflow_runtime.config import GatewayLimits
from grantflow_runtime.context import REQUEST_ID_KEY, Identity, bound
from grantflow_runtime.errors import Unauthenticated
from grantflow_runtime.grpc_server import identity_metadata
from grantflow_runtime.idempotency import MAX_REQUEST_ID
from grantflow_runtime.logs import get_logger
from grantflow_runtime.tokens import TokenKey, verify
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from grantflow_gateway.limits import RateLimiter, read_capped
from grantflow_gateway.problems import (
    Problem,
    Violation,
    bad_request_problem,
    from_rpc_error,
    unauthenticated,
)
from grantflow_gateway.router import Router
from grantflow_gateway.routes import Route
from grantflow_gateway.translate import build_request, render
from grantflow_gateway.upstream import Upstreams

log = get_logger(__name__)

IDEMPOTENCY_HEADER = "idempotency-key"
REQUEST_ID_HEADER = "x-request-id"
_KEY = re.compile(rf"^[\x21-\x7e]{{1,{MAX_REQUEST_ID}}}$")
_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


@dataclass
class Api:
    router: Router
    upstreams: Upstreams
    key: TokenKey
    limits: GatewayLimits
    limiter: RateLimiter

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        request_id = _request_id(request)
        route: Route | None = None
        identity: Identity | None = None
        try:
            route, values = self.router.match(request.method, request.url.path)
            identity = self._authenticate(request)
            self.limit(identity)
            # A create's idempotency key is its request id too, so a retry logs as the same call.
            idempotency_key = _idempotency_key(request) if route.idempotent_create else None
            request_id = idempotency_key or request_id
            reply = await self.invoke(
                route,
                identity,
                request_id=request_id,
                path_values=values,
                query=request.query_params.multi_items(),
                body=await self._body(request),
                idempotency_key=idempotency_key,
            )
            response = _success(route, reply)
        except Problem as problem:
            response = problem.response(request_id=request_id, instance=request.url.path)
        response.headers[REQUEST_ID_HEADER] = request_id
        response.headers.update(_SECURITY_HEADERS)
        log.info(
            "http",
            method=request.method,
            route=route.path if route else None,
            status=response.status_code,
            role=identity.role.value if identity else None,
            request_id=request_id,
            ms=round((time.perf_counter() - started) * 1000, 2),
        )
        return response

    def limit(self, identity: Identity) -> None:
        """One token from the caller's bucket; a 429 Problem when it is empty."""
        self.limiter.check(f"sub:{identity.subject}")

    async def invoke(
        self,
        route: Route,
        identity: Identity,
        *,
        request_id: str,
        path_values: Sequence[str] = (),
        query: Sequence[tuple[str, str]] = (),
        body: Any = None,
        idempotency_key: str | None = None,
    ) -> Message:
        """One call as `identity`: the role check, the request built from its HTTP parts, the
        upstream call; every failure is a Problem. The HTTP API and the console both go through
        here, so a page can never do what the API would refuse."""
        if identity.role not in route.roles:
            what = route.summary[0].lower() + route.summary[1:]
            raise Problem(
                403,
                f"role {identity.role.value} may not {what}",
                reason="ROLE_NOT_ALLOWED",
                code="PERMISSION_DENIED",
            )
        with bound(request_id, identity):
            message = build_request(
                route,
                path_values=path_values,
                query=query,
                body=body,
                request_id=idempotency_key or uuid.uuid4().hex,
                max_page_size=self.limits.max_page_size,
            )
            return await self._call(route, message, identity, request_id)

    async def _call(
        self, route: Route, message: Message, identity: Identity, request_id: str
    ) -> Message:
        try:
            return await self.upstreams.call(
                route,
                message,
                metadata=((REQUEST_ID_KEY, request_id), *identity_metadata(identity)),
                timeout=self.limits.upstream_timeout_s,
            )
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc, request_id=request_id) from None

    def _authenticate(self, request: Request) -> Identity:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            # Callers without a token share one bucket per address, so probing is limited too.
            self._limit_address(request)
            raise unauthenticated("a bearer token is required", reason="TOKEN_MISSING")
        if scheme.lower() != "bearer" or not token.strip():
            self._limit_address(request)
            raise unauthenticated("the Authorization header must be 'Bearer <token>'")
        try:
            return verify(token.strip(), self.key)
        except Unauthenticated as exc:
            self._limit_address(request)
            raise unauthenticated(exc.message, exc.reason) from None

    def _limit_address(self, request: Request) -> None:
        self.limiter.check(f"addr:{request.client.host if request.client else '?'}")

    async def _body(self, request: Request) -> Any:
        raw = await read_capped(
            request.headers.get("content-length"), request.stream(), self.limits.max_body_bytes
        )
        if not raw.strip():
            return None
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in ("application/json", "") and not media.endswith("+json"):
            raise Problem(415, "send the body as application/json", reason="UNSUPPORTED_MEDIA_TYPE")
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise bad_request_problem([Violation("body", "is not valid JSON", "json")]) from None


def _success(route: Route, reply: Any) -> Response:
    if route.download is not None:
        type_field, data_field = route.download
        media = getattr(reply, type_field) or "application/octet-stream"
        return Response(
            getattr(reply, data_field),
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{route.operation_id}.csv"'},
        )
    return JSONResponse(render(reply), status_code=route.status)


def _request_id(request: Request) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _KEY.match(given) else uuid.uuid4().hex


def _idempotency_key(request: Request) -> str | None:
    given = request.headers.get(IDEMPOTENCY_HEADER)
    if given is None:
        return None
    if not _KEY.match(given):
        raise bad_request_problem(
            [
                Violation(
                    "Idempotency-Key",
                    f"must be 1 to {MAX_REQUEST_ID} visible ASCII characters",
                    "format",
                )
            ]
        )
    return given

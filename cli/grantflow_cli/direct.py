"""Calling the services over gRPC directly, for operators inside the trusted network.

The HTTP paths stay the interface: each call is matched against the gateway's own route table
and translated by the gateway's own code (`build_request`, `render`, `from_rpc_error`), so there
is one mapping between the JSON the commands speak and the protobuf the services speak, and a
command prints the same thing whichever way it went. The caller's identity travels in metadata,
as the gateway sends it after checking a token; the services check every object again.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping
from typing import Any

import grpc
from google.protobuf.message import Message
from grantflow_gateway.problems import Problem, from_rpc_error
from grantflow_gateway.router import Router
from grantflow_gateway.routes import ROUTES, Route
from grantflow_gateway.translate import build_request, message_class, render
from grantflow_runtime.config import Config
from grantflow_runtime.context import REQUEST_ID_KEY, Identity
from grantflow_runtime.grpc_server import identity_metadata

from grantflow_cli.client import ApiError
from grantflow_cli.transport import RequestHelpers


class DirectClient(RequestHelpers):
    """The same calls as `client.Gateway`, made on the services' gRPC ports."""

    def __init__(
        self,
        addresses: Mapping[str, str],
        identity: Identity,
        *,
        timeout_s: float = 30.0,
        max_page_size: int = 500,
        max_message_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        self.addresses = dict(addresses)
        self.identity = identity
        self.timeout_s = timeout_s
        self.max_page_size = max_page_size
        self.page_size = min(self.page_size, max_page_size)
        self.max_message_bytes = max_message_bytes
        self._router = Router(ROUTES)
        # One private event loop for the command's life: grpc.aio channels belong to a loop.
        self._runner = asyncio.Runner()
        self._channels: dict[str, grpc.aio.Channel] = {}

    @classmethod
    def from_env(cls, identity: Identity, *, timeout_s: float = 30.0) -> DirectClient:
        """Service addresses and limits from GRANTFLOW_<SERVICE>_ADDR and friends."""
        config = Config.from_env()
        return cls(
            config.service_addrs,
            identity,
            timeout_s=timeout_s,
            max_page_size=config.gateway_limits.max_page_size,
            max_message_bytes=config.max_message_bytes,
        )

    def close(self) -> None:
        async def close_all() -> None:
            await asyncio.gather(*(c.close() for c in self._channels.values()))

        if self._channels:
            self._runner.run(close_all())
        self._channels.clear()
        self._runner.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        request_id = idempotency_key or uuid.uuid4().hex
        try:
            route, values = self._router.match(method, path)
            self._check_role(route)
            message = build_request(
                route,
                path_values=values,
                query=query_pairs(params or {}),
                body=json,
                request_id=request_id,
                max_page_size=self.max_page_size,
            )
            try:
                reply = self._runner.run(self._call(route, message, request_id))
            except grpc.aio.AioRpcError as exc:
                problem = from_rpc_error(exc, request_id=request_id)
                if problem.status == 503:
                    address = self.addresses.get(route.upstream, "?")
                    problem.detail = f"{route.upstream} at {address}: {problem.detail}"
                raise problem from None
        except Problem as problem:
            raise ApiError(problem.status, problem_document(problem, request_id, path)) from None
        if route.download is not None:
            return bytes(getattr(reply, route.download[1]))
        return render(reply)

    def _check_role(self, route: Route) -> None:
        # The route table's roles, as the gateway applies them, so both paths refuse alike.
        if self.identity.role not in route.roles:
            raise Problem(
                403,
                f"role {self.identity.role.value} may not {route.summary[0].lower()}{route.summary[1:]}",
                reason="ROLE_NOT_ALLOWED",
                code="PERMISSION_DENIED",
            )

    async def _call(self, route: Route, message: Message, request_id: str) -> Message:
        call = self._channel(route.upstream).unary_unary(
            route.grpc_path,
            request_serializer=message_class(route.input).SerializeToString,
            response_deserializer=message_class(route.output).FromString,
        )
        metadata = ((REQUEST_ID_KEY, request_id), *identity_metadata(self.identity))
        reply: Message = await call(message, metadata=metadata, timeout=self.timeout_s)
        return reply

    def _channel(self, upstream: str) -> grpc.aio.Channel:
        if upstream not in self._channels:
            self._channels[upstream] = grpc.aio.insecure_channel(
                self.addresses[upstream],
                options=[
                    ("grpc.max_receive_message_length", self.max_message_bytes),
                    ("grpc.max_send_message_length", self.max_message_bytes),
                ],
            )
        return self._channels[upstream]


def query_pairs(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query parameters as the gateway reads them from a URL: lists repeat, booleans are words."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is None or item == "":
                continue
            pairs.append(
                (name, ("true" if item else "false") if isinstance(item, bool) else str(item))
            )
    return pairs


def problem_document(problem: Problem, request_id: str, path: str) -> dict[str, Any]:
    """The problem document the gateway would have answered with, byte for byte."""
    body = problem.response(request_id=request_id, instance=path).body
    document: dict[str, Any] = json.loads(bytes(body))
    return document

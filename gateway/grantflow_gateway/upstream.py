"""The gRPC side of the gateway: one channel per service, one callable per route."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import grpc
from google.protobuf.message import Message

from grantflow_gateway.routes import Route
from grantflow_gateway.translate import message_class


class Upstreams:
    def __init__(self, addresses: Mapping[str, str], *, max_message_bytes: int) -> None:
        self.addresses = dict(addresses)
        self.max_message_bytes = max_message_bytes
        self.channels: dict[str, grpc.aio.Channel] = {}
        self._calls: dict[str, grpc.aio.UnaryUnaryMultiCallable[Any, Any]] = {}

    def open(self, routes: Sequence[Route]) -> None:
        options = [
            ("grpc.max_receive_message_length", self.max_message_bytes),
            ("grpc.max_send_message_length", self.max_message_bytes),
        ]
        for name, address in self.addresses.items():
            self.channels[name] = grpc.aio.insecure_channel(address, options=options)
        for route in routes:
            self._calls[route.rpc] = self.channels[route.upstream].unary_unary(
                route.grpc_path,
                request_serializer=message_class(route.input).SerializeToString,
                response_deserializer=message_class(route.output).FromString,
            )

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.channels.values()))

    async def call(
        self,
        route: Route,
        request: Message,
        *,
        metadata: Sequence[tuple[str, str]],
        timeout: float,
    ) -> Message:
        response: Message = await self._calls[route.rpc](
            request, metadata=tuple(metadata), timeout=timeout
        )
        return response

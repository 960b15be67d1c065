"""The three services' gRPC surface as an outside caller sees it: every method, read from the
service descriptors (not from the gateway's route table, so a method without a route is still
found), and one way to call any of them directly with an identity and read the whole answer.

Errors are read from the raw trailing metadata rather than with `grpc_status.rpc_status`, which
raises when the rich status and the call's code disagree: that disagreement is itself something
these tests report.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor, MethodDescriptor
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grantflow_gateway.router import Router
from grantflow_gateway.routes import ROUTES, UPSTREAM, Route
from grantflow_gateway.translate import build_request, message_class
from grantflow_runtime.context import Identity
from grantflow_runtime.grpc_server import identity_metadata

from tests.gateway.stack import Stack

DETAILS_KEY = "grpc-status-details-bin"
# Larger than any server's cap, so a test can make the server (not the client) refuse a message.
CLIENT_SEND_LIMIT = 256 * 1024 * 1024
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
_REQUEST_ID = re.compile(r"request id [0-9a-f]{32}")


def service_methods() -> tuple[MethodDescriptor, ...]:
    """Every method of the three services, in declaration order."""
    pool = descriptor_pool.Default()
    return tuple(method for name in UPSTREAM for method in pool.FindServiceByName(name).methods)


def descriptor_of(message: Message) -> Descriptor:
    """A message's descriptor as the pure-Python type (the stubs also allow upb's own)."""
    found = message.DESCRIPTOR
    assert isinstance(found, Descriptor)
    return found


def by_name(name: str) -> MethodDescriptor:
    """A method by its full name ("grantflow.scoring.v1.ScoringService.GetPanel")."""
    service, _, method = name.rpartition(".")
    found = descriptor_pool.Default().FindServiceByName(service).FindMethodByName(method)
    if found is None:
        raise LookupError(name)
    return found


def grpc_path(method: MethodDescriptor) -> str:
    return f"/{method.containing_service.full_name}/{method.name}"


def upstream(method: MethodDescriptor) -> str:
    return UPSTREAM[method.containing_service.full_name]


@dataclass(frozen=True)
class Answer:
    """What a call came back with: a response, or a status with its rich details."""

    method: str
    code: grpc.StatusCode
    details: str
    response: Message | None = None
    reason: str = ""
    violations: tuple[tuple[str, str], ...] = ()
    # The rich status names another code than the call ended with (a transport failure
    # replaced the service's answer), or could not be parsed.
    status_mismatch: bool = False

    @property
    def ok(self) -> bool:
        return self.code is grpc.StatusCode.OK

    def shape(self) -> tuple[Any, ...]:
        """The answer as compared between a foreign and a missing object: ids, times and request
        ids replaced by placeholders, since a detail names the id that was asked for."""
        body = MessageToDict(self.response) if self.response is not None else None
        return (
            self.code.name,
            scrub(self.details),
            self.reason,
            scrub(list(self.violations)),
            scrub(body),
        )

    def brief(self) -> str:
        text = f"{self.code.name} {self.details[:200]!r}"
        if self.violations:
            text += f" violations={[f for f, _ in self.violations][:8]}"
        return text


def scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _REQUEST_ID.sub("request id <rid>", _TIME.sub("<time>", _UUID.sub("<id>", value)))
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    return value


def answer_from_error(method: str, error: grpc.RpcError) -> Answer:
    """An Answer from a failed call of either the sync or the asyncio API."""
    # Both APIs' errors are grpc.Call objects too; the stubs do not say so.
    call: Any = error
    code: grpc.StatusCode = call.code()
    details: str = call.details() or ""
    trailing: Sequence[tuple[str, Any]] = tuple(call.trailing_metadata() or ())
    reason = ""
    violations: list[tuple[str, str]] = []
    mismatch = False
    for key, value in trailing:
        if key != DETAILS_KEY:
            continue
        try:
            status = status_pb2.Status.FromString(value)
        except Exception:
            mismatch = True
            continue
        mismatch = mismatch or status.code != code.value[0]
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason = info.reason
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                violations += [(v.field, v.description) for v in bad.field_violations]
    return Answer(method, code, details, None, reason, tuple(violations), mismatch)


def call_metadata(who: Identity | None) -> tuple[tuple[str, str], ...]:
    # A fresh request id per call, as the gateway sends, so log lines can be told apart.
    base = (("x-request-id", uuid.uuid4().hex),)
    return base if who is None else (*base, *identity_metadata(who))


def _serialize(request: Message | bytes) -> bytes:
    # Raw bytes pass through, so a test can send what no message object would hold cheaply.
    return request if isinstance(request, bytes) else request.SerializeToString()


def channel_options(max_receive: int = 4 * 1024 * 1024) -> list[tuple[str, int]]:
    return [
        ("grpc.max_send_message_length", CLIENT_SEND_LIMIT),
        ("grpc.max_receive_message_length", max_receive),
    ]


class Surface:
    """Direct asyncio calls to the services of a running stack, bypassing the gateway."""

    def __init__(self, ports: Mapping[str, int]) -> None:
        self.channels = {
            name: grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=channel_options())
            for name, port in ports.items()
        }

    @classmethod
    def of(cls, stack: Stack) -> Surface:
        return cls({name: host.port for name, host in stack.hosts.items()})

    async def call(
        self,
        method: MethodDescriptor,
        request: Message | bytes,
        who: Identity | None,
        *,
        timeout: float | None = 30.0,
        metadata: Sequence[tuple[str, str]] | None = None,
    ) -> Answer:
        callable_ = self.channels[upstream(method)].unary_unary(
            grpc_path(method),
            request_serializer=_serialize,
            response_deserializer=message_class(method.output_type).FromString,
        )
        sent = tuple(metadata) if metadata is not None else call_metadata(who)
        try:
            response: Message = await callable_(request, metadata=sent, timeout=timeout)
        except grpc.aio.AioRpcError as exc:
            return answer_from_error(method.full_name, exc)
        return Answer(method.full_name, grpc.StatusCode.OK, "", response)

    async def close(self) -> None:
        for chan in self.channels.values():
            await chan.close()


class SyncSurface:
    """The same calls with the blocking API, for code that runs in a worker thread (hypothesis)
    while the services keep serving on the test's event loop."""

    def __init__(self, ports: Mapping[str, int]) -> None:
        self.channels = {
            name: grpc.insecure_channel(f"127.0.0.1:{port}", options=channel_options())
            for name, port in ports.items()
        }

    def call(
        self,
        method: MethodDescriptor,
        request: Message,
        who: Identity | None,
        *,
        timeout: float = 30.0,
    ) -> Answer:
        callable_ = self.channels[upstream(method)].unary_unary(
            grpc_path(method),
            request_serializer=_serialize,
            response_deserializer=message_class(method.output_type).FromString,
        )
        try:
            response: Message = callable_(request, metadata=call_metadata(who), timeout=timeout)
        except grpc.RpcError as exc:
            return answer_from_error(method.full_name, exc)
        return Answer(method.full_name, grpc.StatusCode.OK, "", response)

    def close(self) -> None:
        for chan in self.channels.values():
            chan.close()


ROUTER = Router(ROUTES)
ROUTE_OF_METHOD: dict[str, Route] = {route.rpc: route for route in ROUTES}


def http_to_grpc(
    method: str, path: str, *, json: Any = None, params: Mapping[str, str] | None = None
) -> tuple[MethodDescriptor, Message]:
    """The request message the gateway would send for an HTTP request, built by the gateway's
    own translation, so a case written for the HTTP matrix can be replayed against a service."""
    route, values = ROUTER.match(method, path)
    message = build_request(
        route,
        path_values=values,
        query=list((params or {}).items()),
        body=json,
        request_id=uuid.uuid4().hex,
        max_page_size=500,
    )
    return route.descriptor, message

"""The gRPC server bootstrap every service uses: health, reflection, interceptors, limits, shutdown."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import grpc
import sqlalchemy.exc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status

from grantflow_runtime.config import Config
from grantflow_runtime.context import REQUEST_ID_KEY, Identity, Role, bound, new_request_id
from grantflow_runtime.errors import (
    AlreadyExists,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from grantflow_runtime.logs import get_logger
from grantflow_runtime.requestcheck import request_violations

log = get_logger(__name__)

ERROR_DOMAIN = "grantflow.io"

# Identity headers set by the gateway after it verified the caller's token.
SUBJECT_KEY = "x-grantflow-subject"
ROLE_KEY = "x-grantflow-role"
ORGANISATION_KEY = "x-grantflow-organisation-id"
EXPERT_KEY = "x-grantflow-expert-id"

_CODES: tuple[tuple[type[DomainError], grpc.StatusCode], ...] = (
    (InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
)


def status_code_for(error: DomainError) -> grpc.StatusCode:
    for kind, code in _CODES:
        if isinstance(error, kind):
            return code
    return grpc.StatusCode.FAILED_PRECONDITION


def rich_status(error: DomainError, *, service: str) -> grpc.Status:
    """A `google.rpc.Status` with ErrorInfo and, for invalid arguments, a BadRequest of field violations."""
    code = status_code_for(error)
    details: list[any_pb2.Any] = []
    info = any_pb2.Any()
    info.Pack(
        error_details_pb2.ErrorInfo(
            reason=error.reason, domain=ERROR_DOMAIN, metadata={"service": service}
        )
    )
    details.append(info)
    if isinstance(error, InvalidArgument):
        packed = any_pb2.Any()
        packed.Pack(_bounded_bad_request(error))
        details.append(packed)
    status = status_pb2.Status(
        code=code.value[0], message=_clip(error.message, MAX_STATUS_MESSAGE), details=details
    )
    return rpc_status.to_status(status)


# A status travels in trailing metadata, which clients cap at 8 KiB; past it the call dies in
# transport. So messages and violations are clipped, and a long list ends with a count.
MAX_STATUS_MESSAGE = 1000
MAX_VIOLATIONS = 20
MAX_VIOLATION_TEXT = 200


def _bounded_bad_request(error: InvalidArgument) -> error_details_pb2.BadRequest:
    shown = error.violations[:MAX_VIOLATIONS]
    lines = [
        error_details_pb2.BadRequest.FieldViolation(
            field=_clip(v.field, MAX_VIOLATION_TEXT),
            description=_clip(v.description, MAX_VIOLATION_TEXT),
            reason=v.rule.upper()[:64],
        )
        for v in shown
    ]
    hidden = len(error.violations) - len(shown)
    if hidden:
        lines.append(
            error_details_pb2.BadRequest.FieldViolation(
                field="", description=f"and {hidden} more violations", reason="TRUNCATED"
            )
        )
    return error_details_pb2.BadRequest(field_violations=lines)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def identity_from_metadata(metadata: dict[str, str]) -> Identity | None:
    subject = metadata.get(SUBJECT_KEY, "")
    role = metadata.get(ROLE_KEY, "")
    if not subject or not role:
        return None
    try:
        parsed = Role(role)
    except ValueError as exc:
        raise Unauthenticated(f"unknown role {role!r}") from exc
    return Identity(
        subject=subject,
        role=parsed,
        organisation_id=metadata.get(ORGANISATION_KEY, ""),
        expert_id=metadata.get(EXPERT_KEY, ""),
    )


def identity_metadata(identity: Identity) -> tuple[tuple[str, str], ...]:
    pairs = [(SUBJECT_KEY, identity.subject), (ROLE_KEY, identity.role.value)]
    if identity.organisation_id:
        pairs.append((ORGANISATION_KEY, identity.organisation_id))
    if identity.expert_id:
        pairs.append((EXPERT_KEY, identity.expert_id))
    return tuple(pairs)


class CallContextInterceptor(grpc.aio.ServerInterceptor):
    """Binds request id and identity for each unary call, logs it, and maps domain errors to status.

    Streaming handlers (health Watch, reflection) pass through untouched.
    """

    def __init__(self, service: str) -> None:
        self.service = service

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        method = handler_call_details.method
        inner: Any = handler.unary_unary
        service = self.service

        async def call(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            metadata = {k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)}
            request_id = metadata.get(REQUEST_ID_KEY) or new_request_id()
            started = time.perf_counter()
            try:
                identity = identity_from_metadata(metadata)
            except Unauthenticated as exc:
                status = rich_status(exc, service=service)
                await context.abort(status.code, status.details, status.trailing_metadata)
            with bound(request_id, identity):
                await context.send_initial_metadata(((REQUEST_ID_KEY, request_id),))
                try:
                    refused = request_violations(request)
                    if refused:
                        raise InvalidArgument(refused)
                    response = await inner(request, context)
                except DomainError as exc:
                    status = rich_status(exc, service=service)
                    log.info(
                        "rpc",
                        method=method,
                        code=status.code.name,
                        error=exc.message,
                        ms=_ms(started),
                    )
                    await context.abort(status.code, status.details, status.trailing_metadata)
                except grpc.aio.AbortError:
                    raise
                except Exception as exc:
                    retry = database_status(exc)
                    if retry is not None:
                        # The database, not the request, failed: a retry may succeed, and its
                        # request id keeps it from acting twice.
                        log.warning(
                            "rpc hit a database failure",
                            method=method,
                            code=retry.name,
                            error=str(getattr(exc, "orig", exc))[:300],
                            ms=_ms(started),
                        )
                        await context.abort(
                            retry, f"the database is unavailable; retry (request id {request_id})"
                        )
                    log.exception("rpc failed", method=method, code="INTERNAL", ms=_ms(started))
                    # Never leak internals to the caller; the request id finds the log line.
                    await context.abort(
                        grpc.StatusCode.INTERNAL, f"internal error (request id {request_id})"
                    )
                log.info("rpc", method=method, code="OK", ms=_ms(started))
                return response

        return grpc.unary_unary_rpc_method_handler(
            call,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


# PostgreSQL's "try again" conditions: serialization failure, deadlock, lock not available.
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


def database_status(exc: BaseException) -> grpc.StatusCode | None:
    """ABORTED for a conflict the database resolved by failing this transaction; UNAVAILABLE when
    the database could not be reached, stayed locked past its timeout, or dropped the connection;
    None for anything else (a constraint or type error is a bug, not a reason to retry)."""
    if isinstance(exc, sqlalchemy.exc.TimeoutError):  # no pooled connection in time
        return grpc.StatusCode.UNAVAILABLE
    if not isinstance(exc, sqlalchemy.exc.DBAPIError):
        return None
    original = getattr(exc, "orig", None)
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return grpc.StatusCode.ABORTED
    if exc.connection_invalidated or isinstance(
        exc, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)
    ):
        return grpc.StatusCode.UNAVAILABLE
    if type(exc) is sqlalchemy.exc.DBAPIError and "Connection" in type(original).__name__:
        return grpc.StatusCode.UNAVAILABLE  # asyncpg's ConnectionDoesNotExistError and kin
    return None


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


class GrpcServer:
    """A `grpc.aio` server with the standard health service (per service name) and reflection."""

    def __init__(
        self,
        *,
        name: str,
        config: Config,
        port: int,
        register: Callable[[grpc.aio.Server], Iterable[str]],
    ) -> None:
        self.name = name
        self.config = config
        options = [
            ("grpc.max_receive_message_length", config.max_message_bytes),
            ("grpc.max_send_message_length", config.max_message_bytes),
            ("grpc.so_reuseport", 1),
        ]
        self.server = grpc.aio.server(
            interceptors=[CallContextInterceptor(name)],
            options=options,
            maximum_concurrent_rpcs=config.max_concurrent_rpcs,
        )
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.service_names = tuple(register(self.server))
        reflection.enable_server_reflection(
            (*self.service_names, health.SERVICE_NAME, reflection.SERVICE_NAME), self.server
        )
        self.port = self.server.add_insecure_port(f"{config.grpc_host}:{port}")
        if self.port == 0:
            raise OSError(f"{name}: cannot bind gRPC port {config.grpc_host}:{port}")

    async def start(self) -> None:
        await self.server.start()

    async def set_serving(self) -> None:
        for service_name in ("", *self.service_names):
            await self.health.set(service_name, health_pb2.HealthCheckResponse.SERVING)

    async def stop(self) -> None:
        """Graceful: health goes NOT_SERVING first, then in-flight calls get the grace period to finish."""
        await self.health.enter_graceful_shutdown()
        grace = self.config.shutdown_grace_s
        stopping = asyncio.ensure_future(self.server.stop(grace))
        # asyncio.wait, not wait_for: grpc's stop has been seen to ignore cancellation, and
        # wait_for would then wait for it for ever. A stop that overruns is left behind.
        done, _ = await asyncio.wait({stopping}, timeout=grace + 5)
        if not done:
            log.warning("gRPC server did not stop within its grace period; leaving it behind")


__all__ = ["GrpcServer", "identity_from_metadata", "identity_metadata", "rich_status"]

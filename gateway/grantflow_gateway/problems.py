"""Errors as RFC 9457 problem details, with one mapping from gRPC status codes to HTTP statuses."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import grpc
from grantflow_runtime.grpc_client import bad_request, error_reason
from starlette.responses import JSONResponse

MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://grantflow.io/problems/"

# One HTTP status per gRPC code. A rule broken by the current state (deadline passed, already
# submitted) is a conflict with the resource's state: 409, like a duplicate.
HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.OUT_OF_RANGE: 422,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.CANCELLED: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}

TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid argument",
    429: "Too many requests",
    500: "Internal error",
    501: "Not implemented",
    503: "Service unavailable",
    504: "Upstream deadline exceeded",
}

# Codes whose message could carry internals: the caller gets a fixed text and the request id.
_OPAQUE = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS}


@dataclass(frozen=True)
class Violation:
    field: str
    description: str
    reason: str = ""


# Not frozen: the interpreter sets __traceback__ on exceptions it raises.
@dataclass(eq=False)
class Problem(Exception):
    status: int
    detail: str
    reason: str = ""
    code: str = ""
    violations: tuple[Violation, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return TITLES.get(self.status, "Error")

    def response(self, *, request_id: str, instance: str) -> JSONResponse:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE
            + (self.reason or self.title).lower().replace(" ", "-").replace("_", "-"),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            "requestId": request_id,
        }
        if self.code:
            body["code"] = self.code
        if self.reason:
            body["reason"] = self.reason
        if self.violations:
            body["violations"] = [
                {"field": v.field, "description": v.description, "reason": v.reason}
                for v in self.violations
            ]
        return JSONResponse(
            body, status_code=self.status, headers=self.headers, media_type=MEDIA_TYPE
        )


def bad_request_problem(violations: list[Violation], detail: str = "") -> Problem:
    """A request the gateway cannot read (malformed JSON, wrong types, unknown fields): 400."""
    summary = "; ".join(f"{v.field}: {v.description}" for v in violations)
    return Problem(
        400,
        detail or f"invalid request: {summary}",
        reason="MALFORMED_REQUEST",
        code="INVALID_ARGUMENT",
        violations=tuple(violations),
    )


def unauthenticated(detail: str, reason: str = "INVALID_TOKEN") -> Problem:
    return Problem(
        401,
        detail,
        reason=reason,
        code="UNAUTHENTICATED",
        headers={
            "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{_header_safe(detail)}"'
        },
    )


def from_rpc_error(error: grpc.aio.AioRpcError, *, request_id: str) -> Problem:
    code = error.code()
    status = HTTP_STATUS.get(code, 500)
    detail = error.details() or code.name.lower()
    if code in _OPAQUE or status == 500:
        detail = f"internal error (request id {request_id})"
    elif code is grpc.StatusCode.DEADLINE_EXCEEDED:
        detail = "the service did not answer in time"
    elif code is grpc.StatusCode.UNAVAILABLE:
        detail = "the service is unavailable; retry later"
    violations = _violations(error)
    headers = {"Retry-After": "1"} if status in (429, 503) else {}
    if status == 401:
        return unauthenticated(detail)
    return Problem(
        status,
        detail,
        reason=_reason(error) or code.name,
        code=code.name,
        violations=violations,
        headers=headers,
    )


def _violations(error: grpc.aio.AioRpcError) -> tuple[Violation, ...]:
    # A status whose details do not match its code (a transport failure) carries none we can use.
    try:
        found = bad_request(error)
    except ValueError:
        return ()
    return tuple(Violation(json_path(v.field), v.description, v.reason) for v in found)


def _reason(error: grpc.aio.AioRpcError) -> str:
    try:
        return error_reason(error)
    except ValueError:
        return ""


_SNAKE = re.compile(r"_([a-z0-9])")


def json_path(proto_path: str) -> str:
    """`budget_lines[2].unit_cost` -> `budgetLines[2].unitCost`: the names the JSON body uses."""
    return _SNAKE.sub(lambda m: m.group(1).upper(), proto_path)


def _header_safe(text: str) -> str:
    return "".join(c for c in text if c.isprintable() and c not in '"\\')[:200]

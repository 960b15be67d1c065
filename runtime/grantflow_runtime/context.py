"""Per-call context: the request id and the caller's verified identity, carried in contextvars."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum

import structlog

REQUEST_ID_KEY = "x-request-id"


class Role(StrEnum):
    APPLICANT = "applicant"
    EXPERT = "expert"
    FUNDER = "funder"
    ADMIN = "admin"
    # Another Grantflow service or an operator tool inside the trust boundary.
    SYSTEM = "system"


@dataclass(frozen=True)
class Identity:
    """Who is calling, as verified by the gateway and passed on in gRPC metadata."""

    subject: str
    role: Role
    # The organisation an applicant acts for, or the expert id of an expert.
    organisation_id: str = ""
    expert_id: str = ""


_request_id: ContextVar[str] = ContextVar("grantflow_request_id", default="")
_identity: ContextVar[Identity | None] = ContextVar("grantflow_identity", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    return _request_id.get()


def current_identity() -> Identity | None:
    return _identity.get()


@contextmanager
def bound(request_id: str, identity: Identity | None = None) -> Iterator[None]:
    """Bind a request id (and identity) for the duration of a call, in contextvars and in logs."""
    rid_token = _request_id.set(request_id)
    id_token = _identity.set(identity)
    fields: dict[str, str] = {"request_id": request_id}
    if identity is not None:
        fields["role"] = identity.role.value
    with structlog.contextvars.bound_contextvars(**fields):
        try:
            yield
        finally:
            _identity.reset(id_token)
            _request_id.reset(rid_token)

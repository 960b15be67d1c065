"""Domain errors in plain Python. Domain code raises these; the gRPC edge maps them to status codes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldViolation:
    """One broken rule, named by the path of the field (`competition.max_grant`) and the rule."""

    field: str
    description: str
    # A stable machine-readable rule name, for example "required" or "range".
    rule: str = ""


class DomainError(Exception):
    """Base of errors that are the caller's to fix, never the server's fault."""

    reason = "DOMAIN_ERROR"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason


class InvalidArgument(DomainError):
    reason = "INVALID_ARGUMENT"

    def __init__(self, violations: Iterable[FieldViolation], message: str | None = None) -> None:
        self.violations = tuple(violations)
        if not self.violations:
            raise ValueError("InvalidArgument needs at least one violation")
        summary = "; ".join(f"{v.field}: {v.description}" for v in self.violations)
        super().__init__(message or f"invalid request: {summary}")


class FailedPrecondition(DomainError):
    """A rule broken by the current state (deadline passed, already submitted...)."""

    reason = "FAILED_PRECONDITION"


class NotFound(DomainError):
    reason = "NOT_FOUND"


class AlreadyExists(DomainError):
    reason = "ALREADY_EXISTS"


class PermissionDenied(DomainError):
    reason = "PERMISSION_DENIED"


class Unauthenticated(DomainError):
    reason = "UNAUTHENTICATED"


class Violations:
    """Collects every violation of a request so the caller can fix all of them in one pass."""

    def __init__(self) -> None:
        self._items: list[FieldViolation] = []

    def add(self, field: str, description: str, rule: str = "") -> None:
        self._items.append(FieldViolation(field, description, rule))

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self) -> Iterator[FieldViolation]:
        return iter(self._items)

    def raise_if_any(self) -> None:
        if self._items:
            raise InvalidArgument(self._items)

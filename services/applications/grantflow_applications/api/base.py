"""What every group of the service's gRPC methods shares."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from grantflow_runtime.db import Database
from grantflow_runtime.errors import FieldViolation, InvalidArgument
from grantflow_runtime.idempotency import IdempotencyStore
from grantflow_runtime.outbox import Outbox

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def required_id(value: str, field: str) -> str:
    if not value:
        raise InvalidArgument([FieldViolation(field, "is required", "required")])
    return value


class Methods:
    def __init__(
        self, db: Database, outbox: Outbox, idempotency: IdempotencyStore, clock: Clock = utcnow
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.idempotency = idempotency
        self.clock = clock

"""AIP-155 request ids: a retried create or submit returns the first result instead of acting twice."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from google.protobuf.message import Message
from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_runtime.db import Database
from grantflow_runtime.errors import AlreadyExists, FieldViolation, InvalidArgument

R = TypeVar("R", bound=Message)

MAX_REQUEST_ID = 100


def fingerprint(request: Message) -> str:
    return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()


def check_request_id(request_id: str) -> None:
    if len(request_id) > MAX_REQUEST_ID:
        raise InvalidArgument(
            [
                FieldViolation(
                    "request_id", f"must be at most {MAX_REQUEST_ID} characters", "max_len"
                )
            ]
        )


class IdempotencyStore:
    def __init__(self, table: Table) -> None:
        self.table = table

    async def replay(
        self,
        session: AsyncSession,
        *,
        operation: str,
        request_id: str,
        caller: str,
        request: Message,
        response_type: type[R],
    ) -> R | None:
        """The stored response of an earlier call with this request id, or None if there was none."""
        if not request_id:
            return None
        t = self.table
        row = (
            await session.execute(
                select(t.c.request_fingerprint, t.c.response).where(
                    t.c.operation == operation, t.c.request_id == request_id, t.c.caller == caller
                )
            )
        ).first()
        if row is None:
            return None
        if row.request_fingerprint != fingerprint(request):
            raise AlreadyExists(
                f"request_id {request_id!r} was already used for a different {operation} request",
                reason="REQUEST_ID_REUSED",
            )
        response = response_type()
        response.ParseFromString(row.response)
        return response

    async def claim(
        self,
        session: AsyncSession,
        *,
        operation: str,
        request_id: str,
        caller: str,
        request: Message,
    ) -> None:
        """Take the request id before acting. A concurrent call with the same id blocks on this row
        (PostgreSQL) until the first commits, then fails on the key and replays the stored answer;
        if the first fails, its claim rolls back with it and the retry acts afresh."""
        if not request_id:
            return
        await session.execute(
            insert(self.table).values(
                operation=operation,
                request_id=request_id,
                caller=caller,
                request_fingerprint=fingerprint(request),
                response=b"",
                created_at=datetime.now(UTC),
            )
        )

    async def complete(
        self,
        session: AsyncSession,
        *,
        operation: str,
        request_id: str,
        caller: str,
        response: Message,
    ) -> None:
        """Store the response in the same transaction as the effect it describes."""
        if not request_id:
            return
        t = self.table
        await session.execute(
            update(t)
            .where(t.c.operation == operation, t.c.request_id == request_id, t.c.caller == caller)
            .values(response=response.SerializeToString(deterministic=True))
        )


async def idempotent(
    db: Database,
    store: IdempotencyStore,
    *,
    operation: str,
    request_id: str,
    caller: str,
    request: Message,
    response_type: type[R],
    action: Callable[[AsyncSession], Awaitable[R]],
) -> R:
    """Run `action` in a transaction once per request id; a retry gets the first response back.

    Two concurrent calls with one request id serialise on the claimed idempotency row: only one
    acts, and the other answers with its response. A unique key of the
    action itself (a duplicate code) that a concurrent call took first is also retried once, so the
    action sees the committed row and raises its own domain error instead of an internal one.
    """
    check_request_id(request_id)
    for attempt in range(2):
        try:
            async with db.transaction() as session:
                earlier = await store.replay(
                    session,
                    operation=operation,
                    request_id=request_id,
                    caller=caller,
                    request=request,
                    response_type=response_type,
                )
                if earlier is not None:
                    return earlier
                await store.claim(
                    session,
                    operation=operation,
                    request_id=request_id,
                    caller=caller,
                    request=request,
                )
                response = await action(session)
                await store.complete(
                    session,
                    operation=operation,
                    request_id=request_id,
                    caller=caller,
                    response=response,
                )
                return response
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")

"""The outbox relay: publishes committed outbox rows to JetStream and marks them sent after the ack."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import PubAck
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_runtime.db import Database
from grantflow_runtime.logs import get_logger

log = get_logger(__name__)

MAX_BACKOFF_S = 5.0


@dataclass(frozen=True)
class RoundResult:
    published: int
    duplicates: int
    failed: int


class OutboxRelay:
    """Publishes with `Nats-Msg-Id` = event id, so a crash between the ack and marking the row sent
    only causes a re-publish that JetStream de-duplicates (and consumers' inboxes would ignore).

    On PostgreSQL the rows of a round are claimed with `FOR UPDATE SKIP LOCKED`, so several replicas
    share the backlog without publishing the same row at once. A SQLite database has one process.
    """

    def __init__(
        self,
        db: Database,
        table: Table,
        js: JetStreamContext,
        *,
        batch: int = 256,
        poll_s: float = 1.0,
        publish_timeout_s: float = 5.0,
    ) -> None:
        self.db = db
        self.table = table
        self.js = js
        self.batch = batch
        self.poll_s = poll_s
        self.publish_timeout_s = publish_timeout_s
        self._wake = asyncio.Event()
        db.on_commit(self.wake)

    def wake(self) -> None:
        self._wake.set()

    async def _back_off(self, failures: int) -> None:
        """Wait longer after each failed round, but at most MAX_BACKOFF_S, and stop waiting when a
        commit wakes the relay: after NATS fails over, events should not sit out a long back-off."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                self._wake.wait(), timeout=min(self.poll_s * 2**failures, MAX_BACKOFF_S)
            )

    async def run(self) -> None:
        """Publish until cancelled: at once after a commit, and every `poll_s` as a fallback."""
        failures = 0
        while True:
            self._wake.clear()
            try:
                result = await self.publish_pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                failures += 1
                log.exception("outbox relay round failed", consecutive_failures=failures)
                await self._back_off(failures)
                continue
            failures = 0 if result.failed == 0 else failures + 1
            if result.failed:
                await self._back_off(failures)
            elif result.published + result.duplicates >= self.batch:
                continue  # a full batch: there is probably more waiting
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)

    async def publish_pending(self) -> RoundResult:
        """One round: claim up to `batch` unsent rows, publish them with acks in flight together,
        mark the acknowledged ones sent."""
        if self.db.is_sqlite:
            async with self.db.reading() as session:
                rows = await self._unsent(session, lock=False)
            if not rows:
                return RoundResult(0, 0, 0)
            acks = await self._publish(rows)
            async with self.db.transaction(notify=False) as session:
                return await self._record(session, rows, acks)
        async with self.db.transaction(notify=False) as session:
            rows = await self._unsent(session, lock=True)
            if not rows:
                return RoundResult(0, 0, 0)
            acks = await self._publish(rows)
            return await self._record(session, rows, acks)

    async def _unsent(self, session: AsyncSession, *, lock: bool) -> Sequence[Any]:
        t = self.table
        query = select(t.c.seq, t.c.event_id, t.c.subject, t.c.payload, t.c.headers)
        query = query.where(t.c.sent_at.is_(None)).order_by(t.c.seq).limit(self.batch)
        if lock:
            query = query.with_for_update(skip_locked=True)
        return (await session.execute(query)).all()

    async def _publish(self, rows: Sequence[Any]) -> list[PubAck | BaseException]:
        # One connection sends in call order, so the stream keeps outbox order while acks overlap.
        return await asyncio.gather(
            *(
                self.js.publish(
                    row.subject,
                    row.payload,
                    headers=dict(row.headers),
                    timeout=self.publish_timeout_s,
                )
                for row in rows
            ),
            return_exceptions=True,
        )

    async def _record(
        self, session: AsyncSession, rows: Sequence[Any], acks: list[PubAck | BaseException]
    ) -> RoundResult:
        now = datetime.now(UTC)
        sent = [row.seq for row, ack in zip(rows, acks, strict=True) if isinstance(ack, PubAck)]
        duplicates = sum(1 for ack in acks if isinstance(ack, PubAck) and ack.duplicate)
        await self._mark_sent(session, sent, now)
        failed = [
            (row, ack) for row, ack in zip(rows, acks, strict=True) if not isinstance(ack, PubAck)
        ]
        t = self.table
        for row, error in failed:
            await session.execute(
                update(t)
                .where(t.c.seq == row.seq)
                .values(attempts=t.c.attempts + 1, last_error=repr(error)[:2000])
            )
        if failed:
            log.warning("outbox publish failed", failed=len(failed), first_error=repr(failed[0][1]))
        if sent:
            log.debug("outbox published", published=len(sent), duplicates=duplicates)
        return RoundResult(
            published=len(sent) - duplicates, duplicates=duplicates, failed=len(failed)
        )

    async def _mark_sent(self, session: AsyncSession, seqs: list[int], now: datetime) -> None:
        if seqs:
            t = self.table
            await session.execute(update(t).where(t.c.seq.in_(seqs)).values(sent_at=now))

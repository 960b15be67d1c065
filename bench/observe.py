"""Reading the system from outside while it runs: the services' databases (read-only queries) and
JetStream's view of the durable consumers. Nothing here goes through the services' APIs, so
observing costs them no request handling."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType

import nats
from grantflow_applications.adapters.tables import ApplicationRow
from grantflow_applications.adapters.tables import messaging as applications_messaging
from grantflow_runtime import catalogue
from grantflow_runtime.db import Database
from grantflow_scoring.adapters.tables import SubmittedApplicationRow
from grantflow_scoring.adapters.tables import messaging as scoring_messaging
from nats.aio.client import Client
from sqlalchemy import func, select

STREAM = "GRANTFLOW"
SUBMITTED = catalogue.APPLICATION_SUBMITTED.subject


@dataclass(frozen=True)
class Delivery:
    """One ApplicationSubmitted event: when its outbox row was written (the `ce-time` header
    carries the same instant) and when scoring's inbox row committed."""

    event_id: str
    created_at: datetime
    processed_at: datetime

    @property
    def lag_s(self) -> float:
        return (self.processed_at - self.created_at).total_seconds()


class Observer:
    def __init__(self, nats_url: str, database_urls: dict[str, str]) -> None:
        self.nats_url = nats_url
        self.applications = Database(database_urls["applications"], pool_size=2)
        self.scoring = Database(database_urls["scoring"], pool_size=2)
        self._nc: Client | None = None

    async def __aenter__(self) -> Observer:
        self._nc = await nats.connect(self.nats_url, name="grantflow-bench-observer")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._nc is not None:
            await self._nc.close()
        await self.applications.dispose()
        await self.scoring.dispose()

    async def unsent(self) -> int:
        """Rows in applications' outbox that the relay has not had acknowledged yet."""
        t = applications_messaging.outbox
        async with self.applications.reading() as session:
            return int(await session.scalar(select(func.count()).where(t.c.sent_at.is_(None))) or 0)

    async def consumer_backlog(self, durable: str = "scoring") -> int:
        """Messages the durable has not acknowledged: not yet delivered plus in flight."""
        assert self._nc is not None
        info = await self._nc.jetstream().consumer_info(STREAM, durable)
        return int((info.num_pending or 0) + (info.num_ack_pending or 0))

    async def quiesce(self, timeout: float = 120.0) -> float:
        """Wait until every committed event is published and scoring has applied it, so the
        next measurement does not pay for the previous one's backlog; returns the wait."""
        began = time.monotonic()
        while await self.unsent() or await self.consumer_backlog():
            if time.monotonic() - began > timeout:
                raise TimeoutError(f"the event backlog did not drain within {timeout:.0f}s")
            await asyncio.sleep(0.1)
        return time.monotonic() - began

    async def submitted(self, competition_id: str) -> int:
        a = ApplicationRow
        async with self.applications.reading() as session:
            query = select(func.count()).where(
                a.competition_id == competition_id, a.state == "submitted"
            )
            return int(await session.scalar(query) or 0)

    async def scoring_copies(self, competition_id: str) -> int:
        s = SubmittedApplicationRow
        async with self.scoring.reading() as session:
            query = select(func.count()).where(s.competition_id == competition_id)
            return int(await session.scalar(query) or 0)

    async def deliveries(self, since: datetime) -> list[Delivery]:
        """ApplicationSubmitted events written after `since`, joined to scoring's inbox rows by
        event id; an event scoring has not applied is missing from the result."""
        outbox = applications_messaging.outbox
        inbox = scoring_messaging.inbox
        async with self.applications.reading() as session:
            rows = await session.execute(
                select(outbox.c.event_id, outbox.c.created_at).where(
                    outbox.c.subject == SUBMITTED, outbox.c.created_at >= since
                )
            )
            written: dict[str, datetime] = {r.event_id: r.created_at for r in rows}
        async with self.scoring.reading() as session:
            applied = await session.execute(
                select(inbox.c.event_id, inbox.c.processed_at).where(
                    inbox.c.subject == SUBMITTED, inbox.c.processed_at >= since
                )
            )
            return [
                Delivery(r.event_id, written[r.event_id], r.processed_at)
                for r in applied
                if r.event_id in written
            ]

"""Closes competitions at their deadline. Safe with several replicas: each round locks the due rows
with SKIP LOCKED, and closing checks the state again, so a competition closes (and is announced)
once. Submitted applications go under review in the same transaction."""

from __future__ import annotations

import asyncio
from datetime import datetime

from grantflow_runtime import catalogue
from grantflow_runtime.db import Database
from grantflow_runtime.logs import get_logger
from grantflow_runtime.outbox import Outbox
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_applications.adapters.applications_repo import ApplicationRepository
from grantflow_applications.adapters.competitions_repo import CompetitionRepository
from grantflow_applications.api import events
from grantflow_applications.api.base import Clock, utcnow
from grantflow_applications.domain.competitions import Competition

log = get_logger(__name__)

BATCH = 20


class CompetitionCloser:
    def __init__(
        self, db: Database, outbox: Outbox, *, clock: Clock = utcnow, max_sleep_s: float = 5.0
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.clock = clock
        # Sleeping until the next deadline, but no longer than this: a competition opened meanwhile
        # is noticed within it. Submissions are refused from the deadline on regardless (the rule
        # compares with closes_at), so only the CLOSED state and its event can lag by this much.
        self.max_sleep_s = max_sleep_s

    async def run(self) -> None:
        while True:
            try:
                closed = await self.close_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("closing competitions failed; retrying")
                closed = 0
            if closed >= BATCH:
                continue
            next_deadline = await self._next_deadline()
            wait = self.max_sleep_s
            if next_deadline is not None:
                wait = max(0.0, min(wait, (next_deadline - self.clock()).total_seconds()))
            await asyncio.sleep(wait)

    async def _next_deadline(self) -> datetime | None:
        async with self.db.reading() as session:
            return await CompetitionRepository(session).next_deadline()

    async def close_due(self) -> int:
        """Close every competition past its deadline (up to a batch); returns how many closed."""
        now = self.clock()
        async with self.db.transaction() as session:
            competitions = CompetitionRepository(session)
            due = await competitions.due_to_close(now, BATCH)
            for competition in due:
                await record_closing(session, self.outbox, competition.close(now), now=now)
        return len(due)


async def record_closing(
    session: AsyncSession,
    outbox: Outbox,
    closed: Competition,
    *,
    now: datetime,
    early_reason: str = "",
) -> None:
    """Store a competition that just closed, put its submitted applications under review, and
    announce both, in the caller's transaction."""
    applications = ApplicationRepository(session)
    await CompetitionRepository(session).save(closed)
    submitted = await applications.submitted_in(closed.id)
    for application in submitted:
        reviewed = application.start_review(now)
        await applications.save(application, reviewed, author="system:closing")
        await outbox.add(
            session,
            catalogue.APPLICATION_STATUS_CHANGED,
            events.status_changed(application.state, reviewed),
        )
    await outbox.add(
        session,
        catalogue.COMPETITION_CLOSED,
        events.competition_closed(
            closed, closed_at=now, submitted=len(submitted), early_reason=early_reason
        ),
    )
    log.info(
        "competition closed",
        competition_id=closed.id,
        submitted=len(submitted),
        early=bool(early_reason),
    )

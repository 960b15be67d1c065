"""What the applications service does with other services' facts: award decisions move an
application to AWARDED or DECLINED, so applicants see their result."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from grantflow.events.v1 import awards_pb2
from grantflow_runtime import catalogue
from grantflow_runtime.events import EventEnvelope
from grantflow_runtime.logs import get_logger
from grantflow_runtime.outbox import Outbox
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_applications.adapters.applications_repo import ApplicationRepository
from grantflow_applications.adapters.competitions_repo import CompetitionRepository
from grantflow_applications.api import events
from grantflow_applications.domain.applications import Application, ApplicationState
from grantflow_applications.domain.competitions import CompetitionState

log = get_logger(__name__)

DECIDABLE = (ApplicationState.SUBMITTED, ApplicationState.UNDER_REVIEW)


class DecisionHandlers:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def _decide(
        self,
        session: AsyncSession,
        application_id: str,
        decide: str,
        reason: str,
        at_event: EventEnvelope[Any],
    ) -> None:
        repo = ApplicationRepository(session)
        # Decisions of one competition take turns on its row (locked before the application's, in
        # the order closing uses), so the last decision sees none left waiting.
        seen = await repo.get(application_id)
        competition = (
            await CompetitionRepository(session).get(seen.competition_id, for_update=True)
            if seen is not None
            else None
        )
        current = await repo.get(application_id, for_update=True)
        if current is None or current.state not in DECIDABLE:
            # A withdrawn or already decided application keeps its state; scoring is told so by
            # the log, and the event is still consumed (retrying would not change the facts).
            log.warning(
                "decision ignored",
                application_id=application_id,
                state=current.state.value if current else "missing",
                decision=decide,
                event_id=at_event.id,
            )
            return
        when = at_event.time.astimezone(UTC)
        after: Application = (
            current.award(when) if decide == "award" else current.decline(when, reason)
        )
        await repo.save(current, after, author="system:scoring")
        await self.outbox.add(
            session,
            catalogue.APPLICATION_STATUS_CHANGED,
            events.status_changed(current.state, after),
        )
        if (
            competition is not None
            and competition.state is CompetitionState.CLOSED
            and await repo.undecided_in(competition.id) == 0
        ):
            await CompetitionRepository(session).save(competition.mark_decided(when))
            log.info("competition decided", competition_id=competition.id)

    async def on_award_decided(
        self, session: AsyncSession, event: EventEnvelope[awards_pb2.AwardDecided]
    ) -> None:
        await self._decide(session, event.message.application_id, "award", "", event)

    async def on_application_declined(
        self, session: AsyncSession, event: EventEnvelope[awards_pb2.ApplicationDeclined]
    ) -> None:
        await self._decide(
            session, event.message.application_id, "decline", event.message.reason, event
        )

"""Event handlers: what scoring does when other services' facts arrive. Each runs in the inbox's
transaction, so its effect and the record that the event was processed commit together."""

from __future__ import annotations

from datetime import UTC, datetime

from grantflow.events.v1 import applications_pb2, competitions_pb2
from grantflow_runtime.events import EventEnvelope
from grantflow_runtime.logs import get_logger
from grantflow_runtime.money import Money
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_scoring.adapters.applications_copy import SubmittedApplications
from grantflow_scoring.adapters.panels_repo import PanelRepository
from grantflow_scoring.adapters.reviews_repo import Reviews
from grantflow_scoring.domain.panels import Panel, PanelSettings, PanelState
from grantflow_scoring.domain.rubric import default_rubric

log = get_logger(__name__)


async def on_competition_opened(
    session: AsyncSession, event: EventEnvelope[competitions_pb2.CompetitionOpened]
) -> None:
    m = event.message
    repo = PanelRepository(session)
    # Opening is one-way: a second CompetitionOpened for one competition (a redrive, a replay into a
    # fresh consumer) must not create a second panel.
    if await repo.has_panel(m.competition_id):
        return
    panel = Panel(
        competition_id=m.competition_id,
        title=m.title,
        owner=m.owner,
        state=PanelState.COLLECTING,
        direction_codes=tuple(m.direction_codes),
        budget=Money(m.budget.minor_units, m.budget.currency_code or "RUB"),
        direction_quotas=tuple(
            (q.direction_code, Money(q.amount.minor_units, q.amount.currency_code or "RUB"))
            for q in m.direction_quotas
        ),
        settings=PanelSettings(),
    )
    await repo.add_panel(
        panel=panel,
        rubric=default_rubric(m.competition_id),
        closes_at=m.closes_at.ToDatetime(tzinfo=UTC),
        time_zone=m.time_zone,
        opened_event_id=event.id,
        now=datetime.now(UTC),
        required_indicator_codes=list(m.required_indicator_codes),
    )


async def on_competition_closed(
    session: AsyncSession, event: EventEnvelope[competitions_pb2.CompetitionClosed]
) -> None:
    repo = PanelRepository(session)
    panel = await repo.get(event.message.competition_id, for_update=True)
    if panel is None:
        # Closed before scoring heard it open cannot happen in order; raising retries until it has.
        raise LookupError(f"no panel for competition {event.message.competition_id} yet")
    await repo.save(panel.start_scoring())


async def on_application_submitted(
    session: AsyncSession, event: EventEnvelope[applications_pb2.ApplicationSubmitted]
) -> None:
    await SubmittedApplications(session).remember(event.message)


async def on_application_withdrawn(
    session: AsyncSession, event: EventEnvelope[applications_pb2.ApplicationWithdrawn]
) -> None:
    application_id = event.message.application_id
    await SubmittedApplications(session).withdraw(application_id)
    # It leaves assignment and ranking: open reviews of it end here.
    await Reviews(session).cancel_application(application_id)
    log.info("application withdrawn from scoring", application_id=application_id)

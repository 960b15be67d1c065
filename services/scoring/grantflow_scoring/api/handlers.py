"""Event handlers: what scoring does when other services' facts arrive. Each runs in the inbox's
transaction, so its effect and the record that the event was processed commit together."""

from __future__ import annotations

from datetime import UTC, datetime

from grantflow.events.v1 import competitions_pb2
from grantflow_runtime.events import EventEnvelope
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_scoring.adapters.panels_repo import PanelRepository
from grantflow_scoring.domain.rubric import default_rubric


async def on_competition_opened(
    session: AsyncSession, event: EventEnvelope[competitions_pb2.CompetitionOpened]
) -> None:
    m = event.message
    repo = PanelRepository(session)
    # Opening is one-way: a second CompetitionOpened for one competition (a redrive, a replay into a
    # fresh consumer) must not create a second panel.
    if await repo.has_panel(m.competition_id):
        return
    await repo.add_panel(
        rubric=default_rubric(m.competition_id),
        title=m.title,
        direction_codes=list(m.direction_codes),
        closes_at=m.closes_at.ToDatetime(tzinfo=UTC),
        time_zone=m.time_zone,
        opened_event_id=event.id,
        now=datetime.now(UTC),
    )

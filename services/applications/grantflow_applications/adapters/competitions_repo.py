"""Competitions in the service's database, as domain objects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from grantflow_runtime.money import Money
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_applications.adapters.tables import CompetitionRow
from grantflow_applications.domain.competitions import Competition, CompetitionState


def _to_domain(row: CompetitionRow) -> Competition:
    return Competition(
        id=row.id,
        owner=row.owner,
        title=row.title,
        description=row.description,
        direction_codes=tuple(row.direction_codes),
        min_grant=Money(row.min_grant, row.currency),
        max_grant=Money(row.max_grant, row.currency),
        budget=Money(row.budget, row.currency),
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        time_zone=row.time_zone,
        max_duration_months=row.max_duration_months,
        state=CompetitionState(row.state),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _fill(row: CompetitionRow, c: Competition) -> None:
    row.owner = c.owner
    row.title = c.title
    row.description = c.description
    row.direction_codes = list(c.direction_codes)
    row.currency = c.budget.currency
    row.min_grant = c.min_grant.minor_units
    row.max_grant = c.max_grant.minor_units
    row.budget = c.budget.minor_units
    row.opens_at = c.opens_at
    row.closes_at = c.closes_at
    row.time_zone = c.time_zone
    row.max_duration_months = c.max_duration_months
    row.state = c.state.value
    row.created_at = c.created_at
    row.updated_at = c.updated_at


class CompetitionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, competition_id: str, *, for_update: bool = False) -> Competition | None:
        query = select(CompetitionRow).where(CompetitionRow.id == competition_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).scalar_one_or_none()
        return None if row is None else _to_domain(row)

    async def add(self, competition: Competition) -> None:
        row = CompetitionRow(id=competition.id)
        _fill(row, competition)
        self.session.add(row)
        await self.session.flush()

    async def save(self, competition: Competition) -> None:
        row = await self.session.get(CompetitionRow, competition.id)
        if row is None:
            raise LookupError(competition.id)
        _fill(row, competition)
        await self.session.flush()

    async def page(
        self,
        *,
        limit: int,
        after: tuple[datetime, str] | None,
        state: CompetitionState | None,
        visible_drafts_of: str | None,
        all_drafts: bool,
    ) -> Sequence[Competition]:
        """Newest first. Drafts are visible to their owner (or to all with `all_drafts`)."""
        c = CompetitionRow
        query = select(c)
        if state is not None:
            query = query.where(c.state == state.value)
        if not all_drafts:
            visible = c.state != CompetitionState.DRAFT.value
            if visible_drafts_of:
                visible = or_(visible, c.owner == visible_drafts_of)
            query = query.where(visible)
        if after is not None:
            created, last_id = after
            query = query.where(
                or_(c.created_at < created, and_(c.created_at == created, c.id < last_id))
            )
        query = query.order_by(c.created_at.desc(), c.id.desc()).limit(limit)
        return [_to_domain(r) for r in (await self.session.execute(query)).scalars()]

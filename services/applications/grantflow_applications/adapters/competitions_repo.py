"""Competitions in the service's database, as domain objects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from grantflow_runtime.money import Money
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_applications.adapters.tables import CompetitionRow
from grantflow_applications.domain.applications import CofinancingType
from grantflow_applications.domain.competitions import Competition, CompetitionState
from grantflow_applications.domain.organisations import LegalForm


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
        eligible_region_codes=tuple(row.eligible_region_codes),
        eligible_legal_forms=tuple(LegalForm(f) for f in row.eligible_legal_forms),
        min_cofinancing_percent=Decimal(row.min_cofinancing_percent),
        allowed_cofinancing_types=tuple(CofinancingType(t) for t in row.allowed_cofinancing_types),
        in_kind_cap_percent=Decimal(row.in_kind_cap_percent),
        max_applications_per_organisation=row.max_applications_per_organisation,
        direction_quotas=tuple(
            (code, Money(amount, row.currency)) for code, amount in row.direction_quotas.items()
        ),
        min_registration_months=row.min_registration_months,
        min_registration_months_small=row.min_registration_months_small,
        small_request_max=Money(row.small_request_max, row.currency),
        required_indicator_codes=tuple(row.required_indicator_codes),
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
    row.eligible_region_codes = list(c.eligible_region_codes)
    row.eligible_legal_forms = [f.value for f in c.eligible_legal_forms]
    row.min_cofinancing_percent = str(c.min_cofinancing_percent)
    row.allowed_cofinancing_types = [t.value for t in c.allowed_cofinancing_types]
    row.in_kind_cap_percent = str(c.in_kind_cap_percent)
    row.max_applications_per_organisation = c.max_applications_per_organisation
    row.direction_quotas = {code: amount.minor_units for code, amount in c.direction_quotas}
    row.min_registration_months = c.min_registration_months
    row.min_registration_months_small = c.min_registration_months_small
    row.small_request_max = c.small_request_max.minor_units
    row.required_indicator_codes = list(c.required_indicator_codes)


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

    async def due_to_close(self, now: datetime, limit: int) -> Sequence[Competition]:
        """Open competitions past their deadline, locked for this transaction; rows another
        replica is closing are skipped, so each closes once."""
        query = (
            select(CompetitionRow)
            .where(
                CompetitionRow.state == CompetitionState.OPEN.value, CompetitionRow.closes_at <= now
            )
            .order_by(CompetitionRow.closes_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_to_domain(r) for r in (await self.session.execute(query)).scalars()]

    async def next_deadline(self) -> datetime | None:
        return await self.session.scalar(
            select(func.min(CompetitionRow.closes_at)).where(
                CompetitionRow.state == CompetitionState.OPEN.value
            )
        )

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

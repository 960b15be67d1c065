"""Agreements in the impact database, as domain objects; the plan is stored as one document."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from grantflow_runtime.money import Money
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_impact.adapters.tables import AgreementRow
from grantflow_impact.domain.agreements import (
    Agreement,
    AgreementIndicator,
    BudgetLinePlan,
    ReportingPeriod,
)
from grantflow_impact.domain.indicators import Aggregation, Direction


def _plan(a: Agreement) -> dict[str, Any]:
    return {
        "cofinancing": [[source, amount.minor_units] for source, amount in a.cofinancing_committed],
        "budget": [
            [b.category, b.grant_amount.minor_units, b.cofinanced_amount.minor_units]
            for b in a.budget
        ],
        "indicators": [
            [
                i.key,
                i.title,
                i.unit,
                str(i.baseline),
                str(i.target),
                i.aggregation.value,
                i.direction.value,
            ]
            for i in a.indicators
        ],
        "schedule": [
            [p.number, p.kind, p.starts_on.isoformat(), p.ends_on.isoformat(), p.due_on.isoformat()]
            for p in a.schedule
        ],
    }


def _domain(row: AgreementRow) -> Agreement:
    plan, cur = row.plan, row.currency
    return Agreement(
        id=row.id,
        competition_id=row.competition_id,
        organisation_id=row.organisation_id,
        organisation_inn=row.organisation_inn,
        organisation_name=row.organisation_name,
        region_code=row.region_code,
        direction_code=row.direction_code,
        title=row.title,
        funder=row.funder,
        grant=Money(row.grant, cur),
        cofinancing_committed=tuple(
            (source, Money(amount, cur)) for source, amount in plan["cofinancing"]
        ),
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        budget=tuple(BudgetLinePlan(c, Money(g, cur), Money(f, cur)) for c, g, f in plan["budget"]),
        indicators=tuple(
            AgreementIndicator(
                key=k,
                title=t,
                unit=u,
                baseline=Decimal(b),
                target=Decimal(tg),
                aggregation=Aggregation(ag),
                direction=Direction(d),
            )
            for k, t, u, b, tg, ag, d in plan["indicators"]
        ),
        schedule=tuple(
            ReportingPeriod(
                number=n,
                kind=k,
                starts_on=date.fromisoformat(s),
                ends_on=date.fromisoformat(e),
                due_on=date.fromisoformat(d),
            )
            for n, k, s, e, d in plan["schedule"]
        ),
        created_at=row.created_at,
    )


class AgreementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, agreement_id: str) -> Agreement | None:
        row = await self.session.get(AgreementRow, agreement_id)
        return None if row is None else _domain(row)

    async def add(self, a: Agreement) -> None:
        self.session.add(
            AgreementRow(
                id=a.id,
                competition_id=a.competition_id,
                organisation_id=a.organisation_id,
                organisation_inn=a.organisation_inn,
                organisation_name=a.organisation_name,
                region_code=a.region_code,
                direction_code=a.direction_code,
                title=a.title,
                funder=a.funder,
                currency=a.grant.currency,
                grant=a.grant.minor_units,
                cofinancing_committed=sum(m.minor_units for _, m in a.cofinancing_committed),
                starts_on=a.starts_on,
                ends_on=a.ends_on,
                plan=_plan(a),
                created_at=a.created_at,
            )
        )
        await self.session.flush()

    async def page(
        self,
        *,
        limit: int,
        after: str | None,
        competition_id: str,
        organisation_id: str | None,
        funder: str | None,
    ) -> Sequence[Agreement]:
        query = select(AgreementRow)
        if competition_id:
            query = query.where(AgreementRow.competition_id == competition_id)
        if organisation_id is not None:
            query = query.where(AgreementRow.organisation_id == organisation_id)
        if funder is not None:
            query = query.where(AgreementRow.funder == funder)
        if after is not None:
            query = query.where(AgreementRow.id > after)
        rows = (await self.session.execute(query.order_by(AgreementRow.id).limit(limit))).scalars()
        return [_domain(r) for r in rows]

"""What impact does with other services' facts: an award decision becomes an award agreement,
once, in the same transaction that records the event as processed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from grantflow.events.v1 import awards_pb2
from grantflow_runtime.events import EventEnvelope
from grantflow_runtime.money import Money
from grantflow_runtime.protoconv import from_date
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_impact.adapters.agreements_repo import AgreementRepository
from grantflow_impact.adapters.tables import IndicatorDefinitionRow
from grantflow_impact.domain.agreements import (
    Agreement,
    budget_from,
    cofinancing_from,
    indicators_from,
    reporting_schedule,
)
from grantflow_impact.domain.indicators import Aggregation, Direction


async def on_award_decided(
    session: AsyncSession, event: EventEnvelope[awards_pb2.AwardDecided]
) -> None:
    m = event.message
    repo = AgreementRepository(session)
    if await repo.get(m.application_id) is not None:
        return  # one agreement per award, however often the decision is heard
    codes = sorted(
        {r.indicator_code for r in m.planned_results if r.indicator_code}
        | set(m.required_indicator_codes)
    )
    catalogue: dict[str, tuple[str, Aggregation, Direction]] = {}
    if codes:
        for row in (
            await session.execute(
                select(IndicatorDefinitionRow).where(IndicatorDefinitionRow.code.in_(codes))
            )
        ).scalars():
            catalogue[row.code] = (row.unit, Aggregation(row.aggregation), Direction(row.direction))
    currency = m.award.currency_code or "RUB"
    # A malformed date raises ValueError: the event is retried, then dead-lettered with the error.
    starts_on = from_date(m.start_date, m.HasField("start_date"))
    ends_on = from_date(m.end_date, m.HasField("end_date"))
    if starts_on is None or ends_on is None:
        raise ValueError(f"award {m.application_id} has no project period")
    await repo.add(
        Agreement(
            id=m.application_id,
            competition_id=m.competition_id,
            organisation_id=m.organisation_id,
            organisation_inn=m.organisation_inn,
            organisation_name=m.organisation_name,
            region_code=m.organisation_region_code,
            direction_code=m.direction_code,
            title=m.title,
            funder=m.funder,
            grant=Money(m.award.minor_units, currency),
            cofinancing_committed=cofinancing_from(
                [
                    (s.type or "unspecified", Money(s.amount.minor_units, currency))
                    for s in m.cofinancing_sources
                ]
            ),
            starts_on=starts_on,
            ends_on=ends_on,
            budget=budget_from(
                [
                    (
                        b.category,
                        Money(b.grant_amount.minor_units, currency),
                        Money(b.cofinanced_amount.minor_units, currency),
                    )
                    for b in m.budget_lines
                ]
            ),
            indicators=indicators_from(
                [
                    (
                        r.title,
                        r.unit,
                        Decimal(r.target_value),
                        Decimal(r.baseline_value or "0"),
                        r.indicator_code,
                    )
                    for r in m.planned_results
                ],
                catalogue,
                required_codes=list(m.required_indicator_codes),
            ),
            schedule=reporting_schedule(starts_on, ends_on),
            created_at=datetime.now(UTC),
        )
    )

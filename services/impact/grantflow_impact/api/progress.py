"""An agreement's progress as of a date, from its accepted reports (values count only once the
funder accepted them), and the alert conditions that follow from it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from grantflow_runtime.money import Money

from grantflow_impact.domain import alerts
from grantflow_impact.domain.agreements import Agreement, ReportingPeriod
from grantflow_impact.domain.alerts import Condition
from grantflow_impact.domain.attainment import (
    Attainment,
    Observation,
    aggregate,
    attainment,
    elapsed_share,
)
from grantflow_impact.domain.cofinancing import Compliance, compliance
from grantflow_impact.domain.reports import Report, ReportState, filed_periods, late_periods
from grantflow_impact.domain.spending import LineSpending, line_spending, spending_summary
from grantflow_impact.domain.sustainability import (
    Finances,
    RevenueCategory,
    Sustainability,
    Trend,
    assess,
    trend,
)


@dataclass(frozen=True)
class Progress:
    agreement: Agreement
    as_of: date
    elapsed: Fraction
    indicators: tuple[tuple[str, str, Attainment], ...]  # (key, title, attainment)
    spending: tuple[LineSpending, ...]
    cofinancing: tuple[Compliance, ...]
    sustainability: Sustainability | None
    sustainability_trend: Trend
    late: tuple[ReportingPeriod, ...]
    latest_accepted_period: int


def current_versions(reports: list[Report]) -> dict[int, Report]:
    """The latest version of each period's report."""
    latest: dict[int, Report] = {}
    for r in sorted(reports, key=lambda r: (r.period_number, r.version)):
        latest[r.period_number] = r
    return latest


def progress(agreement: Agreement, reports: list[Report], as_of: date) -> Progress:
    accepted = [r for r in current_versions(reports).values() if r.state is ReportState.ACCEPTED]
    periods = {p.number: p for p in agreement.schedule}
    elapsed = elapsed_share(agreement.starts_on, agreement.ends_on, as_of)
    indicators = []
    for indicator in agreement.indicators:
        observations = [
            Observation(
                period_end=periods[r.period_number].ends_on,
                value=v.value,
                numerator=v.numerator,
                denominator=v.denominator,
            )
            for r in accepted
            for v in r.content.indicator_values
            if v.key == indicator.key
        ]
        percentage = bool(observations) and all(
            o.numerator is not None and o.denominator is not None for o in observations
        )
        actual = aggregate(observations, indicator.aggregation, percentage=percentage)
        indicators.append(
            (
                indicator.key,
                indicator.title,
                attainment(
                    direction=indicator.direction,
                    baseline=indicator.baseline,
                    target=indicator.target,
                    actual=actual,
                    elapsed=elapsed,
                ),
            )
        )
    spent: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for r in accepted:
        for e in r.content.expenditures:
            g, c = spent[e.category]
            spent[e.category] = (g + e.grant_part.minor_units, c + e.cofinanced_part.minor_units)
    lines = [
        line_spending(
            b.category,
            budget_grant=b.grant_amount,
            budget_cofinanced=b.cofinanced_amount,
            spent_grant=Money(spent[b.category][0]),
            spent_cofinanced=Money(spent[b.category][1]),
        )
        for b in agreement.budget
    ]
    received: dict[str, int] = defaultdict(int)
    for r in accepted:
        for source, amount in r.content.cofinancing_received:
            received[source] += amount.minor_units
    committed = dict(agreement.cofinancing_committed)
    co = compliance(committed, {k: Money(received.get(k, 0)) for k in committed}, elapsed=elapsed)
    history = [
        assess(
            Finances(
                period_end=periods[r.period_number].ends_on,
                revenue={RevenueCategory(k): m for k, m in r.content.finances.revenue.items()},
                expenses=r.content.finances.expenses,
                net_assets=r.content.finances.net_assets,
                period_months=r.content.finances.period_months,
            )
        )
        for r in sorted(accepted, key=lambda r: r.period_number)
        if r.content.finances is not None
    ]
    return Progress(
        agreement=agreement,
        as_of=as_of,
        elapsed=elapsed,
        indicators=tuple(indicators),
        spending=(*lines, spending_summary(lines)) if lines else (),
        cofinancing=co,
        sustainability=history[-1] if history else None,
        sustainability_trend=trend(history),
        late=late_periods(agreement, filed_periods(reports), as_of),
        latest_accepted_period=max((r.period_number for r in accepted), default=0),
    )


def conditions(p: Progress) -> list[Condition]:
    """Every alert condition that holds now for the agreement."""
    a = p.agreement
    period = p.latest_accepted_period
    found: list[Condition | None] = []
    by_key = {i.key: i for i in a.indicators}
    if period:
        found += [
            alerts.underperformance(a.id, by_key[key], att.prorated_ratio, period)
            for key, _, att in p.indicators
        ]
        found += [
            alerts.overspend(a.id, b, line.spent_grant, period)
            for b, line in zip(a.budget, p.spending, strict=False)
        ]
        found += [
            alerts.cofinancing_shortfall(a.id, c.key, c.received, c.committed, p.elapsed, period)
            for c in p.cofinancing
        ]
        if p.sustainability is not None:
            found.append(
                alerts.sustainability_risk(
                    a.id, p.sustainability.risk.value, period, p.sustainability.reasons
                )
            )
    found += [alerts.late_report(a.id, period_, p.as_of) for period_ in p.late]
    return [c for c in found if c is not None]

"""Award agreements: what a funded project promised (money, indicators) and when it reports.

An agreement is made once per award from the AwardDecided event; its id is the application id,
which is what makes a redelivered event harmless (the caller skips an id it already holds).
Malformed award data raises ValueError naming what is wrong, so the caller can dead-letter the
event or raise an alert instead of storing an agreement nobody could report against.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from grantflow_runtime.money import Money

from grantflow_impact.domain.indicators import Aggregation, Direction

PROGRESS = "progress"
FINAL = "final"
PERCENT_UNIT = "%"
# A planned result without a catalogue code gets this key prefix and its 1-based position.
RESULT_KEY_PREFIX = "result-"
REQUIRED_TITLE_SUFFIX = " (required by the competition; not among the application's results)"


@dataclass(frozen=True)
class AgreementIndicator:
    # The catalogue code, or "result-<n>" (n = 1-based position among the planned results) for a
    # planned result without one; reports name indicators by this key.
    key: str
    title: str
    unit: str
    baseline: Decimal
    target: Decimal
    aggregation: Aggregation
    direction: Direction

    @property
    def is_percentage(self) -> bool:
        return is_percentage(self.unit)


@dataclass(frozen=True)
class BudgetLinePlan:
    category: str
    grant_amount: Money
    cofinanced_amount: Money


@dataclass(frozen=True)
class ReportingPeriod:
    number: int
    kind: str  # PROGRESS or FINAL
    starts_on: date
    ends_on: date
    due_on: date

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Agreement:
    id: str  # the application id: one agreement per award
    competition_id: str
    organisation_id: str
    organisation_inn: str
    organisation_name: str
    region_code: str
    direction_code: str
    title: str
    funder: str
    grant: Money
    # By co-financing source type, sorted by the type so equal commitments compare equal.
    cofinancing_committed: tuple[tuple[str, Money], ...]
    starts_on: date
    ends_on: date
    budget: tuple[BudgetLinePlan, ...]
    indicators: tuple[AgreementIndicator, ...]
    schedule: tuple[ReportingPeriod, ...]
    created_at: datetime

    def period(self, number: int) -> ReportingPeriod | None:
        for p in self.schedule:
            if p.number == number:
                return p
        return None

    def indicator(self, key: str) -> AgreementIndicator | None:
        for i in self.indicators:
            if i.key == key:
                return i
        return None

    def budget_line(self, category: str) -> BudgetLinePlan | None:
        for line in self.budget:
            if line.category == category:
                return line
        return None

    def committed(self, source: str) -> Money | None:
        for name, amount in self.cofinancing_committed:
            if name == source:
                return amount
        return None

    @property
    def cofinancing_total(self) -> Money:
        total = Money(0, self.grant.currency)
        for _, amount in self.cofinancing_committed:
            total = total + amount
        return total


def is_percentage(unit: str) -> bool:
    """Percentage indicators roll up from numerators and denominators, never by averaging."""
    return unit.strip() == PERCENT_UNIT


def same_unit(a: str, b: str) -> bool:
    """Units compare ignoring case and surrounding spaces: "People" and "people " are one unit."""
    return a.strip().casefold() == b.strip().casefold()


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 January + 1 = 28/29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def reporting_schedule(
    starts_on: date,
    ends_on: date,
    *,
    months_per_period: int = 3,
    due_days: int = 30,
    final_due_days: int = 45,
) -> tuple[ReportingPeriod, ...]:
    """Reporting periods of `months_per_period` months aligned to the project start.

    Period n runs from start + (n−1)·m months to the day before start + n·m months; the
    boundaries are computed from the start each time (never chained), so a start on the 31st does
    not drift to the 28th after February. The period that reaches `ends_on` is cut there and is
    the final one, so a project ending mid-quarter has a short final period, and a project shorter
    than one period has a single final period. A progress report is due `due_days` after its
    period ends, the final report `final_due_days` after the project ends (the final report covers
    the whole project, so it gets longer). An 18-month project from 2026-04-01 has five quarterly
    progress periods and a final period July–September 2027 due 2027-11-14.
    """
    if starts_on > ends_on:
        raise ValueError(f"the project ends ({ends_on}) before it starts ({starts_on})")
    if months_per_period < 1:
        raise ValueError(f"months_per_period must be at least 1, got {months_per_period}")
    if due_days < 0 or final_due_days < 0:
        raise ValueError("due days must not be negative")
    periods: list[ReportingPeriod] = []
    number = 1
    while True:
        period_start = add_months(starts_on, (number - 1) * months_per_period)
        period_end = add_months(starts_on, number * months_per_period) - timedelta(days=1)
        if period_end >= ends_on:
            periods.append(
                ReportingPeriod(
                    number=number,
                    kind=FINAL,
                    starts_on=period_start,
                    ends_on=ends_on,
                    due_on=ends_on + timedelta(days=final_due_days),
                )
            )
            return tuple(periods)
        periods.append(
            ReportingPeriod(
                number=number,
                kind=PROGRESS,
                starts_on=period_start,
                ends_on=period_end,
                due_on=period_end + timedelta(days=due_days),
            )
        )
        number += 1


def default_aggregation(unit: str) -> Aggregation:
    """For a result without a catalogue entry: counts add up over periods (SUM), while a
    percentage is a level that a later period restates, so it takes the LATEST value."""
    return Aggregation.LATEST if is_percentage(unit) else Aggregation.SUM


def indicators_from(
    planned: Sequence[tuple[str, str, Decimal, Decimal, str]],
    catalogue: Mapping[str, tuple[str, Aggregation, Direction]],
    required_codes: Sequence[str] = (),
) -> tuple[AgreementIndicator, ...]:
    """The agreement's indicators from the application's planned results and the competition.

    `planned` holds (title, unit, target, baseline, indicator_code) in the application's order;
    `catalogue` maps a code to (unit, aggregation, direction).

    - A result whose code is in the catalogue takes the catalogue's aggregation and direction, and
      its unit spelling when the units agree ignoring case. When they disagree this raises
      ValueError naming the code: reporting in people against a catalogue of households would
      make every rollup across projects wrong, and nothing must be stored silently.
    - A result with a code the catalogue does not hold keeps that code as its key and takes the
      defaults (direction INCREASE, aggregation per `default_aggregation`).
    - A result without a code gets the key "result-<n>", n its 1-based position in `planned`.
    - Each code of `required_codes` that no planned result carries is added after the planned
      results with baseline 0 and target 0 and a title saying the competition requires it, so the
      grantee reports it but no attainment is computed against a target nobody promised. A
      required code missing from the catalogue raises ValueError (its unit would be unknown).
    - Two results with the same key, a non-finite number or a negative target or baseline raise
      ValueError.
    """
    indicators: list[AgreementIndicator] = []
    keys: set[str] = set()
    for position, (title, unit, target, baseline, code) in enumerate(planned, start=1):
        code = code.strip()
        key = code or f"{RESULT_KEY_PREFIX}{position}"
        label = code or f"planned result {position}"
        for name, number in (("target", target), ("baseline", baseline)):
            if not number.is_finite() or number < 0:
                raise ValueError(f"{label}: {name} must be a non-negative number, got {number}")
        if not unit.strip():
            raise ValueError(f"{label}: the planned result has no unit")
        if key in keys:
            raise ValueError(f"indicator {key!r} appears twice among the planned results")
        keys.add(key)
        entry = catalogue.get(code) if code else None
        if entry is None:
            indicators.append(
                AgreementIndicator(
                    key=key,
                    title=title.strip(),
                    unit=unit.strip(),
                    baseline=baseline,
                    target=target,
                    aggregation=default_aggregation(unit),
                    direction=Direction.INCREASE,
                )
            )
            continue
        catalogue_unit, aggregation, direction = entry
        if not same_unit(unit, catalogue_unit):
            raise ValueError(
                f"indicator {code!r}: the application measures it in {unit.strip()!r}, "
                f"the catalogue in {catalogue_unit.strip()!r}"
            )
        indicators.append(
            AgreementIndicator(
                key=key,
                title=title.strip(),
                unit=catalogue_unit.strip(),
                baseline=baseline,
                target=target,
                aggregation=aggregation,
                direction=direction,
            )
        )
    for code in required_codes:
        code = code.strip()
        if not code or code in keys:
            continue
        entry = catalogue.get(code)
        if entry is None:
            raise ValueError(
                f"indicator {code!r} is required by the competition but not catalogued"
            )
        catalogue_unit, aggregation, direction = entry
        keys.add(code)
        indicators.append(
            AgreementIndicator(
                key=code,
                title=f"{code}{REQUIRED_TITLE_SUFFIX}",
                unit=catalogue_unit.strip(),
                baseline=Decimal(0),
                target=Decimal(0),
                aggregation=aggregation,
                direction=direction,
            )
        )
    return tuple(indicators)


def budget_from(lines: Sequence[tuple[str, Money, Money]]) -> tuple[BudgetLinePlan, ...]:
    """Budget lines (category, grant, co-financed) merged per category in first-seen order.

    An application may list a category twice (two kinds of equipment); reports account per
    category, so the plan must hold each category once. Negative amounts raise ValueError.
    """
    merged: dict[str, tuple[Money, Money]] = {}
    for category, grant, cofinanced in lines:
        name = category.strip()
        if not name:
            raise ValueError("a budget line has no category")
        if grant.minor_units < 0 or cofinanced.minor_units < 0:
            raise ValueError(f"budget line {name!r} has a negative amount")
        if name in merged:
            g, c = merged[name]
            merged[name] = (g + grant, c + cofinanced)
        else:
            merged[name] = (grant, cofinanced)
    return tuple(BudgetLinePlan(name, g, c) for name, (g, c) in merged.items())


def cofinancing_from(sources: Sequence[tuple[str, Money]]) -> tuple[tuple[str, Money], ...]:
    """Co-financing commitments summed per source type, sorted by the type.

    Negative amounts or a source without a type raise ValueError.
    """
    merged: dict[str, Money] = {}
    for source, amount in sources:
        name = source.strip()
        if not name:
            raise ValueError("a co-financing commitment has no source type")
        if amount.minor_units < 0:
            raise ValueError(f"co-financing from {name!r} is negative")
        merged[name] = merged[name] + amount if name in merged else amount
    return tuple(sorted(merged.items()))

"""Target attainment of an indicator: roll reported values up, then compare with the target.

Everything is exact (Fraction inside, Decimal out); a value nobody reported stays None all the way
through, because a missing report is not a zero result. Formulas: docs/formulas.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from grantflow_impact.domain.indicators import Aggregation, Direction

RATIO_PLACES = 4
# Percentages and prorated targets are shown to 4 decimals like ratios; the ratios themselves are
# computed from the exact values, so this rounding never compounds.
VALUE_PLACES = 4


def round_half_up(value: Fraction, places: int) -> Decimal:
    """The impact domain's one rounding rule: to `places` decimals, halves away from zero.

    Built from integers rather than Decimal division so the result never depends on the Decimal
    context's precision, however large the numbers.
    """
    scaled = abs(value) * 10**places
    digits = math.floor(scaled + Fraction(1, 2))
    sign = 0 if value >= 0 else 1
    if digits == 0:
        sign = 0
    return Decimal((sign, tuple(int(c) for c in str(digits)), -places))


def exact(value: Decimal, field: str) -> Fraction:
    """A finite Decimal as a Fraction; NaN and infinity are input errors, not numbers."""
    if not value.is_finite():
        raise ValueError(f"{field} must be a finite number, got {value}")
    return Fraction(value)


def elapsed_share(start: date, end: date, as_of: date) -> Fraction:
    """Days elapsed / project days, both counted with the end day included, clamped to [0, 1].

    `as_of` itself counts as elapsed (a report dated the last day covers the whole project), so
    as_of == end gives 1 and a date past the end stays at 1.
    """
    if end < start:
        raise ValueError(f"project end {end} is before its start {start}")
    project_days = (end - start).days + 1
    elapsed_days = (as_of - start).days + 1
    return Fraction(min(max(elapsed_days, 0), project_days), project_days)


@dataclass(frozen=True)
class Observation:
    period_end: date
    value: Decimal | None  # None = not reported
    numerator: Decimal | None = None  # for percentage indicators: roll up from these
    denominator: Decimal | None = None


def aggregate(
    observations: Sequence[Observation], aggregation: Aggregation, *, percentage: bool = False
) -> Decimal | None:
    """The project's value from its accepted reports, or None when nothing usable was reported.

    SUM adds the reported values, MAX takes the largest, LATEST the value of the latest period
    that has one (on equal dates the later observation in the sequence, as a correction is filed
    after what it corrects).

    percentage=True rolls up 100 × Σnumerators / Σdenominators and never averages percentages.
    Observations are first pooled per period_end (several sites reporting the same period); SUM
    then pools every period, LATEST takes the latest period's pooled share and MAX the largest
    period share. Pooling across periods for LATEST or MAX would count a cohort measured in
    several periods more than once. An observation without both numerator and denominator cannot
    be rolled up and counts as not reported; a period whose denominators sum to 0 has no share.
    """
    if percentage:
        return _aggregate_percentage(observations, aggregation)
    reported = [
        (o.period_end, exact(o.value, "value")) for o in observations if o.value is not None
    ]
    if not reported:
        return None
    if aggregation is Aggregation.SUM:
        total = sum((v for _, v in reported), Fraction(0))
    elif aggregation is Aggregation.MAX:
        total = max(v for _, v in reported)
    else:
        total = _latest(reported)
    # A sum or pick of Decimals always has an exact decimal form: no rounding here.
    return _terminating(total)


def _terminating(value: Fraction) -> Decimal:
    """A Fraction whose denominator is 2^a·5^b (a sum of Decimals) as an exact Decimal."""
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        raise ValueError(f"{value} has no exact decimal form")
    return round_half_up(value, max(twos, fives))


def _latest(reported: Sequence[tuple[date, Fraction]]) -> Fraction:
    latest_date = max(d for d, _ in reported)
    return [v for d, v in reported if d == latest_date][-1]


def _aggregate_percentage(
    observations: Sequence[Observation], aggregation: Aggregation
) -> Decimal | None:
    periods: dict[date, tuple[Fraction, Fraction]] = {}
    for o in observations:
        if o.numerator is None or o.denominator is None:
            continue
        numerator = exact(o.numerator, "numerator")
        denominator = exact(o.denominator, "denominator")
        if numerator < 0 or denominator < 0:
            raise ValueError(
                f"numerator and denominator must not be negative, got {o.numerator}/{o.denominator}"
            )
        n, d = periods.get(o.period_end, (Fraction(0), Fraction(0)))
        periods[o.period_end] = (n + numerator, d + denominator)
    if not periods:
        return None
    if aggregation is Aggregation.SUM:
        numerator = sum((n for n, _ in periods.values()), Fraction(0))
        denominator = sum((d for _, d in periods.values()), Fraction(0))
        share: Fraction | None = None if denominator == 0 else numerator / denominator
    elif aggregation is Aggregation.LATEST:
        n, d = periods[max(periods)]
        share = None if d == 0 else n / d
    else:
        shares = [n / d for n, d in periods.values() if d != 0]
        share = max(shares) if shares else None
    return None if share is None else round_half_up(100 * share, VALUE_PLACES)


@dataclass(frozen=True)
class Attainment:
    actual: Decimal | None
    target: Decimal
    ratio: Decimal | None  # vs the whole target, 4 decimals; None when missing or undefined
    prorated_target: Decimal
    prorated_ratio: Decimal | None
    status: str  # "missing" | "ok" | "undefined"
    note: str


def attainment(
    *,
    direction: Direction,
    baseline: Decimal,
    target: Decimal,
    actual: Decimal | None,
    elapsed: Fraction,
) -> Attainment:
    """Attainment against the whole target and against the share of it due by now.

    INCREASE: actual / target; prorated target = target × elapsed.
    DECREASE: (baseline − actual) / (baseline − target); prorated target =
    baseline − (baseline − target) × elapsed, and the prorated ratio is the same formula with it.
    MAINTAIN (ours): actual / target, and the target is not prorated: a level to be held applies
    at every point of the project, not a little at a time.
    A ratio may exceed 1 (over-achievement) or fall below 0 (a decreasing indicator that rose).
    """
    if not 0 <= elapsed <= 1:
        raise ValueError(f"elapsed share must be between 0 and 1, got {elapsed}")
    base = exact(baseline, "baseline")
    goal = exact(target, "target")
    if direction is Direction.INCREASE:
        prorated = goal * elapsed
    elif direction is Direction.DECREASE:
        prorated = base - (base - goal) * elapsed
    else:
        prorated = goal
    prorated_target = round_half_up(prorated, VALUE_PLACES)

    if actual is None:
        return Attainment(
            actual=None,
            target=target,
            ratio=None,
            prorated_target=prorated_target,
            prorated_ratio=None,
            status="missing",
            note="no value reported yet: attainment is unknown, not zero",
        )
    value = exact(actual, "actual")
    whole = _ratio(direction, base, goal, value)
    part = _ratio(direction, base, prorated, value)
    if whole is None:
        if direction is Direction.DECREASE:
            note = "baseline equals target, so there is no reduction to measure progress against"
        else:
            note = "target is 0, so attainment as actual / target is undefined"
        return Attainment(
            actual=actual,
            target=target,
            ratio=None,
            prorated_target=prorated_target,
            prorated_ratio=None,
            status="undefined",
            note=note,
        )
    if part is None:
        note = "nothing was due yet (project not started), so prorated attainment is undefined"
    elif elapsed == 1:
        note = "project period is over: the prorated target is the whole target"
    else:
        note = f"{round_half_up(100 * elapsed, 1)}% of the project period has elapsed"
    return Attainment(
        actual=actual,
        target=target,
        ratio=round_half_up(whole, RATIO_PLACES),
        prorated_target=prorated_target,
        prorated_ratio=None if part is None else round_half_up(part, RATIO_PLACES),
        status="ok",
        note=note,
    )


def _ratio(
    direction: Direction, baseline: Fraction, target: Fraction, actual: Fraction
) -> Fraction | None:
    if direction is Direction.DECREASE:
        planned = baseline - target
        return None if planned == 0 else (baseline - actual) / planned
    return None if target == 0 else actual / target

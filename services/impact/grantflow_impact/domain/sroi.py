"""Social return on investment from financial proxies the funder supplies.

Results swing widely with the assumptions, so every assumption is returned beside the ratio.
Formulas: docs/formulas.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from grantflow_runtime.money import Money

from grantflow_impact.domain.attainment import exact, round_half_up

DEFAULT_DISCOUNT_RATE = Decimal("0.035")  # DOMAIN: 3.5% a year (the UK Green Book rate)
RATIO_PLACES = 2


@dataclass(frozen=True)
class OutcomeValue:
    outcome: str
    quantity: Decimal
    proxy: Money  # financial proxy per unit; negative for a harm the project caused
    deadweight: Decimal  # shares 0..1: what would have happened anyway
    attribution: Decimal  # how much others' work contributed
    displacement: Decimal  # how much the outcome pushed elsewhere
    drop_off: Decimal  # per year after the first
    years: int  # how many years the outcome lasts (>= 1)


@dataclass(frozen=True)
class Sroi:
    present_value: Money
    investment: Money
    ratio: Decimal | None  # present value / investment, 2 dp; None when investment is 0
    discount_rate: Decimal
    per_outcome: tuple[tuple[str, Money], ...]  # present value of each outcome
    assumptions: tuple[str, ...]


def sroi(
    outcomes: Sequence[OutcomeValue],
    *,
    investment: Money,
    discount_rate: Decimal = DEFAULT_DISCOUNT_RATE,
) -> Sroi:
    """value₁ = quantity × proxy × (1 − deadweight)(1 − attribution)(1 − displacement);
    valueₙ = value₁ × (1 − drop_off)ⁿ⁻¹; PV = Σₙ₌₁..years valueₙ / (1 + r)ⁿ.

    Year 1 is discounted too (value arrives at the end of each year, as in the SROI Guide). Each
    outcome's present value is rounded to kopecks (halves away from zero) and the total is the
    sum of those, so the rows add up to it; the ratio uses that total.
    """
    rate = exact(discount_rate, "discount_rate")
    if rate < 0:
        raise ValueError(f"discount_rate must not be negative, got {discount_rate}")
    if investment.minor_units < 0:
        raise ValueError(f"investment must not be negative, got {investment}")
    names = [o.outcome for o in outcomes]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"outcomes named more than once: {', '.join(duplicates)}")

    per_outcome: list[tuple[str, Money]] = []
    assumptions = [
        f"discount rate {_percent(discount_rate)}% a year; year 1 is discounted as well",
    ]
    for o in outcomes:
        if o.proxy.currency != investment.currency:
            raise ValueError(
                f"{o.outcome}: proxy is in {o.proxy.currency}, investment in {investment.currency}"
            )
        value = _present_value(o, rate)
        per_outcome.append((o.outcome, Money(_half_up(value), investment.currency)))
        assumptions.append(
            f"{o.outcome}: {o.quantity} × {o.proxy} per unit; deadweight "
            f"{_percent(o.deadweight)}%, attribution {_percent(o.attribution)}%, displacement "
            f"{_percent(o.displacement)}%, drop-off {_percent(o.drop_off)}% a year after the "
            f"first, lasting {o.years} {'year' if o.years == 1 else 'years'}"
        )
    total = Money(sum(m.minor_units for _, m in per_outcome), investment.currency)
    ratio = (
        None
        if investment.minor_units == 0
        else round_half_up(Fraction(total.minor_units, investment.minor_units), RATIO_PLACES)
    )
    return Sroi(
        present_value=total,
        investment=investment,
        ratio=ratio,
        discount_rate=discount_rate,
        per_outcome=tuple(per_outcome),
        assumptions=tuple(assumptions),
    )


def _present_value(o: OutcomeValue, rate: Fraction) -> Fraction:
    """The outcome's present value in minor units, exact."""
    if o.years < 1:
        raise ValueError(f"{o.outcome}: years must be at least 1, got {o.years}")
    quantity = exact(o.quantity, f"{o.outcome}: quantity")
    if quantity < 0:
        raise ValueError(f"{o.outcome}: quantity must not be negative, got {o.quantity}")
    shares: dict[str, Fraction] = {}
    for field in ("deadweight", "attribution", "displacement", "drop_off"):
        given: Decimal = getattr(o, field)
        share = exact(given, f"{o.outcome}: {field}")
        if not 0 <= share <= 1:
            raise ValueError(f"{o.outcome}: {field} must be between 0 and 1, got {given}")
        shares[field] = share
    first_year = (
        quantity
        * o.proxy.minor_units
        * (1 - shares["deadweight"])
        * (1 - shares["attribution"])
        * (1 - shares["displacement"])
    )
    retained = 1 - shares["drop_off"]
    return sum(
        (first_year * retained ** (n - 1) / (1 + rate) ** n for n in range(1, o.years + 1)),
        Fraction(0),
    )


def _half_up(value: Fraction) -> int:
    magnitude = math.floor(abs(value) + Fraction(1, 2))
    return magnitude if value >= 0 else -magnitude


def _percent(share: Decimal) -> str:
    return format((share * 100).normalize(), "f")

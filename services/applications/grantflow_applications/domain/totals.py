"""Totals of an application, derived from its budget lines and co-financing sources.

Nothing here is entered by the applicant: requested amount, co-financing, total cost and the
co-financing share are computed, so they can never disagree with the lines they summarise.
Money stays in integer kopecks and the share is an exact Fraction (shared DOMAIN.md, "Money").
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from grantflow_runtime.money import RUB, Money

from grantflow_applications.domain.applications import ApplicationContent, CofinancingType

HUNDRED = Fraction(100)
ZERO = Money(0, RUB)


@dataclass(frozen=True)
class Totals:
    # Σ of the grant parts of the budget lines.
    requested: Money
    # Σ of every declared co-financing source, whatever its type.
    cofinancing: Money
    # requested + cofinancing: what the whole project costs as declared.
    total_cost: Money
    # counted_cofinancing / (requested + counted_cofinancing); 0 when that denominator is 0.
    cofinancing_share: Fraction
    # The part of the co-financing the competition lets count: allowed types, in-kind capped.
    counted_cofinancing: Money
    # The in-kind part of counted_cofinancing, after the cap.
    in_kind: Money


def totals(
    content: ApplicationContent,
    *,
    allowed_types: Collection[CofinancingType] | None = None,
    in_kind_cap_percent: Decimal | None = None,
) -> Totals:
    """Totals of `content`. `allowed_types` None counts every type; `in_kind_cap_percent` None
    (or 100) leaves in-kind uncapped. Amounts in another currency raise ValueError: the submission
    rules report them as violations before asking for totals."""
    requested = sum((line.grant_amount for line in content.budget_lines), ZERO)
    cofinancing = sum((source.amount for source in content.cofinancing_sources), ZERO)

    # A source without a type cannot be counted: nobody knows whether the competition allows it.
    counted = [
        source
        for source in content.cofinancing_sources
        if source.type is not None and (allowed_types is None or source.type in allowed_types)
    ]
    cash = sum((s.amount for s in counted if s.type is not CofinancingType.IN_KIND), ZERO)
    declared_in_kind = sum((s.amount for s in counted if s.type is CofinancingType.IN_KIND), ZERO)
    in_kind = _capped_in_kind(declared_in_kind, cash, in_kind_cap_percent)
    counted_cofinancing = cash + in_kind

    base = requested.minor_units + counted_cofinancing.minor_units
    share = Fraction(counted_cofinancing.minor_units, base) if base else Fraction(0)
    return Totals(
        requested=requested,
        cofinancing=cofinancing,
        total_cost=requested + cofinancing,
        cofinancing_share=share,
        counted_cofinancing=counted_cofinancing,
        in_kind=in_kind,
    )


def _capped_in_kind(in_kind: Money, other: Money, cap_percent: Decimal | None) -> Money:
    """The in-kind amount that may count, so that in-kind makes up at most cap% of the counted
    co-financing.

    With c = cap/100, the counted in-kind k and the other counted co-financing n, the rule is
    k / (n + k) <= c, which for c < 1 is the same as k <= c / (1 - c) * n = cap / (100 - cap) * n.
    The limit is rounded DOWN to whole kopecks so the capped share never creeps over the cap.
    cap 100 means no cap; cap 0 gives a limit of 0, so in-kind counts nothing.
    """
    if cap_percent is None:
        return in_kind
    cap = Fraction(cap_percent)  # exact: a Decimal converts to a Fraction without rounding
    if cap >= HUNDRED:
        return in_kind
    limit = max(0, cap * other.minor_units // (HUNDRED - cap))  # floor division of Fractions
    return Money(min(in_kind.minor_units, int(limit)), in_kind.currency)


def share_percent(share: Fraction) -> Decimal:
    """`share` as a percentage with exactly 2 decimal places, rounded half-even, for display."""
    # Decimal(numerator) / Decimal(denominator) would round at the context precision first and
    # could then round a second time; quantising the exact Fraction rounds only once.
    hundredths = share * 10_000
    whole, rest = divmod(hundredths.numerator, hundredths.denominator)
    twice = 2 * rest
    if twice > hundredths.denominator or (twice == hundredths.denominator and whole % 2 == 1):
        whole += 1
    return Decimal(whole).scaleb(-2)

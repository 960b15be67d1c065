"""Spending against the approved budget, per budget line and in total. Formulas: docs/formulas.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from grantflow_runtime.money import Money

TOTAL = "total"


@dataclass(frozen=True)
class LineSpending:
    category: str
    budget_grant: Money
    budget_cofinanced: Money
    spent_grant: Money
    spent_cofinanced: Money
    variance_grant: Money  # spent − budget (positive = overspend)
    variance_cofinanced: Money
    spent_share: Fraction | None  # total spent / total budget; None when the budget is 0
    overspent: bool  # spent > budget in either part


def line_spending(
    category: str,
    *,
    budget_grant: Money,
    budget_cofinanced: Money,
    spent_grant: Money,
    spent_cofinanced: Money,
) -> LineSpending:
    """One budget line's spending; the grant and co-financed parts are kept apart because a
    grantee may not cover an overspend of grant money with co-financing, or the reverse."""
    for field, amount in (
        ("budget_grant", budget_grant),
        ("budget_cofinanced", budget_cofinanced),
        ("spent_grant", spent_grant),
        ("spent_cofinanced", spent_cofinanced),
    ):
        if amount.minor_units < 0:
            raise ValueError(f"{category}: {field} must not be negative, got {amount}")
    # Money arithmetic raises on mixed currencies, so these lines also check them.
    budget = budget_grant + budget_cofinanced
    spent = spent_grant + spent_cofinanced
    return LineSpending(
        category=category,
        budget_grant=budget_grant,
        budget_cofinanced=budget_cofinanced,
        spent_grant=spent_grant,
        spent_cofinanced=spent_cofinanced,
        variance_grant=spent_grant - budget_grant,
        variance_cofinanced=spent_cofinanced - budget_cofinanced,
        spent_share=(
            None if budget.minor_units == 0 else Fraction(spent.minor_units, budget.minor_units)
        ),
        overspent=spent_grant > budget_grant or spent_cofinanced > budget_cofinanced,
    )


def spending_summary(lines: Sequence[LineSpending]) -> LineSpending:
    """The totals as a line named "total", computed with the same rules as a line.

    Its `overspent` is about the totals: an overspend on one line covered by savings on another
    shows on that line, not here. No lines at all give a zero budget in roubles.
    """
    currency = lines[0].budget_grant.currency if lines else Money(0).currency
    zero = Money(0, currency)
    return line_spending(
        TOTAL,
        budget_grant=sum((line.budget_grant for line in lines), zero),
        budget_cofinanced=sum((line.budget_cofinanced for line in lines), zero),
        spent_grant=sum((line.spent_grant for line in lines), zero),
        spent_cofinanced=sum((line.spent_cofinanced for line in lines), zero),
    )

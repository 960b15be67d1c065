"""How one agreement's progress is summarised for the funder's portfolio (ours; documented in
docs/formulas.md): an attainment bucket and the people it reached."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from grantflow_impact.domain.attainment import Attainment

BUCKETS = ("below_50", "50_80", "80_100", "100_plus", "unknown")
# Units that count people; an indicator in one of them adds its actual value to "beneficiaries".
PEOPLE_UNITS = frozenset({"people", "persons", "beneficiaries", "participants", "families"})


def attainment_bucket(attainments: Sequence[Attainment]) -> str:
    """The bucket of the mean prorated attainment over the indicators that have one; "unknown"
    when none has (nothing accepted yet, or only undefined targets): missing is not zero."""
    ratios = [a.prorated_ratio for a in attainments if a.prorated_ratio is not None]
    if not ratios:
        return "unknown"
    mean = sum(ratios, Decimal(0)) / len(ratios)
    if mean < Decimal("0.5"):
        return "below_50"
    if mean < Decimal("0.8"):
        return "50_80"
    if mean < 1:
        return "80_100"
    return "100_plus"


def beneficiaries(units_and_actuals: Sequence[tuple[str, Decimal | None]]) -> int:
    """Whole people reached over the indicators counted in people (fractions are dropped)."""
    return sum(
        int(actual)
        for unit, actual in units_and_actuals
        if unit.strip().lower() in PEOPLE_UNITS and actual is not None
    )

"""Co-financing compliance: what partners and the grantee brought versus what they committed.

Formulas: docs/formulas.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from grantflow_runtime.money import Money

OVERALL = "overall"


@dataclass(frozen=True)
class Compliance:
    key: str  # source type, or "overall"
    committed: Money
    received: Money
    ratio: Fraction | None  # received / committed; None when nothing was committed
    prorated_committed: Money  # committed × elapsed, rounded down to kopecks
    prorated_ratio: Fraction | None  # received / prorated_committed; None when that is 0
    shortfall: bool  # received < prorated_committed


def compliance(
    committed: Mapping[str, Money], received: Mapping[str, Money], *, elapsed: Fraction
) -> tuple[Compliance, ...]:
    """One row per source (sorted by key; a source that appears on either side), then "overall".

    A source nobody committed still shows what it brought, with no ratio. The overall prorated
    amount is the total committed × elapsed, not the sum of the per-source rounded amounts, so it
    can exceed that sum by a few kopecks.
    """
    if not 0 <= elapsed <= 1:
        raise ValueError(f"elapsed share must be between 0 and 1, got {elapsed}")
    if OVERALL in committed or OVERALL in received:
        raise ValueError(f'"{OVERALL}" is reserved for the total and cannot name a source')
    currencies = {m.currency for m in (*committed.values(), *received.values())}
    if len(currencies) > 1:
        raise ValueError(f"co-financing mixes currencies: {', '.join(sorted(currencies))}")
    zero = Money(0, currencies.pop() if currencies else Money(0).currency)
    for side, amounts in (("committed", committed), ("received", received)):
        for key, amount in amounts.items():
            if amount.minor_units < 0:
                raise ValueError(f"{key}: {side} must not be negative, got {amount}")

    rows = [
        _row(key, committed.get(key, zero), received.get(key, zero), elapsed)
        for key in sorted({*committed, *received})
    ]
    rows.append(
        _row(
            OVERALL,
            sum(committed.values(), zero),
            sum(received.values(), zero),
            elapsed,
        )
    )
    return tuple(rows)


def _row(key: str, committed: Money, received: Money, elapsed: Fraction) -> Compliance:
    # Rounded down so a grantee is never held to a kopeck more than the share due.
    prorated = Money(math.floor(committed.minor_units * elapsed), committed.currency)
    return Compliance(
        key=key,
        committed=committed,
        received=received,
        ratio=_share(received, committed),
        prorated_committed=prorated,
        # Against the rounded amount, so the ratio and the shortfall flag always agree.
        prorated_ratio=_share(received, prorated),
        shortfall=received < prorated,
    )


def _share(part: Money, whole: Money) -> Fraction | None:
    return None if whole.minor_units == 0 else Fraction(part.minor_units, whole.minor_units)

"""From experts' totals to an application's score: divergence, extra experts, the final score and
per-expert calibration (shared DOMAIN.md, "Expert scoring")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext
from enum import StrEnum
from fractions import Fraction
from itertools import combinations

CENT = Decimal("0.01")
# Totals further apart than this share of the maximum total call for another expert.
DEFAULT_DIVERGENCE_THRESHOLD_PERCENT = Decimal(30)
MIN_EXPERTS = 2
# The programme allows up to four experts for large projects; which projects count as large is
# the competition's setting, so callers pass max_experts explicitly.
MAX_EXPERTS_LARGE_PROJECT = 4


class FinalRule(StrEnum):
    MEAN_ALL = "mean_all"
    MEAN_CLOSEST_TWO = "mean_closest_two"


def _cents(value: Fraction) -> Decimal:
    """Round an exact rational to 0.01, half to even. Fraction rounding is exact, so there is no
    double rounding through an intermediate 28-digit Decimal quotient."""
    return Decimal(round(value * 100)).scaleb(-2)


def diverges(totals: Sequence[Decimal], max_total: Decimal, threshold_percent: Decimal) -> bool:
    """True when the spread of the totals exceeds threshold_percent of max_total.

    Compared as spread × 100 > threshold × max_total so no division can round: a spread exactly
    at the threshold does not diverge.
    """
    if len(totals) < 2:
        return False
    return (max(totals) - min(totals)) * 100 > threshold_percent * max_total


def final_score(totals: Sequence[Decimal], rule: FinalRule) -> Decimal:
    """The application's score, quantized to 0.01 half to even.

    MEAN_CLOSEST_TWO takes the pair with the smallest difference; among equally close pairs the
    one with the higher sum wins (an application should not lose points to a tie-break), then the
    pair that comes first in the given order (by first index, then second). With a single total
    it is that total.
    """
    if not totals:
        raise ValueError("a final score needs at least one total")
    if rule is FinalRule.MEAN_ALL or len(totals) < 3:
        return _cents(sum((Fraction(t) for t in totals), Fraction(0)) / len(totals))
    best_i, best_j = min(
        combinations(range(len(totals)), 2),
        key=lambda p: (abs(totals[p[0]] - totals[p[1]]), -(totals[p[0]] + totals[p[1]]), p),
    )
    return _cents((Fraction(totals[best_i]) + Fraction(totals[best_j])) / 2)


def extra_experts_needed(
    totals: Sequence[Decimal],
    *,
    max_total: Decimal,
    threshold_percent: Decimal,
    assigned: int,
    max_experts: int,
) -> int:
    """1 when the totals diverge and another expert may still be assigned, else 0.

    One at a time: the next expert's total may settle the divergence, so the caller asks again
    after each one rather than assigning up to the cap at once.
    """
    if assigned < max_experts and diverges(totals, max_total, threshold_percent):
        return 1
    return 0


@dataclass(frozen=True)
class Review:
    expert_id: str
    application_id: str
    total: Decimal


def _mean_and_sd(values: Sequence[Decimal]) -> tuple[Decimal, Decimal]:
    # Population standard deviation: the reviews are all of an expert's (or the pool's) scores in
    # the competition, not a sample of them.
    mean = sum(values, Decimal(0)) / len(values)
    variance = sum(((x - mean) ** 2 for x in values), Decimal(0)) / len(values)
    return mean, variance.sqrt()


def calibrate(reviews: Sequence[Review], max_total: Decimal) -> dict[tuple[str, str], Decimal]:
    """Per-expert z-score normalisation onto the pool's distribution, keyed (expert, application).

    For an expert with at least two reviews and a non-zero spread:
    calibrated = pool_mean + (total - expert_mean) / expert_sd × pool_sd, with mean and
    (population) standard deviation of the pool taken over all reviews.

    An expert with several identical totals has no spread to divide by, so only their leniency is
    corrected: calibrated = total + (pool_mean - expert_mean). A single review is left as it is:
    one review cannot tell leniency from merit, and moving it to the pool mean would erase it.

    Results are clipped to [0, max_total] and quantized to 0.01 half to even (the upper clip is
    max_total rounded down to 0.01, so a clipped value never exceeds it). The maths is Decimal
    throughout, no floats: Decimal.sqrt is correctly rounded, and reviews are processed in
    (expert, application) order, so the result does not depend on the input order.
    """
    if not reviews:
        return {}
    ordered = sorted(reviews, key=lambda r: (r.expert_id, r.application_id))
    keys = [(r.expert_id, r.application_id) for r in ordered]
    if len(set(keys)) != len(keys):
        raise ValueError("an expert may review an application only once")
    upper = max_total.quantize(CENT, rounding=ROUND_FLOOR)
    lower = Decimal(0)
    by_expert: dict[str, list[Review]] = defaultdict(list)
    for r in ordered:
        by_expert[r.expert_id].append(r)

    result: dict[tuple[str, str], Decimal] = {}
    # A wide local context so intermediate z-scores keep far more digits than the 0.01 result.
    with localcontext() as ctx:
        ctx.prec = 40
        pool_mean, pool_sd = _mean_and_sd([r.total for r in ordered])
        for expert_id, own in by_expert.items():
            mean, sd = _mean_and_sd([r.total for r in own])
            for r in own:
                if len(own) < 2:
                    value = r.total
                elif sd > 0:
                    value = pool_mean + (r.total - mean) / sd * pool_sd
                else:
                    value = r.total + (pool_mean - mean)
                value = value.quantize(CENT, rounding=ROUND_HALF_EVEN)
                result[(expert_id, r.application_id)] = min(max(value, lower), upper)
    return result

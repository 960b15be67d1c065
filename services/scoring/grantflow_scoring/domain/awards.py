"""Award decisions: fund applications at or above their band's pass mark in rank order while the
budget and any direction quota last (shared DOMAIN.md, "Expert scoring")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from grantflow_runtime.money import Money

from grantflow_scoring.domain.ranking import Ranked
from grantflow_scoring.domain.rubric import fits_under


@dataclass(frozen=True)
class PassMark:
    # Inclusive upper bound of the requested amount; None means no bound (the last band).
    max_request: Money | None
    mark: Decimal


# One published proposal: 60 / 65 / 68 / 70 points for requests up to 500,000, 500,000–3 million,
# 3–10 million and over 10 million roubles. Bounds are inclusive, so exactly 500,000 is band one.
NATIONAL_PASS_MARKS: tuple[PassMark, ...] = (
    PassMark(Money.roubles(500_000), Decimal(60)),
    PassMark(Money.roubles(3_000_000), Decimal(65)),
    PassMark(Money.roubles(10_000_000), Decimal(68)),
    PassMark(None, Decimal(70)),
)


def pass_mark_for(requested: Money, marks: Sequence[PassMark]) -> Decimal:
    """The mark of the first band covering the request. Marks must be sorted by bound with the
    unbounded one last; a request above every bound is a configuration error (ValueError), since
    guessing a mark would fund or decline applications on no stated rule."""
    for m in marks:
        if fits_under(requested, m.max_request):
            return m.mark
    raise ValueError(f"no pass mark band covers a request of {requested}")


@dataclass(frozen=True)
class Award:
    application_id: str
    amount: Money
    rank: int
    score: Decimal


@dataclass(frozen=True)
class Declined:
    application_id: str
    rank: int
    reason: str


@dataclass(frozen=True)
class Decision:
    awards: tuple[Award, ...]
    declined: tuple[Declined, ...]
    budget_used: Money
    # Amount awarded per direction, for every direction with a quota (zero when nothing was
    # awarded there) and every direction that received an award; keys in code order.
    quota_used: Mapping[str, Money]


def _format_mark(mark: Decimal) -> str:
    # 65 rather than 65.00 or 6.5E+1 in the reason shown to applicants.
    return format(mark.normalize(), "f")


def decide(
    ranked: Sequence[Ranked],
    *,
    budget: Money,
    quotas: Mapping[str, Money],
    pass_marks: Sequence[PassMark],
) -> Decision:
    """Walk the ranking best first. An application below its band's pass mark is declined. One
    that passes is funded with its full requested amount when that fits both the remaining budget
    and, if its direction has a quota, the direction's remaining quota; otherwise it is declined
    and the walk goes on, so a smaller application further down may still be funded.

    When a request fits neither the budget nor the quota, the budget is given as the reason.
    Entries are processed by rank whatever the input order; the function is pure.
    """
    if budget.minor_units < 0:
        raise ValueError("the budget must not be negative")
    for direction, quota in quotas.items():
        if quota.minor_units < 0:
            raise ValueError(f"the quota of direction {direction!r} must not be negative")
    ordered = sorted(ranked, key=lambda r: r.rank)
    if len({r.rank for r in ordered}) != len(ordered):
        raise ValueError("ranks must be distinct")
    if len({r.candidate.application_id for r in ordered}) != len(ordered):
        raise ValueError("each application may appear only once")

    zero = Money(0, budget.currency)
    remaining_budget = budget
    remaining_quota = dict(quotas)
    used: dict[str, Money] = {direction: zero for direction in quotas}
    awards: list[Award] = []
    declined: list[Declined] = []
    for entry in ordered:
        candidate = entry.candidate
        requested = candidate.requested
        direction = candidate.direction_code
        if requested.minor_units <= 0:
            raise ValueError(f"application {candidate.application_id!r} requests no money")
        mark = pass_mark_for(requested, pass_marks)
        reason: str | None = None
        if entry.score < mark:
            reason = f"below the pass mark of {_format_mark(mark)} for its request size"
        elif not fits_under(requested, remaining_budget):
            reason = "the budget is exhausted"
        elif direction in remaining_quota and not fits_under(requested, remaining_quota[direction]):
            reason = f"the quota of direction {direction!r} is exhausted"
        if reason is not None:
            declined.append(Declined(candidate.application_id, entry.rank, reason))
            continue
        remaining_budget -= requested
        if direction in remaining_quota:
            remaining_quota[direction] -= requested
        used[direction] = used.get(direction, zero) + requested
        awards.append(Award(candidate.application_id, requested, entry.rank, entry.score))
    return Decision(
        awards=tuple(awards),
        declined=tuple(declined),
        budget_used=budget - remaining_budget,
        quota_used={direction: used[direction] for direction in sorted(used)},
    )

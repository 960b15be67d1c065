"""Ranking applications by score with a deterministic tie-break, overall or per direction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from grantflow_runtime.money import Money


@dataclass(frozen=True)
class Candidate:
    application_id: str
    direction_code: str
    requested: Money
    raw_score: Decimal
    calibrated_score: Decimal | None
    submitted_at: datetime


@dataclass(frozen=True)
class Ranked:
    # 1 is best; ranks are distinct, a tie is always broken.
    rank: int
    candidate: Candidate
    # The score that decided the order: the raw or the calibrated one.
    score: Decimal


def _deciding_score(candidate: Candidate, by_calibrated: bool) -> Decimal:
    if not by_calibrated:
        return candidate.raw_score
    if candidate.calibrated_score is None:
        raise ValueError(
            f"application {candidate.application_id!r} has no calibrated score to rank by"
        )
    return candidate.calibrated_score


def rank(candidates: Sequence[Candidate], *, by_calibrated: bool = False) -> list[Ranked]:
    """Candidates best first, ranks 1..n.

    Ties are broken, in order, by: the higher raw score (when ranking by calibrated scores the
    experts' own scores still count), the earlier submitted_at (the programme's first-come
    convention), the lower requested amount (more of the budget left for others), and finally
    the application id, so the order never depends on the input order.
    """
    ids = [c.application_id for c in candidates]
    if len(set(ids)) != len(ids):
        raise ValueError("each application may be ranked only once")
    scored = [(_deciding_score(c, by_calibrated), c) for c in candidates]
    scored.sort(
        key=lambda sc: (
            -sc[0],
            -sc[1].raw_score,
            sc[1].submitted_at,
            sc[1].requested.minor_units,
            sc[1].application_id,
        )
    )
    return [Ranked(rank=i, candidate=c, score=s) for i, (s, c) in enumerate(scored, start=1)]


def rank_by_direction(
    candidates: Sequence[Candidate], *, by_calibrated: bool = False
) -> dict[str, list[Ranked]]:
    """The same ordering as rank() within each direction, ranks restarting at 1; directions in
    code order."""
    ids = [c.application_id for c in candidates]
    if len(set(ids)) != len(ids):
        raise ValueError("each application may be ranked only once")
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        groups[c.direction_code].append(c)
    return {code: rank(groups[code], by_calibrated=by_calibrated) for code in sorted(groups)}

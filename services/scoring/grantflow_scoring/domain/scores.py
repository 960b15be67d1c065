"""An expert's score sheet: one integer score and a comment per criterion of the rubric."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from grantflow_runtime.errors import FieldViolation, Violations
from grantflow_runtime.money import Money

from grantflow_scoring.domain.rubric import Rubric

COMMENT_MAX_LEN = 2000


@dataclass(frozen=True)
class CriterionScore:
    code: str
    value: int
    comment: str


def validate_sheet(
    rubric: Rubric, scores: Sequence[CriterionScore], prefix: str = "scores"
) -> list[FieldViolation]:
    """Every broken rule of a complete sheet, in sheet order, then the missing criteria in rubric
    order. An empty list means the sheet can be submitted."""
    criteria = {c.code: c for c in rubric.criteria}
    v = Violations()
    seen: set[str] = set()
    for i, score in enumerate(scores):
        at = f"{prefix}[{i}]"
        criterion = criteria.get(score.code)
        if criterion is None:
            v.add(f"{at}.code", f"the rubric has no criterion {score.code!r}", "unknown")
        elif score.code in seen:
            v.add(f"{at}.code", f"criterion {score.code!r} is scored more than once", "duplicate")
        seen.add(score.code)
        if criterion is not None:
            if not criterion.scale_min <= score.value <= criterion.scale_max:
                v.add(
                    f"{at}.value",
                    f"the score must lie within {criterion.scale_min}–{criterion.scale_max}",
                    "range",
                )
            # Only an in-range extreme needs justifying; an out-of-range value is already
            # reported and asking for a comment on it would be noise.
            elif (
                score.value <= criterion.comment_required_at_or_below
                or score.value >= criterion.comment_required_at_or_above
            ) and not score.comment.strip():
                v.add(
                    f"{at}.comment",
                    f"a score of {score.value} for {score.code!r} must be justified with a comment",
                    "comment_required",
                )
        if len(score.comment) > COMMENT_MAX_LEN:
            v.add(
                f"{at}.comment",
                f"the comment is {len(score.comment)} characters; at most {COMMENT_MAX_LEN}",
                "max_len",
            )
    for code in criteria:
        if code not in seen:
            v.add(prefix, f"criterion {code!r} is not scored", "missing")
    return list(v)


def weighted_total(rubric: Rubric, scores: Sequence[CriterionScore], requested: Money) -> Decimal:
    """Σ weight × value with the weights of the request's size band; exact Decimal arithmetic.

    Missing criteria contribute nothing, so a draft gets a running total. Unknown or repeated
    codes raise ValueError: they would silently corrupt the total, and validate_sheet reports
    them properly before a sheet is accepted.
    """
    weights = rubric.weights_for(requested)
    seen: set[str] = set()
    total = Decimal(0)
    for score in scores:
        if score.code not in weights:
            raise ValueError(f"the rubric has no criterion {score.code!r}")
        if score.code in seen:
            raise ValueError(f"criterion {score.code!r} is scored more than once")
        seen.add(score.code)
        total += weights[score.code] * score.value
    return total

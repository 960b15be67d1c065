"""Rubrics: weighted criteria an expert scores against. The default is the national programme's."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Criterion:
    code: str
    title: str
    weight: Decimal
    scale_min: int = 0
    scale_max: int = 10
    # Extreme scores must be justified; these bounds say what counts as extreme.
    comment_required_at_or_below: int = 0
    comment_required_at_or_above: int = 10


@dataclass(frozen=True)
class Rubric:
    competition_id: str
    criteria: tuple[Criterion, ...]

    @property
    def max_total(self) -> Decimal:
        """The best weighted total an expert can give: Σ weight × scale_max."""
        return sum((c.weight * c.scale_max for c in self.criteria), Decimal(0))


# Ten criteria scored 0–10 with weight 1: a 0–100 total (shared DOMAIN.md, "Expert scoring").
NATIONAL_CRITERIA: tuple[Criterion, ...] = tuple(
    Criterion(code=code, title=title, weight=Decimal(1))
    for code, title in (
        ("relevance", "Relevance and social significance"),
        ("coherence", "Logical coherence and feasibility"),
        ("innovation", "Innovation, uniqueness"),
        (
            "cost-effectiveness",
            "Ratio of planned costs to expected results; measurable, achievable results",
        ),
        ("budget-realism", "Realistic budget, justified costs"),
        ("scale", "Scale of implementation"),
        (
            "own-contribution",
            "Own contribution and additional resources; prospects of further development",
        ),
        ("track-record", "The organisation's track record in the field"),
        ("team", "The team's experience and competence"),
        ("openness", "The organisation's information openness"),
    )
)


def default_rubric(competition_id: str) -> Rubric:
    return Rubric(competition_id=competition_id, criteria=NATIONAL_CRITERIA)

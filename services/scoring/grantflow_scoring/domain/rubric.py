"""Rubrics: weighted criteria an expert scores against. The default is the national programme's.

Regional competitions weight criteria by the size of the request (shared DOMAIN.md, "Expert
scoring"), so a rubric may carry weight bands; without bands every request uses the criteria's
own weights.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from grantflow_runtime.errors import Violations
from grantflow_runtime.money import Money

CODE_PATTERN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


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
class WeightBand:
    # Inclusive upper bound of the requested amount; None means no upper bound (the last band).
    max_request: Money | None
    # Criterion code -> weight for requests in this band; unlisted codes keep the criterion's weight.
    weights: Mapping[str, Decimal]


def fits_under(requested: Money, bound: Money | None) -> bool:
    """Whether `requested` falls at or under an inclusive bound; None is unbounded.

    Subtraction rather than `<=` so that mixing currencies raises instead of comparing the
    currency strings, which is what the dataclass ordering of Money would silently do.
    """
    return bound is None or (bound - requested).minor_units >= 0


@dataclass(frozen=True)
class Rubric:
    competition_id: str
    criteria: tuple[Criterion, ...]
    # Sorted by max_request with the unbounded band last; validate_rubric enforces it.
    bands: tuple[WeightBand, ...] = ()

    @property
    def max_total(self) -> Decimal:
        """The best weighted total an expert can give: Σ weight × scale_max."""
        return sum((c.weight * c.scale_max for c in self.criteria), Decimal(0))

    def band_for(self, requested: Money) -> WeightBand | None:
        """The first band whose bound covers the request.

        None when there are no bands or the request is above a bounded last band: such requests
        are scored with the criteria's own weights, the same fallback as for unlisted codes.
        """
        for band in self.bands:
            if fits_under(requested, band.max_request):
                return band
        return None

    def weights_for(self, requested: Money) -> dict[str, Decimal]:
        band = self.band_for(requested)
        overrides: Mapping[str, Decimal] = band.weights if band is not None else {}
        return {c.code: overrides.get(c.code, c.weight) for c in self.criteria}

    def max_total_for(self, requested: Money) -> Decimal:
        """The best weighted total for a request of this size: Σ band weight × scale_max."""
        weights = self.weights_for(requested)
        return sum((weights[c.code] * c.scale_max for c in self.criteria), Decimal(0))


def _valid_weight(weight: Decimal) -> bool:
    # NaN and infinities are checked first: ordering comparisons on a NaN Decimal raise.
    return weight.is_finite() and weight >= 0


def validate_rubric(
    criteria: Sequence[Criterion], bands: Sequence[WeightBand], prefix: str = "rubric"
) -> None:
    """Raise InvalidArgument listing every broken rule of a rubric, so it can be fixed in one pass."""
    v = Violations()
    if not criteria:
        v.add(f"{prefix}.criteria", "at least one criterion is required", "required")

    seen: set[str] = set()
    for i, c in enumerate(criteria):
        at = f"{prefix}.criteria[{i}]"
        if not c.code:
            v.add(f"{at}.code", "a code is required", "required")
        elif not CODE_PATTERN.fullmatch(c.code):
            v.add(
                f"{at}.code",
                f"code {c.code!r} must be lowercase letters and digits separated by single hyphens",
                "format",
            )
        elif c.code in seen:
            v.add(f"{at}.code", f"code {c.code!r} is used by an earlier criterion", "duplicate")
        seen.add(c.code)
        if not c.title.strip():
            v.add(f"{at}.title", "a title is required", "required")
        if not _valid_weight(c.weight):
            v.add(f"{at}.weight", "the weight must be a number at or above 0", "range")
        if c.scale_min >= c.scale_max:
            v.add(f"{at}.scale_max", "scale_max must be above scale_min", "range")
        else:
            # Thresholds are only meaningful against a well-formed scale; a broken scale is
            # reported once above instead of twice more here.
            for name, threshold in (
                ("comment_required_at_or_below", c.comment_required_at_or_below),
                ("comment_required_at_or_above", c.comment_required_at_or_above),
            ):
                if not c.scale_min <= threshold <= c.scale_max:
                    v.add(
                        f"{at}.{name}",
                        f"must lie within the scale {c.scale_min}–{c.scale_max}",
                        "range",
                    )

    default_weights = {c.code: c.weight for c in criteria}
    scale_max = {c.code: c.scale_max for c in criteria}
    criteria_weights_ok = all(_valid_weight(c.weight) for c in criteria)
    previous: Money | None = None
    for i, band in enumerate(bands):
        at = f"{prefix}.bands[{i}]"
        if band.max_request is None:
            if i != len(bands) - 1:
                v.add(f"{at}.max_request", "only the last band may be unbounded", "order")
        else:
            if band.max_request.minor_units < 0:
                v.add(f"{at}.max_request", "the bound must not be negative", "range")
            if previous is not None and band.max_request.minor_units <= previous.minor_units:
                v.add(
                    f"{at}.max_request",
                    f"bounds must increase strictly; {band.max_request} follows {previous}",
                    "order",
                )
            previous = band.max_request
        # A band's maximum is only checked on valid weights, so one bad weight is reported once.
        weights_ok = criteria_weights_ok
        for code, weight in band.weights.items():
            if code not in default_weights:
                v.add(f"{at}.weights.{code}", f"no criterion has code {code!r}", "unknown")
                weights_ok = False
            elif not _valid_weight(weight):
                v.add(f"{at}.weights.{code}", "the weight must be a number at or above 0", "range")
                weights_ok = False
        if weights_ok:
            merged = {**default_weights, **band.weights}
            total = sum((merged[code] * scale_max[code] for code in merged), Decimal(0))
            if not _valid_weight(total) or total <= 0:
                v.add(at, "the band's maximum total must be above 0", "max_total")

    # The criteria's own weights score every request no band covers (no bands at all, or above
    # a bounded last band), so their maximum total must be positive too: divergence is a
    # percentage of it.
    uncovered = not bands or bands[-1].max_request is not None
    if criteria and uncovered and criteria_weights_ok:
        total = sum((c.weight * c.scale_max for c in criteria), Decimal(0))
        if total <= 0:
            v.add(f"{prefix}.criteria", "the maximum total must be above 0", "max_total")
    v.raise_if_any()


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

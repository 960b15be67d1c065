"""Rubrics with request-size weight bands (the regional example from DOMAIN.md), every rubric
validation rule, every score-sheet rule, and hand-computed weighted totals."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from grantflow_runtime.errors import FieldViolation, InvalidArgument
from grantflow_runtime.money import Money
from grantflow_scoring.domain.rubric import (
    NATIONAL_CRITERIA,
    Criterion,
    Rubric,
    WeightBand,
    default_rubric,
    validate_rubric,
)
from grantflow_scoring.domain.scores import (
    COMMENT_MAX_LEN,
    CriterionScore,
    validate_sheet,
    weighted_total,
)

D = Decimal
SMALL = Money.roubles(500_000)
MEDIUM = Money.roubles(3_000_000)
LARGE = Money.roubles(20_000_000)

# Regional example (DOMAIN.md): relevance 2.5 / 1.5 / 1 and scale 0 / 2 / 3.5 across three
# size bands; the other eight criteria keep weight 1.
REGIONAL_BANDS = (
    WeightBand(SMALL, {"relevance": D("2.5"), "scale": D(0)}),
    WeightBand(MEDIUM, {"relevance": D("1.5"), "scale": D(2)}),
    WeightBand(None, {"relevance": D(1), "scale": D("3.5")}),
)
REGIONAL = Rubric("comp-1", NATIONAL_CRITERIA, REGIONAL_BANDS)
CODES = [c.code for c in NATIONAL_CRITERIA]


def sheet(values: dict[str, int] | None = None, default: int = 5) -> list[CriterionScore]:
    values = values or {}
    return [CriterionScore(code, values.get(code, default), "justified") for code in CODES]


def rules(violations: list[FieldViolation]) -> list[tuple[str, str]]:
    return [(v.field, v.rule) for v in violations]


def rubric_rules(
    criteria: tuple[Criterion, ...], bands: tuple[WeightBand, ...] = ()
) -> list[tuple[str, str]]:
    with pytest.raises(InvalidArgument) as caught:
        validate_rubric(criteria, bands)
    return [(v.field, v.rule) for v in caught.value.violations]


# --- rubric weights and bands ---


def test_default_rubric_is_unchanged_national_0_to_100() -> None:
    rubric = default_rubric("comp-1")
    assert rubric.bands == ()
    assert rubric.max_total == D(100)
    assert rubric.max_total_for(LARGE) == D(100)
    assert rubric.weights_for(SMALL) == dict.fromkeys(CODES, D(1))


@pytest.mark.parametrize(
    ("requested", "relevance", "scale", "max_total"),
    [
        (Money.roubles(100_000), D("2.5"), D(0), D(105)),  # 25 + 0 + 8 × 10
        (SMALL, D("2.5"), D(0), D(105)),  # the bound is inclusive
        (SMALL + Money(1), D("1.5"), D(2), D(115)),  # one kopeck above moves band
        (MEDIUM, D("1.5"), D(2), D(115)),  # 15 + 20 + 80
        (LARGE, D(1), D("3.5"), D(125)),  # 10 + 35 + 80
    ],
)
def test_regional_weights_follow_request_size(
    requested: Money, relevance: Decimal, scale: Decimal, max_total: Decimal
) -> None:
    weights = REGIONAL.weights_for(requested)
    assert weights["relevance"] == relevance
    assert weights["scale"] == scale
    assert all(weights[code] == D(1) for code in CODES if code not in ("relevance", "scale"))
    assert REGIONAL.max_total_for(requested) == max_total


def test_request_above_a_bounded_last_band_uses_the_criteria_weights() -> None:
    rubric = Rubric("comp-1", NATIONAL_CRITERIA, REGIONAL_BANDS[:2])
    assert rubric.weights_for(LARGE) == dict.fromkeys(CODES, D(1))


def test_regional_rubric_is_valid() -> None:
    validate_rubric(NATIONAL_CRITERIA, REGIONAL_BANDS)
    validate_rubric(NATIONAL_CRITERIA, ())


# --- weighted totals, by hand ---


def test_weighted_total_uses_the_band_of_the_request() -> None:
    scores = sheet({"relevance": 8, "scale": 6}, default=7)
    # Eight other criteria at 7 = 56 in every band.
    assert weighted_total(REGIONAL, scores, SMALL) == D("76.0")  # 2.5 × 8 + 0 × 6 + 56
    assert weighted_total(REGIONAL, scores, MEDIUM) == D("80.0")  # 1.5 × 8 + 2 × 6 + 56
    assert weighted_total(REGIONAL, scores, LARGE) == D("85.0")  # 1 × 8 + 3.5 × 6 + 56
    assert weighted_total(default_rubric("c"), scores, LARGE) == D(70)


def test_weighted_total_is_exact_and_partial_for_drafts() -> None:
    scores = [CriterionScore("relevance", 3, ""), CriterionScore("scale", 1, "")]
    assert weighted_total(REGIONAL, scores, LARGE) == D("6.5")
    assert weighted_total(REGIONAL, [], LARGE) == D(0)


def test_weighted_total_refuses_unknown_and_repeated_codes() -> None:
    with pytest.raises(ValueError, match="nope"):
        weighted_total(REGIONAL, [CriterionScore("nope", 1, "")], LARGE)
    with pytest.raises(ValueError, match="more than once"):
        weighted_total(REGIONAL, [CriterionScore("scale", 1, "")] * 2, LARGE)


# --- validate_rubric, one rule at a time ---

GOOD = Criterion("relevance", "Relevance", D(1))


def test_at_least_one_criterion() -> None:
    assert rubric_rules(()) == [("rubric.criteria", "required")]


@pytest.mark.parametrize("code", ["a", "relevance", "cost-effectiveness", "k2", "a-1-b"])
def test_valid_codes(code: str) -> None:
    validate_rubric((replace(GOOD, code=code),), ())


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("", "required"),
        ("Relevance", "format"),
        ("a--b", "format"),
        ("-a", "format"),
        ("a-", "format"),
        ("a_b", "format"),
        ("a b", "format"),
    ],
)
def test_invalid_codes(code: str, rule: str) -> None:
    assert rubric_rules((replace(GOOD, code=code),)) == [("rubric.criteria[0].code", rule)]


def test_duplicate_codes() -> None:
    assert rubric_rules((GOOD, replace(GOOD, title="Again"))) == [
        ("rubric.criteria[1].code", "duplicate")
    ]


def test_title_required() -> None:
    assert rubric_rules((replace(GOOD, title="  "),)) == [("rubric.criteria[0].title", "required")]


def test_weight_at_or_above_zero() -> None:
    zero = replace(GOOD, code="zero", weight=D(0))
    validate_rubric((GOOD, zero), ())
    assert rubric_rules((GOOD, replace(GOOD, code="neg", weight=D("-0.1")))) == [
        ("rubric.criteria[1].weight", "range")
    ]
    assert rubric_rules((GOOD, replace(GOOD, code="nan", weight=D("NaN")))) == [
        ("rubric.criteria[1].weight", "range")
    ]


def test_scale_min_below_scale_max() -> None:
    validate_rubric((replace(GOOD, scale_min=0, scale_max=1, comment_required_at_or_above=1),), ())
    assert rubric_rules((replace(GOOD, scale_min=5, scale_max=5),)) == [
        ("rubric.criteria[0].scale_max", "range")
    ]


def test_comment_thresholds_inside_the_scale() -> None:
    validate_rubric(
        (replace(GOOD, comment_required_at_or_below=3, comment_required_at_or_above=8),), ()
    )
    assert rubric_rules(
        (replace(GOOD, comment_required_at_or_below=-1, comment_required_at_or_above=11),)
    ) == [
        ("rubric.criteria[0].comment_required_at_or_below", "range"),
        ("rubric.criteria[0].comment_required_at_or_above", "range"),
    ]


def test_all_weights_zero_has_no_maximum() -> None:
    assert rubric_rules((replace(GOOD, weight=D(0)),)) == [("rubric.criteria", "max_total")]
    # Covered by an unbounded band with a positive weight, the criteria's weights never apply.
    validate_rubric((replace(GOOD, weight=D(0)),), (WeightBand(None, {"relevance": D(1)}),))


def test_bands_strictly_increasing() -> None:
    same = (WeightBand(SMALL, {}), WeightBand(SMALL, {}), WeightBand(None, {}))
    assert rubric_rules(NATIONAL_CRITERIA, same) == [("rubric.bands[1].max_request", "order")]
    down = (WeightBand(MEDIUM, {}), WeightBand(SMALL, {}))
    assert rubric_rules(NATIONAL_CRITERIA, down) == [("rubric.bands[1].max_request", "order")]
    validate_rubric(NATIONAL_CRITERIA, (WeightBand(SMALL, {}), WeightBand(MEDIUM, {})))


def test_only_the_last_band_unbounded() -> None:
    bands = (WeightBand(None, {}), WeightBand(SMALL, {}))
    assert rubric_rules(NATIONAL_CRITERIA, bands) == [("rubric.bands[0].max_request", "order")]


def test_negative_band_bound() -> None:
    bands = (WeightBand(Money(-1), {}), WeightBand(None, {}))
    assert rubric_rules(NATIONAL_CRITERIA, bands) == [("rubric.bands[0].max_request", "range")]


def test_band_weights_name_known_criteria_and_are_not_negative() -> None:
    bands = (WeightBand(None, {"nope": D(1), "scale": D(-1)}),)
    assert rubric_rules(NATIONAL_CRITERIA, bands) == [
        ("rubric.bands[0].weights.nope", "unknown"),
        ("rubric.bands[0].weights.scale", "range"),
    ]


def test_every_band_has_a_positive_maximum() -> None:
    criteria = (GOOD, replace(GOOD, code="scale", title="Scale"))
    bands = (
        WeightBand(SMALL, {"relevance": D(0), "scale": D(0)}),
        WeightBand(None, {"relevance": D(0)}),
    )
    assert rubric_rules(criteria, bands) == [("rubric.bands[0]", "max_total")]


def test_every_rubric_violation_is_reported_at_once() -> None:
    criteria = (replace(GOOD, code="Bad", title=""), replace(GOOD, weight=D(-1)))
    bands = (WeightBand(None, {}), WeightBand(SMALL, {"x": D(1)}))
    with pytest.raises(InvalidArgument) as caught:
        validate_rubric(criteria, bands, prefix="competition.rubric")
    assert [(v.field, v.rule) for v in caught.value.violations] == [
        ("competition.rubric.criteria[0].code", "format"),
        ("competition.rubric.criteria[0].title", "required"),
        ("competition.rubric.criteria[1].weight", "range"),
        ("competition.rubric.bands[0].max_request", "order"),
        ("competition.rubric.bands[1].weights.x", "unknown"),
    ]


# --- validate_sheet, one rule at a time ---


def test_complete_sheet_is_valid() -> None:
    assert validate_sheet(REGIONAL, sheet()) == []
    # Mid-scale scores need no comment.
    assert validate_sheet(REGIONAL, [replace(s, comment="") for s in sheet()]) == []


def test_missing_criteria_name_their_codes() -> None:
    violations = validate_sheet(REGIONAL, sheet()[2:])
    assert rules(violations) == [("scores", "missing"), ("scores", "missing")]
    assert "'relevance'" in violations[0].description
    assert "'coherence'" in violations[1].description


def test_duplicate_criterion() -> None:
    scores = [*sheet(), CriterionScore("scale", 5, "")]
    assert rules(validate_sheet(REGIONAL, scores)) == [("scores[10].code", "duplicate")]


def test_unknown_criterion() -> None:
    scores = [*sheet(), CriterionScore("charm", 5, "")]
    assert rules(validate_sheet(REGIONAL, scores, prefix="sheet.scores")) == [
        ("sheet.scores[10].code", "unknown")
    ]


@pytest.mark.parametrize("value", [0, 10])
def test_scale_ends_are_in_range(value: int) -> None:
    assert validate_sheet(REGIONAL, sheet({"scale": value})) == []


@pytest.mark.parametrize("value", [-1, 11])
def test_out_of_range(value: int) -> None:
    # The out-of-range value is reported once, without a comment demand on top.
    scores = [replace(s, comment="") for s in sheet({"scale": value})]
    assert rules(validate_sheet(REGIONAL, scores)) == [("scores[5].value", "range")]


@pytest.mark.parametrize("value", [0, 1, 9, 10])
def test_extreme_scores_need_a_comment(value: int) -> None:
    criteria = (replace(GOOD, comment_required_at_or_below=1, comment_required_at_or_above=9),)
    rubric = Rubric("c", criteria)
    assert rules(validate_sheet(rubric, [CriterionScore("relevance", value, " ")])) == [
        ("scores[0].comment", "comment_required")
    ]
    assert validate_sheet(rubric, [CriterionScore("relevance", value, "why")]) == []


@pytest.mark.parametrize("value", [2, 8])
def test_scores_inside_the_thresholds_need_no_comment(value: int) -> None:
    criteria = (replace(GOOD, comment_required_at_or_below=1, comment_required_at_or_above=9),)
    assert validate_sheet(Rubric("c", criteria), [CriterionScore("relevance", value, "")]) == []


def test_comment_length() -> None:
    at_limit = [replace(s, comment="x" * COMMENT_MAX_LEN) for s in sheet()]
    assert validate_sheet(REGIONAL, at_limit) == []
    over = sheet()
    over[3] = replace(over[3], comment="x" * (COMMENT_MAX_LEN + 1))
    assert rules(validate_sheet(REGIONAL, over)) == [("scores[3].comment", "max_len")]


def test_every_sheet_violation_is_reported_at_once() -> None:
    scores = [
        CriterionScore("relevance", 10, ""),
        CriterionScore("relevance", 5, "y" * 2001),
        CriterionScore("charm", 99, ""),
        CriterionScore("scale", 12, "ok"),
    ]
    violations = validate_sheet(default_rubric("c"), scores)
    assert rules(violations) == [
        ("scores[0].comment", "comment_required"),
        ("scores[1].code", "duplicate"),
        ("scores[1].comment", "max_len"),
        ("scores[2].code", "unknown"),
        ("scores[3].value", "range"),
        *[("scores", "missing")] * 8,
    ]

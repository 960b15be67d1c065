"""Divergence at its exact threshold, extra experts one at a time, the final-score rules with hand
numbers, and calibration bringing a lenient and a harsh expert together."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from grantflow_scoring.domain.aggregation import (
    DEFAULT_DIVERGENCE_THRESHOLD_PERCENT,
    FinalRule,
    Review,
    calibrate,
    diverges,
    extra_experts_needed,
    final_score,
)

D = Decimal
HUNDRED = D(100)
THIRTY = DEFAULT_DIVERGENCE_THRESHOLD_PERCENT


# --- divergence ---


def test_default_threshold_is_thirty_percent() -> None:
    assert D(30) == THIRTY


@pytest.mark.parametrize(
    ("totals", "expected"),
    [
        ([D(50), D(80)], False),  # a spread of exactly 30 is not above 30% of 100
        ([D(50), D("80.01")], True),
        ([D("80.01"), D(50)], True),  # order does not matter
        ([D(60), D(50), D(80), D(70)], False),  # max − min over all experts
        ([D(60), D("49.99"), D(80)], True),
        ([D(50)], False),
        ([], False),
    ],
)
def test_divergence_on_a_100_point_total(totals: list[Decimal], expected: bool) -> None:
    assert diverges(totals, HUNDRED, THIRTY) is expected


def test_divergence_scales_with_the_band_maximum() -> None:
    # Regional large band: max total 125, so the threshold is 37.5.
    assert not diverges([D(50), D("87.5")], D(125), THIRTY)
    assert diverges([D(50), D("87.51")], D(125), THIRTY)


# --- extra experts ---


@pytest.mark.parametrize(
    ("totals", "assigned", "max_experts", "expected"),
    [
        ([D(40), D(90)], 2, 4, 1),
        ([D(40), D(90), D(60)], 3, 4, 1),  # still divergent with three: one more
        ([D(40), D(90), D(60), D(70)], 4, 4, 0),  # the cap is reached
        ([D(40), D(90)], 2, 2, 0),  # a competition that allows no extras
        ([D(60), D(90)], 2, 4, 0),  # exactly at the threshold
        ([D(60)], 2, 4, 0),  # the second expert has not scored yet
    ],
)
def test_extra_experts_one_at_a_time(
    totals: list[Decimal], assigned: int, max_experts: int, expected: int
) -> None:
    needed = extra_experts_needed(
        totals,
        max_total=HUNDRED,
        threshold_percent=THIRTY,
        assigned=assigned,
        max_experts=max_experts,
    )
    assert needed == expected


# --- final score ---


@pytest.mark.parametrize(
    ("totals", "expected"),
    [
        ([D(70), D(75), D(81)], D("75.33")),  # 226 / 3 = 75.333…
        ([D(70), D(71)], D("70.50")),
        ([D("70.00"), D("70.01")], D("70.00")),  # 70.005: half to even, down
        ([D("70.01"), D("70.02")], D("70.02")),  # 70.015: half to even, up
        ([D(88)], D("88.00")),
    ],
)
def test_mean_of_all(totals: list[Decimal], expected: Decimal) -> None:
    result = final_score(totals, FinalRule.MEAN_ALL)
    assert result == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("totals", "expected"),
    [
        ([D(60), D(90), D(85)], D("87.50")),  # 90 and 85 are 5 apart
        ([D(40), D(72), D(75), D(90)], D("73.50")),
        ([D(60), D(70), D(80)], D("75.00")),  # two pairs 10 apart: the higher sum wins
        ([D(80), D(70), D(60)], D("75.00")),  # whatever the order
        ([D(50), D(62), D(50)], D("50.00")),  # an exact match is closest
        ([D(50), D(60), D(50), D(60)], D("60.00")),  # two exact matches: the higher pair
        ([D(50), D(71)], D("60.50")),  # two totals: both
        ([D(66)], D("66.00")),
        ([D("70.01"), D("70.00"), D(90)], D("70.00")),  # 70.005 half to even
    ],
)
def test_mean_of_closest_two(totals: list[Decimal], expected: Decimal) -> None:
    assert final_score(totals, FinalRule.MEAN_CLOSEST_TWO) == expected


def test_final_rule_values_are_stable() -> None:
    assert FinalRule("mean_all") is FinalRule.MEAN_ALL
    assert FinalRule("mean_closest_two") is FinalRule.MEAN_CLOSEST_TWO


@pytest.mark.parametrize("rule", list(FinalRule))
def test_final_score_needs_a_total(rule: FinalRule) -> None:
    with pytest.raises(ValueError, match="at least one"):
        final_score([], rule)


# --- calibration ---


def _reviews(table: dict[str, dict[str, str]]) -> list[Review]:
    return [
        Review(expert, app, D(total))
        for expert, scores in table.items()
        for app, total in scores.items()
    ]


def test_lenient_and_harsh_expert_meet_on_the_same_applications() -> None:
    # Lenient gives 80/90, harsh 50/60. Pool: mean 70, population sd √250 = 15.8113883…
    # Each expert's z-scores are −1 and +1, so both map to 70 ∓ 15.81.
    reviews = _reviews({"lenient": {"x": "80", "y": "90"}, "harsh": {"x": "50", "y": "60"}})
    assert calibrate(reviews, HUNDRED) == {
        ("lenient", "x"): D("54.19"),
        ("lenient", "y"): D("85.81"),
        ("harsh", "x"): D("54.19"),
        ("harsh", "y"): D("85.81"),
    }


def test_calibration_narrows_the_gap_and_keeps_each_experts_order() -> None:
    reviews = _reviews(
        {
            "lenient": {"a": "70", "b": "80", "c": "90"},
            "harsh": {"a": "40", "b": "60", "c": "65"},
        }
    )
    calibrated = calibrate(reviews, HUNDRED)
    raw = {(r.expert_id, r.application_id): r.total for r in reviews}
    for app in "abc":
        raw_gap = abs(raw[("lenient", app)] - raw[("harsh", app)])
        new_gap = abs(calibrated[("lenient", app)] - calibrated[("harsh", app)])
        assert new_gap < raw_gap
    for expert in ("lenient", "harsh"):
        assert calibrated[(expert, "a")] < calibrated[(expert, "b")] < calibrated[(expert, "c")]


def test_zero_spread_is_shifted_to_the_pool_and_a_single_review_kept() -> None:
    # Pool 50, 70, 60, 60, 90: mean 66. The flat expert cannot be scaled, only shifted by
    # (66 − 60), which lands it on 66; a lone review says nothing about leniency and stays as given.
    reviews = _reviews(
        {"spread": {"a": "50", "b": "70"}, "flat": {"a": "60", "b": "60"}, "once": {"c": "90"}}
    )
    calibrated = calibrate(reviews, HUNDRED)
    assert calibrated[("flat", "a")] == calibrated[("flat", "b")] == D("66.00")
    assert calibrated[("once", "c")] == D("90.00")


def test_calibrated_scores_are_clipped_to_the_scale() -> None:
    # "high": 0, 0, 30 → mean 10, sd √200, z(30) = √2; pool with three 95s: mean 52.5, sd 43.66,
    # so 52.5 + √2 × 43.66 ≈ 114 is clipped to 100.
    high = _reviews({"high": {"a": "0", "b": "0", "c": "30"}, "flat": dict.fromkeys("def", "95")})
    assert calibrate(high, HUNDRED)[("high", "c")] == D("100.00")
    # Mirror image: 47.5 − √2 × 43.66 < 0 is clipped to 0.
    low = _reviews({"low": {"a": "100", "b": "100", "c": "70"}, "flat": dict.fromkeys("def", "5")})
    assert calibrate(low, HUNDRED)[("low", "c")] == D("0.00")
    # A maximum with more than two places clips down to a value it never exceeds.
    assert calibrate(high, D("13.335"))[("high", "c")] == D("13.33")


def test_calibration_is_deterministic_and_order_independent() -> None:
    reviews = _reviews(
        {
            "e1": {"a": "71.5", "b": "64", "c": "88.25"},
            "e2": {"a": "55", "b": "47", "d": "60"},
            "e3": {"b": "90", "c": "95", "d": "77.7"},
        }
    )
    expected = calibrate(reviews, HUNDRED)
    shuffled = list(reviews)
    random.Random(7).shuffle(shuffled)
    assert calibrate(shuffled, HUNDRED) == expected
    assert all(v.as_tuple().exponent == -2 for v in expected.values())
    assert all(D(0) <= v <= HUNDRED for v in expected.values())


def test_calibration_edge_inputs() -> None:
    assert calibrate([], HUNDRED) == {}
    twice = [Review("e1", "a", D(50)), Review("e1", "a", D(60))]
    with pytest.raises(ValueError, match="only once"):
        calibrate(twice, HUNDRED)

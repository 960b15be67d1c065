"""Target attainment, checked against hand-computed cases (arithmetic in the comments)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from grantflow_impact.domain.attainment import (
    Observation,
    aggregate,
    attainment,
    elapsed_share,
    round_half_up,
)
from grantflow_impact.domain.indicators import Aggregation, Direction
from hypothesis import given
from hypothesis import strategies as st

START = date(2026, 1, 1)
END = date(2026, 1, 10)  # 10 project days, both ends included

Q1, Q2, Q3 = date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30)


# --- elapsed share ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2025, 12, 31), Fraction(0)),  # before the start: clamped to 0
        (START, Fraction(1, 10)),  # the first day counts: 1/10
        (date(2026, 1, 5), Fraction(1, 2)),  # 5 of 10 days
        (END, Fraction(1)),  # the last day: 10/10
        (date(2027, 5, 1), Fraction(1)),  # past the end: clamped to 1
    ],
)
def test_elapsed_share(as_of: date, expected: Fraction) -> None:
    assert elapsed_share(START, END, as_of) == expected


def test_elapsed_share_counts_a_leap_year_in_days() -> None:
    # 2024 has 366 days; 1 Jan–30 Jun is 31+29+31+30+31+30 = 182 days: 182/366 = 91/183.
    assert elapsed_share(date(2024, 1, 1), date(2024, 12, 31), date(2024, 6, 30)) == Fraction(
        91, 183
    )


def test_one_day_project() -> None:
    assert elapsed_share(START, START, START) == 1


def test_end_before_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="before its start"):
        elapsed_share(END, START, END)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    st.integers(0, 2000),
    st.integers(-3000, 3000),
)
def test_elapsed_share_is_a_share(start: date, length: int, offset: int) -> None:
    share = elapsed_share(start, start + timedelta(days=length), start + timedelta(days=offset))
    assert 0 <= share <= 1


# --- aggregation --------------------------------------------------------------------------------


def obs(period_end: date, value: str | None) -> Observation:
    return Observation(period_end, None if value is None else Decimal(value))


def pct(period_end: date, numerator: int, denominator: int) -> Observation:
    # The reported percentage is deliberately present: the roll-up must ignore it.
    value = Decimal(100 * numerator) / Decimal(denominator) if denominator else None
    return Observation(period_end, value, Decimal(numerator), Decimal(denominator))


def test_sum_skips_unreported_periods() -> None:
    # 10 + (not reported) + 15.5 = 25.5
    observations = [obs(Q1, "10"), obs(Q2, None), obs(Q3, "15.5")]
    assert aggregate(observations, Aggregation.SUM) == Decimal("25.5")


def test_max_takes_the_largest() -> None:
    observations = [obs(Q1, "10"), obs(Q2, "15.5"), obs(Q3, "7")]
    assert aggregate(observations, Aggregation.MAX) == Decimal("15.5")


def test_latest_takes_the_latest_period_whatever_the_order() -> None:
    observations = [obs(Q3, "7"), obs(Q1, "10"), obs(Q2, "15.5")]
    assert aggregate(observations, Aggregation.LATEST) == Decimal("7")


def test_latest_falls_back_to_the_latest_period_that_was_reported() -> None:
    # Q2 was not reported; missing is not zero, so Q1's 10 stands.
    assert aggregate([obs(Q1, "10"), obs(Q2, None)], Aggregation.LATEST) == Decimal("10")


def test_latest_on_equal_dates_takes_the_later_correction() -> None:
    assert aggregate([obs(Q1, "10"), obs(Q1, "12")], Aggregation.LATEST) == Decimal("12")


@pytest.mark.parametrize("aggregation", list(Aggregation))
@pytest.mark.parametrize("percentage", [False, True])
def test_no_reports_yet_is_missing_not_zero(aggregation: Aggregation, percentage: bool) -> None:
    assert aggregate([], aggregation, percentage=percentage) is None
    assert aggregate([obs(Q1, None), obs(Q2, None)], aggregation, percentage=percentage) is None


def test_percentages_roll_up_from_numerators_not_by_averaging() -> None:
    # 3/10 = 30% and 30/40 = 75%: pooled (3 + 30)/(10 + 40) = 33/50 = 66%, not (30 + 75)/2 = 52.5%.
    result = aggregate([pct(Q1, 3, 10), pct(Q2, 30, 40)], Aggregation.SUM, percentage=True)
    assert result == Decimal("66")
    assert result != Decimal("52.5")


def test_latest_percentage_is_the_latest_periods_share() -> None:
    # Q2: 30/40 = 75%; pooling Q1 in would count the same cohort twice.
    result = aggregate([pct(Q1, 3, 10), pct(Q2, 30, 40)], Aggregation.LATEST, percentage=True)
    assert result == Decimal("75")


def test_percentages_of_one_period_are_pooled_first() -> None:
    # Two sites report Q2: (3 + 30)/(10 + 40) = 66%; Q1's 90% is older and ignored by LATEST.
    observations = [pct(Q1, 9, 10), pct(Q2, 3, 10), pct(Q2, 30, 40)]
    assert aggregate(observations, Aggregation.LATEST, percentage=True) == Decimal("66")
    # MAX over period shares: Q1 9/10 = 90% beats Q2's pooled 66%.
    assert aggregate(observations, Aggregation.MAX, percentage=True) == Decimal("90")


def test_percentage_is_rounded_to_four_places() -> None:
    # 1/3 × 100 = 33.3333…; 2/3 × 100 = 66.6666… rounds half up to 66.6667.
    assert aggregate([pct(Q1, 1, 3)], Aggregation.SUM, percentage=True) == Decimal("33.3333")
    assert aggregate([pct(Q1, 2, 3)], Aggregation.SUM, percentage=True) == Decimal("66.6667")


def test_percentage_without_numerator_counts_as_not_reported() -> None:
    # The bare 50% cannot be weighted, so only 3/10 counts: 30%.
    observations = [Observation(Q1, Decimal("50")), pct(Q2, 3, 10)]
    assert aggregate(observations, Aggregation.SUM, percentage=True) == Decimal("30")


def test_percentage_with_zero_denominator_has_no_share() -> None:
    assert aggregate([pct(Q1, 0, 0)], Aggregation.SUM, percentage=True) is None
    # MAX skips the empty period: 3/10 = 30%.
    assert aggregate([pct(Q1, 0, 0), pct(Q2, 3, 10)], Aggregation.MAX, percentage=True) == Decimal(
        "30"
    )


def test_negative_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        aggregate(
            [Observation(Q1, None, Decimal(-1), Decimal(10))], Aggregation.SUM, percentage=True
        )


def test_non_finite_values_are_rejected() -> None:
    with pytest.raises(ValueError, match="finite"):
        aggregate([obs(Q1, "NaN")], Aggregation.SUM)


values = st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False)


@given(st.lists(st.one_of(st.none(), values), max_size=20))
def test_sum_equals_the_total_of_reported_values(reported: list[Decimal | None]) -> None:
    observations = [Observation(Q1 + timedelta(days=i), v) for i, v in enumerate(reported)]
    present = [v for v in reported if v is not None]
    result = aggregate(observations, Aggregation.SUM)
    if not present:
        assert result is None
    else:
        with localcontext() as ctx:
            ctx.prec = 60
            assert result == sum(present, Decimal(0))
        assert aggregate(observations, Aggregation.MAX) == max(present)
        assert aggregate(observations, Aggregation.LATEST) == present[-1]


@given(st.lists(st.tuples(st.integers(0, 1000), st.integers(1, 1000)), min_size=1, max_size=10))
def test_pooled_percentage_lies_between_the_period_percentages(
    counts: list[tuple[int, int]],
) -> None:
    observations = [
        Observation(Q1 + timedelta(days=i), None, Decimal(n), Decimal(n + d))
        for i, (n, d) in enumerate(counts)
    ]
    shares = [Fraction(100 * n, n + d) for n, d in counts]
    result = aggregate(observations, Aggregation.SUM, percentage=True)
    assert result is not None
    # Rounded to 4 places, so allow half a unit in the last place.
    assert min(shares) - Fraction(1, 20000) <= Fraction(result) <= max(shares) + Fraction(1, 20000)


# --- attainment ---------------------------------------------------------------------------------


def test_increase() -> None:
    # 150 of 200 = 0.75; halfway the prorated target is 200 × 1/2 = 100, so 150/100 = 1.5.
    a = attainment(
        direction=Direction.INCREASE,
        baseline=Decimal(0),
        target=Decimal(200),
        actual=Decimal(150),
        elapsed=Fraction(1, 2),
    )
    assert (a.status, a.ratio, a.prorated_target, a.prorated_ratio) == (
        "ok",
        Decimal("0.7500"),
        Decimal("100"),
        Decimal("1.5000"),
    )
    assert a.note == "50.0% of the project period has elapsed"


def test_prorated_ratio_uses_the_exact_target_not_the_rounded_one() -> None:
    # Prorated target 100 × 1/3 = 33.3333… shown as 33.3333; 20 / (100/3) = 0.6 exactly
    # (20 / 33.3333 would give 0.6000006).
    a = attainment(
        direction=Direction.INCREASE,
        baseline=Decimal(0),
        target=Decimal(100),
        actual=Decimal(20),
        elapsed=Fraction(1, 3),
    )
    assert a.prorated_target == Decimal("33.3333")
    assert a.prorated_ratio == Decimal("0.6000")


def test_decrease() -> None:
    # Baseline 40, target 20, actual 30: (40 − 30)/(40 − 20) = 0.5.
    # A quarter in, the prorated target is 40 − 20 × 1/4 = 35: (40 − 30)/(40 − 35) = 2.
    a = attainment(
        direction=Direction.DECREASE,
        baseline=Decimal(40),
        target=Decimal(20),
        actual=Decimal(30),
        elapsed=Fraction(1, 4),
    )
    assert (a.status, a.ratio, a.prorated_target, a.prorated_ratio) == (
        "ok",
        Decimal("0.5000"),
        Decimal("35"),
        Decimal("2.0000"),
    )


def test_decreasing_indicator_that_rose_is_negative() -> None:
    # (40 − 50)/(40 − 20) = −0.5
    a = attainment(
        direction=Direction.DECREASE,
        baseline=Decimal(40),
        target=Decimal(20),
        actual=Decimal(50),
        elapsed=Fraction(1),
    )
    assert a.ratio == Decimal("-0.5000")


def test_decrease_with_baseline_equal_to_target_is_undefined() -> None:
    a = attainment(
        direction=Direction.DECREASE,
        baseline=Decimal(20),
        target=Decimal(20),
        actual=Decimal(18),
        elapsed=Fraction(1, 2),
    )
    assert (a.status, a.ratio, a.prorated_ratio) == ("undefined", None, None)
    assert a.actual == Decimal(18)
    assert "baseline equals target" in a.note


def test_increase_with_zero_target_is_undefined() -> None:
    a = attainment(
        direction=Direction.INCREASE,
        baseline=Decimal(0),
        target=Decimal(0),
        actual=Decimal(5),
        elapsed=Fraction(1, 2),
    )
    assert (a.status, a.ratio) == ("undefined", None)


def test_maintain_is_not_prorated() -> None:
    # Hold 95%: 90/95 = 0.947368… → 0.9474, and the same against the (unprorated) target.
    a = attainment(
        direction=Direction.MAINTAIN,
        baseline=Decimal(95),
        target=Decimal(95),
        actual=Decimal(90),
        elapsed=Fraction(1, 3),
    )
    assert (a.ratio, a.prorated_target, a.prorated_ratio) == (
        Decimal("0.9474"),
        Decimal("95"),
        Decimal("0.9474"),
    )


@pytest.mark.parametrize("direction", list(Direction))
def test_no_reports_yet_is_missing(direction: Direction) -> None:
    actual = aggregate([obs(Q1, None)], Aggregation.SUM)
    a = attainment(
        direction=direction,
        baseline=Decimal(40),
        target=Decimal(20),
        actual=actual,
        elapsed=Fraction(1, 2),
    )
    assert (a.status, a.actual, a.ratio, a.prorated_ratio) == ("missing", None, None, None)
    assert "no value reported yet" in a.note


def test_project_past_its_end_date_compares_with_the_whole_target() -> None:
    elapsed = elapsed_share(START, END, END + timedelta(days=90))
    assert elapsed == 1
    # 180/200 = 0.9 both ways: the prorated target is the whole 200.
    a = attainment(
        direction=Direction.INCREASE,
        baseline=Decimal(0),
        target=Decimal(200),
        actual=Decimal(180),
        elapsed=elapsed,
    )
    assert (a.ratio, a.prorated_target, a.prorated_ratio) == (
        Decimal("0.9000"),
        Decimal("200"),
        Decimal("0.9000"),
    )
    assert "over" in a.note


def test_before_the_start_nothing_is_due() -> None:
    # Prorated target 200 × 0 = 0: a prorated ratio would divide by zero.
    a = attainment(
        direction=Direction.INCREASE,
        baseline=Decimal(0),
        target=Decimal(200),
        actual=Decimal(10),
        elapsed=Fraction(0),
    )
    assert (a.status, a.ratio, a.prorated_target, a.prorated_ratio) == (
        "ok",
        Decimal("0.0500"),
        Decimal("0"),
        None,
    )
    assert "not started" in a.note


def test_decrease_before_the_start_is_measured_against_the_baseline() -> None:
    # Prorated target = baseline 40, so (40 − 30)/(40 − 40) is undefined there.
    a = attainment(
        direction=Direction.DECREASE,
        baseline=Decimal(40),
        target=Decimal(20),
        actual=Decimal(30),
        elapsed=Fraction(0),
    )
    assert (a.prorated_target, a.prorated_ratio) == (Decimal("40"), None)


def test_elapsed_outside_zero_to_one_is_rejected() -> None:
    with pytest.raises(ValueError, match="elapsed"):
        attainment(
            direction=Direction.INCREASE,
            baseline=Decimal(0),
            target=Decimal(1),
            actual=Decimal(1),
            elapsed=Fraction(3, 2),
        )


# --- rounding -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (Fraction(1, 2), 0, "1"),  # halves go away from zero
        (Fraction(-1, 2), 0, "-1"),
        (Fraction(5, 2), 0, "3"),  # not banker's rounding (which gives 2)
        (Fraction(1, 3), 4, "0.3333"),
        (Fraction(2, 3), 4, "0.6667"),
        (Fraction(-1, 100000), 4, "0.0000"),  # no negative zero
        (Fraction(7), 2, "7.00"),
    ],
)
def test_round_half_up(value: Fraction, places: int, expected: str) -> None:
    result = round_half_up(value, places)
    assert str(result) == expected

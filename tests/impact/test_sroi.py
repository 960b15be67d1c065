"""Social return on investment, against hand-computed cases."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from grantflow_impact.domain.sroi import OutcomeValue, sroi
from grantflow_runtime.money import Money
from hypothesis import given
from hypothesis import strategies as st

R = Money.roubles
ZERO = Decimal(0)
THOUSAND = Money.roubles(1000)


def outcome(
    name: str = "jobs",
    *,
    quantity: str = "1",
    proxy: Money = THOUSAND,
    deadweight: str = "0",
    attribution: str = "0",
    displacement: str = "0",
    drop_off: str = "0",
    years: int = 1,
) -> OutcomeValue:
    return OutcomeValue(
        outcome=name,
        quantity=Decimal(quantity),
        proxy=proxy,
        deadweight=Decimal(deadweight),
        attribution=Decimal(attribution),
        displacement=Decimal(displacement),
        drop_off=Decimal(drop_off),
        years=years,
    )


def test_deadweight_attribution_and_drop_off_without_discounting() -> None:
    # Year 1: 10 × 1 000 RUB × (1 − 0.2)(1 − 0.25)(1 − 0) = 10 000 × 0.6 = 6 000 RUB.
    # Year 2: 6 000 × (1 − 0.5) = 3 000 RUB. At 0% the PV is 9 000 RUB; 9 000 / 3 000 = 3.00.
    result = sroi(
        [outcome(quantity="10", deadweight="0.2", attribution="0.25", drop_off="0.5", years=2)],
        investment=R(3000),
        discount_rate=ZERO,
    )
    assert result.present_value == R(9000)
    assert result.ratio == Decimal("3.00")
    assert result.per_outcome == (("jobs", R(9000)),)


def test_year_one_is_discounted() -> None:
    # 1 035 RUB a year after: 1 035 / 1.035 = 1 000 RUB today; 1 000 / 1 000 = 1.00.
    result = sroi([outcome(proxy=R(1035))], investment=R(1000))
    assert result.discount_rate == Decimal("0.035")
    assert result.present_value == R(1000)
    assert result.ratio == Decimal("1.00")


def test_discounting_over_two_years() -> None:
    # At 10%: 1 210 / 1.1 + 1 210 / 1.21 = 1 100 + 1 000 = 2 100 RUB.
    result = sroi(
        [outcome(proxy=R(1210), years=2)], investment=R(700), discount_rate=Decimal("0.1")
    )
    assert result.present_value == R(2100)
    assert result.ratio == Decimal("3.00")


def test_every_factor_at_the_default_rate() -> None:
    # Year 1: 50 × 20 000 RUB × 0.7 × 0.8 × 0.9 = 1 000 000 × 0.504 = 504 000 RUB;
    # year 2: × 0.8 = 403 200; year 3: × 0.8 = 322 560.
    # PV = 504 000/1.035 + 403 200/1.071225 + 322 560/1.108717875
    #    = 486 956.5217… + 376 391.5144… + 290 930.6391… = 1 154 278.6753… RUB → 1 154 278.68.
    # 1 154 278.68 / 500 000 = 2.3085… → 2.31.
    result = sroi(
        [
            outcome(
                "employment",
                quantity="50",
                proxy=R(20_000),
                deadweight="0.3",
                attribution="0.2",
                displacement="0.1",
                drop_off="0.2",
                years=3,
            )
        ],
        investment=R(500_000),
    )
    assert result.present_value == Money(115_427_868)
    assert result.ratio == Decimal("2.31")


def test_present_value_is_rounded_to_kopecks_per_outcome_and_rows_add_up() -> None:
    # 1 kopeck a year after at 3.5%: 0.966… kopeck → 1; two such outcomes give 2, not round(1.93).
    result = sroi([outcome("a", proxy=Money(1)), outcome("b", proxy=Money(1))], investment=Money(1))
    assert result.per_outcome == (("a", Money(1)), ("b", Money(1)))
    assert result.present_value == Money(2)
    assert result.ratio == Decimal("2.00")


def test_negative_proxy_is_a_harm() -> None:
    # Benefit 1 000 − harm 400 = 600 RUB at 0%; 600/1 000 = 0.60.
    result = sroi(
        [outcome("benefit"), outcome("noise", proxy=R(-400))],
        investment=R(1000),
        discount_rate=ZERO,
    )
    assert result.per_outcome == (("benefit", R(1000)), ("noise", R(-400)))
    assert result.ratio == Decimal("0.60")


def test_zero_investment_has_no_ratio() -> None:
    result = sroi([outcome()], investment=Money(0), discount_rate=ZERO)
    assert result.present_value == R(1000)
    assert result.ratio is None


def test_no_outcomes() -> None:
    result = sroi([], investment=R(1000))
    assert result.present_value == Money(0)
    assert result.ratio == Decimal("0.00")
    assert result.per_outcome == ()


def test_full_deadweight_leaves_nothing() -> None:
    result = sroi([outcome(deadweight="1", years=5)], investment=R(1))
    assert result.present_value == Money(0)


def test_assumptions_are_stated() -> None:
    result = sroi(
        [
            outcome(
                "jobs",
                quantity="12",
                proxy=R(5000),
                deadweight="0.2",
                attribution="0.1",
                drop_off="0.25",
                years=3,
            )
        ],
        investment=R(1000),
    )
    assert result.assumptions == (
        "discount rate 3.5% a year; year 1 is discounted as well",
        "jobs: 12 × 5 000.00 RUB per unit; deadweight 20%, attribution 10%, displacement 0%, "
        "drop-off 25% a year after the first, lasting 3 years",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"deadweight": Decimal("1.2")}, "jobs: deadweight must be between 0 and 1"),
        ({"attribution": Decimal("-0.1")}, "jobs: attribution must be between 0 and 1"),
        ({"displacement": Decimal("NaN")}, "jobs: displacement must be a finite number"),
        ({"drop_off": Decimal(2)}, "jobs: drop_off must be between 0 and 1"),
        ({"years": 0}, "jobs: years must be at least 1"),
        ({"quantity": Decimal(-1)}, "jobs: quantity must not be negative"),
        ({"proxy": Money(1, "USD")}, "jobs: proxy is in USD"),
    ],
)
def test_invalid_outcomes_name_the_outcome_and_field(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        sroi([replace(outcome(), **changes)], investment=R(1))  # type: ignore[arg-type]


def test_invalid_totals_are_rejected() -> None:
    with pytest.raises(ValueError, match="discount_rate"):
        sroi([outcome()], investment=R(1), discount_rate=Decimal("-0.01"))
    with pytest.raises(ValueError, match="investment"):
        sroi([outcome()], investment=R(-1))
    with pytest.raises(ValueError, match="more than once: jobs"):
        sroi([outcome(), outcome()], investment=R(1))


shares = st.decimals(min_value=0, max_value=1, places=2)


@given(st.integers(0, 10**4), st.integers(0, 10**8), st.integers(1, 10))
def test_without_adjustments_pv_is_quantity_times_proxy_times_years(
    quantity: int, proxy: int, years: int
) -> None:
    result = sroi(
        [outcome(quantity=str(quantity), proxy=Money(proxy), years=years)],
        investment=Money(1),
        discount_rate=ZERO,
    )
    assert result.present_value == Money(quantity * proxy * years)


@given(shares, shares, st.decimals(min_value=0, max_value="0.2", places=3))
def test_more_deadweight_or_discounting_never_adds_value(
    deadweight: Decimal, extra: Decimal, rate: Decimal
) -> None:
    base = outcome(quantity="3", proxy=R(777), drop_off="0.1", years=4)
    less = replace(base, deadweight=deadweight * (1 - extra))
    more = replace(base, deadweight=deadweight)
    value = sroi([less], investment=R(1), discount_rate=rate).present_value
    assert sroi([more], investment=R(1), discount_rate=rate).present_value <= value
    assert sroi([less], investment=R(1), discount_rate=rate + 1).present_value <= value

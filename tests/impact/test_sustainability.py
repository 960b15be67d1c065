"""Financial sustainability indicators, risk levels and trend, against hand-computed cases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from grantflow_impact.domain.sustainability import (
    THRESHOLDS,
    Finances,
    RevenueCategory,
    RiskLevel,
    Sustainability,
    Thresholds,
    Trend,
    assess,
    concentration,
    trend,
)
from grantflow_runtime.money import Money
from hypothesis import given
from hypothesis import strategies as st

R = Money.roubles
C = RevenueCategory
YEAR_END = date(2025, 12, 31)


def finances(
    revenue: dict[RevenueCategory, int], expenses: int, net_assets: int, months: int = 12
) -> Finances:
    """Amounts in thousands of roubles, to keep the arithmetic readable."""
    return Finances(
        period_end=YEAR_END,
        revenue={c: R(1000 * v) for c, v in revenue.items()},
        expenses=R(1000 * expenses),
        net_assets=R(1000 * net_assets),
        period_months=months,
    )


def test_diversified_healthy_organisation_is_green() -> None:
    # Revenue 40 + 30 + 20 + 10 = 100.
    # HHI = 0.4² + 0.3² + 0.2² + 0.1² = 0.16 + 0.09 + 0.04 + 0.01 = 0.30.
    # Grant dependence 40/100 = 0.4; earned income 30/100 = 0.3.
    # Reserves 45 / (90/12) = 45 / 7.5 = 6 months; margin (100 − 90)/100 = 0.1; equity 45/100.
    s = assess(
        finances(
            {C.GRANTS: 40, C.EARNED_INCOME: 30, C.DONATIONS: 20, C.BUSINESS: 10},
            expenses=90,
            net_assets=45,
        )
    )
    assert s.total_revenue == R(100_000)
    assert s.hhi == Decimal("0.3000")
    assert s.grant_dependence == Decimal("0.4000")
    assert s.earned_income_share == Decimal("0.3000")
    assert s.reserve_months == Decimal("6.00")
    assert s.operating_margin == Decimal("0.1000")
    assert s.equity_ratio == Decimal("0.4500")
    assert (s.risk, s.reasons, s.notes) == (RiskLevel.GREEN, (), ())


def test_single_grant_source_is_concentrated_and_dependent_but_not_red() -> None:
    # One source: HHI = 1² = 1 (> 0.5), grant dependence 100/100 = 1 (> 0.8): both amber.
    # Reserves 50 / (100/12) = 6 months; margin 0.
    s = assess(finances({C.GRANTS: 100}, expenses=100, net_assets=50))
    assert s.hhi == Decimal("1.0000")
    assert s.grant_dependence == Decimal("1.0000")
    assert s.earned_income_share == Decimal("0.0000")
    assert s.risk is RiskLevel.AMBER
    assert s.reasons == (
        "revenue concentration HHI 1.0000, above 0.5",
        "grant dependence 1.0000, above 0.8",
    )


def test_concentration_alone_is_never_red() -> None:
    # A single business source: HHI 1, every other figure healthy: amber, not red.
    s = assess(finances({C.BUSINESS: 100}, expenses=50, net_assets=100))
    assert s.risk is RiskLevel.AMBER
    assert s.reasons == ("revenue concentration HHI 1.0000, above 0.5",)


def test_hhi_of_exactly_half_is_not_concentrated() -> None:
    # 0.5² + 0.5² = 0.5: the threshold is "above 0.5".
    s = assess(finances({C.DONATIONS: 50, C.EARNED_INCOME: 50}, expenses=90, net_assets=90))
    assert s.hhi == Decimal("0.5000")
    assert s.risk is RiskLevel.GREEN


def test_zero_revenue_is_red_and_the_shares_are_missing() -> None:
    # Reserves 100 / (50/12) = 24 months, still computable.
    s = assess(finances({}, expenses=50, net_assets=100))
    assert s.total_revenue == Money(0)
    assert (s.hhi, s.grant_dependence, s.earned_income_share) == (None, None, None)
    assert (s.operating_margin, s.equity_ratio) == (None, None)
    assert s.reserve_months == Decimal("24.00")
    assert s.risk is RiskLevel.RED
    assert s.reasons == ("no revenue in the period",)
    assert any("no revenue" in note for note in s.notes)


def test_zero_revenue_listed_as_zero_amounts_is_still_zero_revenue() -> None:
    s = assess(finances({C.GRANTS: 0, C.DONATIONS: 0}, expenses=0, net_assets=0))
    assert s.hhi is None
    assert s.reserve_months is None
    assert s.risk is RiskLevel.RED
    assert len(s.notes) == 2  # no revenue, and no expenses


def test_no_expenses_leaves_reserves_missing_not_infinite() -> None:
    s = assess(finances({C.DONATIONS: 10, C.EARNED_INCOME: 10}, expenses=0, net_assets=5))
    assert s.reserve_months is None
    assert s.operating_margin == Decimal("1.0000")
    assert s.risk is RiskLevel.GREEN
    assert s.notes == ("no expenses reported: months of reserves are undefined",)


@pytest.mark.parametrize(
    ("net_assets", "months", "risk"),
    [
        (36, "3.00", RiskLevel.GREEN),  # 36 / (144/12 = 12) = 3: not under 3
        (35, "2.92", RiskLevel.AMBER),  # 35/12 = 2.9166… → 2.92
        (12, "1.00", RiskLevel.AMBER),  # exactly 1: not under 1
        (11, "0.92", RiskLevel.RED),  # 11/12 = 0.9166… → 0.92
    ],
)
def test_reserve_thresholds(net_assets: int, months: str, risk: RiskLevel) -> None:
    # Revenue 150 = 75 donations + 75 earned (HHI 0.5), expenses 144 → 12 a month; margin 0.04.
    s = assess(
        finances({C.DONATIONS: 75, C.EARNED_INCOME: 75}, expenses=144, net_assets=net_assets)
    )
    assert s.reserve_months == Decimal(months)
    assert s.risk is risk


def test_half_year_report_is_annualised() -> None:
    # Six months: expenses 60 → 10 a month, so 30 of net assets = 3 months.
    # Revenue 60 in six months = 120 a year: equity ratio 30/120 = 0.25 (not 30/60 = 0.5).
    s = assess(
        finances({C.DONATIONS: 30, C.EARNED_INCOME: 30}, expenses=60, net_assets=30, months=6)
    )
    assert s.reserve_months == Decimal("3.00")
    assert s.equity_ratio == Decimal("0.2500")
    assert s.operating_margin == Decimal("0.0000")


@pytest.mark.parametrize(
    ("expenses", "margin", "risk"),
    [
        (110, "-0.1000", RiskLevel.GREEN),  # (100 − 110)/100 = −0.1: not under −0.1
        (115, "-0.1500", RiskLevel.AMBER),
        (125, "-0.2500", RiskLevel.AMBER),  # exactly −0.25: not under it
        (130, "-0.3000", RiskLevel.RED),
    ],
)
def test_operating_margin_thresholds(expenses: int, margin: str, risk: RiskLevel) -> None:
    # Net assets 1 000: reserves are never the issue here.
    s = assess(finances({C.DONATIONS: 50, C.EARNED_INCOME: 50}, expenses=expenses, net_assets=1000))
    assert s.operating_margin == Decimal(margin)
    assert s.risk is risk


def test_negative_net_assets_are_red() -> None:
    # −10 / (120/12) = −1 month: red twice over, both reasons listed.
    s = assess(finances({C.DONATIONS: 60, C.EARNED_INCOME: 60}, expenses=120, net_assets=-10))
    assert s.reserve_months == Decimal("-1.00")
    assert s.equity_ratio == Decimal("-0.0833")  # −10/120 = −0.08333…
    assert s.risk is RiskLevel.RED
    assert s.reasons == (
        "negative net assets (-10 000.00 RUB)",
        "reserves of -1.00 months, under 1",
    )


def test_thresholds_are_configurable() -> None:
    strict = replace(THRESHOLDS, reserve_months_amber=Decimal("6"))
    f = finances({C.DONATIONS: 50, C.EARNED_INCOME: 50}, expenses=96, net_assets=40)
    # 40 / (96/12 = 8) = 5 months: green by default, amber under a 6-month rule.
    assert assess(f).risk is RiskLevel.GREEN
    assert assess(f, thresholds=strict).risk is RiskLevel.AMBER
    assert isinstance(strict, Thresholds)


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="period_months"):
        assess(finances({C.GRANTS: 1}, expenses=1, net_assets=1, months=0))
    with pytest.raises(ValueError, match="must not be negative"):
        assess(finances({C.GRANTS: -1}, expenses=1, net_assets=1))
    with pytest.raises(ValueError, match="USD"):
        assess(Finances(YEAR_END, {C.GRANTS: Money(1, "USD")}, expenses=R(1), net_assets=R(1)))


positive = st.integers(1, 10**12)


@given(st.dictionaries(st.sampled_from(list(C)), positive, min_size=1))
def test_hhi_lies_between_one_over_n_and_one(amounts: dict[RevenueCategory, int]) -> None:
    revenue = {c: Money(v) for c, v in amounts.items()}
    hhi = concentration(revenue)
    assert hhi is not None
    assert Fraction(1, len(revenue)) <= hhi <= 1
    # Equal amounts reach the lower bound exactly.
    assert concentration(dict.fromkeys(revenue, Money(7))) == Fraction(1, len(revenue))


@given(
    st.dictionaries(st.sampled_from(list(C)), st.integers(0, 10**12)),
    st.integers(0, 10**12),
    st.integers(-(10**12), 10**12),
)
def test_risk_is_the_worst_signal(
    amounts: dict[RevenueCategory, int], expenses: int, net_assets: int
) -> None:
    s = assess(
        Finances(
            YEAR_END,
            {c: Money(v) for c, v in amounts.items()},
            expenses=Money(expenses),
            net_assets=Money(net_assets),
        )
    )
    assert (s.risk is RiskLevel.GREEN) == (s.reasons == ())
    if s.total_revenue == Money(0) or net_assets < 0:
        assert s.risk is RiskLevel.RED


# --- trend --------------------------------------------------------------------------------------


def report(period_end: date, risk: RiskLevel, reserve_months: str | None) -> Sustainability:
    return Sustainability(
        period_end=period_end,
        total_revenue=R(100),
        hhi=None,
        grant_dependence=None,
        earned_income_share=None,
        reserve_months=None if reserve_months is None else Decimal(reserve_months),
        operating_margin=None,
        equity_ratio=None,
        risk=risk,
        reasons=(),
    )


Y1, Y2, Y3 = date(2023, 12, 31), date(2024, 12, 31), date(2025, 12, 31)


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ([], Trend.UNKNOWN),
        ([report(Y1, RiskLevel.RED, "0.5")], Trend.UNKNOWN),
        ([report(Y1, RiskLevel.RED, "0.5"), report(Y2, RiskLevel.AMBER, "2")], Trend.IMPROVING),
        ([report(Y1, RiskLevel.GREEN, "6"), report(Y2, RiskLevel.AMBER, "9")], Trend.WORSENING),
        # Same level: reserves 3.00 → 4.00 is more than half a month better.
        ([report(Y1, RiskLevel.GREEN, "3"), report(Y2, RiskLevel.GREEN, "4")], Trend.IMPROVING),
        # 4.00 → 3.50: exactly the tolerance, stable; 4.00 → 3.49 worsening.
        ([report(Y1, RiskLevel.GREEN, "4"), report(Y2, RiskLevel.GREEN, "3.5")], Trend.STABLE),
        (
            [report(Y1, RiskLevel.GREEN, "4"), report(Y2, RiskLevel.GREEN, "3.49")],
            Trend.WORSENING,
        ),
        ([report(Y1, RiskLevel.AMBER, None), report(Y2, RiskLevel.AMBER, "2")], Trend.STABLE),
        # Only the latest two count, in date order whatever the order given.
        (
            [
                report(Y3, RiskLevel.AMBER, "2"),
                report(Y1, RiskLevel.GREEN, "6"),
                report(Y2, RiskLevel.RED, "0.5"),
            ],
            Trend.IMPROVING,
        ),
    ],
)
def test_trend(history: list[Sustainability], expected: Trend) -> None:
    assert trend(history) is expected


def test_trend_from_assessments() -> None:
    # Before: one grant source, reserves 5 / (120/12) = 0.5 months: red.
    # After: HHI 0.16 + 0.09 + 0.09 = 0.34, reserves 40 / (100/12) = 4.8 months: green.
    worse = assess(finances({C.GRANTS: 100}, expenses=120, net_assets=5))
    better = assess(
        replace(
            finances(
                {C.GRANTS: 40, C.EARNED_INCOME: 30, C.DONATIONS: 30},
                expenses=100,
                net_assets=40,
            ),
            period_end=date(2026, 12, 31),
        )
    )
    assert worse.risk is RiskLevel.RED
    assert better.risk is RiskLevel.GREEN
    assert trend([worse, better]) is Trend.IMPROVING


def test_two_assessments_for_one_period_are_rejected() -> None:
    with pytest.raises(ValueError, match="same period"):
        trend([report(Y1, RiskLevel.GREEN, "3"), report(Y1, RiskLevel.RED, "0")])

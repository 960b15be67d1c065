"""Derived totals: hand-computed cases, then properties over random budgets."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from grantflow_applications.domain.applications import (
    ApplicationContent,
    BudgetLine,
    CofinancingSource,
    CofinancingType,
)
from grantflow_applications.domain.totals import Totals, share_percent, totals
from grantflow_runtime.money import Money
from hypothesis import given
from hypothesis import strategies as st

OWN = CofinancingType.OWN_FUNDS
PARTNER = CofinancingType.BUSINESS_PARTNER
IN_KIND = CofinancingType.IN_KIND


def line(grant: int, cofinanced: int = 0) -> BudgetLine:
    return BudgetLine("salaries", "", Money(grant), Money(cofinanced))


def source(kind: CofinancingType | None, amount: int) -> CofinancingSource:
    return CofinancingSource(kind, "", "", Money(amount), confirmation_letter=False)


def content(lines: list[BudgetLine], sources: list[CofinancingSource]) -> ApplicationContent:
    return ApplicationContent(
        title="",
        summary="",
        direction_code="",
        region_codes=(),
        start_date=None,
        end_date=None,
        target_groups=(),
        planned_results=(),
        budget_lines=tuple(lines),
        cofinancing_sources=tuple(sources),
    )


def test_no_cofinancing() -> None:
    t = totals(content([line(Money.roubles(300_000).minor_units), line(1)], []))
    assert t == Totals(
        requested=Money(30_000_001),
        cofinancing=Money(0),
        total_cost=Money(30_000_001),
        cofinancing_share=Fraction(0),
        counted_cofinancing=Money(0),
        in_kind=Money(0),
    )


def test_empty_application_has_zero_share() -> None:
    t = totals(content([], []))
    assert t.total_cost == Money(0)
    assert t.cofinancing_share == 0


def test_share_is_exact_one_third() -> None:
    # 100 of co-financing against 200 of grant: 100 / 300, which no float represents exactly.
    t = totals(content([line(20_000, 10_000)], [source(OWN, 10_000)]))
    assert t.cofinancing_share == Fraction(1, 3)
    assert share_percent(t.cofinancing_share) == Decimal("33.33")


def test_in_kind_capped_at_20_percent() -> None:
    # Grant 800,000 roubles; own funds 100,000; in-kind 50,000. A 20% cap lets in-kind count up to
    # 20 / (100 - 20) × 100,000 = 25,000 roubles, and then 25,000 / (100,000 + 25,000) = 20%.
    # Counted co-financing 125,000; share 125,000 / (800,000 + 125,000) = 125 / 925 = 5 / 37.
    # Declared co-financing stays 150,000 and total cost 950,000 roubles.
    t = totals(
        content(
            [line(Money.roubles(800_000).minor_units, Money.roubles(150_000).minor_units)],
            [
                source(OWN, Money.roubles(100_000).minor_units),
                source(IN_KIND, Money.roubles(50_000).minor_units),
            ],
        ),
        in_kind_cap_percent=Decimal(20),
    )
    assert t.in_kind == Money.roubles(25_000)
    assert t.counted_cofinancing == Money.roubles(125_000)
    assert t.cofinancing == Money.roubles(150_000)
    assert t.total_cost == Money.roubles(950_000)
    assert t.cofinancing_share == Fraction(5, 37)
    assert share_percent(t.cofinancing_share) == Decimal("13.51")


def test_in_kind_under_the_cap_counts_whole() -> None:
    t = totals(
        content([line(1_000)], [source(OWN, 1_000), source(IN_KIND, 100)]),
        in_kind_cap_percent=Decimal(20),
    )
    assert t.in_kind == Money(100)
    assert t.counted_cofinancing == Money(1_100)


def test_capped_in_kind_rounds_down_to_a_kopeck() -> None:
    # 30 / 70 × 100 kopecks = 42.857... kopecks: 42 count, so in-kind stays under 30%.
    t = totals(
        content([line(1_000)], [source(OWN, 100), source(IN_KIND, 1_000)]),
        in_kind_cap_percent=Decimal("30"),
    )
    assert t.in_kind == Money(42)
    assert Fraction(42, 142) <= Fraction(30, 100) < Fraction(43, 143)


def test_cap_zero_counts_no_in_kind() -> None:
    t = totals(
        content([line(1_000)], [source(OWN, 500), source(IN_KIND, 500)]),
        in_kind_cap_percent=Decimal(0),
    )
    assert t.in_kind == Money(0)
    assert t.counted_cofinancing == Money(500)
    assert t.cofinancing == Money(1_000)
    assert t.cofinancing_share == Fraction(500, 1_500)


def test_cap_hundred_and_none_leave_in_kind_whole() -> None:
    parts = content([line(1_000)], [source(IN_KIND, 700)])
    assert totals(parts, in_kind_cap_percent=Decimal(100)).in_kind == Money(700)
    assert totals(parts).in_kind == Money(700)


def test_in_kind_alone_with_a_cap_counts_nothing() -> None:
    # No other co-financing: any in-kind would be 100% of the counted co-financing.
    t = totals(content([line(1_000)], [source(IN_KIND, 700)]), in_kind_cap_percent=Decimal(50))
    assert t.in_kind == Money(0)


def test_disallowed_and_untyped_sources_are_not_counted() -> None:
    t = totals(
        content([line(9_000)], [source(OWN, 1_000), source(PARTNER, 5_000), source(None, 7)]),
        allowed_types=(OWN,),
    )
    assert t.cofinancing == Money(6_007)
    assert t.counted_cofinancing == Money(1_000)
    assert t.cofinancing_share == Fraction(1, 10)
    assert t.total_cost == Money(15_007)


def test_disallowed_in_kind_does_not_count_even_uncapped() -> None:
    t = totals(content([line(1_000)], [source(IN_KIND, 1_000)]), allowed_types=(OWN, PARTNER))
    assert t.in_kind == Money(0)
    assert t.cofinancing_share == 0


def test_other_currency_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot combine"):
        totals(content([line(1), BudgetLine("x", "", Money(1, "USD"), Money(0))], []))


@pytest.mark.parametrize(
    ("share", "percent"),
    [
        (Fraction(0), Decimal("0.00")),
        (Fraction(1), Decimal("100.00")),
        (Fraction(2, 3), Decimal("66.67")),
        # Exactly half a hundredth of a percent: half-even goes to the even neighbour.
        (Fraction(1, 800), Decimal("0.12")),
        (Fraction(3, 800), Decimal("0.38")),
    ],
)
def test_share_percent(share: Fraction, percent: Decimal) -> None:
    shown = share_percent(share)
    assert shown == percent
    assert shown.as_tuple().exponent == -2


kopecks = st.integers(min_value=0, max_value=10**12)
lines = st.lists(st.builds(line, kopecks, kopecks), max_size=8)
sources = st.lists(
    st.builds(source, st.sampled_from([*CofinancingType, None]), kopecks), max_size=8
)
caps = st.none() | st.decimals(min_value=0, max_value=100, places=2)
allowed = st.none() | st.sets(st.sampled_from(list(CofinancingType)))


@given(lines, sources, allowed, caps)
def test_totals_properties(
    budget: list[BudgetLine],
    funds: list[CofinancingSource],
    types: set[CofinancingType] | None,
    cap: Decimal | None,
) -> None:
    t = totals(content(budget, funds), allowed_types=types, in_kind_cap_percent=cap)
    assert t.requested + t.cofinancing == t.total_cost
    assert t.requested == Money(sum(b.grant_amount.minor_units for b in budget))
    assert t.cofinancing == Money(sum(s.amount.minor_units for s in funds))
    assert isinstance(t.cofinancing_share, Fraction)
    assert 0 <= t.cofinancing_share <= 1
    base = t.requested.minor_units + t.counted_cofinancing.minor_units
    assert t.cofinancing_share * base == t.counted_cofinancing.minor_units
    assert 0 <= t.in_kind.minor_units <= t.counted_cofinancing.minor_units
    assert t.counted_cofinancing.minor_units <= t.cofinancing.minor_units
    if cap is not None and t.counted_cofinancing.minor_units:
        assert (
            Fraction(t.in_kind.minor_units, t.counted_cofinancing.minor_units)
            <= Fraction(cap) / 100
        )
    declared_in_kind = sum(
        s.amount.minor_units
        for s in funds
        if s.type is CofinancingType.IN_KIND and (types is None or s.type in types)
    )
    assert t.in_kind.minor_units <= declared_in_kind
    if cap is not None and t.in_kind.minor_units < declared_in_kind:
        # The cap bit, and took no more than it had to: one kopeck more would break it.
        more = Fraction(t.in_kind.minor_units + 1, t.counted_cofinancing.minor_units + 1)
        assert more > Fraction(cap) / 100

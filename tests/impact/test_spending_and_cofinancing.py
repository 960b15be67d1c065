"""Spending against the budget and co-financing compliance, against hand-computed cases."""

from __future__ import annotations

from fractions import Fraction

import pytest
from grantflow_impact.domain.cofinancing import OVERALL, compliance
from grantflow_impact.domain.spending import line_spending, spending_summary
from grantflow_runtime.money import Money
from hypothesis import given
from hypothesis import strategies as st

R = Money.roubles

# --- spending -----------------------------------------------------------------------------------


def test_overspend_on_the_grant_part() -> None:
    # Grant: 110 000 − 100 000 = +10 000 (over); co-financed: 5 000 − 20 000 = −15 000 (under).
    # Spent share (110 000 + 5 000)/(100 000 + 20 000) = 115/120 = 23/24.
    line = line_spending(
        "salaries",
        budget_grant=R(100_000),
        budget_cofinanced=R(20_000),
        spent_grant=R(110_000),
        spent_cofinanced=R(5_000),
    )
    assert line.variance_grant == R(10_000)
    assert line.variance_cofinanced == R(-15_000)
    assert line.spent_share == Fraction(23, 24)
    assert line.overspent


def test_underspend() -> None:
    # 30 000.50 of 60 000.00: 3 000 050 / 6 000 000 kopecks.
    line = line_spending(
        "equipment",
        budget_grant=R(60_000),
        budget_cofinanced=R(0),
        spent_grant=Money(3_000_050),
        spent_cofinanced=R(0),
    )
    assert line.variance_grant == Money(-2_999_950)
    assert line.spent_share == Fraction(3_000_050, 6_000_000)
    assert not line.overspent


def test_overspend_on_the_cofinanced_part_alone() -> None:
    line = line_spending(
        "rent",
        budget_grant=R(10),
        budget_cofinanced=R(10),
        spent_grant=R(0),
        spent_cofinanced=R(11),
    )
    assert line.overspent
    assert line.spent_share == Fraction(11, 20)


def test_zero_budget_has_no_share_but_spending_on_it_is_overspend() -> None:
    line = line_spending(
        "travel",
        budget_grant=R(0),
        budget_cofinanced=R(0),
        spent_grant=R(500),
        spent_cofinanced=R(0),
    )
    assert line.spent_share is None
    assert line.overspent
    assert line.variance_grant == R(500)


def test_summary_totals_lines_and_judges_the_totals() -> None:
    # Salaries overspent by 10 000; equipment underspent by 30 000; totals 140 000 of 170 000.
    lines = [
        line_spending(
            "salaries",
            budget_grant=R(100_000),
            budget_cofinanced=R(10_000),
            spent_grant=R(110_000),
            spent_cofinanced=R(10_000),
        ),
        line_spending(
            "equipment",
            budget_grant=R(50_000),
            budget_cofinanced=R(10_000),
            spent_grant=R(20_000),
            spent_cofinanced=R(0),
        ),
    ]
    total = spending_summary(lines)
    assert total.category == "total"
    assert (total.budget_grant, total.budget_cofinanced) == (R(150_000), R(20_000))
    assert (total.spent_grant, total.spent_cofinanced) == (R(130_000), R(10_000))
    assert (total.variance_grant, total.variance_cofinanced) == (R(-20_000), R(-10_000))
    assert total.spent_share == Fraction(140, 170)
    # The line overspend is covered by savings elsewhere: it shows on the line, not the total.
    assert lines[0].overspent
    assert not total.overspent


def test_summary_of_no_lines() -> None:
    total = spending_summary([])
    assert total.budget_grant == Money(0)
    assert total.spent_share is None
    assert not total.overspent


def test_negative_amounts_are_rejected() -> None:
    with pytest.raises(ValueError, match="salaries: spent_grant must not be negative"):
        line_spending(
            "salaries",
            budget_grant=R(1),
            budget_cofinanced=R(0),
            spent_grant=R(-1),
            spent_cofinanced=R(0),
        )


def test_mixed_currencies_are_rejected() -> None:
    with pytest.raises(ValueError, match="cannot combine"):
        line_spending(
            "salaries",
            budget_grant=R(1),
            budget_cofinanced=Money(0, "USD"),
            spent_grant=R(0),
            spent_cofinanced=R(0),
        )


# --- co-financing compliance --------------------------------------------------------------------


def test_compliance_per_source_and_overall() -> None:
    committed = {"own_funds": R(100_000), "business": R(50_000)}
    received = {"own_funds": R(30_000), "business": R(40_000), "in_kind": R(1_000)}
    rows = {row.key: row for row in compliance(committed, received, elapsed=Fraction(1, 3))}
    assert list(rows) == ["business", "in_kind", "own_funds", OVERALL]

    own = rows["own_funds"]
    # 30 000/100 000 = 3/10; 10 000 000 kopecks × 1/3 = 3 333 333.33… → 3 333 333 (rounded down).
    assert own.ratio == Fraction(3, 10)
    assert own.prorated_committed == Money(3_333_333)
    assert own.prorated_ratio == Fraction(3_000_000, 3_333_333)
    assert own.shortfall

    business = rows["business"]
    # 40 000/50 000 = 4/5; 5 000 000 × 1/3 → 1 666 666; 4 000 000 ≥ that: no shortfall.
    assert business.ratio == Fraction(4, 5)
    assert business.prorated_committed == Money(1_666_666)
    assert not business.shortfall

    in_kind = rows["in_kind"]
    # Received without a commitment: shown, but there is nothing to compare with.
    assert (in_kind.committed, in_kind.received) == (R(0), R(1_000))
    assert (in_kind.ratio, in_kind.prorated_ratio, in_kind.shortfall) == (None, None, False)

    overall = rows[OVERALL]
    # 71 000/150 000 = 71/150; prorated 15 000 000 × 1/3 = 5 000 000 exactly (the per-source
    # roundings sum to 4 999 999); 7 100 000/5 000 000 = 71/50.
    assert (overall.committed, overall.received) == (R(150_000), R(71_000))
    assert overall.ratio == Fraction(71, 150)
    assert overall.prorated_committed == Money(5_000_000)
    assert overall.prorated_ratio == Fraction(71, 50)
    assert not overall.shortfall


def test_nothing_committed() -> None:
    (overall,) = compliance({}, {}, elapsed=Fraction(1, 2))
    assert overall.key == OVERALL
    assert (overall.committed, overall.received, overall.prorated_committed) == (
        Money(0),
        Money(0),
        Money(0),
    )
    assert (overall.ratio, overall.prorated_ratio, overall.shortfall) == (None, None, False)


def test_project_past_its_end_owes_everything_committed() -> None:
    (own, overall) = compliance({"own_funds": R(100)}, {"own_funds": R(99)}, elapsed=Fraction(1))
    assert own.prorated_committed == R(100)
    assert own.ratio == own.prorated_ratio == Fraction(99, 100)
    assert own.shortfall and overall.shortfall


def test_before_the_start_nothing_is_due_yet() -> None:
    (own, _) = compliance({"own_funds": R(100)}, {}, elapsed=Fraction(0))
    assert own.received == Money(0)
    assert own.ratio == 0
    assert (own.prorated_committed, own.prorated_ratio, own.shortfall) == (Money(0), None, False)


@pytest.mark.parametrize(
    ("committed", "received", "elapsed", "message"),
    [
        ({"overall": R(1)}, {}, Fraction(1), "reserved"),
        ({"own_funds": R(1)}, {"business": Money(1, "USD")}, Fraction(1), "mixes currencies"),
        ({"own_funds": R(-1)}, {}, Fraction(1), "own_funds: committed must not be negative"),
        ({}, {}, Fraction(-1, 2), "elapsed"),
    ],
)
def test_bad_input_is_rejected(
    committed: dict[str, Money], received: dict[str, Money], elapsed: Fraction, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        compliance(committed, received, elapsed=elapsed)


amounts = st.dictionaries(
    st.sampled_from(["own_funds", "business", "budget", "grants", "in_kind"]),
    st.integers(0, 10**12).map(Money),
    max_size=5,
)


@given(amounts, amounts, st.fractions(min_value=0, max_value=1))
def test_compliance_invariants(
    committed: dict[str, Money], received: dict[str, Money], elapsed: Fraction
) -> None:
    rows = compliance(committed, received, elapsed=elapsed)
    assert rows[-1].key == OVERALL
    assert sum((r.received for r in rows[:-1]), Money(0)) == rows[-1].received
    for row in rows:
        assert Money(0) <= row.prorated_committed <= row.committed
        # Rounded down by less than a kopeck.
        exact = row.committed.minor_units * elapsed
        assert exact - 1 < row.prorated_committed.minor_units <= exact
        assert row.shortfall == (row.received < row.prorated_committed)
        if row.prorated_ratio is not None:
            assert row.shortfall == (row.prorated_ratio < 1)

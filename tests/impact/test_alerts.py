"""Alerts: condition builders and reconcile (raise once, resolve when cleared, idempotent)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from grantflow_impact.domain.agreements import AgreementIndicator, BudgetLinePlan, ReportingPeriod
from grantflow_impact.domain.alerts import (
    CRITICAL,
    WARNING,
    AlertChanges,
    AlertKey,
    AlertKind,
    Condition,
    cofinancing_shortfall,
    for_agreement,
    late_report,
    overspend,
    reconcile,
    sustainability_risk,
    underperformance,
)
from grantflow_impact.domain.indicators import Aggregation, Direction
from grantflow_runtime.money import Money
from hypothesis import given
from hypothesis import strategies as st

INDICATOR = AgreementIndicator(
    "beneficiaries-reached",
    "Children reached",
    "people",
    Decimal(0),
    Decimal(120),
    Aggregation.SUM,
    Direction.INCREASE,
)
PERIOD = ReportingPeriod(2, "progress", date(2026, 7, 1), date(2026, 9, 30), date(2026, 10, 30))


def key(
    kind: AlertKind = AlertKind.OVERSPEND, subject: str = "salaries", period: int = 1
) -> AlertKey:
    return AlertKey("app-1", kind, subject, period)


def condition(k: AlertKey, severity: str = WARNING) -> Condition:
    return Condition(k, f"{k.kind} {k.subject}", severity)


# Builders


@pytest.mark.parametrize(
    ("ratio", "severity"),
    [
        (None, None),
        (Decimal("1.2"), None),
        (Decimal("0.8"), None),
        (Decimal("0.7999"), WARNING),
        (Decimal("0.5"), WARNING),
        (Decimal("0.4999"), CRITICAL),
        (Decimal("-0.3"), CRITICAL),
    ],
)
def test_underperformance_bands(ratio: Decimal | None, severity: str | None) -> None:
    found = underperformance("app-1", INDICATOR, ratio, 2)
    if severity is None:
        assert found is None
        return
    assert found is not None
    assert found.severity == severity
    assert found.key == AlertKey("app-1", AlertKind.UNDERPERFORMANCE, "beneficiaries-reached", 2)
    assert "Children reached" in found.message


def test_underperformance_message_has_the_numbers() -> None:
    found = underperformance("app-1", INDICATOR, Decimal("0.625"), 2)
    assert found is not None
    assert found.message == (
        "Children reached: 62.5% of the target due by period 2 "
        "(target 120 people for the project; an alert below 80.0%)"
    )


def test_cofinancing_shortfall_against_the_prorated_commitment() -> None:
    committed = Money.roubles(100_000)
    half = Fraction(1, 2)
    assert (
        cofinancing_shortfall("app-1", "own_funds", Money.roubles(40_000), committed, half, 2)
        is None
    )
    warning = cofinancing_shortfall("app-1", "own_funds", Money.roubles(39_999), committed, half, 2)
    assert warning is not None
    assert warning.severity == WARNING
    assert warning.key == AlertKey("app-1", AlertKind.COFINANCING_SHORTFALL, "own_funds", 2)
    assert "39 999.00 RUB received of 50 000.00 RUB due" in warning.message
    critical = cofinancing_shortfall("app-1", "total", Money.roubles(0), committed, half, 2)
    assert critical is not None
    assert critical.severity == CRITICAL
    # Nothing due yet: no shortfall.
    assert cofinancing_shortfall("app-1", "own_funds", Money(0), committed, Fraction(0), 1) is None
    assert cofinancing_shortfall("app-1", "own_funds", Money(0), Money(0), Fraction(1), 1) is None
    with pytest.raises(ValueError, match="elapsed"):
        cofinancing_shortfall("app-1", "own_funds", Money(0), committed, Fraction(3, 2), 1)


def test_overspend_on_the_grant_part_of_a_line() -> None:
    line = BudgetLinePlan("salaries", Money.roubles(1_000), Money.roubles(500))
    assert overspend("app-1", line, Money.roubles(1_000), 3) is None
    warning = overspend("app-1", line, Money.roubles(1_100), 3)
    assert warning is not None
    assert warning.severity == WARNING
    assert warning.message == (
        "budget line salaries: 1 100.00 RUB of grant money spent against 1 000.00 RUB planned "
        "(110.0% of plan), 100.00 RUB over"
    )
    critical = overspend("app-1", line, Money(110_001), 3)
    assert critical is not None
    assert critical.severity == CRITICAL
    unplanned = overspend("app-1", BudgetLinePlan("travel", Money(0), Money(0)), Money(1), 3)
    assert unplanned is not None
    assert unplanned.severity == CRITICAL


def test_late_report_bands() -> None:
    assert late_report("app-1", PERIOD, date(2026, 10, 30)) is None
    warning = late_report("app-1", PERIOD, date(2026, 10, 31))
    assert warning is not None
    assert warning.severity == WARNING
    assert warning.key == AlertKey("app-1", AlertKind.LATE_REPORT, "report", 2)
    assert warning.message.endswith("was due 2026-10-30: 1 day late")
    for today, severity in ((date(2026, 11, 29), WARNING), (date(2026, 11, 30), CRITICAL)):
        found = late_report("app-1", PERIOD, today)
        assert found is not None
        assert found.severity == severity


def test_sustainability_risk_levels() -> None:
    assert sustainability_risk("app-1", "green", 2) is None
    amber = sustainability_risk("app-1", "amber", 2, ["reserves 2.1 months"])
    assert amber is not None
    assert (amber.severity, amber.message) == (
        WARNING,
        "financial sustainability risk is amber: reserves 2.1 months",
    )
    red = sustainability_risk("app-1", "red", 2)
    assert red is not None
    assert red.severity == CRITICAL
    assert red.key.subject == "organisation"
    with pytest.raises(ValueError, match="purple"):
        sustainability_risk("app-1", "purple", 2)


# Reconcile


def test_raise_new_resolve_cleared_keep_open() -> None:
    still = key(subject="salaries")
    cleared = key(subject="equipment")
    new = key(AlertKind.LATE_REPORT, "report", 2)
    changes = reconcile(
        [still, cleared], [condition(still), condition(new)], scope=for_agreement("app-1")
    )
    assert changes == AlertChanges(raise_=(condition(new),), resolve=(cleared,))


def test_same_condition_in_a_later_period_is_a_new_alert() -> None:
    first = key(period=1)
    second = key(period=2)
    changes = reconcile([first], [condition(second)], scope=for_agreement("app-1"))
    assert changes.raise_ == (condition(second),)
    assert changes.resolve == (first,)


def test_alerts_outside_scope_are_left_alone() -> None:
    other = AlertKey("app-2", AlertKind.OVERSPEND, "salaries", 1)
    changes = reconcile([other], [], scope=for_agreement("app-1"))
    assert not changes
    with pytest.raises(ValueError, match="scope"):
        reconcile([], [condition(other)], scope=for_agreement("app-1"))


def test_duplicate_conditions_are_one_alert_the_most_severe() -> None:
    k = key()
    changes = reconcile(
        [],
        [condition(k, WARNING), condition(k, CRITICAL), condition(k, WARNING)],
        scope=for_agreement("app-1"),
    )
    assert changes.raise_ == (condition(k, CRITICAL),)


def test_open_alert_is_not_raised_again_when_its_severity_changes() -> None:
    k = key()
    assert not reconcile([k], [condition(k, CRITICAL)], scope=for_agreement("app-1"))


def test_unknown_severity_is_refused() -> None:
    with pytest.raises(ValueError, match="severity"):
        reconcile([], [Condition(key(), "m", "info")], scope=for_agreement("app-1"))


_keys = st.builds(
    AlertKey,
    agreement_id=st.sampled_from(["app-1", "app-2"]),
    kind=st.sampled_from(list(AlertKind)),
    subject=st.sampled_from(["salaries", "own_funds", "report", "organisation"]),
    period_number=st.integers(min_value=0, max_value=3),
)


@given(
    open_alerts=st.sets(_keys),
    current=st.lists(
        st.builds(
            Condition,
            key=_keys,
            message=st.text(max_size=5),
            severity=st.sampled_from([WARNING, CRITICAL]),
        )
    ),
)
def test_reconcile_is_idempotent(open_alerts: set[AlertKey], current: list[Condition]) -> None:
    scope = for_agreement("app-1")
    in_scope = [c for c in current if scope(c.key)]
    changes = reconcile(open_alerts, in_scope, scope=scope)
    after = (open_alerts | {c.key for c in changes.raise_}) - set(changes.resolve)
    assert not reconcile(after, in_scope, scope=scope)
    # The open set in scope is now exactly the current conditions' keys, and nothing outside it moved.
    assert {k for k in after if scope(k)} == {c.key for c in in_scope}
    assert {k for k in after if not scope(k)} == {k for k in open_alerts if not scope(k)}
    # Each key is raised at most once.
    raised = [c.key for c in changes.raise_]
    assert len(raised) == len(set(raised))

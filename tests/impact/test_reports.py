"""Grantee reports: validation with field paths and rules, lifecycle, late periods."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from grantflow_impact.domain.agreements import (
    Agreement,
    AgreementIndicator,
    BudgetLinePlan,
    reporting_schedule,
)
from grantflow_impact.domain.indicators import Aggregation, Direction
from grantflow_impact.domain.reports import (
    MAX_NARRATIVE,
    Expenditure,
    FinancesInput,
    IndicatorValue,
    Report,
    ReportContent,
    ReportState,
    accept,
    correct,
    correction_id,
    filed_periods,
    late_periods,
    return_report,
    save_draft,
    submit,
    validate_report,
)
from grantflow_runtime.errors import FailedPrecondition, InvalidArgument
from grantflow_runtime.money import Money

NOW = datetime(2026, 7, 10, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=3)

AGREEMENT = Agreement(
    id="app-1",
    competition_id="comp-1",
    organisation_id="org-1",
    organisation_inn="7707083893",
    organisation_name="Svet",
    region_code="77",
    direction_code="social-services",
    title="Early help for families",
    funder="fund",
    grant=Money.roubles(1_000_000),
    cofinancing_committed=(
        ("business_partner", Money.roubles(200_000)),
        ("own_funds", Money.roubles(100_000)),
    ),
    starts_on=date(2026, 4, 1),
    ends_on=date(2027, 9, 30),
    budget=(
        BudgetLinePlan("salaries", Money.roubles(600_000), Money.roubles(100_000)),
        BudgetLinePlan("equipment", Money.roubles(400_000), Money.roubles(200_000)),
    ),
    indicators=(
        AgreementIndicator(
            "beneficiaries-reached",
            "Children reached",
            "people",
            Decimal(0),
            Decimal(120),
            Aggregation.SUM,
            Direction.INCREASE,
        ),
        AgreementIndicator(
            "employment-rate",
            "Share employed",
            "%",
            Decimal(20),
            Decimal(60),
            Aggregation.LATEST,
            Direction.INCREASE,
        ),
    ),
    schedule=reporting_schedule(date(2026, 4, 1), date(2027, 9, 30)),
    created_at=NOW,
)

GOOD = ReportContent(
    indicator_values=(
        IndicatorValue("beneficiaries-reached", Decimal(30), "people"),
        IndicatorValue("employment-rate", Decimal("33.33"), "%", Decimal(1), Decimal(3)),
    ),
    expenditures=(
        Expenditure("salaries", Money.roubles(150_000), Money.roubles(20_000), date(2026, 6, 30)),
        Expenditure("equipment", Money.roubles(0), Money.roubles(0)),
    ),
    cofinancing_received=(("own_funds", Money.roubles(20_000)),),
    finances=FinancesInput(
        revenue={"grants": Money.roubles(2_000_000), "donations": Money.roubles(300_000)},
        expenses=Money.roubles(2_100_000),
        net_assets=Money.roubles(-50_000),  # a deficit is allowed
        period_months=12,
    ),
    narrative="Two groups started.",
)


def rules(content: ReportContent, period: int = 1) -> list[tuple[str, str]]:
    return [(v.field, v.rule) for v in validate_report(AGREEMENT, period, content)]


def draft(content: ReportContent = GOOD, period: int = 1) -> Report:
    return save_draft(
        None, id="rep-1", agreement=AGREEMENT, period_number=period, content=content, now=NOW
    )


# Validation


def test_a_complete_report_is_valid() -> None:
    assert rules(GOOD) == []
    assert rules(GOOD, period=6) == [("report.expenditures[0].spent_on", "period")]


def test_an_empty_report_is_valid_missing_values_are_missing() -> None:
    empty = ReportContent((), (), (), None, "")
    assert rules(empty) == []
    assert rules(replace(empty, indicator_values=(IndicatorValue("volunteers", None, "x"),))) == [
        ("report.indicator_values[0].key", "unknown")
    ]
    assert (
        rules(
            replace(
                empty, indicator_values=(IndicatorValue("beneficiaries-reached", None, "people"),)
            )
        )
        == []
    )


@pytest.mark.parametrize("period", [0, 7, -1])
def test_period_must_belong_to_the_agreement(period: int) -> None:
    violations = validate_report(AGREEMENT, period, GOOD)
    assert [(v.field, v.rule) for v in violations] == [("report.period_number", "period")]
    assert "1, 2, 3, 4, 5, 6" in violations[0].description


def test_indicator_rules() -> None:
    content = replace(
        GOOD,
        indicator_values=(
            IndicatorValue("beneficiaries-reached", Decimal(-1), "people"),  # range
            IndicatorValue("beneficiaries-reached", Decimal(5), "households"),  # duplicate, unit
            IndicatorValue("nobody-knows", Decimal(1), "people"),  # unknown
            IndicatorValue("employment-rate", Decimal(50), ""),  # required unit
        ),
    )
    assert rules(content) == [
        ("report.indicator_values[0].value", "range"),
        ("report.indicator_values[1].key", "duplicate"),
        ("report.indicator_values[1].unit", "unit"),
        ("report.indicator_values[2].key", "unknown"),
        ("report.indicator_values[3].unit", "required"),
    ]


def test_units_match_ignoring_case_and_spaces() -> None:
    content = replace(
        GOOD, indicator_values=(IndicatorValue("beneficiaries-reached", Decimal(3), " People "),)
    )
    assert rules(content) == []


@pytest.mark.parametrize(
    ("value", "numerator", "denominator", "expected"),
    [
        (Decimal(50), None, None, []),
        (None, Decimal(1), Decimal(2), []),
        (Decimal("33.3"), Decimal(1), Decimal(3), []),
        (Decimal(33), Decimal(1), Decimal(3), []),
        (Decimal("66.67"), Decimal(2), Decimal(3), []),
        (Decimal(0), Decimal(0), Decimal(7), []),
        (Decimal(100), Decimal(7), Decimal(7), []),
        (Decimal("100.5"), None, None, [("value", "range")]),
        (Decimal("Infinity"), None, None, [("value", "range")]),
        (Decimal("66.66"), Decimal(2), Decimal(3), [("value", "consistency")]),
        (None, Decimal(1), None, [("denominator", "required")]),
        (None, None, Decimal(1), [("numerator", "required")]),
        (None, Decimal(1), Decimal(0), [("denominator", "range")]),
        (None, Decimal(3), Decimal(2), [("numerator", "range")]),
        (None, Decimal(-1), Decimal(2), [("numerator", "range")]),
        (None, Decimal(1), Decimal(-2), [("denominator", "range")]),
        (None, Decimal("NaN"), Decimal(2), [("numerator", "range")]),
    ],
)
def test_percentage_rules(
    value: Decimal | None,
    numerator: Decimal | None,
    denominator: Decimal | None,
    expected: list[tuple[str, str]],
) -> None:
    content = replace(
        GOOD,
        indicator_values=(IndicatorValue("employment-rate", value, "%", numerator, denominator),),
    )
    assert rules(content) == [(f"report.indicator_values[0].{f}", r) for f, r in expected]


def test_numerator_on_a_count_is_refused() -> None:
    content = replace(
        GOOD,
        indicator_values=(
            IndicatorValue("beneficiaries-reached", Decimal(3), "people", Decimal(1), Decimal(2)),
        ),
    )
    assert rules(content) == [("report.indicator_values[0].numerator", "unit")]


def test_expenditure_rules() -> None:
    content = replace(
        GOOD,
        expenditures=(
            Expenditure("salaries", Money.roubles(-1), Money.roubles(0), date(2026, 4, 1)),
            Expenditure("salaries", Money.roubles(1), Money.roubles(-2), date(2026, 7, 1)),
            Expenditure("travel", Money.roubles(1), Money(100, "EUR"), date(2026, 3, 31)),
            Expenditure("equipment", Money.roubles(1), Money.roubles(1), date(2026, 6, 30)),
        ),
    )
    assert rules(content) == [
        ("report.expenditures[0].grant_part", "range"),
        ("report.expenditures[1].category", "duplicate"),
        ("report.expenditures[1].cofinanced_part", "range"),
        ("report.expenditures[1].spent_on", "period"),
        ("report.expenditures[2].category", "unknown"),
        ("report.expenditures[2].cofinanced_part", "currency"),
        ("report.expenditures[2].spent_on", "period"),
    ]


def test_cofinancing_rules() -> None:
    content = replace(
        GOOD,
        cofinancing_received=(
            ("own_funds", Money.roubles(1)),
            ("own_funds", Money.roubles(2)),
            ("regional_budget", Money.roubles(3)),
            ("business_partner", Money.roubles(-4)),
        ),
    )
    assert rules(content) == [
        ("report.cofinancing_received[1].source", "duplicate"),
        ("report.cofinancing_received[2].source", "unknown"),
        ("report.cofinancing_received[3].amount", "range"),
    ]


def test_finances_rules() -> None:
    assert GOOD.finances is not None
    content = replace(
        GOOD,
        finances=FinancesInput(
            revenue={
                "grants": Money.roubles(-1),
                "royalties": Money.roubles(5),
                "rent income": Money.roubles(5),
                "government": Money(5, "USD"),
            },
            expenses=Money.roubles(-1),
            net_assets=Money.roubles(-1_000),
            period_months=13,
        ),
    )
    assert rules(content) == [
        ("report.finances.revenue.grants", "range"),
        ("report.finances.revenue.royalties", "unknown"),
        ("report.finances.revenue.`rent income`", "unknown"),
        ("report.finances.revenue.government", "currency"),
        ("report.finances.expenses", "range"),
        ("report.finances.period_months", "range"),
    ]
    for months, expected in ((0, 1), (1, 0), (12, 0)):
        ok = replace(GOOD.finances, period_months=months)
        assert len(rules(replace(GOOD, finances=ok))) == expected


def test_narrative_length() -> None:
    assert rules(replace(GOOD, narrative="x" * MAX_NARRATIVE)) == []
    assert rules(replace(GOOD, narrative="x" * (MAX_NARRATIVE + 1))) == [
        ("report.narrative", "max_len")
    ]


def test_all_violations_are_reported_at_once_with_the_prefix() -> None:
    content = ReportContent(
        indicator_values=(IndicatorValue("nope", Decimal(1), "people"),),
        expenditures=(Expenditure("travel", Money.roubles(1), Money.roubles(0)),),
        cofinancing_received=(("in_kind", Money.roubles(1)),),
        finances=FinancesInput({"other": Money.roubles(1)}, Money.roubles(1), Money.roubles(0), 0),
        narrative="x" * (MAX_NARRATIVE + 1),
    )
    violations = validate_report(AGREEMENT, 9, content, prefix="r")
    assert [(v.field, v.rule) for v in violations] == [
        ("r.period_number", "period"),
        ("r.indicator_values[0].key", "unknown"),
        ("r.expenditures[0].category", "unknown"),
        ("r.cofinancing_received[0].source", "unknown"),
        ("r.finances.revenue.other", "unknown"),
        ("r.finances.period_months", "range"),
        ("r.narrative", "max_len"),
    ]


# Lifecycle


def test_save_draft_creates_version_one_and_refuses_invalid_content() -> None:
    report = draft()
    assert (report.id, report.agreement_id, report.period_number) == ("rep-1", "app-1", 1)
    assert (report.version, report.state, report.submitted_at) == (1, ReportState.DRAFT, None)
    assert report.created_at == report.updated_at == NOW
    with pytest.raises(InvalidArgument) as caught:
        draft(period=9)
    assert [(v.field, v.rule) for v in caught.value.violations] == [
        ("report.period_number", "period")
    ]


def test_a_draft_can_be_replaced() -> None:
    first = draft()
    second = save_draft(
        first,
        id="ignored",
        agreement=AGREEMENT,
        period_number=1,
        content=replace(GOOD, narrative="Rewritten."),
        now=LATER,
    )
    assert second.id == "rep-1"
    assert second.version == 1
    assert second.state is ReportState.DRAFT
    assert second.content.narrative == "Rewritten."
    assert (second.created_at, second.updated_at) == (NOW, LATER)


def test_draft_for_another_period_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="period"):
        save_draft(draft(), id="x", agreement=AGREEMENT, period_number=2, content=GOOD, now=NOW)


def test_submit_and_second_submission_refused() -> None:
    submitted = submit(draft(), LATER)
    assert submitted.state is ReportState.SUBMITTED
    assert submitted.submitted_at == LATER
    with pytest.raises(FailedPrecondition) as caught:
        submit(submitted, LATER)
    assert caught.value.reason == "STATE"
    # Nor can a new draft be saved over the submitted report of the period.
    with pytest.raises(FailedPrecondition) as caught:
        save_draft(submitted, id="x", agreement=AGREEMENT, period_number=1, content=GOOD, now=NOW)
    assert caught.value.reason == "STATE"


def test_correction_is_a_new_version_with_a_reason() -> None:
    submitted = submit(draft(), NOW)
    fixed = replace(GOOD, narrative="Corrected figures.")
    v2 = correct(submitted, fixed, "  wrong count of children  ", LATER)
    assert (v2.id, v2.version, v2.state) == ("rep-1-v2", 2, ReportState.SUBMITTED)
    assert v2.correction_reason == "wrong count of children"
    assert v2.content == fixed
    assert v2.submitted_at == v2.created_at == LATER
    v3 = correct(v2, GOOD, "again", LATER)
    assert (v3.id, v3.version) == ("rep-1-v3", 3)
    assert correction_id(v3) == "rep-1-v4"
    assert correct(v2, GOOD, "given id", LATER, id="custom").id == "custom"


def test_correction_needs_a_reason_and_valid_content_together() -> None:
    submitted = submit(draft(), NOW)
    with pytest.raises(InvalidArgument) as caught:
        correct(submitted, GOOD, "   ", LATER)
    assert [(v.field, v.rule) for v in caught.value.violations] == [
        ("correction_reason", "required")
    ]
    bad = replace(GOOD, indicator_values=(IndicatorValue("nope", Decimal(1), "x"),))
    with pytest.raises(InvalidArgument) as caught:
        correct(submitted, bad, "", LATER, agreement=AGREEMENT)
    assert [(v.field, v.rule) for v in caught.value.violations] == [
        ("report.indicator_values[0].key", "unknown"),
        ("correction_reason", "required"),
    ]


def test_correction_allowed_from_submitted_returned_accepted_not_draft() -> None:
    submitted = submit(draft(), NOW)
    returned = return_report(submitted, "officer", "fix the numbers", LATER)
    accepted = accept(submitted, "officer", "", LATER)
    for filed in (submitted, returned, accepted):
        v2 = correct(filed, GOOD, "fix", LATER)
        assert (v2.version, v2.state) == (2, ReportState.SUBMITTED)
        assert (v2.decided_at, v2.decided_by, v2.decision_comment) == (None, "", "")
    with pytest.raises(FailedPrecondition) as caught:
        correct(draft(), GOOD, "fix", LATER)
    assert caught.value.reason == "STATE"


def test_accept_records_who_when_and_comment() -> None:
    accepted = accept(submit(draft(), NOW), " officer ", " fine ", LATER)
    assert accepted.state is ReportState.ACCEPTED
    assert (accepted.decided_at, accepted.decided_by, accepted.decision_comment) == (
        LATER,
        "officer",
        "fine",
    )
    # A decision must say who made it, for the audit trail.
    with pytest.raises(InvalidArgument) as caught:
        accept(submit(draft(), NOW), "", "", LATER)
    assert [v.field for v in caught.value.violations] == ["decided_by"]


def test_return_needs_a_comment() -> None:
    submitted = submit(draft(), NOW)
    returned = return_report(submitted, "officer", "add receipts", LATER)
    assert returned.state is ReportState.RETURNED
    assert returned.decision_comment == "add receipts"
    with pytest.raises(InvalidArgument) as caught:
        return_report(submitted, "officer", "  ", LATER)
    assert [(v.field, v.rule) for v in caught.value.violations] == [("comment", "required")]


@pytest.mark.parametrize("state", [ReportState.DRAFT, ReportState.ACCEPTED, ReportState.RETURNED])
def test_only_submitted_reports_are_decided(state: ReportState) -> None:
    report = replace(draft(), state=state)
    for decide in (accept, return_report):
        with pytest.raises(FailedPrecondition) as caught:
            decide(report, "officer", "comment", LATER)
        assert caught.value.reason == "STATE"


# Late reports


def test_late_periods_by_due_date() -> None:
    # Period 1 is due 2026-07-30, period 2 2026-10-30.
    assert late_periods(AGREEMENT, set(), date(2026, 7, 30)) == ()
    assert [p.number for p in late_periods(AGREEMENT, set(), date(2026, 7, 31))] == [1]
    assert [p.number for p in late_periods(AGREEMENT, {1}, date(2026, 10, 31))] == [2]
    assert [p.number for p in late_periods(AGREEMENT, [], date(2028, 1, 1))] == [1, 2, 3, 4, 5, 6]
    assert late_periods(AGREEMENT, range(1, 7), date(2028, 1, 1)) == ()


def test_filed_periods_count_submitted_accepted_returned_not_drafts() -> None:
    empty = ReportContent((), (), (), None, "")
    reports = [
        draft(empty, period=1),
        submit(draft(empty, period=2), NOW),
        accept(submit(draft(empty, period=3), NOW), "o", "", NOW),
        return_report(submit(draft(empty, period=4), NOW), "o", "fix", NOW),
    ]
    assert filed_periods(reports) == {2, 3, 4}

"""Award agreements: reporting schedule, indicators from planned results, budget and commitments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import pairwise

import pytest
from grantflow_impact.domain.agreements import (
    FINAL,
    PROGRESS,
    AgreementIndicator,
    BudgetLinePlan,
    ReportingPeriod,
    add_months,
    budget_from,
    cofinancing_from,
    indicators_from,
    reporting_schedule,
)
from grantflow_impact.domain.indicators import Aggregation, Direction
from grantflow_runtime.money import Money

CATALOGUE = {
    "beneficiaries-reached": ("people", Aggregation.SUM, Direction.INCREASE),
    "employment-rate": ("%", Aggregation.LATEST, Direction.INCREASE),
    "waiting-list": ("people", Aggregation.LATEST, Direction.DECREASE),
    "volunteers": ("people", Aggregation.MAX, Direction.INCREASE),
}


def _spans(schedule: tuple[ReportingPeriod, ...]) -> list[tuple[int, str, date, date, date]]:
    return [(p.number, p.kind, p.starts_on, p.ends_on, p.due_on) for p in schedule]


def test_eighteen_month_project_has_five_progress_quarters_and_a_final_one() -> None:
    schedule = reporting_schedule(date(2026, 4, 1), date(2027, 9, 30))
    assert _spans(schedule) == [
        (1, PROGRESS, date(2026, 4, 1), date(2026, 6, 30), date(2026, 7, 30)),
        (2, PROGRESS, date(2026, 7, 1), date(2026, 9, 30), date(2026, 10, 30)),
        (3, PROGRESS, date(2026, 10, 1), date(2026, 12, 31), date(2027, 1, 30)),
        (4, PROGRESS, date(2027, 1, 1), date(2027, 3, 31), date(2027, 4, 30)),
        (5, PROGRESS, date(2027, 4, 1), date(2027, 6, 30), date(2027, 7, 30)),
        (6, FINAL, date(2027, 7, 1), date(2027, 9, 30), date(2027, 11, 14)),
    ]


def test_one_month_project_has_a_single_final_period() -> None:
    schedule = reporting_schedule(date(2026, 4, 1), date(2026, 4, 30))
    assert _spans(schedule) == [
        (1, FINAL, date(2026, 4, 1), date(2026, 4, 30), date(2026, 6, 14)),
    ]


def test_project_ending_mid_quarter_has_a_short_final_period() -> None:
    schedule = reporting_schedule(date(2026, 4, 1), date(2026, 11, 15))
    assert _spans(schedule) == [
        (1, PROGRESS, date(2026, 4, 1), date(2026, 6, 30), date(2026, 7, 30)),
        (2, PROGRESS, date(2026, 7, 1), date(2026, 9, 30), date(2026, 10, 30)),
        (3, FINAL, date(2026, 10, 1), date(2026, 11, 15), date(2026, 12, 30)),
    ]


def test_periods_are_aligned_to_a_mid_month_start_without_drift() -> None:
    # From the 31st: quarters end the day before the 31st (or the month's last day) 3n months on.
    schedule = reporting_schedule(date(2026, 1, 31), date(2026, 12, 30))
    assert [(p.starts_on, p.ends_on) for p in schedule] == [
        (date(2026, 1, 31), date(2026, 4, 29)),
        (date(2026, 4, 30), date(2026, 7, 30)),
        (date(2026, 7, 31), date(2026, 10, 30)),
        (date(2026, 10, 31), date(2026, 12, 30)),
    ]
    # Contiguous: every period starts the day after the previous one ends.
    for before, after in pairwise(schedule):
        assert (after.starts_on - before.ends_on).days == 1


def test_single_day_project_and_custom_terms() -> None:
    assert _spans(reporting_schedule(date(2026, 5, 5), date(2026, 5, 5), final_due_days=10)) == [
        (1, FINAL, date(2026, 5, 5), date(2026, 5, 5), date(2026, 5, 15)),
    ]
    monthly = reporting_schedule(
        date(2026, 1, 1), date(2026, 3, 31), months_per_period=1, due_days=10, final_due_days=20
    )
    assert _spans(monthly) == [
        (1, PROGRESS, date(2026, 1, 1), date(2026, 1, 31), date(2026, 2, 10)),
        (2, PROGRESS, date(2026, 2, 1), date(2026, 2, 28), date(2026, 3, 10)),
        (3, FINAL, date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 20)),
    ]


@pytest.mark.parametrize(
    ("starts", "ends", "kwargs"),
    [
        (date(2026, 5, 2), date(2026, 5, 1), {}),
        (date(2026, 5, 1), date(2026, 6, 1), {"months_per_period": 0}),
        (date(2026, 5, 1), date(2026, 6, 1), {"due_days": -1}),
    ],
)
def test_schedule_refuses_impossible_terms(
    starts: date, ends: date, kwargs: dict[str, int]
) -> None:
    with pytest.raises(ValueError, match=r"."):
        reporting_schedule(starts, ends, **kwargs)


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)


def test_indicators_from_planned_results_catalogue_and_required_codes() -> None:
    planned = [
        ("Children reached", "People", Decimal(120), Decimal(0), "beneficiaries-reached"),
        ("Workshops held", "events", Decimal(12), Decimal(0), ""),
        ("Share employed", "%", Decimal("60.5"), Decimal(20), ""),
        ("Waiting list", "people", Decimal(10), Decimal(40), "waiting-list"),
        ("Local partners", "organisations", Decimal(5), Decimal(1), "not-catalogued"),
    ]
    indicators = indicators_from(
        planned, CATALOGUE, required_codes=["volunteers", "beneficiaries-reached", "volunteers"]
    )
    assert indicators == (
        AgreementIndicator(
            "beneficiaries-reached",
            "Children reached",
            "people",  # the catalogue's spelling of the same unit
            Decimal(0),
            Decimal(120),
            Aggregation.SUM,
            Direction.INCREASE,
        ),
        AgreementIndicator(
            "result-2",
            "Workshops held",
            "events",
            Decimal(0),
            Decimal(12),
            Aggregation.SUM,
            Direction.INCREASE,
        ),
        AgreementIndicator(
            "result-3",
            "Share employed",
            "%",
            Decimal(20),
            Decimal("60.5"),
            Aggregation.LATEST,
            Direction.INCREASE,
        ),
        AgreementIndicator(
            "waiting-list",
            "Waiting list",
            "people",
            Decimal(40),
            Decimal(10),
            Aggregation.LATEST,
            Direction.DECREASE,
        ),
        AgreementIndicator(
            "not-catalogued",
            "Local partners",
            "organisations",
            Decimal(1),
            Decimal(5),
            Aggregation.SUM,
            Direction.INCREASE,
        ),
        AgreementIndicator(
            "volunteers",
            "volunteers (required by the competition; not among the application's results)",
            "people",
            Decimal(0),
            Decimal(0),
            Aggregation.MAX,
            Direction.INCREASE,
        ),
    )
    assert indicators[2].is_percentage
    assert not indicators[0].is_percentage


def test_unit_differing_from_the_catalogue_is_refused_naming_the_code() -> None:
    planned = [("Families", "households", Decimal(50), Decimal(0), "beneficiaries-reached")]
    with pytest.raises(ValueError, match="beneficiaries-reached"):
        indicators_from(planned, CATALOGUE)


@pytest.mark.parametrize(
    ("planned", "required", "match"),
    [
        (
            [
                ("A", "people", Decimal(1), Decimal(0), "volunteers"),
                ("B", "people", Decimal(2), Decimal(0), "volunteers"),
            ],
            [],
            "twice",
        ),
        ([("A", "people", Decimal(-1), Decimal(0), "")], [], "target"),
        ([("A", "people", Decimal(1), Decimal("NaN"), "")], [], "baseline"),
        ([("A", " ", Decimal(1), Decimal(0), "")], [], "unit"),
        ([], ["unknown-code"], "unknown-code"),
    ],
)
def test_malformed_planned_results_are_refused(
    planned: list[tuple[str, str, Decimal, Decimal, str]], required: list[str], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        indicators_from(planned, CATALOGUE, required)


def test_budget_lines_merge_per_category_and_commitments_per_source() -> None:
    assert budget_from(
        [
            ("salaries", Money.roubles(100), Money.roubles(10)),
            ("equipment", Money.roubles(50), Money.roubles(0)),
            ("salaries", Money.roubles(20), Money.roubles(5)),
        ]
    ) == (
        BudgetLinePlan("salaries", Money.roubles(120), Money.roubles(15)),
        BudgetLinePlan("equipment", Money.roubles(50), Money.roubles(0)),
    )
    assert cofinancing_from(
        [
            ("own_funds", Money.roubles(10)),
            ("business_partner", Money.roubles(30)),
            ("own_funds", Money.roubles(5)),
        ]
    ) == (("business_partner", Money.roubles(30)), ("own_funds", Money.roubles(15)))
    with pytest.raises(ValueError, match="negative"):
        budget_from([("salaries", Money.roubles(-1), Money.roubles(0))])
    with pytest.raises(ValueError, match="source type"):
        cofinancing_from([(" ", Money.roubles(1))])

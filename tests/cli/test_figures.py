"""Coverage, summaries and exported sheets, computed from the API's JSON without a server."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from grantflow_cli.ops.summary import competition_summary, portfolio_summary
from grantflow_runtime.coverage import coverage
from grantflow_runtime.exports import awards_sheet, ranking_sheet
from grantflow_runtime.sheets import Format, write


def rub(roubles: int) -> dict[str, str]:
    return {"minorUnits": str(roubles * 100), "currencyCode": "RUB"}


def test_coverage_counts_applications_with_all_some_and_none_of_their_experts() -> None:
    applications = [
        {"id": "a1", "title": "One", "state": "STATE_UNDER_REVIEW"},
        {"id": "a2", "title": "Two", "state": "STATE_UNDER_REVIEW"},
        {"id": "a3", "title": "Three", "state": "STATE_SUBMITTED"},
        {"id": "a4", "title": "Withdrawn", "state": "STATE_WITHDRAWN"},
        {"id": "a5", "title": "Draft", "state": "STATE_DRAFT"},
    ]
    assignments: list[dict[str, Any]] = [
        {"applicationId": "a1", "expertId": "e1", "state": "STATE_SCORED"},
        {"applicationId": "a1", "expertId": "e2", "state": "STATE_PENDING"},
        {"applicationId": "a1", "expertId": "e3", "state": "STATE_PENDING", "extra": True},
        {"applicationId": "a2", "expertId": "e1", "state": "STATE_PENDING"},
        {"applicationId": "a2", "expertId": "e2", "state": "STATE_CANCELLED"},
        {"applicationId": "a4", "expertId": "e2", "state": "STATE_CANCELLED"},
    ]
    experts = [
        {"id": "e1", "displayName": "Ivanova", "maxLoad": 5},
        {"id": "e2", "displayName": "Petrov", "maxLoad": 3},
    ]
    result = coverage(applications, assignments, 2, experts)
    assert [a.application_id for a in result.full] == ["a1"]
    assert [(a.application_id, a.experts, a.short) for a in result.partial] == [("a2", 1, 1)]
    assert [a.application_id for a in result.none] == ["a3"]
    assert result.applications == 3
    loads = [
        (e.expert_id, e.name, e.assigned, e.scored, e.pending, e.max_load) for e in result.experts
    ]
    assert loads == [
        ("e1", "Ivanova", 2, 1, 1, 5),
        ("e2", "Petrov", 1, 0, 1, 3),
        ("e3", "", 1, 0, 1, 0),  # not among the experts the caller can list
    ]


def group(key: str, agreements: int, awarded: int, committed: int, leverage: str) -> dict[str, Any]:
    return {
        "key": key,
        "agreements": agreements,
        "awarded": rub(awarded),
        "cofinancingCommitted": rub(committed),
        "cofinancingReceived": rub(0),
        "leverage": leverage,
        "beneficiaries": "12",
        "attainment": [{"name": "unknown", "count": str(agreements)}],
        "openAlerts": [{"name": "overspend", "count": "1"}] if key == "RU-TA" else [],
        "risk": [],
    }


def test_a_competition_summary_puts_states_in_lifecycle_order_and_groups_by_key() -> None:
    total = group("total", 3, 2_500_000, 1_000_000, "0.4000")
    result = competition_summary(
        {
            "id": "c1",
            "title": "Families",
            "state": "STATE_CLOSED",
            "budget": rub(5_000_000),
            "opensAt": "2026-03-01T00:00:00Z",
            "closesAt": "2026-04-30T20:59:59Z",
        },
        [
            {"state": "STATE_DECLINED"},
            {"state": "STATE_AWARDED"},
            {"state": "STATE_WITHDRAWN"},
            {"state": "STATE_AWARDED"},
            {"state": "STATE_SUBMITTED"},
        ],
        {
            "groups": [
                group("health", 1, 500_000, 0, "0"),
                group("family", 2, 2_000_000, 1_000_000, "0.5000"),
            ],
            "total": total,
        },
        {"groups": [group("RU-TA", 3, 2_500_000, 1_000_000, "0.4000")], "total": total},
    )
    assert result.state == "closed"
    assert result.applications == [
        ("submitted", 1),
        ("awarded", 2),
        ("declined", 1),
        ("withdrawn", 1),
    ]
    assert [g.key for g in result.by_direction] == ["family", "health"]
    assert result.by_region[0].open_alerts == {"overspend": 1}
    assert result.total.awarded == 250_000_000 and result.total.leverage == "0.4000"
    assert result.remaining == 250_000_000


def test_a_portfolio_without_agreements_is_all_zeros() -> None:
    result = portfolio_summary({"groupBy": "region", "groups": [], "total": {"key": "total"}})
    assert result.group_by == "region" and result.groups == []
    assert (result.total.agreements, result.total.awarded, result.total.leverage) == (0, 0, "")


RANKING = {
    "entries": [
        {
            "rank": 1,
            "applicationId": "a1",
            "title": "Early help, families",
            "directionCode": "family",
            "requested": {"minorUnits": "100000050", "currencyCode": "RUB"},
            "rawScore": "87.333333",
            "calibratedScore": "",
            "experts": 2,
            "diverged": False,
            "incomplete": False,
        },
        {
            "rank": 2,
            "applicationId": "a2",
            "title": "Elders",
            "directionCode": "social-services",
            "requested": rub(500_000),
            "rawScore": "70",
            "calibratedScore": "71.5",
            "experts": 3,
            "diverged": True,
            "incomplete": True,
        },
    ]
}


def test_the_ranking_is_the_same_in_csv_and_xlsx_with_exact_money(tmp_path: Path) -> None:
    sheet = ranking_sheet(RANKING)
    write(sheet, tmp_path / "r.csv", Format.CSV)
    write(sheet, tmp_path / "r.xlsx", Format.XLSX)
    with (tmp_path / "r.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][:5] == ["rank", "application_id", "title", "direction_code", "requested_rub"]
    assert rows[1] == [
        "1",
        "a1",
        "Early help, families",
        "family",
        "1000000.50",
        "87.333333",
        "",
        "2",
        "no",
        "no",
    ]
    assert rows[2][4:] == ["500000.00", "70", "71.5", "3", "yes", "yes"]
    page = openpyxl.load_workbook(tmp_path / "r.xlsx").active
    assert page is not None and page.title == "Ranking"
    cells = [tuple(r) for r in page.iter_rows(values_only=True)]
    assert cells[1] == (
        1,
        "a1",
        "Early help, families",
        "family",
        1000000.5,
        87.333333,
        None,
        2,
        "no",
        "no",
    )
    assert page["E2"].number_format == "#,##0.00"
    assert page.freeze_panes == "A2"


def test_awards_join_the_decision_with_titles_and_organisations(tmp_path: Path) -> None:
    decision = {
        "awards": [
            {"applicationId": "a2", "amount": rub(400_000), "rank": 2, "score": "70"},
            {"applicationId": "a1", "amount": rub(1_000_000), "rank": 1, "score": "87.33"},
        ]
    }
    applications = [
        {"id": "a1", "organisationId": "o1"},
        {"id": "a2", "organisationId": "o2", "title": "Elders"},
    ]
    organisations = [
        {"id": "o1", "name": "Фонд «Семья»", "inn": "7707083893", "regionCode": "RU-PRI"},
    ]
    sheet = awards_sheet(decision, RANKING, applications, organisations)
    assert [row[1] for row in sheet.rows] == ["a1", "a2"]
    assert sheet.rows[0][4:9] == ["Фонд «Семья»", "7707083893", "RU-PRI", 100000050, 100_000_000]
    assert sheet.rows[1][4] == ""  # an organisation the caller cannot see stays blank
    write(sheet, tmp_path / "a.xlsx", Format.XLSX)
    page = openpyxl.load_workbook(tmp_path / "a.xlsx").active
    assert page is not None
    assert page["I2"].value == 1000000 and page["I3"].value == 400000
    assert page["E2"].value == "Фонд «Семья»"
    write(sheet, tmp_path / "a.csv", Format.CSV)
    text = (tmp_path / "a.csv").read_text(encoding="utf-8")
    assert (
        "1000000.00" in text
        and "Фонд «Семья»" in text
        and Decimal("400000.00") == Decimal(text.splitlines()[2].split(",")[8])
    )

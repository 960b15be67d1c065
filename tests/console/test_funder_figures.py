"""The funder pages' figures, from the API's JSON without a server: whose competitions, who is
funded and where the budget runs out, and the portfolio's distributions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from grantflow_gateway.console.funder_figures import (
    BUDGET_REASON,
    SHADES,
    MonthCount,
    RegionSpread,
    alerts_by_month,
    counts,
    decided_outcomes,
    explain,
    in_order,
    leverage_by_direction,
    month_label,
    own_competitions,
    projected_outcomes,
    region_risks,
    shade,
    shortfall,
    spread_by_region,
)
from grantflow_gateway.console.funder_portfolio import dashboard
from grantflow_gateway.console.i18n import Translator

EN, RU = Translator("en"), Translator("ru")


def rub(roubles: int) -> dict[str, str]:
    return {"minorUnits": str(roubles * 100), "currencyCode": "RUB"}


def test_a_funder_runs_its_drafts_and_the_competitions_whose_panel_it_reads() -> None:
    competitions = [
        {"id": "draft", "state": "STATE_DRAFT"},
        {"id": "mine", "state": "STATE_OPEN"},
        {"id": "theirs", "state": "STATE_OPEN"},
    ]
    assert [c["id"] for c in own_competitions(competitions, {"mine"}, admin=False)] == [
        "draft",
        "mine",
    ]
    assert len(own_competitions(competitions, set(), admin=True)) == 3


# The national pass marks as GetPanel gives them: 60 / 65 / 68 / 70 by request size.
PANEL: dict[str, Any] = {
    "budget": rub(2_500_000),
    "directionQuotas": [],
    "passMarks": [
        {"maxRequest": rub(500_000), "mark": "60"},
        {"maxRequest": rub(3_000_000), "mark": "65"},
        {"maxRequest": rub(10_000_000), "mark": "68"},
        {"mark": "70"},
    ],
}


def entry(rank: int, app: str, requested: int, raw: str, calibrated: str = "") -> dict[str, Any]:
    return {
        "rank": rank,
        "applicationId": app,
        "directionCode": "family",
        "requested": rub(requested),
        "rawScore": raw,
        "calibratedScore": calibrated,
    }


ENTRIES = [
    entry(1, "alpha", 1_000_000, "90"),
    entry(2, "bravo", 1_200_000, "80"),
    entry(3, "charlie", 1_000_000, "70"),
    entry(4, "delta", 300_000, "60"),
    entry(5, "echo", 1_000_000, "64.5"),
]


def test_the_projection_funds_in_rank_order_and_marks_where_the_budget_ran_out() -> None:
    found = projected_outcomes(ENTRIES, PANEL, by_calibrated=False)
    assert found is not None and not found.decided
    # Charlie does not fit the 300,000 left; Delta, smaller and further down, still does.
    assert found.funded == {"alpha": 100_000_000, "bravo": 120_000_000, "delta": 30_000_000}
    assert found.declined == {
        "charlie": BUDGET_REASON,
        "echo": "below the pass mark of 65 for its request size",
    }
    assert (found.cut_off_rank, found.left_at_cut_off) == (3, 30_000_000)
    assert (found.budget_used, found.budget_left) == (250_000_000, 0)


def test_a_budget_that_funds_everyone_has_no_cut_off() -> None:
    rich = {**PANEL, "budget": rub(100_000_000)}
    found = projected_outcomes(ENTRIES[:4], rich, by_calibrated=False)
    assert found is not None and set(found.funded) == {"alpha", "bravo", "charlie", "delta"}
    assert (found.cut_off_rank, found.left_at_cut_off) == (None, None)


def test_a_direction_quota_declines_in_the_services_words() -> None:
    quota = {**PANEL, "directionQuotas": [{"directionCode": "family", "amount": rub(1_500_000)}]}
    found = projected_outcomes(ENTRIES[:2], quota, by_calibrated=False)
    assert found is not None
    assert found.declined == {"bravo": "the quota of direction 'family' is exhausted"}
    assert found.cut_off_rank is None  # the quota ran out, not the budget
    assert explain(EN, found.declined["bravo"]) == "the quota of direction family ran out"


def test_ranking_by_calibrated_scores_needs_them_all() -> None:
    calibrated = [entry(1, "alpha", 1_000_000, "90", "50"), entry(2, "bravo", 300_000, "80", "")]
    assert projected_outcomes(calibrated, PANEL, by_calibrated=True) is None
    found = projected_outcomes(calibrated[:1], PANEL, by_calibrated=True)
    assert found is not None and found.declined == {
        "alpha": "below the pass mark of 65 for its request size"
    }


def test_no_projection_where_the_decision_would_be_refused() -> None:
    uncovered = {**PANEL, "passMarks": [{"maxRequest": rub(500_000), "mark": "60"}]}
    assert projected_outcomes(ENTRIES, uncovered, by_calibrated=False) is None


def test_the_recorded_decision_gives_the_same_cut_off() -> None:
    decision = {
        "awards": [
            {"applicationId": "alpha", "amount": rub(1_000_000), "rank": 1, "score": "90"},
            {"applicationId": "bravo", "amount": rub(1_200_000), "rank": 2, "score": "80"},
            {"applicationId": "delta", "amount": rub(300_000), "rank": 4, "score": "60"},
        ],
        "declined": [
            {"applicationId": "charlie", "rank": 3, "reason": BUDGET_REASON},
            {"applicationId": "foxtrot", "rank": 0, "reason": "no expert scored it"},
        ],
    }
    found = decided_outcomes(decision, 250_000_000)
    assert found.decided and found.budget_used == 250_000_000
    assert (found.cut_off_rank, found.left_at_cut_off) == (3, 30_000_000)
    assert found.declined["foxtrot"] == "no expert scored it"


def test_reasons_read_in_the_pages_language_and_unknown_ones_stay_as_they_are() -> None:
    assert explain(EN, BUDGET_REASON) == "the budget ran out"
    assert explain(RU, BUDGET_REASON) == "бюджет исчерпан"
    assert explain(RU, "below the pass mark of 65.5 for its request size") == (
        "ниже проходного балла 65.5 для запрошенной суммы"
    )
    assert explain(RU, "no expert scored it") == "ни один эксперт её не оценил"
    assert explain(RU, "a reason from a newer service") == "a reason from a newer service"


def test_a_shortfall_is_worded_from_its_cause_and_figures_in_the_pages_language() -> None:
    short = {
        "applicationId": "a1",
        "missing": 1,
        "reason": "only 1 active expert of 3 covering direction 'family' is free of a conflict",
        "cause": "CAUSE_TOO_FEW_WITHOUT_CONFLICT",
        "directionCode": "family",
        "needed": 2,
        "coveringExperts": 3,
        "eligibleExperts": 1,
        "expertsWithRoom": 1,
    }
    assert shortfall(RU, short) == (
        "Экспертов по направлению «Поддержка семьи, материнства, отцовства и детства»: 3; из них "
        "без конфликта интересов с этой заявкой и ещё не рецензирующих её: 1; нужно: 2."
    )
    assert shortfall(EN, short).startswith("Experts covering Support of family, motherhood")
    # Zero figures are left out of the JSON mapping; a cause from a newer service keeps its words.
    assert shortfall(RU, {"cause": "CAUSE_NO_EXPERT_FOR_DIRECTION", "directionCode": "x"}) == (
        "Нет активных экспертов по направлению «x»."
    )
    newer = {"cause": "CAUSE_SOMETHING_NEW", "reason": "in the service's words"}
    assert shortfall(RU, newer) == "in the service's words"


def test_counts_keep_the_known_order_and_show_new_names_after_it() -> None:
    counted = counts([{"name": "80_100", "count": "3"}, {"name": "new_bucket", "count": "1"}])
    assert in_order(counted, ("below_50", "80_100")) == [
        ("below_50", 0),
        ("80_100", 3),
        ("new_bucket", 1),
    ]
    assert counts(None) == {}


def test_leverage_is_sorted_highest_first_with_missing_ones_last() -> None:
    portfolio = {
        "groups": [
            {"key": "health", "agreements": 1, "awarded": rub(10), "leverage": "0.5"},
            {"key": "family", "agreements": 2, "awarded": rub(20), "leverage": "0.88"},
            {"key": "youth", "agreements": 0, "leverage": ""},
        ]
    }
    rows = leverage_by_direction(portfolio)
    assert [(r.direction, r.leverage) for r in rows] == [
        ("family", Decimal("0.88")),
        ("health", Decimal("0.5")),
        ("youth", None),
    ]
    assert rows[0].awarded == 2_000


def test_shades_grow_with_the_share_and_a_single_case_still_shows() -> None:
    assert [shade(n, 8) for n in (0, 1, 2, 3, 4, 8)] == [0, 1, 1, 2, 2, SHADES]
    assert shade(1, 100) == 1 and shade(3, 0) == 0


def test_regions_are_listed_riskiest_first_and_add_up() -> None:
    portfolio = {
        "groups": [
            {"key": "RU-MOW", "agreements": 3, "risk": [{"name": "green", "count": "3"}]},
            {
                "key": "RU-PRI",
                "agreements": 4,
                "risk": [{"name": "red", "count": "1"}, {"name": "amber", "count": "1"}],
            },
            {"key": "RU-TA", "agreements": 2, "risk": [{"name": "amber", "count": "2"}]},
        ]
    }
    rows = region_risks(portfolio)
    assert [r.region for r in rows] == ["RU-PRI", "RU-TA", "RU-MOW"]
    # Agreements without a risk figure count as not assessed, so each row adds up.
    assert rows[0].counts == (0, 1, 1, 2) and sum(rows[0].counts) == rows[0].agreements
    assert rows[0].shades == (0, 1, 1, 2)
    assert rows[2].shades == (SHADES, 0, 0, 0)


def test_alerts_are_counted_per_month_with_quiet_months_as_zero() -> None:
    alerts = [
        {"raiseTime": "2025-11-03T10:00:00Z", "severity": "warning"},
        {"raiseTime": "2025-11-30T23:59:59.5Z", "severity": "critical"},
        {"raiseTime": "2026-02-01T00:00:00Z", "severity": "critical"},
        {"raiseTime": "1970-01-01T00:00:00Z", "severity": "warning"},  # unset in the JSON
    ]
    assert alerts_by_month(alerts) == [
        MonthCount(2025, 11, 2, 1),
        MonthCount(2025, 12, 0, 0),
        MonthCount(2026, 1, 0, 0),
        MonthCount(2026, 2, 1, 1),
    ]
    assert alerts_by_month([]) == []


def test_months_read_in_either_language() -> None:
    assert month_label(2026, 11, "en") == "Nov 2026"
    assert month_label(2026, 1, "ru") == "янв 2026"


def test_practices_spread_is_counted_per_region() -> None:
    practices: list[dict[str, Any]] = [
        {"id": "p1", "adoptions": [{"regionCode": "RU-TA"}, {"regionCode": "RU-SVE"}]},
        {"id": "p2", "adoptions": [{"regionCode": "RU-TA"}]},
        {"id": "p3", "adoptions": []},
    ]
    assert spread_by_region(practices) == [
        RegionSpread("RU-TA", 2, 2),
        RegionSpread("RU-SVE", 1, 1),
    ]


def test_an_empty_portfolio_draws_four_charts_that_say_so() -> None:
    empty = {"groups": [], "total": {"key": "total", "agreements": 0}}
    board = dashboard(EN, empty, empty, empty, [])
    assert set(board.charts) == {"attainment", "leverage", "risk", "alerts"}
    # Attainment still lists every bucket (all zero); the others have nothing to draw.
    assert [n for _, n in board.attainment] == [0, 0, 0, 0, 0]
    for name in ("leverage", "risk", "alerts"):
        assert "No data yet" in board.charts[name]
        assert 'role="img"' in board.charts[name]
    assert (board.leverage, board.risks, board.months) == ([], [], [])


def test_the_dashboard_reads_in_russian() -> None:
    by_direction = {"groups": [{"key": "family", "agreements": 2, "leverage": "0.875"}]}
    by_region = {
        "groups": [{"key": "RU-TA", "agreements": 1, "risk": [{"name": "red", "count": "1"}]}]
    }
    alerts = [{"raiseTime": "2026-11-02T08:00:00Z", "severity": "critical"}]
    board = dashboard(RU, {"total": {}}, by_direction, by_region, alerts)
    assert "Поддержка семьи" in board.charts["leverage"] and "0,88" in board.charts["leverage"]
    assert "высокий" in board.charts["risk"]
    assert "ноя 2026" in board.charts["alerts"]
    assert "Сигналы по месяцам" in board.charts["alerts"]

"""The expert area's plain rules: comments, weights, deadlines, ordering and reading a posted sheet."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from grantflow_gateway.console.expert_rules import (
    CANCELLED,
    PENDING,
    SCORED,
    Counts,
    Criterion,
    best_total,
    comment_name,
    comment_rule,
    count,
    criteria_of,
    describe_runs,
    explain,
    index_of,
    is_overdue,
    list_order,
    parse_time,
    read_sheet,
    scoring_over,
    typed_from_score,
    value_name,
    weights_for,
)
from grantflow_gateway.console.forms import Form
from grantflow_gateway.console.i18n import Translator
from grantflow_gateway.console.web import Errors, Formatter, templates
from grantflow_gateway.problems import Violation

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
EN = Translator("en")
RU = Translator("ru")


def criterion(**changes: Any) -> Criterion:
    values: dict[str, Any] = {
        "code": "relevance",
        "title": "Relevance",
        "weight": Decimal(1),
        "scale_min": 0,
        "scale_max": 10,
        "comment_at_or_below": 0,
        "comment_at_or_above": 10,
    }
    values.update(changes)
    return Criterion(**values)


RUBRIC: dict[str, Any] = {
    "competitionId": "c1",
    # The JSON mapping leaves zeros out: scaleMin 0 and commentRequiredAtOrBelow 0 are absent.
    "criteria": [
        {
            "code": "relevance",
            "title": "Relevance",
            "weight": "2.5",
            "scaleMax": 10,
            "commentRequiredAtOrAbove": 10,
        },
        {
            "code": "scale",
            "title": "Scale",
            "weight": "1",
            "scaleMin": 1,
            "scaleMax": 5,
            "commentRequiredAtOrBelow": 2,
            "commentRequiredAtOrAbove": 5,
        },
    ],
    "maxTotal": "30",
    "bands": [
        {
            "maxRequest": {"minorUnits": "50000000", "currencyCode": "RUB"},
            "weights": [{"code": "relevance", "weight": "1.5"}],
        },
        {"weights": [{"code": "scale", "weight": "3.5"}]},
    ],
}


def test_a_rubric_reads_from_the_json_mapping_with_its_zeros_left_out() -> None:
    relevance, scale = criteria_of(RUBRIC)
    assert relevance == criterion(weight=Decimal("2.5"))
    assert (scale.scale_min, scale.scale_max, scale.comment_at_or_below) == (1, 5, 2)
    assert relevance.as_radios and relevance.choices == list(range(11))
    assert not criterion(scale_max=20).as_radios


@pytest.mark.parametrize(
    ("changes", "needs", "runs"),
    [
        ({}, {0, 10}, [(0, 0), (10, 10)]),
        ({"comment_at_or_below": 2, "comment_at_or_above": 9}, {0, 1, 2, 9, 10}, [(0, 2), (9, 10)]),
        # Thresholds that meet cover the whole scale; thresholds outside it cover nothing.
        ({"comment_at_or_below": 5, "comment_at_or_above": 5}, set(range(11)), [(0, 10)]),
        ({"comment_at_or_below": -1, "comment_at_or_above": 11}, set(), []),
    ],
)
def test_which_scores_need_a_comment(
    changes: dict[str, int], needs: set[int], runs: list[tuple[int, int]]
) -> None:
    c = criterion(**changes)
    assert {v for v in c.choices if c.needs_comment(v)} == needs
    assert c.comment_ranges() == runs


def test_the_comment_hint_names_the_scores_in_the_readers_language() -> None:
    assert comment_rule(criterion(), EN) == "A comment is required for a score of 0 and 10."
    wide = criterion(comment_at_or_below=2, comment_at_or_above=9)
    assert comment_rule(wide, RU) == "Комментарий обязателен при балле 0–2 и 9–10."
    assert comment_rule(criterion(comment_at_or_below=5, comment_at_or_above=5), EN) == (
        "A comment is required for any score."
    )
    assert comment_rule(criterion(comment_at_or_below=-1, comment_at_or_above=11), EN) == (
        "A comment is optional."
    )
    assert describe_runs([(0, 1), (5, 5), (9, 10)], " and ") == "0–1, 5 and 9–10"


def test_weights_follow_the_request_size_band_as_the_service_weighs_them() -> None:
    small = {"minorUnits": "50000000", "currencyCode": "RUB"}  # exactly at the first bound
    large = {"minorUnits": "50000001", "currencyCode": "RUB"}
    assert weights_for(RUBRIC, small) == {"relevance": Decimal("1.5"), "scale": Decimal(1)}
    assert weights_for(RUBRIC, large) == {"relevance": Decimal("2.5"), "scale": Decimal("3.5")}
    without_bands = {**RUBRIC, "bands": []}
    assert weights_for(without_bands, None) == {"relevance": Decimal("2.5"), "scale": Decimal(1)}
    criteria = criteria_of(RUBRIC)
    assert best_total(criteria, weights_for(RUBRIC, small)) == Decimal(20)
    assert best_total(criteria, weights_for(RUBRIC, large)) == Decimal("42.5")


def test_only_a_pending_assignment_past_its_deadline_is_overdue() -> None:
    past, future = "2026-11-24T09:00:00Z", "2026-12-01T09:00:00Z"
    assert is_overdue({"state": PENDING, "dueTime": past}, NOW)
    assert not is_overdue({"state": PENDING, "dueTime": future}, NOW)
    assert not is_overdue({"state": SCORED, "dueTime": past}, NOW)
    assert not is_overdue({"state": CANCELLED, "dueTime": past}, NOW)
    assert not is_overdue({"state": PENDING}, NOW)  # no deadline set
    assert not is_overdue({"state": PENDING, "dueTime": "soon"}, NOW)
    assert parse_time("2026-11-25T12:00:00.5Z") == NOW.replace(microsecond=500000)


def test_work_comes_first_in_the_list_and_is_counted() -> None:
    items: list[dict[str, Any]] = [
        {"applicationId": "a", "state": SCORED, "application": {"title": "Alpha"}},
        {"applicationId": "b", "state": CANCELLED},
        {"applicationId": "c", "state": PENDING, "application": {"title": "charlie"}},
        {
            "applicationId": "d",
            "state": PENDING,
            "application": {"title": "Delta"},
            "dueTime": "2026-11-01T00:00:00Z",
        },
        {"applicationId": "e", "state": PENDING, "application": {"title": "Bravo"}},
    ]
    ordered = sorted(items, key=lambda a: list_order(a, NOW))
    assert [a["applicationId"] for a in ordered] == ["d", "e", "c", "a", "b"]
    assert count(items, NOW) == Counts(pending=3, overdue=1, scored=1)


def test_decided_competitions_take_no_scores() -> None:
    assert scoring_over({"state": "STATE_DECIDED"}) and scoring_over({"state": "STATE_ARCHIVED"})
    # Closed competitions may still be scoring; an unreadable one is left to the service to judge.
    assert not scoring_over({"state": "STATE_CLOSED"}) and not scoring_over(None)


def test_a_sheet_is_read_in_rubric_order_as_the_service_names_its_violations() -> None:
    criteria = criteria_of(RUBRIC)
    form = Form.of(
        [
            ("scores[0].code", "relevance"),
            ("scores[0].value", "10"),
            ("scores[0].comment", "  Clear need, shown by data.  "),
            ("scores[1].code", "scale"),
            ("scores[1].value", "3"),
            ("scores[1].comment", ""),
            ("reason", "ignored on a first score"),
        ]
    )
    sheet = read_sheet(form, criteria, revising=False)
    assert sheet.problems == [] and not sheet.rubric_changed
    assert sheet.body == {
        "scores": [
            {"code": "relevance", "value": 10, "comment": "Clear need, shown by data."},
            {"code": "scale", "value": 3, "comment": ""},
        ]
    }
    assert sheet.typed["scores[0].comment"] == "  Clear need, shown by data.  "
    revised = read_sheet(form, criteria, revising=True)
    assert revised.body is not None and revised.body["reason"] == "ignored on a first score"


def test_an_unscored_or_tampered_criterion_is_refused_beside_its_input() -> None:
    criteria = criteria_of(RUBRIC)
    sheet = read_sheet(
        Form.of([("scores[0].value", ""), ("scores[1].value", "9"), ("scores[1].comment", "x")]),
        criteria,
        revising=False,
    )
    assert sheet.body is None
    assert [(v.field, v.reason) for v in sheet.problems] == [
        ("scores[0].value", "required"),
        ("scores[1].value", "range"),
    ]
    assert sheet.typed["scores[1].value"] == "9" and sheet.typed["scores[1].comment"] == "x"
    garbled = read_sheet(
        Form.of([("scores[0].value", "ten"), ("scores[1].value", "3")]), criteria, revising=False
    )
    assert [(v.field, v.reason) for v in garbled.problems] == [("scores[0].value", "format")]


def test_a_sheet_drawn_from_another_rubric_is_not_sent() -> None:
    sheet = read_sheet(
        Form.of(
            [
                ("scores[0].code", "scale"),
                ("scores[0].value", "3"),
                ("scores[1].code", "relevance"),
                ("scores[1].value", "3"),
            ]
        ),
        criteria_of(RUBRIC),
        revising=False,
    )
    assert sheet.rubric_changed and sheet.body is None


def test_a_submitted_score_fills_the_form_for_a_revision() -> None:
    score = {"scores": [{"code": "scale", "value": 4, "comment": "Wide"}, {"code": "relevance"}]}
    typed = typed_from_score(score, criteria_of(RUBRIC))
    # The JSON mapping leaves a score of 0 out: it is still a score, not a blank.
    assert typed == {
        "reason": "",
        "scores[0].value": "0",
        "scores[0].comment": "",
        "scores[1].value": "4",
        "scores[1].comment": "Wide",
    }
    assert typed_from_score(None, criteria_of(RUBRIC))["scores[1].value"] == ""


def test_violations_are_explained_in_the_readers_language() -> None:
    criteria = criteria_of(RUBRIC)
    typed = {"scores[0].value": "10"}

    def said(field: str, reason: str, t: Translator = EN) -> str:
        return explain(Violation(field, "service words", reason), criteria, typed, t)

    assert said("scores[0].comment", "comment_required") == (
        "A score of 10 must be justified: write a comment."
    )
    assert said("scores[0].comment", "COMMENT_REQUIRED", RU) == (
        "Балл 10 нужно обосновать: напишите комментарий."
    )
    assert said("scores[1].value", "range") == "Choose a score from 1 to 5."
    assert said("scores[0].value", "required", RU) == "Выберите балл."
    assert said("reason", "required") == "Say why you are changing the score."
    assert said("conflict.reason", "required", RU) == "Укажите, что связывает вас с заявителем."
    assert said("conflict.reason", "max_len") == "This is too long: at most 2000 characters."
    assert said("scores", "missing") == "Score every criterion."
    # Anything the console does not know keeps the service's own words.
    assert said("scores[7].value", "range") == "service words"
    assert said("", "PANEL_CLOSED", RU) == (
        "Экспертиза по конкурсу завершена: оценки и их изменения больше не принимаются."
    )
    assert said("", "NOT_FOUND") == "You have no assignment of this application."
    assert said("", "UNAVAILABLE") == "service words"
    assert index_of("scores[12].comment") == 12 and index_of("reason") is None


def test_a_long_scale_is_a_labelled_select_and_a_short_one_radios() -> None:
    """Rendered as the page renders it; the browser test covers the radios on the default rubric."""
    criteria = [
        criterion(code="reach", title="Reach", scale_max=20, comment_at_or_above=20),
        criterion(),
    ]
    html = templates.get_template("expert/assignment.html").render(
        t=EN,
        f=Formatter("en"),
        identity=None,
        csrf="token",
        path="/console/assignments/c1/a1",
        here="/console/assignments/c1/a1",
        languages=("ru", "en"),
        home="/console/assignments",
        nav=(),
        heading="Project",
        item={"competitionId": "c1", "applicationId": "a1", "state": PENDING},
        application={"title": "Project"},
        competition=None,
        cancelled=False,
        overdue=False,
        criteria=criteria,
        weights={"reach": Decimal(1), "relevance": Decimal(1)},
        best=Decimal(30),
        own=None,
        own_by_code={},
        show_sheet=True,
        scoring_over=False,
        revising=False,
        values={"scores[0].value": "17"},
        errors=Errors([Violation("scores[0].value", "Choose a score.", "required")]),
        error_labels={"scores[0].value": "Score for “Reach”"},
        conflict_reason="",
        notice="",
        url="/console/assignments/c1/a1",
        comment_rule=lambda c: comment_rule(c, EN),
        value_name=value_name,
        comment_name=comment_name,
    )
    assert '<label for="f-scores-0-value">Score <span class="required">*</span></label>' in html
    assert '<select id="f-scores-0-value" name="scores[0].value" required' in html
    assert '<option value="17" selected>17</option>' in html
    assert (
        'aria-describedby="f-scores-0-value-hint f-scores-0-value-error" aria-invalid="true"'
        in html
    )
    assert html.count('type="radio" name="scores[1].value"') == 11
    assert '<a href="#f-scores-0-value">Score for “Reach”</a>: Choose a score.' in html

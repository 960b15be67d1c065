"""Reading form posts: amounts, dates, repeated rows and the application and report bodies."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from grantflow_gateway.console.application_form import (
    application_body,
    field_label,
    form_view,
    posted_view,
    renumbered,
)
from grantflow_gateway.console.forms import MAX_ROWS, Form, posted
from grantflow_gateway.console.i18n import Translator
from grantflow_gateway.console.report_form import (
    report_body,
    report_field_label,
    report_view,
    rows_by_posted_index,
    to_form_field,
)
from grantflow_gateway.problems import Problem
from starlette.requests import Request


def test_amounts_are_read_in_either_spelling_and_bad_ones_are_named() -> None:
    form = Form(
        {
            "a": "150 000,50",
            "b": "150000.5",
            "c": "12.345",
            "d": "-1",
            "e": "",
            "f": "1\u00a0000",
            "g": "250 000 ₽",
            "h": "15 00 000",
            "i": "1" + "0" * 15,
        }
    )
    assert form.money("a", "RUB") == {"minorUnits": "15000050", "currencyCode": "RUB"}
    assert form.money("b", "RUB") == {"minorUnits": "15000050", "currencyCode": "RUB"}
    assert form.money("f", "RUB") == {"minorUnits": "100000", "currencyCode": "RUB"}
    assert form.money("g", "RUB") == {"minorUnits": "25000000", "currencyCode": "RUB"}
    for refused in "cdehi":
        assert form.money(refused, "RUB") is None
    # Read as the CLI reads amounts in files: groups of three only, so a slip is not a number.
    assert {v.field: v.description for v in form.problems} == {
        "c": "must be an amount in roubles, like 1500000, 1 500 000 or 1 500 000,50",
        "d": "must not be negative",
        "h": "must be an amount in roubles, like 1500000, 1 500 000 or 1 500 000,50",
        "i": "must have at most 15 digits before the decimal point",
    }


def test_dates_and_whole_numbers() -> None:
    form = Form({"d": "2027-02-29", "ok": "2028-02-29", "n": "12", "x": "1.5"})
    assert form.date("ok") == {"year": 2028, "month": 2, "day": 29}
    assert form.date("d") is None
    assert form.integer("n") == 12
    assert form.integer("x") is None
    assert {v.field for v in form.problems} == {"d", "x"}


def test_blank_rows_are_dropped_and_the_rest_renumbered() -> None:
    form = Form(
        {
            "title": "Help",
            "regionCodes": "ru-pri, RU-MOW\n",
            "budgetLines[0].category": "",
            "budgetLines[0].grantAmount": "",
            "budgetLines[1].category": "rent",
            "budgetLines[1].grantAmount": "oops",
            "budgetLines[2].category": "salaries",
            "budgetLines[2].grantAmount": "1000",
            "cofinancingSources[0].type": "COFINANCING_TYPE_OWN_FUNDS",
            "cofinancingSources[0].amount": "10",
            "cofinancingSources[0].confirmationLetter": "on",
        }
    )
    body = application_body(form, currency="RUB")
    assert body["regionCodes"] == ["RU-PRI", "RU-MOW"]
    assert body["budgetLines"] == [
        {"category": "rent"},
        {"category": "salaries", "grantAmount": {"minorUnits": "100000", "currencyCode": "RUB"}},
    ]
    assert body["cofinancingSources"][0]["confirmationLetter"] is True
    # The unreadable amount is named by the row it will have when the form comes back.
    [problem] = form.problems
    assert problem.field == "budgetLines[1].grantAmount"
    assert renumbered(form, problem.field) == "budgetLines[0].grantAmount"
    shown = posted_view(form, spare=1)
    assert [row["category"] for row in shown["rows"]["budgetLines"]] == ["rent", "salaries", ""]
    assert shown["rows"]["budgetLines"][0]["grantAmount"] == "oops"


def test_a_stored_application_fills_the_form() -> None:
    application = {
        "title": "Help",
        "regionCodes": ["RU-PRI", "RU-MOW"],
        "startDate": {"year": 2027, "month": 1, "day": 2},
        "budgetLines": [
            {"category": "rent", "grantAmount": {"minorUnits": "150", "currencyCode": "RUB"}}
        ],
        "cofinancingSources": [{"type": "COFINANCING_TYPE_IN_KIND", "confirmationLetter": True}],
    }
    view = form_view(application, spare=2)
    assert view["values"]["regionCodes"] == "RU-PRI\nRU-MOW"
    assert view["values"]["startDate"] == "2027-01-02"
    assert view["rows"]["budgetLines"][0] == {
        "category": "rent",
        "description": "",
        "grantAmount": "1.50",
        "cofinancedAmount": "",
    }
    assert len(view["rows"]["budgetLines"]) == 3
    assert view["rows"]["cofinancingSources"][0]["confirmationLetter"] == "on"


def test_violations_read_as_the_form_names_them() -> None:
    t = Translator("en")
    assert field_label(t, "budgetLines[1].grantAmount") == "Budget line 2: from the grant"
    assert field_label(t, "cofinancingSources[0]") == "Co-financing source 1"
    assert field_label(t, "title") == "Project title"
    assert field_label(t, "organisation.registeredOn") == "organisation.registeredOn"
    assert field_label(Translator("ru"), "budgetLines[0].category") == "Строка бюджета 1: статья"


AGREEMENT = {
    "grant": {"minorUnits": "100000000", "currencyCode": "RUB"},
    "indicators": [
        {"key": "families", "unit": "families"},
        {"key": "share", "unit": "%"},
    ],
    "budget": [{"category": "salaries"}, {"category": "rent"}],
    "cofinancingCommitted": [{"source": "own funds"}, {"source": "Bank"}],
}


def test_a_report_is_laid_out_by_its_agreement() -> None:
    form = Form(
        {
            "indicatorValues[1].value": "12,5",
            "indicatorValues[1].numerator": "1",
            "indicatorValues[1].denominator": "8",
            "expenditures[1].grantPart": "5000",
            "expenditures[1].spentOn": "2027-02-01",
            "cofinancingReceived[1].amount": "700",
            "finances.revenue.earnedIncome": "10",
            "finances.expenses": "20",
            "finances.periodMonths": "3",
            "narrative": "  Done.  ",
        }
    )
    body = report_body(form, AGREEMENT)
    assert form.problems == []
    assert body["indicatorValues"] == [
        {"key": "share", "unit": "%", "value": "12.5", "numerator": "1", "denominator": "8"}
    ]
    assert body["expenditures"] == [
        {
            "category": "rent",
            "grantPart": {"minorUnits": "500000", "currencyCode": "RUB"},
            "cofinancedPart": {"minorUnits": "0", "currencyCode": "RUB"},
            "spentOn": {"year": 2027, "month": 2, "day": 1},
        }
    ]
    assert body["cofinancingReceived"] == [
        {"source": "Bank", "amount": {"minorUnits": "70000", "currencyCode": "RUB"}}
    ]
    assert body["finances"]["revenue"] == [
        {"category": "earned_income", "amount": {"minorUnits": "1000", "currencyCode": "RUB"}}
    ]
    assert body["finances"]["periodMonths"] == 3
    assert body["narrative"] == "Done."
    # The service names the body's first indicator; the form shows it in the agreement's second row.
    moves = rows_by_posted_index(body, AGREEMENT)
    assert to_form_field("indicatorValues[0].value", moves) == "indicatorValues[1].value"
    assert to_form_field("expenditures[0].spentOn", moves) == "expenditures[1].spentOn"
    assert to_form_field("narrative", moves) == "narrative"
    # A saved report fills the same inputs back.
    saved = {**body, "finances": {**body["finances"]}}
    view = report_view(saved, AGREEMENT)
    assert view["indicatorValues[1].value"] == "12.5"
    assert view["indicatorValues[0].value"] == ""
    assert view["expenditures[1].grantPart"] == "5000.00"
    assert view["finances.revenue.earnedIncome"] == "10.00"
    assert view["finances.periodMonths"] == "3"


def test_a_multiple_select_posts_every_choice() -> None:
    form = Form.of([("regionCodes", "RU-KHA"), ("regionCodes", "RU-PRI"), ("title", "Help")])
    assert application_body(form, currency="RUB")["regionCodes"] == ["RU-KHA", "RU-PRI"]


def test_report_violations_read_as_the_inputs_are_labelled() -> None:
    t = Translator("en")
    agreement = {**AGREEMENT, "indicators": [{"key": "families", "title": "Families helped"}]}
    assert report_field_label(t, agreement, "expenditures[1].grantPart") == (
        "Spent from the grant on rent"
    )
    assert report_field_label(t, agreement, "indicatorValues[0].value") == (
        "Value of «Families helped»"
    )
    assert report_field_label(t, agreement, "cofinancingReceived[1].amount") == (
        "Received from Bank"
    )
    assert report_field_label(t, agreement, "finances.revenue.earnedIncome") == (
        "Revenue: earned income"
    )
    assert report_field_label(Translator("ru"), agreement, "narrative") == "Что сделано за период"
    assert report_field_label(t, agreement, "expenditures[9].grantPart") == (
        "expenditures[9].grantPart"
    )
    assert report_field_label(t, agreement, "period") == "period"


def test_too_many_rows_are_refused_once_however_often_they_are_read() -> None:
    values = {f"budgetLines[{i}].category": f"line {i}" for i in range(MAX_ROWS + 1)}
    form = Form({"title": "Help", **values})
    body = application_body(form, currency="RUB")
    posted_view(form)
    renumbered(form, "budgetLines[3].category")
    assert len(body["budgetLines"]) == MAX_ROWS
    assert [(v.field, v.reason) for v in form.problems] == [("budgetLines", "max")]


async def test_a_long_form_is_read_whole_within_the_body_limit() -> None:
    # Three hundred budget rows of four inputs: past Starlette's default of 1,000 fields.
    pairs = [(f"budgetLines[{i}].{f}", "1") for i in range(300) for f in "abcd"]
    body = urlencode([*pairs, ("title", "Ёлки & палки")]).encode()

    def request(content: bytes) -> Request:
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": content, "more_body": False}

        scope = {"type": "http", "method": "POST", "headers": [], "path": "/", "query_string": b""}
        return Request(scope, receive)

    form = await posted(request(body), limit=len(body))
    assert len(form.values) == 1201 and form.text("title") == "Ёлки & палки"
    with pytest.raises(Problem) as too_large:
        await posted(request(body), limit=len(body) - 1)
    assert too_large.value.status == 413
    with pytest.raises(Problem) as garbled:
        await posted(request(b"title=\xff\xfe"), limit=100)
    assert garbled.value.status == 400

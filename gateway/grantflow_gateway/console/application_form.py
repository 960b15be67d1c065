"""An application draft between the console's form and the API's JSON.

The form posts flat inputs named by JSON path (`budgetLines[1].grantAmount`); `application_body`
builds the `Application` JSON the API takes, and `form_view` turns an `Application` (or what was
just posted) back into the flat values the form shows, so a refused post re-renders exactly what
the applicant typed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from grantflow_gateway.console import formats
from grantflow_gateway.console.forms import Form
from grantflow_gateway.console.i18n import Translator

# The inputs of each repeated group, and which of them hold money.
GROUPS: dict[str, tuple[str, ...]] = {
    "plannedResults": ("title", "unit", "targetValue", "baselineValue", "indicatorCode"),
    "budgetLines": ("category", "description", "grantAmount", "cofinancedAmount"),
    "cofinancingSources": ("type", "partnerName", "partnerInn", "amount", "confirmationLetter"),
}
MONEY = {"grantAmount", "cofinancedAmount", "amount"}
COFINANCING_TYPES = (
    "COFINANCING_TYPE_OWN_FUNDS",
    "COFINANCING_TYPE_BUSINESS_PARTNER",
    "COFINANCING_TYPE_REGIONAL_BUDGET",
    "COFINANCING_TYPE_OTHER_GRANTS",
    "COFINANCING_TYPE_IN_KIND",
)
# Blank rows the form offers beyond those filled, for browsers without the page's script.
SPARE_ROWS = 2


def application_body(form: Form, *, currency: str) -> dict[str, Any]:
    """The applicant-editable part of an Application, as the API's JSON, from the posted form.
    Unreadable values are left out and recorded in `form.problems`."""
    body: dict[str, Any] = {
        "title": form.text("title"),
        "summary": form.text("summary"),
        "directionCode": form.text("directionCode"),
        "regionCodes": [code.upper() for code in form.lines("regionCodes")],
        "targetGroups": form.lines("targetGroups"),
    }
    for name in ("startDate", "endDate"):
        value = form.date(name)
        if value is not None:
            body[name] = value
    for group, fields in GROUPS.items():
        items: list[dict[str, Any]] = []
        for index, row in form.rows(group):
            item: dict[str, Any] = {}
            for name in fields:
                raw = row.get(name, "")
                path = f"{group}[{index}].{name}"
                if name in MONEY:
                    amount = form.money(path, currency, raw=raw)
                    if amount is not None:
                        item[name] = amount
                elif name == "confirmationLetter":
                    item[name] = raw == "on"
                elif raw:
                    item[name] = raw
            items.append(item)
        body[group] = items
    return body


def form_view(application: Mapping[str, Any], *, spare: int = SPARE_ROWS) -> dict[str, Any]:
    """What each input shows: text values by name, and the rows of each group (plus spares)."""
    values: dict[str, str] = {
        "title": str(application.get("title", "")),
        "summary": str(application.get("summary", "")),
        "directionCode": str(application.get("directionCode", "")),
        "regionCodes": "\n".join(application.get("regionCodes", [])),
        "targetGroups": "\n".join(application.get("targetGroups", [])),
        "startDate": formats.date_input(application.get("startDate")),
        "endDate": formats.date_input(application.get("endDate")),
    }
    rows: dict[str, list[dict[str, str]]] = {}
    for group, fields in GROUPS.items():
        shown = []
        for item in application.get(group, []):
            row = {}
            for name in fields:
                value = item.get(name)
                if name in MONEY:
                    row[name] = formats.money_input(value)
                elif name == "confirmationLetter":
                    row[name] = "on" if value else ""
                else:
                    row[name] = "" if value is None else str(value)
            shown.append(row)
        shown.extend({name: "" for name in fields} for _ in range(spare))
        rows[group] = shown
    return {"values": values, "rows": rows}


def posted_view(form: Form, *, spare: int = SPARE_ROWS) -> dict[str, Any]:
    """The form as posted, renumbered as `application_body` numbered it (blank rows dropped), so
    the service's violations (by the body's indices) sit beside the right inputs."""
    values = {
        name: form.values.get(name, "")
        for name in (
            "title",
            "summary",
            "directionCode",
            "regionCodes",
            "targetGroups",
            "startDate",
            "endDate",
        )
    }
    rows: dict[str, list[dict[str, str]]] = {}
    for group, fields in GROUPS.items():
        shown = [{name: row.get(name, "") for name in fields} for _, row in form.rows(group)]
        shown.extend({name: "" for name in fields} for _ in range(spare))
        rows[group] = shown
    return {"values": values, "rows": rows}


def renumbered(form: Form, field: str) -> str:
    """A form problem's input name with its row index as `posted_view` shows it."""
    for group in GROUPS:
        prefix = f"{group}["
        if field.startswith(prefix):
            index_text, _, rest = field[len(prefix) :].partition("]")
            kept = [index for index, _ in form.rows(group)]
            if index_text.isdigit() and int(index_text) in kept:
                return f"{group}[{kept.index(int(index_text))}]{rest}"
    return field


_PATH = re.compile(r"^(?P<group>[A-Za-z]+)\[(?P<index>\d+)\](?:\.(?P<field>[A-Za-z]+))?")


def field_label(t: Translator, path: str) -> str:
    """A violation's field as the applicant reads it: `budgetLines[1].grantAmount` is "Budget
    line 2: grant part"; a path the form has no input for reads as it is."""
    match = _PATH.match(path)
    if match is None:
        return t.maybe(f"applicant.label.{path}", path)
    group, number = match["group"], int(match["index"]) + 1
    row = t.maybe(f"applicant.label.{group}", group) + f" {number}"
    column = match["field"]
    if column is None:
        return row
    return f"{row}: {t.maybe(f'applicant.label.{group}.{column}', column)}"

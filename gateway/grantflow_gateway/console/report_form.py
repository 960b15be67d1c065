"""A periodic report between the console's form and the API's JSON.

The form is laid out by the agreement: one row per indicator, per budget line and per committed
co-financing source, and one amount per revenue category, so the grantee fills in numbers and
never types a key the agreement does not know. Inputs are named by the JSON path the service's
violations use (`indicatorValues[0].value`, `finances.revenue.earnedIncome`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from grantflow_gateway.console import formats
from grantflow_gateway.console.forms import Form
from grantflow_gateway.console.i18n import Translator
from grantflow_gateway.problems import json_path

# The sustainability assessment's revenue categories (impact's REVENUE_CATEGORIES), as the
# service names them in a report.
REVENUE_CATEGORIES = ("grants", "earned_income", "donations", "business", "government")


def revenue_input(category: str) -> str:
    return json_path(f"finances.revenue.{category}")


def report_body(form: Form, agreement: Mapping[str, Any]) -> dict[str, Any]:
    """The content of a report from the posted form; rows left blank are not reported."""
    currency = str((agreement.get("grant") or {}).get("currencyCode") or "RUB")
    indicators = []
    for i, indicator in enumerate(agreement.get("indicators", [])):
        name = f"indicatorValues[{i}]"
        value = form.text(f"{name}.value")
        numerator, denominator = form.text(f"{name}.numerator"), form.text(f"{name}.denominator")
        if not (value or numerator or denominator):
            continue
        item: dict[str, Any] = {"key": indicator["key"], "unit": indicator.get("unit", "")}
        for field, text in (
            ("value", value),
            ("numerator", numerator),
            ("denominator", denominator),
        ):
            if text:
                item[field] = text.replace(",", ".").replace(" ", "")
        indicators.append(item)
    expenditures = []
    for i, line in enumerate(agreement.get("budget", [])):
        name = f"expenditures[{i}]"
        grant = form.money(f"{name}.grantPart", currency)
        cofinanced = form.money(f"{name}.cofinancedPart", currency)
        spent_on = form.date(f"{name}.spentOn")
        if grant is None and cofinanced is None:
            continue
        item = {"category": line["category"], "grantPart": grant or _zero(currency)}
        item["cofinancedPart"] = cofinanced or _zero(currency)
        if spent_on is not None:
            item["spentOn"] = spent_on
        expenditures.append(item)
    received = []
    for i, source in enumerate(agreement.get("cofinancingCommitted", [])):
        amount = form.money(f"cofinancingReceived[{i}].amount", currency)
        if amount is not None:
            received.append({"source": source["source"], "amount": amount})
    revenue = []
    for category in REVENUE_CATEGORIES:
        amount = form.money(revenue_input(category), currency)
        if amount is not None:
            revenue.append({"category": category, "amount": amount})
    finances: dict[str, Any] = {"revenue": revenue}
    for field in ("expenses", "netAssets"):
        amount = form.money(f"finances.{field}", currency)
        if amount is not None:
            finances[field] = amount
    months = form.integer("finances.periodMonths")
    if months is not None:
        finances["periodMonths"] = months
    return {
        "indicatorValues": indicators,
        "expenditures": expenditures,
        "cofinancingReceived": received,
        "finances": finances,
        "narrative": form.text("narrative"),
    }


def report_view(report: Mapping[str, Any] | None, agreement: Mapping[str, Any]) -> dict[str, str]:
    """Each input's value from a saved report (empty for a new one)."""
    report = report or {}
    values: dict[str, str] = {"narrative": str(report.get("narrative", ""))}
    by_key = {item.get("key"): item for item in report.get("indicatorValues", [])}
    for i, indicator in enumerate(agreement.get("indicators", [])):
        item = by_key.get(indicator["key"], {})
        for field in ("value", "numerator", "denominator"):
            values[f"indicatorValues[{i}].{field}"] = str(item.get(field, ""))
    by_category = {item.get("category"): item for item in report.get("expenditures", [])}
    for i, line in enumerate(agreement.get("budget", [])):
        item = by_category.get(line["category"], {})
        values[f"expenditures[{i}].grantPart"] = formats.money_input(item.get("grantPart"))
        values[f"expenditures[{i}].cofinancedPart"] = formats.money_input(
            item.get("cofinancedPart")
        )
        values[f"expenditures[{i}].spentOn"] = formats.date_input(item.get("spentOn"))
    by_source = {item.get("source"): item for item in report.get("cofinancingReceived", [])}
    for i, source in enumerate(agreement.get("cofinancingCommitted", [])):
        values[f"cofinancingReceived[{i}].amount"] = formats.money_input(
            by_source.get(source["source"], {}).get("amount")
        )
    finances = report.get("finances") or {}
    by_revenue = {item.get("category"): item for item in finances.get("revenue", [])}
    for category in REVENUE_CATEGORIES:
        values[revenue_input(category)] = formats.money_input(
            by_revenue.get(category, {}).get("amount")
        )
    values["finances.expenses"] = formats.money_input(finances.get("expenses"))
    values["finances.netAssets"] = formats.money_input(finances.get("netAssets"))
    months = finances.get("periodMonths")
    values["finances.periodMonths"] = str(months) if months else ""
    return values


def rows_by_posted_index(body: Mapping[str, Any], agreement: Mapping[str, Any]) -> dict[str, str]:
    """Where the service's `indicatorValues[i]` (i in the body) sits in the form, which has a row
    for every indicator: body index -> form index, per repeated group, as path prefixes."""
    moves: dict[str, str] = {}
    groups = (
        ("indicatorValues", "key", agreement.get("indicators", []), "key"),
        ("expenditures", "category", agreement.get("budget", []), "category"),
        ("cofinancingReceived", "source", agreement.get("cofinancingCommitted", []), "source"),
    )
    for group, body_key, rows, row_key in groups:
        positions = {row[row_key]: i for i, row in enumerate(rows)}
        for i, item in enumerate(body.get(group, [])):
            moves[f"{group}[{i}]"] = f"{group}[{positions.get(item[body_key], i)}]"
    return moves


def to_form_field(field: str, moves: Mapping[str, str]) -> str:
    for before, after in moves.items():
        if field == before or field.startswith((before + ".", before + "[")):
            return after + field[len(before) :]
    return field


_ROW = re.compile(r"^(?P<group>[A-Za-z]+)\[(?P<index>\d+)\]\.(?P<field>[A-Za-z]+)$")
# Which text names each input of a row, and which agreement list the row stands for.
_ROW_LABELS = {
    ("indicatorValues", "value"): ("report.value_of", "indicators", "title", "title"),
    ("indicatorValues", "numerator"): ("report.numerator_of", "indicators", "title", "title"),
    ("indicatorValues", "denominator"): ("report.denominator_of", "indicators", "title", "title"),
    ("expenditures", "grantPart"): ("report.grant_part_of", "budget", "category", "category"),
    ("expenditures", "cofinancedPart"): (
        "report.cofinanced_part_of",
        "budget",
        "category",
        "category",
    ),
    ("expenditures", "spentOn"): ("report.spent_on_of", "budget", "category", "category"),
    ("cofinancingReceived", "amount"): (
        "report.received_from",
        "cofinancingCommitted",
        "source",
        "source",
    ),
}
_PLAIN_LABELS = {
    "narrative": "report.narrative",
    "finances.expenses": "report.expenses",
    "finances.netAssets": "report.net_assets",
    "finances.periodMonths": "report.period_months",
    "comment": "report.review.comment",
    "correctionReason": "report.correct.reason",
}


def report_field_label(t: Translator, agreement: Mapping[str, Any], path: str) -> str:
    """An input of the report form as its label reads (`expenditures[1].grantPart` is "Spent
    from the grant on rent"); a path with no input reads as it is."""
    if path in _PLAIN_LABELS:
        return t(_PLAIN_LABELS[path])
    for category in REVENUE_CATEGORIES:
        if path == revenue_input(category):
            return t("report.revenue_of", category=t(f"report.revenue.{category}"))
    match = _ROW.match(path)
    known = _ROW_LABELS.get((match["group"], match["field"])) if match else None
    if match is None or known is None:
        return path
    key, rows, row_field, parameter = known
    items = agreement.get(rows, [])
    index = int(match["index"])
    if index >= len(items):
        return path
    return t(key, **{parameter: str(items[index].get(row_field, ""))})


def _zero(currency: str) -> dict[str, str]:
    return {"minorUnits": "0", "currencyCode": currency}

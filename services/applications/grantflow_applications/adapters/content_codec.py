"""Application content as a JSON document for storage: exact values only (kopecks as integers,
decimals and dates as strings), so a round trip gives back exactly what was stored."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from grantflow_runtime.money import Money

from grantflow_applications.domain.applications import (
    ApplicationContent,
    BudgetLine,
    CofinancingSource,
    CofinancingType,
    PlannedResult,
)


def _money(m: Money) -> dict[str, Any]:
    return {"minor": m.minor_units, "currency": m.currency}


def _from_money(d: dict[str, Any]) -> Money:
    return Money(int(d["minor"]), str(d["currency"]))


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _from_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def encode(c: ApplicationContent) -> dict[str, Any]:
    return {
        "title": c.title,
        "summary": c.summary,
        "direction_code": c.direction_code,
        "region_codes": list(c.region_codes),
        "start_date": _date(c.start_date),
        "end_date": _date(c.end_date),
        "target_groups": list(c.target_groups),
        "planned_results": [
            {
                "title": r.title,
                "unit": r.unit,
                "target_value": str(r.target_value),
                "baseline_value": str(r.baseline_value),
                "indicator_code": r.indicator_code,
            }
            for r in c.planned_results
        ],
        "budget_lines": [
            {
                "category": b.category,
                "description": b.description,
                "grant_amount": _money(b.grant_amount),
                "cofinanced_amount": _money(b.cofinanced_amount),
            }
            for b in c.budget_lines
        ],
        "cofinancing_sources": [
            {
                "type": s.type.value if s.type else None,
                "partner_name": s.partner_name,
                "partner_inn": s.partner_inn,
                "amount": _money(s.amount),
                "confirmation_letter": s.confirmation_letter,
            }
            for s in c.cofinancing_sources
        ],
    }


def decode(d: dict[str, Any]) -> ApplicationContent:
    return ApplicationContent(
        title=d["title"],
        summary=d["summary"],
        direction_code=d["direction_code"],
        region_codes=tuple(d["region_codes"]),
        start_date=_from_date(d["start_date"]),
        end_date=_from_date(d["end_date"]),
        target_groups=tuple(d["target_groups"]),
        planned_results=tuple(
            PlannedResult(
                title=r["title"],
                unit=r["unit"],
                target_value=Decimal(r["target_value"]),
                baseline_value=Decimal(r["baseline_value"]),
                indicator_code=r["indicator_code"],
            )
            for r in d["planned_results"]
        ),
        budget_lines=tuple(
            BudgetLine(
                category=b["category"],
                description=b["description"],
                grant_amount=_from_money(b["grant_amount"]),
                cofinanced_amount=_from_money(b["cofinanced_amount"]),
            )
            for b in d["budget_lines"]
        ),
        cofinancing_sources=tuple(
            CofinancingSource(
                type=CofinancingType(s["type"]) if s["type"] else None,
                partner_name=s["partner_name"],
                partner_inn=s["partner_inn"],
                amount=_from_money(s["amount"]),
                confirmation_letter=bool(s["confirmation_letter"]),
            )
            for s in d["cofinancing_sources"]
        ),
    )

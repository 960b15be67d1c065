"""The portfolio dashboard (attainment, co-financing leverage, sustainability risk, alerts over
time) and the practices that spread from funded projects."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from markupsafe import Markup
from starlette.responses import Response

from grantflow_gateway.console import formats
from grantflow_gateway.console.charts import (
    Bar,
    Frame,
    Segment,
    Stack,
    bar_chart,
    column_chart,
    stacked_bar_chart,
)
from grantflow_gateway.console.funder_figures import (
    ATTAINMENT_BUCKETS,
    RISK_LEVELS,
    Leverage,
    MonthCount,
    RegionRisk,
    alerts_by_month,
    counts,
    in_order,
    leverage_by_direction,
    month_label,
    region_risks,
    spread_by_region,
)
from grantflow_gateway.console.funder_reads import competitions_of
from grantflow_gateway.console.i18n import Translator
from grantflow_gateway.console.places import region_name
from grantflow_gateway.console.web import Page

# Risk colours keep 3:1 against the page (WCAG 1.4.11) and read apart from one another.
RISK_COLOURS = {"green": "#1e6b34", "amber": "#9a5b00", "red": "#a4161a", "unknown": "#6b7280"}
DECIDED = "STATE_DECIDED"


@dataclass(frozen=True)
class Dashboard:
    attainment: list[tuple[str, int]]
    leverage: list[Leverage]
    risks: list[RegionRisk]
    months: list[MonthCount]
    charts: dict[str, Markup]


def _whole(value: int, language: str) -> str:
    return formats.group_digits(str(value), language)


def dashboard(
    t: Translator,
    by_competition: Mapping[str, Any],
    by_direction: Mapping[str, Any],
    by_region: Mapping[str, Any],
    alerts: Sequence[Mapping[str, Any]],
) -> Dashboard:
    """The four charts and the numbers behind them, in the page's language."""
    lang = t.language
    total = by_competition.get("total") or {}
    attainment = in_order(counts(total.get("attainment")), ATTAINMENT_BUCKETS)
    leverage = leverage_by_direction(by_direction)
    risks = region_risks(by_region)
    months = alerts_by_month(alerts)

    def frame(name: str) -> Frame:
        return Frame(f"chart-{name}", t(f"chart.{name}.title"), t("chart.empty"))

    charts = {
        "attainment": bar_chart(
            frame("attainment"),
            [
                Bar(t.maybe(f"funder.attainment.{name}", name), Decimal(n), _whole(n, lang))
                for name, n in attainment
            ],
        ),
        "leverage": bar_chart(
            frame("leverage"),
            [
                Bar(
                    direction_name(t, row.direction),
                    row.leverage,
                    formats.decimal(row.leverage, lang, 2),
                )
                for row in leverage
                if row.leverage is not None
            ],
        ),
        "risk": stacked_bar_chart(
            frame("risk"),
            [Segment(t(f"funder.risk.{level}"), RISK_COLOURS[level]) for level in RISK_LEVELS],
            [
                Stack(region_name(row.region, lang), row.counts, _whole(row.agreements, lang))
                for row in risks
            ],
        ),
        "alerts": column_chart(
            frame("alerts"),
            [
                Bar(month_label(m.year, m.month, lang), Decimal(m.raised), _whole(m.raised, lang))
                for m in months
            ],
        ),
    }
    return Dashboard(attainment, leverage, risks, months, charts)


def direction_name(t: Translator, code: str) -> str:
    """A direction's name where the console has one, else its catalogue code."""
    return t.maybe(f"direction.{code}", code)


async def portfolio(p: Page) -> Response:
    by_competition, by_direction, by_region, alerts, mine = await asyncio.gather(
        p.call("GetPortfolio", query=[("groupBy", "competition")]),
        p.call("GetPortfolio", query=[("groupBy", "direction")]),
        p.call("GetPortfolio", query=[("groupBy", "region")]),
        p.call("ListAlerts", query=[("includeResolved", "true")]),
        p.every("ListCompetitions", "competitions"),
    )
    found = alerts.get("alerts", [])
    board = dashboard(p.t, by_competition, by_direction, by_region, found)
    total = by_competition.get("total") or {}
    return p.render(
        "funder/portfolio.html",
        board=board,
        total=total,
        open_alerts=sum(counts(total.get("openAlerts")).values()),
        groups=by_competition.get("groups", []),
        titles={str(c.get("id")): str(c.get("title", "")) for c in mine},
        risk_levels=RISK_LEVELS,
        month_label=lambda m: month_label(m.year, m.month, p.language),
        direction_name=lambda code: direction_name(p.t, code),
        resolved=sum(1 for a in found if a.get("resolveTime")),
    )


async def practices(p: Page) -> Response:
    listed, mine = await asyncio.gather(p.call("ListPractices"), competitions_of(p))
    found = listed.get("practices", [])
    decided = [c for c, _ in mine if c.get("state") == DECIDED]
    answers = await asyncio.gather(
        *(p.call("ListPracticeCandidates", str(c["id"])) for c in decided)
    )
    candidates = [
        (c, answer["candidates"])
        for c, answer in zip(decided, answers, strict=True)
        if answer.get("candidates")
    ]
    return p.render(
        "funder/practices.html",
        practices=found,
        spread=spread_by_region(found),
        candidates=candidates,
        direction_name=lambda code: direction_name(p.t, code),
    )

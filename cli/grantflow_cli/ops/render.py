"""How results look on the terminal: rich tables on stdout, problems on stderr. Nothing here
calls the API or decides anything; the same data always prints the same way, whichever way
(gateway or gRPC) it was fetched."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from grantflow_runtime.coverage import Coverage
from grantflow_runtime.money import minor_units_of
from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from grantflow_cli.ops.importer import ImportReport, Outcome
from grantflow_cli.ops.money import format_roubles
from grantflow_cli.ops.summary import CompetitionSummary, Group, PortfolioSummary, state_name


def stdout() -> Console:
    # No highlighting: numbers and ids stay plain text, the same on a terminal and in a pipe.
    return Console(highlight=False, soft_wrap=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False)


def working(message: str) -> AbstractContextManager[object]:
    """A spinner on stderr while lists are fetched, for people at a terminal; nothing in a pipe."""
    console = stderr()
    return console.status(message) if console.is_terminal else nullcontext()


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))


def _table(title: str, *headers: str, right: Sequence[int] = ()) -> Table:
    # At least as wide as its title, which rich would otherwise wrap to the columns' width.
    table = Table(
        title=Text(title),
        box=box.SIMPLE_HEAD,
        title_justify="left",
        show_edge=False,
        min_width=len(title),
    )
    for index, header in enumerate(headers):
        table.add_column(header, justify="right" if index in right else "left", overflow="fold")
    return table


def _add(table: Table, *cells: str) -> None:
    # Text, not str: a title like "Help [for families]" must not be read as rich markup.
    table.add_row(*(Text(cell) for cell in cells))


def money(value: Any) -> str:
    return format_roubles(minor_units_of(value))


def _join(items: Any) -> str:
    return ", ".join(str(i) for i in items) if items else "-"


# --- competitions -------------------------------------------------------------------------


def competition(c: Mapping[str, Any]) -> Table:
    table = _table(f"Competition {c.get('id', '')}", "field", "value")
    quotas = [
        f"{q.get('directionCode', '')}: {money(q.get('amount'))}"
        for q in c.get("directionQuotas", [])
    ]
    rows = [
        ("title", c.get("title", "")),
        ("state", state_name(str(c.get("state", "")))),
        ("directions", _join(c.get("directionCodes"))),
        ("budget, RUB", money(c.get("budget"))),
        ("grant, RUB", f"{money(c.get('minGrant'))} to {money(c.get('maxGrant'))}"),
        ("opens at", c.get("opensAt", "")),
        ("closes at", c.get("closesAt", "")),
        ("time zone", c.get("timeZone", "")),
        ("max duration, months", str(c.get("maxDurationMonths", ""))),
        ("regions", _join(c.get("eligibleRegionCodes")) if c.get("eligibleRegionCodes") else "all"),
        (
            "legal forms",
            _join([state_name(f, "LEGAL_FORM_") for f in c.get("eligibleLegalForms", [])]),
        ),
        ("min co-financing, %", c.get("minCofinancingPercent") or "0"),
        ("direction quotas", _join(quotas)),
        ("required indicators", _join(c.get("requiredIndicatorCodes"))),
    ]
    for name, value in rows:
        _add(table, name, str(value))
    return table


def competitions(items: Iterable[Mapping[str, Any]]) -> Table:
    table = _table("Competitions", "id", "title", "state", "budget, RUB", "closes at", right=(3,))
    for c in items:
        _add(
            table,
            c.get("id", ""),
            c.get("title", ""),
            state_name(str(c.get("state", ""))),
            money(c.get("budget")),
            c.get("closesAt", ""),
        )
    return table


# --- imports ------------------------------------------------------------------------------


def import_counts(report: ImportReport, noun: str) -> str:
    return (
        f"{noun}s: {report.count(Outcome.CREATED)} created, "
        f"{report.count(Outcome.SKIPPED)} skipped (registered already), "
        f"{report.count(Outcome.FAILED)} failed"
    )


def import_rows(report: ImportReport, key_column: str) -> Table:
    table = _table("Rows", "line", key_column, "outcome", "id or reason", right=(0,))
    for r in report.results:
        _add(table, str(r.line), r.key, r.outcome.value, r.id or "; ".join(r.messages))
    return table


# --- assignment, coverage, decision -------------------------------------------------------


def assignment(result: Mapping[str, Any]) -> list[RenderableType]:
    unassigned = result.get("unassigned", [])
    line = Text(
        f"{result.get('assigned', 0)} assignments made; "
        f"{result.get('complete', 0)} applications have their full panel; "
        f"{len(unassigned)} are short of experts"
    )
    if not unassigned:
        return [line]
    table = _table("Short of experts", "application", "experts missing", "why", right=(1,))
    for u in unassigned:
        _add(table, u.get("applicationId", ""), str(u.get("missing", 0)), u.get("reason", ""))
    return [table, line]


def coverage(c: Coverage) -> list[Table]:
    head = _table(
        f"Coverage: {c.applications} applications, {c.needed} experts each",
        "experts",
        "applications",
        right=(1,),
    )
    _add(head, "all", str(len(c.full)))
    _add(head, "some", str(len(c.partial)))
    _add(head, "none", str(len(c.none)))
    tables = [head]
    short = [*c.partial, *c.none]
    if short:
        lacking = _table("Short of experts", "application", "title", "have", "need", right=(2, 3))
        for a in short:
            _add(lacking, a.application_id, a.title, str(a.experts), str(a.needed))
        tables.append(lacking)
    load = _table(
        "Load per expert",
        "expert",
        "name",
        "assigned",
        "scored",
        "pending",
        "max load",
        right=(2, 3, 4, 5),
    )
    for e in c.experts:
        _add(
            load,
            e.expert_id,
            e.name,
            str(e.assigned),
            str(e.scored),
            str(e.pending),
            str(e.max_load) if e.max_load else "-",
        )
    tables.append(load)
    return tables


def decision(d: Mapping[str, Any], titles: Mapping[str, str]) -> list[RenderableType]:
    awards = _table(
        f"Awards of {d.get('competitionId', '')}",
        "rank",
        "application",
        "title",
        "score",
        "award, RUB",
        right=(0, 3, 4),
    )
    for a in d.get("awards", []):
        _add(
            awards,
            str(a.get("rank", "")),
            a.get("applicationId", ""),
            titles.get(a.get("applicationId", ""), ""),
            a.get("score", ""),
            money(a.get("amount")),
        )
    declined = _table("Declined", "rank", "application", "title", "why", right=(0,))
    for line in d.get("declined", []):
        _add(
            declined,
            str(line.get("rank", "")) if line.get("rank") else "-",
            line.get("applicationId", ""),
            titles.get(line.get("applicationId", ""), ""),
            line.get("reason", ""),
        )
    used = Text(
        f"budget used: {money(d.get('budgetUsed'))} RUB; decided by {d.get('decidedBy', '')} "
        f"at {d.get('decideTime', '')}"
    )
    return [awards, used, declined]


# --- summaries and alerts -----------------------------------------------------------------


def _groups_table(title: str, key: str, groups: Sequence[Group], total: Group) -> Table:
    table = _table(
        title,
        key,
        "agreements",
        "awarded, RUB",
        "co-financing committed, RUB",
        "leverage",
        right=(1, 2, 3, 4),
    )
    for g in [*groups, total]:
        _add(
            table,
            g.key,
            str(g.agreements),
            format_roubles(g.awarded),
            format_roubles(g.cofinancing_committed),
            g.leverage or "-",
        )
    return table


def competition_summary(s: CompetitionSummary) -> list[Table]:
    head = _table(f"Competition {s.id}", "field", "value")
    used = f"{s.total.awarded * 100 / s.budget:.1f}%" if s.budget else "-"
    for name, value in (
        ("title", s.title),
        ("state", s.state),
        ("opens at", s.opens_at),
        ("closes at", s.closes_at),
        ("budget, RUB", format_roubles(s.budget)),
        ("awarded, RUB", f"{format_roubles(s.total.awarded)} ({used} of the budget)"),
        ("remaining, RUB", format_roubles(s.remaining)),
        ("co-financing committed, RUB", format_roubles(s.total.cofinancing_committed)),
        ("co-financing leverage", s.total.leverage or "-"),
    ):
        _add(head, name, value)
    states = _table("Applications by state", "state", "applications", right=(1,))
    for state, n in s.applications:
        _add(states, state, str(n))
    _add(states, "total", str(sum(n for _, n in s.applications)))
    return [
        head,
        states,
        _groups_table("Awards by direction", "direction", s.by_direction, s.total),
        _groups_table("Awards by region", "region", s.by_region, s.total),
    ]


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{k} {n}" for k, n in sorted(counts.items()) if n) or "-"


def portfolio_summary(p: PortfolioSummary) -> Table:
    table = _table(
        f"Portfolio by {p.group_by or 'competition'}",
        p.group_by or "competition",
        "agreements",
        "awarded, RUB",
        "co-fin. committed, RUB",
        "co-fin. received, RUB",
        "leverage",
        "people reached",
        "attainment",
        "risk",
        "open alerts",
        right=(1, 2, 3, 4, 5, 6),
    )
    for g in [*p.groups, p.total]:
        _add(
            table,
            g.key,
            str(g.agreements),
            format_roubles(g.awarded),
            format_roubles(g.cofinancing_committed),
            format_roubles(g.cofinancing_received),
            g.leverage or "-",
            str(g.beneficiaries),
            _counts(g.attainment),
            _counts(g.risk),
            _counts(g.open_alerts),
        )
    return table


def alerts(items: Sequence[Mapping[str, Any]]) -> Table:
    table = _table(
        f"Alerts ({len(items)})",
        "agreement",
        "kind",
        "severity",
        "period",
        "subject",
        "message",
        "raised",
        "resolved",
        right=(3,),
    )
    for a in items:
        _add(
            table,
            a.get("agreementId", ""),
            a.get("kind", ""),
            a.get("severity", ""),
            str(a.get("periodNumber", "")),
            a.get("subject", ""),
            a.get("message", ""),
            a.get("raiseTime", ""),
            a.get("resolveTime") or "open",
        )
    return table

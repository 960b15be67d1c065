"""The summary as a person reads it: rich tables, money in roubles, where to look next."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from grantflow_cli.demo.settings import FUNDER

# Below this width the ranking drops the organisation and the calibrated score.
ROOMY = 130
# Regions beyond the largest ones are summed in one row.
REGIONS_SHOWN = 15


def rub(kopecks: int) -> str:
    """Whole roubles grouped by spaces, as Russian documents write them."""
    return f"{kopecks // 100:,}".replace(",", " ") + " ₽"


def cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _table(title: str, *columns: str, right: tuple[str, ...] = ()) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", header_style="dim")
    for column in columns:
        # Rows stay one line each: long names are cut before they get here.
        table.add_column(column, justify="right" if column in right else "left", no_wrap=True)
    return table


def show(console: Console, summary: dict[str, Any]) -> None:
    _overview(console, summary)
    _ranking(console, summary)
    _awards(console, summary)
    _leverage(console, summary)
    _rejections_and_alerts(console, summary)
    _practices(console, summary)
    _links(console, summary)


def _overview(console: Console, summary: dict[str, Any]) -> None:
    c, n, a = summary["competition"], summary["counts"], summary["awards"]
    console.rule(f"[bold]{c['title']}")
    console.print(
        f"competition {c['id']} · {c['state'].removeprefix('STATE_').lower()} · panel"
        f" {c['panel'].removeprefix('STATE_').lower()} · budget {rub(c['budget'])}"
    )
    console.print(
        f"{n['organisations']} organisations, {n['applications']} applications:"
        f" {n['submitted']} submitted, {n['rejected']} refused at submission"
    )
    console.print(
        f"{n['experts']} experts, {n['assignments']} assignments ({n['extra_assignments']} extra"
        f" for {n['diverged']} divergent applications), {n['scores']} scores"
    )
    console.print(
        f"{a['count']} awards for {rub(a['amount'])}, {a['declined']} declined;"
        f" {n['agreements']} agreements"
    )
    console.print(
        f"{n['report_versions']} report versions: {n['reports_accepted']} periods accepted,"
        f" {n['reports_returned']} returned and corrected {n['reports_corrected']} time(s)"
    )


def _ranking(console: Console, summary: dict[str, Any]) -> None:
    roomy = console.width >= ROOMY
    title_width = 44 if roomy else max(16, console.width - 56)
    columns = ["#", "project"]
    columns += ["organisation"] if roomy else []
    columns += ["direction", "requested", "score"]
    columns += ["calibrated", "experts"] if roomy else []
    columns += ["award"]
    table = _table(
        f"Top of the ranking ({summary['ranking_size']} ranked)",
        *columns,
        right=("#", "requested", "score", "calibrated", "experts"),
    )
    for e in summary["ranking_top"]:
        row = [str(e["rank"]), cut(e["title"], title_width)]
        row += [cut(e["organisation"], 36)] if roomy else []
        row += [cut(e["direction"], 12), rub(e["requested"]), e["raw_score"]]
        row += [e["calibrated_score"], str(e["experts"])] if roomy else []
        row += ["[green]yes" if e["awarded"] else "[dim]no"]
        table.add_row(*row)
    console.print(table)


def _awards(console: Console, summary: dict[str, Any]) -> None:
    a = summary["awards"]
    for title, key, label, most in (
        ("Awards by direction", "awards_by_direction", "direction", None),
        ("Awards by region", "awards_by_region", "region", REGIONS_SHOWN),
    ):
        table = _table(title, label, "awards", "amount", right=("awards", "amount"))
        groups = list(summary[key].items())
        for group, figures in groups[:most]:
            table.add_row(group, str(figures["count"]), rub(figures["amount"]))
        rest = groups[most:] if most is not None else []
        if rest:
            table.add_row(
                f"{len(rest)} more regions",
                str(sum(f["count"] for _, f in rest)),
                rub(sum(f["amount"] for _, f in rest)),
            )
        table.add_row("[bold]total", str(a["count"]), rub(a["amount"]))
        console.print(table)


def _leverage(console: Console, summary: dict[str, Any]) -> None:
    lev = summary["leverage"]
    table = _table(
        f"Co-financing: {lev['ratio'] or '–'} ₽ per ₽ of grant",
        "source",
        "amount",
        right=("amount",),
    )
    for source, amount in lev["by_source"].items():
        table.add_row(source, rub(amount))
    table.add_row("[bold]committed", rub(lev["committed"]))
    table.add_row("grant", rub(lev["grant"]))
    table.add_row("received (accepted reports)", rub(lev["received"]))
    console.print(table)


def _rejections_and_alerts(console: Console, summary: dict[str, Any]) -> None:
    table = _table(
        "Refused at submission, by rule broken", "reason", "applications", right=("applications",)
    )
    for reason, count in summary["rejected_by_reason"].items():
        table.add_row(reason, str(count))
    console.print(table)

    raised = summary["alerts_raised_by_kind"]
    table = _table("Alerts by kind", "kind", "open", "raised", right=("open", "raised"))
    for kind in sorted(raised):
        table.add_row(kind, str(summary["alerts_open_by_kind"].get(kind, 0)), str(raised[kind]))
    console.print(table)


def _practices(console: Console, summary: dict[str, Any]) -> None:
    table = _table("Practices and where they spread", "practice", "from", "adopted in")
    width = max(20, min(56, console.width - 40))
    for p in summary["practices"]:
        table.add_row(cut(p["title"], width), p["origin"], ", ".join(p["adopted_in"]) or "–")
    if not summary["practices"]:
        table.add_row("[dim]none yet", "", "")
    console.print(table)


def _links(console: Console, summary: dict[str, Any]) -> None:
    console.print(
        f"[bold]Look further[/] with a funder token (grantflow token --role funder"
        f" --subject {FUNDER}):"
    )
    for name, url in summary["links"].items():
        # Whole URLs, never wrapped, so they can be copied.
        console.print(f"  {name:<12} {url}", soft_wrap=True, highlight=False)

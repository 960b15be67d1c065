"""`grantflow export ranking|awards`, `grantflow summary` and `grantflow alerts`."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click
from grantflow_runtime.exports import awards_sheet, ranking_sheet
from grantflow_runtime.sheets import Format, Sheet, write

from grantflow_cli.ops import render
from grantflow_cli.ops.connection import DEV_FUNDER, Failure, json_option, operation
from grantflow_cli.ops.review_cmd import DECIDED, panel_path
from grantflow_cli.ops.summary import competition_summary, portfolio_summary
from grantflow_cli.transport import Client


@click.group()
def export() -> None:
    """Write a competition's ranking or awards to a CSV file or an Excel workbook."""


def _format_of(fmt: str | None, output: Path) -> Format:
    if fmt:
        return Format(fmt)
    return Format.XLSX if output.suffix.lower() == ".xlsx" else Format.CSV


def _write(sheet: Sheet, output: Path, fmt: Format) -> None:
    try:
        write(sheet, output, fmt)
    except OSError as exc:
        raise Failure(f"{output}: cannot be written: {exc.strerror}") from None
    render.stdout().print(
        f"wrote {len(sheet.rows)} {sheet.title.lower()} rows to {output}", markup=False
    )


def _export_options(func: Any) -> Any:
    func = click.option(
        "--format",
        "fmt",
        type=click.Choice([f.value for f in Format]),
        help="File format; by default from the output's extension (.xlsx, otherwise csv).",
    )(func)
    return click.option(
        "-o",
        "--output",
        required=True,
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        help="File to write.",
    )(func)


@export.command("ranking")
@click.argument("competition_id")
@_export_options
@click.option("--direction", help="Only this direction, ranks restarting at 1.")
@operation(DEV_FUNDER)
def export_ranking(
    client: Client, competition_id: str, output: Path, fmt: str | None, direction: str | None
) -> None:
    """Write the ranking: rank, application, title, direction, request, raw and calibrated
    scores, experts, and whether the scores diverge or are incomplete."""
    ranking = client.get(f"/v1/competitions/{competition_id}/ranking", directionCode=direction)
    _write(ranking_sheet(ranking), output, _format_of(fmt, output))


@export.command("awards")
@click.argument("competition_id")
@_export_options
@operation(DEV_FUNDER)
def export_awards(client: Client, competition_id: str, output: Path, fmt: str | None) -> None:
    """Write the awards: rank, application, title, direction, organisation with its INN and
    region, requested and awarded amounts, score."""
    panel = client.get(panel_path(competition_id))
    if panel.get("state") != DECIDED:
        raise Failure(
            f"the awards of {competition_id} are not decided yet; `grantflow decide` decides them"
        )
    # The API has no read of a recorded decision; DecideAwards answers a decided competition
    # with its recorded decision and changes nothing, which the state check above guarantees.
    decision = client.post(
        f"/v1/competitions/{competition_id}:decideAwards",
        idempotency_key=f"decide-{competition_id}",
    )
    with render.working("reading the ranking, applications and organisations"):
        ranking = client.get(f"/v1/competitions/{competition_id}/ranking")
        applications = client.pages(
            "/v1/applications", "applications", competitionId=competition_id
        )
        organisations = client.pages("/v1/organisations", "organisations")
    sheet = awards_sheet(decision, ranking, applications, organisations)
    _write(sheet, output, _format_of(fmt, output))


@click.command()
@click.option("--competition", "competition_id", help="Summarise this competition.")
@click.option(
    "--group-by",
    type=click.Choice(["competition", "direction", "region"]),
    default="competition",
    show_default=True,
    help="How the portfolio is grouped (without --competition).",
)
@json_option
@operation(DEV_FUNDER)
def summary(client: Client, competition_id: str | None, group_by: str, as_json: bool) -> None:
    """Summarise a competition, or without --competition the caller's whole portfolio.

    A competition: its state, applications by state, budget and what was awarded, awards by
    direction and by region, and co-financing leverage (co-financing committed per rouble of
    grant). The portfolio: agreements, money, leverage, people reached, attainment, risk and
    open alerts per group. Award figures are the impact service's agreements.
    """
    out = render.stdout()
    if competition_id is None:
        portfolio = portfolio_summary(client.get("/v1/portfolio", groupBy=group_by))
        if as_json:
            render.print_json(dataclasses.asdict(portfolio))
        else:
            out.print(render.portfolio_summary(portfolio))
        return
    with render.working("reading the competition, its applications and its portfolio"):
        result = competition_summary(
            client.get(f"/v1/competitions/{competition_id}"),
            client.pages("/v1/applications", "applications", competitionId=competition_id),
            client.get("/v1/portfolio", groupBy="direction", competitionId=competition_id),
            client.get("/v1/portfolio", groupBy="region", competitionId=competition_id),
        )
    if as_json:
        render.print_json(dataclasses.asdict(result))
        return
    for table in render.competition_summary(result):
        out.print(table)


@click.command()
@click.option("--agreement", help="Only this agreement's alerts.")
@click.option("--include-resolved", is_flag=True, help="Show resolved alerts too.")
@json_option
@operation(DEV_FUNDER)
def alerts(client: Client, agreement: str | None, include_resolved: bool, as_json: bool) -> None:
    """List alerts on the agreements the caller may see, open ones first: underperformance,
    co-financing shortfall, overspend, late reports, sustainability risk."""
    items = client.get(
        "/v1/alerts", agreementId=agreement, includeResolved=include_resolved or None
    )
    found = items.get("alerts", [])
    if as_json:
        render.print_json(found)
    else:
        render.stdout().print(render.alerts(found))

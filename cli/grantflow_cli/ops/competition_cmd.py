"""`grantflow competition create|open|close|show|list`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import click

from grantflow_cli.client import ApiError
from grantflow_cli.ops import render
from grantflow_cli.ops.competition_file import CompetitionFile, read_competition
from grantflow_cli.ops.connection import DEV_FUNDER, Failure, json_option, operation
from grantflow_cli.ops.errors import located
from grantflow_cli.ops.textfile import read_text
from grantflow_cli.transport import Client

STATES = ("draft", "open", "closed", "decided", "archived")


@click.group()
def competition() -> None:
    """Create, open, close and look at competitions (as a funder by default)."""


def _show(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        render.print_json(data)
    else:
        render.stdout().print(render.competition(data))


@competition.command("create")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@operation(DEV_FUNDER)
def create(client: Client, file: Path, as_json: bool) -> None:
    """Create a DRAFT competition from a YAML FILE (see examples/competition.yaml).

    \b
    Keys are the Competition message's fields, camelCase or snake_case:
      title, description, directionCodes, budget, minGrant, maxGrant, opensAt,
      closesAt, timeZone, maxDurationMonths, eligibleRegionCodes, eligibleLegalForms,
      minCofinancingPercent, allowedCofinancingTypes, inKindCapPercent,
      maxApplicationsPerOrganisation, directionQuotas (directionCode, amount),
      minRegistrationMonths, minRegistrationMonthsSmall, smallRequestMax,
      requiredIndicatorCodes.
    \b
    Friendlier forms:
      money      roubles: 1500000, "1 500 000", "1 500 000,50" (or {minorUnits, currencyCode})
      times      ISO 8601; without an offset they are read in timeZone; a date alone is the
                 start of the day for opensAt and its last second for closesAt
      enums      without their prefix: nco, social-enterprise, own-funds, in-kind
      percents   numbers or text: 25, 12.5

    id, state, createTime and updateTime are the server's. Every problem in the file is
    reported with its line and column, and so are the service's checks of each field.
    Creating again from the same file returns the competition created the first time.
    """
    parsed = read_competition(read_text(file), str(file))
    digest = hashlib.sha256(json.dumps(parsed.body, sort_keys=True).encode()).hexdigest()
    try:
        created = client.post(
            "/v1/competitions", parsed.body, idempotency_key=f"competition-{digest[:48]}"
        )
    except ApiError as exc:
        raise Failure(_with_lines(exc, parsed)) from None
    _show(created, as_json)


def _with_lines(error: ApiError, parsed: CompetitionFile) -> str:
    """The service's violations, each at the line of the field it is about."""
    violations = error.problem.get("violations") or []
    if not violations:
        return str(error)
    lines = [
        f"{error.status} {error.problem.get('title', 'error')}: the service refused {parsed.source}"
    ]
    for v in violations:
        field = str(v.get("field", ""))
        message = f"{field.removeprefix('competition.')}: {v.get('description', '')}"
        lines.append(located(parsed.source, message, parsed.locate(field)))
    return "\n".join(lines)


@competition.command("open")
@click.argument("competition_id")
@json_option
@operation(DEV_FUNDER)
def open_(client: Client, competition_id: str, as_json: bool) -> None:
    """Open a DRAFT competition for applications (announces it to scoring)."""
    _show(client.post(f"/v1/competitions/{competition_id}:open"), as_json)


@competition.command("close")
@click.argument("competition_id")
@click.option(
    "--reason",
    default="",
    help="Why it closes before its deadline; required then, ignored after the deadline.",
)
@json_option
@operation(DEV_FUNDER)
def close(client: Client, competition_id: str, reason: str, as_json: bool) -> None:
    """Close an OPEN competition now: no more applications; scoring may begin."""
    body = {"earlyCloseReason": reason} if reason else {}
    _show(client.post(f"/v1/competitions/{competition_id}:close", body), as_json)


@competition.command("show")
@click.argument("competition_id")
@json_option
@operation(DEV_FUNDER)
def show(client: Client, competition_id: str, as_json: bool) -> None:
    """Show one competition."""
    _show(client.get(f"/v1/competitions/{competition_id}"), as_json)


@competition.command("list")
@click.option("--state", type=click.Choice(STATES), help="Only competitions in this state.")
@json_option
@operation(DEV_FUNDER)
def list_(client: Client, state: str | None, as_json: bool) -> None:
    """List the competitions the caller may see, newest first."""
    items = client.pages(
        "/v1/competitions", "competitions", state=f"STATE_{state.upper()}" if state else None
    )
    if as_json:
        render.print_json(items)
    else:
        render.stdout().print(render.competitions(items))

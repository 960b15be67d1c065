"""`grantflow assign`, `grantflow coverage` and `grantflow decide`: from a closed competition to
its awards."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import click
from grantflow_runtime.coverage import coverage as compute_coverage

from grantflow_cli.client import ApiError
from grantflow_cli.ops import render
from grantflow_cli.ops.connection import DEV_FUNDER, Failure, json_option, operation
from grantflow_cli.ops.summary import state_name
from grantflow_cli.transport import Client

SCORING = "STATE_SCORING"
CLOSED = "STATE_CLOSED"
DECIDED = "STATE_DECIDED"
POLL_S = 0.5


def panel_path(competition_id: str) -> str:
    return f"/v1/competitions/{competition_id}/panel"


def wait_for_panel(
    client: Client, competition_id: str, states: set[str], seconds: float
) -> dict[str, Any]:
    """The panel once it is in one of `states`. Scoring learns of a competition's opening and
    closing from events, so right after `competition close` the panel may still be collecting
    (or, right after opening, not exist yet)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            panel: dict[str, Any] = client.get(panel_path(competition_id))
            if panel.get("state") in states:
                return panel
            seen = state_name(str(panel.get("state", "")))
        except ApiError as exc:
            if exc.status != 404:
                raise
            seen = "not created yet"
        if time.monotonic() >= deadline:
            raise Failure(
                f"after {seconds:g}s the panel of {competition_id} is {seen}, not "
                f"{' or '.join(sorted(state_name(s) for s in states))}: has the competition closed?"
            )
        time.sleep(POLL_S)


@click.command()
@click.argument("competition_id")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    metavar="SECONDS",
    help="Wait up to this long for scoring to open after the competition closed.",
)
@json_option
@operation(DEV_FUNDER)
def assign(client: Client, competition_id: str, wait: float, as_json: bool) -> None:
    """Assign experts to every submitted application of a closed competition.

    Incremental: assignments made before stay, so running it again after adding experts only
    fills the gaps. Lists the applications still short of experts, with why.
    """
    if wait:
        wait_for_panel(client, competition_id, {SCORING}, wait)
    result = client.post(f"/v1/competitions/{competition_id}:assignExperts")
    if as_json:
        render.print_json(result)
    else:
        out = render.stdout()
        for part in render.assignment(result):
            out.print(part)


@click.command()
@click.argument("competition_id")
@json_option
@operation(DEV_FUNDER)
def coverage(client: Client, competition_id: str, as_json: bool) -> None:
    """Show how many applications have all, some or none of their experts, and each expert's load.

    Counts the applications that went to the panel (submitted, under review, decided) against
    the panel's experts per application; cancelled assignments do not count.
    """
    with render.working("reading the panel, assignments, applications and experts"):
        panel = client.get(panel_path(competition_id))
        assignments = client.pages("/v1/assignments", "assignments", competitionId=competition_id)
        applications = client.pages(
            "/v1/applications", "applications", competitionId=competition_id
        )
        known = client.pages("/v1/experts", "experts")
    result = compute_coverage(
        applications, assignments, int(panel.get("expertsPerApplication", 0)), known
    )
    if as_json:
        render.print_json(dataclasses.asdict(result))
        return
    out = render.stdout()
    for table in render.coverage(result):
        out.print(table)


@click.command()
@click.argument("competition_id")
@click.option(
    "--close-scoring",
    is_flag=True,
    help="Close scoring first if it is still open (no scores or revisions after that).",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@operation(DEV_FUNDER)
def decide(
    client: Client, competition_id: str, close_scoring: bool, yes: bool, as_json: bool
) -> None:
    """Decide the awards of a competition within its budget and quotas, by the ranking.

    The decision is recorded once: deciding again shows the same decision.
    """
    panel = client.get(panel_path(competition_id))
    state = panel.get("state")
    if state == SCORING and not close_scoring:
        raise Failure(
            f"scoring of {competition_id} is still open; pass --close-scoring to close it and decide"
        )
    if state != DECIDED and not yes:
        click.confirm(
            f"Decide the awards of {competition_id}? The decision is final", abort=True, err=True
        )
    if state == SCORING:
        client.post(f"/v1/competitions/{competition_id}/panel:close")
    decision = client.post(
        f"/v1/competitions/{competition_id}:decideAwards",
        idempotency_key=f"decide-{competition_id}",
    )
    if as_json:
        render.print_json(decision)
        return
    ranking = client.get(f"/v1/competitions/{competition_id}/ranking")
    titles = {e.get("applicationId", ""): e.get("title", "") for e in ranking.get("entries", [])}
    out = render.stdout()
    for part in render.decision(decision, titles):
        out.print(part)

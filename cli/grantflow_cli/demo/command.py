"""`grantflow demo`: seed a realistic grant round once through the public API, then summarise."""

from __future__ import annotations

import json
import os

import click
from grantflow_runtime.config import Config
from rich.console import Console

from grantflow_cli.client import DEFAULT_GATEWAY, ApiError
from grantflow_cli.demo import driver, render
from grantflow_cli.demo.settings import DEFAULT_SEED, DemoSettings


@click.command()
@click.option(
    "--gateway",
    default=None,
    help="Gateway URL (default: GRANTFLOW_GATEWAY_URL or http://127.0.0.1:8080).",
)
@click.option("--organisations", default=300, show_default=True, help="Organisations that apply.")
@click.option(
    "--experts",
    default=0,
    help="Experts on the panel (default: one per 10 organisations, at least 8).",
)
@click.option("--seed", default=DEFAULT_SEED, show_default=True, help="Same seed, same round.")
@click.option(
    "--quarters", default=3, show_default=True, help="Progress reports per funded project."
)
@click.option("--practices", default=3, show_default=True, help="Projects registered as practices.")
@click.option("--concurrency", default=6, show_default=True, help="Parallel requests per phase.")
@click.option(
    "--time-zone",
    default="Europe/Moscow",
    show_default=True,
    help="Where the deadline is announced; projects start on the deadline's day there.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the summary as JSON instead of tables."
)
def demo(
    gateway: str | None,
    organisations: int,
    experts: int,
    seed: int,
    quarters: int,
    practices: int,
    concurrency: int,
    time_zone: str,
    as_json: bool,
) -> None:
    """Run a seeded demo round: competition, applicants, experts, scores, awards, quarterly
    reports, alerts and practices, all through the HTTP API with development tokens.

    A second run finds the round (its title, owned by demo-funder), adds nothing and prints the
    summary from the stored data; an interrupted run resumes where it stopped.
    """
    try:
        settings = DemoSettings(
            seed=seed,
            organisations=organisations,
            experts=experts,
            quarters=quarters,
            practices=practices,
            concurrency=concurrency,
            time_zone=time_zone,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    url = gateway or os.environ.get("GRANTFLOW_GATEWAY_URL") or DEFAULT_GATEWAY
    console = Console(stderr=as_json)
    try:
        outcome = driver.run(url, settings, console)
    except (ApiError, TimeoutError) as exc:
        raise click.ClickException(f"the demo round stopped: {exc}") from exc
    if as_json:
        click.echo(json.dumps(outcome.summary, ensure_ascii=False, indent=2))
        return
    render.show(console, outcome.summary)
    if outcome.console_tokens:
        path = Config.from_env().data_dir / "console-tokens.env"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "".join(f"{role}_TOKEN={token}\n" for role, token in outcome.console_tokens.items())
        )
        console.print(
            f"Web console: {url.rstrip('/')}/console/ — sign in as this round's"
            f" {', '.join(r.lower() for r in outcome.console_tokens)} with a token from {path}"
        )
    for note in outcome.notes:
        console.print(f"[yellow]note:[/] {note}")
    if outcome.found_existing and outcome.writes == 0:
        console.print(
            "[bold]The demo round was seeded before; nothing was added.[/] The summary above is"
            f" read from the stored data ({outcome.calls} requests, {outcome.seconds:.1f}s)."
        )
    else:
        verb = "resumed" if outcome.found_existing else "seeded"
        console.print(
            f"[bold]Demo round {verb}[/] in {outcome.seconds:.1f}s: {outcome.writes} writes,"
            f" {outcome.calls} requests."
        )

"""`grantflow`: the operator's command line. Every command has --help."""

from __future__ import annotations

import asyncio

import click
from grantflow_runtime.context import Role
from grantflow_runtime.tokens import TOKEN_ROLES

from grantflow_cli.client import dev_token


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="grantflow")
def cli() -> None:
    """Run grant competitions and follow what funded projects achieve.

    Commands talk to the gateway at GRANTFLOW_GATEWAY_URL (default http://127.0.0.1:8080) with the
    bearer token in GRANTFLOW_TOKEN; without one, they sign a development token with the local key.
    """


@cli.command()
@click.option("--role", required=True, type=click.Choice([r.value for r in TOKEN_ROLES]))
@click.option("--subject", required=True, help="Who the caller is (the token's sub).")
@click.option("--org", default="", help="Organisation an applicant acts for.")
@click.option("--expert", default="", help="Expert id an expert acts as.")
def token(role: str, subject: str, org: str, expert: str) -> None:
    """Mint a development bearer token signed with the local key."""
    click.echo(dev_token(Role(role), subject, organisation_id=org, expert_id=expert))


@cli.command("audit-verify")
@click.argument("service", type=click.Choice(["scoring", "impact"]))
def audit_verify(service: str) -> None:
    """Check a service's hash-chained audit log in its database (GRANTFLOW_<SERVICE>_DATABASE_URL);
    exits 1 and names the first broken entry if any row was edited or removed."""
    # Imported here: SQLAlchemy is heavy, and no other command needs it.
    from grantflow_runtime.audit import verify_service
    from grantflow_runtime.config import Config

    try:
        result = asyncio.run(verify_service(Config.from_env().database_url(service)))
    except LookupError as exc:
        raise click.ClickException(f"{service}: {exc}") from None
    if result.intact:
        click.echo(f"{service}: audit log intact, {result.entries} entries, head {result.head}")
        return
    click.echo(f"{service}: audit log BROKEN at entry {result.broken_at}: {result.problem}")
    raise SystemExit(1)


def _register() -> None:
    """Command groups live in modules of their own, each exporting `commands`."""
    from grantflow_cli import demo, events, operations

    for module in (events, operations, demo):
        for command in module.commands:
            cli.add_command(command)


_register()


if __name__ == "__main__":
    cli()

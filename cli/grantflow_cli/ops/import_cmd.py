"""`grantflow organisations import` and `grantflow experts import`: records from CSV files."""

from __future__ import annotations

from pathlib import Path

import click
from grantflow_runtime.context import Identity
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from grantflow_cli.ops import render
from grantflow_cli.ops.connection import DEV_ADMIN, DEV_FUNDER, Failure, operation
from grantflow_cli.ops.csvfile import read_rows
from grantflow_cli.ops.enums import short_names
from grantflow_cli.ops.importer import existing_keys, plan, run_import
from grantflow_cli.ops.records import EXPERTS, LEGAL_FORM, ORGANISATIONS, Kind
from grantflow_cli.ops.textfile import read_text
from grantflow_cli.transport import Client


def _columns_help(kind: Kind) -> str:
    lines = [f"  {c.name:<18}{'(required) ' if c.required else ''}{c.help}" for c in kind.columns]
    return "\n".join(lines)


_COMMON_HELP = """
The first row names the columns (any case; spaces or hyphens for underscores); cells are
separated by commas, semicolons or tabs, as the header shows. UTF-8 (with or without a
byte-order mark) unless --encoding says otherwise.

Every row is checked and every bad one reported with its line, column and the service's
reason; the good rows are still created. Rows whose {key} is registered already are skipped,
and each create carries an Idempotency-Key made from the row's content, so running the import
again creates nothing twice. Exits 1 when any row failed.
"""


def _import(
    client: Client, kind: Kind, file: Path, encoding: str, dry_run: bool, verbose: bool
) -> None:
    source = str(file)
    planned = plan(kind, read_rows(read_text(file, encoding), source, kind.columns), source)
    err = render.stderr()
    if dry_run:
        problems = [p for item in planned for p in item.problems]
        for problem in problems:
            err.print(problem, markup=False)
        bad = sum(1 for item in planned if item.problems)
        render.stdout().print(
            f"{len(planned) - bad} of {len(planned)} rows are ready to import", markup=False
        )
        if problems:
            raise Failure(f"{source}: {bad} bad row(s)")
        return
    existing = existing_keys(client, kind)
    progress = Progress(
        TextColumn(f"importing {kind.noun}s"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        # A progress bar is for people watching; in a pipe or a log it would be noise.
        disable=not err.is_terminal,
    )
    with progress:
        task = progress.add_task(kind.noun, total=len(planned))
        report = run_import(
            client,
            kind,
            planned,
            source,
            existing=existing,
            on_row=lambda _: progress.advance(task),
        )
    for failed in report.failed:
        for message in failed.messages:
            err.print(message, markup=False)
    out = render.stdout()
    if verbose:
        out.print(render.import_rows(report, kind.key_column))
    out.print(render.import_counts(report, kind.noun), markup=False)
    if report.failed:
        raise Failure(f"{source}: {len(report.failed)} row(s) failed; fix them and import again")


def _command(kind: Kind, default: Identity, help_text: str) -> click.Command:
    @click.command("import", help=help_text)
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option(
        "--encoding",
        default="utf-8",
        show_default=True,
        help="The file's encoding, e.g. cp1251 for older Russian Excel exports.",
    )
    @click.option("--dry-run", is_flag=True, help="Check the file only; create nothing.")
    @click.option("-v", "--verbose", is_flag=True, help="List every row with its outcome.")
    @operation(default)
    def command(client: Client, file: Path, encoding: str, dry_run: bool, verbose: bool) -> None:
        _import(client, kind, file, encoding, dry_run, verbose)

    return command


ORGANISATIONS_HELP = (
    "Register applicant organisations from a CSV FILE (as an admin by default).\n\n\b\nColumns:\n"
    + _columns_help(ORGANISATIONS)
    + "\n\nlegal_form is one of: "
    + ", ".join(short_names(LEGAL_FORM))
    + ".\n"
    + _COMMON_HELP.format(key="INN")
)
EXPERTS_HELP = (
    "Register experts from a CSV FILE (as a funder by default).\n\n\b\nColumns:\n"
    + _columns_help(EXPERTS)
    + "\n\nLists in a cell (directions, INNs) are separated by spaces, commas or semicolons.\n"
    + _COMMON_HELP.format(key="subject")
)


@click.group()
def organisations() -> None:
    """Applicant organisations."""


@click.group()
def experts() -> None:
    """Experts who score applications."""


organisations.add_command(_command(ORGANISATIONS, DEV_ADMIN, ORGANISATIONS_HELP))
experts.add_command(_command(EXPERTS, DEV_FUNDER, EXPERTS_HELP))

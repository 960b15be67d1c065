"""`grantflow events ...`: tail, replay, dead letters and lag of the event stream.

These talk to NATS JetStream directly (not the gateway): `--nats-url` defaults to
GRANTFLOW_NATS_URL and `--stream` to GRANTFLOW_STREAM. Output meant for scripts is JSON lines on
stdout; tables are for people; errors go to stderr with a non-zero exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import click
from grantflow_runtime.bus import EVENTS_SUBJECTS, dead_letter_stream
from grantflow_runtime.config import Config, ConfigError
from nats.aio.client import Client as NATS
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import APIError
from rich.console import Console
from rich.table import Table

from grantflow_cli.dead_letters import (
    DeadLetter,
    RedriveError,
    Redriven,
    list_dead_letters,
    redrive_all,
)
from grantflow_cli.event_admin import AdminError, ConsumerLag, StreamFigures, replay, stats
from grantflow_cli.event_inputs import TIME_HELP, InputError, check_subject_filter, parse_time
from grantflow_cli.event_reading import Start, Unreachable, connect, event_json, read

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    nats_url: str
    stream: str


def _from_env() -> Config:
    try:
        return Config.from_env()
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


def nats_options(command: Callable[P, T]) -> Callable[P, T]:
    """--nats-url and --stream, defaulting to the services' own settings."""
    command = click.option(
        "--stream",
        default=lambda: _from_env().stream.name,
        show_default="GRANTFLOW_STREAM, or GRANTFLOW",
        help="The JetStream stream of the events (its dead letters are in <stream>_DLQ).",
    )(command)
    return click.option(
        "--nats-url",
        default=lambda: _from_env().nats_url,
        show_default="GRANTFLOW_NATS_URL, or nats://127.0.0.1:4222",
        help="NATS server(s), comma-separated.",
    )(command)


def run(target: Target, work: Callable[[NATS], Awaitable[T]]) -> T:
    """Connect, do the work, close; every failure the user can act on becomes a clear message."""

    async def session() -> T:
        nc = await connect(target.nats_url)
        try:
            return await work(nc)
        finally:
            await nc.close()

    try:
        return asyncio.run(session())
    except (Unreachable, InputError, AdminError, RedriveError) as exc:
        raise click.ClickException(str(exc)) from exc
    except APIError as exc:
        raise click.ClickException(
            f"NATS refused: {exc.description} (stream {target.stream}, at {target.nats_url})"
        ) from exc
    except NatsTimeoutError as exc:
        raise click.ClickException(f"NATS at {target.nats_url} did not answer in time") from exc
    except KeyboardInterrupt:
        raise click.exceptions.Exit(130) from None
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, and keep Python's exit-time flush
        # from failing on the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise click.exceptions.Exit(0) from None


def parse_start(since: str | None, from_seq: int | None, *, new_only: bool = False) -> Start:
    if since is not None and from_seq is not None:
        raise click.UsageError("give --since or --from-seq, not both")
    if from_seq is not None:
        return Start(sequence=from_seq)
    if since is not None:
        try:
            return Start(time=parse_time(since))
        except InputError as exc:
            raise click.BadParameter(str(exc), param_hint="--since") from exc
    return Start(new_only=new_only)


def console() -> Console:
    out = Console()
    # Piped into a file or another program: wide enough that tables are not squeezed to 80.
    return out if out.is_terminal else Console(width=160)


@click.group("events")
def events() -> None:
    """Read, replay and repair Grantflow's event stream (NATS JetStream).

    Subjects and messages are listed in docs/asyncapi.yaml; what a subscriber can rely on
    (at-least-once delivery, de-duplication by event id, ordering) is in docs/events.md.
    """


@events.command()
@click.option(
    "--subject",
    "-s",
    "subjects",
    multiple=True,
    metavar="FILTER",
    help="Only these subjects; `*` matches one token, a final `>` the rest "
    "(grantflow.awards.*). Repeat for several. Default: every event.",
)
@click.option("--since", metavar="TIME", help=f"Start at this time: {TIME_HELP}.")
@click.option(
    "--from-seq", type=click.IntRange(min=1), metavar="SEQ", help="Start at this stream sequence."
)
@click.option(
    "--follow",
    "-f",
    is_flag=True,
    help="Keep waiting for new events (Ctrl-C stops). Without --since/--from-seq, only new ones.",
)
@click.option("--limit", "-n", type=click.IntRange(min=1), metavar="N", help="Stop after N events.")
@nats_options
def tail(
    subjects: Sequence[str],
    since: str | None,
    from_seq: int | None,
    follow: bool,
    limit: int | None,
    nats_url: str,
    stream: str,
) -> None:
    """Print events as JSON lines: stream sequence, subject, CloudEvents headers, and the payload
    decoded by the protobuf JSON mapping.

    Without --follow it prints what is stored (from the start, or from --since/--from-seq) and
    exits. Reading creates no durable consumer and acknowledges nothing.

    \b
    Examples:
      grantflow events tail --since 1h -s 'grantflow.awards.*'
      grantflow events tail -f | jq -c 'select(.subject == "grantflow.awards.decided") | .data'
    """
    try:
        filters = [check_subject_filter(s) for s in subjects] or [EVENTS_SUBJECTS]
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--subject") from exc
    start = parse_start(since, from_seq, new_only=follow)

    async def work(nc: NATS) -> None:
        printed = 0
        messages = read(nc.jetstream(), stream, filters, start, follow=follow)
        async with contextlib.aclosing(messages):
            async for msg in messages:
                click.echo(json.dumps(event_json(msg), ensure_ascii=False))
                printed += 1
                if limit is not None and printed >= limit:
                    return

    run(Target(nats_url, stream), work)


@events.command("replay")
@click.argument("consumer")
@click.option(
    "--from-seq", type=click.IntRange(min=1), metavar="SEQ", help="Re-deliver from this sequence."
)
@click.option("--since", metavar="TIME", help=f"Re-deliver from this time: {TIME_HELP}.")
@click.option("--from-start", is_flag=True, help="Re-deliver everything the stream still holds.")
@nats_options
def replay_command(
    consumer: str,
    from_seq: int | None,
    since: str | None,
    from_start: bool,
    nats_url: str,
    stream: str,
) -> None:
    """Rewind the durable consumer CONSUMER so its subscriber receives events again.

    The consumer keeps its name, subjects and settings; its next delivery is the first event on
    its subjects at or after the given sequence or time. A subscriber with an inbox (every
    Grantflow service, and the reference subscriber in examples/) applies each event at most
    once, so rewinding too far only costs time. Events older than the stream's retention
    (GRANTFLOW_STREAM_MAX_AGE_DAYS) are gone.
    """
    if sum(x is not None and x is not False for x in (from_seq, since, from_start)) != 1:
        raise click.UsageError("give exactly one of --from-seq, --since or --from-start")
    start = Start(sequence=1) if from_start else parse_start(since, from_seq)

    async def work(nc: NATS) -> None:
        done = await replay(nc.jetstream(), stream, consumer, start)
        click.echo(
            f"consumer {done.consumer} rewound: next delivery from stream sequence "
            f"{done.from_seq}; {done.pending} event(s) pending"
        )

    run(Target(nats_url, stream), work)


@events.group()
def dlq() -> None:
    """Dead letters: events a consumer gave up on, with the error (stream <stream>_DLQ)."""


@dlq.command("list")
@click.option("--consumer", "-c", metavar="NAME", help="Only this durable consumer's dead letters.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@nats_options
def dlq_list(consumer: str | None, as_json: bool, nats_url: str, stream: str) -> None:
    """List dead letters, oldest first: sequence, consumer, original subject, event id,
    deliveries and the error."""

    async def work(nc: NATS) -> list[DeadLetter]:
        return [letter async for letter in list_dead_letters(nc.jetstream(), stream, consumer)]

    letters = run(Target(nats_url, stream), work)
    if as_json:
        for letter in letters:
            click.echo(json.dumps(letter.as_json(), ensure_ascii=False))
        return
    if not letters:
        click.echo(f"no dead letters in {dead_letter_stream(stream)}")
        return
    table = Table(title=f"{dead_letter_stream(stream)}: {len(letters)} dead letter(s)")
    for column in ("seq", "stored", "consumer", "subject", "event id", "deliveries"):
        table.add_column(column, no_wrap=True)
    table.add_column("error", overflow="fold")
    for letter in letters:
        table.add_row(
            str(letter.sequence),
            _short_time(letter.stored),
            letter.consumer,
            letter.subject,
            letter.event_id,
            "" if letter.deliveries is None else str(letter.deliveries),
            letter.error[:200],
        )
    console().print(table)


@dlq.command("redrive")
@click.option(
    "--seq",
    "sequences",
    multiple=True,
    type=click.IntRange(min=1),
    metavar="SEQ",
    help="A dead letter's sequence (from `dlq list`); repeat for several.",
)
@click.option("--all", "everything", is_flag=True, help="Every dead letter (of --consumer).")
@click.option("--consumer", "-c", metavar="NAME", help="Only this durable consumer's dead letters.")
@nats_options
def dlq_redrive(
    sequences: Sequence[int],
    everything: bool,
    consumer: str | None,
    nats_url: str,
    stream: str,
) -> None:
    """Send dead letters back to their original subject, once what made them fail is fixed,
    and delete each from the dead letters after the event stream has stored it.

    The event keeps its id (ce-id), so consumers that already applied it ignore it (their inbox)
    and only the one that gave up applies it now. Exits non-zero if any could not be redriven.
    """
    if bool(sequences) == everything:
        raise click.UsageError("give --seq (one or more) or --all")

    async def work(nc: NATS) -> list[Redriven | RedriveError]:
        chosen = None if everything else list(sequences)
        return [o async for o in redrive_all(nc.jetstream(), stream, chosen, consumer)]

    outcomes = run(Target(nats_url, stream), work)
    failed = [o for o in outcomes if isinstance(o, RedriveError)]
    for outcome in outcomes:
        if isinstance(outcome, Redriven):
            letter = outcome.letter
            again = " (had been redriven before)" if outcome.already else ""
            click.echo(
                f"redriven #{letter.sequence}: event {letter.event_id} ({letter.subject}, "
                f"{letter.consumer}) is {stream} #{outcome.event_sequence}{again}"
            )
        else:
            click.echo(f"error: {outcome}", err=True)
    if not outcomes:
        click.echo("no dead letters to redrive")
    if failed:
        raise click.exceptions.Exit(1)


@events.command("stats")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of tables.")
@nats_options
def stats_command(as_json: bool, nats_url: str, stream: str) -> None:
    """Show the event and dead-letter streams (messages, bytes, first and last sequence and time,
    limits) and each durable consumer's lag: pending (stored, not yet delivered) plus ack pending
    (delivered, not yet acknowledged)."""

    async def work(nc: NATS) -> tuple[list[StreamFigures], list[ConsumerLag]]:
        return await stats(nc, stream)

    streams, lags = run(Target(nats_url, stream), work)
    if as_json:
        document: dict[str, Any] = {
            "streams": [asdict(s) for s in streams],
            "consumers": [asdict(c) | {"lag": c.lag} for c in lags],
        }
        click.echo(json.dumps(document))
        return
    out = console()
    first = streams[0]
    table = Table(
        title="streams",
        caption=f"{first.storage} storage, {first.replicas} replica(s), discard {first.discard} "
        "when full",
    )
    for column in ("stream", "messages", "size", "first seq", "first time", "last seq"):
        table.add_column(column, justify="left" if column == "stream" else "right")
    for column in ("last time", "max age", "max size", "dedup window"):
        table.add_column(column, justify="right")
    for s in streams:
        table.add_row(
            s.name,
            str(s.messages),
            _size(s.bytes),
            str(s.first_seq),
            _short(s.first_time),
            str(s.last_seq),
            _short(s.last_time),
            f"{s.max_age_s / 86400:g} d",
            "none" if s.max_bytes < 0 else _size(s.max_bytes),
            f"{s.duplicate_window_s:g} s",
        )
    out.print(table)
    consumers = Table(title=f"durable consumers of {stream}")
    for column in ("consumer", "subjects", "pending", "ack pending", "lag", "redelivered"):
        consumers.add_column(
            column, justify="left" if column in ("consumer", "subjects") else "right"
        )
    consumers.add_column("last active")
    for c in lags:
        consumers.add_row(
            c.name,
            "\n".join(c.subjects),
            str(c.pending),
            str(c.ack_pending),
            str(c.lag),
            str(c.redelivered),
            _short(c.last_active),
        )
    out.print(consumers if lags else f"no durable consumers on {stream}")


def _short_time(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _short(iso: str | None) -> str:
    """A table's time: to the second, UTC."""
    return "" if iso is None else iso[:19].replace("T", " ")


def _size(size: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} B"


commands: list[click.Command] = [events]

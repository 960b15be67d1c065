"""Stream figures and consumer lag, and moving a durable consumer back so its subscriber re-reads."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grantflow_runtime.bus import EVENTS_SUBJECTS, dead_letter_stream
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import ConsumerInfo, DeliverPolicy
from nats.js.errors import ConsumerInvalidResetError, NotFoundError

from grantflow_cli.event_reading import Start, read

# Reset (NATS ADR-60) keeps a consumer's configuration; these are the policies it may rewind.
_REWINDABLE = {
    p.value
    for p in (DeliverPolicy.ALL, DeliverPolicy.BY_START_SEQUENCE, DeliverPolicy.BY_START_TIME)
}


class AdminError(Exception):
    """A request about streams or consumers that cannot be carried out, and why."""


@dataclass(frozen=True)
class StreamFigures:
    name: str
    messages: int
    bytes: int
    first_seq: int
    first_time: str | None
    last_seq: int
    last_time: str | None
    max_age_s: float
    max_bytes: int
    duplicate_window_s: float
    replicas: int
    storage: str
    discard: str


@dataclass(frozen=True)
class ConsumerLag:
    stream: str
    name: str
    subjects: list[str]
    pending: int  # stored, not delivered yet
    ack_pending: int  # delivered, not acknowledged yet
    redelivered: int
    delivered_seq: int
    ack_floor_seq: int
    last_active: str | None

    @property
    def lag(self) -> int:
        return self.pending + self.ack_pending


async def stream_figures(nc: NATS, name: str) -> StreamFigures:
    # The raw STREAM.INFO answer: nats-py's StreamState leaves out the first and last times.
    reply = await nc.request(f"$JS.API.STREAM.INFO.{name}", b"", timeout=5)
    info: dict[str, Any] = json.loads(reply.data)
    if "error" in info:
        raise AdminError(f"stream {name}: {info['error'].get('description', info['error'])}")
    state, config = info["state"], info["config"]
    nanos = 1e9
    return StreamFigures(
        name=name,
        messages=state["messages"],
        bytes=state["bytes"],
        first_seq=state["first_seq"],
        first_time=_time(state.get("first_ts")),
        last_seq=state["last_seq"],
        last_time=_time(state.get("last_ts")),
        max_age_s=config.get("max_age", 0) / nanos,
        max_bytes=config.get("max_bytes", -1),
        duplicate_window_s=config.get("duplicate_window", 0) / nanos,
        replicas=config.get("num_replicas", 1),
        storage=config.get("storage", ""),
        discard=config.get("discard", ""),
    )


async def consumer_lags(js: JetStreamContext, stream: str) -> list[ConsumerLag]:
    """Every durable consumer of the stream; the CLI's own short-lived readers are left out."""
    infos = await js.consumers_info(stream)
    return sorted(
        (_lag(stream, info) for info in infos if info.config.durable_name),
        key=lambda lag: lag.name,
    )


async def stats(nc: NATS, stream: str) -> tuple[list[StreamFigures], list[ConsumerLag]]:
    js = nc.jetstream()
    streams = [await stream_figures(nc, name) for name in (stream, dead_letter_stream(stream))]
    return streams, await consumer_lags(js, stream)


@dataclass(frozen=True)
class Replayed:
    consumer: str
    from_seq: int
    pending: int


async def replay(js: JetStreamContext, stream: str, consumer: str, start: Start) -> Replayed:
    """Rewind a durable consumer to a stream sequence or a time, keeping its configuration, so
    its subscriber receives those events again (its inbox makes the ones it had applied no-ops)."""
    try:
        info = await js.consumer_info(stream, consumer)
    except NotFoundError:
        known = [lag.name for lag in await consumer_lags(js, stream)]
        listed = ", ".join(known) if known else "none"
        raise AdminError(
            f"no durable consumer {consumer!r} on stream {stream} (durable consumers: {listed})"
        ) from None
    # nats-py hands back the policy as the server's plain string.
    policy = str(getattr(info.config.deliver_policy, "value", info.config.deliver_policy))
    if policy not in _REWINDABLE:
        raise AdminError(
            f"consumer {consumer!r} delivers {policy!r}; only consumers "
            "that deliver all, or from a sequence or a time, can be rewound"
        )
    sequence = start.sequence
    if sequence is None:
        sequence = await first_sequence_at(js, stream, _subjects(info), start)
    try:
        reset = await js.reset_consumer(stream, consumer, seq=sequence)
    except ConsumerInvalidResetError as exc:
        raise AdminError(f"NATS refused to rewind {consumer!r}: {exc.description}") from exc
    return Replayed(consumer, reset.reset_seq, reset.info.num_pending or 0)


async def first_sequence_at(
    js: JetStreamContext, stream: str, subjects: list[str], start: Start
) -> int:
    """The sequence of the first message on `subjects` stored at or after the start time; one past
    the end when there is none yet (the consumer then gets only what comes next)."""
    messages = read(js, stream, subjects, start, batch=1)
    async with contextlib.aclosing(messages):
        async for msg in messages:
            return int(msg.metadata.sequence.stream)
    figures = await js.stream_info(stream)
    return int(figures.state.last_seq) + 1


def _subjects(info: ConsumerInfo) -> list[str]:
    config = info.config
    if config.filter_subjects:
        return list(config.filter_subjects)
    return [config.filter_subject or EVENTS_SUBJECTS]


def _lag(stream: str, info: ConsumerInfo) -> ConsumerLag:
    return ConsumerLag(
        stream=stream,
        name=info.name,
        subjects=_subjects(info),
        pending=info.num_pending or 0,
        ack_pending=info.num_ack_pending or 0,
        redelivered=info.num_redelivered or 0,
        delivered_seq=info.delivered.stream_seq if info.delivered else 0,
        ack_floor_seq=info.ack_floor.stream_seq if info.ack_floor else 0,
        last_active=_time(info.delivered.last_active) if info.delivered else None,
    )


def _time(value: str | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if value.startswith("0001-01-01"):
        return None  # Go's zero time: an empty stream
    return value

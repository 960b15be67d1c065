"""Reading a stream without disturbing it: an ephemeral consumer of the reader's own (no acks,
in memory, gone shortly after the reader), and decoding what it reads to plain JSON."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import nats
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from grantflow_runtime import catalogue
from grantflow_runtime.events import DLQ_SUBJECT_HEADER, EventSpec
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

BY_SUBJECT: dict[str, EventSpec[Any]] = {spec.subject: spec for spec in catalogue.ALL}


class Unreachable(Exception):
    """NATS did not answer at the given address."""


async def connect(url: str) -> NATS:
    """A connection for one command: fails fast instead of reconnecting forever like a service."""
    servers = [u.strip() for u in url.split(",") if u.strip()]
    errors: list[Exception] = []

    async def remember(exc: Exception) -> None:
        errors.append(exc)

    try:
        return await nats.connect(
            servers=servers,
            name="grantflow-cli",
            connect_timeout=3,
            allow_reconnect=False,
            # nats-py reads 0 as "no limit": one retry per server is the smallest bound.
            max_reconnect_attempts=1,
            reconnect_time_wait=0.2,
            error_cb=remember,
        )
    except Exception as exc:
        cause = errors[-1] if errors else exc
        raise Unreachable(f"cannot reach NATS at {url}: {cause or type(cause).__name__}") from exc


@dataclass(frozen=True)
class Start:
    """Where reading begins: a stream sequence, a time, only new messages, or the beginning."""

    sequence: int | None = None
    time: datetime | None = None
    new_only: bool = False

    def consumer_config(self) -> dict[str, Any]:
        if self.sequence is not None:
            return {
                "deliver_policy": DeliverPolicy.BY_START_SEQUENCE,
                "opt_start_seq": self.sequence,
            }
        if self.time is not None:
            return {"deliver_policy": DeliverPolicy.BY_START_TIME, "opt_start_time": self.time}
        if self.new_only:
            return {"deliver_policy": DeliverPolicy.NEW}
        return {"deliver_policy": DeliverPolicy.ALL}


async def read(
    js: JetStreamContext,
    stream: str,
    subjects: Sequence[str],
    start: Start,
    *,
    follow: bool = False,
    batch: int = 256,
) -> AsyncGenerator[Msg, None]:
    """The stream's messages on `subjects` from `start`, in stream order. Without `follow` it ends
    once it has caught up; with `follow` it waits for more. Use it with `contextlib.aclosing` when
    stopping early, so its consumer is let go before the connection closes."""
    config = ConsumerConfig(
        ack_policy=AckPolicy.NONE,
        filter_subjects=list(subjects),
        # An abandoned reader (killed, network gone) leaves nothing behind for long.
        inactive_threshold=30.0,
        mem_storage=True,
        num_replicas=1,
        **start.consumer_config(),
    )
    subscription = await js.pull_subscribe("", stream=stream, config=config)
    try:
        if not follow and (await subscription.consumer_info()).num_pending == 0:
            return
        while True:
            try:
                messages = await subscription.fetch(batch, timeout=1.0)
            except (NatsTimeoutError, TimeoutError):
                if follow:
                    continue
                if (await subscription.consumer_info()).num_pending == 0:
                    return
                continue
            for message in messages:
                yield message
                if not follow and message.metadata.num_pending == 0:
                    return
    finally:
        # Also reached when the caller stops early; by then the connection may be closed.
        with contextlib.suppress(ConnectionClosedError):
            await subscription.unsubscribe()


def event_json(msg: Msg) -> dict[str, Any]:
    """One stored message as a JSON object: where it is, its headers, and its payload decoded by
    the protobuf JSON mapping (or base64 with the reason when it cannot be)."""
    headers = dict(msg.headers or {})
    metadata = msg.metadata
    record: dict[str, Any] = {
        "stream": metadata.stream,
        "seq": metadata.sequence.stream,
        "subject": msg.subject,
        "stored": _iso(metadata.timestamp),
        "headers": headers,
    }
    # A dead letter's payload is the event published on its original subject.
    subject = headers.get(DLQ_SUBJECT_HEADER, msg.subject)
    data, error = decode_payload(subject, headers, msg.data)
    record["data"] = data
    if error is not None:
        record["error"] = error
        record["raw"] = base64.b64encode(msg.data).decode()
    return record


def decode_payload(
    subject: str, headers: Mapping[str, str], payload: bytes
) -> tuple[dict[str, Any] | None, str | None]:
    spec = BY_SUBJECT.get(subject)
    if spec is None:
        return None, f"{subject} is not in the event catalogue"
    if headers.get("ce-type", spec.type) != spec.type:
        return None, f"ce-type {headers.get('ce-type')!r} is not {spec.type!r}"
    message = spec.message()
    try:
        message.ParseFromString(payload)
    except DecodeError as exc:
        return None, f"payload is not a {spec.type}: {exc}"
    return json_format.MessageToDict(message), None


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")

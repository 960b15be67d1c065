"""Durable pull consumers with an idempotent inbox, bounded redeliveries and a dead-letter subject."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.protobuf.message import Message
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_runtime.bus import dead_letter_subject
from grantflow_runtime.context import bound, new_request_id
from grantflow_runtime.db import Database
from grantflow_runtime.events import (
    DLQ_CONSUMER_HEADER,
    DLQ_DELIVERIES_HEADER,
    DLQ_ERROR_HEADER,
    DLQ_SEQUENCE_HEADER,
    DLQ_SUBJECT_HEADER,
    EventEnvelope,
    EventSpec,
    UndecodableEvent,
    decode,
)
from grantflow_runtime.logs import get_logger

log = get_logger(__name__)

Handler = Callable[[AsyncSession, EventEnvelope[Any]], Awaitable[None]]

__all__ = [
    "DLQ_CONSUMER_HEADER",
    "DLQ_DELIVERIES_HEADER",
    "DLQ_ERROR_HEADER",
    "DLQ_SEQUENCE_HEADER",
    "DLQ_SUBJECT_HEADER",
    "EventConsumer",
    "Handler",
    "Subscription",
]


@dataclass(frozen=True)
class Subscription:
    """What a consumer handles: an event kind and the handler that applies it inside a transaction."""

    spec: EventSpec[Any]
    handler: Handler


class EventConsumer:
    """Applies each event once: the handler's effect and the inbox row commit in one transaction,
    so a redelivery (after a crash, a timeout or on another replica) finds the inbox row and is acked
    without a second effect. Several replicas bound to one durable name share its messages."""

    def __init__(
        self,
        *,
        db: Database,
        inbox: Table,
        js: JetStreamContext,
        stream: str,
        durable: str,
        subscriptions: Sequence[Subscription],
        max_deliver: int = 5,
        ack_wait_s: float = 30.0,
        backoff_s: Sequence[float] = (0.5, 2.0, 5.0, 15.0, 30.0),
        batch: int = 64,
    ) -> None:
        if not subscriptions:
            raise ValueError("a consumer needs at least one subscription")
        self.db = db
        self.inbox = inbox
        self.js = js
        self.stream = stream
        self.durable = durable
        self.by_subject = {s.spec.subject: s for s in subscriptions}
        self.max_deliver = max_deliver
        self.ack_wait_s = ack_wait_s
        self.backoff_s = tuple(backoff_s)
        self.batch = batch

    async def ensure(self) -> None:
        """Create the durable consumer, or update it to this code's subjects and limits."""
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subjects=sorted(self.by_subject),
            max_deliver=self.max_deliver,
            ack_wait=self.ack_wait_s,
            max_ack_pending=max(1000, self.batch * 4),
        )
        # Creating a durable that exists with the same name updates it (NATS 2.10+), so every
        # replica can call this at start-up.
        await self.js.add_consumer(self.stream, config)

    async def run(self) -> None:
        await self.ensure()
        subscription = await self.js.pull_subscribe_bind(durable=self.durable, stream=self.stream)
        log.info("consumer started", consumer=self.durable, subjects=sorted(self.by_subject))
        while True:
            try:
                messages = await subscription.fetch(self.batch, timeout=1.0)
            except (NatsTimeoutError, TimeoutError):
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer fetch failed", consumer=self.durable, error=repr(exc))
                await asyncio.sleep(1.0)
                continue
            for message in messages:
                await self.handle(message)

    async def handle(self, msg: Msg) -> None:
        headers = dict(msg.headers or {})
        request_id = headers.get("Grantflow-Request-Id") or new_request_id()
        with bound(request_id):
            subscription = self.by_subject.get(msg.subject)
            if subscription is None:
                await self._dead_letter(msg, f"no handler for subject {msg.subject}")
                return
            try:
                event = decode(subscription.spec, msg.subject, headers, msg.data)
            except UndecodableEvent as exc:
                # No retry can make a malformed message readable.
                await self._dead_letter(msg, f"undecodable: {exc}")
                return
            try:
                applied = await self._apply(subscription, event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                await self._failed(msg, event, exc)
                return
            # Said before the ack: the effect is committed, and a replica killed between the two
            # leaves the message unacknowledged, so its redelivery is logged as already applied.
            # Said after it, such a kill would leave an applied event in no log at all.
            log.info(
                "event applied" if applied else "event already applied",
                consumer=self.durable,
                subject=msg.subject,
                event_id=event.id,
            )
            await msg.ack()

    async def _apply(self, subscription: Subscription, event: EventEnvelope[Message]) -> bool:
        t = self.inbox
        try:
            async with self.db.transaction() as session:
                seen = await session.scalar(
                    select(t.c.event_id).where(
                        t.c.consumer == self.durable, t.c.event_id == event.id
                    )
                )
                if seen is not None:
                    return False
                await subscription.handler(session, event)
                await session.execute(
                    insert(t).values(
                        consumer=self.durable,
                        event_id=event.id,
                        subject=event.subject,
                        processed_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            # Another replica applied the same event between our check and our commit; our
            # transaction rolled back whole, so the effect still happened exactly once.
            if await self._already_applied(event.id):
                return False
            raise
        return True

    async def _already_applied(self, event_id: str) -> bool:
        t = self.inbox
        async with self.db.reading() as session:
            found = await session.scalar(
                select(t.c.event_id).where(t.c.consumer == self.durable, t.c.event_id == event_id)
            )
        return found is not None

    async def _failed(self, msg: Msg, event: EventEnvelope[Message], exc: BaseException) -> None:
        deliveries = msg.metadata.num_delivered or 1
        if deliveries >= self.max_deliver:
            await self._dead_letter(msg, repr(exc))
            return
        delay = self.backoff_s[min(deliveries - 1, len(self.backoff_s) - 1)]
        log.warning(
            "event handler failed, will retry",
            consumer=self.durable,
            event_id=event.id,
            deliveries=deliveries,
            retry_in_s=delay,
            error=repr(exc),
        )
        await msg.nak(delay=delay)

    async def _dead_letter(self, msg: Msg, error: str) -> None:
        headers = dict(msg.headers or {})
        # A new message id: the dead letter is a new message, though ce-id still names the event.
        headers.pop("Nats-Msg-Id", None)
        headers.update(
            {
                DLQ_ERROR_HEADER: error[:4000],
                DLQ_CONSUMER_HEADER: self.durable,
                DLQ_SUBJECT_HEADER: msg.subject,
                DLQ_SEQUENCE_HEADER: str(msg.metadata.sequence.stream),
                DLQ_DELIVERIES_HEADER: str(msg.metadata.num_delivered),
            }
        )
        await self.js.publish(
            dead_letter_subject(self.durable, msg.subject), msg.data, headers=headers
        )
        # The operator's alert, on every path to the dead letters (undecodable, unhandled, failing).
        log.error(
            "event dead-lettered",
            consumer=self.durable,
            subject=msg.subject,
            event_id=headers.get("ce-id", ""),
            stream_seq=msg.metadata.sequence.stream,
            deliveries=msg.metadata.num_delivered,
            error=error[:500],
        )
        # Only after the dead letter is stored: a crash before this redelivers rather than loses it.
        await msg.term()

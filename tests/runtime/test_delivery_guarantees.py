"""Crash and failure paths of the outbox relay and the inbox consumer, against a real nats-server."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from grantflow_runtime import catalogue
from grantflow_runtime.bus import dead_letter_stream
from grantflow_runtime.consumer import DLQ_ERROR_HEADER, EventConsumer, Subscription
from grantflow_runtime.events import EventEnvelope
from grantflow_runtime.relay import OutboxRelay
from nats.aio.msg import Msg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.runtime.messaging_fixture import (
    Messaging,
    count_effect,
    messaging,
    tables,
    times_applied,
)

__all__ = ["messaging"]
pytestmark = pytest.mark.asyncio


class Killed(Exception):
    """Stands for the process dying at this exact point."""


class RelayKilledBeforeMarkingSent(OutboxRelay):
    async def _mark_sent(self, session: AsyncSession, seqs: list[int], now: datetime) -> None:
        raise Killed("relay died after the ack, before marking rows sent")


def consumer(m: Messaging, handler=count_effect, **kwargs: object) -> EventConsumer:  # type: ignore[no-untyped-def]
    return EventConsumer(
        db=m.db,
        inbox=tables.inbox,
        js=m.js,
        stream=m.config.stream.name,
        durable="test-consumer",
        subscriptions=[Subscription(catalogue.COMPETITION_OPENED, handler)],
        **kwargs,  # type: ignore[arg-type]
    )


async def run_until(job: EventConsumer, condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    await job.ensure()
    task = asyncio.create_task(job.run())
    try:
        async with asyncio.timeout(timeout):
            while not await condition():
                await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def stream_messages(m: Messaging, subject: str) -> int:
    info = await m.js.stream_info(m.config.stream.name, subjects_filter=subject)
    return sum((info.state.subjects or {}).values())


async def test_relay_killed_between_publish_and_mark_sent(messaging: Messaging) -> None:
    m = messaging
    await m.emit("c-1")
    with pytest.raises(Killed):
        await RelayKilledBeforeMarkingSent(m.db, tables.outbox, m.js).publish_pending()
    assert await m.unsent() == 1  # the row survived the crash, so it will be published again

    result = await OutboxRelay(m.db, tables.outbox, m.js).publish_pending()
    assert (result.published, result.duplicates) == (0, 1)  # JetStream recognised the re-publish
    assert await m.unsent() == 0
    assert await stream_messages(m, catalogue.COMPETITION_OPENED.subject) == 1

    async def applied() -> bool:
        return await times_applied(m.db, "c-1") == 1

    await run_until(consumer(m), applied)
    await asyncio.sleep(0.5)  # time for any second delivery to show up
    assert await times_applied(m.db, "c-1") == 1
    print("relay killed once after publish; event stored once, applied once")


async def test_a_republish_outside_the_dedup_window_still_applies_once(
    messaging: Messaging,
) -> None:
    """JetStream's window is a first line; the inbox is what guarantees one effect."""
    m = messaging
    await m.emit("c-2")
    await OutboxRelay(m.db, tables.outbox, m.js).publish_pending()
    async with m.db.reading() as session:
        row = (await session.execute(select(tables.outbox))).one()
    headers = dict(row.headers)
    headers["Nats-Msg-Id"] = headers["Nats-Msg-Id"] + "-after-window"
    await m.js.publish(row.subject, row.payload, headers=headers)
    assert await stream_messages(m, catalogue.COMPETITION_OPENED.subject) == 2

    async def both_seen() -> bool:
        async with m.db.reading() as session:
            n = await session.scalar(select(func.count()).select_from(tables.inbox))
        info = await m.js.consumer_info(m.config.stream.name, "test-consumer")
        return n == 1 and info.num_ack_pending == 0 and info.num_pending == 0

    await run_until(consumer(m), both_seen)
    assert await times_applied(m.db, "c-2") == 1


async def test_handler_crash_is_redelivered_and_applied_once(messaging: Messaging) -> None:
    m = messaging
    calls = 0

    async def crash_first_time(session: AsyncSession, event: EventEnvelope) -> None:  # type: ignore[type-arg]
        nonlocal calls
        calls += 1
        await count_effect(session, event)  # written, then rolled back by the crash below
        if calls == 1:
            raise RuntimeError("handler crashed mid-way")

    await m.emit("c-3")
    await OutboxRelay(m.db, tables.outbox, m.js).publish_pending()

    async def applied() -> bool:
        return await times_applied(m.db, "c-3") == 1

    await run_until(consumer(m, crash_first_time, backoff_s=(0.1,)), applied)
    assert calls == 2
    assert await times_applied(m.db, "c-3") == 1
    print(f"handler ran {calls} times; effect applied once")


async def test_lost_ack_redelivery_has_no_second_effect(messaging: Messaging) -> None:
    """The handler committed but the process died before acking: the redelivery finds the inbox row."""
    m = messaging
    await m.emit("c-4")
    await OutboxRelay(m.db, tables.outbox, m.js).publish_pending()

    class DiesBeforeFirstAck(EventConsumer):
        died = False

        async def handle(self, msg: Msg) -> None:
            if not self.died:
                self.died = True
                original_ack = msg.ack

                async def no_ack() -> None:
                    return None

                msg.ack = no_ack  # type: ignore[method-assign]
                await super().handle(msg)
                msg.ack = original_ack  # type: ignore[method-assign]
                return
            await super().handle(msg)

    job = DiesBeforeFirstAck(
        db=m.db,
        inbox=tables.inbox,
        js=m.js,
        stream=m.config.stream.name,
        durable="test-consumer",
        subscriptions=[Subscription(catalogue.COMPETITION_OPENED, count_effect)],
        ack_wait_s=1.0,
    )

    async def redelivered_and_acked() -> bool:
        info = await m.js.consumer_info(m.config.stream.name, "test-consumer")
        return (
            bool(job.died)
            and info.num_ack_pending == 0
            and info.num_redelivered == 0
            and info.delivered.consumer_seq >= 2
        )

    await run_until(job, redelivered_and_acked)
    assert await times_applied(m.db, "c-4") == 1


async def test_poison_message_is_dead_lettered_after_bounded_retries(messaging: Messaging) -> None:
    m = messaging
    calls = 0

    async def always_fails(session: AsyncSession, event: EventEnvelope) -> None:  # type: ignore[type-arg]
        nonlocal calls
        calls += 1
        raise ValueError("cannot apply this event")

    await m.emit("c-5")
    await OutboxRelay(m.db, tables.outbox, m.js).publish_pending()
    dlq = dead_letter_stream(m.config.stream.name)

    async def dead_lettered() -> bool:
        info = await m.js.stream_info(dlq)
        return info.state.messages == 1

    await run_until(consumer(m, always_fails, max_deliver=3, backoff_s=(0.05,)), dead_lettered)
    assert calls == 3
    letter = await m.js.get_last_msg(dlq, "dlq.test-consumer.grantflow.competitions.opened")
    assert "cannot apply this event" in (letter.headers or {})[DLQ_ERROR_HEADER]
    assert await times_applied(m.db, "c-5") == 0
    print(f"poison message: {calls} deliveries, then dead-lettered with its error")


async def test_undecodable_message_is_dead_lettered_at_once(messaging: Messaging) -> None:
    m = messaging
    await m.js.publish(
        catalogue.COMPETITION_OPENED.subject,
        b"\xff\xff not protobuf",
        headers={
            "ce-id": "bad-1",
            "ce-type": catalogue.COMPETITION_OPENED.type,
            "ce-time": "2026-01-01T00:00:00Z",
        },
    )
    dlq = dead_letter_stream(m.config.stream.name)

    async def dead_lettered() -> bool:
        return (await m.js.stream_info(dlq)).state.messages == 1

    await run_until(consumer(m), dead_lettered)
    letter = await m.js.get_last_msg(dlq, "dlq.test-consumer.grantflow.competitions.opened")
    assert (letter.headers or {})[DLQ_ERROR_HEADER].startswith("undecodable")


async def test_relay_wakes_on_commit(messaging: Messaging) -> None:
    m = messaging
    relay = OutboxRelay(m.db, tables.outbox, m.js, poll_s=30.0)  # polling alone would take 30 s
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.2)
        await m.emit("c-6")
        async with asyncio.timeout(5):
            while await m.unsent():
                await asyncio.sleep(0.02)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

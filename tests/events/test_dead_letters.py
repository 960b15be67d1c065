"""`grantflow events dlq list` and `dlq redrive`: a subscriber's failing event is dead-lettered,
listed with its error, and once the cause is fixed sent back: applied once by the consumer that
gave up, and ignored by the inbox of every consumer that had applied it already."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from grantflow_runtime import catalogue
from grantflow_runtime.bus import dead_letter_stream
from grantflow_runtime.consumer import EventConsumer, Subscription
from grantflow_runtime.events import EventEnvelope
from grantflow_scoring.adapters.tables import PanelRow, messaging
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import ConfigFactory
from tests.events.conftest import System, cli, eventually
from tests.runtime.messaging_fixture import (
    Messaging,
    build_messaging,
    count_effect,
    tables,
    times_applied,
)

pytestmark = pytest.mark.asyncio
DURABLE = "regional-centre"


@dataclass
class Subscriber:
    """A subscriber of another system, whose handler fails while its registry is down."""

    messaging: Messaging
    broken: bool = True

    async def handle(self, session: AsyncSession, event: EventEnvelope[Any]) -> None:
        if self.broken:
            raise ValueError("the regional registry is down")
        await count_effect(session, event)


@pytest.fixture
async def subscriber(system: System, make_config: ConfigFactory) -> AsyncIterator[Subscriber]:
    async for m in build_messaging(await make_config()):
        sub = Subscriber(m)
        job = EventConsumer(
            db=m.db,
            inbox=tables.inbox,
            js=m.js,
            stream=m.config.stream.name,
            durable=DURABLE,
            subscriptions=[Subscription(catalogue.COMPETITION_OPENED, sub.handle)],
            max_deliver=2,
            backoff_s=(0.05,),
        )
        await job.ensure()
        task = asyncio.create_task(job.run())
        try:
            yield sub
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def dead_letters(system: System) -> int:
    info = await system.js.stream_info(dead_letter_stream(system.config.stream.name))
    return int(info.state.messages)


async def dead_lettered(system: System) -> None:
    async def one() -> bool:
        return await dead_letters(system) == 1

    await eventually(one)


async def applied_once(subscriber: Subscriber, competition_id: str) -> None:
    async def once() -> bool:
        return await times_applied(subscriber.messaging.db, competition_id) == 1

    await eventually(once)


async def test_dead_letter_is_listed_then_redriven_once_fixed(
    system: System, subscriber: Subscriber
) -> None:
    await dead_lettered(system)
    opened = await system.js.get_msg(system.config.stream.name, seq=1)
    event_id = (opened.headers or {})["ce-id"]

    listed = await cli(system.config, "events", "dlq", "list", "--json")
    assert listed.code == 0, listed.err
    (letter,) = [json.loads(line) for line in listed.lines]
    assert letter["seq"] == 1
    assert letter["consumer"] == DURABLE
    assert letter["subject"] == "grantflow.competitions.opened"
    assert letter["eventId"] == event_id
    assert letter["eventSeq"] == 1
    assert letter["deliveries"] == 2
    assert "the regional registry is down" in letter["error"]
    table = await cli(system.config, "events", "dlq", "list", "--consumer", DURABLE)
    assert (
        "│ 1   │" in table.out
        and f"│ {DURABLE} │ grantflow.competitions.opened │ {event_id} │" in table.out
    )
    assert "ValueError('the regional" in table.out
    other = await cli(system.config, "events", "dlq", "list", "--consumer", "scoring")
    assert "no dead letters" in other.out

    subscriber.broken = False
    redriven = await cli(system.config, "events", "dlq", "redrive", "--all")
    assert redriven.code == 0, redriven.err
    assert f"redriven #1: event {event_id}" in redriven.out
    assert await dead_letters(system) == 0

    competition = system.competition_id
    await applied_once(subscriber, competition)
    # The copy on the event stream is the same event: same id, same payload, marked as redriven.
    copy = await system.js.get_msg(system.config.stream.name, seq=2)
    assert copy.subject == "grantflow.competitions.opened"
    assert copy.data == opened.data
    assert (copy.headers or {})["ce-id"] == event_id
    assert (copy.headers or {})["Grantflow-Redriven-From"] == f"{dead_letter_stream('GRANTFLOW')}:1"

    # Scoring had applied the event already: it receives the copy and its inbox ignores it.
    async def scoring_saw_the_copy() -> bool:
        info = await system.js.consumer_info(system.config.stream.name, "scoring")
        return bool(info.delivered.stream_seq >= 2 and info.num_ack_pending == 0)

    await eventually(scoring_saw_the_copy)
    async with system.scoring.db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(PanelRow)) == 1
        assert await session.scalar(select(func.count()).select_from(messaging.inbox)) == 1
    await asyncio.sleep(0.3)
    assert await times_applied(subscriber.messaging.db, competition) == 1

    again = await cli(system.config, "events", "dlq", "redrive", "--seq", "1")
    assert again.code == 1
    assert "no dead letter #1 in GRANTFLOW_DLQ" in again.err


async def test_a_repeated_redrive_adds_nothing_to_the_stream(
    system: System, subscriber: Subscriber
) -> None:
    """A redrive that died between publishing and deleting the dead letter, run again."""
    await dead_lettered(system)
    letter = await system.js.get_msg(dead_letter_stream(system.config.stream.name), seq=1)
    headers = {k: v for k, v in (letter.headers or {}).items() if not k.startswith("Grantflow-Dlq")}
    headers["Nats-Msg-Id"] = f"{headers['ce-id']}:redrive:1"
    first = await system.js.publish(
        catalogue.COMPETITION_OPENED.subject, letter.data or b"", headers=headers
    )

    subscriber.broken = False
    result = await cli(system.config, "events", "dlq", "redrive", "--seq", "1", "-c", DURABLE)
    assert result.code == 0, result.err
    assert f"is GRANTFLOW #{first.seq} (had been redriven before)" in result.out
    assert (await system.js.stream_info(system.config.stream.name)).state.last_seq == first.seq
    assert await dead_letters(system) == 0
    await applied_once(subscriber, system.competition_id)


async def test_redrive_refuses_what_it_cannot_do(system: System, subscriber: Subscriber) -> None:
    await dead_lettered(system)
    neither = await cli(system.config, "events", "dlq", "redrive")
    assert neither.code == 2 and "give --seq (one or more) or --all" in neither.err
    foreign = await cli(system.config, "events", "dlq", "redrive", "--seq", "1", "-c", "scoring")
    assert foreign.code == 1
    assert f"dead letter #1 belongs to {DURABLE}, not scoring" in foreign.err
    missing = await cli(system.config, "events", "dlq", "redrive", "--seq", "1", "--seq", "9")
    assert missing.code == 1
    assert "redriven #1" in missing.out
    assert "no dead letter #9" in missing.err

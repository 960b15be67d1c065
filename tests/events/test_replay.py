"""`grantflow events replay`: a durable consumer rewound to a sequence or a time re-delivers from
there, keeping its settings; a service's inbox makes the re-read harmless."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from grantflow_runtime import catalogue
from grantflow_runtime.event_examples import example_for
from grantflow_scoring.adapters.tables import PanelRow, messaging
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig
from sqlalchemy import func, select

from tests.events.conftest import System, cli, eventually, publish

pytestmark = pytest.mark.asyncio
AWARDS = catalogue.AWARD_DECIDED


async def read_all(system: System, durable: str) -> list[int]:
    """What the durable delivers now, acknowledged: their stream sequences."""
    subscription = await system.js.pull_subscribe_bind(
        durable=durable, stream=system.config.stream.name
    )
    seen: list[int] = []
    while True:
        try:
            batch = await subscription.fetch(10, timeout=0.5)
        except (NatsTimeoutError, TimeoutError):
            break
        for msg in batch:
            seen.append(msg.metadata.sequence.stream)
            await msg.ack_sync()
    await subscription.unsubscribe()
    return seen


async def test_replay_rewinds_a_durable_to_a_sequence_a_time_or_the_start(system: System) -> None:
    stream = system.config.stream.name
    await system.js.add_consumer(
        stream,
        ConsumerConfig(
            durable_name="funder-accounting",
            ack_policy=AckPolicy.EXPLICIT,
            filter_subjects=[AWARDS.subject],
            max_deliver=7,
        ),
    )
    await publish(system.js, AWARDS, example_for(AWARDS))  # seq 2
    await publish(
        system.js, catalogue.APPLICATION_DECLINED, example_for(catalogue.APPLICATION_DECLINED)
    )
    await asyncio.sleep(0.01)
    middle = datetime.now(UTC)
    await asyncio.sleep(0.01)
    await publish(system.js, AWARDS, example_for(AWARDS))  # seq 4
    assert await read_all(system, "funder-accounting") == [2, 4]
    assert await read_all(system, "funder-accounting") == []

    result = await cli(system.config, "events", "replay", "funder-accounting", "--from-start")
    assert result.code == 0, result.err
    assert "next delivery from stream sequence 1; 2 event(s) pending" in result.out
    assert await read_all(system, "funder-accounting") == [2, 4]

    await cli(system.config, "events", "replay", "funder-accounting", "--from-seq", "3")
    assert await read_all(system, "funder-accounting") == [4]

    by_time = await cli(
        system.config, "events", "replay", "funder-accounting", "--since", middle.isoformat()
    )
    assert "next delivery from stream sequence 4; 1 event(s) pending" in by_time.out
    assert await read_all(system, "funder-accounting") == [4]

    # Its own settings survive the rewind.
    info = await system.js.consumer_info(stream, "funder-accounting")
    assert info.config.filter_subjects == [AWARDS.subject]
    assert info.config.max_deliver == 7


async def test_replaying_a_service_consumer_has_no_second_effect(system: System) -> None:
    stream = system.config.stream.name
    result = await cli(system.config, "events", "replay", "scoring", "--from-start")
    assert result.code == 0, result.err
    assert "1 event(s) pending" in result.out

    async def scoring_reread() -> bool:
        info = await system.js.consumer_info(stream, "scoring")
        return bool(info.num_pending == 0 and info.num_ack_pending == 0)

    await eventually(scoring_reread)
    async with system.scoring.db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(PanelRow)) == 1
        inbox = await session.scalar(select(func.count()).select_from(messaging.inbox))
    assert inbox == 1


async def test_replay_names_the_consumers_when_one_is_unknown(system: System) -> None:
    result = await cli(system.config, "events", "replay", "scorring", "--from-start")
    assert result.code == 1
    assert "no durable consumer 'scorring' on stream" in result.err
    assert "(durable consumers: applications, scoring)" in result.err


async def test_replay_needs_exactly_one_start(system: System) -> None:
    neither = await cli(system.config, "events", "replay", "scoring")
    both = await cli(
        system.config, "events", "replay", "scoring", "--from-seq", "1", "--from-start"
    )
    for result in (neither, both):
        assert result.code == 2
        assert "give exactly one of --from-seq, --since or --from-start" in result.err

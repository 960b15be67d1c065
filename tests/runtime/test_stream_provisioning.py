"""Replicas starting together all provision the streams at once; every one of them succeeds."""

from __future__ import annotations

import asyncio

from grantflow_runtime.bus import connect, dead_letter_stream, ensure_streams

from tests.conftest import ConfigFactory


async def test_many_replicas_provision_the_streams_at_once(make_config: ConfigFactory) -> None:
    config = await make_config()
    clients = [await connect(config.nats_url, name=f"replica-{n}") for n in range(8)]
    try:
        await asyncio.gather(*(ensure_streams(c.jetstream(), config.stream) for c in clients))
        js = clients[0].jetstream()
        for name in (config.stream.name, dead_letter_stream(config.stream.name)):
            info = await js.stream_info(name)
            assert info.config.num_replicas == config.stream.replicas
    finally:
        await asyncio.gather(*(c.close() for c in clients))
    print("8 replicas provisioned the event and dead-letter streams concurrently")

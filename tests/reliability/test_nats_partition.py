"""The link between the applications service and NATS goes down, resets and slows, through a TCP
fault proxy: submissions keep succeeding, their events wait in the outbox, and the backlog drains
to scoring, each event once, when the link heals."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator

import pytest
from grantflow.applications.v1 import applications_service_pb2_grpc as apps_grpc
from grantflow_applications.app import SERVICE as APPLICATIONS
from grantflow_runtime.bus import connect
from grantflow_runtime.natsserver import NatsServer
from grantflow_scoring.app import SERVICE as SCORING

from tests.conftest import ConfigFactory, ServiceStarter
from tests.reliability.faultproxy import FaultProxy, Mode
from tests.reliability.world import (
    SUBMITTED,
    Draft,
    Store,
    codes,
    duplicates,
    eventually,
    make_drafts,
    open_competition,
    register_organisations,
    stream_event_ids,
    submit_until_answered,
)

pytestmark = pytest.mark.asyncio

ORGANISATIONS = 10
PER_ORGANISATION = 7
# Two events per submission: ApplicationSubmitted and ApplicationStatusChanged.
EVENTS_PER_SUBMISSION = 2


@pytest.fixture
async def nats_proxy(nats_server: NatsServer) -> AsyncIterator[FaultProxy]:
    # A fixture, set up before the services, so it outlives them: they stop through a healed link.
    async with FaultProxy("127.0.0.1", nats_server.port, latency_s=0.3) as proxy:
        yield proxy
        await proxy.set_mode(Mode.PASS)


async def submit_all(apps: apps_grpc.ApplicationsServiceAsyncStub, drafts: list[Draft]) -> None:
    outcomes = await asyncio.gather(
        *(submit_until_answered(apps, d, give_up_after_s=30) for d in drafts)
    )
    assert codes(outcomes) == {"OK": len(drafts)}, [o.details for o in outcomes]
    # A cut link to NATS must not cost the caller anything: no submission needed a retry.
    assert all(o.attempts == 1 for o in outcomes)


@pytest.mark.timeout(180)
async def test_cut_reset_and_slow_link_to_nats_loses_and_doubles_nothing(
    nats_proxy: FaultProxy,
    nats_server: NatsServer,
    make_config: ConfigFactory,
    start_service: ServiceStarter,
) -> None:
    started = time.monotonic()
    config = await make_config()
    # Only the applications service goes through the proxy; scoring keeps its own link.
    behind_proxy = dataclasses.replace(config, nats_url=f"nats://{nats_proxy.address}")
    _, apps_channel = await start_service(APPLICATIONS, behind_proxy)
    await start_service(SCORING, config)
    apps = apps_grpc.ApplicationsServiceStub(apps_channel)
    outbox = Store(config.database_url("applications"))
    scoring = Store(config.database_url("scoring"))
    nc = await connect(config.nats_url, name="reliability-test")
    try:
        competition_id = await open_competition(apps, per_organisation=PER_ORGANISATION)
        owners = await register_organisations(apps, ORGANISATIONS)
        drafts = await make_drafts(apps, competition_id, owners, PER_ORGANISATION)
        batches = [drafts[i::4] for i in range(4)]
        total = 0

        async def copies() -> int:
            return await scoring.count("SELECT count(*) FROM submitted_applications")

        async def drained(expected: int, seconds: float, what: str) -> float:
            async def done() -> bool:
                return await outbox.unsent() == 0 and await copies() == expected

            return await eventually(done, seconds=seconds, what=what)

        # 1. A healthy link: the baseline.
        await submit_all(apps, batches[0])
        total += len(batches[0])
        took = await drained(total, 20, "baseline delivery")
        print(f"pass: {len(batches[0])} submissions reached scoring in {took:.1f}s")

        # 2. Down: connections closed and refused. Submitting goes on; events wait in the outbox.
        await nats_proxy.set_mode(Mode.DOWN)
        await submit_all(apps, batches[1])

        async def a_round_failed() -> bool:
            # Stay down past the relay's publish timeout (5 s), so a round fails and is recorded
            # on the rows; a shorter cut is bridged by the client's reconnect buffer alone.
            return await outbox.count("SELECT count(*) FROM outbox WHERE attempts > 0") > 0

        await eventually(a_round_failed, seconds=20, what="a failed relay round")
        unsent = await outbox.unsent()
        failed = await outbox.rows(
            "SELECT attempts, last_error FROM outbox WHERE attempts > 0 ORDER BY seq LIMIT 1"
        )
        print(
            f"down: {len(batches[1])} submissions OK; outbox holds {unsent} unsent events; "
            f"a failed round left attempts={failed[0].attempts}, "
            f"last_error={failed[0].last_error[:60]!r}; scoring has {await copies()}"
        )
        assert unsent == len(batches[1]) * EVENTS_PER_SUBMISSION
        assert await copies() == total
        await nats_proxy.set_mode(Mode.PASS)
        total += len(batches[1])
        took = await drained(total, 40, "backlog after the link came back")
        print(f"healed: backlog of {unsent} events drained to scoring in {took:.1f}s")

        # 3. Reset: open connections and every reconnection attempt get RST.
        await nats_proxy.set_mode(Mode.RESET)
        await submit_all(apps, batches[2])
        await asyncio.sleep(2.0)
        unsent = await outbox.unsent()
        print(f"reset: {len(batches[2])} submissions OK; outbox holds {unsent} unsent events")
        assert unsent == len(batches[2]) * EVENTS_PER_SUBMISSION
        await nats_proxy.set_mode(Mode.PASS)
        total += len(batches[2])
        took = await drained(total, 40, "backlog after the resets stopped")
        print(f"healed: drained in {took:.1f}s")

        # 4. Latency: 0.3 s each way on every chunk. Slower, but delivered without healing.
        await nats_proxy.set_mode(Mode.LATENCY)
        await submit_all(apps, batches[3])
        total += len(batches[3])
        took = await drained(total, 40, "delivery through a slow link")
        print(f"latency: {len(batches[3])} submissions reached scoring in {took:.1f}s")
        await nats_proxy.set_mode(Mode.PASS)

        await asyncio.sleep(1.0)  # room for a late duplicate delivery to show itself
        stored = await stream_event_ids(nc.jetstream(), config.stream.name, SUBMITTED)
        inbox = await scoring.inbox("scoring", SUBMITTED)
        events = await outbox.outbox_application_ids(SUBMITTED)
        print(nats_proxy.stats.summary())
        print(
            f"end: {total} submissions, outbox {len(events)} ApplicationSubmitted, stream "
            f"{len(stored)} ({duplicates(stored)} duplicates), scoring inbox {inbox}, copy "
            f"{await copies()}; {time.monotonic() - started:.1f}s"
        )
        assert total == len(drafts)
        assert sorted(events) == sorted(d.id for d in drafts)
        assert len(stored) == total and duplicates(stored) == 0
        assert inbox == total
        assert nats_proxy.stats.closed_by_fault >= 1 and nats_proxy.stats.reset_by_fault >= 1
        assert nats_proxy.stats.delayed_chunks > 0
    finally:
        await nc.close()
        await outbox.close()
        await scoring.close()

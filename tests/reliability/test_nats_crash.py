"""Kill -9 nats-server while submissions and their events flow, restart it on the same port and
store: every event JetStream had acknowledged is still there, the relay publishes what it had not,
de-duplication keeps each event stored once, and scoring's consumer resumes and applies each once."""

from __future__ import annotations

import asyncio
import time

import pytest
from grantflow.applications.v1 import applications_service_pb2_grpc as apps_grpc
from grantflow_applications.app import SERVICE as APPLICATIONS
from grantflow_runtime.bus import connect
from grantflow_runtime.natsserver import NatsServer
from grantflow_scoring.app import SERVICE as SCORING

from tests.conftest import ConfigFactory, ServiceStarter
from tests.reliability.world import (
    SUBMITTED,
    Draft,
    Outcome,
    Progress,
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
PER_ORGANISATION = 12
SUBMISSIONS = ORGANISATIONS * PER_ORGANISATION
RATE_PER_S = 30.0
MIN_DOWN_S = 1.0


@pytest.mark.timeout(180)
async def test_kill_9_nats_while_events_flow_loses_and_doubles_nothing(
    nats_server: NatsServer, make_config: ConfigFactory, start_service: ServiceStarter
) -> None:
    started = time.monotonic()
    config = await make_config()
    _, apps_channel = await start_service(APPLICATIONS, config)
    await start_service(SCORING, config)
    apps = apps_grpc.ApplicationsServiceStub(apps_channel)
    outbox = Store(config.database_url("applications"))
    scoring = Store(config.database_url("scoring"))
    try:
        competition_id = await open_competition(apps, per_organisation=PER_ORGANISATION)
        owners = await register_organisations(apps, ORGANISATIONS)
        drafts = await make_drafts(apps, competition_id, owners, PER_ORGANISATION)

        progress = Progress()

        async def paced(i: int, draft: Draft) -> Outcome:
            # Submissions arrive at a steady rate, so they (and their events) flow before,
            # during and after the crash rather than all landing before it.
            await asyncio.sleep(i / RATE_PER_S)
            return await submit_until_answered(apps, draft, give_up_after_s=60, progress=progress)

        clients = asyncio.gather(*(paced(i, d) for i, d in enumerate(drafts)))
        await progress.reached(SUBMISSIONS // 4)
        # What JetStream acknowledged before the crash: the relay marks a row sent only after
        # the ack, so these ids must all survive the crash (sync_interval: always).
        acknowledged = {
            row.event_id
            for row in await outbox.rows(
                "SELECT event_id FROM outbox WHERE subject = :s AND sent_at IS NOT NULL",
                s=SUBMITTED,
            )
        }
        nats_server.kill()
        killed_at = progress.acknowledged
        # Down until a third more are in: made while no event can be published.
        await asyncio.gather(asyncio.sleep(MIN_DOWN_S), progress.reached(SUBMISSIONS * 7 // 12))
        during = progress.acknowledged - killed_at
        unsent_while_down = await outbox.unsent()
        nats_server.start()
        restarted_at = progress.acknowledged
        outcomes: list[Outcome] = await clients
        print(
            f"nats-server killed at {killed_at}/{SUBMISSIONS} submissions with "
            f"{len(acknowledged)} ApplicationSubmitted acknowledged; {during} more submissions "
            f"succeeded while it was down (outbox then held {unsent_while_down} unsent); "
            f"restarted on port {nats_server.port} with the same store at {restarted_at}"
        )
        assert codes(outcomes) == {"OK": SUBMISSIONS}
        assert during > 0, "submitting does not need NATS"
        assert unsent_while_down > 0
        assert restarted_at < SUBMISSIONS, "some submissions should follow the restart"

        async def drained() -> bool:
            return (
                await outbox.unsent() == 0
                and await scoring.count("SELECT count(*) FROM submitted_applications")
                == SUBMISSIONS
            )

        took = await eventually(drained, seconds=60, what="every event published and applied")
        await asyncio.sleep(1.0)  # room for a late duplicate delivery to show itself
        nc = await connect(nats_server.url, name="reliability-test")
        try:
            stored = await stream_event_ids(nc.jetstream(), config.stream.name, SUBMITTED)
        finally:
            await nc.close()
        inbox = await scoring.inbox("scoring", SUBMITTED)
        missing = acknowledged - set(stored)
        print(
            f"after restart: drained in {took:.1f}s; stream holds {len(stored)} "
            f"ApplicationSubmitted ({duplicates(stored)} duplicates), {len(missing)} acknowledged "
            f"before the crash missing; scoring inbox {inbox}; "
            f"{time.monotonic() - started:.1f}s in all"
        )
        assert not missing
        assert len(stored) == SUBMISSIONS and duplicates(stored) == 0
        assert inbox == SUBMISSIONS
        copies = await scoring.rows("SELECT application_id FROM submitted_applications")
        assert sorted(r.application_id for r in copies) == sorted(d.id for d in drafts)
    finally:
        await outbox.close()
        await scoring.close()

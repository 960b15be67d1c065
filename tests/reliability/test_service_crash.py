"""Kill -9 the applications process, twice, while hundreds of applicants submit at once and retry
with their request ids: every submission is acknowledged, stored once, and reaches scoring once."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter

import grpc
import pytest
from grantflow.applications.v1 import applications_pb2
from grantflow.applications.v1 import applications_service_pb2_grpc as apps_grpc
from grantflow_runtime.bus import connect

from tests.reliability.conftest import Processes
from tests.reliability.processes import ServiceProcess, client_channel
from tests.reliability.world import (
    STATUS_CHANGED,
    SUBMITTED,
    Outcome,
    Progress,
    Store,
    codes,
    duplicates,
    eventually,
    make_drafts,
    open_competition,
    register_organisations,
    replayed,
    stream_event_ids,
    submit_until_answered,
)

pytestmark = pytest.mark.asyncio

ORGANISATIONS = 30
PER_ORGANISATION = 10
SUBMISSIONS = ORGANISATIONS * PER_ORGANISATION


async def crash_and_restart(
    process: ServiceProcess, progress: Progress, at: list[int], log: list[str]
) -> None:
    """SIGKILL the process when `at[i]` submissions are acknowledged, restart it at once."""
    for threshold in at:
        await progress.reached(threshold)
        # A little later than the ack that crossed the threshold, by a varying amount, so the
        # kill lands at varying points of the transactions in flight (mid-commit, just after).
        await asyncio.sleep(random.uniform(0.0, 0.03))
        in_flight_acks = progress.acknowledged
        process.kill()
        took = await process.start()
        log.append(
            f"killed at {in_flight_acks} acknowledged, SERVING again {took:.1f}s later "
            f"({progress.acknowledged} acknowledged by then)"
        )


@pytest.mark.timeout(240)
async def test_kill_9_during_concurrent_submissions_loses_and_doubles_nothing(
    processes: Processes,
) -> None:
    started = time.monotonic()
    await processes.prepare("applications", "scoring")
    # Every submission may be in flight at once: the cap on concurrent RPCs is not what is tested.
    apps_process = processes.make("applications", GRANTFLOW_MAX_CONCURRENT_RPCS="2048")
    scoring_process = processes.make("scoring")
    await asyncio.gather(apps_process.start(), scoring_process.start())
    applications = Store(processes.urls["applications"])
    scoring = Store(processes.urls["scoring"])
    nc = await connect(processes.nats.url, name="reliability-test")
    try:
        async with client_channel(apps_process.address) as chan:
            apps = apps_grpc.ApplicationsServiceStub(chan)
            competition_id = await open_competition(apps, per_organisation=PER_ORGANISATION)
            owners = await register_organisations(apps, ORGANISATIONS)
            drafts = await make_drafts(apps, competition_id, owners, PER_ORGANISATION)
            setup_s = time.monotonic() - started

            progress = Progress()
            crashes: list[str] = []
            submitting = time.monotonic()
            clients = [
                asyncio.create_task(
                    submit_until_answered(apps, d, give_up_after_s=90, progress=progress)
                )
                for d in drafts
            ]
            killer = asyncio.create_task(
                crash_and_restart(
                    apps_process, progress, [SUBMISSIONS // 4, SUBMISSIONS * 2 // 3], crashes
                )
            )
            outcomes: list[Outcome] = await asyncio.gather(*clients)
            await killer
            submit_s = time.monotonic() - submitting

        retried: Counter[str] = Counter()
        for o in outcomes:
            retried.update(o.retried)
        unknown_then_ok = sum(
            1 for o in outcomes if o.code == grpc.StatusCode.OK and o.attempts > 1
        )
        replays = sum(1 for o in outcomes if replayed(o))
        print(
            f"{SUBMISSIONS} submissions by {ORGANISATIONS} organisations "
            f"(setup {setup_s:.1f}s, submitting {submit_s:.1f}s); "
            f"{sum(o.attempts for o in outcomes)} calls, retried answers {dict(retried)}, "
            f"{unknown_then_ok} answered OK only after a retry, {replays} of them replayed "
            "(committed before the crash, reply lost)"
        )
        for line in crashes:
            print(f"fault: {line}")
        print(f"final answers: {dict(codes(outcomes))}")

        # Every client got its submission acknowledged, with the application's final state.
        assert codes(outcomes) == {"OK": SUBMISSIONS}, [
            (o.code.name, o.details) for o in outcomes if o.code != grpc.StatusCode.OK
        ][:5]
        assert all(
            o.response is not None
            and o.response.state == applications_pb2.Application.STATE_SUBMITTED
            for o in outcomes
        )
        assert apps_process.kills == 2 and apps_process.starts == 3

        # Stored exactly once: each application submitted, one claimed request id each, and one
        # ApplicationSubmitted and one status change per application in the outbox.
        submitted = await applications.count(
            "SELECT count(*) FROM applications WHERE state = 'submitted'"
        )
        keys = await applications.count(
            "SELECT count(*) FROM idempotency_keys WHERE operation = 'SubmitApplication'"
        )
        events = await applications.outbox_application_ids(SUBMITTED)
        changes = await applications.outbox_application_ids(STATUS_CHANGED)
        print(
            f"applications db: {submitted} submitted, {keys} request ids, {len(events)} "
            f"ApplicationSubmitted ({duplicates(events)} duplicates), {len(changes)} status changes"
        )
        assert submitted == SUBMISSIONS
        assert keys == SUBMISSIONS
        assert sorted(events) == sorted(d.id for d in drafts)
        assert sorted(changes) == sorted(d.id for d in drafts)

        # Downstream exactly once: the relay (restarted twice) published everything, JetStream
        # stored each event once, scoring's copy and inbox hold one row per application.
        async def drained() -> bool:
            return (
                await applications.unsent() == 0
                and await scoring.count("SELECT count(*) FROM submitted_applications")
                >= SUBMISSIONS
            )

        waited = await eventually(drained, seconds=60, what="scoring has every application")
        await asyncio.sleep(1.0)  # room for a late duplicate delivery to show itself
        copies = await scoring.rows("SELECT application_id FROM submitted_applications")
        inbox = await scoring.inbox("scoring", SUBMITTED)
        stored = await stream_event_ids(nc.jetstream(), "GRANTFLOW", SUBMITTED)
        print(
            f"downstream after {waited:.1f}s: stream holds {len(stored)} ApplicationSubmitted "
            f"({duplicates(stored)} duplicates), scoring copy {len(copies)} rows, "
            f"inbox {inbox} rows"
        )
        assert sorted(r.application_id for r in copies) == sorted(d.id for d in drafts)
        assert inbox == SUBMISSIONS
        assert duplicates(stored) == 0 and len(stored) == SUBMISSIONS
        print(f"took {time.monotonic() - started:.1f}s in all")
    finally:
        await nc.close()
        await applications.close()
        await scoring.close()

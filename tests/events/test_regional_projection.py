"""The reference subscriber in examples/regional_projection: following the stream live (stopped,
killed and restarted along the way, with duplicate deliveries) gives exactly the projection that
rebuilding it from the start of the stream gives, and the totals the events add up to."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from grantflow.events.v1 import applications_pb2, awards_pb2
from grantflow_runtime import catalogue
from grantflow_runtime.bus import connect, ensure_streams
from grantflow_runtime.config import Config
from grantflow_runtime.event_examples import example_for, rub
from grantflow_runtime.events import cloudevent_headers, source_for
from nats.js import JetStreamContext

from tests.conftest import ConfigFactory
from tests.events.conftest import eventually, publish

PROGRAM = Path(__file__).resolve().parents[2] / "examples" / "regional_projection" / "subscriber.py"
Totals = dict[tuple[str, str, str], tuple[int, int, int]]


def award(number: int) -> awards_pb2.AwardDecided:
    region = ("RU-PRI", "RU-TA", "RU-KHA")[number % 3]
    direction = ("family", "youth")[number % 2]
    return awards_pb2.AwardDecided(
        application_id=f"app-{number}",
        organisation_region_code=region,
        direction_code=direction,
        award=rub(100_000 + number * 1_000),
        cofinancing_sources=[
            applications_pb2.CofinancingCommitment(type="own_funds", amount=rub(number * 10)),
            applications_pb2.CofinancingCommitment(type="in_kind", amount=rub(7)),
        ],
    )


def expected(awards: list[awards_pb2.AwardDecided]) -> Totals:
    counts: Counter[tuple[str, str, str]] = Counter()
    awarded: Counter[tuple[str, str, str]] = Counter()
    cofinanced: Counter[tuple[str, str, str]] = Counter()
    for a in awards:
        key = (a.organisation_region_code, a.direction_code, "RUB")
        counts[key] += 1
        awarded[key] += a.award.minor_units
        cofinanced[key] += sum(s.amount.minor_units for s in a.cofinancing_sources)
    return {key: (counts[key], awarded[key], cofinanced[key]) for key in counts}


def projection(db: Path) -> Totals:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT region_code, direction_code, currency, awards, awarded_minor, "
            "cofinancing_minor FROM region_totals"
        ).fetchall()
    return {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in rows}


def applied(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM inbox").fetchone()[0])
        except sqlite3.OperationalError:
            return 0  # the program has not created its tables yet


async def start(config: Config, db: Path, *extra: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(PROGRAM),
        "--nats-url",
        config.nats_url,
        "--stream",
        config.stream.name,
        "--db",
        str(db),
        "--ack-wait",
        "2",  # what a killed run had fetched comes again quickly
        *extra,
        stderr=asyncio.subprocess.PIPE,
    )


async def stop(process: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> str:
    if process.returncode is None:
        process.send_signal(sig)
    _, err = await asyncio.wait_for(process.communicate(), 20)
    return err.decode() if err else ""


async def wait_applied(db: Path, count: int) -> None:
    async def done() -> bool:
        return applied(db) >= count

    await eventually(done, timeout=20)


async def republish(js: JetStreamContext, message: awards_pb2.AwardDecided, event_id: str) -> None:
    """The same event again under another message id, as JetStream lets through once its
    de-duplication window has passed (a relay re-publishing late, or a dead letter redriven)."""
    spec = catalogue.AWARD_DECIDED
    headers = cloudevent_headers(
        spec,
        event_id=event_id,
        source=source_for("scoring"),
        time=datetime.now(UTC),
        request_id="r",
    )
    headers["Nats-Msg-Id"] = f"{event_id}:again"
    await js.publish(spec.subject, message.SerializeToString(), headers=headers)


@pytest.mark.asyncio
async def test_live_projection_equals_a_rebuild_from_the_stream(
    make_config: ConfigFactory, tmp_path: Path
) -> None:
    config = await make_config()
    nc = await connect(config.nats_url, name="test")
    js = nc.jetstream()
    await ensure_streams(js, config.stream)
    live_db = tmp_path / "live.db"
    awards = [award(n) for n in range(30)]
    ids: list[str] = []

    async def publish_awards(batch: list[awards_pb2.AwardDecided]) -> None:
        for message in batch:
            ids.append((await publish(js, catalogue.AWARD_DECIDED, message))[0])
        # Events the projection does not subscribe to travel on the same stream.
        declined = catalogue.APPLICATION_DECLINED
        await publish(js, declined, example_for(declined))

    try:
        # Events published before the subscriber first starts are read from the stream's start.
        await publish_awards(awards[:10])
        live = await start(config, live_db)
        await wait_applied(live_db, 10)
        await publish_awards(awards[10:20])
        await republish(js, awards[3], ids[3])  # a duplicate delivery of an applied event
        await wait_applied(live_db, 15)
        # Killed mid-stream: whatever it had committed but not acknowledged comes again.
        await stop(live, signal.SIGKILL)
        live = await start(config, live_db)
        await wait_applied(live_db, 20)
        await stop(live)
        # Stopped; events published meanwhile wait in its durable consumer.
        await publish_awards(awards[20:])
        await republish(js, awards[25], ids[25])
        live = await start(config, live_db)
        await wait_applied(live_db, 30)
        await asyncio.sleep(0.5)  # time for the duplicates to arrive and be ignored
        log = await stop(live)

        followed = projection(live_db)
        assert followed == expected(awards)
        assert applied(live_db) == 30
        assert "was applied before; acknowledged again" in log

        # Rebuilt from the stream's start: a fresh database and consumer under another name...
        fresh_db = tmp_path / "fresh.db"
        fresh = await start(config, fresh_db, "--durable", "regional-fresh", "--until-idle")
        assert "caught up" in await asyncio.wait_for(_finished(fresh), 30)
        assert projection(fresh_db) == followed
        # ...and the live one rebuilt in place with --rebuild.
        rebuilt = await start(config, live_db, "--rebuild", "--until-idle")
        assert "caught up" in await asyncio.wait_for(_finished(rebuilt), 30)
        assert projection(live_db) == followed
    finally:
        await nc.close()


async def _finished(process: asyncio.subprocess.Process) -> str:
    _, err = await process.communicate()
    assert process.returncode == 0, err
    return err.decode()


def test_the_example_uses_only_the_published_contract() -> None:
    source = PROGRAM.read_text()
    assert f'SUBJECT = "{catalogue.AWARD_DECIDED.subject}"' in source
    assert f'EVENT_TYPE = "{catalogue.AWARD_DECIDED.type}"' in source
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert not [line for line in imports if "grantflow_" in line]

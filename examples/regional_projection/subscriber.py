"""A reference subscriber: awards and co-financing by region and direction, kept in its own SQLite.

Copy this to build your own projection of Grantflow's events. It relies only on the published
contract: the subject `grantflow.awards.decided` (docs/asyncapi.yaml) and the `AwardDecided`
message compiled from protos/grantflow/events/v1. What it does about delivery follows
docs/events.md:

* At-least-once delivery: the same event can arrive twice (a redelivery after a crash or a
  timeout, a producer's re-publication, a dead letter sent back). Each event id (`ce-id`) is
  recorded in an inbox table in the same transaction as its effect, so the second copy changes
  nothing.
* No ordering is assumed: the totals are sums, which come out the same in any order.
* A durable consumer remembers how far this subscriber got, across restarts; `--rebuild` forgets
  both the database and the consumer and reads the stream again from its start.

    python examples/regional_projection/subscriber.py --db regional.db            # follow live
    python examples/regional_projection/subscriber.py --db regional.db --until-idle
    python examples/regional_projection/subscriber.py --db regional.db --rebuild
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sqlite3
import sys
from pathlib import Path

import nats
from grantflow.events.v1.awards_pb2 import AwardDecided
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

SUBJECT = "grantflow.awards.decided"
EVENT_TYPE = "grantflow.events.v1.AwardDecided"

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    event_id TEXT PRIMARY KEY,
    stream_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS region_totals (
    region_code TEXT NOT NULL,
    direction_code TEXT NOT NULL,
    currency TEXT NOT NULL,
    awards INTEGER NOT NULL,
    awarded_minor INTEGER NOT NULL,
    cofinancing_minor INTEGER NOT NULL,
    PRIMARY KEY (region_code, direction_code, currency)
);
"""


def open_projection(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)  # transactions are explicit below
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")  # an acked event's effect must survive a crash
    db.executescript(SCHEMA)
    return db


def apply(db: sqlite3.Connection, event_id: str, stream_seq: int, award: AwardDecided) -> bool:
    """Apply one award, once: False when this event id was applied before."""
    cofinancing = sum(source.amount.minor_units for source in award.cofinancing_sources)
    db.execute("BEGIN IMMEDIATE")
    try:
        seen = db.execute(
            "INSERT INTO inbox (event_id, stream_seq) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (event_id, stream_seq),
        )
        if seen.rowcount == 0:
            db.execute("ROLLBACK")
            return False
        db.execute(
            """
            INSERT INTO region_totals VALUES (?, ?, ?, 1, ?, ?)
            ON CONFLICT (region_code, direction_code, currency) DO UPDATE SET
                awards = awards + 1,
                awarded_minor = awarded_minor + excluded.awarded_minor,
                cofinancing_minor = cofinancing_minor + excluded.cofinancing_minor
            """,
            (
                award.organisation_region_code,
                award.direction_code,
                award.award.currency_code,
                award.award.minor_units,
                cofinancing,
            ),
        )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return True


async def handle(db: sqlite3.Connection, msg: Msg) -> None:
    headers = msg.headers or {}
    event_id = headers.get("ce-id")
    if not event_id or headers.get("ce-type") != EVENT_TYPE:
        # Not an event this program understands; retrying will not change that.
        log(f"skipping stream #{msg.metadata.sequence.stream}: no ce-id or another ce-type")
        await msg.term()
        return
    award = AwardDecided()
    award.ParseFromString(msg.data)  # unknown (newer) fields are kept, not an error
    # Commit first, then ack: a crash in between redelivers, and the inbox absorbs it.
    applied = apply(db, event_id, msg.metadata.sequence.stream, award)
    await msg.ack()
    if not applied:
        log(f"event {event_id} was applied before; acknowledged again")


async def ensure_consumer(js: JetStreamContext, args: argparse.Namespace) -> None:
    stream, durable = args.stream, args.durable
    if args.rebuild:
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(stream, durable)
    # Creating a durable that exists with the same settings is a no-op, so every start may do it.
    await js.add_consumer(
        stream,
        ConsumerConfig(
            durable_name=durable,
            filter_subject=SUBJECT,
            deliver_policy=DeliverPolicy.ALL,  # a new projection starts from the stream's start
            ack_policy=AckPolicy.EXPLICIT,
            # How long a fetched event may stay unacknowledged before it is delivered again
            # (after a crash, to the restarted program): longer than handling ever takes.
            ack_wait=args.ack_wait,
        ),
    )


async def follow(args: argparse.Namespace, db: sqlite3.Connection) -> None:
    nc = await nats.connect(servers=args.nats_url.split(","), name=args.durable)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        js = nc.jetstream()
        await ensure_consumer(js, args)
        subscription = await js.pull_subscribe_bind(durable=args.durable, stream=args.stream)
        log(f"following {SUBJECT} as {args.durable} into {args.db}")
        while not stop.is_set():
            try:
                messages = await subscription.fetch(100, timeout=1.0)
            except (NatsTimeoutError, TimeoutError):
                info = await subscription.consumer_info()
                if args.until_idle and info.num_pending == 0 and info.num_ack_pending == 0:
                    log("caught up")
                    return
                continue
            for msg in messages:
                await handle(db, msg)
    finally:
        await nc.close()
        db.close()


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nats-url", default="nats://127.0.0.1:4222")
    parser.add_argument("--stream", default="GRANTFLOW")
    parser.add_argument("--durable", default="regional-projection", help="durable consumer name")
    parser.add_argument("--db", type=Path, default=Path("regional.db"))
    parser.add_argument("--ack-wait", type=float, default=30.0, help="seconds, see above")
    parser.add_argument("--until-idle", action="store_true", help="exit once caught up")
    parser.add_argument("--rebuild", action="store_true", help="start over from the stream's start")
    args = parser.parse_args()
    if args.rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    asyncio.run(follow(args, open_projection(args.db)))


if __name__ == "__main__":
    main()

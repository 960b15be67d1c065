"""A minimal service schema for testing the messaging machinery on its own: an effects table whose
counter shows how many times an event took effect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from grantflow.events.v1 import competitions_pb2
from grantflow_runtime import catalogue
from grantflow_runtime.bus import connect, ensure_streams
from grantflow_runtime.config import Config
from grantflow_runtime.db import Database, new_metadata
from grantflow_runtime.events import EventEnvelope
from grantflow_runtime.messaging_tables import add_messaging_tables
from grantflow_runtime.outbox import Outbox
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy import Column, Integer, String, Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

metadata = new_metadata()
tables = add_messaging_tables(metadata)
effects = Table(
    "effects",
    metadata,
    Column("competition_id", String(64), primary_key=True),
    Column("times", Integer, nullable=False),
)


async def count_effect(
    session: AsyncSession, event: EventEnvelope[competitions_pb2.CompetitionOpened]
) -> None:
    """A deliberately non-idempotent effect: it adds one each time it runs."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(effects).values(competition_id=event.message.competition_id, times=1)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["competition_id"], set_={"times": effects.c.times + 1}
        )
    )


async def times_applied(db: Database, competition_id: str) -> int:
    async with db.reading() as session:
        value = await session.scalar(
            select(effects.c.times).where(effects.c.competition_id == competition_id)
        )
    return int(value or 0)


@dataclass
class Messaging:
    db: Database
    outbox: Outbox
    nc: NATS
    js: JetStreamContext
    config: Config

    async def emit(self, competition_id: str) -> str:
        async with self.db.transaction() as session:
            return await self.outbox.add(
                session,
                catalogue.COMPETITION_OPENED,
                competitions_pb2.CompetitionOpened(competition_id=competition_id, title="t"),
            )

    async def unsent(self) -> int:
        async with self.db.reading() as session:
            rows = (
                await session.execute(
                    select(tables.outbox.c.seq).where(tables.outbox.c.sent_at.is_(None))
                )
            ).all()
        return len(rows)


async def build_messaging(config: Config) -> AsyncIterator[Messaging]:
    db = Database(config.database_url("scoring"))
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    nc = await connect(config.nats_url, name="test")
    js = nc.jetstream()
    await ensure_streams(js, config.stream)
    try:
        yield Messaging(db, Outbox(tables.outbox, source="grantflow/test"), nc, js, config)
    finally:
        await nc.close()
        await db.dispose()


@pytest.fixture
async def messaging(make_config) -> AsyncIterator[Messaging]:  # type: ignore[no-untyped-def]
    async for m in build_messaging(await make_config()):
        yield m


__all__ = ["Messaging", "count_effect", "effects", "messaging", "tables", "times_applied", "update"]

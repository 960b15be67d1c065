"""The database set-up: SQLite pragmas on every connection, UTC timestamps, migrations at start-up."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from grantflow_runtime.db import Database, UtcDateTime, new_metadata
from sqlalchemy import Column, Integer, Table, insert, select, text

from tests.conftest import BACKEND, DatabaseFactory

pytestmark = pytest.mark.asyncio


async def test_sqlite_runs_with_wal_and_full_sync(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with db.transaction() as session:
            assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await session.execute(text("PRAGMA synchronous"))).scalar() == 2  # FULL
            assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await session.execute(text("PRAGMA busy_timeout"))).scalar() == 10_000
        async with db.reading() as session:  # every pooled connection, not only the first
            assert (await session.execute(text("PRAGMA synchronous"))).scalar() == 2
    finally:
        await db.dispose()


async def test_timestamps_come_back_as_utc(database_url: DatabaseFactory) -> None:
    metadata = new_metadata()
    table = Table(
        "t", metadata, Column("id", Integer, primary_key=True), Column("at", UtcDateTime())
    )
    db = Database(await database_url("scoring"))
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        moscow = datetime(2026, 3, 1, 23, 59, 59, tzinfo=timezone(timedelta(hours=3)))
        async with db.transaction() as session:
            await session.execute(insert(table).values(id=1, at=moscow))
        async with db.reading() as session:
            stored = await session.scalar(select(table.c.at))
        assert stored == moscow and stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
        with pytest.raises(Exception, match="naive"):
            async with db.transaction() as session:
                await session.execute(insert(table).values(id=2, at=datetime(2026, 1, 1)))
        async with db.reading() as session:
            assert (await session.execute(select(table.c.id))).scalars().all() == [1]
    finally:
        await db.dispose()


@pytest.mark.skipif(BACKEND != "postgres", reason="PostgreSQL pass only")
async def test_postgres_is_what_the_tests_use(database_url: DatabaseFactory) -> None:
    db = Database(await database_url("scoring"))
    try:
        assert not db.is_sqlite
        async with db.reading() as session:
            assert "PostgreSQL" in str(await session.scalar(text("SELECT version()")))
    finally:
        await db.dispose()

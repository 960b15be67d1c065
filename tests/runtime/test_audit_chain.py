"""The audit log is hash-chained: concurrent appends never fork it, and editing or deleting any
row directly in the database is reported at that row, also by the verifier command."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from grantflow_runtime.audit import GENESIS, AuditLog, add_audit_table, chain_existing
from grantflow_runtime.db import Database
from grantflow_scoring.app import SERVICE as SCORING
from sqlalchemy import MetaData, delete, update

from tests.conftest import DatabaseFactory

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def filled(database_url: DatabaseFactory, entries: int) -> tuple[Database, AuditLog]:
    metadata = MetaData()
    log = AuditLog(add_audit_table(metadata))
    db = Database(await database_url("audit"))
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)

    async def append(n: int) -> None:
        async with db.transaction() as session:
            await log.record(
                session,
                at=START + timedelta(minutes=n),
                actor=f"funder-{n % 3}",
                action="score.submit",
                subject_id=f"app-{n}",
                before=None if n % 2 else {"total": f"{n}.50", "criteria": [1, 2, n]},
                after={"total": f"{n + 1}.00", "note": "Оценка пересмотрена"},
                reason="",
            )

    # Appends race each other; the lock (or SQLite's single writer) keeps one chain.
    await asyncio.gather(*(append(n) for n in range(entries)))
    return db, log


async def test_concurrent_appends_make_one_intact_chain(database_url: DatabaseFactory) -> None:
    db, log = await filled(database_url, 40)
    try:
        async with db.reading() as session:
            check = await log.verify(session)
        assert check.intact and check.entries == 40 and check.head != GENESIS
        print(f"40 concurrent appends, one chain, head {check.head[:12]}")
    finally:
        await db.dispose()


async def test_an_edited_or_deleted_row_is_the_first_broken_link(
    database_url: DatabaseFactory,
) -> None:
    db, log = await filled(database_url, 10)
    t = log.table
    try:
        async with db.transaction() as session:
            await session.execute(update(t).where(t.c.id == 4).values(reason="nothing to see"))
        async with db.reading() as session:
            edited = await log.verify(session)
        assert (edited.broken_at, edited.entries) == (4, 4) and "edited" in edited.problem
        async with db.transaction() as session:
            await session.execute(update(t).where(t.c.id == 4).values(reason=""))
            await session.execute(delete(t).where(t.c.id == 7))
        async with db.reading() as session:
            removed = await log.verify(session)
        assert removed.broken_at == 8 and "removed" in removed.problem
    finally:
        await db.dispose()


async def test_entries_from_before_the_chain_are_linked_by_the_migration(
    database_url: DatabaseFactory,
) -> None:
    db, log = await filled(database_url, 5)
    t = log.table
    try:
        async with db.transaction() as session:
            await session.execute(update(t).values(prev_hash="", entry_hash=""))
        async with db.engine.begin() as conn:
            assert await conn.run_sync(chain_existing) == 5
        async with db.reading() as session:
            assert (await log.verify(session)).intact
    finally:
        await db.dispose()


async def verifier(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, check=False
    )


async def test_the_verifier_command_names_the_broken_entry(database_url: DatabaseFactory) -> None:
    url = await database_url("scoring")
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(SCORING.metadata.create_all)
    log = AuditLog(SCORING.metadata.tables["audit_log"])
    for n in range(3):
        async with db.transaction() as session:
            await log.record(
                session,
                at=START,
                actor="f",
                action="award.decide",
                subject_id=f"c-{n}",
                before=None,
                after={"n": n},
            )
    env = {**os.environ, "GRANTFLOW_SCORING_DATABASE_URL": url}
    command = [sys.executable, "-m", "grantflow_runtime.audit", "verify", "scoring"]
    intact = await verifier(command, env)
    assert intact.returncode == 0 and "intact, 3 entries" in intact.stdout
    async with db.transaction() as session:
        t = log.table
        await session.execute(update(t).where(t.c.id == 2).values(actor="someone else"))
    await db.dispose()
    broken = await verifier(command, env)
    assert broken.returncode == 1 and "BROKEN at entry 2" in broken.stdout, broken.stdout
    print(broken.stdout.strip())

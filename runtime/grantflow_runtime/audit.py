"""The append-only audit log every service keeps of decisions that move money or rank: who, what,
when, before and after. One table definition and one writer, used by each service's database.

The log is tamper-evident: each entry stores the hash of the entry before it and its own hash over
that link and its content, so editing or deleting any row breaks the chain at that row, and
`verify` (also `python -m grantflow_runtime.audit verify <service>`) names the first broken link.
Appends are serialised (one writer on SQLite, a transaction-scoped advisory lock on PostgreSQL) so
the chain never forks. What a chain cannot show is the loss of its newest entries; the head hash
`verify` prints can be recorded elsewhere to cover that."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_runtime.db import UtcDateTime


def add_audit_table(metadata: MetaData) -> Table:
    return Table(
        "audit_log",
        metadata,
        Column(
            "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        Column("at", UtcDateTime(), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("action", String(64), nullable=False),
        Column("subject_id", String(100), nullable=False, index=True),
        Column("before", JSON, nullable=True),
        Column("after", JSON, nullable=True),
        Column("reason", Text, nullable=False),
        Column("prev_hash", String(64), nullable=False, server_default=""),
        Column("entry_hash", String(64), nullable=False, server_default=""),
    )


GENESIS = "0" * 64
# Any fixed number; it names the lock that serialises appends to a PostgreSQL audit log.
_PG_LOCK_KEY = 0x6772616E74666C6F


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    """SHA-256 over the previous hash and the entry's content in one canonical JSON form."""
    content = {
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "subject_id": entry.subject_id,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
    }
    canonical = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    head: str
    # The id of the first entry whose link or content does not match, and why.
    broken_at: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    subject_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str


class AuditLog:
    def __init__(self, table: Table) -> None:
        self.table = table

    async def record(
        self,
        session: AsyncSession,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject_id: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        reason: str = "",
    ) -> None:
        """Append an entry in the caller's transaction, so it commits with the decision it records."""
        t = self.table
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(select(func.pg_advisory_xact_lock(_PG_LOCK_KEY)))
        prev = await session.scalar(select(t.c.entry_hash).order_by(t.c.id.desc()).limit(1))
        prev = prev or GENESIS
        entry = AuditEntry(at, actor, action, subject_id, before, after, reason)
        await session.execute(
            insert(t).values(
                at=at,
                actor=actor,
                action=action,
                subject_id=subject_id,
                before=before,
                after=after,
                reason=reason,
                prev_hash=prev,
                entry_hash=entry_hash(prev, entry),
            )
        )

    async def verify(self, session: AsyncSession) -> ChainCheck:
        """Walk the whole log in order; the first entry that does not chain or hash is reported."""
        t = self.table
        prev, count = GENESIS, 0
        rows = await session.stream(select(t).order_by(t.c.id))
        async for r in rows:
            count += 1
            if r.prev_hash != prev:
                return ChainCheck(
                    count,
                    prev,
                    r.id,
                    "its link to the entry before does not match (an entry was removed or changed)",
                )
            entry = AuditEntry(r.at, r.actor, r.action, r.subject_id, r.before, r.after, r.reason)
            if entry_hash(prev, entry) != r.entry_hash:
                return ChainCheck(
                    count, prev, r.id, "its content does not match its hash (the entry was edited)"
                )
            prev = r.entry_hash
        return ChainCheck(count, prev)

    async def trail(self, session: AsyncSession, subject_id: str) -> Sequence[AuditEntry]:
        t = self.table
        rows = await session.execute(select(t).where(t.c.subject_id == subject_id).order_by(t.c.id))
        return [
            AuditEntry(r.at, r.actor, r.action, r.subject_id, r.before, r.after, r.reason)
            for r in rows
        ]


def chain_existing(connection: Connection) -> int:
    """Link the entries written before the log was chained (a migration step); returns how many."""
    t = add_audit_table(MetaData())
    prev, count = GENESIS, 0
    for r in connection.execute(select(t).order_by(t.c.id)).all():
        entry = AuditEntry(r.at, r.actor, r.action, r.subject_id, r.before, r.after, r.reason)
        digest = entry_hash(prev, entry)
        connection.execute(
            update(t).where(t.c.id == r.id).values(prev_hash=prev, entry_hash=digest)
        )
        prev, count = digest, count + 1
    return count


async def verify_service(database_url: str) -> ChainCheck:
    """Check one service's audit log in its own database."""
    from grantflow_runtime.db import Database

    db = Database(database_url, pool_size=1)
    try:
        async with db.engine.connect() as conn:
            if not await conn.run_sync(lambda c: inspect(c).has_table("audit_log")):
                raise LookupError("no audit log in this database; has the service started once?")
        async with db.reading() as session:
            return await AuditLog(add_audit_table(MetaData())).verify(session)
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    """`python -m grantflow_runtime.audit verify <service>`: exit 0 if the chain is intact, 1 if not."""
    import argparse
    import asyncio

    from grantflow_runtime.config import SERVICES, Config

    parser = argparse.ArgumentParser(prog="python -m grantflow_runtime.audit")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="check a service's audit log for tampering")
    check.add_argument("service", choices=[s for s in SERVICES if s != "applications"])
    args = parser.parse_args(argv)
    url = Config.from_env().database_url(args.service)
    try:
        result = asyncio.run(verify_service(url))
    except LookupError as exc:
        print(f"{args.service}: {exc}")
        return 2
    if result.intact:
        print(f"{args.service}: audit log intact, {result.entries} entries, head {result.head}")
        return 0
    print(
        f"{args.service}: audit log BROKEN at entry {result.broken_at}: {result.problem} "
        f"(entries before it chain to {result.head})"
    )
    return 1


if __name__ == "__main__":
    raise SystemExit(main())

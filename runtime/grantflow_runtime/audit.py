"""The append-only audit log every service keeps of decisions that move money or rank: who, what,
when, before and after. One table definition and one writer, used by each service's database."""

from __future__ import annotations

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
    insert,
    select,
)
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
    )


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
        await session.execute(
            insert(self.table).values(
                at=at,
                actor=actor,
                action=action,
                subject_id=subject_id,
                before=before,
                after=after,
                reason=reason,
            )
        )

    async def trail(self, session: AsyncSession, subject_id: str) -> Sequence[AuditEntry]:
        t = self.table
        rows = await session.execute(select(t).where(t.c.subject_id == subject_id).order_by(t.c.id))
        return [
            AuditEntry(r.at, r.actor, r.action, r.subject_id, r.before, r.after, r.reason)
            for r in rows
        ]

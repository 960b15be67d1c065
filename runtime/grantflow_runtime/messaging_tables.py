"""The tables every service keeps for reliable messaging: outbox, inbox and idempotency records.

They live in each service's own database and metadata (and so in its migrations), defined once here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from grantflow_runtime.db import UtcDateTime


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table
    idempotency: Table


def add_messaging_tables(metadata: MetaData) -> MessagingTables:
    outbox = Table(
        "outbox",
        metadata,
        # Insertion order is publication order; BIGINT autoincrements on both backends.
        Column(
            "seq",
            BigInteger().with_variant(Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("subject", String(200), nullable=False),
        Column("event_type", String(200), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("sent_at", UtcDateTime(), nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
        Column("last_error", Text, nullable=True),
    )
    # The relay scans only unsent rows; a partial index keeps that cheap however long the history.
    Index(
        "ix_outbox_unsent",
        outbox.c.seq,
        postgresql_where=outbox.c.sent_at.is_(None),
        sqlite_where=outbox.c.sent_at.is_(None),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("subject", String(200), nullable=False),
        Column("processed_at", UtcDateTime(), nullable=False),
    )
    idempotency = Table(
        "idempotency_keys",
        metadata,
        Column("operation", String(100), primary_key=True),
        Column("request_id", String(100), primary_key=True),
        # Who asked: the same key from another caller is another request.
        Column("caller", String(200), primary_key=True),
        Column("request_fingerprint", String(64), nullable=False),
        Column("response", LargeBinary, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
    )
    return MessagingTables(outbox=outbox, inbox=inbox, idempotency=idempotency)

"""The applications service's own database: typed ORM models plus the shared messaging tables."""

from __future__ import annotations

from datetime import datetime

from grantflow_runtime.db import UtcDateTime, new_metadata
from grantflow_runtime.messaging_tables import add_messaging_tables
from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


messaging = add_messaging_tables(Base.metadata)


class CompetitionRow(Base):
    __tablename__ = "competitions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    direction_codes: Mapped[list[str]] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3))
    min_grant: Mapped[int] = mapped_column(BigInteger)
    max_grant: Mapped[int] = mapped_column(BigInteger)
    budget: Mapped[int] = mapped_column(BigInteger)
    opens_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime())
    time_zone: Mapped[str] = mapped_column(String(64))
    max_duration_months: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        # Listing newest first, optionally by state, pages on (created_at, id).
        Index("ix_competitions_state_created", "state", "created_at", "id"),
        Index("ix_competitions_created", "created_at", "id"),
    )

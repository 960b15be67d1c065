"""The scoring service's own database: its read copy of competitions, rubrics, messaging tables."""

from __future__ import annotations

from datetime import datetime

from grantflow_runtime.db import UtcDateTime, new_metadata
from grantflow_runtime.messaging_tables import add_messaging_tables
from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


messaging = add_messaging_tables(Base.metadata)


class PanelRow(Base):
    """A competition as scoring knows it, from CompetitionOpened: the panel that will score it."""

    __tablename__ = "panels"

    competition_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    direction_codes: Mapped[list[str]] = mapped_column(JSON)
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime())
    time_zone: Mapped[str] = mapped_column(String(64))
    opened_event_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CriterionRow(Base):
    __tablename__ = "rubric_criteria"

    competition_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("panels.competition_id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    # Exact decimal as text: weights like 2.5 must not drift.
    weight: Mapped[str] = mapped_column(String(32))
    scale_min: Mapped[int] = mapped_column(Integer)
    scale_max: Mapped[int] = mapped_column(Integer)
    comment_required_at_or_below: Mapped[int] = mapped_column(Integer)
    comment_required_at_or_above: Mapped[int] = mapped_column(Integer)

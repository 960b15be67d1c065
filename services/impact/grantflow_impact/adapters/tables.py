"""The impact service's own database: typed ORM models plus the shared messaging tables."""

from __future__ import annotations

from datetime import datetime

from grantflow_runtime.db import UtcDateTime, new_metadata
from grantflow_runtime.messaging_tables import add_messaging_tables
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


messaging = add_messaging_tables(Base.metadata)


class IndicatorDefinitionRow(Base):
    __tablename__ = "indicator_definitions"

    # The catalogue is listed in code order, so the primary key's index serves paging too.
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(32))
    result_level: Mapped[str] = mapped_column(String(16))
    aggregation: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16))
    iris_metric_id: Mapped[str | None] = mapped_column(String(16))
    sdg_indicator: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

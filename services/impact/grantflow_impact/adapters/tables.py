"""The impact service's own database: typed ORM models plus the shared messaging tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from grantflow_runtime.audit import AuditLog, add_audit_table
from grantflow_runtime.db import UtcDateTime, new_metadata
from grantflow_runtime.messaging_tables import add_messaging_tables
from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


messaging = add_messaging_tables(Base.metadata)
audit_log = AuditLog(add_audit_table(Base.metadata))


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


class AgreementRow(Base):
    """An award agreement; its plan (budget, indicators, schedule) is read and written whole."""

    __tablename__ = "agreements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    competition_id: Mapped[str] = mapped_column(String(36))
    organisation_id: Mapped[str] = mapped_column(String(36))
    organisation_inn: Mapped[str] = mapped_column(String(12))
    organisation_name: Mapped[str] = mapped_column(String(500))
    region_code: Mapped[str] = mapped_column(String(8))
    direction_code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    funder: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    grant: Mapped[int] = mapped_column(BigInteger)
    cofinancing_committed: Mapped[int] = mapped_column(BigInteger)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_agreements_competition", "competition_id", "id"),
        Index("ix_agreements_organisation", "organisation_id", "id"),
        Index("ix_agreements_funder", "funder", "id"),
        Index("ix_agreements_region_direction", "region_code", "direction_code"),
    )


class ReportRow(Base):
    """Every version of every report; a correction is a new row, the old version stays."""

    __tablename__ = "reports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"))
    period_number: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    correction_reason: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    decision_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ux_reports_period_version", "agreement_id", "period_number", "version", unique=True),
        Index("ix_reports_state", "state", "agreement_id"),
    )


class AlertRow(Base):
    """One row per condition (kind, subject, period) of an agreement: raised once, resolved when
    the condition clears, raised again only if it comes back."""

    __tablename__ = "alerts"

    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200), primary_key=True)
    period_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    message: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

    __table_args__ = (Index("ix_alerts_open", "resolved_at", "kind"),)


class AgreementStatusRow(Base):
    """Where each agreement stands, refreshed whenever one of its reports changes: the portfolio
    aggregates these rows in SQL instead of recomputing every agreement from its reports."""

    __tablename__ = "agreement_status"

    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), primary_key=True)
    cofinancing_received: Mapped[int] = mapped_column(BigInteger)
    spent_grant: Mapped[int] = mapped_column(BigInteger)
    # "below_50", "50_80", "80_100", "100_plus" or "unknown" (see docs/formulas.md).
    attainment_bucket: Mapped[str] = mapped_column(String(16))
    # People reached: the actual values of indicators counted in people, whole persons.
    beneficiaries: Mapped[int] = mapped_column(BigInteger)
    # "green", "amber", "red", or "" before any finances were reported.
    risk: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PracticeRow(Base):
    __tablename__ = "practices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    direction_code: Mapped[str] = mapped_column(String(64), index=True)
    origin_region_code: Mapped[str] = mapped_column(String(8))
    roadmap: Mapped[str] = mapped_column(Text)
    organisational_model: Mapped[str] = mapped_column(Text)
    financial_model: Mapped[str] = mapped_column(Text)
    evidence_report_ids: Mapped[list[str]] = mapped_column(JSON)
    registered_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AdoptionRow(Base):
    __tablename__ = "practice_adoptions"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    practice_id: Mapped[str] = mapped_column(ForeignKey("practices.id"), index=True)
    organisation_name: Mapped[str] = mapped_column(String(500))
    organisation_inn: Mapped[str] = mapped_column(String(12))
    region_code: Mapped[str] = mapped_column(String(8))
    adopted_on: Mapped[date] = mapped_column(Date)
    results: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

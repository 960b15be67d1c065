"""The scoring service's own database: panels and rubrics, experts and conflicts, its read copy of
submitted applications, assignments, scores with their audit trail, decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from grantflow_runtime.audit import AuditLog, add_audit_table
from grantflow_runtime.db import UtcDateTime, new_metadata
from grantflow_runtime.messaging_tables import add_messaging_tables
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    metadata = new_metadata()


messaging = add_messaging_tables(Base.metadata)
audit_log = AuditLog(add_audit_table(Base.metadata))


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
    owner: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16), default="collecting")
    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    budget: Mapped[int] = mapped_column(BigInteger, default=0)
    # direction code -> kopecks
    direction_quotas: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    experts_per_application: Mapped[int] = mapped_column(Integer, default=2)
    max_experts_per_application: Mapped[int] = mapped_column(Integer, default=4)
    divergence_threshold_percent: Mapped[str] = mapped_column(String(16), default="30")
    final_rule: Mapped[str] = mapped_column(String(32), default="mean_all")
    decide_by_calibrated: Mapped[bool] = mapped_column(Boolean, default=False)
    same_region_is_conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    # [[max_request kopecks or null, "mark"], ...]
    pass_marks: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # When experts' scores are due; null: the funder set no deadline.
    scores_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # [[max_request kopecks or null, {code: "weight"}], ...]
    rubric_bands: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Passed on with every award, so the agreement reports on them.
    required_indicator_codes: Mapped[list[str]] = mapped_column(JSON, default=list)


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


class ExpertRow(Base):
    __tablename__ = "experts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subject: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(300))
    region_code: Mapped[str] = mapped_column(String(8))
    max_load: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ExpertDirectionRow(Base):
    __tablename__ = "expert_directions"

    expert_id: Mapped[str] = mapped_column(
        ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True
    )
    direction_code: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class ExpertAffiliationRow(Base):
    __tablename__ = "expert_affiliations"

    expert_id: Mapped[str] = mapped_column(
        ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True
    )
    inn: Mapped[str] = mapped_column(String(12), primary_key=True, index=True)


class ConflictRow(Base):
    """A declared conflict: with an organisation (by INN) or with one application."""

    __tablename__ = "conflicts"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    expert_id: Mapped[str] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"), index=True)
    organisation_inn: Mapped[str] = mapped_column(String(12), default="")
    application_id: Mapped[str] = mapped_column(String(36), default="")
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index(
            "ux_conflicts_expert_target",
            "expert_id",
            "organisation_inn",
            "application_id",
            unique=True,
        ),
    )


class SubmittedApplicationRow(Base):
    """Scoring's own copy of what it needs of a submitted application (from ApplicationSubmitted)."""

    __tablename__ = "submitted_applications"

    application_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    competition_id: Mapped[str] = mapped_column(String(36), index=True)
    organisation_id: Mapped[str] = mapped_column(String(36))
    organisation_inn: Mapped[str] = mapped_column(String(12), index=True)
    organisation_name: Mapped[str] = mapped_column(String(500))
    organisation_region_code: Mapped[str] = mapped_column(String(8))
    partner_inns: Mapped[list[str]] = mapped_column(JSON)
    direction_code: Mapped[str] = mapped_column(String(64))
    region_codes: Mapped[list[str]] = mapped_column(JSON)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    requested: Mapped[int] = mapped_column(BigInteger)
    cofinancing: Mapped[int] = mapped_column(BigInteger)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    # The whole ApplicationSubmitted event, to pass on what an award carries.
    event: Mapped[bytes] = mapped_column(LargeBinary)


class AssignmentRow(Base):
    __tablename__ = "assignments"

    application_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    expert_id: Mapped[str] = mapped_column(ForeignKey("experts.id"), primary_key=True)
    competition_id: Mapped[str] = mapped_column(String(36))
    state: Mapped[str] = mapped_column(String(16))
    extra: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_assignments_expert_competition", "expert_id", "competition_id"),
        Index("ix_assignments_competition", "competition_id", "application_id"),
    )


class ScoreRow(Base):
    """One score per expert and application; revisions replace it and are kept in the audit log."""

    __tablename__ = "scores"

    application_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    expert_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    competition_id: Mapped[str] = mapped_column(String(36), index=True)
    # [{"code": ..., "value": ..., "comment": ...}, ...]
    scores: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    total: Mapped[str] = mapped_column(String(32))
    revision: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DecisionRow(Base):
    __tablename__ = "decisions"

    competition_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[str] = mapped_column(String(200))
    # The Decision message as answered, so a second call returns exactly the same.
    decision: Mapped[bytes] = mapped_column(LargeBinary)

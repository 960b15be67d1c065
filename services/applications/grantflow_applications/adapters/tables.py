"""The applications service's own database: typed ORM models plus the shared messaging tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from grantflow_runtime.db import UtcDateTime, new_metadata
from grantflow_runtime.messaging_tables import add_messaging_tables
from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text
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
    # Eligibility and co-financing rules; decimals are stored as exact strings.
    eligible_region_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    eligible_legal_forms: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_cofinancing_percent: Mapped[str] = mapped_column(String(16), default="0")
    allowed_cofinancing_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    in_kind_cap_percent: Mapped[str] = mapped_column(String(16), default="100")
    max_applications_per_organisation: Mapped[int] = mapped_column(Integer, default=1)
    direction_quotas: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    min_registration_months: Mapped[int] = mapped_column(Integer, default=12)
    min_registration_months_small: Mapped[int] = mapped_column(Integer, default=6)
    small_request_max: Mapped[int] = mapped_column(BigInteger, default=50_000_000)
    required_indicator_codes: Mapped[list[str]] = mapped_column(JSON, default=list)

    __table_args__ = (
        # Listing newest first, optionally by state, pages on (created_at, id).
        Index("ix_competitions_state_created", "state", "created_at", "id"),
        Index("ix_competitions_created", "created_at", "id"),
        # The closing scheduler looks for open competitions past their deadline.
        Index("ix_competitions_state_closes", "state", "closes_at"),
    )


class OrganisationRow(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(500))
    legal_form: Mapped[str] = mapped_column(String(32))
    # The organisation's identity: one registration per INN.
    inn: Mapped[str] = mapped_column(String(12), unique=True)
    ogrn: Mapped[str] = mapped_column(String(15))
    region_code: Mapped[str] = mapped_column(String(8))
    registered_on: Mapped[date] = mapped_column(Date)
    contact_name: Mapped[str] = mapped_column(String(300))
    contact_email: Mapped[str] = mapped_column(String(300))
    contact_phone: Mapped[str] = mapped_column(String(40))
    website: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_organisations_name", "name", "id"),
        Index("ix_organisations_region_name", "region_code", "name", "id"),
    )


class ApplicationRow(Base):
    __tablename__ = "applications"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    competition_id: Mapped[str] = mapped_column(ForeignKey("competitions.id"))
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    state: Mapped[str] = mapped_column(String(16))
    direction_code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer)
    # The editable content as a document: lines, sources and results are read and written whole.
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    requested: Mapped[int] = mapped_column(BigInteger)
    cofinancing: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_applications_competition_created", "competition_id", "created_at", "id"),
        Index("ix_applications_organisation_created", "organisation_id", "created_at", "id"),
        Index("ix_applications_competition_state", "competition_id", "state"),
        Index("ix_applications_created", "created_at", "id"),
    )


class ApplicationRegionRow(Base):
    """Where a project runs, one row a region, so listing by region uses an index."""

    __tablename__ = "application_regions"

    application_id: Mapped[str] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    region_code: Mapped[str] = mapped_column(String(8), primary_key=True, index=True)


class ApplicationVersionRow(Base):
    """Every version of an application's content, append-only; the submitted one is the snapshot."""

    __tablename__ = "application_versions"

    application_id: Mapped[str] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Who made this version, and whether it is the one that was submitted.
    author: Mapped[str] = mapped_column(String(200))
    submitted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

"""The portfolio in SQL: per-agreement status rows kept current, and GROUP BY roll-ups over them,
so a funder's figures come from the database's aggregates, not from Python loops."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_impact.adapters.tables import AgreementRow, AgreementStatusRow, AlertRow

GROUPS = {
    "competition": AgreementRow.competition_id,
    "direction": AgreementRow.direction_code,
    "region": AgreementRow.region_code,
}


@dataclass
class GroupFigures:
    key: str
    agreements: int = 0
    awarded: int = 0
    cofinancing_committed: int = 0
    cofinancing_received: int = 0
    beneficiaries: int = 0
    attainment: dict[str, int] = field(default_factory=dict)
    open_alerts: dict[str, int] = field(default_factory=dict)
    risk: dict[str, int] = field(default_factory=dict)


class PortfolioRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def put_status(
        self,
        agreement_id: str,
        *,
        cofinancing_received: int,
        spent_grant: int,
        attainment_bucket: str,
        beneficiaries: int,
        risk: str,
        now: datetime,
    ) -> None:
        row = await self.session.get(AgreementStatusRow, agreement_id)
        if row is None:
            row = AgreementStatusRow(agreement_id=agreement_id)
            self.session.add(row)
        row.cofinancing_received = cofinancing_received
        row.spent_grant = spent_grant
        row.attainment_bucket = attainment_bucket
        row.beneficiaries = beneficiaries
        row.risk = risk
        row.updated_at = now
        await self.session.flush()

    async def rollup(
        self, *, group_by: str, funder: str | None, competition_id: str
    ) -> dict[str, GroupFigures]:
        key = GROUPS[group_by]
        where: list[ColumnElement[bool]] = []
        if funder is not None:
            where.append(AgreementRow.funder == funder)
        if competition_id:
            where.append(AgreementRow.competition_id == competition_id)
        status = AgreementStatusRow
        figures: dict[str, GroupFigures] = {}
        totals = (
            select(
                key,
                func.count(AgreementRow.id),
                func.coalesce(func.sum(AgreementRow.grant), 0),
                func.coalesce(func.sum(AgreementRow.cofinancing_committed), 0),
                func.coalesce(func.sum(status.cofinancing_received), 0),
                func.coalesce(func.sum(status.beneficiaries), 0),
            )
            .select_from(AgreementRow)
            .outerjoin(status, status.agreement_id == AgreementRow.id)
            .where(*where)
            .group_by(key)
        )
        for k, n, awarded, committed, received, people in await self.session.execute(totals):
            figures[k] = GroupFigures(
                k, int(n), int(awarded), int(committed), int(received), int(people)
            )
        counted: list[tuple[str, Any, Any]] = [
            ("attainment", func.coalesce(status.attainment_bucket, "unknown"), None),
            ("risk", func.coalesce(func.nullif(status.risk, ""), "unknown"), None),
        ]
        for name, column, _ in counted:
            query = (
                select(key, column, func.count(AgreementRow.id))
                .select_from(AgreementRow)
                .outerjoin(status, status.agreement_id == AgreementRow.id)
                .where(*where)
                .group_by(key, column)
            )
            for k, value, n in await self.session.execute(query):
                getattr(figures[k], name)[value] = int(n)
        alerts = (
            select(key, AlertRow.kind, func.count())
            .select_from(AlertRow)
            .join(AgreementRow, AgreementRow.id == AlertRow.agreement_id)
            .where(AlertRow.resolved_at.is_(None), *where)
            .group_by(key, AlertRow.kind)
        )
        for k, kind, n in await self.session.execute(alerts):
            figures[k].open_alerts[kind] = int(n)
        return figures


def total_of(groups: dict[str, GroupFigures]) -> GroupFigures:
    total = GroupFigures("total")
    for g in groups.values():
        total.agreements += g.agreements
        total.awarded += g.awarded
        total.cofinancing_committed += g.cofinancing_committed
        total.cofinancing_received += g.cofinancing_received
        total.beneficiaries += g.beneficiaries
        for name in ("attainment", "open_alerts", "risk"):
            merged: dict[str, int] = defaultdict(int, getattr(total, name))
            for k, n in getattr(g, name).items():
                merged[k] += n
            setattr(total, name, dict(merged))
    return total

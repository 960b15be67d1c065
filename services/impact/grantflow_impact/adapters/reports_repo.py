"""Reports (every version) and alerts in the impact database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from grantflow_runtime.money import Money
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_impact.adapters.tables import AlertRow, ReportRow, audit_log
from grantflow_impact.domain.alerts import AlertKey, AlertKind, Condition
from grantflow_impact.domain.reports import (
    Expenditure,
    FinancesInput,
    IndicatorValue,
    Report,
    ReportContent,
    ReportState,
)


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _undec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def encode(c: ReportContent) -> dict[str, Any]:
    return {
        "indicators": [
            [v.key, _dec(v.value), v.unit, _dec(v.numerator), _dec(v.denominator)]
            for v in c.indicator_values
        ],
        "expenditures": [
            [
                e.category,
                e.grant_part.minor_units,
                e.cofinanced_part.minor_units,
                e.spent_on.isoformat() if e.spent_on else None,
            ]
            for e in c.expenditures
        ],
        "cofinancing": [[source, m.minor_units] for source, m in c.cofinancing_received],
        "finances": None
        if c.finances is None
        else {
            "revenue": {k: m.minor_units for k, m in c.finances.revenue.items()},
            "expenses": c.finances.expenses.minor_units,
            "net_assets": c.finances.net_assets.minor_units,
            "period_months": c.finances.period_months,
        },
        "narrative": c.narrative,
    }


def decode(d: dict[str, Any]) -> ReportContent:
    f = d["finances"]
    return ReportContent(
        indicator_values=tuple(
            IndicatorValue(
                key=k, value=_undec(v), unit=u, numerator=_undec(n), denominator=_undec(dn)
            )
            for k, v, u, n, dn in d["indicators"]
        ),
        expenditures=tuple(
            Expenditure(
                category=c,
                grant_part=Money(g),
                cofinanced_part=Money(f_),
                spent_on=date.fromisoformat(s) if s else None,
            )
            for c, g, f_, s in d["expenditures"]
        ),
        cofinancing_received=tuple((source, Money(m)) for source, m in d["cofinancing"]),
        finances=None
        if f is None
        else FinancesInput(
            revenue={k: Money(m) for k, m in f["revenue"].items()},
            expenses=Money(f["expenses"]),
            net_assets=Money(f["net_assets"]),
            period_months=int(f["period_months"]),
        ),
        narrative=d["narrative"],
    )


def _report(r: ReportRow) -> Report:
    return Report(
        id=r.id,
        agreement_id=r.agreement_id,
        period_number=r.period_number,
        version=r.version,
        state=ReportState(r.state),
        content=decode(r.content),
        correction_reason=r.correction_reason,
        submitted_at=r.submitted_at,
        decided_at=r.decided_at,
        decided_by=r.decided_by,
        decision_comment=r.decision_comment,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest(
        self, agreement_id: str, period_number: int, *, for_update: bool = False
    ) -> Report | None:
        query = (
            select(ReportRow)
            .where(ReportRow.agreement_id == agreement_id, ReportRow.period_number == period_number)
            .order_by(ReportRow.version.desc())
            .limit(1)
        )
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).scalar_one_or_none()
        return None if row is None else _report(row)

    async def get(self, report_id: str, *, for_update: bool = False) -> Report | None:
        query = select(ReportRow).where(ReportRow.id == report_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).scalar_one_or_none()
        return None if row is None else _report(row)

    async def put(self, report: Report) -> None:
        """Insert a new version, or update the row of the same id (a draft replaced, a decision)."""
        row = await self.session.get(ReportRow, report.id)
        if row is None:
            row = ReportRow(id=report.id)
            self.session.add(row)
        row.agreement_id = report.agreement_id
        row.period_number = report.period_number
        row.version = report.version
        row.state = report.state.value
        row.content = encode(report.content)
        row.correction_reason = report.correction_reason
        row.submitted_at = report.submitted_at
        row.decided_at = report.decided_at
        row.decided_by = report.decided_by
        row.decision_comment = report.decision_comment
        row.created_at = report.created_at
        row.updated_at = report.updated_at
        await self.session.flush()

    async def of_agreement(self, agreement_id: str) -> Sequence[Report]:
        rows = (
            await self.session.execute(
                select(ReportRow)
                .where(ReportRow.agreement_id == agreement_id)
                .order_by(ReportRow.period_number, ReportRow.version)
            )
        ).scalars()
        return [_report(r) for r in rows]

    async def audit(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        subject_id: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        reason: str = "",
    ) -> None:
        await audit_log.record(
            self.session,
            at=at,
            actor=actor,
            action=action,
            subject_id=subject_id,
            before=before,
            after=after,
            reason=reason,
        )


class AlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_for(self, agreement_id: str) -> list[AlertKey]:
        rows = (
            await self.session.execute(
                select(AlertRow).where(
                    AlertRow.agreement_id == agreement_id, AlertRow.resolved_at.is_(None)
                )
            )
        ).scalars()
        return [
            AlertKey(r.agreement_id, AlertKind(r.kind), r.subject, r.period_number) for r in rows
        ]

    async def raise_(self, condition: Condition, now: datetime) -> None:
        k = condition.key
        row = await self.session.get(
            AlertRow, (k.agreement_id, k.kind.value, k.subject, k.period_number)
        )
        if row is None:
            row = AlertRow(
                agreement_id=k.agreement_id,
                kind=k.kind.value,
                subject=k.subject,
                period_number=k.period_number,
            )
            self.session.add(row)
        row.message = condition.message
        row.severity = condition.severity
        row.raised_at = now
        row.resolved_at = None
        await self.session.flush()

    async def resolve(self, key: AlertKey, now: datetime) -> None:
        row = await self.session.get(
            AlertRow, (key.agreement_id, key.kind.value, key.subject, key.period_number)
        )
        if row is not None and row.resolved_at is None:
            row.resolved_at = now
            await self.session.flush()

    async def listed(
        self, agreement_ids: Sequence[str] | None, *, include_resolved: bool
    ) -> Sequence[AlertRow]:
        query = select(AlertRow)
        if agreement_ids is not None:
            query = query.where(AlertRow.agreement_id.in_(agreement_ids))
        if not include_resolved:
            query = query.where(AlertRow.resolved_at.is_(None))
        query = query.order_by(
            AlertRow.resolved_at.is_not(None),
            AlertRow.raised_at.desc(),
            AlertRow.kind,
            AlertRow.subject,
        )
        return list((await self.session.execute(query)).scalars())

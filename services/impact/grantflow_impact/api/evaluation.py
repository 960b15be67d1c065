"""Re-evaluating an agreement: its portfolio status row and its alerts, from its reports as of now.
Run after every report change, and by the late-report watcher for reports that never came."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from grantflow.events.v1 import impact_pb2 as ev
from grantflow_runtime import catalogue
from grantflow_runtime.db import Database
from grantflow_runtime.logs import get_logger
from grantflow_runtime.outbox import Outbox
from grantflow_runtime.protoconv import to_timestamp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_impact.adapters.agreements_repo import AgreementRepository
from grantflow_impact.adapters.portfolio_repo import PortfolioRepository
from grantflow_impact.adapters.reports_repo import AlertRepository, ReportRepository
from grantflow_impact.adapters.tables import AgreementRow
from grantflow_impact.api.progress import conditions, progress
from grantflow_impact.domain.agreements import Agreement
from grantflow_impact.domain.alerts import for_agreement, reconcile
from grantflow_impact.domain.cofinancing import OVERALL
from grantflow_impact.domain.portfolio import attainment_bucket, beneficiaries

log = get_logger(__name__)


async def evaluate(
    session: AsyncSession, outbox: Outbox, agreement: Agreement, now: datetime
) -> None:
    """Raise alerts whose condition holds now and resolve those whose condition cleared; the
    same evaluation twice changes nothing the second time."""
    # Evaluations of one agreement (a report decision, the late-report sweep of any replica) take
    # turns on its row, so the second sees the first's alerts instead of raising them again.
    await session.execute(
        select(AgreementRow.id).where(AgreementRow.id == agreement.id).with_for_update()
    )
    reports = list(await ReportRepository(session).of_agreement(agreement.id))
    state = progress(agreement, reports, now.date())
    overall = [c for c in state.cofinancing if c.key == OVERALL]
    total = [s for s in state.spending if s.category == "total"]
    units = {i.key: i.unit for i in agreement.indicators}
    await PortfolioRepository(session).put_status(
        agreement.id,
        cofinancing_received=overall[0].received.minor_units if overall else 0,
        spent_grant=total[0].spent_grant.minor_units if total else 0,
        attainment_bucket=attainment_bucket([a for _, _, a in state.indicators]),
        beneficiaries=beneficiaries([(units[key], a.actual) for key, _, a in state.indicators]),
        risk=state.sustainability.risk.value if state.sustainability else "",
        now=now,
    )
    repo = AlertRepository(session)
    changes = reconcile(
        await repo.open_for(agreement.id), conditions(state), scope=for_agreement(agreement.id)
    )
    for condition in changes.raise_:
        await repo.raise_(condition, now)
        k = condition.key
        await outbox.add(
            session,
            catalogue.IMPACT_ALERT_RAISED,
            ev.ImpactAlertRaised(
                agreement_id=k.agreement_id,
                kind=k.kind.value,
                subject=k.subject,
                period_number=k.period_number,
                message=condition.message,
                severity=condition.severity,
                raised_at=to_timestamp(now),
            ),
        )
    for key in changes.resolve:
        await repo.resolve(key, now)
        await outbox.add(
            session,
            catalogue.IMPACT_ALERT_RESOLVED,
            ev.ImpactAlertResolved(
                agreement_id=key.agreement_id,
                kind=key.kind.value,
                subject=key.subject,
                period_number=key.period_number,
                resolved_at=to_timestamp(now),
            ),
        )


class LateReportWatcher:
    """Raises late-report alerts for reports that were due and never came: nothing else happens
    to such an agreement that would trigger an evaluation."""

    def __init__(self, db: Database, outbox: Outbox, *, interval_s: float = 3600.0) -> None:
        self.db = db
        self.outbox = outbox
        self.interval_s = interval_s

    async def run(self) -> None:
        while True:
            try:
                await self.sweep(datetime.now(UTC))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("late-report sweep failed; retrying at the next interval")
            await asyncio.sleep(self.interval_s)

    async def sweep(self, now: datetime) -> int:
        """Evaluate every agreement with a period due before today; returns how many were looked at."""
        async with self.db.reading() as session:
            ids = list(
                (
                    await session.execute(
                        select(AgreementRow.id).where(AgreementRow.starts_on < now.date())
                    )
                ).scalars()
            )
        looked = 0
        for agreement_id in ids:
            async with self.db.transaction() as session:
                agreement = await AgreementRepository(session).get(agreement_id)
                if agreement is None or not any(p.due_on < now.date() for p in agreement.schedule):
                    continue
                await evaluate(session, self.outbox, agreement, now)
                looked += 1
        return looked

"""gRPC methods for agreements, reports, progress and alerts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from grantflow.events.v1 import impact_pb2 as ev
from grantflow.impact.v1 import agreements_pb2, portfolio_pb2, progress_pb2, reports_pb2
from grantflow.impact.v1 import impact_service_pb2 as pb
from grantflow_runtime import catalogue
from grantflow_runtime.access import require
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.db import Database
from grantflow_runtime.errors import FieldViolation, InvalidArgument, NotFound
from grantflow_runtime.money import Money
from grantflow_runtime.outbox import Outbox
from grantflow_runtime.paging import cut, parse_page
from grantflow_runtime.protoconv import from_date, to_money, to_timestamp
from sqlalchemy.ext.asyncio import AsyncSession

from grantflow_impact.adapters.agreements_repo import AgreementRepository
from grantflow_impact.adapters.portfolio_repo import (
    GROUPS,
    GroupFigures,
    PortfolioRepository,
    total_of,
)
from grantflow_impact.adapters.reports_repo import AlertRepository, ReportRepository
from grantflow_impact.api.evaluation import evaluate
from grantflow_impact.api.progress import progress
from grantflow_impact.api.report_mapping import (
    agreement_to_proto,
    content_from_proto,
    progress_to_proto,
    report_to_proto,
)
from grantflow_impact.domain import reports as lifecycle
from grantflow_impact.domain.agreements import Agreement
from grantflow_impact.domain.portfolio import BUCKETS
from grantflow_impact.domain.reports import Report

TRUSTED = (Role.ADMIN, Role.SYSTEM)


def sees(who: Identity, a: Agreement) -> bool:
    if who.role in TRUSTED:
        return True
    if who.role is Role.APPLICANT:
        return a.organisation_id == who.organisation_id
    return who.role is Role.FUNDER and a.funder == who.subject


def is_grantee(who: Identity, a: Agreement) -> bool:
    return who.role in TRUSTED or (
        who.role is Role.APPLICANT and a.organisation_id == who.organisation_id
    )


def is_funder(who: Identity, a: Agreement) -> bool:
    return who.role in TRUSTED or (who.role is Role.FUNDER and a.funder == who.subject)


class AgreementMethods:
    db: Database
    outbox: Outbox

    def _now(self) -> datetime:
        return datetime.now(UTC)

    async def _agreement(
        self,
        session: AsyncSession,
        who: Identity,
        agreement_id: str,
        allowed: Any = sees,
        *,
        field: str = "agreement_id",
    ) -> Agreement:
        if not agreement_id:
            raise InvalidArgument([FieldViolation(field, "is required", "required")])
        agreement = await AgreementRepository(session).get(agreement_id)
        if agreement is None or not allowed(who, agreement):
            raise NotFound(f"agreement {agreement_id} not found")
        return agreement

    async def _evaluate(self, session: AsyncSession, agreement: Agreement, now: datetime) -> None:
        await evaluate(session, self.outbox, agreement, now)

    async def GetAgreement(
        self, request: pb.GetAgreementRequest, context: Any
    ) -> agreements_pb2.Agreement:
        who = require(Role.APPLICANT, Role.FUNDER, Role.ADMIN)
        async with self.db.reading() as session:
            return agreement_to_proto(await self._agreement(session, who, request.id, field="id"))

    async def ListAgreements(
        self, request: pb.ListAgreementsRequest, context: Any
    ) -> pb.ListAgreementsResponse:
        who = require(Role.APPLICANT, Role.FUNDER, Role.ADMIN)
        filters = {"competition_id": request.competition_id}
        page = parse_page(request.page_size, request.page_token, filters=filters)
        async with self.db.reading() as session:
            items = await AgreementRepository(session).page(
                limit=page.size + 1,
                after=page.after[0] if page.after else None,
                competition_id=request.competition_id,
                organisation_id=who.organisation_id if who.role is Role.APPLICANT else None,
                funder=who.subject if who.role is Role.FUNDER else None,
            )
        rows, token = cut(items, page, key=lambda a: [a.id], filters=filters)
        return pb.ListAgreementsResponse(
            agreements=[agreement_to_proto(a) for a in rows], next_page_token=token
        )

    async def SaveReportDraft(
        self, request: pb.SaveReportDraftRequest, context: Any
    ) -> reports_pb2.Report:
        who = require(Role.APPLICANT, Role.ADMIN)
        m = request.report
        content = content_from_proto(m)
        async with self.db.transaction() as session:
            agreement = await self._agreement(
                session, who, m.agreement_id, is_grantee, field="report.agreement_id"
            )
            reports = ReportRepository(session)
            existing = await reports.latest(agreement.id, m.period_number, for_update=True)
            draft = lifecycle.save_draft(
                existing,
                id=str(uuid.uuid4()),
                agreement=agreement,
                period_number=m.period_number,
                content=content,
                now=self._now(),
            )
            await reports.put(draft)
        return report_to_proto(draft)

    async def SubmitReport(
        self, request: pb.SubmitReportRequest, context: Any
    ) -> reports_pb2.Report:
        who = require(Role.APPLICANT, Role.ADMIN)
        async with self.db.transaction() as session:
            agreement = await self._agreement(session, who, request.agreement_id, is_grantee)
            reports = ReportRepository(session)
            draft = await reports.latest(agreement.id, request.period_number, for_update=True)
            if draft is None:
                raise NotFound(f"no report for period {request.period_number}; save a draft first")
            submitted = lifecycle.submit(draft, self._now())
            await reports.put(submitted)
            await self._published(session, submitted, catalogue.REPORT_SUBMITTED)
            await self._evaluate(session, agreement, self._now())
        return report_to_proto(submitted)

    async def CorrectReport(
        self, request: pb.CorrectReportRequest, context: Any
    ) -> reports_pb2.Report:
        who = require(Role.APPLICANT, Role.ADMIN)
        m = request.report
        content = content_from_proto(m)
        async with self.db.transaction() as session:
            agreement = await self._agreement(
                session, who, m.agreement_id, is_grantee, field="report.agreement_id"
            )
            reports = ReportRepository(session)
            filed = await reports.latest(agreement.id, m.period_number, for_update=True)
            if filed is None:
                raise NotFound(f"no report for period {m.period_number}")
            # Every version is its own row with its own id (ids are 36 characters in storage).
            corrected = lifecycle.correct(
                filed,
                content,
                m.correction_reason,
                self._now(),
                agreement=agreement,
                id=str(uuid.uuid4()),
            )
            await reports.put(corrected)
            await self._published(session, corrected, catalogue.REPORT_SUBMITTED)
            await self._evaluate(session, agreement, self._now())
        return report_to_proto(corrected)

    async def _decide(self, request_id: str, comment: str, accept: bool) -> reports_pb2.Report:
        who = require(Role.FUNDER, Role.ADMIN)
        if not request_id:
            raise InvalidArgument([FieldViolation("report_id", "is required", "required")])
        async with self.db.transaction() as session:
            reports = ReportRepository(session)
            report = await reports.get(request_id, for_update=True)
            agreement = (
                await AgreementRepository(session).get(report.agreement_id) if report else None
            )
            if report is None or agreement is None or not is_funder(who, agreement):
                raise NotFound(f"report {request_id} not found")
            now = self._now()
            decided = (lifecycle.accept if accept else lifecycle.return_report)(
                report, who.subject, comment, now
            )
            await reports.put(decided)
            await reports.audit(
                at=now,
                actor=who.subject,
                action="report.accept" if accept else "report.return",
                subject_id=report.id,
                before={"state": report.state.value},
                after={"state": decided.state.value},
                reason=comment,
            )
            if accept:
                await self._published(session, decided, catalogue.REPORT_ACCEPTED)
                state = progress(
                    agreement, list(await reports.of_agreement(agreement.id)), now.date()
                )
                if state.sustainability is not None and decided.content.finances is not None:
                    s = state.sustainability
                    await self.outbox.add(
                        session,
                        catalogue.SUSTAINABILITY_ASSESSED,
                        ev.SustainabilityAssessed(
                            agreement_id=agreement.id,
                            organisation_id=agreement.organisation_id,
                            risk=s.risk.value,
                            hhi=str(s.hhi) if s.hhi is not None else "",
                            reserve_months=str(s.reserve_months)
                            if s.reserve_months is not None
                            else "",
                            assessed_at=to_timestamp(now),
                        ),
                    )
            else:
                await self.outbox.add(
                    session,
                    catalogue.REPORT_RETURNED,
                    ev.ReportReturned(
                        report_id=decided.id,
                        agreement_id=decided.agreement_id,
                        period_number=decided.period_number,
                        version=decided.version,
                        comment=comment,
                        returned_at=to_timestamp(now),
                    ),
                )
            await self._evaluate(session, agreement, now)
        return report_to_proto(decided)

    async def _published(self, session: AsyncSession, r: Report, spec: Any) -> None:
        at = to_timestamp(r.updated_at)
        if spec is catalogue.REPORT_SUBMITTED:
            message: Any = ev.ReportSubmitted(
                report_id=r.id,
                agreement_id=r.agreement_id,
                period_number=r.period_number,
                version=r.version,
                submitted_at=at,
            )
        else:
            message = ev.ReportAccepted(
                report_id=r.id,
                agreement_id=r.agreement_id,
                period_number=r.period_number,
                version=r.version,
                accepted_at=at,
            )
        await self.outbox.add(session, spec, message)

    async def AcceptReport(
        self, request: pb.AcceptReportRequest, context: Any
    ) -> reports_pb2.Report:
        return await self._decide(request.report_id, request.comment, accept=True)

    async def ReturnReport(
        self, request: pb.ReturnReportRequest, context: Any
    ) -> reports_pb2.Report:
        return await self._decide(request.report_id, request.comment, accept=False)

    async def ListReports(
        self, request: pb.ListReportsRequest, context: Any
    ) -> pb.ListReportsResponse:
        who = require(Role.APPLICANT, Role.FUNDER, Role.ADMIN)
        async with self.db.reading() as session:
            agreement = await self._agreement(session, who, request.agreement_id)
            reports = await ReportRepository(session).of_agreement(agreement.id)
        # A funder reviews what was filed; drafts are the grantee's own business.
        shown = [
            r
            for r in reports
            if is_grantee(who, agreement) or r.state is not lifecycle.ReportState.DRAFT
        ]
        return pb.ListReportsResponse(reports=[report_to_proto(r) for r in shown])

    async def GetProgress(
        self, request: pb.GetProgressRequest, context: Any
    ) -> progress_pb2.Progress:
        who = require(Role.APPLICANT, Role.FUNDER, Role.ADMIN)
        try:
            as_of = from_date(request.as_of, request.HasField("as_of")) or datetime.now(UTC).date()
        except ValueError as exc:
            raise InvalidArgument([FieldViolation("as_of", str(exc), "format")]) from exc
        async with self.db.reading() as session:
            agreement = await self._agreement(session, who, request.agreement_id)
            reports = list(await ReportRepository(session).of_agreement(agreement.id))
        return progress_to_proto(progress(agreement, reports, as_of))

    async def ListAlerts(
        self, request: pb.ListAlertsRequest, context: Any
    ) -> pb.ListAlertsResponse:
        who = require(Role.APPLICANT, Role.FUNDER, Role.ADMIN)
        async with self.db.reading() as session:
            if request.agreement_id:
                ids: list[str] | None = [
                    (await self._agreement(session, who, request.agreement_id)).id
                ]
            elif who.role in TRUSTED:
                ids = None
            else:
                agreements = await AgreementRepository(session).page(
                    limit=100_000,
                    after=None,
                    competition_id="",
                    organisation_id=who.organisation_id if who.role is Role.APPLICANT else None,
                    funder=who.subject if who.role is Role.FUNDER else None,
                )
                ids = [a.id for a in agreements]
            rows = await AlertRepository(session).listed(
                ids, include_resolved=request.include_resolved
            )
        return pb.ListAlertsResponse(
            alerts=[
                progress_pb2.Alert(
                    agreement_id=r.agreement_id,
                    kind=r.kind,
                    subject=r.subject,
                    period_number=r.period_number,
                    message=r.message,
                    severity=r.severity,
                    raise_time=to_timestamp(r.raised_at),
                    resolve_time=to_timestamp(r.resolved_at) if r.resolved_at else None,
                )
                for r in rows
            ]
        )


def _group_to_proto(g: GroupFigures) -> portfolio_pb2.PortfolioGroup:
    leverage = Decimal(g.cofinancing_committed) / Decimal(g.awarded) if g.awarded else None
    return portfolio_pb2.PortfolioGroup(
        key=g.key,
        agreements=g.agreements,
        awarded=to_money(Money(g.awarded)),
        cofinancing_committed=to_money(Money(g.cofinancing_committed)),
        cofinancing_received=to_money(Money(g.cofinancing_received)),
        leverage=str(leverage.quantize(Decimal("0.0001"))) if leverage is not None else "",
        attainment=[portfolio_pb2.Count(name=b, count=g.attainment.get(b, 0)) for b in BUCKETS],
        beneficiaries=g.beneficiaries,
        open_alerts=[
            portfolio_pb2.Count(name=k, count=n) for k, n in sorted(g.open_alerts.items())
        ],
        risk=[
            portfolio_pb2.Count(name=r, count=g.risk.get(r, 0))
            for r in ("green", "amber", "red", "unknown")
        ],
    )


class PortfolioMethods:
    db: Database

    async def GetPortfolio(
        self, request: pb.GetPortfolioRequest, context: Any
    ) -> portfolio_pb2.Portfolio:
        who = require(Role.FUNDER, Role.ADMIN)
        group_by = request.group_by or "competition"
        if group_by not in GROUPS:
            raise InvalidArgument(
                [FieldViolation("group_by", "must be competition, direction or region", "enum")]
            )
        async with self.db.reading() as session:
            groups = await PortfolioRepository(session).rollup(
                group_by=group_by,
                funder=None if who.role in TRUSTED else who.subject,
                competition_id=request.competition_id,
            )
        return portfolio_pb2.Portfolio(
            group_by=group_by,
            groups=[_group_to_proto(groups[k]) for k in sorted(groups)],
            total=_group_to_proto(total_of(groups)),
        )

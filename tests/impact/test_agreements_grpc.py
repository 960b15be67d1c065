"""Impact over real gRPC: an award event becomes one agreement; reports are drafted, submitted,
accepted or returned; progress and alerts follow from accepted values only."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import grpc
import pytest
from grantflow.common.v1 import date_pb2
from grantflow.events.v1 import applications_pb2 as app_ev
from grantflow.events.v1 import awards_pb2
from grantflow.impact.v1 import agreements_pb2, reports_pb2
from grantflow.impact.v1 import impact_service_pb2 as pb
from grantflow.impact.v1 import impact_service_pb2_grpc as pb_grpc
from grantflow_impact.adapters.tables import AlertRow
from grantflow_impact.app import SERVICE
from grantflow_runtime import catalogue
from grantflow_runtime.bus import connect
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.events import cloudevent_headers, new_event_id
from grantflow_runtime.grpc_client import field_violations
from sqlalchemy import func, select

from tests.applications.helpers import rub
from tests.conftest import FUNDER, OTHER_FUNDER, ConfigFactory, ServiceStarter, as_

pytestmark = pytest.mark.asyncio
GRANTEE = Identity(subject="applicant-1", role=Role.APPLICANT, organisation_id="org-1")
STRANGER = Identity(subject="applicant-2", role=Role.APPLICANT, organisation_id="org-2")


def d(value: date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def award(start: date, end: date) -> awards_pb2.AwardDecided:
    return awards_pb2.AwardDecided(
        application_id="app-1",
        competition_id="comp-1",
        organisation_id="org-1",
        award=rub(1_000_000),
        rank=1,
        score="88",
        organisation_inn="7707083893",
        organisation_name="Family Support Foundation",
        organisation_region_code="RU-PRI",
        direction_code="family",
        title="Early help",
        cofinancing_sources=[app_ev.CofinancingCommitment(type="own_funds", amount=rub(200_000))],
        planned_results=[
            app_ev.PlannedResult(
                title="Families supported", unit="families", target_value="120", baseline_value="0"
            )
        ],
        budget_lines=[
            app_ev.BudgetLine(
                category="salaries", grant_amount=rub(800_000), cofinanced_amount=rub(200_000)
            ),
            app_ev.BudgetLine(category="rent", grant_amount=rub(200_000), cofinanced_amount=rub(0)),
        ],
        start_date=d(start),
        end_date=d(end),
        funder=FUNDER.subject,
    )


async def publish_award(url: str, message: awards_pb2.AwardDecided, event_id: str) -> None:
    nc = await connect(url, name="scoring-stand-in")
    headers = cloudevent_headers(
        catalogue.AWARD_DECIDED,
        event_id=event_id,
        source="grantflow/scoring",
        time=datetime.now(UTC),
        request_id="r",
    )
    await nc.jetstream().publish(
        catalogue.AWARD_DECIDED.subject, message.SerializeToString(), headers=headers
    )
    await nc.close()


@pytest.fixture
async def agreed(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> tuple[object, pb_grpc.ImpactServiceAsyncStub]:
    config = await make_config()
    host, chan = await start_service(SERVICE, config)
    stub = pb_grpc.ImpactServiceStub(chan)
    start = datetime.now(UTC).date() - timedelta(days=100)
    message = award(start, start + timedelta(days=364))
    # The same decision twice under two ids (a redrive): one agreement.
    await publish_award(config.nats_url, message, new_event_id())
    await publish_award(config.nats_url, message, new_event_id())
    for _ in range(100):
        try:
            await stub.GetAgreement(pb.GetAgreementRequest(id="app-1"), metadata=as_(GRANTEE))
            break
        except grpc.aio.AioRpcError:
            await asyncio.sleep(0.1)
    return host, stub


def report(period: int, families: str, salaries: int, received: int) -> reports_pb2.Report:
    return reports_pb2.Report(
        agreement_id="app-1",
        period_number=period,
        indicator_values=[
            reports_pb2.IndicatorValue(key="result-1", value=families, unit="families")
        ],
        expenditures=[
            reports_pb2.Expenditure(
                category="salaries", grant_part=rub(salaries), cofinanced_part=rub(0)
            )
        ],
        cofinancing_received=[
            agreements_pb2.SourceAmount(source="own_funds", amount=rub(received))
        ],
        finances=reports_pb2.OrganisationFinances(
            revenue=[
                reports_pb2.RevenueAmount(category="grants", amount=rub(900_000)),
                reports_pb2.RevenueAmount(category="donations", amount=rub(100_000)),
            ],
            expenses=rub(1_200_000),
            net_assets=rub(50_000),
            period_months=12,
        ),
        narrative="Quarter one.",
    )


async def test_award_becomes_one_agreement_with_a_schedule(
    agreed: tuple[object, pb_grpc.ImpactServiceAsyncStub],
) -> None:
    _, stub = agreed
    agreement = await stub.GetAgreement(pb.GetAgreementRequest(id="app-1"), metadata=as_(GRANTEE))
    assert agreement.grant == rub(1_000_000) and agreement.funder == FUNDER.subject
    assert [(i.key, i.target, i.aggregation) for i in agreement.indicators] == [
        ("result-1", "120", "sum")
    ]
    assert [p.kind for p in agreement.schedule][-1] == "final" and len(agreement.schedule) == 4
    listed = await stub.ListAgreements(pb.ListAgreementsRequest(), metadata=as_(FUNDER))
    assert [a.id for a in listed.agreements] == ["app-1"]
    for who in (STRANGER, OTHER_FUNDER):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetAgreement(pb.GetAgreementRequest(id="app-1"), metadata=as_(who))
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        assert (
            list(
                (
                    await stub.ListAgreements(pb.ListAgreementsRequest(), metadata=as_(who))
                ).agreements
            )
            == []
        )


async def test_report_lifecycle_progress_and_alerts(
    agreed: tuple[object, pb_grpc.ImpactServiceAsyncStub],
) -> None:
    host, stub = agreed
    bad = report(1, "-5", 100, 10)
    bad.indicator_values[0].unit = "people"
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await stub.SaveReportDraft(pb.SaveReportDraftRequest(report=bad), metadata=as_(GRANTEE))
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = {f for f, _ in field_violations(invalid.value)}
    assert {"report.indicator_values[0].value", "report.indicator_values[0].unit"} <= fields

    # Period 1: 10 families and 10,000 of 200,000 co-financing, far behind a quarter of the way in.
    await stub.SaveReportDraft(
        pb.SaveReportDraftRequest(report=report(1, "10", 150_000, 10_000)), metadata=as_(GRANTEE)
    )
    submitted = await stub.SubmitReport(
        pb.SubmitReportRequest(agreement_id="app-1", period_number=1), metadata=as_(GRANTEE)
    )
    assert submitted.state == reports_pb2.Report.STATE_SUBMITTED
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await stub.SaveReportDraft(
            pb.SaveReportDraftRequest(report=report(1, "11", 1, 1)), metadata=as_(GRANTEE)
        )
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    # Not yet accepted: nothing counts.
    progress = await stub.GetProgress(
        pb.GetProgressRequest(agreement_id="app-1"), metadata=as_(FUNDER)
    )
    assert progress.indicators[0].status == "missing"
    with pytest.raises(grpc.aio.AioRpcError) as grantee_accepts:
        await stub.AcceptReport(
            pb.AcceptReportRequest(report_id=submitted.id), metadata=as_(GRANTEE)
        )
    assert grantee_accepts.value.code() == grpc.StatusCode.PERMISSION_DENIED
    accepted = await stub.AcceptReport(
        pb.AcceptReportRequest(report_id=submitted.id, comment="fine"), metadata=as_(FUNDER)
    )
    assert accepted.state == reports_pb2.Report.STATE_ACCEPTED

    progress = await stub.GetProgress(
        pb.GetProgressRequest(agreement_id="app-1"), metadata=as_(FUNDER)
    )
    assert progress.indicators[0].actual == "10" and progress.indicators[0].status == "ok"
    salaries = next(s for s in progress.spending if s.category == "salaries")
    assert salaries.spent_grant == rub(150_000) and salaries.variance_grant == rub(
        150_000 - 800_000
    )
    assert progress.sustainability.risk in ("amber", "red")
    alerts = await stub.ListAlerts(pb.ListAlertsRequest(agreement_id="app-1"), metadata=as_(FUNDER))
    kinds = sorted({a.kind for a in alerts.alerts})
    assert "underperformance" in kinds and "cofinancing_shortfall" in kinds

    # A correction that catches up resolves the underperformance alert; nothing is raised twice.
    corrected = report(1, "60", 150_000, 10_000)
    corrected.correction_reason = "families counted twice were removed, then missing ones added"
    version2 = await stub.CorrectReport(
        pb.CorrectReportRequest(report=corrected), metadata=as_(GRANTEE)
    )
    assert version2.version == 2
    await stub.AcceptReport(pb.AcceptReportRequest(report_id=version2.id), metadata=as_(FUNDER))
    history = await stub.ListReports(
        pb.ListReportsRequest(agreement_id="app-1"), metadata=as_(FUNDER)
    )
    assert [(r.version, r.state) for r in history.reports] == [
        (1, reports_pb2.Report.STATE_ACCEPTED),
        (2, reports_pb2.Report.STATE_ACCEPTED),
    ]
    open_now = await stub.ListAlerts(
        pb.ListAlertsRequest(agreement_id="app-1"), metadata=as_(FUNDER)
    )
    assert "underperformance" not in {a.kind for a in open_now.alerts}
    async with host.db.reading() as session:  # type: ignore[attr-defined]
        rows = await session.scalar(select(func.count()).select_from(AlertRow))
        kinds_stored = (
            await session.execute(select(AlertRow.kind, AlertRow.subject, AlertRow.period_number))
        ).all()
    assert rows == len(set(kinds_stored))


async def test_return_needs_a_comment(
    agreed: tuple[object, pb_grpc.ImpactServiceAsyncStub],
) -> None:
    _, stub = agreed
    await stub.SaveReportDraft(
        pb.SaveReportDraftRequest(report=report(1, "10", 1, 1)), metadata=as_(GRANTEE)
    )
    submitted = await stub.SubmitReport(
        pb.SubmitReportRequest(agreement_id="app-1", period_number=1), metadata=as_(GRANTEE)
    )
    with pytest.raises(grpc.aio.AioRpcError) as no_comment:
        await stub.ReturnReport(
            pb.ReturnReportRequest(report_id=submitted.id), metadata=as_(FUNDER)
        )
    assert [f for f, _ in field_violations(no_comment.value)] == ["comment"]
    returned = await stub.ReturnReport(
        pb.ReturnReportRequest(report_id=submitted.id, comment="attach receipts"),
        metadata=as_(FUNDER),
    )
    assert (
        returned.state == reports_pb2.Report.STATE_RETURNED
        and returned.decision_comment == "attach receipts"
    )
    with pytest.raises(grpc.aio.AioRpcError) as foreign:
        await stub.ReturnReport(
            pb.ReturnReportRequest(report_id=submitted.id, comment="x"), metadata=as_(OTHER_FUNDER)
        )
    assert foreign.value.code() == grpc.StatusCode.NOT_FOUND


async def test_indicators_the_competition_requires_join_the_agreement(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> None:
    from grantflow.impact.v1 import indicators_pb2

    config = await make_config()
    _, chan = await start_service(SERVICE, config)
    stub = pb_grpc.ImpactServiceStub(chan)
    await stub.CreateIndicatorDefinition(
        pb.CreateIndicatorDefinitionRequest(
            indicator_definition=indicators_pb2.IndicatorDefinition(
                code="people-reached",
                title="People reached",
                unit="people",
                result_level=indicators_pb2.IndicatorDefinition.RESULT_LEVEL_OUTPUT,
                aggregation=indicators_pb2.IndicatorDefinition.AGGREGATION_SUM,
                direction=indicators_pb2.IndicatorDefinition.DIRECTION_INCREASE,
            )
        ),
        metadata=as_(FUNDER),
    )
    start = datetime.now(UTC).date()
    message = award(start, start + timedelta(days=180))
    message.required_indicator_codes.append("people-reached")
    await publish_award(config.nats_url, message, new_event_id())
    for _ in range(100):
        try:
            agreement = await stub.GetAgreement(
                pb.GetAgreementRequest(id="app-1"), metadata=as_(GRANTEE)
            )
            break
        except grpc.aio.AioRpcError:
            await asyncio.sleep(0.1)
    assert [(i.key, i.unit) for i in agreement.indicators] == [
        ("result-1", "families"),
        ("people-reached", "people"),
    ]

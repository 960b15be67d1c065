"""A report that never comes is noticed by its due date: the watcher raises one late-report alert,
a second sweep raises nothing more, and submitting the report resolves it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from grantflow.impact.v1 import impact_service_pb2 as pb
from grantflow.impact.v1 import impact_service_pb2_grpc as pb_grpc
from grantflow_impact.adapters.tables import messaging
from grantflow_impact.api.evaluation import LateReportWatcher
from grantflow_impact.app import SERVICE
from grantflow_runtime.events import new_event_id
from grantflow_runtime.outbox import Outbox
from sqlalchemy import select

from tests.conftest import FUNDER, ConfigFactory, ServiceStarter, as_
from tests.impact.test_agreements_grpc import GRANTEE, award, publish_award, report

pytestmark = pytest.mark.asyncio


async def test_late_report_alert_raised_once_and_resolved(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> None:
    config = await make_config()
    host, chan = await start_service(SERVICE, config)
    stub = pb_grpc.ImpactServiceStub(chan)
    start = datetime.now(UTC).date() - timedelta(days=200)
    await publish_award(config.nats_url, award(start, start + timedelta(days=364)), new_event_id())
    for _ in range(100):
        if (await stub.ListAgreements(pb.ListAgreementsRequest(), metadata=as_(FUNDER))).agreements:
            break
        await asyncio.sleep(0.1)
    watcher = LateReportWatcher(host.db, Outbox(messaging.outbox, source="grantflow/impact"))
    assert await watcher.sweep(datetime.now(UTC)) == 1
    assert await watcher.sweep(datetime.now(UTC)) == 1
    alerts = await stub.ListAlerts(pb.ListAlertsRequest(agreement_id="app-1"), metadata=as_(FUNDER))
    assert [(a.kind, a.period_number) for a in alerts.alerts] == [("late_report", 1)]
    async with host.db.reading() as session:
        raised = (
            await session.execute(
                select(messaging.outbox.c.subject).where(
                    messaging.outbox.c.subject == "grantflow.impact.alert_raised"
                )
            )
        ).all()
    assert len(raised) == 1

    await stub.SaveReportDraft(
        pb.SaveReportDraftRequest(report=report(1, "30", 100_000, 20_000)), metadata=as_(GRANTEE)
    )
    await stub.SubmitReport(
        pb.SubmitReportRequest(agreement_id="app-1", period_number=1), metadata=as_(GRANTEE)
    )
    still_open = await stub.ListAlerts(
        pb.ListAlertsRequest(agreement_id="app-1"), metadata=as_(FUNDER)
    )
    assert "late_report" not in {a.kind for a in still_open.alerts if a.period_number == 1}
    everything = await stub.ListAlerts(
        pb.ListAlertsRequest(agreement_id="app-1", include_resolved=True), metadata=as_(FUNDER)
    )
    assert any(a.kind == "late_report" and a.resolve_time.seconds for a in everything.alerts)

"""The portfolio roll-ups, computed in SQL, equal a direct recomputation from each agreement's
progress and alerts."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import grpc
import pytest
from grantflow.impact.v1 import impact_service_pb2 as pb
from grantflow.impact.v1 import impact_service_pb2_grpc as pb_grpc
from grantflow_impact.app import SERVICE
from grantflow_impact.domain.attainment import Attainment
from grantflow_impact.domain.portfolio import attainment_bucket
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.events import new_event_id
from grantflow_runtime.grpc_client import field_violations

from tests.conftest import ADMIN, FUNDER, OTHER_FUNDER, ConfigFactory, ServiceStarter, as_
from tests.impact.test_agreements_grpc import award, publish_award, report

pytestmark = pytest.mark.asyncio


@dataclass
class Expected:
    n: int = 0
    awarded: int = 0
    received: int = 0
    people: int = 0
    buckets: Counter[str] = field(default_factory=Counter)
    alerts: Counter[str] = field(default_factory=Counter)
    risk: Counter[str] = field(default_factory=Counter)


PROJECTS = [  # application, organisation, direction, region, families reached in period 1
    ("app-1", "org-1", "family", "RU-PRI", "10"),
    ("app-2", "org-2", "family", "RU-TA", "40"),
    ("app-3", "org-3", "health", "RU-TA", "25"),
]


async def test_portfolio_equals_a_recomputation(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> None:
    config = await make_config()
    _, chan = await start_service(SERVICE, config)
    stub = pb_grpc.ImpactServiceStub(chan)
    start = datetime.now(UTC).date() - timedelta(days=100)
    for app_id, org_id, direction, region, _ in PROJECTS:
        message = award(start, start + timedelta(days=364))
        message.application_id, message.organisation_id = app_id, org_id
        message.direction_code, message.organisation_region_code = direction, region
        await publish_award(config.nats_url, message, new_event_id())
    for _ in range(100):
        listed = await stub.ListAgreements(pb.ListAgreementsRequest(), metadata=as_(FUNDER))
        if len(listed.agreements) == len(PROJECTS):
            break
        await asyncio.sleep(0.1)
    for app_id, org_id, _, _, families in PROJECTS:
        grantee = Identity(subject=f"g-{org_id}", role=Role.APPLICANT, organisation_id=org_id)
        r = report(1, families, 100_000, 50_000)
        r.agreement_id = app_id
        await stub.SaveReportDraft(pb.SaveReportDraftRequest(report=r), metadata=as_(grantee))
        submitted = await stub.SubmitReport(
            pb.SubmitReportRequest(agreement_id=app_id, period_number=1), metadata=as_(grantee)
        )
        await stub.AcceptReport(
            pb.AcceptReportRequest(report_id=submitted.id), metadata=as_(FUNDER)
        )

    # Direct recomputation from each agreement's own figures.
    expected: dict[str, Expected] = defaultdict(Expected)
    for app_id, _, direction, _, _ in PROJECTS:
        agreement = await stub.GetAgreement(pb.GetAgreementRequest(id=app_id), metadata=as_(FUNDER))
        progress = await stub.GetProgress(
            pb.GetProgressRequest(agreement_id=app_id), metadata=as_(FUNDER)
        )
        alerts = await stub.ListAlerts(
            pb.ListAlertsRequest(agreement_id=app_id), metadata=as_(FUNDER)
        )
        e = expected[direction]
        e.n += 1
        e.awarded += agreement.grant.minor_units
        e.received += next(
            c.received.minor_units for c in progress.cofinancing if c.source == "overall"
        )
        e.people += sum(int(Decimal(i.actual)) for i in progress.indicators if i.actual)
        ratios = [
            Attainment(
                actual=None,
                target=Decimal(0),
                ratio=None,
                prorated_target=Decimal(0),
                prorated_ratio=Decimal(i.prorated_ratio) if i.prorated_ratio else None,
                status=i.status,
                note="",
            )
            for i in progress.indicators
        ]
        e.buckets[attainment_bucket(ratios)] += 1
        e.alerts.update(a.kind for a in alerts.alerts)
        e.risk[progress.sustainability.risk or "unknown"] += 1

    portfolio = await stub.GetPortfolio(
        pb.GetPortfolioRequest(group_by="direction"), metadata=as_(FUNDER)
    )
    assert [g.key for g in portfolio.groups] == ["family", "health"]
    for g in portfolio.groups:
        e = expected[g.key]
        assert g.agreements == e.n and g.awarded.minor_units == e.awarded
        assert g.cofinancing_received.minor_units == e.received and g.beneficiaries == e.people
        assert {c.name: c.count for c in g.attainment if c.count} == dict(e.buckets)
        assert {c.name: c.count for c in g.open_alerts} == dict(e.alerts)
        assert {c.name: c.count for c in g.risk if c.count} == dict(e.risk)
        assert g.leverage == "0.2000"  # 200,000 committed per 1,000,000 granted
    assert portfolio.total.agreements == 3 and portfolio.total.beneficiaries == 75
    by_region = await stub.GetPortfolio(
        pb.GetPortfolioRequest(group_by="region"), metadata=as_(ADMIN)
    )
    assert {g.key: g.agreements for g in by_region.groups} == {"RU-PRI": 1, "RU-TA": 2}
    assert (
        list((await stub.GetPortfolio(pb.GetPortfolioRequest(), metadata=as_(OTHER_FUNDER))).groups)
        == []
    )
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await stub.GetPortfolio(pb.GetPortfolioRequest(group_by="colour"), metadata=as_(FUNDER))
    assert [f for f, _ in field_violations(bad.value)] == ["group_by"]

"""Replicable practices over gRPC (candidate, registration with evidence, adoption across regions)
and the social-value estimate with bad input named by field."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from grantflow.common.v1 import date_pb2
from grantflow.impact.v1 import impact_service_pb2 as pb
from grantflow.impact.v1 import impact_service_pb2_grpc as pb_grpc
from grantflow.impact.v1 import practices_pb2, reports_pb2
from grantflow_impact.app import SERVICE
from grantflow_runtime.events import new_event_id
from grantflow_runtime.grpc_client import field_violations

from tests.applications.helpers import rub
from tests.conftest import FUNDER, OTHER_FUNDER, ConfigFactory, ServiceStarter, as_
from tests.impact.test_agreements_grpc import GRANTEE, award, publish_award, report

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def successful(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> tuple[pb_grpc.ImpactServiceAsyncStub, str]:
    config = await make_config()
    _, chan = await start_service(SERVICE, config)
    stub = pb_grpc.ImpactServiceStub(chan)
    start = datetime.now(UTC).date() - timedelta(days=100)
    await publish_award(config.nats_url, award(start, start + timedelta(days=364)), new_event_id())
    for _ in range(100):
        if (await stub.ListAgreements(pb.ListAgreementsRequest(), metadata=as_(FUNDER))).agreements:
            break
        await asyncio.sleep(0.1)
    # Every family already reached, and finances that are diverse, in surplus and with reserves.
    r = report(1, "120", 100_000, 60_000)
    r.finances.CopyFrom(
        reports_pb2.OrganisationFinances(
            revenue=[
                reports_pb2.RevenueAmount(category=c, amount=rub(a))
                for c, a in (
                    ("grants", 300_000),
                    ("earned_income", 300_000),
                    ("donations", 300_000),
                    ("business", 100_000),
                )
            ],
            expenses=rub(900_000),
            net_assets=rub(400_000),
            period_months=12,
        )
    )
    await stub.SaveReportDraft(pb.SaveReportDraftRequest(report=r), metadata=as_(GRANTEE))
    submitted = await stub.SubmitReport(
        pb.SubmitReportRequest(agreement_id="app-1", period_number=1), metadata=as_(GRANTEE)
    )
    await stub.AcceptReport(pb.AcceptReportRequest(report_id=submitted.id), metadata=as_(FUNDER))
    return stub, submitted.id


async def test_candidate_registered_and_spreading(
    successful: tuple[pb_grpc.ImpactServiceAsyncStub, str],
) -> None:
    stub, report_id = successful
    candidates = await stub.ListPracticeCandidates(
        pb.ListPracticeCandidatesRequest(), metadata=as_(FUNDER)
    )
    assert [c.agreement_id for c in candidates.candidates] == ["app-1"]
    assert (
        list(
            (
                await stub.ListPracticeCandidates(
                    pb.ListPracticeCandidatesRequest(), metadata=as_(OTHER_FUNDER)
                )
            ).candidates
        )
        == []
    )
    practice = practices_pb2.Practice(
        agreement_id="app-1",
        title="Early help for families",
        description="A service of early help.",
        roadmap="1. Map families. 2. Train specialists.",
        organisational_model="An NCO with the district clinic.",
        financial_model="Grant for two years, then the regional budget.",
        evidence_report_ids=["not-a-report"],
    )
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await stub.RegisterPractice(
            pb.RegisterPracticeRequest(practice=practice), metadata=as_(FUNDER)
        )
    assert [f for f, _ in field_violations(bad.value)] == ["practice.evidence_report_ids[0]"]
    practice.evidence_report_ids[:] = [report_id]
    registered = await stub.RegisterPractice(
        pb.RegisterPracticeRequest(practice=practice), metadata=as_(FUNDER)
    )
    assert registered.origin_region_code == "RU-PRI" and registered.direction_code == "family"
    with pytest.raises(grpc.aio.AioRpcError) as twice:
        await stub.RegisterPractice(
            pb.RegisterPracticeRequest(practice=practice), metadata=as_(FUNDER)
        )
    assert twice.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert (
        list(
            (
                await stub.ListPracticeCandidates(
                    pb.ListPracticeCandidatesRequest(), metadata=as_(FUNDER)
                )
            ).candidates
        )
        == []
    )

    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    adoption = practices_pb2.Adoption(
        organisation_name="Kazan Family Centre",
        region_code="RU-TA",
        adopted_on=date_pb2.Date(year=yesterday.year, month=yesterday.month, day=yesterday.day),
        results="40 families",
    )
    spread = await stub.RecordAdoption(
        pb.RecordAdoptionRequest(practice_id=registered.id, adoption=adoption), metadata=as_(FUNDER)
    )
    assert list(spread.adopted_in_region_codes) == ["RU-TA"]
    # Another funder's practice answers like a missing one, and nothing is recorded on it.
    for practice_id in (registered.id, "no-such-practice"):
        with pytest.raises(grpc.aio.AioRpcError) as foreign:
            await stub.RecordAdoption(
                pb.RecordAdoptionRequest(practice_id=practice_id, adoption=adoption),
                metadata=as_(OTHER_FUNDER),
            )
        assert foreign.value.code() == grpc.StatusCode.NOT_FOUND
        assert foreign.value.details() == f"practice {practice_id} not found"
    adoption.region_code = "Tatarstan"
    adoption.adopted_on.year += 2
    with pytest.raises(grpc.aio.AioRpcError) as wrong:
        await stub.RecordAdoption(
            pb.RecordAdoptionRequest(practice_id=registered.id, adoption=adoption),
            metadata=as_(FUNDER),
        )
    assert {f for f, _ in field_violations(wrong.value)} == {
        "adoption.region_code",
        "adoption.adopted_on",
    }
    listed = await stub.ListPractices(
        pb.ListPracticesRequest(direction_code="family"), metadata=as_(GRANTEE)
    )
    assert [len(p.adoptions) for p in listed.practices] == [1]


async def test_social_value(successful: tuple[pb_grpc.ImpactServiceAsyncStub, str]) -> None:
    stub, _ = successful
    outcome = pb.OutcomeProxy(
        indicator_key="result-1",
        proxy=rub(20_000),
        deadweight="0.2",
        attribution="0.1",
        displacement="0",
        drop_off="0.5",
        years=2,
    )
    value = await stub.EstimateSocialValue(
        pb.EstimateSocialValueRequest(agreement_id="app-1", outcomes=[outcome]),
        metadata=as_(FUNDER),
    )
    # 120 × 20,000 × 0.8 × 0.9 = 1,728,000 in year one, 864,000 in year two, each discounted at 3.5%.
    assert value.investment == rub(1_200_000)
    expected = round(1_728_000 * 100 / 1.035) + round(864_000 * 100 / 1.035**2)
    assert abs(value.present_value.minor_units - expected) <= 1
    assert value.ratio and value.assumptions
    outcome.deadweight = "1.5"
    outcome.indicator_key = "result-1"
    unknown = pb.OutcomeProxy(indicator_key="nope", proxy=rub(1), years=1)
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await stub.EstimateSocialValue(
            pb.EstimateSocialValueRequest(agreement_id="app-1", outcomes=[outcome, unknown]),
            metadata=as_(FUNDER),
        )
    assert {f for f, _ in field_violations(bad.value)} == {
        "outcomes[0].deadweight",
        "outcomes[1].indicator_key",
    }

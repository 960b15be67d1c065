"""One real path end to end: a command on applications writes an event with its state change, the
relay publishes it, and scoring's durable consumer applies it exactly once."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from grantflow.applications.v1 import applications_service_pb2 as apps_pb
from grantflow.applications.v1 import applications_service_pb2_grpc as apps_grpc
from grantflow.scoring.v1 import scoring_service_pb2 as scoring_pb
from grantflow.scoring.v1 import scoring_service_pb2_grpc as scoring_grpc
from grantflow_applications.app import SERVICE as APPLICATIONS
from grantflow_runtime.grpc_client import field_violations
from grantflow_scoring.adapters.tables import PanelRow, messaging
from grantflow_scoring.app import SERVICE as SCORING
from sqlalchemy import func, select

from tests.applications.helpers import competition_message
from tests.conftest import EXPERT, FUNDER, ConfigFactory, ServiceStarter, as_

pytestmark = pytest.mark.asyncio


async def wait_for_rubric(
    stub: scoring_grpc.ScoringServiceAsyncStub, competition_id: str
) -> object:
    for _ in range(100):
        try:
            return await stub.GetRubric(
                scoring_pb.GetRubricRequest(competition_id=competition_id), metadata=as_(EXPERT)
            )
        except grpc.aio.AioRpcError as exc:
            assert exc.code() == grpc.StatusCode.NOT_FOUND
            await asyncio.sleep(0.1)
    raise AssertionError("scoring never learned of the competition")


async def test_competition_opened_reaches_scoring_once(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> None:
    config = await make_config()
    _, apps_channel = await start_service(APPLICATIONS, config)
    scoring_host, scoring_channel = await start_service(SCORING, config)
    apps = apps_grpc.ApplicationsServiceStub(apps_channel)
    scoring = scoring_grpc.ScoringServiceStub(scoring_channel)

    created = await apps.CreateCompetition(
        apps_pb.CreateCompetitionRequest(competition=competition_message()), metadata=as_(FUNDER)
    )
    # Before it opens, nothing was announced: scoring does not know the competition.
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await scoring.GetRubric(
            scoring_pb.GetRubricRequest(competition_id=created.id), metadata=as_(EXPERT)
        )
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND

    await apps.OpenCompetition(apps_pb.OpenCompetitionRequest(id=created.id), metadata=as_(FUNDER))
    rubric = await wait_for_rubric(scoring, created.id)
    assert len(rubric.criteria) == 10  # type: ignore[attr-defined]
    assert rubric.max_total == "100"  # type: ignore[attr-defined]

    async with scoring_host.db.reading() as session:
        assert await session.scalar(select(func.count()).select_from(PanelRow)) == 1
        inbox = (await session.execute(select(messaging.inbox))).all()
    assert [(row.consumer, row.subject) for row in inbox] == [
        ("scoring", "grantflow.competitions.opened")
    ]
    print(f"event applied once; inbox rows: {len(inbox)}")


async def test_get_rubric_requires_a_competition_id(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> None:
    _, chan = await start_service(SCORING, await make_config())
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await scoring_grpc.ScoringServiceStub(chan).GetRubric(
            scoring_pb.GetRubricRequest(), metadata=as_(EXPERT)
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field_violations(caught.value) == [("competition_id", "is required")]

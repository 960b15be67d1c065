"""The deadline closes a competition once and puts its applications under review; award decisions
from scoring's events reach the applications, once each, even when redelivered."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from grantflow.applications.v1 import applications_pb2
from grantflow.applications.v1 import applications_service_pb2 as pb
from grantflow.events.v1 import awards_pb2, competitions_pb2
from grantflow_applications.adapters.tables import messaging
from grantflow_applications.api.closing import CompetitionCloser
from grantflow_runtime import catalogue
from grantflow_runtime.bus import connect
from grantflow_runtime.events import cloudevent_headers, new_event_id
from grantflow_runtime.grpc_client import field_violations
from grantflow_runtime.outbox import Outbox
from sqlalchemy import select

from tests.applications.fixtures import Running, applicant, running
from tests.applications.helpers import application_message, rub
from tests.conftest import ADMIN, FUNDER, OTHER_FUNDER, as_

__all__ = ["running"]
pytestmark = pytest.mark.asyncio
S = applications_pb2.Application


async def submitted_application(running: Running) -> applications_pb2.Application:
    competition = await running.open_competition()
    organisation = await running.register(applicant(1))
    me = applicant(1, organisation.id)
    draft = await running.stub.CreateApplication(
        pb.CreateApplicationRequest(
            application=application_message(competition.id, organisation.id)
        ),
        metadata=as_(me),
    )
    return await running.stub.SubmitApplication(
        pb.SubmitApplicationRequest(id=draft.id), metadata=as_(me)
    )


async def test_deadline_closes_once_and_starts_review(running: Running) -> None:
    application = await submitted_application(running)
    competition = await running.stub.GetCompetition(
        pb.GetCompetitionRequest(id=application.competition_id), metadata=as_(ADMIN)
    )
    after_deadline = competition.closes_at.ToDatetime(tzinfo=UTC) + timedelta(seconds=1)
    outbox = Outbox(messaging.outbox, source="grantflow/applications")
    closers = [
        CompetitionCloser(running.host.db, outbox, clock=lambda: after_deadline) for _ in range(2)
    ]
    closed = await asyncio.gather(*(c.close_due() for c in closers))
    assert sorted(closed) == [0, 1]  # two replicas racing: one closes it
    assert await closers[0].close_due() == 0
    now = await running.stub.GetCompetition(
        pb.GetCompetitionRequest(id=competition.id), metadata=as_(ADMIN)
    )
    assert now.state == competition.STATE_CLOSED
    reviewed = await running.stub.GetApplication(
        pb.GetApplicationRequest(id=application.id), metadata=as_(ADMIN)
    )
    assert reviewed.state == S.STATE_UNDER_REVIEW
    async with running.host.db.reading() as session:
        subjects = list((await session.execute(select(messaging.outbox.c.subject))).scalars())
    assert subjects.count("grantflow.competitions.closed") == 1


async def test_not_before_the_deadline(running: Running) -> None:
    await submitted_application(running)
    closer = CompetitionCloser(
        running.host.db, Outbox(messaging.outbox, source="t"), clock=lambda: datetime.now(UTC)
    )
    assert await closer.close_due() == 0


async def test_a_funder_closes_early_only_with_a_reason(running: Running) -> None:
    application = await submitted_application(running)
    cid = application.competition_id
    with pytest.raises(grpc.aio.AioRpcError) as unexplained:
        await running.stub.CloseCompetition(
            pb.CloseCompetitionRequest(id=cid, early_close_reason="  "), metadata=as_(FUNDER)
        )
    assert field_violations(unexplained.value) == [
        ("early_close_reason", "is required to close before closes_at")
    ]
    for stranger, competition_id in ((OTHER_FUNDER, cid), (FUNDER, "no-such-competition")):
        with pytest.raises(grpc.aio.AioRpcError) as foreign:
            await running.stub.CloseCompetition(
                pb.CloseCompetitionRequest(id=competition_id, early_close_reason="budget cut"),
                metadata=as_(stranger),
            )
        assert foreign.value.details() == f"competition {competition_id} not found"
    closed = await running.stub.CloseCompetition(
        pb.CloseCompetitionRequest(id=cid, early_close_reason="The budget was cut."),
        metadata=as_(FUNDER),
    )
    assert closed.state == closed.STATE_CLOSED
    reviewed = await running.stub.GetApplication(
        pb.GetApplicationRequest(id=application.id), metadata=as_(ADMIN)
    )
    assert reviewed.state == S.STATE_UNDER_REVIEW
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await running.stub.CloseCompetition(
            pb.CloseCompetitionRequest(id=cid, early_close_reason="twice"), metadata=as_(FUNDER)
        )
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    async with running.host.db.reading() as session:
        payloads = list(
            (
                await session.execute(
                    select(messaging.outbox.c.payload).where(
                        messaging.outbox.c.subject == "grantflow.competitions.closed"
                    )
                )
            ).scalars()
        )
    events = [competitions_pb2.CompetitionClosed.FromString(p) for p in payloads]
    assert [(e.early_close_reason, e.submitted_applications) for e in events] == [
        ("The budget was cut.", 1)
    ]
    # The scheduler finds nothing left to close at the deadline.
    after = closed.closes_at.ToDatetime(tzinfo=UTC) + timedelta(seconds=1)
    closer = CompetitionCloser(
        running.host.db, Outbox(messaging.outbox, source="t"), clock=lambda: after
    )
    assert await closer.close_due() == 0


async def test_award_decision_event_is_applied_once(running: Running) -> None:
    application = await submitted_application(running)
    nc = await connect(running.host.config.nats_url, name="scoring-stand-in")
    js = nc.jetstream()
    event_id = new_event_id()
    decided = awards_pb2.AwardDecided(
        application_id=application.id,
        competition_id=application.competition_id,
        organisation_id=application.organisation_id,
        award=rub(1_000_000),
        rank=1,
        score="87.5",
        decided_at=Timestamp(seconds=int(datetime.now(UTC).timestamp())),
    )
    headers = cloudevent_headers(
        catalogue.AWARD_DECIDED,
        event_id=event_id,
        source="grantflow/scoring",
        time=datetime.now(UTC),
        request_id="r1",
    )
    # Published twice with different message ids: JetStream stores both, the inbox applies one.
    await js.publish(catalogue.AWARD_DECIDED.subject, decided.SerializeToString(), headers=headers)
    await js.publish(
        catalogue.AWARD_DECIDED.subject,
        decided.SerializeToString(),
        headers={**headers, "Nats-Msg-Id": event_id + "-again"},
    )
    await nc.close()
    for _ in range(100):
        current = await running.stub.GetApplication(
            pb.GetApplicationRequest(id=application.id), metadata=as_(ADMIN)
        )
        if current.state == S.STATE_AWARDED:
            break
        await asyncio.sleep(0.1)
    assert current.state == S.STATE_AWARDED
    await asyncio.sleep(0.5)
    async with running.host.db.reading() as session:
        inbox = (await session.execute(select(messaging.inbox.c.event_id))).scalars().all()
        changes = (
            await session.execute(
                select(messaging.outbox.c.seq).where(
                    messaging.outbox.c.subject == "grantflow.applications.status_changed"
                )
            )
        ).all()
    assert inbox == [event_id]
    assert len(changes) == 2  # draft -> submitted, submitted -> awarded


async def test_decided_application_cannot_be_withdrawn(running: Running) -> None:
    application = await submitted_application(running)
    from grantflow_applications.adapters.applications_repo import ApplicationRepository

    async with running.host.db.transaction() as session:
        repo = ApplicationRepository(session)
        current = await repo.get(application.id)
        assert current is not None
        await repo.save(current, current.award(datetime.now(UTC)), author="test")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await running.stub.WithdrawApplication(
            pb.WithdrawApplicationRequest(id=application.id),
            metadata=as_(applicant(1, application.organisation_id)),
        )
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION

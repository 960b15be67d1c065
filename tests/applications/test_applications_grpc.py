"""Applications over real gRPC: drafts, versions, the dry run, submission with every rule at once,
idempotent retries, withdrawal, forbidden transitions and access."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from grantflow.applications.v1 import applications_pb2
from grantflow.applications.v1 import applications_service_pb2 as pb
from grantflow_applications.adapters.tables import ApplicationVersionRow, messaging
from grantflow_runtime.context import Identity
from grantflow_runtime.grpc_client import error_reason, field_violations
from sqlalchemy import select

from tests.applications.fixtures import Running, applicant, drafted, running
from tests.applications.helpers import application_message, ogrn13, rub
from tests.conftest import ADMIN, EXPERT, FUNDER, OTHER_FUNDER, as_

__all__ = ["running"]
pytestmark = pytest.mark.asyncio

S = applications_pb2.Application


async def outbox_subjects(running: Running) -> list[str]:
    async with running.host.db.reading() as session:
        return list(
            (
                await session.execute(
                    select(messaging.outbox.c.subject).order_by(messaging.outbox.c.seq)
                )
            ).scalars()
        )


async def test_draft_shows_derived_totals(running: Running) -> None:
    _, draft = await drafted(running)
    assert draft.state == S.STATE_DRAFT and draft.version == 1
    assert draft.totals.requested == rub(1_000_000)
    assert draft.totals.cofinancing == rub(300_000)
    assert draft.totals.total_cost == rub(1_300_000)
    assert draft.totals.cofinancing_share == "3/13"
    assert draft.totals.cofinancing_share_percent == "23.08"


async def test_caller_cannot_set_totals_state_or_version(running: Running) -> None:
    forged = applications_pb2.ApplicationTotals(requested=rub(1))
    _, draft = await drafted(running, state=S.STATE_AWARDED, version=99, totals=forged, id="mine")
    assert draft.state == S.STATE_DRAFT and draft.version == 1 and draft.id != "mine"
    assert draft.totals.requested == rub(1_000_000)


async def test_edit_makes_versions_and_guards_lost_updates(running: Running) -> None:
    me, draft = await drafted(running)
    patch = S(id=draft.id, version=1, title="A better title")
    edited = await running.stub.UpdateApplication(
        pb.UpdateApplicationRequest(application=patch, update_mask=FieldMask(paths=["title"])),
        metadata=as_(me),
    )
    assert (
        edited.version == 2 and edited.title == "A better title" and edited.summary == draft.summary
    )
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await running.stub.UpdateApplication(
            pb.UpdateApplicationRequest(application=patch, update_mask=FieldMask(paths=["title"])),
            metadata=as_(me),
        )
    assert stale.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert error_reason(stale.value) == "VERSION_CONFLICT"
    with pytest.raises(grpc.aio.AioRpcError) as forbidden:
        await running.stub.UpdateApplication(
            pb.UpdateApplicationRequest(
                application=S(id=draft.id, state=S.STATE_AWARDED),
                update_mask=FieldMask(paths=["state"]),
            ),
            metadata=as_(me),
        )
    assert [f for f, _ in field_violations(forbidden.value)] == ["update_mask.paths[0]"]
    async with running.host.db.reading() as session:
        versions = (await session.execute(select(ApplicationVersionRow.version))).scalars().all()
    assert sorted(versions) == [1, 2]


async def test_validate_lists_every_violation_and_submit_changes_nothing(running: Running) -> None:
    me, draft = await drafted(
        running,
        summary="",
        direction_code="culture",
        budget_lines=[
            applications_pb2.BudgetLine(
                category="salaries", grant_amount=rub(5_000_000), cofinanced_amount=rub(0)
            )
        ],
    )
    report = await running.stub.ValidateApplication(
        pb.ValidateApplicationRequest(id=draft.id), metadata=as_(me)
    )
    fields = {v.field for v in report.violations}
    assert {
        "application.summary",
        "application.direction_code",
        "application.budget_lines",
    } <= fields
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await running.stub.SubmitApplication(
            pb.SubmitApplicationRequest(id=draft.id), metadata=as_(me)
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in field_violations(caught.value)} == fields
    after = await running.stub.GetApplication(
        pb.GetApplicationRequest(id=draft.id), metadata=as_(me)
    )
    assert after.state == S.STATE_DRAFT and after.version == draft.version
    assert await outbox_subjects(running) == ["grantflow.competitions.opened"]


async def test_submit_once_with_retries(running: Running) -> None:
    me, draft = await drafted(running)
    request = pb.SubmitApplicationRequest(id=draft.id, request_id="submit-1")
    first, again = await asyncio.gather(
        running.stub.SubmitApplication(request, metadata=as_(me)),
        running.stub.SubmitApplication(request, metadata=as_(me)),
    )
    assert first == again
    assert first.state == S.STATE_SUBMITTED and first.submit_time.seconds > 0
    assert (await running.stub.SubmitApplication(request, metadata=as_(me))) == first
    subjects = await outbox_subjects(running)
    assert subjects.count("grantflow.applications.submitted") == 1
    with pytest.raises(grpc.aio.AioRpcError) as twice:
        await running.stub.SubmitApplication(
            pb.SubmitApplicationRequest(id=draft.id), metadata=as_(me)
        )
    assert twice.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_submitted_event_carries_what_scoring_needs_without_personal_data(
    running: Running,
) -> None:
    me, draft = await drafted(running)
    await running.stub.SubmitApplication(pb.SubmitApplicationRequest(id=draft.id), metadata=as_(me))
    async with running.host.db.reading() as session:
        payload = (
            await session.execute(
                select(messaging.outbox.c.payload).where(
                    messaging.outbox.c.subject == "grantflow.applications.submitted"
                )
            )
        ).scalar_one()
    from grantflow.events.v1 import applications_pb2 as ev

    event = ev.ApplicationSubmitted.FromString(payload)
    assert event.application_id == draft.id and event.direction_code == "family"
    assert event.organisation_region_code == "RU-PRI" and len(event.organisation_inn) == 10
    assert event.requested == rub(1_000_000) and event.cofinancing_share == "3/13"
    assert [r.title for r in event.planned_results] == ["Families supported"]
    for personal in (b"Anna Petrova", b"anna@example.org", b"200-00-00"):
        assert personal not in payload


async def test_limit_of_applications_per_organisation(running: Running) -> None:
    me, first = await drafted(running)
    await running.stub.SubmitApplication(pb.SubmitApplicationRequest(id=first.id), metadata=as_(me))
    second = await running.stub.CreateApplication(
        pb.CreateApplicationRequest(
            application=application_message(first.competition_id, first.organisation_id)
        ),
        metadata=as_(me),
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await running.stub.SubmitApplication(
            pb.SubmitApplicationRequest(id=second.id), metadata=as_(me)
        )
    assert ("application.organisation_id" in {f for f, _ in field_violations(caught.value)}) or (
        "organisation_id" in {f for f, _ in field_violations(caught.value)}
    )


async def test_withdraw_and_forbidden_transitions(running: Running) -> None:
    me, draft = await drafted(running)
    await running.stub.SubmitApplication(pb.SubmitApplicationRequest(id=draft.id), metadata=as_(me))
    withdrawn = await running.stub.WithdrawApplication(
        pb.WithdrawApplicationRequest(id=draft.id, reason="Partner pulled out"), metadata=as_(me)
    )
    assert withdrawn.state == S.STATE_WITHDRAWN and withdrawn.status_reason == "Partner pulled out"
    assert "grantflow.applications.withdrawn" in await outbox_subjects(running)
    for call in (
        running.stub.WithdrawApplication(
            pb.WithdrawApplicationRequest(id=draft.id), metadata=as_(me)
        ),
        running.stub.SubmitApplication(pb.SubmitApplicationRequest(id=draft.id), metadata=as_(me)),
        running.stub.UpdateApplication(
            pb.UpdateApplicationRequest(application=S(id=draft.id, title="x")), metadata=as_(me)
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_access_to_applications(running: Running) -> None:
    me, draft = await drafted(running)
    stranger = applicant(7, "some-other-org")
    for who in (
        stranger,
        OTHER_FUNDER,
        FUNDER,
    ):  # a funder sees no drafts, not even its own competition's
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await running.stub.GetApplication(
                pb.GetApplicationRequest(id=draft.id), metadata=as_(who)
            )
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
        assert caught.value.details() == f"application {draft.id} not found"
    with pytest.raises(grpc.aio.AioRpcError) as expert:
        await running.stub.GetApplication(
            pb.GetApplicationRequest(id=draft.id), metadata=as_(EXPERT)
        )
    assert expert.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as stranger_edit:
        await running.stub.UpdateApplication(
            pb.UpdateApplicationRequest(application=S(id=draft.id, title="mine now")),
            metadata=as_(stranger),
        )
    assert stranger_edit.value.code() == grpc.StatusCode.NOT_FOUND
    await running.stub.SubmitApplication(pb.SubmitApplicationRequest(id=draft.id), metadata=as_(me))
    seen = await running.stub.GetApplication(
        pb.GetApplicationRequest(id=draft.id), metadata=as_(FUNDER)
    )
    assert seen.state == S.STATE_SUBMITTED
    # The funder reads but cannot act for the applicant.
    with pytest.raises(grpc.aio.AioRpcError) as funder_withdraw:
        await running.stub.WithdrawApplication(
            pb.WithdrawApplicationRequest(id=draft.id), metadata=as_(FUNDER)
        )
    assert funder_withdraw.value.code() == grpc.StatusCode.PERMISSION_DENIED
    listed = await running.stub.ListApplications(
        pb.ListApplicationsRequest(), metadata=as_(OTHER_FUNDER)
    )
    assert list(listed.applications) == []
    mine = await running.stub.ListApplications(
        pb.ListApplicationsRequest(region_code="RU-PRI"), metadata=as_(me)
    )
    assert [a.id for a in mine.applications] == [draft.id]
    everything = await running.stub.ListApplications(
        pb.ListApplicationsRequest(state=S.STATE_SUBMITTED, direction_code="family"),
        metadata=as_(ADMIN),
    )
    assert [a.id for a in everything.applications] == [draft.id]


async def test_cannot_draft_for_someone_elses_organisation(running: Running) -> None:
    competition = await running.open_competition()
    organisation = await running.register(applicant(1))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await running.stub.CreateApplication(
            pb.CreateApplicationRequest(
                application=application_message(competition.id, organisation.id)
            ),
            metadata=as_(applicant(2)),
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_list_counts_what_matches_across_its_pages_as_the_caller_sees_it(
    running: Running,
) -> None:
    competition = await running.open_competition()
    people = []
    for n in (1, 2, 3):
        organisation = await running.register(
            applicant(n), inn_prefix=f"77{n:07d}", ogrn=ogrn13(f"10277{n:07d}")
        )
        me = applicant(n, organisation.id)
        draft = await running.stub.CreateApplication(
            pb.CreateApplicationRequest(
                application=application_message(competition.id, organisation.id)
            ),
            metadata=as_(me),
        )
        people.append((me, draft.id))
    first, _ = people[0]
    await running.stub.SubmitApplication(
        pb.SubmitApplicationRequest(id=people[0][1]), metadata=as_(first)
    )

    async def listed(who: Identity, **where: Any) -> tuple[int, list[str]]:
        """The total each page gave (one and the same) and the ids of every page."""
        totals: set[int] = set()
        ids: list[str] = []
        token = ""
        while True:
            page = await running.stub.ListApplications(
                pb.ListApplicationsRequest(page_size=1, page_token=token, **where),
                metadata=as_(who),
            )
            totals.add(page.total_size)
            ids.extend(a.id for a in page.applications)
            token = page.next_page_token
            if not token:
                assert len(totals) == 1, totals
                return totals.pop(), ids

    assert await listed(ADMIN, competition_id=competition.id) == (
        3,
        [i for _, i in reversed(people)],
    )
    assert await listed(ADMIN, competition_id=competition.id, state=S.STATE_SUBMITTED) == (
        1,
        [people[0][1]],
    )
    # An applicant counts its own; the funder counts no drafts; another funder counts nothing.
    assert await listed(people[1][0]) == (1, [people[1][1]])
    assert await listed(FUNDER, competition_id=competition.id) == (1, [people[0][1]])
    assert await listed(OTHER_FUNDER) == (0, [])
    assert await listed(ADMIN, competition_id="no-such-competition") == (0, [])


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.ListApplicationsRequest(page_size=-5), "page_size"),
        (pb.ListApplicationsRequest(state=42), "state"),  # type: ignore[arg-type]
        (pb.ListApplicationsRequest(region_code="Moscow"), "region_code"),
    ],
)
async def test_bad_list_requests(
    running: Running, request_: pb.ListApplicationsRequest, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await running.stub.ListApplications(request_, metadata=as_(ADMIN))
    assert [f for f, _ in field_violations(caught.value)] == [field]


async def test_oversized_draft_is_refused(running: Running) -> None:
    lines = [applications_pb2.BudgetLine(category="x", grant_amount=rub(1))] * 501
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await drafted(running, budget_lines=lines)
    assert [f for f, _ in field_violations(caught.value)] == ["application.budget_lines"]


async def test_deadline_in_the_competitions_own_zone(running: Running) -> None:
    """closes_at is an instant: just before it a submission passes, from it on it is refused, and
    the refusal states the deadline in the competition's zone (Vladivostok, UTC+10)."""
    from datetime import UTC, datetime, timedelta

    from tests.applications.helpers import stamp

    # Room for the steps before the deadline on a loaded machine; the test waits it out anyway.
    closes = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
    competition = await running.open_competition(
        closes_at=stamp(closes), time_zone="Asia/Vladivostok"
    )
    organisation = await running.register(applicant(1))
    me = applicant(1, organisation.id)
    start = (closes + timedelta(days=30)).date()
    end = (closes + timedelta(days=200)).date()
    from grantflow.common.v1 import date_pb2

    def dated() -> applications_pb2.Application:
        return application_message(
            competition.id,
            organisation.id,
            start_date=date_pb2.Date(year=start.year, month=start.month, day=start.day),
            end_date=date_pb2.Date(year=end.year, month=end.month, day=end.day),
        )

    early, late = [
        await running.stub.CreateApplication(
            pb.CreateApplicationRequest(application=dated()), metadata=as_(me)
        )
        for _ in range(2)
    ]
    # The late one also breaks the one-application limit; the deadline must be among its violations.
    await running.stub.SubmitApplication(pb.SubmitApplicationRequest(id=early.id), metadata=as_(me))
    while datetime.now(UTC) < closes:
        await asyncio.sleep(0.05)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await running.stub.SubmitApplication(
            pb.SubmitApplicationRequest(id=late.id), metadata=as_(me)
        )
    violations = dict(field_violations(caught.value))
    local = closes.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Vladivostok"))
    assert "application.competition_id" in violations or "competition_id" in violations
    text = violations.get("application.competition_id") or violations["competition_id"]
    assert local.strftime("%H:%M") in text and "Asia/Vladivostok" in text

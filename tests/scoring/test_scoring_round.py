"""Scoring over real gRPC with the applications service beside it: panels from events, experts and
conflicts, assignment, blind scores with revisions and an audit trail, divergence bringing one extra
expert, closing, ranking, and a decision recorded once that reaches the applications."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp
from grantflow.applications.v1 import applications_pb2
from grantflow.applications.v1 import applications_service_pb2 as apps_pb
from grantflow.scoring.v1 import experts_pb2, panels_pb2, reviews_pb2
from grantflow.scoring.v1 import scoring_service_pb2 as pb
from grantflow_runtime.grpc_client import error_reason, field_violations
from grantflow_scoring.adapters.reviews_repo import Reviews
from sqlalchemy import select

from tests.conftest import (
    ADMIN,
    APPLICANT,
    FUNDER,
    OTHER_FUNDER,
    ConfigFactory,
    ServiceStarter,
    as_,
)
from tests.scoring.round_fixture import Round, eventually, expert_identity, round_, start_round

__all__ = ["round_"]
pytestmark = pytest.mark.asyncio

CRITERIA = [
    "relevance",
    "coherence",
    "innovation",
    "cost-effectiveness",
    "budget-realism",
    "scale",
    "own-contribution",
    "track-record",
    "team",
    "openness",
]


def sheet(value: int) -> list[reviews_pb2.CriterionScore]:
    comment = "justified" if value in (0, 10) else ""
    return [reviews_pb2.CriterionScore(code=c, value=value, comment=comment) for c in CRITERIA]


async def my_assignments(r: Round, n: int) -> list[reviews_pb2.Assignment]:
    listed = await r.scoring.ListAssignments(
        pb.ListAssignmentsRequest(competition_id=r.competition_id), metadata=as_(expert_identity(n))
    )
    return list(listed.assignments)


async def test_panel_comes_from_the_competition_with_the_national_rubric(round_: Round) -> None:
    panel = await round_.panel()
    assert panel.state == panels_pb2.Panel.STATE_SCORING
    assert panel.owner == FUNDER.subject and panel.experts_per_application == 2
    assert [m.mark for m in panel.pass_marks] == ["60", "65", "68", "70"]
    rubric = await round_.scoring.GetRubric(
        pb.GetRubricRequest(competition_id=round_.competition_id), metadata=as_(APPLICANT)
    )
    assert [c.code for c in rubric.criteria] == CRITERIA and rubric.max_total == "100"
    with pytest.raises(grpc.aio.AioRpcError) as foreign:
        await round_.scoring.GetPanel(
            pb.GetPanelRequest(competition_id=round_.competition_id), metadata=as_(OTHER_FUNDER)
        )
    assert foreign.value.code() == grpc.StatusCode.NOT_FOUND


async def test_expert_validation_and_duplicates(round_: Round) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await round_.scoring.CreateExpert(
            pb.CreateExpertRequest(
                expert=experts_pb2.Expert(
                    subject="x",
                    direction_codes=["Health!"],
                    region_code="Moscow",
                    affiliation_inns=["12"],
                    max_load=0,
                )
            ),
            metadata=as_(FUNDER),
        )
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert {f for f, _ in field_violations(bad.value)} == {
        "expert.display_name",
        "expert.direction_codes[0]",
        "expert.region_code",
        "expert.affiliation_inns[0]",
        "expert.max_load",
    }
    await round_.add_expert(1, directions=["family"])
    with pytest.raises(grpc.aio.AioRpcError) as twice:
        await round_.add_expert(1, directions=["family"])
    assert twice.value.code() == grpc.StatusCode.ALREADY_EXISTS
    with pytest.raises(grpc.aio.AioRpcError) as applicant:
        await round_.add_expert(
            2, directions=["family"]
        ) if False else await round_.scoring.ListExperts(
            pb.ListExpertsRequest(), metadata=as_(APPLICANT)
        )
    assert applicant.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_assignment_respects_conflicts_and_is_incremental(round_: Round) -> None:
    r = round_
    # expert-1 works for the first applicant: never assigned to it.
    await r.add_expert(1, directions=["family"], affiliations=[r.org_inns[0]])
    await r.add_expert(2, directions=["family"])
    await r.add_expert(3, directions=["family"], region="RU-PRI", max_load=1)
    await r.add_expert(4, directions=["culture"])  # wrong direction
    await r.scoring.DeclareConflict(
        pb.DeclareConflictRequest(
            conflict=experts_pb2.Conflict(
                application_id=r.application_ids[1], reason="I advised them"
            )
        ),
        metadata=as_(expert_identity(2)),
    )
    result = await r.scoring.AssignExperts(
        pb.AssignExpertsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    pairs = {
        (a.application_id, a.expert_id) for n in (1, 2, 3, 4) for a in await my_assignments(r, n)
    }
    ids = r.expert_ids
    assert (r.application_ids[0], ids["expert-1"]) not in pairs
    assert (r.application_ids[1], ids["expert-2"]) not in pairs
    assert not any(e == ids["expert-4"] for _, e in pairs)
    # expert-3 can take one application only, and each conflicted application needs it: one of
    # them stays short, and the funder is told why.
    (short,) = result.unassigned
    assert short.application_id in r.application_ids[:2] and short.missing == 1 and short.reason
    # The cause comes with its figures, for clients that word it in another language.
    assert short.cause == pb.UnassignedApplication.CAUSE_LOAD_SPREAD_TOO_THIN
    assert (short.direction_code, short.needed, short.experts_with_room) == ("family", 2, 2)
    assert result.assigned == len(pairs) == 5 and result.complete == 2
    # A late expert fills the gap without moving anything already assigned.
    await r.add_expert(5, directions=["family", "health"])
    again = await r.scoring.AssignExperts(
        pb.AssignExpertsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    assert again.assigned == 1 and list(again.unassigned) == []
    after = {
        (a.application_id, a.expert_id) for n in (1, 2, 3, 4, 5) for a in await my_assignments(r, n)
    }
    assert pairs <= after and len(after) == 6


async def test_an_expert_lists_its_assignments_without_naming_a_competition(
    round_: Round,
) -> None:
    r = round_
    for n in (1, 2):
        await r.add_expert(n, directions=["family"])
    await r.scoring.AssignExperts(
        pb.AssignExpertsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    named = await my_assignments(r, 1)
    assert len(named) == 3
    # Page by page across every competition: the same assignments, with their due time.
    found: list[reviews_pb2.Assignment] = []
    token = ""
    while True:
        page = await r.scoring.ListAssignments(
            pb.ListAssignmentsRequest(page_size=1, page_token=token),
            metadata=as_(expert_identity(1)),
        )
        found.extend(page.assignments)
        token = page.next_page_token
        if not token:
            break
    assert [(a.application_id, a.competition_id) for a in found] == [
        (a.application_id, a.competition_id) for a in named
    ]
    # A funder's listing is of one panel: the competition is required.
    with pytest.raises(grpc.aio.AioRpcError) as unnamed:
        await r.scoring.ListAssignments(pb.ListAssignmentsRequest(), metadata=as_(FUNDER))
    assert [f for f, _ in field_violations(unnamed.value)] == ["competition_id"]


async def test_blind_scoring_revisions_audit_and_divergence(round_: Round) -> None:
    r = round_
    for n in (1, 2, 3):
        await r.add_expert(n, directions=["family"])
    await r.scoring.UpdatePanel(
        pb.UpdatePanelRequest(
            panel=panels_pb2.Panel(
                competition_id=r.competition_id,
                experts_per_application=2,
                max_experts_per_application=3,
            ),
            update_mask=FieldMask(paths=["experts_per_application", "max_experts_per_application"]),
        ),
        metadata=as_(FUNDER),
    )
    await r.scoring.AssignExperts(
        pb.AssignExpertsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    first = r.application_ids[0]
    experts = [
        n for n in (1, 2, 3) if any(a.application_id == first for a in await my_assignments(r, n))
    ]
    lenient, harsh = experts
    bad = sheet(5)
    bad[0].value = 11
    del bad[1]
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await r.scoring.SubmitScore(
            pb.SubmitScoreRequest(application_id=first, scores=bad),
            metadata=as_(expert_identity(lenient)),
        )
    assert {f for f, _ in field_violations(invalid.value)} == {"scores[0].value", "scores"}

    score = await r.scoring.SubmitScore(
        pb.SubmitScoreRequest(application_id=first, scores=sheet(9)),
        metadata=as_(expert_identity(lenient)),
    )
    assert score.total == "90" and score.revision == 1
    # The other expert sees no score of this application but its own (none yet).
    others = await r.scoring.ListScores(
        pb.ListScoresRequest(competition_id=r.competition_id, application_id=first),
        metadata=as_(expert_identity(harsh)),
    )
    assert list(others.scores) == []
    with pytest.raises(grpc.aio.AioRpcError) as no_reason:
        await r.scoring.SubmitScore(
            pb.SubmitScoreRequest(application_id=first, scores=sheet(8)),
            metadata=as_(expert_identity(lenient)),
        )
    assert [f for f, _ in field_violations(no_reason.value)] == ["reason"]
    revised = await r.scoring.SubmitScore(
        pb.SubmitScoreRequest(application_id=first, scores=sheet(8), reason="re-read the budget"),
        metadata=as_(expert_identity(lenient)),
    )
    assert revised.revision == 2 and revised.total == "80"
    # 80 against 30 differs by more than 30% of 100: exactly one extra expert joins.
    await r.scoring.SubmitScore(
        pb.SubmitScoreRequest(application_id=first, scores=sheet(3)),
        metadata=as_(expert_identity(harsh)),
    )
    third = ({1, 2, 3} - set(experts)).pop()
    assert [a.extra for a in await my_assignments(r, third) if a.application_id == first] == [True]
    async with r.scoring_host.db.reading() as session:
        trail = await Reviews(session).audit_trail(first)
    assert [(t.action, t.reason) for t in trail] == [
        ("score.submit", ""),
        ("score.revise", "re-read the budget"),
        ("score.submit", ""),
    ]
    assert (
        trail[1].before
        and trail[1].before["total"] == "90"
        and trail[1].after
        and trail[1].after["total"] == "80"
    )


async def test_a_stranger_cannot_score(round_: Round) -> None:
    r = round_
    await r.add_expert(1, directions=["family"])
    await r.add_expert(2, directions=["culture"])
    await r.scoring.AssignExperts(
        pb.AssignExpertsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await r.scoring.SubmitScore(
            pb.SubmitScoreRequest(application_id=r.application_ids[0], scores=sheet(5)),
            metadata=as_(expert_identity(2)),
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_decision_within_budget_recorded_once_and_applied(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> None:
    # Budget for two of the three 1,000,000 requests.
    from tests.applications.helpers import rub

    r = await start_round(
        make_config,
        start_service,
        budget=rub(2_500_000),
        max_grant=rub(1_000_000),
        required_indicator_codes=["people-reached"],
    )
    for n in (1, 2):
        await r.add_expert(n, directions=["family"])
    await r.scoring.AssignExperts(
        pb.AssignExpertsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    marks = {r.application_ids[0]: 9, r.application_ids[1]: 7, r.application_ids[2]: 8}
    for application_id, value in marks.items():
        for n in (1, 2):
            await r.scoring.SubmitScore(
                pb.SubmitScoreRequest(application_id=application_id, scores=sheet(value)),
                metadata=as_(expert_identity(n)),
            )
    with pytest.raises(grpc.aio.AioRpcError) as early:
        await r.scoring.DecideAwards(
            pb.DecideAwardsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
        )
    assert error_reason(early.value) == "PANEL_STATE"
    await r.scoring.ClosePanel(
        pb.ClosePanelRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    with pytest.raises(grpc.aio.AioRpcError) as late:
        await r.scoring.SubmitScore(
            pb.SubmitScoreRequest(
                application_id=r.application_ids[0], scores=sheet(1), reason="late"
            ),
            metadata=as_(expert_identity(1)),
        )
    assert late.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    ranking = await r.scoring.GetRanking(
        pb.GetRankingRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    assert [e.application_id for e in ranking.entries] == [
        r.application_ids[0],
        r.application_ids[2],
        r.application_ids[1],
    ]
    assert [e.raw_score for e in ranking.entries] == ["90.00", "80.00", "70.00"]
    exported = await r.scoring.ExportRanking(
        pb.ExportRankingRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    rows = list(csv.DictReader(io.StringIO(exported.data.decode())))
    assert [row["application_id"] for row in rows] == [e.application_id for e in ranking.entries]

    with pytest.raises(grpc.aio.AioRpcError) as undecided:
        await r.scoring.GetDecision(
            pb.GetDecisionRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
        )
    assert undecided.value.code() == grpc.StatusCode.NOT_FOUND
    decision = await r.scoring.DecideAwards(
        pb.DecideAwardsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    assert decision == await r.scoring.GetDecision(
        pb.GetDecisionRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    assert [a.application_id for a in decision.awards] == [
        r.application_ids[0],
        r.application_ids[2],
    ]
    assert decision.budget_used.minor_units == 2_000_000 * 100
    assert [d.application_id for d in decision.declined] == [r.application_ids[1]]
    again = await r.scoring.DecideAwards(
        pb.DecideAwardsRequest(competition_id=r.competition_id), metadata=as_(ADMIN)
    )
    assert again == decision

    async def decided_state(application_id: str) -> int | None:
        a = await r.apps.GetApplication(
            apps_pb.GetApplicationRequest(id=application_id), metadata=as_(ADMIN)
        )
        return (
            a.state
            if a.state
            in (
                applications_pb2.Application.STATE_AWARDED,
                applications_pb2.Application.STATE_DECLINED,
            )
            else None
        )

    from grantflow.events.v1 import awards_pb2
    from grantflow_scoring.adapters.tables import messaging

    async with r.scoring_host.db.reading() as session:
        payloads = (
            (
                await session.execute(
                    select(messaging.outbox.c.payload).where(
                        messaging.outbox.c.subject == "grantflow.awards.decided"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert [
        list(awards_pb2.AwardDecided.FromString(p).required_indicator_codes) for p in payloads
    ] == [["people-reached"]] * 2
    states = []
    for application_id in r.application_ids:

        async def probe(application_id: str = application_id) -> int | None:
            return await decided_state(application_id)

        states.append(await eventually(probe))
    S = applications_pb2.Application
    assert states == [S.STATE_AWARDED, S.STATE_DECLINED, S.STATE_AWARDED]
    # With every application decided, the competition itself is decided.
    competition = await r.apps.GetCompetition(
        apps_pb.GetCompetitionRequest(id=r.competition_id), metadata=as_(ADMIN)
    )
    assert competition.state == competition.STATE_DECIDED


async def test_withdrawn_application_leaves_scoring(round_: Round) -> None:
    r = round_
    await r.add_expert(1, directions=["family"])
    await r.add_expert(2, directions=["family"])
    await r.scoring.AssignExperts(
        pb.AssignExpertsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    async with r.apps_host.db.reading() as session:
        from grantflow_applications.adapters.applications_repo import ApplicationRepository

        app = await ApplicationRepository(session).get(r.application_ids[0])
    assert app is not None
    from grantflow_runtime.context import Identity, Role

    me = Identity(subject="applicant-0", role=Role.APPLICANT, organisation_id=app.organisation_id)
    await r.apps.WithdrawApplication(
        apps_pb.WithdrawApplicationRequest(id=app.id, reason="no longer needed"), metadata=as_(me)
    )

    async def cancelled() -> bool | None:
        listed = await r.scoring.ListAssignments(
            pb.ListAssignmentsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
        )
        states = {a.state for a in listed.assignments if a.application_id == app.id}
        return True if states == {reviews_pb2.Assignment.STATE_CANCELLED} else None

    await eventually(cancelled)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await r.scoring.SubmitScore(
            pb.SubmitScoreRequest(application_id=app.id, scores=sheet(9)),
            metadata=as_(expert_identity(1)),
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    for application_id in r.application_ids[1:]:
        for n in (1, 2):
            await r.scoring.SubmitScore(
                pb.SubmitScoreRequest(application_id=application_id, scores=sheet(9)),
                metadata=as_(expert_identity(n)),
            )
    await r.scoring.ClosePanel(
        pb.ClosePanelRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    ranking = await r.scoring.GetRanking(
        pb.GetRankingRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    assert app.id not in {e.application_id for e in ranking.entries}
    decision = await r.scoring.DecideAwards(
        pb.DecideAwardsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    assert app.id not in {a.application_id for a in decision.awards} | {
        d.application_id for d in decision.declined
    }


async def test_experts_reach_no_aggregate_and_one_score_survives_a_race(round_: Round) -> None:
    import asyncio

    r = round_
    for n in (1, 2):
        await r.add_expert(n, directions=["family"])
    await r.scoring.AssignExperts(
        pb.AssignExpertsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    me = expert_identity(1)
    for call in (
        r.scoring.GetRanking(
            pb.GetRankingRequest(competition_id=r.competition_id), metadata=as_(me)
        ),
        r.scoring.ExportRanking(
            pb.ExportRankingRequest(competition_id=r.competition_id), metadata=as_(me)
        ),
        r.scoring.GetPanel(pb.GetPanelRequest(competition_id=r.competition_id), metadata=as_(me)),
        r.scoring.DecideAwards(
            pb.DecideAwardsRequest(competition_id=r.competition_id), metadata=as_(me)
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    first = r.application_ids[0]
    results = await asyncio.gather(
        *(
            r.scoring.SubmitScore(
                pb.SubmitScoreRequest(application_id=first, scores=sheet(v)), metadata=as_(me)
            )
            for v in (6, 7)
        ),
        return_exceptions=True,
    )
    accepted = [x for x in results if isinstance(x, reviews_pb2.Score)]
    refused = [x for x in results if isinstance(x, grpc.aio.AioRpcError)]
    assert len(accepted) == 1 and len(refused) == 1  # the second became a revision without a reason
    own = await r.scoring.ListScores(
        pb.ListScoresRequest(competition_id=r.competition_id), metadata=as_(me)
    )
    assert [(s.application_id, s.total) for s in own.scores] == [(first, accepted[0].total)]
    other = await r.scoring.ListScores(
        pb.ListScoresRequest(competition_id=r.competition_id), metadata=as_(expert_identity(2))
    )
    assert list(other.scores) == []


async def test_rubric_bands_until_the_first_score(round_: Round) -> None:
    from grantflow.scoring.v1 import rubrics_pb2

    from tests.applications.helpers import rub

    r = round_
    rubric = await r.scoring.GetRubric(
        pb.GetRubricRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    rubric.bands.append(
        rubrics_pb2.WeightBand(
            max_request=rub(500_000),
            weights=[rubrics_pb2.CriterionWeight(code="relevance", weight="2.5")],
        )
    )
    rubric.bands.append(
        rubrics_pb2.WeightBand(weights=[rubrics_pb2.CriterionWeight(code="relevance", weight="1")])
    )
    updated = await r.scoring.UpdateRubric(
        pb.UpdateRubricRequest(rubric=rubric), metadata=as_(FUNDER)
    )
    assert [w.weight for b in updated.bands for w in b.weights] == ["2.5", "1"]
    broken = rubrics_pb2.Rubric(competition_id=r.competition_id)
    broken.CopyFrom(updated)
    broken.criteria[0].weight = "heavy"
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await r.scoring.UpdateRubric(pb.UpdateRubricRequest(rubric=broken), metadata=as_(FUNDER))
    assert [f for f, _ in field_violations(invalid.value)] == ["rubric.criteria[0].weight"]
    await r.add_expert(1, directions=["family"])
    await r.add_expert(2, directions=["family"])
    await r.scoring.AssignExperts(
        pb.AssignExpertsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    await r.scoring.SubmitScore(
        pb.SubmitScoreRequest(application_id=r.application_ids[0], scores=sheet(5)),
        metadata=as_(expert_identity(1)),
    )
    with pytest.raises(grpc.aio.AioRpcError) as in_use:
        await r.scoring.UpdateRubric(pb.UpdateRubricRequest(rubric=updated), metadata=as_(FUNDER))
    assert error_reason(in_use.value) == "RUBRIC_IN_USE"
    by_direction = await r.scoring.GetRanking(
        pb.GetRankingRequest(competition_id=r.competition_id, direction_code="family"),
        metadata=as_(FUNDER),
    )
    assert [e.rank for e in by_direction.entries] == [1] and by_direction.entries[0].incomplete


async def test_conflict_declared_after_assignment_ends_it(round_: Round) -> None:
    r = round_
    for n in (1, 2):
        await r.add_expert(n, directions=["family"])
    await r.scoring.AssignExperts(
        pb.AssignExpertsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await r.scoring.DeclareConflict(
            pb.DeclareConflictRequest(
                conflict=experts_pb2.Conflict(organisation_inn="12", application_id="x")
            ),
            metadata=as_(expert_identity(1)),
        )
    assert {f for f, _ in field_violations(bad.value)} == {
        "conflict",
        "conflict.organisation_inn",
        "conflict.reason",
    }
    # Another funder reaches no assignment of this panel: the application answers like a
    # missing one, and a conflict with an organisation leaves this panel's assignments alone.
    expert_2 = r.expert_ids["expert-2"]
    for application_id in (r.application_ids[0], "no-such-application"):
        with pytest.raises(grpc.aio.AioRpcError) as foreign:
            await r.scoring.DeclareConflict(
                pb.DeclareConflictRequest(
                    conflict=experts_pb2.Conflict(
                        expert_id=expert_2, application_id=application_id, reason="rival"
                    )
                ),
                metadata=as_(OTHER_FUNDER),
            )
        assert foreign.value.code() == grpc.StatusCode.NOT_FOUND
        assert foreign.value.details() == f"application {application_id} not found"
    await r.scoring.DeclareConflict(
        pb.DeclareConflictRequest(
            conflict=experts_pb2.Conflict(
                expert_id=expert_2, organisation_inn=r.org_inns[0], reason="rival"
            )
        ),
        metadata=as_(OTHER_FUNDER),
    )
    assert all(a.state == reviews_pb2.Assignment.STATE_PENDING for a in await my_assignments(r, 2))
    await r.scoring.DeclareConflict(
        pb.DeclareConflictRequest(
            conflict=experts_pb2.Conflict(
                organisation_inn=r.org_inns[2], reason="my cousin runs it"
            )
        ),
        metadata=as_(expert_identity(1)),
    )
    mine = {a.application_id: a.state for a in await my_assignments(r, 1)}
    assert mine[r.application_ids[2]] == reviews_pb2.Assignment.STATE_CANCELLED
    assert all(
        state == reviews_pb2.Assignment.STATE_PENDING
        for app, state in mine.items()
        if app != r.application_ids[2]
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await r.scoring.SubmitScore(
            pb.SubmitScoreRequest(application_id=r.application_ids[2], scores=sheet(5)),
            metadata=as_(expert_identity(1)),
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_assignments_are_due_by_the_panels_scoring_deadline(round_: Round) -> None:
    r = round_
    for n in (1, 2):
        await r.add_expert(n, directions=["family"])
    await r.scoring.AssignExperts(
        pb.AssignExpertsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    # No deadline until the funder sets one: an unset due_time, not the epoch.
    assert not any(a.HasField("due_time") for a in await my_assignments(r, 1))
    due = datetime(2026, 12, 15, 15, 0, tzinfo=UTC)
    updated = await r.scoring.UpdatePanel(
        pb.UpdatePanelRequest(
            panel=panels_pb2.Panel(
                competition_id=r.competition_id,
                scores_due_time=Timestamp(seconds=int(due.timestamp())),
            ),
            update_mask=FieldMask(paths=["scores_due_time"]),
        ),
        metadata=as_(FUNDER),
    )
    assert updated.scores_due_time.ToDatetime(tzinfo=UTC) == due
    assert updated.experts_per_application == 2  # the mask touched nothing else
    # Declared conflicts end an assignment; it still says when the panel's scores were due.
    await r.scoring.DeclareConflict(
        pb.DeclareConflictRequest(
            conflict=experts_pb2.Conflict(application_id=r.application_ids[0], reason="a friend")
        ),
        metadata=as_(expert_identity(1)),
    )
    mine = await my_assignments(r, 1)
    assert len(mine) == len(r.application_ids)
    assert {a.due_time.ToDatetime(tzinfo=UTC) for a in mine} == {due}
    assert reviews_pb2.Assignment.STATE_CANCELLED in {a.state for a in mine}
    everyone = await r.scoring.ListAssignments(
        pb.ListAssignmentsRequest(competition_id=r.competition_id), metadata=as_(FUNDER)
    )
    assert {a.due_time.ToDatetime(tzinfo=UTC) for a in everyone.assignments} == {due}
    # Clearing it (masked, left unset) takes the deadline away again.
    await r.scoring.UpdatePanel(
        pb.UpdatePanelRequest(
            panel=panels_pb2.Panel(competition_id=r.competition_id),
            update_mask=FieldMask(paths=["scores_due_time"]),
        ),
        metadata=as_(FUNDER),
    )
    assert not (await r.panel()).HasField("scores_due_time")
    assert not any(a.HasField("due_time") for a in await my_assignments(r, 2))

"""Experts submit scores, each twice at once, while the funder closes the panel: one score per
expert and application, nothing accepted once the panel is closed (late calls are refused with
FAILED_PRECONDITION), and what the closed panel holds does not change afterwards."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import asyncpg
import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from grantflow.applications.v1 import applications_service_pb2 as apps_pb
from grantflow.applications.v1 import applications_service_pb2_grpc as apps_grpc
from grantflow.scoring.v1 import experts_pb2, panels_pb2, reviews_pb2
from grantflow.scoring.v1 import scoring_service_pb2 as pb
from grantflow.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from grantflow_applications.app import SERVICE as APPLICATIONS
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.grpc_client import error_reason
from grantflow_scoring.app import SERVICE as SCORING
from grantflow_scoring.domain.rubric import NATIONAL_CRITERIA
from sqlalchemy.engine import make_url

from tests.conftest import ConfigFactory, ServiceStarter
from tests.reliability.conftest import postgres_only
from tests.reliability.world import (
    FUNDER,
    Store,
    eventually,
    make_drafts,
    md,
    open_competition,
    register_organisations,
    submit_until_answered,
)

pytestmark = pytest.mark.asyncio

ORGANISATIONS = 4
PER_ORGANISATION = 5
EXPERTS = 8
EXPERTS_PER_APPLICATION = 3
# Each expert sends each score twice at once, as a double-clicked button or a client retry would.
COPIES = 2
# Equal sheets, so no divergence brings in extra experts while the race runs.
# A full sheet of the national rubric every panel starts with.
SHEET = [reviews_pb2.CriterionScore(code=c.code, value=7) for c in NATIONAL_CRITERIA]

IN_FLIGHT = 16
Pair = tuple[str, str]  # (application id, expert subject)


class ScoreAfterClose(AssertionError):
    """A score was accepted (and committed) after the panel close had committed."""


def expert(n: int) -> Identity:
    return Identity(subject=f"race-expert-{n}", role=Role.EXPERT)


@dataclass
class Panel:
    scoring: pb_grpc.ScoringServiceAsyncStub
    store: Store
    url: str
    competition_id: str
    pairs: list[Pair] = field(default_factory=list)

    async def score(self, pair: Pair) -> tuple[Pair, grpc.StatusCode, str]:
        application_id, subject = pair
        try:
            await self.scoring.SubmitScore(
                pb.SubmitScoreRequest(application_id=application_id, scores=SHEET),
                metadata=md(Identity(subject=subject, role=Role.EXPERT)),
                timeout=30,
            )
        except grpc.aio.AioRpcError as exc:
            return pair, exc.code(), error_reason(exc)
        return pair, grpc.StatusCode.OK, ""

    async def close(self) -> panels_pb2.Panel:
        return await self.scoring.ClosePanel(
            pb.ClosePanelRequest(competition_id=self.competition_id),
            metadata=md(FUNDER),
            timeout=30,
        )

    async def scores(self) -> dict[Pair, int]:
        """(application, expert subject) -> revision, as stored."""
        rows = await self.store.rows(
            "SELECT s.application_id, e.subject, s.revision FROM scores s "
            "JOIN experts e ON e.id = s.expert_id WHERE s.competition_id = :c",
            c=self.competition_id,
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}

    async def audit_after_close(self) -> int:
        """Score entries the audit log (in commit order: appends are serialised) holds after the
        entry that closed the panel."""
        return await self.store.count(
            "SELECT count(*) FROM audit_log WHERE action = 'score.submit' AND id > "
            "(SELECT min(id) FROM audit_log WHERE action = 'panel.close' AND subject_id = :c)",
            c=self.competition_id,
        )


@pytest.fixture
async def panel(make_config: ConfigFactory, start_service: ServiceStarter) -> AsyncIterator[Panel]:
    config = await make_config()
    _, apps_channel = await start_service(APPLICATIONS, config)
    _, scoring_channel = await start_service(SCORING, config)
    apps = apps_grpc.ApplicationsServiceStub(apps_channel)
    scoring = pb_grpc.ScoringServiceStub(scoring_channel)
    competition_id = await open_competition(apps, per_organisation=PER_ORGANISATION)
    owners = await register_organisations(apps, ORGANISATIONS)
    drafts = await make_drafts(apps, competition_id, owners, PER_ORGANISATION)
    for draft in drafts:
        assert (await submit_until_answered(apps, draft, give_up_after_s=10)).response
    await apps.CloseCompetition(
        apps_pb.CloseCompetitionRequest(id=competition_id, early_close_reason="reliability test"),
        metadata=md(FUNDER),
    )
    store = Store(config.database_url("scoring"))

    async def scoring_started() -> bool:
        try:
            got = await scoring.GetPanel(
                pb.GetPanelRequest(competition_id=competition_id), metadata=md(FUNDER)
            )
        except grpc.aio.AioRpcError:
            return False
        return got.state == panels_pb2.Panel.STATE_SCORING

    await eventually(scoring_started, seconds=20, what="the panel scoring")
    await scoring.UpdatePanel(
        pb.UpdatePanelRequest(
            panel=panels_pb2.Panel(
                competition_id=competition_id, experts_per_application=EXPERTS_PER_APPLICATION
            ),
            update_mask=FieldMask(paths=["experts_per_application"]),
        ),
        metadata=md(FUNDER),
    )
    for n in range(EXPERTS):
        await scoring.CreateExpert(
            pb.CreateExpertRequest(
                expert=experts_pb2.Expert(
                    subject=expert(n).subject,
                    display_name=f"Expert {n}",
                    direction_codes=["family"],
                    region_code="RU-MOW",
                    max_load=20,
                )
            ),
            metadata=md(FUNDER),
        )
    assigned = await scoring.AssignExperts(
        pb.AssignExpertsRequest(competition_id=competition_id), metadata=md(FUNDER)
    )
    assert assigned.assigned == len(drafts) * EXPERTS_PER_APPLICATION, assigned
    result = Panel(scoring, store, config.database_url("scoring"), competition_id)
    rows = await store.rows(
        "SELECT a.application_id, e.subject FROM assignments a JOIN experts e "
        "ON e.id = a.expert_id WHERE a.competition_id = :c",
        c=competition_id,
    )
    result.pairs = sorted((r[0], r[1]) for r in rows)
    try:
        yield result
    finally:
        await store.close()


def check_outcomes(
    results: list[tuple[Pair, grpc.StatusCode, str]], stored: dict[Pair, int]
) -> Counter[str]:
    answers = Counter(code.name for _, code, _ in results)
    accepted = Counter(pair for pair, code, _ in results if code == grpc.StatusCode.OK)
    # Only three answers are right: accepted, the panel is closed, or (for the second of two
    # identical calls) a revision needs a reason. Never INTERNAL.
    assert set(answers) <= {"OK", "FAILED_PRECONDITION", "INVALID_ARGUMENT"}, answers
    for _, code, reason in results:
        if code == grpc.StatusCode.FAILED_PRECONDITION:
            assert reason == "PANEL_CLOSED", reason
    # One score per expert and application: at most one of the copies accepted, and the stored
    # scores are exactly the accepted ones, each a first revision.
    assert max(accepted.values(), default=0) == 1
    assert set(stored) == set(accepted)
    assert set(stored.values()) <= {1}
    return answers


@pytest.mark.timeout(120)
async def test_scores_racing_the_panel_close(panel: Panel) -> None:
    started = time.monotonic()
    calls = [pair for pair in panel.pairs for _ in range(COPIES)]
    done = 0
    halfway = asyncio.Event()
    # A bounded number of experts at work at once: the close then lands among the calls rather
    # than behind every one of them in the database's lock queue.
    in_flight = asyncio.Semaphore(IN_FLIGHT)

    async def counted(pair: Pair) -> tuple[Pair, grpc.StatusCode, str]:
        nonlocal done
        async with in_flight:
            result = await panel.score(pair)
        done += 1
        if done >= len(calls) // 3:
            halfway.set()
        return result

    racing = asyncio.gather(*(counted(pair) for pair in calls))
    await halfway.wait()
    closed = await panel.close()
    closed_after = done
    at_close = await panel.scores()
    results = await racing
    stored = await panel.scores()
    answers = check_outcomes(results, stored)
    late = await panel.audit_after_close()
    print(
        f"{len(panel.pairs)} assignments x {COPIES} concurrent SubmitScore = {len(calls)} calls "
        f"({IN_FLIGHT} in flight); "
        f"ClosePanel answered after {closed_after} of them; answers {dict(answers)}; "
        f"{len(at_close)} scores when the close returned, {len(stored)} at the end; "
        f"{late} score entries after the close in the audit log; "
        f"{time.monotonic() - started:.1f}s"
    )
    assert closed.state == panels_pb2.Panel.STATE_CLOSED
    assert answers["FAILED_PRECONDITION"] > 0, "the close came too late to race anything"
    if stored != at_close or late:
        raise ScoreAfterClose(
            f"{len(set(stored) - set(at_close))} scores appeared after ClosePanel returned; "
            f"{late} audit entries follow the close"
        )


@postgres_only
@pytest.mark.timeout(60)
async def test_score_started_before_the_close_commits_after_it(panel: Panel) -> None:
    """The interleaving the race above may or may not hit, made certain: audit appends are held
    up (a lock on the audit table), so every transaction stops just before it commits, in order:
    some scores, then the close, then scores that began while the close was in flight."""
    database = make_url(panel.url).database or ""
    dsn = make_url(panel.url).set(drivername="postgresql").render_as_string(hide_password=False)
    holder = await asyncpg.connect(dsn)
    admin = await asyncpg.connect(dsn)
    first, later = panel.pairs[:5], panel.pairs[5:10]
    try:
        tx = holder.transaction()
        await tx.start()
        # Reads of the audit log go on (the previous hash); appends wait.
        await holder.execute("LOCK TABLE audit_log IN EXCLUSIVE MODE")
        waiting = waiting_count(admin, database, holder.get_server_pid())
        early = [asyncio.create_task(panel.score(pair)) for pair in first]
        await eventually(lambda: at_least(waiting, len(first)), seconds=10, what="early scores")
        closing = asyncio.create_task(panel.close())
        await eventually(lambda: at_least(waiting, len(first) + 1), seconds=10, what="the close")
        late_calls = [asyncio.create_task(panel.score(pair)) for pair in later]
        await eventually(
            lambda: at_least(waiting, len(first) + 1 + len(later)), seconds=10, what="late scores"
        )
        await tx.rollback()
        results = await asyncio.gather(*early, *late_calls)
        await closing
    finally:
        await holder.close()
        await admin.close()
    stored = await panel.scores()
    late_answers = Counter(code.name for _, code, _ in results[len(first) :])
    after = await panel.audit_after_close()
    print(
        f"{len(first)} scores before the close, {len(later)} begun while it was in flight: "
        f"the latter answered {dict(late_answers)}; {after} score entries follow the close "
        "in the audit log"
    )
    check_outcomes(results, stored)
    # A score that began while the close was in flight may be accepted only if it commits
    # before the close does; the audit log's order is the commit order.
    if after:
        raise ScoreAfterClose(f"{after} scores accepted that committed after the panel closed")


def waiting_count(
    admin: asyncpg.Connection, database: str, holder_pid: int
) -> Callable[[], Awaitable[int]]:
    async def count() -> int:
        return int(
            await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2 "
                "AND wait_event_type = 'Lock'",
                database,
                holder_pid,
            )
        )

    return count


async def at_least(count: Callable[[], Awaitable[int]], n: int) -> bool:
    return await count() >= n

"""4. Ranking and the award decision for 20,000 scored applications, two ways:

- the domain functions alone (`rank`, then `decide` with the national pass marks, a budget that
  funds about a sixth of the requests, and quotas on two directions), on generated candidates;
- the real `DecideAwards` call of a scoring process whose database was seeded directly (panel and
  rubric through the repository, then submitted copies, 1,000 experts, 40,000 assignments and
  40,000 score sheets in bulk inserts): what a funder waits for, including reading every score,
  calibrating, ranking, recording the decision and writing one outbox event per application.

Only scoring runs for the second; the events it writes stay in JetStream unread.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grantflow.events.v1 import applications_pb2 as ev
from grantflow.scoring.v1 import scoring_service_pb2 as pb
from grantflow.scoring.v1 import scoring_service_pb2_grpc as pb_grpc
from grantflow_runtime.db import Database
from grantflow_runtime.grpc_server import identity_metadata
from grantflow_runtime.migrations import upgrade
from grantflow_runtime.money import Money
from grantflow_scoring.adapters.panels_repo import PanelRepository
from grantflow_scoring.adapters.reviews_repo import SCORED, scores_json
from grantflow_scoring.adapters.tables import (
    AssignmentRow,
    ExpertDirectionRow,
    ExpertRow,
    ScoreRow,
    SubmittedApplicationRow,
)
from grantflow_scoring.app import SERVICE as SCORING
from grantflow_scoring.domain.awards import NATIONAL_PASS_MARKS, decide
from grantflow_scoring.domain.panels import Panel, PanelSettings, PanelState
from grantflow_scoring.domain.ranking import Candidate, rank
from grantflow_scoring.domain.rubric import NATIONAL_CRITERIA, Rubric, default_rubric
from grantflow_scoring.domain.scores import CriterionScore, weighted_total
from sqlalchemy import insert

from bench import data
from bench.harness import Stack
from bench.profiling import sampled
from bench.seed import FUNDER

TARGET_SECONDS = 1.0
REPEATS = 5
# A sixth of what 20,000 applications request, about what a national round funds.
FUNDED_SHARE = 6
QUOTA_DIRECTIONS = ("environment", "diplomacy")


def _candidates(count: int, rng: random.Random) -> list[Candidate]:
    began = datetime.now(UTC) - timedelta(days=30)
    found = []
    for i in range(count):
        # Two experts' totals out of 100 around the application's quality, mean to cents.
        quality = rng.gauss(66, 10)
        totals = [min(100.0, max(0.0, rng.gauss(quality, 6))) for _ in range(2)]
        raw = Decimal(str(round(sum(totals) / 2, 2)))
        found.append(
            Candidate(
                application_id=f"app-{i:06d}",
                direction_code=data.direction(rng),
                requested=Money.roubles(data.requested(rng)),
                raw_score=raw,
                calibrated_score=raw + Decimal(str(round(rng.gauss(0, 1.5), 2))),
                submitted_at=began + timedelta(seconds=rng.randrange(30 * 86400)),
            )
        )
    return found


def _budget(candidates: list[Candidate]) -> tuple[Money, dict[str, Money]]:
    requested = sum(c.requested.minor_units for c in candidates)
    quotas = {
        d: Money(sum(c.requested.minor_units for c in candidates if c.direction_code == d) // 10)
        for d in QUOTA_DIRECTIONS
    }
    return Money(requested // FUNDED_SHARE), quotas


def domain(count: int, seed: int = 3) -> dict[str, Any]:
    """`rank` then `decide`, timed REPEATS times on the same candidates; the median counts."""
    candidates = _candidates(count, random.Random(seed))
    budget, quotas = _budget(candidates)
    timings: list[float] = []
    awards = 0
    for _ in range(REPEATS):
        began = time.perf_counter()
        ranked = rank(candidates)
        decision = decide(ranked, budget=budget, quotas=quotas, pass_marks=NATIONAL_PASS_MARKS)
        timings.append(time.perf_counter() - began)
        awards = len(decision.awards)
    return {
        "applications": count,
        "seconds": round(statistics.median(timings), 4),
        "seconds_all": [round(t, 4) for t in timings],
        "awards": awards,
    }


@dataclass
class ScoredRound:
    """One generated round, made once and written to each backend's database alike."""

    competition_id: str
    count: int
    experts: int
    panel: Panel
    rubric: Rubric
    expert_rows: list[dict[str, Any]]
    direction_rows: list[dict[str, Any]]
    # Per chunk of applications: table -> rows.
    chunks: list[dict[Any, list[dict[str, Any]]]]


def scored_round(count: int, experts: int, seed: int = 5) -> ScoredRound:
    rng = random.Random(seed)
    competition_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    rubric = default_rubric(competition_id)
    candidates = _candidates(count, rng)
    budget, quotas = _budget(candidates)
    panel = Panel(
        competition_id=competition_id,
        title="Benchmark round",
        owner=FUNDER.subject,
        state=PanelState.CLOSED,
        direction_codes=tuple(data.DIRECTION_MIX),
        budget=budget,
        direction_quotas=tuple(sorted(quotas.items())),
        settings=PanelSettings(),
    )
    pool = [str(uuid.uuid4()) for _ in range(experts)]
    expert_rows = [
        {
            "id": e,
            "subject": f"bench-expert-{i}",
            "display_name": f"Expert {i}",
            "region_code": data.region(rng),
            "max_load": 60,
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for i, e in enumerate(pool)
    ]
    direction_rows = [
        {"expert_id": e, "direction_code": d}
        for e in pool
        for d in {data.direction(rng) for _ in range(2)}
    ]
    chunks = [
        _scored_rows(competition_id, candidates[i : i + 2000], pool, rubric, rng)
        for i in range(0, count, 2000)
    ]
    return ScoredRound(
        competition_id, count, experts, panel, rubric, expert_rows, direction_rows, chunks
    )


async def decide_awards(
    backend: str,
    scored: ScoredRound,
    progress: Callable[[str], None],
    *,
    profile: bool = False,
) -> dict[str, Any]:
    """Seed scoring's database, start scoring alone, time one DecideAwards call."""
    stack = Stack(backend, services=("scoring",), gateway=False)
    try:
        urls = await stack.prepare_databases()
        began = time.perf_counter()
        await _seed_scoring(urls["scoring"], scored)
        seeded_s = time.perf_counter() - began
        progress(
            f"seeded {scored.count:,} scored applications in {seeded_s:.1f}s; starting scoring"
        )
        await stack.start()
        async with grpc.aio.insecure_channel(
            stack.address("scoring"), options=[("grpc.max_receive_message_length", 64 * 2**20)]
        ) as chan:
            stub = pb_grpc.ScoringServiceStub(chan)
            services = ("scoring",) if profile else ()
            cpu_before = stack.processes["scoring"].cpu_seconds()
            async with sampled(stack, services, f"{backend}-decide-awards"):
                began = time.perf_counter()
                decision = await stub.DecideAwards(
                    pb.DecideAwardsRequest(
                        competition_id=scored.competition_id, request_id="bench-decide"
                    ),
                    metadata=identity_metadata(FUNDER),
                    timeout=600,
                )
                took = time.perf_counter() - began
            cpu = stack.processes["scoring"].cpu_seconds() - cpu_before
        return {
            "applications": scored.count,
            "experts": scored.experts,
            "seed_seconds": round(seeded_s, 2),
            "seconds": round(took, 3),
            # Near 1: scoring computed all along (Python work); well below: it waited.
            "scoring_cpu_seconds": round(cpu, 2),
            "awards": len(decision.awards),
            "declined": len(decision.declined),
            "peak_rss_mb": round(stack.processes["scoring"].peak_rss_mb(), 1),
        }
    finally:
        await stack.stop()


async def _seed_scoring(url: str, scored: ScoredRound) -> None:
    db = Database(url)
    try:
        await upgrade(db, SCORING.metadata, SCORING.migrations)
        now = datetime.now(UTC)
        async with db.transaction() as session:
            await PanelRepository(session).add_panel(
                panel=scored.panel,
                rubric=scored.rubric,
                closes_at=now - timedelta(days=20),
                time_zone="Europe/Moscow",
                opened_event_id=str(uuid.uuid4()),
                now=now,
            )
        async with db.transaction() as session:
            await session.execute(insert(ExpertRow), scored.expert_rows)
            await session.execute(insert(ExpertDirectionRow), scored.direction_rows)
        for rows in scored.chunks:
            async with db.transaction() as session:
                for table, values in rows.items():
                    await session.execute(insert(table), values)
    finally:
        await db.dispose()


def _scored_rows(
    competition_id: str,
    candidates: list[Candidate],
    pool: list[str],
    rubric: Rubric,
    rng: random.Random,
) -> dict[Any, list[dict[str, Any]]]:
    """Rows of scoring's copy, assignments and score sheets for some candidates, as
    `SubmittedApplications.remember` and the review methods write them."""
    rows: dict[Any, list[dict[str, Any]]] = {
        SubmittedApplicationRow: [],
        AssignmentRow: [],
        ScoreRow: [],
    }
    for c in candidates:
        event = _submitted_event(competition_id, c, rng)
        rows[SubmittedApplicationRow].append(
            {
                "application_id": c.application_id,
                "competition_id": competition_id,
                "organisation_id": event.organisation_id,
                "organisation_inn": event.organisation_inn,
                "organisation_name": event.organisation_name,
                "organisation_region_code": event.organisation_region_code,
                "partner_inns": [],
                "direction_code": c.direction_code,
                "region_codes": list(event.region_codes),
                "title": event.title,
                "summary": event.summary,
                "requested": c.requested.minor_units,
                "cofinancing": event.cofinancing.minor_units,
                "submitted_at": c.submitted_at,
                "withdrawn": False,
                "event": event.SerializeToString(),
            }
        )
        quality = float(c.raw_score) / 10
        for expert in rng.sample(pool, 2):
            sheet = [
                CriterionScore(k.code, min(10, max(0, round(rng.gauss(quality, 1.2)))), "")
                for k in NATIONAL_CRITERIA
            ]
            rows[AssignmentRow].append(
                {
                    "application_id": c.application_id,
                    "expert_id": expert,
                    "competition_id": competition_id,
                    "state": SCORED,
                    "extra": False,
                    "assigned_at": c.submitted_at,
                }
            )
            rows[ScoreRow].append(
                {
                    "application_id": c.application_id,
                    "expert_id": expert,
                    "competition_id": competition_id,
                    "scores": scores_json(sheet),
                    "total": str(weighted_total(rubric, sheet, c.requested)),
                    "revision": 1,
                    "submitted_at": c.submitted_at + timedelta(days=10),
                }
            )
    return rows


def _submitted_event(
    competition_id: str, c: Candidate, rng: random.Random
) -> ev.ApplicationSubmitted:
    stamp = Timestamp()
    stamp.FromDatetime(c.submitted_at)
    home = data.region(rng)
    return ev.ApplicationSubmitted(
        application_id=c.application_id,
        competition_id=competition_id,
        organisation_id=str(uuid.uuid4()),
        organisation_inn=f"{rng.randrange(10**9, 10**10)}",
        organisation_name="Bench foundation",
        organisation_region_code=home,
        direction_code=c.direction_code,
        region_codes=[home],
        title=f"Project {c.application_id}",
        summary="A service for people who need it, run with volunteers and local partners.",
        requested=data.money(c.requested.minor_units),
        cofinancing=data.money(c.requested.minor_units // 4),
        submitted_at=stamp,
    )


def verdicts(domain_result: dict[str, Any], rpc: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    found = [
        {
            "target": f"rank + decide {domain_result['applications']:,} (domain functions) "
            f"<= {TARGET_SECONDS:.0f} s",
            "value": domain_result["seconds"],
            "met": domain_result["seconds"] <= TARGET_SECONDS,
        }
    ]
    for backend, r in rpc.items():
        found.append(
            {
                "target": f"DecideAwards {r['applications']:,} over gRPC ({backend}) "
                f"<= {TARGET_SECONDS:.0f} s",
                "value": r["seconds"],
                "met": r["seconds"] <= TARGET_SECONDS,
            }
        )
    return found

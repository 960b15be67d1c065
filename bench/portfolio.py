"""5. The portfolio roll-up over 100,000 reports on PostgreSQL.

impact's database is seeded directly through its own tables (bulk inserts of 25,000 agreements
from 40 competitions of 4 funders, four quarterly reports each, the per-agreement status rows
that accepted reports keep current, and open alerts on about a tenth), then impact starts alone
and `GetPortfolio` is called over gRPC as an admin (every agreement: the largest roll-up) for each
grouping. `GetPortfolio` aggregates the status rows in SQL (adapters/portfolio_repo.py), so the
reports table's size matters only through the database's caches and plans.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import grpc
from grantflow.impact.v1 import impact_service_pb2 as pb
from grantflow.impact.v1 import impact_service_pb2_grpc as pb_grpc
from grantflow_impact.adapters.tables import (
    AgreementRow,
    AgreementStatusRow,
    AlertRow,
    ReportRow,
)
from grantflow_impact.app import SERVICE as IMPACT
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.db import Database
from grantflow_runtime.grpc_server import identity_metadata
from grantflow_runtime.migrations import upgrade
from sqlalchemy import insert, text

from bench import data
from bench.harness import Stack

TARGET_SECONDS = 1.0
PERIODS = 4
REPEATS = 3
GROUPINGS = ("competition", "direction", "region")
ADMIN = Identity(subject="bench-admin", role=Role.ADMIN)
BUCKETS = ("below_50", "50_80", "80_100", "100_plus", "unknown")
RISKS = ("green", "amber", "red", "")
ALERT_KINDS = ("underperformance", "cofinancing_shortfall", "overspend", "late_report")


async def run(reports: int, progress: Callable[[str], None], seed: int = 11) -> dict[str, Any]:
    stack = Stack("postgres", services=("impact",), gateway=False)
    try:
        urls = await stack.prepare_databases()
        began = time.perf_counter()
        agreements = await _seed(urls["impact"], reports // PERIODS, random.Random(seed))
        seeded_s = time.perf_counter() - began
        progress(f"seeded {agreements:,} agreements, {reports:,} reports in {seeded_s:.1f}s")
        await stack.start()
        timings: dict[str, list[float]] = {g: [] for g in GROUPINGS}
        async with grpc.aio.insecure_channel(stack.address("impact")) as chan:
            stub = pb_grpc.ImpactServiceStub(chan)
            counted = 0
            # Interleaved groupings, so a burst of load elsewhere does not hit one grouping only.
            for _ in range(REPEATS):
                for grouping in GROUPINGS:
                    started = time.perf_counter()
                    rolled = await stub.GetPortfolio(
                        pb.GetPortfolioRequest(group_by=grouping),
                        metadata=identity_metadata(ADMIN),
                        timeout=120,
                    )
                    timings[grouping].append(time.perf_counter() - started)
                    counted = rolled.total.agreements
        if counted != agreements:
            raise AssertionError(f"the roll-up counted {counted} agreements of {agreements}")
        return {
            "reports": reports,
            "agreements": agreements,
            "seed_seconds": round(seeded_s, 2),
            "by_grouping": {
                g: {
                    "best": round(min(t), 3),
                    "median": round(statistics.median(t), 3),
                    "worst": round(max(t), 3),
                }
                for g, t in timings.items()
            },
            "seconds": round(max(min(t) for t in timings.values()), 3),
        }
    finally:
        await stack.stop()


async def _seed(url: str, agreements: int, rng: random.Random) -> int:
    db = Database(url)
    try:
        await upgrade(db, IMPACT.metadata, IMPACT.migrations)
        competitions = [(str(uuid.uuid4()), f"bench-funder-{i % 4}") for i in range(40)]
        now = datetime.now(UTC)
        for first in range(0, agreements, 5000):
            rows = [
                _agreement(rng, competitions, now) for _ in range(min(5000, agreements - first))
            ]
            async with db.transaction() as session:
                await session.execute(insert(AgreementRow), [r for r, _, _, _ in rows])
                await session.execute(insert(ReportRow), [x for _, rs, _, _ in rows for x in rs])
                await session.execute(insert(AgreementStatusRow), [s for _, _, s, _ in rows])
                alerts = [a for _, _, _, al in rows for a in al]
                if alerts:
                    await session.execute(insert(AlertRow), alerts)
        async with db.engine.connect() as conn:
            # What autovacuum would do soon after a bulk load: fresh planner statistics.
            await conn.execute(text("ANALYZE"))
        return agreements
    finally:
        await db.dispose()


def _agreement(
    rng: random.Random, competitions: list[tuple[str, str]], now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any], list[dict[str, Any]]]:
    agreement_id = str(uuid.uuid4())
    competition_id, funder = rng.choice(competitions)
    grant = data.requested(rng) * 100
    cofinancing = grant * rng.randint(10, 60) // 100
    starts = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
    people = rng.randint(20, 2000)
    agreement = {
        "id": agreement_id,
        "competition_id": competition_id,
        "organisation_id": str(uuid.uuid4()),
        "organisation_inn": f"{rng.randrange(10**9, 10**10)}",
        "organisation_name": "Bench foundation",
        "region_code": data.region(rng),
        "direction_code": data.direction(rng),
        "title": "Support for families in the region",
        "funder": funder,
        "currency": "RUB",
        "grant": grant,
        "cofinancing_committed": cofinancing,
        "starts_on": starts,
        "ends_on": starts + timedelta(days=365),
        "plan": {
            "cofinancing": [["own_funds", cofinancing]],
            "budget": [["salaries", grant * 7 // 10, cofinancing], ["rent", grant * 3 // 10, 0]],
            "indicators": [
                ["people", "People supported", "people", "0", str(people), "sum", "increase"]
            ],
            "schedule": [
                [
                    p + 1,
                    "quarterly",
                    (starts + timedelta(days=91 * p)).isoformat(),
                    (starts + timedelta(days=91 * p + 90)).isoformat(),
                    (starts + timedelta(days=91 * p + 105)).isoformat(),
                ]
                for p in range(PERIODS)
            ],
        },
        "created_at": now,
    }
    reports = [
        {
            "id": str(uuid.uuid4()),
            "agreement_id": agreement_id,
            "period_number": p + 1,
            "version": 1,
            "state": rng.choices(("accepted", "submitted", "returned"), (0.85, 0.1, 0.05))[0],
            "content": {
                "indicators": [["people", str(people * (p + 1) // PERIODS), "people", None, None]],
                "expenditures": [["salaries", grant // 8, cofinancing // 8, None]],
                "cofinancing": [["own_funds", cofinancing // PERIODS]],
                "finances": None,
                "narrative": "The quarter went to plan; the volunteers kept the service running.",
            },
            "correction_reason": "",
            "submitted_at": now,
            "decided_at": now,
            "decided_by": funder,
            "decision_comment": "",
            "created_at": now,
            "updated_at": now,
        }
        for p in range(PERIODS)
    ]
    status = {
        "agreement_id": agreement_id,
        "cofinancing_received": cofinancing * rng.randint(50, 110) // 100,
        "spent_grant": grant * rng.randint(40, 100) // 100,
        "attainment_bucket": rng.choices(BUCKETS, (0.1, 0.25, 0.35, 0.25, 0.05))[0],
        "beneficiaries": people,
        "risk": rng.choices(RISKS, (0.7, 0.2, 0.05, 0.05))[0],
        "updated_at": now,
    }
    alerts = [
        {
            "agreement_id": agreement_id,
            "kind": rng.choice(ALERT_KINDS),
            "subject": "people",
            "period_number": PERIODS,
            "message": "Below plan in the last period.",
            "severity": "warning",
            "raised_at": now,
            "resolved_at": None,
        }
        for _ in range(1 if rng.random() < 0.1 else 0)
    ]
    return agreement, reports, status, alerts


def verdicts(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "target": f"GetPortfolio over {result['reports']:,} reports (PostgreSQL) "
            f"<= {TARGET_SECONDS:.0f} s",
            "value": result["seconds"],
            "met": result["seconds"] <= TARGET_SECONDS,
        }
    ]

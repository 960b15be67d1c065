"""`grantflow demo` against a freshly started system over real HTTP: its summary agrees with what
the services store, and a second run finds the round and adds nothing."""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from grantflow_cli.demo import driver
from grantflow_cli.demo.generate import build_plan
from grantflow_cli.demo.model import FLAW_RULES
from grantflow_cli.demo.phase_competition import stored_deadline
from grantflow_cli.demo.settings import ADMIN, FUNDER, DemoSettings
from grantflow_cli.demo.summary import reason_label
from grantflow_runtime.context import Identity, Role
from rich.console import Console

from tests.gateway.stack import TEST_SECRET, Stack, StackFactory

pytestmark = pytest.mark.asyncio

DEMO_FUNDER = Identity(subject=FUNDER, role=Role.FUNDER)
DEMO_ADMIN = Identity(subject=ADMIN, role=Role.ADMIN)
# Deadlines announced in UTC: the projects then start today in the time zone impact evaluates
# progress in, whatever the hour the test runs at (see the demo's notes on Moscow time).
SETTINGS = DemoSettings(
    organisations=40, experts=8, practices=2, concurrency=4, time_zone="UTC", seed=424242
)


async def _get(s: Stack, who: Identity, path: str, **params: Any) -> Any:
    return (await s.call(who, "GET", path, params=params or None, expect=200)).json()


async def _stored_counts(s: Stack, cid: str) -> dict[str, int]:
    """What a second seeding would add to: organisations, applications, experts, reviews,
    agreements, report versions, practices and adoptions."""
    agreements = (await _get(s, DEMO_FUNDER, "/v1/agreements", competitionId=cid, pageSize=500))[
        "agreements"
    ]
    reports = 0
    for a in agreements:
        reports += len((await _get(s, DEMO_FUNDER, f"/v1/agreements/{a['id']}/reports"))["reports"])
    practices = (await _get(s, DEMO_FUNDER, "/v1/practices"))["practices"]
    return {
        "competitions": len((await _get(s, DEMO_FUNDER, "/v1/competitions"))["competitions"]),
        "organisations": len(
            (await _get(s, DEMO_ADMIN, "/v1/organisations", pageSize=500))["organisations"]
        ),
        "applications": len(
            (await _get(s, DEMO_ADMIN, "/v1/applications", pageSize=500))["applications"]
        ),
        "experts": len((await _get(s, DEMO_FUNDER, "/v1/experts", pageSize=500))["experts"]),
        "scores": len((await _get(s, DEMO_FUNDER, "/v1/scores", competitionId=cid))["scores"]),
        "agreements": len(agreements),
        "reports": reports,
        "practices": len(practices),
        "adoptions": sum(len(p["adoptions"]) for p in practices),
        "alerts": len((await _get(s, DEMO_FUNDER, "/v1/alerts", includeResolved="true"))["alerts"]),
    }


def _run(s: Stack) -> driver.Outcome:
    return driver.run(s.base_url, SETTINGS, Console(file=io.StringIO(), width=140))


@pytest.mark.timeout(90)
async def test_the_demo_round_matches_the_stored_data_and_seeds_once(
    gateway_stack: StackFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = await gateway_stack()
    # The demo signs development tokens with the local key, which here is the stack's secret.
    monkeypatch.setenv("GRANTFLOW_AUTH_SECRET", TEST_SECRET)
    started = asyncio.get_running_loop().time()
    first = await asyncio.wait_for(asyncio.to_thread(_run, s), timeout=70)
    took = asyncio.get_running_loop().time() - started
    summary = first.summary
    cid = summary["competition"]["id"]
    assert not first.found_existing and first.writes > 300

    # Rejections: exactly the flaws the plan built in, by the rule the service names.
    competition = await _get(s, DEMO_FUNDER, f"/v1/competitions/{cid}")
    plan = build_plan(SETTINGS, stored_deadline(competition))
    flaws = [a.flaw for a in plan.applications if a.flaw is not None]
    assert summary["rejected_by_reason"] == dict(
        Counter(reason_label(*FLAW_RULES[f]) for f in flaws)
    )
    counts = summary["counts"]
    assert counts["organisations"] == counts["applications"] == SETTINGS.organisations
    assert counts["submitted"] == SETTINGS.organisations - len(flaws)
    assert counts["experts"] == SETTINGS.expert_count
    assert counts["extra_assignments"] > 0 and counts["scores"] == counts["assignments"]

    # The ranking's top is the service's, in its order.
    ranking = (await _get(s, DEMO_FUNDER, f"/v1/competitions/{cid}/ranking"))["entries"]
    assert [(e["rank"], e["application_id"], e["raw_score"]) for e in summary["ranking_top"]] == [
        (e["rank"], e["applicationId"], e["rawScore"]) for e in ranking[:10]
    ]
    assert summary["ranking_size"] == len(ranking) == counts["submitted"]

    # Awards by direction and by region add up to the decision, which fits the budget.
    decision = (
        await s.call(
            DEMO_FUNDER,
            "POST",
            f"/v1/competitions/{cid}:decideAwards",
            headers={"Idempotency-Key": f"demo-{SETTINGS.seed}-decide"},
            expect=200,
        )
    ).json()
    awarded = sum(int(a["amount"]["minorUnits"]) for a in decision["awards"])
    for key in ("awards_by_direction", "awards_by_region"):
        groups = summary[key].values()
        assert sum(g["amount"] for g in groups) == awarded
        assert sum(g["count"] for g in groups) == len(decision["awards"])
    assert summary["awards"]["budget_used"] == int(decision["budgetUsed"]["minorUnits"]) == awarded
    assert awarded <= summary["competition"]["budget"]
    agreements = (await _get(s, DEMO_FUNDER, "/v1/agreements", competitionId=cid))["agreements"]
    assert sum(int(a["grant"]["minorUnits"]) for a in agreements) == awarded
    committed = sum(
        int(c["amount"]["minorUnits"]) for a in agreements for c in a["cofinancingCommitted"]
    )
    assert summary["leverage"]["committed"] == committed
    portfolio = await _get(s, DEMO_FUNDER, "/v1/portfolio", competitionId=cid)
    assert summary["leverage"]["portfolio_ratio"] == portfolio["total"]["leverage"]

    # Alerts as the service lists them; every kind the trajectories stand for shows (no report
    # is late: none was due yet).
    open_alerts = (await _get(s, DEMO_FUNDER, "/v1/alerts"))["alerts"]
    all_alerts = (await _get(s, DEMO_FUNDER, "/v1/alerts", includeResolved="true"))["alerts"]
    assert summary["alerts_open_by_kind"] == dict(Counter(a["kind"] for a in open_alerts))
    assert summary["alerts_raised_by_kind"] == dict(Counter(a["kind"] for a in all_alerts))
    if plan.competition.deadline <= datetime.now(UTC).date():
        assert set(summary["alerts_raised_by_kind"]) == {
            "underperformance",
            "cofinancing_shortfall",
            "sustainability_risk",
            "overspend",
        }
    assert counts["reports_returned"] >= 1 and counts["reports_corrected"] >= 1

    # Practices as the service lists them, spread beyond their own regions.
    practices = (await _get(s, DEMO_FUNDER, "/v1/practices"))["practices"]
    assert [(p["id"], p["adopted_in"]) for p in summary["practices"]] == [
        (p["id"], p["adoptedInRegionCodes"]) for p in practices
    ]
    if plan.competition.deadline <= datetime.now(UTC).date():
        assert len(practices) == SETTINGS.practices
        assert all(p["adoptedInRegionCodes"] for p in practices)

    # The console's sign-in tokens name people of this round who have something to see.
    tokens = first.console_tokens
    assert set(tokens) == {"FUNDER", "APPLICANT", "EXPERT"}

    async def seen(role: str, path: str, items: str, **params: str) -> int:
        got = await s.http.get(
            path, params=params, headers={"Authorization": f"Bearer {tokens[role]}"}
        )
        assert got.status_code == 200, got.text
        return len(got.json()[items])

    assert await seen("APPLICANT", "/v1/agreements", "agreements") >= 1
    assert await seen("EXPERT", "/v1/assignments", "assignments", competitionId=cid) >= 1
    assert await seen("FUNDER", "/v1/competitions", "competitions") >= 1

    # A second run finds the round, writes nothing and shows the same figures.
    before = await _stored_counts(s, cid)
    second = await asyncio.wait_for(asyncio.to_thread(_run, s), timeout=30)
    assert second.found_existing and second.writes == 0
    assert second.summary == summary
    assert await _stored_counts(s, cid) == before
    print(
        f"demo round: {SETTINGS.organisations} organisations in {took:.1f}s"
        f" ({first.writes} writes, {first.calls} requests); second run {second.seconds:.1f}s"
        f" ({second.calls} reads)"
    )

"""How the demo's experts score and its grantees report, judged by the scoring and impact
services' own domain code: the divergence rule, report validation, progress and alert conditions."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from google.protobuf.json_format import ParseDict
from grantflow.impact.v1 import reports_pb2
from grantflow_applications.domain.identifiers import is_valid_inn
from grantflow_cli.demo.model import ApplicationPlan
from grantflow_cli.demo.practices_model import adoptions, choose, practice_body
from grantflow_cli.demo.reports_model import (
    Context,
    Trajectory,
    assign_trajectories,
    corrected_body,
    progress_periods,
    report_body,
    returned_once,
)
from grantflow_cli.demo.scoring_model import outlier_expert, score_sheet
from grantflow_cli.demo.settings import DemoSettings
from grantflow_impact.api.progress import conditions, progress
from grantflow_impact.api.report_mapping import content_from_proto
from grantflow_impact.domain import reports as lifecycle
from grantflow_impact.domain.agreements import Agreement
from grantflow_scoring.domain.aggregation import diverges
from grantflow_scoring.domain.rubric import NATIONAL_CRITERIA

from tests.demo.worlds import agreement, as_json, planned

CODES = [c.code for c in NATIONAL_CRITERIA]
THRESHOLD = Decimal(30)
MAX_TOTAL = Decimal(100)


def _total(sheet: list[dict[str, object]]) -> Decimal:
    return Decimal(sum(int(str(s["value"])) for s in sheet))


def test_score_sheets_are_deterministic_complete_and_justified() -> None:
    plan, _ = planned(DemoSettings(organisations=40, experts=8))
    app, expert = plan.applications[0], plan.experts[0]
    sheet = score_sheet(plan.seed, app, expert, CODES)
    assert sheet == score_sheet(plan.seed, app, expert, CODES)
    assert [s["code"] for s in sheet] == CODES
    assert all(0 <= int(str(s["value"])) <= 10 and s["comment"] for s in sheet)


def test_only_an_outlier_review_diverges_beyond_the_panels_threshold() -> None:
    plan, _ = planned(DemoSettings(organisations=200, experts=20))
    valid = [a for a in plan.applications if a.flaw is None]
    ordinary = 0
    for app in valid:
        first, second = plan.experts[app.number % 20], plan.experts[(app.number + 7) % 20]
        totals = [_total(score_sheet(plan.seed, app, e, CODES)) for e in (first, second)]
        ordinary += diverges(totals, MAX_TOTAL, THRESHOLD)
        if app.divergent:
            odd = outlier_expert(app, [first, second])
            assert odd == min(first.number, second.number)
            misjudged = _total(
                score_sheet(plan.seed, app, plan.experts[odd - 1], CODES, outlier=True)
            )
            assert diverges([totals[0], totals[1], misjudged], MAX_TOTAL, THRESHOLD)
        else:
            assert outlier_expert(app, [first, second]) is None
    assert ordinary == 0
    assert 0.03 < sum(a.divergent for a in valid) / len(valid) < 0.15


def test_trajectories_show_every_path_and_returned_reports_are_on_plan() -> None:
    funded = list(range(1, 41))
    paths = assign_trajectories(5, funded)
    assert paths == assign_trajectories(5, list(reversed(funded)))
    assert set(paths.values()) == set(Trajectory)
    assert Counter(paths.values())[Trajectory.STEADY] > len(funded) / 2
    returned = returned_once(5, paths)
    assert returned and all(paths[n] is Trajectory.STEADY for n in returned)


def _filed(a: Agreement, app: ApplicationPlan, trajectory: Trajectory) -> list[lifecycle.Report]:
    """Every progress report of the demo for `app`, validated and accepted as impact would."""
    now = datetime.now(UTC)
    ctx = Context(seed=11, number=app.number, trajectory=trajectory, agreement=as_json(a))
    filed = []
    for period in progress_periods(ctx.agreement, 3):
        body = report_body(ctx, period)
        content = content_from_proto(ParseDict(body, reports_pb2.Report()))
        assert lifecycle.validate_report(a, period, content) == [], (trajectory, period)
        draft = lifecycle.save_draft(
            None, id=f"r-{period}", agreement=a, period_number=period, content=content, now=now
        )
        filed.append(lifecycle.accept(lifecycle.submit(draft, now), "demo-funder", "", now))
    return filed


EXPECTED_ALERTS = {
    Trajectory.STEADY: set(),
    Trajectory.STAR: set(),
    Trajectory.UNDERPERFORMING: {"underperformance"},
    Trajectory.COFINANCING_GAP: {"cofinancing_shortfall"},
    Trajectory.SUSTAINABILITY_DRIFT: {"sustainability_risk"},
    Trajectory.OVERSPEND: {"overspend"},
}


@pytest.mark.parametrize("trajectory", list(Trajectory))
def test_reports_are_valid_and_raise_the_alerts_their_path_stands_for(
    trajectory: Trajectory,
) -> None:
    plan, _ = planned(DemoSettings(organisations=60, experts=8))
    for app in [a for a in plan.applications if a.flaw is None][:12]:
        a = agreement(app)
        filed = _filed(a, app, trajectory)
        assert len(filed) == min(3, len(a.schedule) - 1)
        # The demo reports on the projects' first day: a sliver of each project has elapsed.
        state = progress(a, filed, app.start + timedelta(days=1))
        kinds = {c.key.kind.value for c in conditions(state)}
        assert kinds == EXPECTED_ALERTS[trajectory], (app.number, kinds)
        if trajectory in (Trajectory.STEADY, Trajectory.STAR):
            assert state.sustainability is not None and state.sustainability.risk.value == "green"


def test_sustainability_drifts_from_green_through_amber_to_red() -> None:
    plan, _ = planned(DemoSettings(organisations=60, experts=8))
    app = next(a for a in plan.applications if a.flaw is None and (a.end - a.start).days > 330)
    a = agreement(app)
    filed = _filed(a, app, Trajectory.SUSTAINABILITY_DRIFT)
    levels = [
        progress(a, filed[:n], app.start).sustainability.risk.value  # type: ignore[union-attr]
        for n in (1, 2, 3)
    ]
    assert levels == ["green", "amber", "red"]


def test_a_returned_report_is_corrected_with_a_reason_and_stays_valid() -> None:
    plan, _ = planned(DemoSettings(organisations=40, experts=8))
    app = next(a for a in plan.applications if a.flaw is None)
    a = agreement(app)
    ctx = Context(seed=3, number=app.number, trajectory=Trajectory.STEADY, agreement=as_json(a))
    body = report_body(ctx, 1)
    fixed = corrected_body(body)
    assert fixed["correctionReason"] and fixed["expenditures"] != body["expenditures"]
    content = content_from_proto(ParseDict(fixed, reports_pb2.Report()))
    assert lifecycle.validate_report(a, 1, content) == []


def test_practices_prefer_exemplary_projects_and_spread_to_other_regions() -> None:
    assert choose([9, 4, 7, 2], preferred={7}, already=0, wanted=2) == [7, 2]
    assert choose([9, 4], preferred=set(), already=2, wanted=2) == []
    today = date(2025, 3, 10)
    found = adoptions(1, 5, "RU-TA", today)
    assert found == adoptions(1, 5, "RU-TA", today)
    assert 2 <= len(found) <= 4
    assert all(f["regionCode"] != "RU-TA" for f in found)
    assert all(is_valid_inn(f["organisationInn"], person=False) for f in found)
    plan, _ = planned(DemoSettings(organisations=40, experts=8))
    body = practice_body(as_json(agreement(plan.applications[0])), ["r-1"])
    for part in ("title", "description", "roadmap", "organisationalModel", "financialModel"):
        assert body[part].strip()

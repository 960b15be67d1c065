"""The demo round from start to finish over the public HTTP API. A run that finds the round
already seeded resumes what is missing (nothing, once it is complete) and summarises what is
stored."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from grantflow_runtime.context import Role
from rich.console import Console

from grantflow_cli.client import dev_token
from grantflow_cli.demo import phase_apply, phase_competition, phase_impact, phase_score
from grantflow_cli.demo.api import Api
from grantflow_cli.demo.generate import build_plan
from grantflow_cli.demo.reports_model import assign_trajectories, returned_once
from grantflow_cli.demo.settings import (
    FUNDER,
    DemoSettings,
    applicant_subject,
    expert_subject,
    read_back,
)
from grantflow_cli.demo.state import Round
from grantflow_cli.demo.steps import Steps
from grantflow_cli.demo.summary import collect, summarise

Json = dict[str, Any]


@dataclass
class Outcome:
    summary: dict[str, Any]
    found_existing: bool
    writes: int
    calls: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Development tokens for the web console, by role: people of this round with data to see.
    console_tokens: dict[str, str] = field(default_factory=dict)


def run(base_url: str, settings: DemoSettings, console: Console) -> Outcome:
    started = time.monotonic()
    api = Api(base_url)
    try:
        with Steps(console) as steps:
            r, existing = _start(api, settings, steps)
            awarded = _seed(r)
            with steps.phase("Summary from the stored data"):
                stored = collect(
                    api.base_url,
                    r.competition,
                    funder=r.funder,
                    admin=r.admin,
                    decision_key=r.key("decide"),
                    workers=r.settings.concurrency,
                )
        return Outcome(
            summary=summarise(stored),
            found_existing=existing,
            writes=api.counters.writes,
            calls=api.counters.calls,
            seconds=time.monotonic() - started,
            timings=steps.timings,
            notes=r.notes,
            console_tokens=_console_tokens(r, awarded),
        )
    finally:
        api.close()


def _start(api: Api, asked: DemoSettings, steps: Steps) -> tuple[Round, bool]:
    """The round an earlier run left, rebuilt from its own settings, or a new competition."""
    with steps.phase("Competition"):
        funder = api.as_(Role.FUNDER, FUNDER)
        found = phase_competition.find(funder)
        if found is not None:
            settings = replace(
                read_back(str(found.get("description", "")), asked), time_zone=found["timeZone"]
            )
            plan = build_plan(settings, phase_competition.stored_deadline(found))
            r = Round(api, settings, plan, found, steps)
        else:
            now = datetime.now(UTC)
            closes = phase_competition.choose_closing(now, asked.time_zone)
            plan = build_plan(asked, phase_competition.deadline_day(closes, asked.time_zone))
            r = Round(api, asked, plan, {}, steps)
            phase_competition.ensure_indicators(funder, r.key("catalogue"))
            r.competition = phase_competition.create(
                funder, plan.competition, closes_at=closes, key=r.key("competition")
            )
        phase_competition.open_and_configure(r)
        phase_competition.refresh(r)
    return r, found is not None


def _seed(r: Round) -> list[int]:
    """Every phase first reads what is stored and does only what is missing."""
    start = r.plan.competition.deadline
    if start > datetime.now(UTC).date():
        r.notes.append(
            f"projects start on {start.isoformat()}, the deadline's day in"
            f" {r.plan.competition.time_zone}, which is after today in UTC, the day impact"
            " evaluates progress on: no share of any project has elapsed, so nothing is prorated"
            " (no underperformance or co-financing alerts, no practice candidates) until then"
        )
    phase_apply.known_ids(r)
    if r.competition["state"] == "STATE_OPEN":
        refused = phase_apply.register_and_apply(r)
        _compare_with_plan(r, refused)
        phase_competition.close_early(r)
    phase_competition.refresh(r)
    panel = phase_competition.wait_for_scoring(r)

    phase_score.enrol_experts(r)
    if panel["state"] == "STATE_SCORING":
        phase_score.declare_conflicts(r)
        submitted = {
            a["id"]
            for a in r.admin.pages("/v1/applications", "applications", competitionId=r.id)
            if a["state"] not in ("STATE_DRAFT", "STATE_WITHDRAWN", "STATE_INELIGIBLE")
        }
        phase_score.assign(r, submitted)
        phase_score.score(r)
    decision = phase_score.close_and_decide(r)

    awarded = [r.number_of(a["applicationId"]) for a in decision["awards"]]
    paths = assign_trajectories(r.plan.seed, [n for n in awarded if n is not None])
    signed = phase_impact.agreements(r, len(decision["awards"]))
    evidence = phase_impact.file_reports(r, signed, paths, returned_once(r.plan.seed, paths))
    phase_impact.practices(r, signed, paths, evidence)
    phase_competition.settle(r)
    return [n for n in awarded if n is not None]


def _console_tokens(r: Round, awarded: list[int]) -> dict[str, str]:
    """The round's funder, an organisation that won a grant and the first expert, so each
    role's console pages show this round's data."""
    tokens = {"FUNDER": dev_token(Role.FUNDER, FUNDER)}
    grantee = next((n for n in awarded if n in r.org_ids), None)
    if grantee is not None:
        tokens["APPLICANT"] = dev_token(
            Role.APPLICANT, applicant_subject(grantee), organisation_id=r.org_ids[grantee]
        )
    if r.expert_ids:
        number, expert_id = min(r.expert_ids.items())
        tokens["EXPERT"] = dev_token(Role.EXPERT, expert_subject(number), expert_id=expert_id)
    return tokens


def _compare_with_plan(r: Round, refused: dict[int, list[Json]]) -> None:
    """Refusals the plan did not intend mean the services' rules moved away from the demo's."""
    meant = {a.number for a in r.plan.applications if a.flaw is not None}
    surprising = sorted(set(refused) - meant)
    if surprising:
        first = refused[surprising[0]][0]
        r.notes.append(
            f"{len(surprising)} application(s) meant to be valid were refused, e.g."
            f" {first.get('field')}: {first.get('description')}"
        )
    if r.skipped:
        r.notes.append(
            f"{len(r.skipped)} organisation(s) skipped: their INN is registered outside the demo"
        )
    accepted = sorted(meant - set(refused) - set(r.skipped))
    if accepted:
        r.notes.append(f"{len(accepted)} application(s) meant to be refused were accepted")

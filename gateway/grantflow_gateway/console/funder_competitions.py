"""The funder's competitions: the list, one competition with its panel and expert coverage, and
the steps that move it on (open, close, assign experts, close scoring, decide the awards)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from grantflow_runtime.context import Role
from grantflow_runtime.coverage import coverage
from starlette.responses import Response

from grantflow_gateway.console.funder_figures import shortfall
from grantflow_gateway.console.funder_reads import (
    announced,
    competition_id,
    competitions_of,
    panel_of,
)
from grantflow_gateway.console.web import PREFIX, Errors, Page
from grantflow_gateway.problems import Problem, Violation

DRAFT, OPEN = "STATE_DRAFT", "STATE_OPEN"
COLLECTING = "STATE_COLLECTING"
# What a step's redirect may announce (`?done=`), each with its text `funder.done.<name>`.
DONE = frozenset({"opened", "closed", "scoring_closed", "due_set"})
# Refusals a person can act on (a missing reason, a step in the wrong state) are shown on the
# form; the rest (not found, not allowed, a service down) are the error page's.
_SHOWN_ON_FORM = frozenset({400, 409, 422})


async def _count_applications(p: Page, competition: dict[str, Any]) -> int | None:
    """Applications the funder sees (never drafts); none can exist before it opens."""
    if competition.get("state") == DRAFT:
        return None
    first = await p.call(
        "ListApplications", query=[("competitionId", str(competition["id"])), ("pageSize", "1")]
    )
    # int32 zero is left out of the JSON mapping.
    return int(first.get("totalSize", 0))


async def competitions(p: Page) -> Response:
    found = await competitions_of(p)
    counts = await asyncio.gather(*(_count_applications(p, c) for c, _ in found))
    rows = [
        {"competition": c, "panel": panel, "applications": n}
        for (c, panel), n in zip(found, counts, strict=True)
    ]
    return p.render("funder/competitions.html", rows=rows)


def runs(p: Page, competition: dict[str, Any], panel: dict[str, Any] | None) -> bool:
    """Whether the caller runs the competition, as far as the API tells (see own_competitions):
    only then are its steps offered."""
    return p.identity.role is Role.ADMIN or competition.get("state") == DRAFT or panel is not None


async def show(
    p: Page,
    cid: str,
    *,
    errors: Errors | None = None,
    status: int = 200,
    assigned: dict[str, Any] | None = None,
    reason: str = "",
    typed_due: str | None = None,
) -> Response:
    """The competition page, after a GET or with what a step answered or refused."""
    competition, panel = await asyncio.gather(p.call("GetCompetition", cid), panel_of(p, cid))
    cover = None
    if panel is not None and panel.get("state") != COLLECTING:
        # Coverage from part of a list would report covered applications as short of experts,
        # so these are read whole, however long.
        applications, assignments, experts = await asyncio.gather(
            p.every("ListApplications", "applications", query=[("competitionId", cid)], whole=True),
            p.every("ListAssignments", "assignments", query=[("competitionId", cid)], whole=True),
            p.every("ListExperts", "experts", whole=True),
        )
        cover = coverage(
            applications, assignments, int(panel.get("expertsPerApplication", 0)), experts
        )
    titles = (
        {a.application_id: a.title for a in (*cover.full, *cover.partial, *cover.none)}
        if cover
        else {}
    )
    return p.render(
        "funder/competition.html",
        status=status,
        competition=competition,
        panel=panel,
        runs=runs(p, competition, panel),
        cover=cover,
        titles=titles,
        assigned=assigned,
        why=lambda unassigned: shortfall(p.t, unassigned),
        errors=errors or Errors(),
        reason=reason,
        done=announced(p, DONE),
        # A refused date stays as typed, to be corrected rather than typed again.
        due=typed_due
        if typed_due is not None
        else due_day(panel, str(competition.get("timeZone") or "UTC")),
    )


async def competition(p: Page) -> Response:
    return await show(p, competition_id(p))


async def _refused(
    p: Page, cid: str, problem: Problem, *, reason: str = "", typed_due: str | None = None
) -> Response:
    if problem.status not in _SHOWN_ON_FORM:
        raise problem
    errors = p.problem_violations(problem)
    return await show(
        p, cid, errors=errors, status=problem.status, reason=reason, typed_due=typed_due
    )


def _back(cid: str, done: str) -> str:
    return f"{PREFIX}/competitions/{cid}?done={done}"


async def _take(
    p: Page,
    cid: str,
    rpc: str,
    *,
    then: str,
    body: dict[str, Any] | None = None,
    key: str | None = None,
    reason: str = "",
) -> Response:
    """One step: the call, then on to `then` (post, redirect, get: a reload repeats nothing), or
    the competition page again with why the step was refused."""
    try:
        await p.call(rpc, cid, body=body, key=key)
    except Problem as problem:
        return await _refused(p, cid, problem, reason=reason)
    return p.redirect(then)


async def open_competition(p: Page) -> Response:
    cid = competition_id(p)
    return await _take(p, cid, "OpenCompetition", then=_back(cid, "opened"))


async def close_competition(p: Page) -> Response:
    cid = competition_id(p)
    reason = (await p.form()).text("earlyCloseReason")
    body = {"earlyCloseReason": reason}
    return await _take(
        p, cid, "CloseCompetition", body=body, reason=reason, then=_back(cid, "closed")
    )


async def scores_due(p: Page) -> Response:
    """The panel's advisory deadline: the end of the chosen day where the competition runs."""
    cid = competition_id(p)
    form = await p.form()
    day = form.date("scoresDueTime")
    typed = form.text("scoresDueTime")
    if form.problems:
        return await show(p, cid, errors=Errors(form.problems), status=422, typed_due=typed)
    body: dict[str, Any] = {}
    if day is not None:
        competition = await p.call("GetCompetition", cid)
        body["scoresDueTime"] = end_of_day(day, str(competition.get("timeZone") or "UTC"))
    try:
        await p.call("UpdatePanel", cid, query=[("updateMask", "scoresDueTime")], body=body)
    except Problem as problem:
        return await _refused(p, cid, problem, typed_due=typed)
    return p.redirect(_back(cid, "due_set"))


def due_day(panel: dict[str, Any] | None, zone: str) -> str:
    """The panel's deadline as the date input shows it: the day in `zone` it ends."""
    stamp = (panel or {}).get("scoresDueTime")
    if not stamp:
        return ""
    moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()


def end_of_day(day: dict[str, int], zone: str) -> str:
    """The last second of `day` in `zone`, as RFC 3339 in UTC."""
    last = datetime(day["year"], day["month"], day["day"], 23, 59, 59, tzinfo=ZoneInfo(zone))
    return last.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def assign_experts(p: Page) -> Response:
    cid = competition_id(p)
    try:
        result = await p.call("AssignExperts", cid)
    except Problem as problem:
        return await _refused(p, cid, problem)
    # Shown on the page it answers rather than after a redirect: the applications still short of
    # experts, with why, are the point. Assigning again is harmless (it only fills gaps).
    return await show(p, cid, assigned=result)


async def close_scoring(p: Page) -> Response:
    cid = competition_id(p)
    return await _take(p, cid, "ClosePanel", then=_back(cid, "scoring_closed"))


async def decide_awards(p: Page) -> Response:
    cid = competition_id(p)
    if not (await p.form()).flag("confirm"):
        errors = Errors([Violation("confirm", p.t("funder.decide.unconfirmed"), "required")])
        return await show(p, cid, errors=errors, status=422)
    # The same key as the command line's `grantflow decide`: the decision is made once whichever
    # way it is asked for, and a repeated post answers with the same decision.
    awards = f"{PREFIX}/competitions/{cid}/awards?done=decided"
    return await _take(p, cid, "DecideAwards", key=f"decide-{cid}", then=awards)

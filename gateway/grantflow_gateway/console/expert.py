"""Expert pages: the expert's assignments across competitions with their due dates, one assignment
with the application as the assignment shows it and the score sheet built from the rubric, the
expert's own submitted score and its revision, and declaring a conflict of interest.

Every call goes out as the signed-in expert, so the scoring service decides what the expert may
see: its own assignments, never a conflicted application's content, never another expert's
score (ListScores answers an expert with its own only, and this page asks for nothing else)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from grantflow_runtime.context import Role
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from grantflow_gateway.console.expert_rules import (
    CANCELLED,
    Criterion,
    best_total,
    comment_name,
    comment_rule,
    count,
    criteria_of,
    explain,
    is_overdue,
    list_order,
    read_sheet,
    scoring_over,
    typed_from_score,
    value_name,
    weights_for,
)
from grantflow_gateway.console.web import PREFIX, Console, Errors, Page
from grantflow_gateway.problems import Problem, Violation

EXPERT = frozenset({Role.EXPERT})
# Competitions read at once for one page view: enough to hide the latency of a few dozen, few
# enough not to crowd the applications service.
CONCURRENT_READS = 8
CONFLICT_REASON = "conflict.reason"


@dataclass(frozen=True)
class Row:
    assignment: dict[str, Any]
    overdue: bool


@dataclass(frozen=True)
class Group:
    competition: dict[str, Any]
    rows: list[Row]

    @property
    def due(self) -> str:
        """The panel's deadline: one for every assignment of a competition."""
        return next((r.assignment["dueTime"] for r in self.rows if r.assignment.get("dueTime")), "")


def assignment_url(competition_id: str, application_id: str) -> str:
    return f"{PREFIX}/assignments/{quote(competition_id, safe='')}/{quote(application_id, safe='')}"


def routes(console: Console) -> list[BaseRoute]:
    @console.page(EXPERT)
    async def assignments(p: Page) -> Response:
        now = datetime.now(UTC)
        # One listing across every competition (the service gives an expert only its own),
        # then only the competitions those assignments belong to.
        found = await p.every("ListAssignments", "assignments")
        by_competition: dict[str, list[dict[str, Any]]] = {}
        for item in found:
            by_competition.setdefault(str(item.get("competitionId", "")), []).append(item)
        gate = asyncio.Semaphore(CONCURRENT_READS)

        async def competition(cid: str) -> dict[str, Any]:
            async with gate:
                return await p.call("GetCompetition", cid)

        competitions = await asyncio.gather(*(competition(cid) for cid in by_competition))
        groups = [
            Group(
                c,
                [
                    Row(a, is_overdue(a, now))
                    for a in sorted(by_competition[str(c["id"])], key=lambda a: list_order(a, now))
                ],
            )
            # Newest competition first, as the competitions list shows them.
            for c in sorted(competitions, key=lambda c: str(c.get("createTime", "")), reverse=True)
        ]
        return p.render(
            "expert/assignments.html",
            groups=groups,
            counts=count(found, now),
            assignment_url=assignment_url,
        )

    @console.page(EXPERT)
    async def assignment(p: Page) -> Response:
        competition_id, application_id = _ids(p)
        # A post is checked for its CSRF token before anything else is read or said.
        form = await p.form() if p.request.method == "POST" else None
        item = await _assignment(p, competition_id, application_id)
        if form is None:
            notice = {
                "submitted": "expert.sheet.submitted",
                "declared": "expert.conflict.declared",
            }.get(p.request.query_params.get("done", ""), "")
            return await _show(
                p, item, revise=p.request.query_params.get("revise") == "1", notice=notice
            )
        if item.get("state") == CANCELLED:
            return p.redirect(assignment_url(competition_id, application_id))
        rubric = await p.call("GetRubric", competition_id)
        criteria = criteria_of(rubric)
        own = await _own_score(p, item)
        sheet = read_sheet(form, criteria, revising=own is not None)
        problems = sheet.problems
        status = 422
        if sheet.rubric_changed:
            problems = [Violation("", p.t("expert.sheet.rubric_changed"), "rubric_changed")]
            status = 409
        elif sheet.body is not None:
            try:
                await p.call("SubmitScore", application_id, body=sheet.body)
            except Problem as problem:
                problems = p.problem_violations(problem).items
                status = problem.status
            else:
                return p.redirect(
                    assignment_url(competition_id, application_id) + "?done=submitted"
                )
        return await _show(
            p,
            item,
            rubric=rubric,
            own=own,
            revise=True,
            typed=sheet.typed,
            problems=problems,
            status=status,
        )

    @console.page(EXPERT)
    async def conflict(p: Page) -> Response:
        competition_id, application_id = _ids(p)
        form = await p.form()
        item = await _assignment(p, competition_id, application_id)
        back = assignment_url(competition_id, application_id)
        if item.get("state") == CANCELLED:
            return p.redirect(back)
        reason = form.values.get(CONFLICT_REASON, "")
        if not reason.strip():
            problems = [Violation(CONFLICT_REASON, "is required", "required")]
            status = 422
        else:
            try:
                await p.call(
                    "DeclareConflict",
                    body={"applicationId": application_id, "reason": reason.strip()},
                )
            except Problem as problem:
                problems = p.problem_violations(problem).items
                status = problem.status
            else:
                return p.redirect(back + "?done=declared")
        return await _show(p, item, conflict_reason=reason, problems=problems, status=status)

    assignment_path = f"{PREFIX}/assignments/{{competition_id}}/{{application_id}}"
    return [
        Route(f"{PREFIX}/assignments", assignments, methods=["GET"]),
        Route(assignment_path, assignment, methods=["GET", "POST"]),
        Route(f"{assignment_path}/conflict", conflict, methods=["POST"]),
    ]


def _ids(p: Page) -> tuple[str, str]:
    params = p.request.path_params
    return str(params["competition_id"]), str(params["application_id"])


async def _assignment(p: Page, competition_id: str, application_id: str) -> dict[str, Any]:
    """The caller's own assignment of the application; 404 for anything else, so an id that is
    not the expert's reads the same as one that does not exist."""
    try:
        mine = await p.every(
            "ListAssignments", "assignments", query=[("competitionId", competition_id)]
        )
    except Problem as problem:
        if problem.status != 404:
            raise
        mine = []
    for item in mine:
        if item.get("applicationId") == application_id:
            return item
    raise Problem(404, p.t("expert.not_found"), reason="ASSIGNMENT_NOT_FOUND")


async def _own_score(p: Page, item: Mapping[str, Any]) -> dict[str, Any] | None:
    """The expert's latest score of the assignment's application. ListScores answers an expert
    with its own scores only; keeping to the assignment's expert id as well means a change there
    could never put somebody else's score on this page."""
    reply = await p.call(
        "ListScores",
        query=[
            ("competitionId", str(item["competitionId"])),
            ("applicationId", str(item["applicationId"])),
        ],
    )
    own = [s for s in reply.get("scores", []) if s.get("expertId") == item.get("expertId")]
    return max(own, key=lambda s: int(s.get("revision", 0))) if own else None


async def _competition(p: Page, competition_id: str) -> dict[str, Any] | None:
    try:
        return await p.call("GetCompetition", competition_id)
    except Problem as problem:
        # The title is a courtesy; the assignment stands without it.
        if problem.status in (403, 404):
            return None
        raise


async def _show(
    p: Page,
    item: dict[str, Any],
    *,
    rubric: dict[str, Any] | None = None,
    own: dict[str, Any] | None = None,
    revise: bool = False,
    typed: Mapping[str, str] | None = None,
    problems: Sequence[Violation] = (),
    conflict_reason: str = "",
    notice: str = "",
    status: int = 200,
) -> Response:
    """The assignment page; after a refused post, with what the expert typed and why."""
    competition_id = str(item["competitionId"])
    competition = await _competition(p, competition_id)
    cancelled = item.get("state") == CANCELLED
    criteria: list[Criterion] = []
    weights: dict[str, Any] = {}
    if not cancelled:
        rubric = rubric if rubric is not None else await p.call("GetRubric", competition_id)
        criteria = criteria_of(rubric)
        weights = weights_for(rubric, item.get("application", {}).get("requested"))
        if own is None:
            own = await _own_score(p, item)
    over = scoring_over(competition)
    # The sheet shows for a first score, and for a revision when asked for or being corrected.
    show_sheet = not cancelled and not over and (own is None or revise)
    values = dict(typed) if typed is not None else typed_from_score(own, criteria)
    labels = _labels(p, criteria)
    errors = Errors(
        [Violation(v.field, explain(v, criteria, values, p.t), v.reason) for v in problems]
    )
    application = item.get("application", {})
    return p.render(
        "expert/assignment.html",
        status=status,
        heading=p.t("expert.assignment.cancelled_title")
        if cancelled
        else application.get("title") or p.t("expert.list.hidden"),
        item=item,
        application=application,
        competition=competition,
        cancelled=cancelled,
        overdue=is_overdue(item, datetime.now(UTC)),
        criteria=criteria,
        weights=weights,
        best=best_total(criteria, weights),
        own=own,
        own_by_code={s.get("code"): s for s in (own or {}).get("scores", [])},
        show_sheet=show_sheet,
        scoring_over=over,
        revising=own is not None,
        values=values,
        errors=errors,
        error_labels=labels,
        conflict_reason=conflict_reason,
        notice=notice,
        url=assignment_url(competition_id, str(item["applicationId"])),
        comment_rule=lambda c: comment_rule(c, p.t),
        value_name=value_name,
        comment_name=comment_name,
    )


def _labels(p: Page, criteria: Sequence[Criterion]) -> dict[str, str]:
    """What each input is called, for the error summary: a criterion's title, not a JSON path."""
    labels = {
        "scores": p.t("expert.sheet.heading"),
        "reason": p.t("expert.sheet.reason"),
        CONFLICT_REASON: p.t("expert.conflict.reason"),
    }
    for i, c in enumerate(criteria):
        labels[value_name(i)] = p.t("expert.sheet.score_of", criterion=c.title)
        labels[comment_name(i)] = p.t("expert.sheet.comment_of", criterion=c.title)
    return labels


__all__ = ["assignment_url", "routes"]

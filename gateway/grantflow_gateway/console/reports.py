"""The grantee's pages after an award: agreements, the reporting schedule, progress and alerts,
and the periodic report form (save a draft, submit, correct a filed report)."""

from __future__ import annotations

import asyncio
from typing import Any

from grantflow_impact.domain.agreements import is_percentage
from grantflow_runtime.context import Role
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from grantflow_gateway.console.report_form import (
    REVENUE_CATEGORIES,
    report_body,
    report_field_label,
    report_view,
    revenue_input,
    rows_by_posted_index,
    to_form_field,
)
from grantflow_gateway.console.web import PREFIX, Console, Errors, Page
from grantflow_gateway.problems import Problem, Violation

GRANTEE = (Role.APPLICANT, Role.ADMIN)
# Funders read their grantees' agreements and decide on submitted reports.
VIEWERS = (Role.APPLICANT, Role.FUNDER, Role.ADMIN)
REVIEWERS = (Role.FUNDER, Role.ADMIN)
# A report not filed yet ("" when none is started) is saved as a draft and submitted.
DRAFTING = {"", "STATE_DRAFT"}
# A filed report changes only by a correction: a new version with what it changes, reviewed
# again. A returned one opens for it at once; a submitted or accepted one when the grantee asks.
CORRECTABLE = {"STATE_SUBMITTED", "STATE_RETURNED", "STATE_ACCEPTED"}
# What a redirect to the agreement page may announce, each with its text.
NOTICES = {
    "submitted": "report.notice.submitted",
    "corrected": "report.notice.corrected",
    "accepted": "report.notice.accepted",
    "returned": "report.notice.returned",
}


def routes(console: Console) -> list[BaseRoute]:
    page = console.page(VIEWERS)

    @page
    async def agreements(p: Page) -> Response:
        found = await p.every("ListAgreements", "agreements")
        return p.render("applicant/agreements.html", agreements=found)

    @page
    async def agreement(p: Page) -> Response:
        agreement_id = p.request.path_params["id"]
        found, listed, progress, alerting = await asyncio.gather(
            p.call("GetAgreement", agreement_id),
            p.call("ListReports", agreement_id),
            p.call("GetProgress", agreement_id),
            p.call("ListAlerts", query=[("agreementId", agreement_id)]),
        )
        reports, alerts = listed.get("reports", []), alerting.get("alerts", [])
        done = p.request.query_params.get("done", "")
        return p.render(
            "applicant/agreement.html",
            agreement=found,
            periods=schedule(found, reports),
            progress=progress,
            alerts=alerts,
            notice=p.t(NOTICES[done]) if done in NOTICES else "",
        )

    @page
    async def report(p: Page) -> Response:
        found, period, current = await _period(p)
        agreement_id, number = found["id"], str(period["number"])
        state = (current or {}).get("state", "")
        if p.request.method == "GET":
            asked = bool(p.request.query_params.get("correct"))
            correcting = state == "STATE_RETURNED" or (state in CORRECTABLE and asked)
            view = report_view(current, found)
            return _report_page(p, found, period, current, view, correcting=correcting)
        if p.identity.role not in GRANTEE:
            raise Problem(403, p.t("error.role"), reason="ROLE_NOT_ALLOWED")
        form = await p.form()
        correcting = state in CORRECTABLE
        body = report_body(form, found)
        values = {**report_view(current, found), **form.values}
        if form.problems:
            errors = Errors(form.problems)
            return _report_page(p, found, period, current, values, errors, 422, correcting)
        try:
            if correcting:
                reason = form.text("correctionReason")
                await p.call(
                    "CorrectReport", agreement_id, number, body={**body, "correctionReason": reason}
                )
                return p.redirect(f"{PREFIX}/agreements/{agreement_id}?done=corrected")
            await p.call("SaveReportDraft", agreement_id, number, body=body)
            if form.text("action") == "submit":
                await p.call("SubmitReport", agreement_id, number)
                return p.redirect(f"{PREFIX}/agreements/{agreement_id}?done=submitted")
        except Problem as problem:
            moves = rows_by_posted_index(body, found)
            errors = _moved(p.problem_violations(problem, strip="report."), moves)
            status = problem.status
            return _report_page(p, found, period, current, values, errors, status, correcting)
        return p.redirect(f"{PREFIX}/agreements/{agreement_id}/reports/{number}?saved=1")

    @console.page(REVIEWERS)
    async def review(p: Page) -> Response:
        """The funder accepts a submitted report, or returns it with what to fix."""
        found, period, current = await _period(p)
        form = await p.form()
        accept = form.text("action") == "accept"
        if current is None:
            raise Problem(404, p.t("report.review.none"), reason="NO_REPORT")
        try:
            await p.call(
                "AcceptReport" if accept else "ReturnReport",
                current["id"],
                body={"comment": form.text("comment")},
            )
        except Problem as problem:
            values = {**report_view(current, found), "comment": form.text("comment")}
            errors = p.problem_violations(problem)
            return _report_page(p, found, period, current, values, errors, problem.status)
        done = "accepted" if accept else "returned"
        return p.redirect(f"{PREFIX}/agreements/{found['id']}?done={done}")

    return [
        Route(f"{PREFIX}/agreements", agreements),
        Route(f"{PREFIX}/agreements/{{id}}", agreement),
        Route(f"{PREFIX}/agreements/{{id}}/reports/{{number}}", report, methods=["GET", "POST"]),
        Route(f"{PREFIX}/agreements/{{id}}/reports/{{number}}/review", review, methods=["POST"]),
    ]


async def _period(
    p: Page,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """The agreement, the reporting period the path names and the period's newest report."""
    agreement_id = p.request.path_params["id"]
    number = p.request.path_params["number"]
    found, listed = await asyncio.gather(
        p.call("GetAgreement", agreement_id), p.call("ListReports", agreement_id)
    )
    period = next((s for s in found.get("schedule", []) if str(s.get("number")) == number), None)
    if period is None:
        raise Problem(404, p.t("report.no_period", number=number), reason="NO_SUCH_PERIOD")
    return found, period, latest(listed, int(number))


def _report_page(
    p: Page,
    found: dict[str, Any],
    period: dict[str, Any],
    current: dict[str, Any] | None,
    values: dict[str, str],
    errors: Errors | None = None,
    status: int = 200,
    correcting: bool = False,
) -> Response:
    state = (current or {}).get("state", "")
    grantee = p.identity.role in GRANTEE
    return p.render(
        "applicant/report.html",
        status=status,
        agreement=found,
        period=period,
        report=current,
        editable=grantee and (state in DRAFTING or correcting),
        correcting=grantee and correcting,
        correctable=grantee and state in CORRECTABLE and not correcting,
        reviewable=p.identity.role in REVIEWERS and state == "STATE_SUBMITTED",
        values=values,
        errors=errors or Errors(),
        revenue=[(c, revenue_input(c)) for c in REVENUE_CATEGORIES],
        # Only percentage indicators take a numerator and a denominator (impact's rule).
        percentage=[is_percentage(i.get("unit", "")) for i in found.get("indicators", [])],
        saved=bool(p.request.query_params.get("saved")),
        label_of=lambda field: report_field_label(p.t, found, field),
    )


def latest(listing: dict[str, Any], number: int) -> dict[str, Any] | None:
    """The newest version of the period's report, if any."""
    versions = [r for r in listing.get("reports", []) if int(r.get("periodNumber", 0)) == number]
    return max(versions, key=lambda r: int(r.get("version", 0)), default=None)


def schedule(agreement: dict[str, Any], reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each reporting period with the state of its newest report ("" when none is started)."""
    listing = {"reports": reports}
    return [
        {**period, "report": latest(listing, int(period.get("number", 0)))}
        for period in agreement.get("schedule", [])
    ]


def _moved(errors: Errors, moves: dict[str, str]) -> Errors:
    return Errors(
        [Violation(to_form_field(v.field, moves), v.description, v.reason) for v in errors.items]
    )

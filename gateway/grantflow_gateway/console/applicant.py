"""Applicant pages: the organisation's applications, drafting with live totals and every rule
violation before submitting, submitting and withdrawing."""

from __future__ import annotations

import re
import uuid
from typing import Any

from grantflow_runtime.context import Role
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from grantflow_gateway.console import reports
from grantflow_gateway.console.application_form import (
    COFINANCING_TYPES,
    application_body,
    field_label,
    form_view,
    posted_view,
    renumbered,
)
from grantflow_gateway.console.forms import Form
from grantflow_gateway.console.places import region_options
from grantflow_gateway.console.web import PREFIX, Console, Errors, Page
from grantflow_gateway.problems import Problem, Violation, json_path

APPLICANT = (Role.APPLICANT, Role.ADMIN)
# States in which the applicant may still withdraw (before the funder's decision).
WITHDRAWABLE = {"STATE_SUBMITTED", "STATE_UNDER_REVIEW"}


def routes(console: Console) -> list[BaseRoute]:
    page = console.page(APPLICANT)

    @page
    async def applications(p: Page) -> Response:
        organisation = await _organisation(p)
        mine = (
            await p.every("ListApplications", "applications", query=_own(p)) if organisation else []
        )
        competitions = {c["id"]: c for c in await p.every("ListCompetitions", "competitions")}
        open_now = [c for c in competitions.values() if c.get("state") == "STATE_OPEN"]
        return p.render(
            "applicant/applications.html",
            organisation=organisation,
            applications=mine,
            competitions=competitions,
            open_competitions=open_now,
        )

    @page
    async def new_application(p: Page) -> Response:
        competition = await p.call("GetCompetition", p.request.query_params.get("competition", ""))
        if p.request.method == "GET":
            return _draft_page(p, competition, None, form_view({}), Errors(), None)
        form = await p.form()
        body = application_body(form, currency=_currency(competition))
        body |= {"competitionId": competition["id"], "organisationId": p.identity.organisation_id}
        if form.problems:
            return _refused(p, competition, None, form)
        try:
            created = await p.call("CreateApplication", body=body, key=form.text("key"))
        except Problem as problem:
            return _refused(p, competition, None, form, problem)
        return p.redirect(f"{PREFIX}/applications/{created['id']}?saved=1")

    @page
    async def application(p: Page) -> Response:
        application_id = p.request.path_params["id"]
        current, competition = await _with_competition(p, application_id)
        if p.request.method == "POST":
            form = await p.form()
            body = application_body(form, currency=_currency(competition))
            body |= {"id": application_id, "version": form.integer("version") or 0}
            if form.problems:
                return _refused(p, competition, current, form)
            try:
                await p.call("UpdateApplication", application_id, body=body)
            except Problem as problem:
                return _refused(p, competition, current, form, problem)
            return p.redirect(f"{PREFIX}/applications/{application_id}?saved=1")
        if current.get("state") != "STATE_DRAFT":
            return p.render(
                "applicant/application.html",
                application=current,
                competition=competition,
                withdrawable=current.get("state") in WITHDRAWABLE,
                errors=Errors(),
                notice=_notice(p),
            )
        checked = await p.call("ValidateApplication", application_id)
        rules = Errors.of(_violations(checked.get("violations", [])), strip="application.")
        return _draft_page(p, competition, current, form_view(current), rules, checked)

    @page
    async def submit(p: Page) -> Response:
        application_id = p.request.path_params["id"]
        form = await p.form()
        try:
            await p.call("SubmitApplication", application_id, key=form.text("key"))
        except Problem as problem:
            current, competition = await _with_competition(p, application_id)
            checked = await p.call("ValidateApplication", application_id)
            errors = p.problem_violations(problem, strip="application.")
            return _draft_page(
                p, competition, current, form_view(current), errors, checked, status=problem.status
            )
        return p.redirect(f"{PREFIX}/applications/{application_id}?submitted=1")

    @page
    async def withdraw(p: Page) -> Response:
        application_id = p.request.path_params["id"]
        form = await p.form()
        try:
            await p.call(
                "WithdrawApplication", application_id, body={"reason": form.text("reason")}
            )
        except Problem as problem:
            current, competition = await _with_competition(p, application_id)
            return p.render(
                "applicant/application.html",
                status=problem.status,
                application=current,
                competition=competition,
                withdrawable=current.get("state") in WITHDRAWABLE,
                errors=p.problem_violations(problem),
                notice="",
            )
        return p.redirect(f"{PREFIX}/applications/{application_id}?withdrawn=1")

    return [
        Route(f"{PREFIX}/applications", applications),
        Route(f"{PREFIX}/applications/new", new_application, methods=["GET", "POST"]),
        Route(f"{PREFIX}/applications/{{id}}", application, methods=["GET", "POST"]),
        Route(f"{PREFIX}/applications/{{id}}/submit", submit, methods=["POST"]),
        Route(f"{PREFIX}/applications/{{id}}/withdraw", withdraw, methods=["POST"]),
        *reports.routes(console),
    ]


async def _with_competition(p: Page, application_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The application and the competition it was written for."""
    current = await p.call("GetApplication", application_id)
    return current, await p.call("GetCompetition", current["competitionId"])


async def _organisation(p: Page) -> dict[str, Any] | None:
    if not p.identity.organisation_id:
        return None
    return await p.call("GetOrganisation", p.identity.organisation_id)


def _own(p: Page) -> list[tuple[str, str]]:
    return [("organisationId", p.identity.organisation_id)] if p.identity.organisation_id else []


def _currency(competition: dict[str, Any]) -> str:
    budget = competition.get("budget") or {}
    return str(budget.get("currencyCode") or "RUB")


def _violations(items: list[dict[str, Any]]) -> list[Violation]:
    return [
        Violation(json_path(v.get("field", "")), v.get("description", ""), v.get("rule", ""))
        for v in items
    ]


def _notice(p: Page) -> str:
    for flag in ("saved", "submitted", "withdrawn"):
        if p.request.query_params.get(flag):
            return p.t(f"applicant.notice.{flag}")
    return ""


def _refused(
    p: Page,
    competition: dict[str, Any],
    current: dict[str, Any] | None,
    form: Form,
    problem: Problem | None = None,
) -> Response:
    """The form again, as typed, with what was wrong beside each input. The form's own problems
    name rows as they were posted, blank ones included, so they are renumbered the way the page
    shows the rows; the service's name rows of the body sent, where blank rows were already
    left out, which is how the page shows them."""
    if problem is None:
        shown = [
            Violation(renumbered(form, v.field), v.description, v.reason) for v in form.problems
        ]
        errors = Errors(shown)
    elif problem.violations:
        errors = Errors.of(problem.violations, strip="application.")
    else:
        errors = p.problem_violations(problem)
    return _draft_page(
        p,
        competition,
        current,
        posted_view(form),
        errors,
        None,
        status=problem.status if problem else 422,
        # The version the edit was made on: after a conflict, saving again must be checked
        # against it, not quietly made on the newer version.
        version=form.integer("version"),
    )


def _draft_page(
    p: Page,
    competition: dict[str, Any],
    current: dict[str, Any] | None,
    view: dict[str, Any],
    errors: Errors,
    checked: dict[str, Any] | None,
    *,
    status: int = 200,
    version: int | None = None,
) -> Response:
    return p.render(
        "applicant/draft.html",
        status=status,
        competition=competition,
        application=current,
        version=version if version is not None else (current or {}).get("version"),
        view=view,
        errors=errors,
        checked=checked,
        cofinancing_types=COFINANCING_TYPES,
        key=uuid.uuid4().hex,
        notice=_notice(p),
        directions=[
            (code, p.t.maybe(f"direction.{code}", code))
            for code in competition.get("directionCodes", [])
        ],
        label_of=lambda field: field_label(p.t, field),
        regions=region_options(p.language, competition.get("eligibleRegionCodes") or None),
        chosen_regions=set(re.split(r"[\s,]+", view["values"]["regionCodes"].upper())),
    )

"""Applicants: each organisation registers (as its own applicant), drafts its application and
submits it; the invalid ones are refused with every rule they break."""

from __future__ import annotations

from typing import Any

from grantflow_cli.client import ApiError
from grantflow_cli.demo import bodies
from grantflow_cli.demo.state import Round
from grantflow_cli.demo.steps import in_parallel

Json = dict[str, Any]


def known_ids(r: Round) -> None:
    """Ids of what an earlier run already registered: organisations by INN, applications by
    organisation (the admin sees drafts too)."""
    by_inn = {o.inn: o.number for o in r.plan.organisations}
    for organisation in r.admin.pages("/v1/organisations", "organisations"):
        number = by_inn.get(organisation["inn"])
        if number is not None:
            r.org_ids[number] = organisation["id"]
    by_org = {org_id: number for number, org_id in r.org_ids.items()}
    for application in r.admin.pages("/v1/applications", "applications", competitionId=r.id):
        number = by_org.get(application["organisationId"])
        if number is not None:
            r.app_ids[number] = application["id"]


def register_and_apply(r: Round) -> dict[int, list[Json]]:
    """Every organisation of the plan applies; returns the violations of refused submissions."""
    numbers = [o.number for o in r.plan.organisations]
    with r.steps.phase("Organisations apply", total=len(numbers)) as step:
        outcomes = in_parallel(
            numbers, lambda n: _apply(r, n), workers=r.settings.concurrency, step=step
        )
    return {n: found for n, found in zip(numbers, outcomes, strict=True) if found}


def _apply(r: Round, number: int) -> list[Json]:
    org = r.plan.organisation(number)
    if number not in r.org_ids:
        with r.applicant(number) as registrar:
            try:
                created = registrar.post(
                    "/v1/organisations",
                    bodies.organisation_body(org),
                    key=r.key("organisation", number),
                )
            except ApiError as exc:
                if exc.status != 409:
                    raise
                # Someone outside the demo registered this INN: the demo cannot act for it.
                r.skipped[number] = "INN already registered outside the demo"
                return []
        r.org_ids[number] = created["id"]
    with r.applicant(number, r.org_ids[number]) as applicant:
        if number not in r.app_ids:
            body = bodies.application_body(r.plan.application(number), r.id, r.org_ids[number])
            created = applicant.post("/v1/applications", body, key=r.key("application", number))
            r.app_ids[number] = created["id"]
        try:
            applicant.post(
                f"/v1/applications/{r.app_ids[number]}:submit", key=r.key("submit", number)
            )
        except ApiError as exc:
            if exc.status == 422:
                violations: list[Json] = exc.problem.get("violations") or []
                return violations
            if exc.status == 409 and exc.problem.get("reason") == "STATE":
                return []  # submitted by an earlier run
            raise
    return []

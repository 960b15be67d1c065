"""After the award: agreements arrive from the award events, grantees report quarter by quarter
(draft, submit; the funder accepts, or returns one and the grantee corrects it), and the best
projects become practices that other regions adopt."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from grantflow_cli.client import ApiError
from grantflow_cli.demo.api import Caller, wait_until
from grantflow_cli.demo.practices_model import adoptions, choose, practice_body
from grantflow_cli.demo.reports_model import (
    Context,
    Trajectory,
    corrected_body,
    progress_periods,
    report_body,
    returned_comment,
)
from grantflow_cli.demo.state import Round
from grantflow_cli.demo.steps import Step, in_parallel

Json = dict[str, Any]
ACCEPTED_COMMENT = "Отчёт принят."


def agreements(r: Round, awards: int) -> list[Json]:
    """The award agreements, which impact makes from the award events."""
    with r.steps.phase("Agreements signed", total=awards) as step:

        def probe() -> list[Json] | None:
            found = r.funder.pages("/v1/agreements", "agreements", competitionId=r.id)
            step.progress.update(step.task, completed=len(found))
            return found if len(found) >= awards else None

        return wait_until(probe, what=f"{awards} award agreements")


def file_reports(
    r: Round, signed: list[Json], paths: dict[int, Trajectory], returned: set[int]
) -> dict[str, list[str]]:
    """Every funded project reports on its first quarters; returns the accepted report ids per
    agreement, the evidence a practice rests on."""
    refusals: list[str] = []

    periods = sum(len(progress_periods(a, r.settings.quarters)) for a in signed)
    with r.steps.phase("Quarterly reports", total=periods) as step:

        def one(agreement: Json) -> list[str]:
            number = r.number_of(agreement["id"])
            if number is None or number not in paths:
                return []
            return _report(r, agreement, number, paths[number], number in returned, refusals, step)

        accepted = in_parallel(signed, one, workers=r.settings.concurrency)
    if refusals:
        r.notes.append(f"impact refused {len(refusals)} report(s), e.g.: {refusals[0]}")
    return {a["id"]: ids for a, ids in zip(signed, accepted, strict=True)}


def _latest(applicant: Caller, agreement_id: str) -> dict[int, Json]:
    latest: dict[int, Json] = {}
    for report in applicant.get(f"/v1/agreements/{agreement_id}/reports")["reports"]:
        period = int(report["periodNumber"])
        if period not in latest or report["version"] > latest[period]["version"]:
            latest[period] = report
    return latest


def _report(
    r: Round,
    agreement: Json,
    number: int,
    trajectory: Trajectory,
    returned: bool,
    refusals: list[str],
    step: Step,
) -> list[str]:
    with r.applicant(number, agreement["organisationId"]) as applicant:
        return _periods(r, applicant, agreement, number, trajectory, returned, refusals, step)


def _periods(
    r: Round,
    applicant: Caller,
    agreement: Json,
    number: int,
    trajectory: Trajectory,
    returned: bool,
    refusals: list[str],
    step: Step,
) -> list[str]:
    ctx = Context(r.plan.seed, number, trajectory, agreement)
    stored = _latest(applicant, agreement["id"])
    accepted: list[str] = []
    for period in progress_periods(agreement, r.settings.quarters):
        body = report_body(ctx, period)
        latest = stored.get(period)
        # Each pass moves the period's report one step, so a resumed run picks up where it was.
        for _ in range(6):
            state = latest["state"] if latest else "STATE_DRAFT"
            if state == "STATE_ACCEPTED":
                assert latest is not None
                accepted.append(latest["id"])
                step.advance()
                break
            try:
                latest = _step(r, applicant, agreement["id"], period, body, latest, returned)
            except ApiError as exc:
                if exc.status not in (409, 422):
                    raise
                # What the service will not take now (a period not yet begun, should it ever say
                # so) ends this project's reporting; the summary shows what got through.
                refusals.append(f"{agreement['id']} period {period}: {exc}")
                return accepted
    return accepted


def _step(
    r: Round,
    applicant: Caller,
    agreement_id: str,
    period: int,
    body: Json,
    latest: Json | None,
    returned: bool,
) -> Json:
    path = f"/v1/agreements/{agreement_id}/reports/{period}"
    moved: Json
    if latest is None or latest["state"] == "STATE_DRAFT":
        applicant.put(path, body)
        moved = applicant.post(f"{path}:submit", key=r.key("report", agreement_id, period))
    elif latest["state"] == "STATE_SUBMITTED":
        if returned and period == 1 and latest["version"] == 1:
            action, payload = "return", {"comment": returned_comment(body)}
        else:
            action, payload = "accept", {"comment": ACCEPTED_COMMENT}
        moved = r.funder.post(f"/v1/reports/{latest['id']}:{action}", payload)
    elif latest["state"] == "STATE_RETURNED":
        moved = applicant.post(f"{path}:correct", corrected_body(body))
    else:
        raise RuntimeError(f"unexpected report state {latest['state']}")
    return moved


def practices(
    r: Round, signed: list[Json], paths: dict[int, Trajectory], evidence: dict[str, list[str]]
) -> None:
    """Register the best candidates as practices (exemplary projects first) and record where
    they spread; what an earlier run registered or recorded is not repeated."""
    ours = {a["id"]: a for a in signed}
    with r.steps.phase("Practices spread") as step:
        stored = [p for p in r.funder.get("/v1/practices")["practices"] if p["agreementId"] in ours]
        candidates = r.funder.get(f"/v1/competitions/{r.id}/practiceCandidates")["candidates"]
        numbers: dict[int, str] = {}
        for candidate in candidates:
            found = r.number_of(candidate["agreementId"])
            if found is not None:
                numbers[found] = candidate["agreementId"]
        stars = {n for n, t in paths.items() if t is Trajectory.STAR}
        for chosen in choose(list(numbers), stars, len(stored), r.settings.practices):
            agreement = ours[numbers[chosen]]
            if evidence.get(agreement["id"]):
                stored.append(
                    r.funder.post(
                        "/v1/practices", practice_body(agreement, evidence[agreement["id"]])
                    )
                )
        if not candidates and len(stored) < r.settings.practices:
            r.notes.append(
                "no practice candidates yet: impact proposes projects at 100% or more of their"
                " prorated targets with a green organisation, and nothing is prorated before a"
                " share of the project has elapsed"
            )
        today = datetime.now(UTC).date()
        step.total(len(stored))
        for practice in stored:
            origin = r.number_of(practice["agreementId"])
            if origin is None:
                continue
            have = {a["organisationInn"] for a in practice["adoptions"]}
            for adoption in adoptions(r.plan.seed, origin, practice["originRegionCode"], today):
                if adoption["organisationInn"] not in have:
                    r.funder.post(f"/v1/practices/{practice['id']}/adoptions", adoption)
            step.advance()

"""The expert panel: experts registered with their fields, regions and affiliations, conflicts
declared, assignment, scoring until every extra expert the service brought in has scored, the
panel closed and the awards decided."""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import Any

from grantflow_cli.demo import bodies
from grantflow_cli.demo.api import wait_until
from grantflow_cli.demo.scoring_model import outlier_expert, score_sheet
from grantflow_cli.demo.state import Round
from grantflow_cli.demo.steps import in_parallel

Json = dict[str, Any]
MAX_SCORING_ROUNDS = 8  # two first experts, then up to two extra ones, one at a time


def enrol_experts(r: Round) -> None:
    by_subject = {e.subject: e.number for e in r.plan.experts}
    for expert in r.funder.pages("/v1/experts", "experts"):
        number = by_subject.get(expert["subject"])
        if number is not None:
            r.expert_ids[number] = expert["id"]
    missing = [e for e in r.plan.experts if e.number not in r.expert_ids]
    with r.steps.phase("Experts join the panel", total=len(r.plan.experts)) as step:
        step.advance(len(r.plan.experts) - len(missing))

        def create(number: int) -> None:
            plan = r.plan.experts[number - 1]
            made = r.funder.post(
                "/v1/experts", bodies.expert_body(plan), key=r.key("expert", number)
            )
            r.expert_ids[number] = made["id"]

        in_parallel([e.number for e in missing], create, workers=r.settings.concurrency, step=step)


def assignments(r: Round) -> list[Json]:
    return r.funder.pages("/v1/assignments", "assignments", competitionId=r.id)


def declare_conflicts(r: Round) -> None:
    """Experts declare what the service cannot detect (a seat on an applicant's board). Only
    before assignment: afterwards an earlier run has declared them already."""
    if assignments(r):
        return
    for plan in r.plan.experts:
        for inn, reason in plan.declared:
            r.expert(plan.number).post("/v1/conflicts", {"organisationInn": inn, "reason": reason})


def assign(r: Round, submitted: set[str]) -> None:
    """Assign until scoring has seen every submitted application: it learns of submissions from
    events, so the first call may miss some (assignment is incremental). Applications it knows
    but cannot staff fully are reported, not waited for."""
    with r.steps.phase("Experts assigned", total=len(submitted)) as step:
        short: dict[str, str] = {}

        def probe() -> bool | None:
            answer = r.funder.post(f"/v1/competitions/{r.id}:assignExperts")
            short.update({u["applicationId"]: u["reason"] for u in answer["unassigned"]})
            covered = {a["applicationId"] for a in assignments(r)} | set(short)
            step.progress.update(step.task, completed=len(covered & submitted))
            return True if submitted <= covered else None

        wait_until(probe, what="scoring to see every submitted application", every_s=0.5)
    if short:
        reason = next(iter(short.values()))
        r.notes.append(f"{len(short)} application(s) lack experts, e.g.: {reason}")


def score(r: Round) -> None:
    """Experts score what is assigned to them; a divergent pair brings an extra expert at once,
    who is scored in the next round, until nothing is pending."""
    codes = [c["code"] for c in r.funder.get(f"/v1/competitions/{r.id}/rubric")["criteria"]]
    by_id = {expert_id: number for number, expert_id in r.expert_ids.items()}
    with r.steps.phase("Experts score") as step:
        for _ in range(MAX_SCORING_ROUNDS):
            listed = assignments(r)
            step.total(sum(1 for a in listed if a["state"] != "STATE_CANCELLED"))
            step.progress.update(
                step.task, completed=sum(1 for a in listed if a["state"] == "STATE_SCORED")
            )
            originals: dict[str, list[int]] = defaultdict(list)
            for a in listed:
                if not a["extra"] and a["expertId"] in by_id:
                    originals[a["applicationId"]].append(by_id[a["expertId"]])
            pending = [
                a for a in listed if a["state"] == "STATE_PENDING" and a["expertId"] in by_id
            ]
            if not pending:
                break

            in_parallel(
                pending,
                partial(_score_one, r, codes, by_id, originals),
                workers=r.settings.concurrency,
                step=step,
            )
        outside = [
            a
            for a in assignments(r)
            if a["state"] == "STATE_PENDING" and a["expertId"] not in by_id
        ]
        if outside:
            r.notes.append(
                f"{len(outside)} review(s) assigned to experts outside the demo stay unscored"
            )


def _score_one(
    r: Round, codes: list[str], by_id: dict[str, int], originals: dict[str, list[int]], a: Json
) -> None:
    number = r.number_of(a["applicationId"])
    if number is None:
        return
    application = r.plan.application(number)
    expert = r.plan.experts[by_id[a["expertId"]] - 1]
    first = [r.plan.experts[n - 1] for n in originals[a["applicationId"]]]
    outlier = outlier_expert(application, first) == expert.number
    sheet = score_sheet(r.plan.seed, application, expert, codes, outlier=outlier)
    r.expert(expert.number).post(f"/v1/applications/{a['applicationId']}/scores", {"scores": sheet})


def close_and_decide(r: Round) -> Json:
    panel = r.funder.get(f"/v1/competitions/{r.id}/panel")
    if panel["state"] == "STATE_SCORING":
        r.funder.post(f"/v1/competitions/{r.id}/panel:close")
    decision: Json = r.funder.post(
        f"/v1/competitions/{r.id}:decideAwards",
        key=r.key("decide"),
        write=panel["state"] != "STATE_DECIDED",
    )
    return decision

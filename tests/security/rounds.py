"""A whole grant round over HTTP, for tests that need the events and records a real round leaves:
a competition opened, applications submitted, closed early by its funder (no waiting for a
deadline), scored by one expert, awarded, and each award's first report accepted.

Unlike tests/gateway/world.py this takes the organisations and the application title from the
caller (distinctive personal data, an individual entrepreneur, a hostile title) and registers no
practice, so the agreements stay free for a test to use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grantflow.applications.v1 import catalogues_pb2, organisations_pb2
from grantflow_applications.domain.identifiers import inn_check_digits, ogrn_check_digit
from grantflow_runtime.context import Identity, Role

from tests.applications.helpers import application_message, competition_message
from tests.gateway.stack import Stack, as_json
from tests.gateway.world import report_body
from tests.scoring.round_fixture import eventually

EVERY_FORM = [
    catalogues_pb2.LEGAL_FORM_NCO,
    catalogues_pb2.LEGAL_FORM_SOCIAL_ENTERPRISE,
    catalogues_pb2.LEGAL_FORM_INDIVIDUAL_ENTREPRENEUR,
    catalogues_pb2.LEGAL_FORM_COMMERCIAL,
]


def person_inn(prefix10: str) -> str:
    """A 12-digit INN (a person's, as an individual entrepreneur files under) with check digits."""
    return prefix10 + inn_check_digits(prefix10)


def ogrnip(prefix14: str) -> str:
    return prefix14 + ogrn_check_digit(prefix14)


@dataclass(frozen=True)
class Round:
    funder: Identity
    expert: Identity
    competition: str
    # One per organisation, in the order given: who applied for it, and what came of it.
    applicants: tuple[Identity, ...]
    applications: tuple[str, ...]  # each awarded; its agreement has the same id
    reports: tuple[str, ...]  # each agreement's period-1 report, accepted ("" without reports)


async def play_round(
    s: Stack,
    tag: str,
    organisations: Sequence[organisations_pb2.Organisation],
    *,
    title: str = "Early help for families",
    with_reports: bool = True,
    **application_changes: Any,
) -> Round:
    funder = Identity(subject=f"{tag}-funder", role=Role.FUNDER)
    body = as_json(competition_message(title=f"{tag} call", eligible_legal_forms=EVERY_FORM))
    cid = str(
        (await s.call(funder, "POST", "/v1/competitions", json=body, expect=201)).json()["id"]
    )
    await s.call(funder, "POST", f"/v1/competitions/{cid}:open", expect=200)

    async def panel_state() -> str | None:
        got = await s.call(funder, "GET", f"/v1/competitions/{cid}/panel")
        return str(got.json()["state"]) if got.status_code == 200 else None

    await eventually(panel_state)
    # One expert per application, so the round needs one expert only.
    await s.call(
        funder,
        "PATCH",
        f"/v1/competitions/{cid}/panel",
        expect=200,
        params={"updateMask": "expertsPerApplication"},
        json={"expertsPerApplication": 1},
    )
    applicants: list[Identity] = []
    applications: list[str] = []
    for i, organisation in enumerate(organisations):
        owner = Identity(subject=f"{tag}-applicant-{i}", role=Role.APPLICANT)
        created = await s.call(
            owner, "POST", "/v1/organisations", json=as_json(organisation), expect=201
        )
        me = Identity(owner.subject, Role.APPLICANT, organisation_id=created.json()["id"])
        draft = as_json(
            application_message(cid, me.organisation_id, title=title, **application_changes)
        )
        aid = (await s.call(me, "POST", "/v1/applications", json=draft, expect=201)).json()["id"]
        await s.call(me, "POST", f"/v1/applications/{aid}:submit", expect=200)
        applicants.append(me)
        applications.append(aid)
    registered = await s.call(
        funder,
        "POST",
        "/v1/experts",
        expect=201,
        json={
            "subject": f"{tag}-expert",
            "displayName": f"{tag} reviewer",
            "directionCodes": ["family"],
            "regionCode": "RU-MOW",
            "maxLoad": 50,
        },
    )
    expert = Identity(f"{tag}-expert", Role.EXPERT, expert_id=registered.json()["id"])
    await s.close_early(funder, cid, "Enough applications for the test round")

    async def scoring() -> bool | None:
        return True if await panel_state() == "STATE_SCORING" else None

    await eventually(scoring)
    assigned = await s.call(funder, "POST", f"/v1/competitions/{cid}:assignExperts", expect=200)
    assert assigned.json()["assigned"] == len(applications), assigned.json()
    rubric = (await s.call(expert, "GET", f"/v1/competitions/{cid}/rubric", expect=200)).json()
    sheet = [{"code": c["code"], "value": 9} for c in rubric["criteria"]]
    for aid in applications:
        await s.call(
            expert, "POST", f"/v1/applications/{aid}/scores", json={"scores": sheet}, expect=201
        )
    await s.call(funder, "POST", f"/v1/competitions/{cid}/panel:close", expect=200)
    decision = await s.call(funder, "POST", f"/v1/competitions/{cid}:decideAwards", expect=200)
    awarded = sorted(a["applicationId"] for a in decision.json()["awards"])
    assert awarded == sorted(applications), decision.json()
    reports = []
    for me, aid in zip(applicants, applications, strict=True):
        signed = await agreement_of(s, me, aid)
        if not with_reports:
            reports.append("")
            continue
        path = f"/v1/agreements/{aid}/reports/1"
        narrative = report_body(signed["indicators"][0], f"{tag} first quarter")
        await s.call(me, "PUT", path, json=narrative, expect=200)
        submitted = (await s.call(me, "POST", f"{path}:submit", expect=200)).json()
        await s.call(
            funder,
            "POST",
            f"/v1/reports/{submitted['id']}:accept",
            json={"comment": "Accepted."},
            expect=200,
        )
        reports.append(submitted["id"])
    return Round(
        funder=funder,
        expert=expert,
        competition=cid,
        applicants=tuple(applicants),
        applications=tuple(applications),
        reports=tuple(reports),
    )


async def agreement_of(s: Stack, who: Identity, agreement_id: str) -> dict[str, Any]:
    """The agreement impact makes from the award event, once it has."""

    async def found() -> dict[str, Any] | None:
        got = await s.call(who, "GET", f"/v1/agreements/{agreement_id}")
        return dict(got.json()) if got.status_code == 200 else None

    return await eventually(found)

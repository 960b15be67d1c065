"""Two parties' worth of Grantflow, built over HTTP only, for tests that need every kind of object
to exist twice: once for the caller, once for somebody else.

Each side has a funder with three competitions (one run through to awards, one open, one still a
draft), an applicant organisation with an awarded application and a draft, an expert who scored
the awarded application, the resulting agreement with an accepted report, and a practice
registered on it. Every free text a side writes carries the side's mark ("Kestrel", "Osprey") so a
test can tell whether one side's data ever reaches the other.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from grantflow_runtime.context import Identity, Role

from tests.applications.helpers import (
    application_message,
    competition_message,
    inn10,
    organisation_message,
    rub,
    stamp,
)
from tests.gateway.stack import Stack, as_json, day
from tests.scoring.round_fixture import eventually

T = TypeVar("T")
ADMIN = Identity(subject="world-admin", role=Role.ADMIN)
# The competition that runs to awards has its deadline this far ahead; each side's funder closes
# it early once its applications are in. A deadline a few seconds ahead raced a loaded machine:
# CI once found the call closed before an application could be drafted.
CLOSE_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class Side:
    """One party's objects. `MISSING` has the same shape with ids nobody created."""

    n: int
    mark: str
    funder: Identity
    applicant: Identity
    expert: Identity
    competition: str  # awards decided
    open_competition: str  # open, panel collecting
    draft_competition: str
    organisation: str
    organisation_inn: str
    application: str  # awarded; the agreement has the same id
    draft_application: str
    draft_version: int
    expert_id: str
    report: str  # period 1, accepted
    practice: str
    indicator_key: str
    indicator_unit: str

    @property
    def agreement(self) -> str:
        return self.application

    def secrets(self) -> dict[str, str]:
        """What this side wrote that a stranger must never read, by kind."""
        m = self.mark
        return {
            "organisation": self.organisation,
            "organisation_name": f"{m} Foundation",
            "organisation_inn": self.organisation_inn,
            "application": self.application,
            "application_title": f"{m} Project",
            "draft_application": self.draft_application,
            "draft_title": f"{m} Sketch",
            "report": self.report,
            "report_narrative": f"{m} Diary",
            "draft_competition": self.draft_competition,
            "draft_competition_title": f"{m} Plan",
            "expert": self.expert_id,
            "expert_name": f"{m} Reviewer",
        }


def _missing() -> Side:
    def fresh() -> str:
        return str(uuid.uuid4())

    nobody = Identity(subject=f"nobody-{fresh()}", role=Role.APPLICANT)
    return Side(
        n=0,
        mark="Nobody",
        funder=nobody,
        applicant=nobody,
        expert=nobody,
        competition=fresh(),
        open_competition=fresh(),
        draft_competition=fresh(),
        organisation=fresh(),
        organisation_inn=inn10("771234567"),
        application=fresh(),
        draft_application=fresh(),
        draft_version=1,
        expert_id=fresh(),
        report=fresh(),
        practice=fresh(),
        indicator_key="nobody-indicator",
        indicator_unit="people",
    )


MISSING = _missing()


@dataclass(frozen=True)
class World:
    stack: Stack
    admin: Identity
    sides: tuple[Side, Side]
    missing: Side
    indicator_code: str
    # A valid rubric body (the default rubric), for replacing a rubric.
    rubric: dict[str, Any]


# Side n: (mark, direction of its application and expert, INN prefix of its organisation).
PROFILES = {1: ("Kestrel", "family", "500100732"), 2: ("Osprey", "social-services", "540207020")}


async def build_side(s: Stack, n: int, closes: datetime) -> Side:
    mark, direction, inn_prefix = PROFILES[n]
    funder = Identity(subject=f"world-funder-{n}", role=Role.FUNDER)

    async def competition(title: str, **changes: Any) -> str:
        body = as_json(competition_message(title=title, **changes))
        return str(
            (await s.call(funder, "POST", "/v1/competitions", json=body, expect=201)).json()["id"]
        )

    cid = await competition(
        f"Call {n}", closes_at=stamp(closes), budget=rub(2_500_000), max_grant=rub(1_000_000)
    )
    await s.call(funder, "POST", f"/v1/competitions/{cid}:open", expect=200)
    open_cid = await competition(f"Open call {n}")
    await s.call(funder, "POST", f"/v1/competitions/{open_cid}:open", expect=200)
    draft_cid = await competition(f"{mark} Plan")

    owner = Identity(subject=f"world-applicant-{n}", role=Role.APPLICANT)
    organisation = organisation_message(inn_prefix=inn_prefix, name=f"{mark} Foundation")
    oid = (
        await s.call(owner, "POST", "/v1/organisations", json=as_json(organisation), expect=201)
    ).json()["id"]
    applicant = Identity(subject=owner.subject, role=Role.APPLICANT, organisation_id=oid)

    async def application(title: str) -> dict[str, Any]:
        body = as_json(
            application_message(
                cid,
                oid,
                title=title,
                direction_code=direction,
                start_date=day(closes + timedelta(days=30)),
                end_date=day(closes + timedelta(days=200)),
            )
        )
        return dict(
            (await s.call(applicant, "POST", "/v1/applications", json=body, expect=201)).json()
        )

    pid = (await application(f"{mark} Project"))["id"]
    await s.call(applicant, "POST", f"/v1/applications/{pid}:submit", expect=200)
    draft = await application(f"{mark} Sketch")
    await s.close_early(funder, cid, "every application of this side is in")

    expert = (
        await s.call(
            funder,
            "POST",
            "/v1/experts",
            expect=201,
            json={
                "subject": f"world-expert-{n}",
                "displayName": f"{mark} Reviewer",
                "directionCodes": [direction],
                "regionCode": "RU-MOW",
                "maxLoad": 10,
            },
        )
    ).json()
    reviewer = Identity(subject=f"world-expert-{n}", role=Role.EXPERT, expert_id=expert["id"])

    async def panel_state(competition_id: str) -> str | None:
        got = await s.call(funder, "GET", f"/v1/competitions/{competition_id}/panel")
        return str(got.json()["state"]) if got.status_code == 200 else None

    # One expert per application, so each side's expert is the only one its application needs.
    await eventually(lambda: panel_state(cid))
    await s.call(
        funder,
        "PATCH",
        f"/v1/competitions/{cid}/panel",
        expect=200,
        params={"updateMask": "expertsPerApplication"},
        json={"expertsPerApplication": 1},
    )

    async def scoring() -> bool | None:
        return True if await panel_state(cid) == "STATE_SCORING" else None

    await eventually(scoring)
    assigned = await s.call(funder, "POST", f"/v1/competitions/{cid}:assignExperts", expect=200)
    assert assigned.json()["assigned"] == 1, assigned.json()
    rubric = (await s.call(reviewer, "GET", f"/v1/competitions/{cid}/rubric", expect=200)).json()
    sheet = [{"code": c["code"], "value": 9} for c in rubric["criteria"]]
    await s.call(
        reviewer, "POST", f"/v1/applications/{pid}/scores", json={"scores": sheet}, expect=201
    )
    await s.call(funder, "POST", f"/v1/competitions/{cid}/panel:close", expect=200)
    decision = await s.call(funder, "POST", f"/v1/competitions/{cid}:decideAwards", expect=200)
    assert [a["applicationId"] for a in decision.json()["awards"]] == [pid], decision.json()

    async def agreement() -> dict[str, Any] | None:
        got = await s.call(applicant, "GET", f"/v1/agreements/{pid}")
        return dict(got.json()) if got.status_code == 200 else None

    signed = await eventually(agreement)

    async def awarded() -> bool | None:
        got = await s.call(applicant, "GET", f"/v1/applications/{pid}", expect=200)
        return True if got.json()["state"] == "STATE_AWARDED" else None

    await eventually(awarded)
    indicator = signed["indicators"][0]
    path = f"/v1/agreements/{pid}/reports/1"
    await s.call(applicant, "PUT", path, json=report_body(indicator, f"{mark} Diary"), expect=200)
    submitted = (await s.call(applicant, "POST", f"{path}:submit", expect=200)).json()
    await s.call(
        funder,
        "POST",
        f"/v1/reports/{submitted['id']}:accept",
        json={"comment": "Fine."},
        expect=200,
    )
    practice = await s.call(
        funder,
        "POST",
        "/v1/practices",
        expect=201,
        json={
            "agreementId": pid,
            "title": f"Practice {n}",
            "description": "Early help at home.",
            "roadmap": "Train, pilot, spread.",
            "organisationalModel": "A hub and two teams.",
            "financialModel": "Grant, then the regional budget.",
            "evidenceReportIds": [submitted["id"]],
        },
    )

    async def collecting() -> bool | None:
        return True if await panel_state(open_cid) == "STATE_COLLECTING" else None

    await eventually(collecting)
    return Side(
        n=n,
        mark=mark,
        funder=funder,
        applicant=applicant,
        expert=reviewer,
        competition=cid,
        open_competition=open_cid,
        draft_competition=draft_cid,
        organisation=oid,
        organisation_inn=organisation.inn,
        application=pid,
        draft_application=draft["id"],
        draft_version=int(draft["version"]),
        expert_id=expert["id"],
        report=submitted["id"],
        practice=practice.json()["id"],
        indicator_key=indicator["key"],
        indicator_unit=indicator["unit"],
    )


def report_body(indicator: dict[str, Any], narrative: str) -> dict[str, Any]:
    return {
        "indicatorValues": [{"key": indicator["key"], "value": "40", "unit": indicator["unit"]}],
        "expenditures": [
            {
                "category": "salaries",
                "grantPart": {"minorUnits": "30000000", "currencyCode": "RUB"},
                "cofinancedPart": {"minorUnits": "0", "currencyCode": "RUB"},
            }
        ],
        "narrative": narrative,
    }


async def build_world(s: Stack) -> World:
    closes = datetime.now(UTC).replace(microsecond=0) + CLOSE_AFTER
    one, two = await asyncio.gather(build_side(s, 1, closes), build_side(s, 2, closes))
    code = f"world-indicator-{uuid.uuid4().hex[:8]}"
    await s.call(
        one.funder,
        "POST",
        "/v1/indicatorDefinitions",
        expect=201,
        json={
            "code": code,
            "title": "Families reached",
            "unit": "families",
            "resultLevel": "RESULT_LEVEL_OUTPUT",
            "aggregation": "AGGREGATION_SUM",
            "direction": "DIRECTION_INCREASE",
        },
    )
    rubric = (
        await s.call(ADMIN, "GET", f"/v1/competitions/{one.open_competition}/rubric", expect=200)
    ).json()
    body = {k: v for k, v in rubric.items() if k not in ("competitionId", "maxTotal")}
    return World(
        stack=s, admin=ADMIN, sides=(one, two), missing=MISSING, indicator_code=code, rubric=body
    )

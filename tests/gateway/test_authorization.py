"""The authorisation matrix: every route of the HTTP API, called by every role, on the caller's own
object, on somebody else's, and on one that does not exist.

The rules it holds the system to:
1. A role the route does not admit gets 403 ROLE_NOT_ALLOWED, whatever the object.
2. For a role it admits, somebody else's object answers exactly like a missing one (same status,
   same problem body but for the request id, the path and the id named in the detail), and the
   caller's own object is never answered with 403 or 404.
3. No successful response ever carries another party's ids or text, and nothing a caller does to
   another party's objects changes them.

One world (tests/gateway/world.py) is built per run; side 1's applicant, expert and funder, and an
admin, then call every route. Side 2 owns the foreign objects, and is read back at the end to show
no foreign call changed it.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from grantflow_gateway.routes import ROUTES, Route
from grantflow_runtime.context import Identity, Role

from tests.applications.helpers import (
    application_message,
    competition_message,
    inn10,
    organisation_message,
)
from tests.gateway.stack import StackFactory, as_json
from tests.gateway.world import Side, World, build_world, report_body

pytestmark = pytest.mark.asyncio

ROLES = (Role.APPLICANT, Role.EXPERT, Role.FUNDER, Role.ADMIN)
BY_OPERATION = {r.operation_id: r for r in ROUTES}
# An INN no organisation in the world has: declaring a conflict with it touches no assignment.
UNUSED_INN = inn10("772812345")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
_PARAM = re.compile(r"\{([a-z_.]+)\}")


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    json: Any = None
    params: dict[str, str] | None = None

    def text(self) -> str:
        return json.dumps([self.path, self.params, self.json])


@dataclass(frozen=True)
class Pair:
    """Somebody else's object and a missing one, asked for the same way. No foreign object (None)
    where the route has none by nature: the missing answer is still recorded."""

    foreign: Req | None
    missing: Req


@dataclass(frozen=True)
class Cases:
    own: Req | None
    pairs: tuple[Pair, ...] = ()
    # Kinds of another party's data the route publishes on purpose (Side.secrets keys).
    public: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Actor:
    who: Identity
    mine: Side
    theirs: Side
    world: World

    @property
    def role(self) -> Role:
        return self.who.role

    @property
    def missing(self) -> Side:
        return self.world.missing


Entry = Callable[[Actor], Cases]
MATRIX: dict[str, Entry] = {}


def entry(operation_id: str) -> Callable[[Entry], Entry]:
    def register(build: Entry) -> Entry:
        assert operation_id not in MATRIX, operation_id
        MATRIX[operation_id] = build
        return build

    return register


def both(a: Actor, make: Callable[[Side], Req]) -> Pair:
    return Pair(make(a.theirs), make(a.missing))


def trio(a: Actor, make: Callable[[Side], Req], *more: Callable[[Side], Req]) -> Cases:
    """Own, foreign and missing asked for the same way; `more` ask for other kinds of object."""
    return Cases(own=make(a.mine), pairs=tuple(both(a, m) for m in (make, *more)))


def only_missing(own: Req, missing: Req) -> Cases:
    return Cases(own=own, pairs=(Pair(None, missing),))


def fresh() -> str:
    return uuid.uuid4().hex[:10]


# ---- competitions ----


@entry("CreateCompetition")
def _(a: Actor) -> Cases:
    body = as_json(competition_message(title=f"Matrix call {fresh()}"))
    return Cases(own=Req("POST", "/v1/competitions", json=body))


@entry("ListCompetitions")
def _(a: Actor) -> Cases:
    return Cases(own=Req("GET", "/v1/competitions", params={"pageSize": "100"}))


@entry("GetCompetition")
def _(a: Actor) -> Cases:
    def draft(s: Side) -> Req:
        return Req("GET", f"/v1/competitions/{s.draft_competition}")

    if a.role in (Role.FUNDER, Role.ADMIN):
        return trio(a, draft)
    # Opened competitions are public; only a draft belongs to its funder alone.
    return Cases(own=Req("GET", f"/v1/competitions/{a.mine.competition}"), pairs=(both(a, draft),))


def _patch_competition(competition_id: str) -> Req:
    return Req(
        "PATCH",
        f"/v1/competitions/{competition_id}",
        json={"title": "Revised call"},
        params={"updateMask": "title"},
    )


@entry("UpdateCompetition")
def _(a: Actor) -> Cases:
    return trio(
        a,
        lambda s: _patch_competition(s.draft_competition),
        lambda s: _patch_competition(s.open_competition),
        lambda s: _patch_competition(s.competition),
    )


@entry("OpenCompetition")
def _(a: Actor) -> Cases:
    # Own: the one already open (409), so the own draft stays a draft for the others' checks.
    return Cases(
        own=Req("POST", f"/v1/competitions/{a.mine.open_competition}:open"),
        pairs=(
            both(a, lambda s: Req("POST", f"/v1/competitions/{s.draft_competition}:open")),
            both(a, lambda s: Req("POST", f"/v1/competitions/{s.open_competition}:open")),
        ),
    )


@entry("CloseCompetition")
def _(a: Actor) -> Cases:
    # Own: the decided one (409), so no open competition closes under the others' checks.
    def close(competition: str) -> Req:
        return Req("POST", f"/v1/competitions/{competition}:close", json={"earlyCloseReason": "x"})

    return Cases(
        own=close(a.mine.competition),
        pairs=(
            both(a, lambda s: close(s.open_competition)),
            both(a, lambda s: close(s.draft_competition)),
        ),
    )


# ---- organisations ----


@entry("CreateOrganisation")
def _(a: Actor) -> Cases:
    prefix = f"77{uuid.uuid4().int % 10**7:07d}"
    body = as_json(organisation_message(inn_prefix=prefix, name=f"Matrix org {fresh()}"))
    return Cases(own=Req("POST", "/v1/organisations", json=body))


@entry("ListOrganisations")
def _(a: Actor) -> Cases:
    return Cases(own=Req("GET", "/v1/organisations", params={"pageSize": "100"}))


@entry("GetOrganisation")
def _(a: Actor) -> Cases:
    def get(s: Side) -> Req:
        return Req("GET", f"/v1/organisations/{s.organisation}")

    # A funder reads the organisations that applied to its own competitions, no others.
    return trio(a, get)


@entry("UpdateOrganisation")
def _(a: Actor) -> Cases:
    return trio(
        a,
        lambda s: Req(
            "PATCH",
            f"/v1/organisations/{s.organisation}",
            json={"website": "https://revised.example.org"},
            params={"updateMask": "website"},
        ),
    )


# ---- applications ----


def _new_application(competition_id: str, organisation_id: str) -> Req:
    body = as_json(application_message(competition_id, organisation_id, title="Matrix draft"))
    return Req("POST", "/v1/applications", json=body)


@entry("CreateApplication")
def _(a: Actor) -> Cases:
    # Two parents: the organisation (another applicant's must look missing) and the competition
    # (another funder's draft must look missing). The competition is open, so own succeeds.
    mine, theirs, gone = a.mine, a.theirs, a.missing
    return Cases(
        own=_new_application(mine.open_competition, mine.organisation),
        pairs=(
            Pair(
                _new_application(mine.open_competition, theirs.organisation),
                _new_application(mine.open_competition, gone.organisation),
            ),
            Pair(
                _new_application(theirs.draft_competition, mine.organisation),
                _new_application(gone.draft_competition, mine.organisation),
            ),
        ),
    )


@entry("ListApplications")
def _(a: Actor) -> Cases:
    def by(key: str, pick: Callable[[Side], str]) -> Callable[[Side], Req]:
        return lambda s: Req("GET", "/v1/applications", params={key: pick(s), "pageSize": "100"})

    return Cases(
        own=Req("GET", "/v1/applications", params={"pageSize": "100"}),
        pairs=(
            both(a, by("competitionId", lambda s: s.competition)),
            both(a, by("organisationId", lambda s: s.organisation)),
        ),
    )


@entry("GetApplication")
def _(a: Actor) -> Cases:
    def get(pick: Callable[[Side], str]) -> Callable[[Side], Req]:
        return lambda s: Req("GET", f"/v1/applications/{pick(s)}")

    submitted, draft = get(lambda s: s.application), get(lambda s: s.draft_application)
    if a.role is Role.FUNDER:
        # A draft in the funder's own competition is not the funder's to read.
        return Cases(
            own=submitted(a.mine), pairs=(both(a, submitted), Pair(draft(a.mine), draft(a.missing)))
        )
    return trio(a, submitted, draft)


@entry("UpdateApplication")
def _(a: Actor) -> Cases:
    def patch(pick: Callable[[Side], str]) -> Callable[[Side], Req]:
        return lambda s: Req(
            "PATCH",
            f"/v1/applications/{pick(s)}",
            json={"title": "Revised draft"},
            params={"updateMask": "title"},
        )

    return trio(a, patch(lambda s: s.draft_application), patch(lambda s: s.application))


@entry("ValidateApplication")
def _(a: Actor) -> Cases:
    return trio(
        a,
        lambda s: Req("POST", f"/v1/applications/{s.draft_application}:validate"),
        lambda s: Req("POST", f"/v1/applications/{s.application}:validate"),
    )


@entry("SubmitApplication")
def _(a: Actor) -> Cases:
    # Own: the awarded application (409), not the draft: it would leave the world changed.
    return trio(
        a,
        lambda s: Req("POST", f"/v1/applications/{s.application}:submit"),
        lambda s: Req("POST", f"/v1/applications/{s.draft_application}:submit"),
    )


@entry("WithdrawApplication")
def _(a: Actor) -> Cases:
    def withdraw(pick: Callable[[Side], str]) -> Callable[[Side], Req]:
        return lambda s: Req(
            "POST", f"/v1/applications/{pick(s)}:withdraw", json={"reason": "matrix"}
        )

    # Own: the awarded application, which can no longer be withdrawn (409).
    return trio(a, withdraw(lambda s: s.application), withdraw(lambda s: s.draft_application))


# ---- rubric, panel, experts, scoring, ranking, awards ----


@entry("GetRubric")
def _(a: Actor) -> Cases:
    # A rubric is public once its competition opens; a draft competition's must look missing.
    return Cases(
        own=Req("GET", f"/v1/competitions/{a.mine.competition}/rubric"),
        pairs=(both(a, lambda s: Req("GET", f"/v1/competitions/{s.draft_competition}/rubric")),),
    )


@entry("UpdateRubric")
def _(a: Actor) -> Cases:
    def put(pick: Callable[[Side], str]) -> Callable[[Side], Req]:
        return lambda s: Req("PUT", f"/v1/competitions/{pick(s)}/rubric", json=a.world.rubric)

    return trio(a, put(lambda s: s.open_competition), put(lambda s: s.competition))


@entry("GetPanel")
def _(a: Actor) -> Cases:
    return trio(
        a,
        lambda s: Req("GET", f"/v1/competitions/{s.competition}/panel"),
        lambda s: Req("GET", f"/v1/competitions/{s.open_competition}/panel"),
    )


@entry("UpdatePanel")
def _(a: Actor) -> Cases:
    def patch(pick: Callable[[Side], str]) -> Callable[[Side], Req]:
        return lambda s: Req(
            "PATCH",
            f"/v1/competitions/{pick(s)}/panel",
            json={"expertsPerApplication": 2},
            params={"updateMask": "expertsPerApplication"},
        )

    return trio(a, patch(lambda s: s.open_competition), patch(lambda s: s.competition))


@entry("ClosePanel")
def _(a: Actor) -> Cases:
    return trio(
        a,
        lambda s: Req("POST", f"/v1/competitions/{s.competition}/panel:close"),
        lambda s: Req("POST", f"/v1/competitions/{s.open_competition}/panel:close"),
    )


@entry("AssignExperts")
def _(a: Actor) -> Cases:
    return trio(
        a,
        lambda s: Req("POST", f"/v1/competitions/{s.competition}:assignExperts"),
        lambda s: Req("POST", f"/v1/competitions/{s.open_competition}:assignExperts"),
    )


@entry("CreateExpert")
def _(a: Actor) -> Cases:
    return Cases(
        own=Req(
            "POST",
            "/v1/experts",
            json={
                "subject": f"matrix-expert-{fresh()}",
                "displayName": "Matrix expert",
                "directionCodes": ["health"],
                "regionCode": "RU-TA",
                "maxLoad": 5,
            },
        )
    )


@entry("ListExperts")
def _(a: Actor) -> Cases:
    return Cases(own=Req("GET", "/v1/experts", params={"pageSize": "100"}))


@entry("GetExpert")
def _(a: Actor) -> Cases:
    def get(s: Side) -> Req:
        return Req("GET", f"/v1/experts/{s.expert_id}")

    if a.role is Role.FUNDER:
        # Experts are one pool that every funder draws its panels from.
        return only_missing(get(a.mine), get(a.missing))
    return trio(a, get)


def _conflict(expert_id: str = "", *, inn: str = "", application_id: str = "") -> Req:
    body = {
        "expertId": expert_id,
        "organisationInn": inn,
        "applicationId": application_id,
        "reason": "Matrix: worked there",
    }
    return Req("POST", "/v1/conflicts", json={k: v for k, v in body.items() if v})


@entry("DeclareConflict")
def _(a: Actor) -> Cases:
    # Own: a conflict with an organisation nobody registered, so no assignment ends.
    own = _conflict(a.mine.expert_id, inn=UNUSED_INN)
    by_expert = both(a, lambda s: _conflict(s.expert_id, inn=UNUSED_INN))
    if a.role in (Role.FUNDER, Role.ADMIN):
        # The pool is shared, but another funder's application is not: naming it must do what
        # naming a missing one does, and must not end that funder's assignments.
        theirs, gone = a.theirs, a.missing
        return Cases(
            own=own,
            pairs=(
                Pair(
                    _conflict(theirs.expert_id, application_id=theirs.application),
                    _conflict(theirs.expert_id, application_id=gone.application),
                ),
                Pair(None, _conflict(gone.expert_id, inn=UNUSED_INN)),
            ),
        )
    return Cases(
        own=own, pairs=(by_expert, both(a, lambda s: _conflict(application_id=s.application)))
    )


@entry("ListAssignments")
def _(a: Actor) -> Cases:
    def of(s: Side) -> Req:
        return Req("GET", "/v1/assignments", params={"competitionId": s.competition})

    mine = a.mine.competition
    return Cases(
        own=of(a.mine),
        pairs=(
            both(a, of),
            both(
                a,
                lambda s: Req(
                    "GET",
                    "/v1/assignments",
                    params={"competitionId": mine, "expertId": s.expert_id},
                ),
            ),
        ),
    )


@entry("ListScores")
def _(a: Actor) -> Cases:
    def of(s: Side) -> Req:
        return Req("GET", "/v1/scores", params={"competitionId": s.competition})

    mine = a.mine.competition
    return Cases(
        own=of(a.mine),
        pairs=(
            both(a, of),
            both(
                a,
                lambda s: Req(
                    "GET",
                    "/v1/scores",
                    params={"competitionId": mine, "applicationId": s.application},
                ),
            ),
        ),
    )


@entry("SubmitScore")
def _(a: Actor) -> Cases:
    sheet = [{"code": c["code"], "value": 9} for c in a.world.rubric["criteria"]]

    def score(pick: Callable[[Side], str]) -> Callable[[Side], Req]:
        return lambda s: Req("POST", f"/v1/applications/{pick(s)}/scores", json={"scores": sheet})

    # Own: the application the expert scored; its panel has decided (409).
    return trio(a, score(lambda s: s.application), score(lambda s: s.draft_application))


def _per_competition(suffix: str, method: str = "GET") -> Callable[[Actor], Cases]:
    def build(a: Actor) -> Cases:
        return trio(
            a,
            lambda s: Req(method, f"/v1/competitions/{s.competition}{suffix}"),
            lambda s: Req(method, f"/v1/competitions/{s.open_competition}{suffix}"),
        )

    return build


entry("GetRanking")(_per_competition("/ranking"))
entry("ExportRanking")(_per_competition("/ranking:export"))
entry("GetDecision")(_per_competition("/decision"))
# Own: the decision is recorded, so a repeat answers with it (200) and changes nothing.
entry("DecideAwards")(_per_competition(":decideAwards", "POST"))


# ---- indicators, agreements, reports, alerts, portfolio, practices ----


@entry("CreateIndicatorDefinition")
def _(a: Actor) -> Cases:
    return Cases(
        own=Req(
            "POST",
            "/v1/indicatorDefinitions",
            json={
                "code": f"matrix-{fresh()}",
                "title": "Volunteers trained",
                "unit": "people",
                "resultLevel": "RESULT_LEVEL_OUTPUT",
                "aggregation": "AGGREGATION_SUM",
                "direction": "DIRECTION_INCREASE",
            },
        )
    )


@entry("ListIndicatorDefinitions")
def _(a: Actor) -> Cases:
    return Cases(own=Req("GET", "/v1/indicatorDefinitions", params={"pageSize": "100"}))


@entry("GetIndicatorDefinition")
def _(a: Actor) -> Cases:
    # The catalogue is shared vocabulary: nothing in it is anybody's own.
    return only_missing(
        Req("GET", f"/v1/indicatorDefinitions/{a.world.indicator_code}"),
        Req("GET", f"/v1/indicatorDefinitions/missing-{fresh()}"),
    )


@entry("ListAgreements")
def _(a: Actor) -> Cases:
    return trio(a, lambda s: Req("GET", "/v1/agreements", params={"competitionId": s.competition}))


@entry("GetAgreement")
def _(a: Actor) -> Cases:
    return trio(a, lambda s: Req("GET", f"/v1/agreements/{s.agreement}"))


def _report(s: Side, **extra: str) -> dict[str, Any]:
    indicator = {"key": s.indicator_key, "unit": s.indicator_unit}
    return {**report_body(indicator, "Matrix narrative"), **extra}


@entry("SaveReportDraft")
def _(a: Actor) -> Cases:
    return trio(a, lambda s: Req("PUT", f"/v1/agreements/{s.agreement}/reports/1", json=_report(s)))


@entry("SubmitReport")
def _(a: Actor) -> Cases:
    return trio(a, lambda s: Req("POST", f"/v1/agreements/{s.agreement}/reports/1:submit"))


@entry("CorrectReport")
def _(a: Actor) -> Cases:
    return trio(
        a,
        lambda s: Req(
            "POST",
            f"/v1/agreements/{s.agreement}/reports/1:correct",
            json=_report(s, correctionReason="A typo"),
        ),
    )


@entry("ListReports")
def _(a: Actor) -> Cases:
    return trio(a, lambda s: Req("GET", f"/v1/agreements/{s.agreement}/reports"))


@entry("AcceptReport")
def _(a: Actor) -> Cases:
    return trio(a, lambda s: Req("POST", f"/v1/reports/{s.report}:accept", json={"comment": "ok"}))


@entry("ReturnReport")
def _(a: Actor) -> Cases:
    return trio(
        a, lambda s: Req("POST", f"/v1/reports/{s.report}:return", json={"comment": "Please fix"})
    )


@entry("GetProgress")
def _(a: Actor) -> Cases:
    return trio(a, lambda s: Req("GET", f"/v1/agreements/{s.agreement}/progress"))


@entry("ListAlerts")
def _(a: Actor) -> Cases:
    return trio(a, lambda s: Req("GET", "/v1/alerts", params={"agreementId": s.agreement}))


@entry("GetPortfolio")
def _(a: Actor) -> Cases:
    return trio(a, lambda s: Req("GET", "/v1/portfolio", params={"competitionId": s.competition}))


@entry("EstimateSocialValue")
def _(a: Actor) -> Cases:
    def estimate(s: Side) -> Req:
        outcome = {
            "indicatorKey": s.indicator_key,
            "years": 3,
            "proxy": {"minorUnits": "100000", "currencyCode": "RUB"},
        }
        return Req(
            "POST",
            f"/v1/agreements/{s.agreement}:estimateSocialValue",
            json={"outcomes": [outcome]},
        )

    return trio(a, estimate)


@entry("ListPracticeCandidates")
def _(a: Actor) -> Cases:
    return trio(a, lambda s: Req("GET", f"/v1/competitions/{s.competition}/practiceCandidates"))


@entry("RegisterPractice")
def _(a: Actor) -> Cases:
    def register(s: Side) -> Req:
        return Req(
            "POST",
            "/v1/practices",
            json={
                "agreementId": s.agreement,
                "title": "Matrix practice",
                "description": "What works.",
                "roadmap": "Steps.",
                "organisationalModel": "A team.",
                "financialModel": "A grant.",
                "evidenceReportIds": [s.report],
            },
        )

    # Own: the agreement is a practice already (409).
    return trio(a, register)


# Practices are published: each names its agreement and the reports it rests on.
PRACTICE_DATA = frozenset({"application", "report"})


@entry("RecordAdoption")
def _(a: Actor) -> Cases:
    adoption = {
        "organisationName": "Adopters",
        "organisationInn": UNUSED_INN,
        "regionCode": "RU-TA",
        "adoptedOn": {"year": 2025, "month": 3, "day": 1},
        "results": "Twenty families.",
    }
    cases = trio(a, lambda s: Req("POST", f"/v1/practices/{s.practice}/adoptions", json=adoption))
    return Cases(own=cases.own, pairs=cases.pairs, public=PRACTICE_DATA)


@entry("ListPractices")
def _(a: Actor) -> Cases:
    return Cases(own=Req("GET", "/v1/practices"), public=PRACTICE_DATA)


# ---- checking ----


def forbidden(a: Actor) -> dict[str, str]:
    """Text (ids and marked free text) the actor must never receive, with what it is."""
    if a.role is Role.ADMIN:
        return {}
    theirs, mine = a.theirs.secrets(), a.mine.secrets()
    kinds = set(theirs)
    own_kinds: set[str] = set()
    if a.role is Role.APPLICANT:
        own_kinds = {"expert", "expert_name"}  # reviews are blind to the reviewed
    elif a.role is Role.EXPERT:
        own_kinds = {"draft_application", "draft_title", "report", "report_narrative"}
    elif a.role is Role.FUNDER:
        # The expert pool is shared by every funder; organisations only once they applied to
        # the funder's competitions; drafts to none.
        kinds -= {"expert", "expert_name"}
        own_kinds = {"draft_application", "draft_title"}
    found = {theirs[k]: f"side {a.theirs.n} {k}" for k in kinds}
    found.update({mine[k]: f"side {a.mine.n} {k}" for k in own_kinds})
    return found


def shape(response: httpx.Response) -> tuple[int, Any]:
    """Status and body as compared: without request id and path, with ids and times as
    placeholders (a problem's detail names the id that was asked for)."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict) and "requestId" in body:
        body = {k: v for k, v in body.items() if k not in ("requestId", "instance")}
    return response.status_code, _scrub(body)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _TIME.sub("<time>", _UUID.sub("<id>", value))
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    return value


def generic(route: Route) -> Req:
    """The route with made-up ids: what a role that may not call it at all gets is 403."""
    path = _PARAM.sub(
        lambda m: "1" if m.group(1).endswith("number") else str(uuid.uuid4()), route.path
    )
    return Req(route.method, path)


@dataclass
class Tally:
    requests: int = 0
    compared: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    own: dict[str, Counter[int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # Changes to another party's objects accepted with 2xx: the suspects when side 2 changed.
    foreign_writes: list[str] = field(default_factory=list)


async def run_actor(a: Actor, tally: Tally) -> None:
    s = a.world.stack
    secret = forbidden(a)

    async def send(op: str, label: str, req: Req, cases: Cases) -> httpx.Response:
        got = await s.call(a.who, req.method, req.path, json=req.json, params=req.params)
        tally.requests += 1
        tally.statuses[got.status_code] += 1
        tally.outcomes[f"{label} {got.status_code}"] += 1
        where = f"{op} as {a.role.value}, {label}: {req.method} {req.path} {req.params or ''}"
        if got.status_code >= 500:
            tally.problems.append(f"{where} -> {got.status_code} {got.text[:300]}")
        if got.is_success:
            asked = req.text()
            public = {side.secrets()[k] for side in (a.mine, a.theirs) for k in cases.public}
            leaked = sorted(
                label
                for text, label in secret.items()
                if text in got.text and text not in asked and text not in public
            )
            if leaked:
                tally.problems.append(f"{where} -> {got.status_code} carries {', '.join(leaked)}")
        return got

    for op, build in MATRIX.items():
        route = BY_OPERATION[op]
        cases = build(a)
        if a.role not in route.roles:
            asked = [
                cases.own,
                *(p.foreign for p in cases.pairs),
                *(p.missing for p in cases.pairs),
                generic(route),
            ]
            for req in asked:
                if req is None:
                    continue
                got = await send(op, "denied", req, cases)
                reason = got.json().get("reason") if got.status_code == 403 else None
                if (got.status_code, reason) != (403, "ROLE_NOT_ALLOWED"):
                    tally.problems.append(
                        f"{op} as {a.role.value} (not admitted): {req.method} "
                        f"{req.path} -> {got.status_code} {got.text[:200]}"
                    )
            continue
        if cases.own is not None:
            got = await send(op, "own", cases.own, cases)
            tally.own.setdefault(f"{op} as {a.role.value}", Counter())[got.status_code] += 1
            if got.status_code in (400, 403, 404):
                tally.problems.append(
                    f"{op} as {a.role.value}, own: {cases.own.method} "
                    f"{cases.own.path} -> {got.status_code} {got.text[:300]}"
                )
        for pair in cases.pairs:
            missing = await send(op, "missing", pair.missing, cases)
            # An admin may see everything: its "foreign" objects are nobody's to compare.
            if pair.foreign is None or a.role is Role.ADMIN:
                continue
            foreign = await send(op, "foreign", pair.foreign, cases)
            tally.compared += 1
            if foreign.is_success and pair.foreign.method != "GET":
                tally.foreign_writes.append(f"{op} as {a.role.value}: {pair.foreign.text()}")
            if shape(foreign) != shape(missing):
                f, m = pair.foreign, shape(missing)
                tally.problems.append(
                    f"{op} as {a.role.value}: foreign {f.method} {f.path} {f.params or ''} -> "
                    f"{foreign.status_code} {shape(foreign)[1]!r:.300} "
                    f"but missing -> {m[0]} {m[1]!r:.300}"
                )


def differences(before: Any, after: Any, where: str = "") -> list[str]:
    """Where two JSON values differ, as `path: old -> new` lines."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            d
            for k in sorted(set(before) | set(after))
            for d in differences(before.get(k), after.get(k), f"{where}.{k}")
        ]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            d
            for i, (b, a) in enumerate(zip(before, after, strict=True))
            for d in differences(b, a, f"{where}[{i}]")
        ]
    if before == after:
        return []
    return [f"{where or '.'}: {json.dumps(before)[:200]} -> {json.dumps(after)[:200]}"]


async def snapshot(w: World) -> dict[str, Any]:
    """Side 2 as an admin reads it: what no call by side 1 may change."""
    two = w.sides[1]
    paths = [
        f"/v1/competitions/{two.competition}",
        f"/v1/competitions/{two.open_competition}",
        f"/v1/competitions/{two.draft_competition}",
        f"/v1/organisations/{two.organisation}",
        f"/v1/applications/{two.application}",
        f"/v1/applications/{two.draft_application}",
        f"/v1/competitions/{two.open_competition}/rubric",
        f"/v1/competitions/{two.open_competition}/panel",
        f"/v1/competitions/{two.competition}/panel",
        f"/v1/competitions/{two.competition}/ranking",
        f"/v1/assignments?competitionId={two.competition}",
        f"/v1/scores?competitionId={two.competition}",
        f"/v1/experts/{two.expert_id}",
        f"/v1/agreements/{two.agreement}",
        f"/v1/agreements/{two.agreement}/reports",
    ]
    seen: dict[str, Any] = {}
    for path in paths:
        got = await w.stack.call(w.admin, "GET", path, expect=200)
        seen[path] = got.json()
    practices = (await w.stack.call(w.admin, "GET", "/v1/practices", expect=200)).json()
    seen["practice"] = [p for p in practices["practices"] if p["id"] == two.practice]
    return seen


async def test_every_route_every_role_own_foreign_missing(gateway_stack: StackFactory) -> None:
    assert set(MATRIX) == set(BY_OPERATION), (
        f"routes without a matrix entry: {sorted(set(BY_OPERATION) - set(MATRIX))}; "
        f"entries without a route: {sorted(set(MATRIX) - set(BY_OPERATION))}"
    )
    started = time.perf_counter()
    w = await build_world(await gateway_stack())
    built = time.perf_counter() - started
    one, two = w.sides
    actors = [
        Actor(one.applicant, one, two, w),
        Actor(one.expert, one, two, w),
        Actor(one.funder, one, two, w),
        Actor(w.admin, one, two, w),
    ]
    assert [a.role for a in actors] == list(ROLES)
    # Events of the world's last steps may still be landing: start from a settled picture.
    before = await snapshot(w)
    for _ in range(10):
        again = await snapshot(w)
        if again == before:
            break
        before = again
        await asyncio.sleep(0.2)
    tally = Tally()
    # One after another: their own calls change the same side-1 objects (the admin corrects the
    # report the applicant corrected), and racing them would test the services' locking instead.
    for actor in actors:
        await run_actor(actor, tally)
    after = await snapshot(w)
    changed = [
        f"side 2 changed: {p} {d}"
        for p, seen in before.items()
        for d in differences(seen, after[p])
    ]
    if changed:
        suspects = tally.foreign_writes or ["none answered 2xx"]
        tally.problems += [*changed, "foreign writes answered 2xx:", *suspects]
    cells = len(MATRIX) * len(actors)
    admitted = sum(len(r.roles & set(ROLES)) for r in ROUTES)
    took = time.perf_counter() - started - built
    print(
        f"\nauthorisation matrix: {len(MATRIX)} routes x {len(actors)} roles = {cells} cells "
        f"({admitted} admitted, {cells - admitted} refused by role); "
        f"{tally.compared} foreign/missing pairs compared; "
        f"{tally.requests} requests in {took:.1f}s (world built in {built:.1f}s)"
    )
    print("statuses:", dict(sorted(tally.statuses.items())))
    print("outcomes:", dict(sorted(tally.outcomes.items())))
    unusual = {k: dict(v) for k, v in sorted(tally.own.items()) if set(v) - {200, 201}}
    print("own requests not answered 2xx:", unusual)
    assert not tally.problems, "\n".join([f"{len(tally.problems)} problem(s):", *tally.problems])

"""Edge inputs pinned one by one: each reached an unexpected failure once (found by the
property-based test or by hand), and each must be answered like any other bad input, over gRPC
and, where a client can send it, over HTTP. Kept as a table so they are tried on every run,
whatever the generator happens to draw.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from grantflow.applications.v1 import applications_pb2, applications_service_pb2
from grantflow.common.v1 import money_pb2
from grantflow.impact.v1 import impact_service_pb2
from grantflow.scoring.v1 import panels_pb2, scoring_service_pb2
from grantflow_runtime.context import Identity, Role

from tests.applications.helpers import (
    application_message,
    competition_message,
    organisation_message,
)
from tests.gateway.stack import Stack, StackFactory, as_json
from tests.scoring.round_fixture import eventually
from tests.security.grpc_surface import Answer, Surface, by_name

APPS = "grantflow.applications.v1.ApplicationsService."
FUNDER = Identity(subject="edge-funder", role=Role.FUNDER)
OWNER = Identity(subject="edge-applicant", role=Role.APPLICANT)
ADMIN = Identity(subject="edge-admin", role=Role.ADMIN)
MAX_INT64 = 2**63 - 1
LONG_ID = "x" * 20_000


@dataclass(frozen=True)
class Setting:
    competition: str  # open
    applicant: Identity
    application: str  # a draft in `competition`


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    who: Identity
    request: Callable[[Setting], Message]
    # What must come back: the code, and for INVALID_ARGUMENT the field it names.
    code: grpc.StatusCode
    field: str = ""


def _competition(**changes: object) -> applications_service_pb2.CreateCompetitionRequest:
    return applications_service_pb2.CreateCompetitionRequest(
        competition=competition_message(**changes)
    )


def _max_lines(x: Setting) -> applications_service_pb2.CreateApplicationRequest:
    big = money_pb2.Money(minor_units=MAX_INT64, currency_code="RUB")
    lines = [applications_pb2.BudgetLine(category="salaries", description="x", grant_amount=big)]
    return applications_service_pb2.CreateApplicationRequest(
        application=application_message(
            x.competition, x.applicant.organisation_id, budget_lines=lines * 2
        )
    )


INVALID = grpc.StatusCode.INVALID_ARGUMENT
CASES = (
    Case("closes_at beyond year 9999", APPS + "CreateCompetition", FUNDER,
         lambda x: _competition(closes_at=Timestamp(seconds=2**40)), INVALID,
         "competition.closes_at"),
    Case("opens_at with negative nanos", APPS + "CreateCompetition", FUNDER,
         lambda x: _competition(opens_at=Timestamp(seconds=10**9, nanos=-1)), INVALID,
         "competition.opens_at"),
    Case("a 300-character time zone", APPS + "CreateCompetition", FUNDER,
         lambda x: _competition(time_zone="A" * 300), INVALID, "competition.time_zone"),
    Case("budget lines summing past 64 bits", APPS + "CreateApplication", OWNER, _max_lines,
         INVALID, "application.budget_lines[0].grant_amount"),
    Case("a 20,000-character id", APPS + "GetOrganisation", ADMIN,
         lambda x: applications_service_pb2.GetOrganisationRequest(id=LONG_ID),
         grpc.StatusCode.NOT_FOUND),
    # A deadline the JSON mapping allows (9999-12-31T23:59:59Z) whose local time in a zone ahead
    # of UTC falls after year 9999: refused as too far ahead instead of overflowing later.
    Case("a competition closing at the end of 9999", APPS + "CreateCompetition", FUNDER,
         lambda x: _competition(opens_at=Timestamp(seconds=253_402_286_400),
                                closes_at=Timestamp(seconds=253_402_300_799),
                                time_zone="Asia/Vladivostok"), INVALID, "competition.closes_at"),
    Case("validating a draft", APPS + "ValidateApplication",
         OWNER, lambda x: applications_service_pb2.ValidateApplicationRequest(id=x.application),
         grpc.StatusCode.OK),
    Case("a panel without its competition id", "grantflow.scoring.v1.ScoringService.UpdatePanel",
         FUNDER, lambda x: scoring_service_pb2.UpdatePanelRequest(panel=panels_pb2.Panel()),
         INVALID, "panel.competition_id"),
    Case("an agreement without its id", "grantflow.impact.v1.ImpactService.GetAgreement", ADMIN,
         lambda x: impact_service_pb2.GetAgreementRequest(), INVALID, "id"),
)  # fmt: skip


@dataclass(frozen=True)
class HttpCase:
    name: str
    call: Callable[[Stack, Setting], Awaitable[tuple[int, str, str]]]
    status: int


async def _post(s: Stack, who: Identity, path: str, body: object) -> tuple[int, str, str]:
    got = await s.call(who, "POST", path, json=body)
    return got.status_code, got.headers.get("content-type", ""), got.text[:200]


async def _get(s: Stack, who: Identity, path: str) -> tuple[int, str, str]:
    got = await s.call(who, "GET", path)
    return got.status_code, got.headers.get("content-type", ""), got.text[:200]


def _overflow_body(x: Setting) -> dict[str, object]:
    body = as_json(application_message(x.competition, x.applicant.organisation_id))
    line = {"category": "salaries", "description": "x",
            "grantAmount": {"minorUnits": str(MAX_INT64), "currencyCode": "RUB"}}  # fmt: skip
    return {**body, "budgetLines": [line, line]}


HTTP_CASES = (
    HttpCase("POST /v1/competitions with a 300-character timeZone",
             lambda s, x: _post(s, FUNDER, "/v1/competitions",
                                {**as_json(competition_message()), "timeZone": "A" * 300}), 422),
    HttpCase("POST /v1/applications with budget lines summing past 64 bits",
             lambda s, x: _post(s, x.applicant, "/v1/applications", _overflow_body(x)), 422),
    HttpCase("POST /v1/applications/{id}:validate",
             lambda s, x: _post(s, x.applicant, f"/v1/applications/{x.application}:validate",
                                None), 200),
    HttpCase("GET /v1/organisations/{12,000-character id}",
             lambda s, x: _get(s, ADMIN, "/v1/organisations/" + "x" * 12_000), 404),
)  # fmt: skip


async def setting(s: Stack) -> Setting:
    async def opened(**changes: object) -> str:
        body = as_json(competition_message(**changes))
        made = await s.call(FUNDER, "POST", "/v1/competitions", json=body, expect=201)
        await s.call(FUNDER, "POST", f"/v1/competitions/{made.json()['id']}:open", expect=200)
        return str(made.json()["id"])

    competition = await opened()
    org = await s.call(
        OWNER, "POST", "/v1/organisations", json=as_json(organisation_message()), expect=201
    )
    me = Identity(OWNER.subject, Role.APPLICANT, organisation_id=org.json()["id"])
    draft = await s.call(
        me, "POST", "/v1/applications", json=as_json(application_message(competition, org.json()["id"])),
        expect=201,
    )  # fmt: skip

    async def panel() -> bool | None:
        got = await s.call(FUNDER, "GET", f"/v1/competitions/{competition}/panel")
        return True if got.status_code == 200 else None

    await eventually(panel)
    return Setting(competition, me, str(draft.json()["id"]))


def verdict(case: Case, got: Answer) -> str:
    if got.code is not case.code or got.status_mismatch:
        return f"{got.brief()[:220]}, expected {case.code.name}"
    if case.field and case.field not in [f for f, _ in got.violations]:
        return f"violations {[f for f, _ in got.violations]}, expected one naming {case.field}"
    return ""


async def test_edge_inputs_get_ordinary_answers(gateway_stack: StackFactory) -> None:
    s = await gateway_stack()
    x = await setting(s)
    surface = Surface.of(s)
    problems = []
    try:
        for case in CASES:
            who = x.applicant if case.who is OWNER else case.who
            got = await surface.call(by_name(case.method), case.request(x), who)
            wrong = verdict(case, got)
            print(f"\ngRPC {case.name}: {got.brief()[:160]}{' <- WRONG' if wrong else ''}", end="")
            if wrong:
                problems.append(f"gRPC {case.method.rpartition('.')[2]}, {case.name}: {wrong}")
    finally:
        await surface.close()
    for http in HTTP_CASES:
        status, media, text = await http.call(s, x)
        ok = status == http.status and (status < 400 or media == "application/problem+json")
        print(
            f"\nHTTP {http.name}: {status} {media} {text[:120]!r}{'' if ok else ' <- WRONG'}",
            end="",
        )
        if not ok:
            problems.append(f"HTTP {http.name}: {status} {media} {text!r}, expected {http.status}")
    print()
    assert not problems, "\n".join([f"{len(problems)} edge input(s) mishandled:", *problems])

"""OpenAPI-driven fuzzing of every operation of the live gateway, bounded in time for CI.

The test starts the whole stack in this process (three services and the gateway on real ports),
plays a short grant round over HTTP so that real objects exist (open, draft, scoring and awarded
competitions, an organisation, applications, an expert, an indicator, an agreement with an
accepted and a submitted report, a practice), then runs the schemathesis CLI in a subprocess
against the gateway's own `/openapi.json`, so this event loop keeps serving while it runs:

- as the seeded expert, over the operations only experts reach in full (scores, conflicts);
- as an admin, over every operation (an admin sees everything, so requests reach deep);
- as the applicant who owns the seeded organisation, over every operation (so the role and
  ownership checks answer 403 and 404).

Path, query and body identifiers are one of the seeded ids half of the time and random otherwise.
Generation is derandomised (the same inputs on every run, but for the ids the services make up),
each operation gets a few cases per phase, and the runs together are capped in time. Schemathesis
gets a config file of its own in tmp_path (reports there, no cache, no example database), runs
there with its home there too and no proxy, so it writes nothing outside tmp_path and calls
nothing but 127.0.0.1. The test fails on any 5xx, and on any response
whose status code, content type or body the OpenAPI document does not allow; the failures, with
a curl line to reproduce each, are in the assertion message.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from grantflow_gateway.routes import EVERYONE, ROUTES
from grantflow_runtime.context import Identity, Role

from tests.applications.helpers import (
    application_message,
    competition_message,
    organisation_message,
    rub,
    stamp,
)
from tests.conftest import ADMIN, FUNDER
from tests.gateway.stack import Stack, StackFactory, as_json, day
from tests.scoring.round_fixture import eventually

pytestmark = pytest.mark.asyncio
T = TypeVar("T")

# Cases per operation in the fuzzing and stateful phases; the coverage phase adds its boundary
# and type-confusion cases on top (most of the ~5,700 cases of a full run).
MAX_EXAMPLES = 12
# How often a generated identifier is replaced by one of the seeded objects' ids.
SEEDED_ID_PROBABILITY = 0.5
CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
)
PHASES = ("examples", "coverage", "fuzzing", "stateful")
# Wall time for all the schemathesis runs together (about 60s on two cores); past it the run
# under way is killed and the test fails. The test's own timeout leaves room for the seeding.
FUZZ_BUDGET_S = 180.0
REQUEST_TIMEOUT_S = 10
APPLICANT_SUBJECT = "fuzz-applicant"
EXPERT_SUBJECT = "fuzz-expert"
_PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


# ---- seeding ----


@dataclass
class Seeds:
    """Ids of real objects, by the dictionary name they are bound under."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    applicant: Identity | None = None
    expert: Identity | None = None

    def add(self, kind: str, value: str) -> None:
        if value and value not in self.ids.setdefault(kind, []):
            self.ids[kind].append(value)


async def seed(s: Stack) -> Seeds:
    """A small world over HTTP: what a few minutes of real use would leave behind."""
    seeds = Seeds()
    now = datetime.now(UTC).replace(microsecond=0)

    async def competition(closes: datetime, *, open_it: bool) -> str:
        body = as_json(competition_message(closes_at=stamp(closes), budget=rub(2_500_000),
                                           max_grant=rub(1_000_000)))  # fmt: skip
        created = await s.call(FUNDER, "POST", "/v1/competitions", json=body, expect=201)
        cid: str = created.json()["id"]
        if open_it:
            await s.call(FUNDER, "POST", f"/v1/competitions/{cid}:open", expect=200)
        seeds.add("competitions", cid)
        return cid

    # Two competitions are closed early once their applications are in, so their panels start
    # scoring while the rest is seeded: one is played to its awards, the other stays in scoring
    # with an assignment open. (A deadline seconds ahead raced a loaded machine.)
    closes = now + timedelta(days=7)
    round_cid = await competition(closes, open_it=True)
    scoring_cid = await competition(closes, open_it=True)
    later = now + timedelta(days=30)
    open_cid = await competition(later, open_it=True)
    await competition(later, open_it=False)

    owner = Identity(subject=APPLICANT_SUBJECT, role=Role.APPLICANT)
    body = as_json(organisation_message(name="Fuzz Foundation"))
    organisation = await s.call(owner, "POST", "/v1/organisations", json=body, expect=201)
    me = Identity(subject=APPLICANT_SUBJECT, role=Role.APPLICANT,
                  organisation_id=organisation.json()["id"])  # fmt: skip
    seeds.applicant = me
    seeds.add("organisations", me.organisation_id)

    async def application(cid: str, closing: datetime, *, submit: bool) -> str:
        message = application_message(cid, me.organisation_id, title="Fuzzed project",
                                      start_date=day(closing + timedelta(days=30)),
                                      end_date=day(closing + timedelta(days=200)))  # fmt: skip
        body = as_json(message)
        draft = await s.call(me, "POST", "/v1/applications", json=body, expect=201)
        aid: str = draft.json()["id"]
        if submit:
            await s.call(me, "POST", f"/v1/applications/{aid}:submit", expect=200)
        seeds.add("applications", aid)
        return aid

    awarded = await application(round_cid, closes, submit=True)
    await application(scoring_cid, closes, submit=True)
    for cid in (round_cid, scoring_cid):
        await s.close_early(FUNDER, cid, "the fuzz seed's application is in")
    await application(open_cid, later, submit=False)
    await application(open_cid, later, submit=True)

    registered = await s.call(FUNDER, "POST", "/v1/experts", expect=201, json={
        "subject": EXPERT_SUBJECT, "displayName": "Fuzz Expert", "directionCodes": ["family"],
        "regionCode": "RU-MOW", "maxLoad": 10})  # fmt: skip
    expert = Identity(subject=EXPERT_SUBJECT, role=Role.EXPERT, expert_id=registered.json()["id"])
    seeds.expert = expert
    seeds.add("experts", expert.expert_id)
    definition = await s.call(FUNDER, "POST", "/v1/indicatorDefinitions", expect=201, json={
        "code": "beneficiaries-reached", "title": "Beneficiaries reached", "unit": "people",
        "resultLevel": "RESULT_LEVEL_OUTPUT", "aggregation": "AGGREGATION_SUM",
        "direction": "DIRECTION_INCREASE"})  # fmt: skip
    seeds.add("indicators", definition.json()["code"])

    async def scoring(cid: str) -> bool | None:
        panel = await s.call(FUNDER, "GET", f"/v1/competitions/{cid}/panel")
        ok = panel.status_code == 200 and panel.json()["state"] == "STATE_SCORING"
        return True if ok else None

    for cid in (round_cid, scoring_cid):
        await eventually(functools.partial(scoring, cid))
        await s.call(FUNDER, "POST", f"/v1/competitions/{cid}:assignExperts", expect=200)

    # Score, rank and award the round's one application, so an agreement exists.
    rubric = await s.call(expert, "GET", f"/v1/competitions/{round_cid}/rubric", expect=200)
    sheet = [{"code": c["code"], "value": 9} for c in rubric.json()["criteria"]]
    await s.call(expert, "POST", f"/v1/applications/{awarded}/scores",
                 json={"scores": sheet}, expect=201)  # fmt: skip
    await s.call(FUNDER, "POST", f"/v1/competitions/{round_cid}/panel:close", expect=200)
    await s.call(FUNDER, "POST", f"/v1/competitions/{round_cid}:decideAwards", expect=200)

    async def agreement() -> dict[str, Any] | None:
        got = await s.call(me, "GET", f"/v1/agreements/{awarded}")
        return dict(got.json()) if got.status_code == 200 else None

    signed = await eventually(agreement)
    seeds.add("agreements", signed["id"])
    indicator = signed["indicators"][0]
    report = {
        "indicatorValues": [{"key": indicator["key"], "value": "40", "unit": indicator["unit"]}],
        "expenditures": [{"category": "salaries",
                          "grantPart": {"minorUnits": "30000000", "currencyCode": "RUB"},
                          "cofinancedPart": {"minorUnits": "0", "currencyCode": "RUB"}}],
        "narrative": "First quarter.",
    }  # fmt: skip
    reports = f"/v1/agreements/{signed['id']}/reports"
    await s.call(me, "PUT", f"{reports}/1", json=report, expect=200)
    first = await s.call(me, "POST", f"{reports}/1:submit", expect=200)
    seeds.add("reports", first.json()["id"])
    await s.call(FUNDER, "POST", f"/v1/reports/{first.json()['id']}:accept",
                 json={"comment": "Thank you."}, expect=200)  # fmt: skip
    # A second period's report stays submitted, for the fuzzer to accept or return.
    if (await s.call(me, "PUT", f"{reports}/2", json=report)).status_code == 200:
        second = await s.call(me, "POST", f"{reports}/2:submit")
        if second.status_code == 200:
            seeds.add("reports", second.json()["id"])
    practice = await s.call(FUNDER, "POST", "/v1/practices", expect=201, json={
        "agreementId": signed["id"], "title": "Early help", "description": "What we did.",
        "roadmap": "Step by step.", "organisationalModel": "A team of five.",
        "financialModel": "A grant and own funds.",
        "evidenceReportIds": [first.json()["id"]]})  # fmt: skip
    seeds.add("practices", practice.json()["id"])
    return seeds


# ---- schemathesis configuration ----


# Which dictionary each identifier is drawn from, wherever it appears.
BINDINGS: dict[str, str] = {
    "path.competition_id": "competitions",
    "query.competitionId": "competitions",
    "body.competitionId": "competitions",
    "path.application_id": "applications",
    "query.applicationId": "applications",
    "body.applicationId": "applications",
    "query.organisationId": "organisations",
    "body.organisationId": "organisations",
    "query.expertId": "experts",
    "body.expertId": "experts",
    "path.agreement_id": "agreements",
    "query.agreementId": "agreements",
    "body.agreementId": "agreements",
    "path.report_id": "reports",
    "path.practice_id": "practices",
    "path.code": "indicators",
}
# `{id}` names a different resource on each path.
ID_OWNERS: dict[str, str] = {
    "/v1/competitions/": "competitions",
    "/v1/organisations/": "organisations",
    "/v1/applications/": "applications",
    "/v1/experts/": "experts",
    "/v1/agreements/": "agreements",
}


def toml_value(value: object) -> str:
    """The few TOML values this file writes; JSON's strings, numbers and arrays are TOML's."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return (
            "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
        )
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def fuzz_config(token: str, seeds: Seeds, reports: Path) -> str:
    """A schemathesis.toml of this run's own: nothing is read from the repository or home."""
    known = {kind: ids for kind, ids in seeds.ids.items() if ids}

    def binding(kind: str) -> dict[str, object]:
        return {"dictionary": kind, "probability": SEEDED_ID_PROBABILITY}

    lines = [
        # One worker: operations run in a fixed order, so the state they meet is reproducible.
        "workers = 1",
        f"request-timeout = {REQUEST_TIMEOUT_S}",
        "max-redirects = 0",
        "continue-on-failure = true",
        "[cache]",
        "enabled = false",
        "[reports]",
        f"directory = {toml_value(str(reports))}",
        "[reports.json]",
        "enabled = true",
        "[reports.junit]",
        "enabled = true",
        "[auth.openapi.bearerAuth]",
        f"bearer = {toml_value(token)}",
        "[parameters]",
    ]
    lines += [
        f"{toml_value(k)} = {toml_value(binding(v))}" for k, v in BINDINGS.items() if v in known
    ]
    lines += [f'"path.period_number" = {toml_value({"dictionary": "periods", "probability": 0.7})}']
    for kind, ids in sorted(known.items()):
        lines += [f"[dictionaries.{kind}]", f"values = {toml_value(ids)}"]
    lines += ["[dictionaries.periods]", "values = [1, 2, 3]"]
    for prefix, kind in ID_OWNERS.items():
        if kind in known:
            lines += [
                "[[operations]]",
                f"include-path-regex = {toml_value('^' + prefix + '{id}')}",
                f"parameters = {toml_value({'path.id': binding(kind)})}",
            ]
    return "\n".join(lines) + "\n"


# ---- running schemathesis ----


OUTCOMES = {"accepted": "2xx", "rejected": "4xx", "unreachable": "404", "conflicts": "409"}


@dataclass
class FuzzRun:
    label: str
    returncode: int
    seconds: float
    output: str
    report: dict[str, Any]

    def summary(self) -> str:
        operations = self.report.get("operations", {})
        cases = self.report.get("test_cases", {})
        failures, errors = len(self.report.get("failures", [])), len(self.report.get("errors", []))
        # How the API answered the schema-valid cases (401, 403, 429 and 5xx are not counted).
        outcomes = dict.fromkeys(OUTCOMES, 0)
        for phases in self.report.get("valid_rates", {}).values():
            for rates in phases.values():
                for outcome in OUTCOMES:
                    outcomes[outcome] += rates.get(outcome, 0)
        return (
            f"fuzz as {self.label}: exit {self.returncode} in {self.seconds:.1f}s, "
            f"{operations.get('tested', '?')}/{operations.get('total', '?')} operations, "
            f"{cases.get('generated', '?')} cases, {failures} failures, {errors} errors; "
            "valid cases: " + ", ".join(f"{OUTCOMES[k]} {v}" for k, v in outcomes.items())
        )


def child_environment(home: Path) -> dict[str, str]:
    """This environment, without proxies (only 127.0.0.1 is called) and with home in tmp_path."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARIABLES}
    env = {k: v for k, v in env.items() if not k.startswith(("SCHEMATHESIS_", "HYPOTHESIS_"))}
    env.update(NO_PROXY="*", no_proxy="*", HOME=str(home), NO_COLOR="1", COLUMNS="120",
               PYTHONDONTWRITEBYTECODE="1")  # fmt: skip
    return env


async def run_schemathesis(
    s: Stack,
    who: Identity,
    label: str,
    seeds: Seeds,
    tmp: Path,
    *,
    deadline: float,
    only: Sequence[str] = (),
) -> FuzzRun:
    """One `schemathesis run` in a subprocess, so this event loop keeps serving the stack."""
    workdir = tmp / f"fuzz-{label}"
    workdir.mkdir()
    config = workdir / "schemathesis.toml"
    config.write_text(fuzz_config(s.token(who), seeds, workdir / "reports"))
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "--no-color",
        "run", f"{s.base_url}/openapi.json", "--url", s.base_url,
        "--checks", ",".join(CHECKS), "--phases", ",".join(PHASES),
        "--generation-deterministic", "--max-examples", str(MAX_EXAMPLES),
    ]  # fmt: skip
    for operation_id in only:
        command += ["--include-operation-id", operation_id]
    started = time.monotonic()
    timeout = max(deadline - started, 1.0)
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=workdir,
        env=child_environment(workdir),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout=timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(
            f"schemathesis as {label} was stopped after {timeout:.0f}s: the fuzzing budget "
            f"of {FUZZ_BUDGET_S:.0f}s is spent"
        ) from None
    seconds = time.monotonic() - started
    report_files = sorted((workdir / "reports").glob("json-*.json"))
    report = json.loads(report_files[0].read_text()) if report_files else {}
    assert process.returncode is not None
    return FuzzRun(label, process.returncode, seconds, out.decode(errors="replace"), report)


# Operations only an expert reaches in full; everyone's reads are fuzzed by the other runs.
EXPERT_OPERATIONS = tuple(
    r.operation_id for r in ROUTES if Role.EXPERT in r.roles and r.roles != EVERYONE
)


@pytest.mark.timeout(FUZZ_BUDGET_S + 60)
async def test_fuzz_every_operation_of_the_live_gateway(
    gateway_stack: StackFactory, tmp_path: Path
) -> None:
    started = time.monotonic()
    s = await gateway_stack()
    seeds = await seed(s)
    print(f"\nseeded in {time.monotonic() - started:.1f}s: "
          + ", ".join(f"{k} {len(v)}" for k, v in seeds.ids.items()))  # fmt: skip
    assert seeds.applicant is not None and seeds.expert is not None
    deadline = time.monotonic() + FUZZ_BUDGET_S
    # The expert first, while the seeded panel still scores; then the admin, who may close it;
    # then the applicant who owns the seeded organisation.
    runs = [
        await run_schemathesis(s, seeds.expert, "expert", seeds, tmp_path, deadline=deadline,
                               only=EXPERT_OPERATIONS),
        await run_schemathesis(s, ADMIN, "admin", seeds, tmp_path, deadline=deadline),
        await run_schemathesis(s, seeds.applicant, "applicant", seeds, tmp_path,
                               deadline=deadline),
    ]  # fmt: skip
    for run in runs:
        print(run.summary())
    print(f"seeding and fuzzing took {time.monotonic() - started:.1f}s")
    failed = [run for run in runs if run.returncode != 0 or run.report.get("failures")]
    assert not failed, "\n\n".join(f"{run.summary()}\n{run.output}" for run in failed)
    everything = len(ROUTES) + 2  # the API and the two health probes
    assert [run.report["operations"]["tested"] for run in runs] == [
        len(EXPERT_OPERATIONS),
        everything,
        everything,
    ]


# Path segments with characters a client may well send, percent-encoded; the fuzzer met the first.
ODD_SEGMENTS = ("a%0Ab", "%0A", "a%0Db", "a%09b", "a%00b", "a%85b", "a%E2%80%A8b", "%FF", "%20")
ODD_PATHS = ("/v1/experts/{}", "/v1/competitions/{}:open", "/v1/{}")


async def test_odd_characters_in_a_path_get_a_problem_document(
    gateway_stack: StackFactory,
) -> None:
    """Whatever the path, an error is a problem document (the schema's only error body)."""
    s = await gateway_stack()
    wrong = []
    for segment in ODD_SEGMENTS:
        for template in ODD_PATHS:
            path = template.format(segment)
            for method in ("GET", "POST"):
                response = await s.http.request(method, path, headers=s.auth(ADMIN))
                media = response.headers.get("content-type", "")
                if response.status_code >= 500 or (
                    response.status_code >= 400 and media != "application/problem+json"
                ):
                    wrong.append(f"{method} {path}: {response.status_code} {media} "
                                 f"{response.text[:60]!r}")  # fmt: skip
    assert not wrong, "\n".join(wrong)

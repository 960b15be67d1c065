"""A whole grant round through the HTTP gateway only: competition, organisations, applications,
experts, assignment, scores, awards, a report and the portfolio."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from grantflow_runtime.context import Identity, Role

from tests.applications.helpers import (
    application_message,
    competition_message,
    organisation_message,
    rub,
    stamp,
)
from tests.conftest import FUNDER
from tests.gateway.stack import Stack, StackFactory, as_json, day
from tests.scoring.round_fixture import eventually

pytestmark = pytest.mark.asyncio
INN_PREFIXES = ["500100732", "540207020", "631200543"]


async def test_a_whole_round_over_http(gateway_stack: StackFactory) -> None:
    s = await gateway_stack()
    # The funder closes the call early once the three applications are in: a deadline a few
    # seconds ahead raced a loaded machine (the scheduler's own closing is tested with a clock).
    closes = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    competition = (
        await s.call(
            FUNDER,
            "POST",
            "/v1/competitions",
            expect=201,
            json=as_json(
                competition_message(
                    closes_at=stamp(closes), budget=rub(2_500_000), max_grant=rub(1_000_000)
                )
            ),
        )
    ).json()
    assert competition["state"] == "STATE_DRAFT" and competition["id"]
    cid = competition["id"]
    opened = await s.call(FUNDER, "POST", f"/v1/competitions/{cid}:open", expect=200)
    assert opened.json()["state"] == "STATE_OPEN"

    applicants: list[Identity] = []
    application_ids: list[str] = []
    for i, prefix in enumerate(INN_PREFIXES):
        owner = Identity(subject=f"applicant-{i}", role=Role.APPLICANT)
        organisation = await s.call(
            owner,
            "POST",
            "/v1/organisations",
            expect=201,
            json=as_json(organisation_message(inn_prefix=prefix, name=f"Org {i}")),
        )
        me = Identity(
            subject=owner.subject, role=Role.APPLICANT, organisation_id=organisation.json()["id"]
        )
        applicants.append(me)
        body = as_json(
            application_message(
                cid,
                me.organisation_id,
                title=f"Project {i}",
                start_date=day(closes + timedelta(days=30)),
                end_date=day(closes + timedelta(days=200)),
            )
        )
        draft = (await s.call(me, "POST", "/v1/applications", json=body, expect=201)).json()
        # The state is the server's: neither a mask nor a body moves it.
        await s.call(
            me,
            "PATCH",
            f"/v1/applications/{draft['id']}",
            expect=422,
            params={"updateMask": "state"},
            json={"state": "STATE_AWARDED"},
        )
        checked = await s.call(me, "POST", f"/v1/applications/{draft['id']}:validate", expect=200)
        assert checked.json()["violations"] == []
        key = {"Idempotency-Key": f"submit-{draft['id']}"}
        first = await s.call(
            me, "POST", f"/v1/applications/{draft['id']}:submit", headers=key, expect=200
        )
        again = await s.call(
            me, "POST", f"/v1/applications/{draft['id']}:submit", headers=key, expect=200
        )
        assert first.json() == again.json() and first.json()["state"] == "STATE_SUBMITTED"
        application_ids.append(draft["id"])

    # The applicant sees only its own applications; the funder sees all three.
    mine = await s.call(
        applicants[0], "GET", "/v1/applications", params={"competitionId": cid}, expect=200
    )
    assert [a["id"] for a in mine.json()["applications"]] == [application_ids[0]]
    theirs = await s.call(
        FUNDER, "GET", "/v1/applications", params={"competitionId": cid, "pageSize": 2}, expect=200
    )
    assert len(theirs.json()["applications"]) == 2 and theirs.json()["nextPageToken"]

    await s.close_early(FUNDER, cid, "all three applications are in")

    experts = [Identity(subject=f"expert-{n}", role=Role.EXPERT) for n in (1, 2)]
    for who in experts:
        await s.call(
            FUNDER,
            "POST",
            "/v1/experts",
            expect=201,
            json={
                "subject": who.subject,
                "displayName": who.subject.title(),
                "directionCodes": ["family"],
                "regionCode": "RU-MOW",
                "maxLoad": 10,
            },
        )

    async def scoring_open() -> bool | None:
        panel = await s.call(FUNDER, "GET", f"/v1/competitions/{cid}/panel")
        return (
            True if panel.status_code == 200 and panel.json()["state"] == "STATE_SCORING" else None
        )

    await eventually(scoring_open)
    assigned = await s.call(FUNDER, "POST", f"/v1/competitions/{cid}:assignExperts", expect=200)
    assert assigned.json()["assigned"] == 6 and assigned.json()["complete"] == 3

    rubric = (await s.call(experts[0], "GET", f"/v1/competitions/{cid}/rubric", expect=200)).json()
    marks = dict(zip(application_ids, (9, 7, 8), strict=True))
    for who in experts:
        listed = await s.call(
            who, "GET", "/v1/assignments", params={"competitionId": cid}, expect=200
        )
        assert sorted(a["applicationId"] for a in listed.json()["assignments"]) == sorted(
            application_ids
        )
        for application_id, value in marks.items():
            sheet = [{"code": c["code"], "value": value} for c in rubric["criteria"]]
            await s.call(
                who,
                "POST",
                f"/v1/applications/{application_id}/scores",
                json={"scores": sheet},
                expect=201,
            )
    await s.call(FUNDER, "POST", f"/v1/competitions/{cid}/panel:close", expect=200)
    ranking = await s.call(FUNDER, "GET", f"/v1/competitions/{cid}/ranking", expect=200)
    order = [application_ids[0], application_ids[2], application_ids[1]]
    assert [e["applicationId"] for e in ranking.json()["entries"]] == order
    exported = await s.call(FUNDER, "GET", f"/v1/competitions/{cid}/ranking:export", expect=200)
    assert exported.headers["content-type"].startswith("text/csv")
    assert [r["application_id"] for r in csv.DictReader(io.StringIO(exported.text))] == order

    decision = await s.call(
        FUNDER,
        "POST",
        f"/v1/competitions/{cid}:decideAwards",
        headers={"Idempotency-Key": f"decide-{cid}"},
        expect=200,
    )
    assert [a["applicationId"] for a in decision.json()["awards"]] == order[:2]
    assert decision.json()["budgetUsed"]["minorUnits"] == str(2_000_000 * 100)

    # The winner sees its result, then its agreement, and reports on the first period.
    winner = applicants[0]

    async def awarded() -> dict[str, Any] | None:
        got = await s.call(winner, "GET", f"/v1/applications/{application_ids[0]}", expect=200)
        return got.json() if got.json()["state"] == "STATE_AWARDED" else None

    await eventually(awarded)

    async def agreement() -> dict[str, Any] | None:
        got = await s.call(winner, "GET", f"/v1/agreements/{application_ids[0]}")
        return got.json() if got.status_code == 200 else None

    signed = await eventually(agreement)
    indicator = signed["indicators"][0]
    report = {
        "indicatorValues": [{"key": indicator["key"], "value": "40", "unit": indicator["unit"]}],
        "expenditures": [
            {
                "category": "salaries",
                "grantPart": {"minorUnits": "30000000", "currencyCode": "RUB"},
                "cofinancedPart": {"minorUnits": "0", "currencyCode": "RUB"},
            }
        ],
        "narrative": "First quarter.",
    }
    path = f"/v1/agreements/{application_ids[0]}/reports/1"
    sneaky = {**report, "state": "STATE_ACCEPTED", "decidedBy": winner.subject, "version": 9}
    draft = await s.call(winner, "PUT", path, json=sneaky, expect=200)
    assert draft.json()["state"] == "STATE_DRAFT" and draft.json()["periodNumber"] == 1
    assert draft.json()["decidedBy"] == "" and draft.json()["version"] == 1
    submitted = await s.call(winner, "POST", f"{path}:submit", expect=200)
    assert submitted.json()["state"] == "STATE_SUBMITTED"
    accepted = await s.call(
        FUNDER,
        "POST",
        f"/v1/reports/{submitted.json()['id']}:accept",
        json={"comment": "Thank you."},
        expect=200,
    )
    assert accepted.json()["state"] == "STATE_ACCEPTED"

    async def portfolio() -> dict[str, Any] | None:
        got = await s.call(
            FUNDER, "GET", "/v1/portfolio", params={"groupBy": "direction"}, expect=200
        )
        return got.json() if got.json()["total"]["agreements"] == 2 else None

    rolled = await eventually(portfolio)
    assert rolled["total"]["awarded"]["minorUnits"] == str(2_000_000 * 100)
    progress = await s.call(
        winner, "GET", f"/v1/agreements/{application_ids[0]}/progress", expect=200
    )
    assert progress.json()["agreementId"] == application_ids[0]
    print(
        f"round over HTTP: 3 applications, 6 scores, 2 awards, report {accepted.json()['id']} accepted"
    )


async def test_health_openapi_and_docs_need_no_token(gateway_stack: StackFactory) -> None:
    s: Stack = await gateway_stack()
    assert (await s.http.get("/healthz")).status_code == 200
    ready = await s.http.get("/readyz")
    assert ready.status_code == 200 and set(ready.json()["upstreams"]) == {
        "applications",
        "scoring",
        "impact",
    }
    doc = await s.http.get("/openapi.json")
    assert doc.status_code == 200 and doc.json()["openapi"].startswith("3.1")
    page = await s.http.get("/docs")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    assert (await s.http.get("/docs/static/swagger-ui-bundle.js")).status_code == 200

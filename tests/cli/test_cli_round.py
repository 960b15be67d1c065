"""A whole round driven by the `grantflow` command against a live stack: the operator's steps
through the CLI, the applicants' and experts' steps over HTTP as they would take them."""

from __future__ import annotations

import asyncio
import csv
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from grantflow_runtime.context import Identity, Role

from tests.applications.helpers import application_message, inn10, ogrn13
from tests.cli.conftest import CliStack
from tests.gateway.stack import Stack, as_json
from tests.scoring.round_fixture import eventually

pytestmark = pytest.mark.asyncio

FUNDER = Identity(subject="dev-funder", role=Role.FUNDER)  # the CLI's default caller
ADMIN = Identity(subject="dev-admin", role=Role.ADMIN)
INN_PREFIXES = ["500100732", "540207020", "631200543"]


def competition_yaml(now: datetime) -> str:
    return f"""\
title: Family support in Primorye
description: Early help for families with children.
directionCodes: [family, social-services]
timeZone: Asia/Vladivostok
opensAt: {(now - timedelta(days=2)).date().isoformat()}
closesAt: {(now + timedelta(days=30)).date().isoformat()}
budget: 2 500 000
minGrant: 100000
maxGrant: "1 000 000,00 ₽"
maxDurationMonths: 18
eligibleLegalForms: [nco]
"""


def organisations_csv() -> str:
    good = [inn10(p) for p in INN_PREFIXES]
    ogrn = ogrn13("102770013219")
    broken = good[0][:-1] + str((int(good[0][-1]) + 1) % 10)  # a wrong check digit
    rows = [
        "Name,Legal form,INN,OGRN,Region code,Registered on,Contact name,Contact email",
        f"Org 0,nco,{good[0]},{ogrn},RU-PRI,2019-05-20,Anna,a@example.org",
        f"Org 1,NCO,{good[1]},{ogrn},RU-PRI,20.05.2019,Boris,b@example.org",
        f'"Org 2, the third",nco,{good[2]},{ogrn},RU-PRI,2019-05-20,Vera,v@example.org',
        f"Broken,nco,{broken},{ogrn},RU-PRI,2019-05-20,Gleb,g@example.org",
    ]
    return "\n".join(rows) + "\n"


EXPERTS_CSV = """\
subject;display_name;direction_codes;region_code;max_load
expert-1;Expert One;family, social-services;RU-MOW;10
expert-2;Expert Two;family;RU-MOW;10
expert-3;Expert Three;family;RU-MOW;ten
"""


async def test_a_round_through_the_cli(cli_stack: CliStack) -> None:
    c, s, work = cli_stack, cli_stack.stack, cli_stack.workdir
    now = datetime.now(UTC)

    # --- the competition: created from YAML, shown, opened ---
    (work / "competition.yaml").write_text(competition_yaml(now), encoding="utf-8")
    created = json.loads((await c.ok("competition", "create", "competition.yaml", "--json")).out)
    cid = created["id"]
    assert created["state"] == "STATE_DRAFT"
    assert created["maxGrant"]["minorUnits"] == str(1_000_000 * 100)
    again = json.loads((await c.ok("competition", "create", "competition.yaml", "--json")).out)
    assert again["id"] == cid, "the same file creates the same competition once"
    opened = (await c.ok("competition", "open", cid)).out
    assert "open" in opened
    shown, listed = await c.ok_all(
        ("competition", "show", cid), ("competition", "list", "--state", "open")
    )
    assert "Family support in Primorye" in shown.out and "2 500 000.00" in shown.out
    assert cid in listed.out

    # --- organisations as the admin: one bad row, reported, the rest created; twice-safe ---
    (work / "orgs.csv").write_text(organisations_csv(), encoding="utf-8-sig")
    (work / "experts.csv").write_text(EXPERTS_CSV, encoding="utf-8")
    first, imported = await asyncio.gather(
        c.run("organisations", "import", "orgs.csv"), c.run("experts", "import", "experts.csv")
    )
    assert first.code == 1, first
    assert "organisations: 3 created, 0 skipped (registered already), 1 failed" in first.out
    assert "orgs.csv:5:3: inn:" in first.err, first.err
    second = await c.run("organisations", "import", "orgs.csv")
    assert "organisations: 0 created, 3 skipped (registered already), 1 failed" in second.out
    listed_orgs = (await s.call(ADMIN, "GET", "/v1/organisations", expect=200)).json()
    org_ids = {o["inn"]: o["id"] for o in listed_orgs["organisations"]}
    assert len(org_ids) == 3

    # --- experts as the funder (imported above, beside the organisations): `;`-separated ---
    assert imported.code == 1, imported
    assert "experts: 2 created, 0 skipped (registered already), 1 failed" in imported.out
    assert "experts.csv:4:5: max_load: 'ten' is not a whole number" in imported.err

    # --- applicants apply over HTTP, as themselves ---
    application_ids: list[str] = []
    applicants: list[Identity] = []
    for i, prefix in enumerate(INN_PREFIXES):
        me = Identity(
            subject=f"applicant-{i}", role=Role.APPLICANT, organisation_id=org_ids[inn10(prefix)]
        )
        body = as_json(application_message(cid, me.organisation_id, title=f"Project {i}"))
        draft = (await s.call(me, "POST", "/v1/applications", json=body, expect=201)).json()
        await s.call(me, "POST", f"/v1/applications/{draft['id']}:submit", expect=200)
        application_ids.append(draft["id"])
        applicants.append(me)

    # --- close early, assign, coverage ---
    closed = await c.ok("competition", "close", cid, "--reason", "every expected application is in")
    assert "closed" in closed.out
    assigned = await c.ok("assign", cid, "--wait", "30")
    assert "6 assignments made; 3 applications have their full panel" in assigned.out
    as_data, as_table = await c.ok_all(("coverage", cid, "--json"), ("coverage", cid))
    covered = json.loads(as_data.out)
    assert (len(covered["full"]), len(covered["partial"]), len(covered["none"])) == (3, 0, 0)
    assert sorted((e["name"], e["assigned"]) for e in covered["experts"]) == [
        ("Expert One", 3),
        ("Expert Two", 3),
    ]
    assert "Coverage: 3 applications, 2 experts each" in as_table.out
    assert "Expert One" in as_table.out

    # --- experts score over HTTP ---
    experts = [Identity(subject=f"expert-{n}", role=Role.EXPERT) for n in (1, 2)]
    rubric = (await s.call(experts[0], "GET", f"/v1/competitions/{cid}/rubric", expect=200)).json()
    marks = dict(zip(application_ids, (9, 7, 8), strict=True))
    for who in experts:
        for application_id, value in marks.items():
            sheet = [{"code": k["code"], "value": value} for k in rubric["criteria"]]
            await s.call(
                who,
                "POST",
                f"/v1/applications/{application_id}/scores",
                json={"scores": sheet},
                expect=201,
            )

    # --- decide: refused while scoring is open, then closed and decided ---
    refused = await c.run("decide", cid, "--yes")
    assert refused.code == 1 and "pass --close-scoring" in refused.err
    decided = await c.ok("decide", cid, "--close-scoring", "--yes")
    order = [application_ids[0], application_ids[2], application_ids[1]]
    assert "budget used: 2 000 000.00 RUB" in decided.out
    assert all(a in decided.out for a in order)
    assert "Project 0" in decided.out

    # --- exports ---
    await c.ok_all(
        ("export", "ranking", cid, "-o", "ranking.csv"),
        ("export", "ranking", cid, "--format", "xlsx", "-o", "ranking.xlsx"),
        ("export", "awards", cid, "--format", "xlsx", "-o", "awards.xlsx"),
        ("export", "awards", cid, "-o", "awards.csv"),
    )
    with (work / "ranking.csv").open(encoding="utf-8") as f:
        ranking_rows = list(csv.DictReader(f))
    assert [r["application_id"] for r in ranking_rows] == order
    assert ranking_rows[0]["requested_rub"] == "1000000.00"
    ranking_book = _rows(work / "ranking.xlsx")
    assert [r[1] for r in ranking_book[1:]] == order
    awards_book = _rows(work / "awards.xlsx")
    assert awards_book[0][:3] == ("rank", "application_id", "title")
    assert [r[1] for r in awards_book[1:]] == order[:2]
    assert awards_book[1][4] == "Org 0" and awards_book[2][4] == "Org 2, the third"
    assert awards_book[1][8] == Decimal("1000000") and awards_book[1][6] == "RU-PRI"
    with (work / "awards.csv").open(encoding="utf-8") as f:
        award_rows = list(csv.DictReader(f))
    assert [(r["application_id"], r["awarded_rub"]) for r in award_rows] == [
        (order[0], "1000000.00"),
        (order[1], "1000000.00"),
    ]

    # --- summaries and alerts, once impact holds both agreements; the same over gRPC ---
    async def agreements() -> dict[str, Any] | None:
        got = (await s.call(FUNDER, "GET", "/v1/portfolio", expect=200)).json()
        return got if got["total"]["agreements"] == 2 else None

    await eventually(agreements)
    await overspend_report(s, winner=applicants[0], agreement_id=order[0])
    summary, direct, portfolio, portfolio_direct, alerts, alerts_direct = await c.ok_all(
        ("summary", "--competition", cid),
        ("summary", "--competition", cid, "--grpc"),
        ("summary",),
        ("summary", "--grpc"),
        ("alerts",),
        ("alerts", "--grpc"),
    )
    for text in ("Applications by state", "awarded", "declined", "Awards by direction", "RU-PRI"):
        assert text in summary.out, summary.out
    assert "2 000 000.00 (80.0% of the budget)" in summary.out
    assert direct.out == summary.out
    assert cid in portfolio.out and "Portfolio by competition" in portfolio.out
    assert "overspend 1" in portfolio.out
    assert portfolio_direct.out == portfolio.out
    assert "Alerts (1)" in alerts.out and "overspend" in alerts.out and order[0] in alerts.out
    assert alerts_direct.out == alerts.out


async def overspend_report(s: Stack, *, winner: Identity, agreement_id: str) -> None:
    """The winner reports more grant money spent on salaries than planned; once the funder
    accepts the report, impact raises an overspend alert."""

    async def agreement() -> dict[str, Any] | None:
        got = await s.call(winner, "GET", f"/v1/agreements/{agreement_id}")
        return got.json() if got.status_code == 200 else None

    indicator = (await eventually(agreement))["indicators"][0]
    path = f"/v1/agreements/{agreement_id}/reports/1"
    report = {
        "indicatorValues": [{"key": indicator["key"], "value": "40", "unit": indicator["unit"]}],
        "expenditures": [
            {
                "category": "salaries",
                "grantPart": {"minorUnits": str(900_000 * 100), "currencyCode": "RUB"},
                "cofinancedPart": {"minorUnits": "0", "currencyCode": "RUB"},
            }
        ],
        "narrative": "First quarter.",
    }
    await s.call(winner, "PUT", path, json=report, expect=200)
    submitted = (await s.call(winner, "POST", f"{path}:submit", expect=200)).json()
    await s.call(FUNDER, "POST", f"/v1/reports/{submitted['id']}:accept", json={}, expect=200)

    async def raised() -> list[Any] | None:
        got = (await s.call(FUNDER, "GET", "/v1/alerts", expect=200)).json()["alerts"]
        return got if got else None

    await eventually(raised)


def _rows(path: Any) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(path)
    page = book.active
    assert page is not None
    return [tuple(row) for row in page.iter_rows(values_only=True)]

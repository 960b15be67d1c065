"""The funder's pages in headless Chromium: competitions, closing one early (refused without a
reason first), assigning experts and the coverage that follows, closing scoring, the ranking with
the line where the budget runs out, deciding the awards, the ranking and awards as CSV and Excel;
then a portfolio's dashboard with its four charts, and practices with where they spread."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from grantflow_gateway.console import web
from grantflow_runtime.context import Identity, Role
from openpyxl import load_workbook
from playwright.async_api import Locator, Page, expect

from tests.applications.helpers import (
    application_message,
    competition_message,
    inn10,
    organisation_message,
    rub,
)
from tests.console.browser import Browsing, assert_accessible
from tests.gateway.stack import Stack, as_json
from tests.gateway.world import report_body
from tests.scoring.round_fixture import eventually
from tests.security.rounds import agreement_of, play_round

FUNDER = Identity(subject="funder-console-funder", role=Role.FUNDER)
STRANGER = Identity(subject="funder-console-stranger", role=Role.FUNDER)


@dataclass(frozen=True)
class Project:
    title: str
    inn_prefix: str
    grant: int  # roubles requested
    direction: str
    # Each family expert's score for every criterion; None: that expert has not scored it.
    scores: tuple[int | None, int | None]


# Budget 2,500,000. Alpha and Bravo fit; Charlie's million does not fit the 300,000 left, so the
# budget runs out at its rank; Delta, smaller and further down, still fits. Echo is in a direction
# no expert covers, so nobody scores it. Charlie's experts disagree (90 and 50); one of Delta's has
# not scored.
PROJECTS = (
    Project("Alpha family hubs", "500100732", 1_000_000, "family", (9, 9)),
    Project("Bravo foster school", "540207020", 1_200_000, "family", (8, 8)),
    Project("Charlie training flats", "770708389", 1_000_000, "family", (9, 5)),
    Project("Delta early help", "780200151", 300_000, "family", (6, None)),
    Project("Echo elders online", "631100205", 1_000_000, "social-services", (None, None)),
)
BUDGET = 2_500_000


@dataclass(frozen=True)
class Call:
    competition: str
    applications: dict[str, str]  # title -> id
    experts: tuple[Identity, Identity]


async def submit(stack: Stack, competition: str, n: int, project: Project) -> str:
    owner = Identity(subject=f"funder-console-applicant-{n}", role=Role.APPLICANT)
    organisation = as_json(organisation_message(inn_prefix=project.inn_prefix))
    made = await stack.call(owner, "POST", "/v1/organisations", json=organisation, expect=201)
    me = Identity(owner.subject, Role.APPLICANT, organisation_id=made.json()["id"])
    draft = application_message(
        competition, me.organisation_id, title=project.title, direction_code=project.direction
    )
    # The first line carries the difference, so the grant requested is the project's.
    draft.budget_lines[0].grant_amount.minor_units = (project.grant - 200_000) * 100
    created = await stack.call(me, "POST", "/v1/applications", json=as_json(draft), expect=201)
    aid = str(created.json()["id"])
    await stack.call(me, "POST", f"/v1/applications/{aid}:submit", expect=200)
    return aid


async def register_expert(stack: Stack, n: int) -> Identity:
    subject = f"funder-console-expert-{n}"
    body = {
        "subject": subject,
        "displayName": f"Reviewer {'AB'[n]}",
        "directionCodes": ["family"],
        "regionCode": "RU-MOW",
        "maxLoad": 10,
    }
    made = (await stack.call(FUNDER, "POST", "/v1/experts", json=body, expect=201)).json()
    return Identity(subject, Role.EXPERT, expert_id=made["id"])


async def panel_state(stack: Stack, competition: str) -> str | None:
    got = await stack.call(FUNDER, "GET", f"/v1/competitions/{competition}/panel")
    return str(got.json()["state"]) if got.status_code == 200 else None


async def open_call(stack: Stack) -> Call:
    """An open competition (closing in a month) with five submitted applications and two
    experts for the family direction."""
    body = as_json(
        competition_message(
            title="Families first 2027", budget=rub(BUDGET), max_grant=rub(1_500_000)
        )
    )
    cid = (await stack.call(FUNDER, "POST", "/v1/competitions", json=body, expect=201)).json()["id"]
    await stack.call(FUNDER, "POST", f"/v1/competitions/{cid}:open", expect=200)
    ids = await asyncio.gather(*(submit(stack, cid, n, p) for n, p in enumerate(PROJECTS)))
    experts = await asyncio.gather(register_expert(stack, 0), register_expert(stack, 1))
    # Scoring makes the panel when it hears of the opening; only then is the call listed as hers.
    await eventually(lambda: panel_state(stack, cid))
    return Call(cid, dict(zip((p.title for p in PROJECTS), ids, strict=True)), (*experts,))


async def score(stack: Stack, call: Call) -> None:
    rubric = await stack.call(
        call.experts[0], "GET", f"/v1/competitions/{call.competition}/rubric", expect=200
    )
    codes = [c["code"] for c in rubric.json()["criteria"]]
    for project in PROJECTS:
        for expert, value in zip(call.experts, project.scores, strict=True):
            if value is None:
                continue
            sheet = {"scores": [{"code": code, "value": value} for code in codes]}
            path = f"/v1/applications/{call.applications[project.title]}/scores"
            await stack.call(expert, "POST", path, json=sheet, expect=201)


async def reload_until(page: Page, target: Locator) -> None:
    """Reload until `target` shows: the panel learns of a closed competition from an event."""
    for _ in range(60):
        if await target.count():
            return
        await asyncio.sleep(0.25)
        await page.reload()
    await expect(target).to_be_visible()


def row(page: Page, text: str) -> Locator:
    return page.get_by_role("row").filter(has_text=text)


async def downloaded(page: Page, link: str) -> tuple[str, bytes]:
    async with page.expect_download() as info:
        await page.get_by_role("link", name=link).click()
    download = await info.value
    path = await download.path()
    return download.suggested_filename, await asyncio.to_thread(Path(path).read_bytes)


def workbook_rows(content: bytes) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [tuple(r) for r in sheet.iter_rows(values_only=True)]


async def test_a_funder_runs_a_competition_from_closing_to_awards(
    browsing: Browsing, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = browsing.stack
    call = await open_call(stack)
    page = await browsing.person(FUNDER)

    # The competitions the funder runs, with their applications; another funder's are not there.
    await page.goto("/console/competitions")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Competitions")
    listed = row(page, "Families first 2027")
    await expect(listed).to_contain_text("open")
    await expect(listed).to_contain_text("2,500,000.00")
    await expect(listed.get_by_role("cell").nth(5)).to_have_text("5")
    await assert_accessible(page)
    await browsing.screenshot(page, "competitions")
    # Another funder neither lists it nor reads its ranking.
    stranger = await browsing.person(STRANGER)
    await stranger.goto("/console/competitions")
    await expect(stranger.get_by_text("You run no competitions yet.")).to_be_visible()
    refused = await stranger.goto(f"/console/competitions/{call.competition}/ranking.csv")
    assert refused is not None and refused.status == 404

    # Closing before the deadline needs a reason: refused first, shown beside the input.
    await listed.get_by_role("link", name="Families first 2027").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Families first 2027")
    await page.get_by_role("button", name="Close the competition").click()
    await expect(page.get_by_role("alert")).to_contain_text("earlyCloseReason")
    await expect(page.get_by_label("Why it closes early")).to_have_attribute("aria-invalid", "true")
    await assert_accessible(page)
    await page.get_by_label("Why it closes early").fill("Enough strong applications this round")
    await page.get_by_role("button", name="Close the competition").click()
    await expect(page.get_by_role("status")).to_contain_text("The competition is closed")

    # Scoring opens once the panel hears of the closing; then experts are assigned.
    assign = page.get_by_role("button", name="Assign experts")
    await reload_until(page, assign)
    await assign.click()
    result = page.get_by_role("status")
    await expect(result).to_contain_text(
        "Assignments made: 8. Applications with all their experts: 4."
    )
    short = result.get_by_role("row").filter(has_text="Echo elders online")
    await expect(short).to_be_visible()
    # Worded by the console from the service's cause and figures, with the direction's name.
    await expect(short).to_contain_text(
        "No active expert covers Social services, support and protection of citizens."
    )
    await score(stack, call)

    # Coverage: four of five applications have both experts; one review is still pending.
    await page.goto(f"/console/competitions/{call.competition}")
    totals = page.locator(".totals")
    for figure in (
        "5 applications to review",
        "4 with all 2 experts",
        "0 with some of their experts",
        "1 with no expert yet",
        "7 reviews scored",
        "1 reviews pending",
    ):
        await expect(totals).to_contain_text(figure)
    await expect(row(page, "Echo elders online")).to_contain_text("0")
    load = row(page, "Reviewer B").get_by_role("cell")
    assert await load.all_inner_texts() == ["Reviewer B", "4", "3", "1", "10"]
    await assert_accessible(page)
    await browsing.screenshot(page, "competition")

    # Before the decision the ranking shows who deciding now would fund, and where it stops.
    await page.get_by_role("link", name="Ranking").click()
    ranking = page.get_by_role("table")
    names = [p.title for p in PROJECTS[:4]]
    await expect(ranking.get_by_role("row")).to_have_count(1 + 4 + 1)  # head, entries, cut-off
    for rank, name in enumerate(names, start=1):
        await expect(row(page, name).get_by_role("cell").first).to_have_text(str(rank))
    await expect(row(page, "Charlie")).to_contain_text("scores diverge")
    await expect(row(page, "Charlie")).to_contain_text("not funded: the budget ran out")
    await expect(row(page, "Delta")).to_contain_text("not all scored")
    await expect(row(page, "Delta")).to_contain_text("within the budget")
    cut_off = page.locator("tr.cut-off")
    await expect(cut_off).to_contain_text("The budget runs out here. ₽300,000.00 is left")
    # The line stands right above the first application the budget could not fund.
    assert (
        await page.locator("tr.cut-off + tr").inner_text()
        == await row(page, "Charlie").inner_text()
    )
    await expect(page.get_by_role("button", name="Decide the awards")).to_have_count(0)
    await assert_accessible(page)

    # The ranking as CSV (the service's export) and as Excel (the shared sheet writer).
    name, content = await downloaded(page, "Ranking as CSV")
    assert name == f"ranking-{call.competition}.csv"
    lines = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    assert [(r["rank"], r["title"], r["requested_rub"]) for r in lines] == [
        ("1", "Alpha family hubs", "1000000.00"),
        ("2", "Bravo foster school", "1200000.00"),
        ("3", "Charlie training flats", "1000000.00"),
        ("4", "Delta early help", "300000.00"),
    ]
    assert (lines[2]["diverged"], lines[3]["incomplete"]) == ("yes", "yes")
    name, content = await downloaded(page, "Ranking as Excel")
    assert name == f"ranking-{call.competition}.xlsx"
    cells = workbook_rows(content)
    assert cells[0][:5] == ("rank", "application_id", "title", "direction_code", "requested_rub")
    assert [(c[0], c[2], c[4]) for c in cells[1:]] == [
        (1, "Alpha family hubs", 1_000_000),
        (2, "Bravo foster school", 1_200_000),
        (3, "Charlie training flats", 1_000_000),
        (4, "Delta early help", 300_000),
    ]

    # Scoring closes; deciding asks for confirmation, then records the decision.
    await page.get_by_role("link", name="Overview").click()
    await page.get_by_role("button", name="Close scoring").click()
    await expect(page.get_by_role("status")).to_contain_text("Scoring is closed")
    await page.get_by_role("link", name="Ranking").click()
    await expect(page.get_by_role("button", name="Decide the awards")).to_be_visible()
    # The step stands alone under the page's title here: a second-level heading.
    await expect(page.get_by_role("heading", level=2, name="Decide the awards")).to_be_visible()
    await browsing.screenshot(page, "ranking")
    # Russian: the same line in the other language.
    russian = await browsing.person(FUNDER, language="ru")
    await russian.goto(f"/console/competitions/{call.competition}/ranking")
    await expect(russian.locator("tr.cut-off")).to_contain_text("Здесь заканчивается бюджет.")
    await expect(row(russian, "Charlie")).to_contain_text("без гранта: бюджет исчерпан")
    await assert_accessible(russian)
    await browsing.screenshot(russian, "ranking-ru")

    confirm = page.get_by_label("I understand that the decision is final")
    await confirm.evaluate("box => box.removeAttribute('required')")  # as a browser without it
    await page.get_by_role("button", name="Decide the awards").click()
    await expect(page.get_by_role("alert")).to_contain_text("Confirm that the decision is final")
    await page.get_by_label("I understand that the decision is final").check()
    await page.get_by_role("button", name="Decide the awards").click()

    # The awards: three funded, Charlie over the budget, Echo never scored.
    await expect(page).to_have_url(re.compile(rf"/competitions/{call.competition}/awards"))
    await expect(page.get_by_role("status")).to_contain_text("The awards are decided.")
    funded = page.get_by_role("table").filter(has_text="Awards: 3")
    await expect(funded.get_by_role("row")).to_have_count(4)
    await expect(row(page, "Bravo")).to_contain_text("₽1,200,000.00")
    await expect(page.locator(".totals")).to_contain_text("₽2,500,000.00 Awarded")
    declined = page.get_by_role("table").filter(has_text="Applications not funded: 2")
    await expect(declined.get_by_role("row").filter(has_text="Charlie")).to_contain_text(
        "the budget ran out"
    )
    await expect(declined.get_by_role("row").filter(has_text="Echo")).to_contain_text(
        "no expert scored it"
    )
    await assert_accessible(page)
    await browsing.screenshot(page, "awards")

    name, content = await downloaded(page, "Awards as CSV")
    assert name == f"awards-{call.competition}.csv"
    awarded = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    assert [(a["rank"], a["title"], a["awarded_rub"], a["region_code"]) for a in awarded] == [
        ("1", "Alpha family hubs", "1000000.00", "RU-PRI"),
        ("2", "Bravo foster school", "1200000.00", "RU-PRI"),
        ("4", "Delta early help", "300000.00", "RU-PRI"),
    ]
    assert awarded[0]["inn"] == inn10(PROJECTS[0].inn_prefix)
    _, content = await downloaded(page, "Awards as Excel")
    assert [(c[0], c[2], c[8]) for c in workbook_rows(content)[1:]] == [
        (1, "Alpha family hubs", 1_000_000),
        (2, "Bravo foster school", 1_200_000),
        (4, "Delta early help", 300_000),
    ]

    # A page reads a console-sized share of a long list and says so; a download holds it all.
    monkeypatch.setattr(web, "MAX_LISTED", 2)
    await page.reload()
    await expect(page.get_by_role("status").filter(has_text="first 2 items")).to_be_visible()
    await assert_accessible(page)
    _, content = await downloaded(page, "Awards as CSV")
    assert [a["title"] for a in csv.DictReader(io.StringIO(content.decode("utf-8")))] == [
        "Alpha family hubs",
        "Bravo foster school",
        "Delta early help",
    ]
    monkeypatch.undo()

    # After the decision the ranking shows the recorded outcomes.
    await page.get_by_role("link", name="Ranking").click()
    await expect(
        page.get_by_text("Decided: the outcomes are the recorded decision.")
    ).to_be_visible()
    await expect(row(page, "Alpha")).to_contain_text("funded: ₽1,000,000.00")


# ---- the portfolio and practices ----

# Organisation finances that put a grantee at each risk level: reserves of 8, 2 and half a month.
FINANCES = {
    "RU-PRI": (900_000, 600_000),
    "RU-TA": (1_200_000, 200_000),
    "RU-SVE": (1_200_000, 50_000),
}


def finances(expenses: int, net_assets: int) -> dict[str, Any]:
    revenue = {"grants": 400_000, "donations": 300_000, "earned_income": 300_000}
    return {
        "revenue": [{"category": k, "amount": as_json(rub(v))} for k, v in revenue.items()],
        "expenses": as_json(rub(expenses)),
        "netAssets": as_json(rub(net_assets)),
        "periodMonths": 12,
    }


async def portfolio_round(stack: Stack) -> Identity:
    """Three funded projects, one per region, each with an accepted report and a different
    sustainability risk; a practice from the first, adopted in two more regions."""
    organisations = [
        organisation_message(inn_prefix=prefix, region_code=region, name=f"Fund {region}")
        for prefix, region in zip(("500100732", "540207020", "770708389"), FINANCES, strict=True)
    ]
    played = await play_round(stack, "portfolio", organisations, with_reports=False)
    reports = []
    for who, aid, (expenses, assets) in zip(
        played.applicants, played.applications, FINANCES.values(), strict=True
    ):
        signed = await agreement_of(stack, who, aid)
        body = {
            **report_body(signed["indicators"][0], "First quarter"),
            "finances": finances(expenses, assets),
        }
        path = f"/v1/agreements/{aid}/reports/1"
        await stack.call(who, "PUT", path, json=body, expect=200)
        submitted = (await stack.call(who, "POST", f"{path}:submit", expect=200)).json()
        accept = f"/v1/reports/{submitted['id']}:accept"
        await stack.call(played.funder, "POST", accept, json={"comment": "Fine."}, expect=200)
        reports.append(submitted["id"])
    practice = await stack.call(
        played.funder,
        "POST",
        "/v1/practices",
        expect=201,
        json={
            "agreementId": played.applications[0],
            "title": "Training flats for supported living",
            "description": "Young adults learn to live on their own.",
            "roadmap": "Pilot, train staff, spread.",
            "organisationalModel": "A hub and two flats.",
            "financialModel": "Grant, then the regional budget.",
            "evidenceReportIds": [reports[0]],
        },
    )
    today = datetime.now(UTC).date()
    for region, prefix in (("RU-KDA", "231000099"), ("RU-NIZ", "526000012")):
        await stack.call(
            played.funder,
            "POST",
            f"/v1/practices/{practice.json()['id']}/adoptions",
            expect=200,
            json={
                "organisationName": f"Adopter {region}",
                "organisationInn": inn10(prefix),
                "regionCode": region,
                "adoptedOn": {"year": today.year, "month": today.month, "day": today.day},
                "results": "Six young adults moved to their own homes.",
            },
        )
    return played.funder


async def data_table(figure: Locator) -> list[list[str]]:
    rows = figure.locator("table tbody tr")
    return [
        [c.strip() for c in await rows.nth(i).locator("th, td").all_inner_texts()]
        for i in range(await rows.count())
    ]


async def test_a_funder_sees_the_portfolio_dashboard_and_practices(browsing: Browsing) -> None:
    funder = await portfolio_round(browsing.stack)

    async def alerts_raised() -> bool | None:
        got = await browsing.stack.call(
            funder, "GET", "/v1/alerts", params={"includeResolved": "true"}
        )
        return True if got.json()["alerts"] else None

    await eventually(alerts_raised)
    page = await browsing.person(funder)
    await page.goto("/console/portfolio")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Portfolio")
    await expect(page.locator(".totals")).to_contain_text("3 Agreements")

    # Four figures, each an SVG image named by its title, with its numbers in a table after it.
    figures = page.locator("figure")
    await expect(figures).to_have_count(4)
    titles = [
        "Agreements by target attainment",
        "Co-financing leverage by direction (roubles committed per rouble of grant)",
        "Sustainability risk of grantees by region",
        "Alerts raised per month",
    ]
    for i, title in enumerate(titles):
        figure = figures.nth(i)
        await expect(figure.locator("figcaption")).to_have_text(title)
        image = figure.get_by_role("img", name=title)
        await expect(image).to_have_count(1)
        assert await image.evaluate("svg => svg.tagName") == "svg"
        # The table follows the chart.
        assert await figure.evaluate(
            "f => f.querySelector('svg').compareDocumentPosition(f.querySelector('table')) & 4"
        )

    attainment = await data_table(figures.nth(0))
    assert [r[0] for r in attainment] == [
        "under 50 %",
        "50–80 %",
        "80–100 %",
        "100 % and more",
        "no accepted values yet",
    ]
    assert sum(int(r[1]) for r in attainment) == 3
    assert await figures.nth(0).locator("svg rect").count() == 5

    leverage = await data_table(figures.nth(1))
    assert [r[0] for r in leverage] == ["Support of family, motherhood, fatherhood and childhood"]
    assert leverage[0][1] == "3" and leverage[0][4] == "0.30"  # 300,000 per 1,000,000 granted
    await expect(figures.nth(1).locator("svg rect")).to_have_count(1)

    risk = await data_table(figures.nth(2))
    assert [r[:6] for r in risk] == [
        ["Sverdlovsk Oblast", "1", "0", "0", "1", "0"],
        ["Republic of Tatarstan", "1", "0", "1", "0", "0"],
        ["Primorsky Krai", "1", "1", "0", "0", "0"],
    ]
    shaded = figures.nth(2).locator("td.shade-red-4")
    await expect(shaded).to_have_count(1)
    # Three stacked bars of one part each, after the four legend swatches.
    await expect(figures.nth(2).locator("svg rect")).to_have_count(4 + 3)

    months = await data_table(figures.nth(3))
    now = datetime.now(UTC)
    assert months[-1][0] == now.strftime("%b %Y") and int(months[-1][1]) >= 1
    await expect(figures.nth(3).locator("svg rect")).to_have_count(len(months))
    await assert_accessible(page)
    await browsing.screenshot(page, "dashboard")
    russian = await browsing.person(funder, language="ru")
    await russian.goto("/console/portfolio")
    await expect(russian.get_by_role("img", name="Сигналы по месяцам")).to_be_visible()
    await expect(russian.locator("figure").nth(2)).to_contain_text("высокий")
    await expect(russian.locator("figure").nth(2)).to_contain_text("Свердловская область")
    ru_months = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]
    await expect(russian.locator("figure").nth(3).locator("tbody tr").last).to_contain_text(
        f"{ru_months[now.month - 1]} {now.year}"
    )
    await assert_accessible(russian)
    await browsing.screenshot(russian, "dashboard-ru")

    # Practices: where the practice spread.
    await page.get_by_role("link", name="Practices").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Practices")
    spread = page.get_by_role("table").filter(has_text="Adoptions by region")
    await expect(spread.get_by_role("row")).to_have_count(3)
    await expect(row(page, "Krasnodar Krai").first).to_contain_text("1")
    practice = page.get_by_role("region", name="Training flats for supported living")
    await expect(practice).to_contain_text("Krasnodar Krai, Nizhny Novgorod Oblast")
    await expect(practice.get_by_role("row").filter(has_text="Adopter RU-NIZ")).to_contain_text(
        "Six young adults"
    )
    await assert_accessible(page)
    await browsing.screenshot(page, "practices")

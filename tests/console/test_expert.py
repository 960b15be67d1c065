"""The expert's pages in headless Chromium: assignments across competitions with their deadlines,
a score refused for a missing comment and then submitted, the expert's own score and a revision,
a conflict of interest that ends an assignment; in English and in Russian, and never a word of
another expert's score."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from grantflow_gateway.console.formats import timestamp
from grantflow_gateway.console.i18n import Translator
from grantflow_runtime.context import Identity, Role
from playwright.async_api import Page, expect

from tests.applications.helpers import (
    application_message,
    competition_message,
    organisation_message,
    rub,
    stamp,
)
from tests.console.browser import Browsing, assert_accessible
from tests.gateway.stack import Stack, as_json, day
from tests.gateway.world import CLOSE_AFTER
from tests.scoring.round_fixture import eventually

FUNDER = Identity(subject="expert-console-funder", role=Role.FUNDER)
# Written by the other expert; it must never reach the first one's pages, nor theirs the other's.
OTHER_COMMENT = "Osprey-only remark: exemplary reach into rural districts"
OWN_COMMENT = "Kestrel remark: the need is shown with district statistics"
EN = Translator("en")


@dataclass(frozen=True)
class Panel:
    competition: str
    due: datetime
    applications: dict[str, str]  # title -> id


@dataclass(frozen=True)
class Setting:
    spring: Panel  # due in ten days
    autumn: Panel  # its deadline has passed
    expert: Identity
    other: Identity
    criteria: list[dict[str, Any]]


async def applicant(stack: Stack, subject: str, inn_prefix: str, name: str) -> Identity:
    owner = Identity(subject=subject, role=Role.APPLICANT)
    body = as_json(organisation_message(inn_prefix=inn_prefix, name=name))
    created = (await stack.call(owner, "POST", "/v1/organisations", json=body, expect=201)).json()
    return Identity(subject=subject, role=Role.APPLICANT, organisation_id=created["id"])


async def expert(stack: Stack, subject: str, name: str) -> Identity:
    body = {
        "subject": subject,
        "displayName": name,
        "directionCodes": ["family"],
        "regionCode": "RU-MOW",
        "maxLoad": 10,
    }
    created = (await stack.call(FUNDER, "POST", "/v1/experts", json=body, expect=201)).json()
    return Identity(subject=subject, role=Role.EXPERT, expert_id=created["id"])


async def panel(
    stack: Stack, title: str, due: datetime, entries: list[tuple[Identity, str]]
) -> Panel:
    """A competition closed early once its one application per entry is in, both experts
    assigned to each, scores due at `due`."""
    closes = datetime.now(UTC).replace(microsecond=0) + CLOSE_AFTER
    body = as_json(
        competition_message(
            title=title, closes_at=stamp(closes), budget=rub(5_000_000), max_grant=rub(1_000_000)
        )
    )
    cid = (await stack.call(FUNDER, "POST", "/v1/competitions", json=body, expect=201)).json()["id"]
    await stack.call(FUNDER, "POST", f"/v1/competitions/{cid}:open", expect=200)
    applications: dict[str, str] = {}
    for who, project in entries:
        draft = as_json(
            application_message(
                cid,
                who.organisation_id,
                title=project,
                start_date=day(closes + timedelta(days=30)),
                end_date=day(closes + timedelta(days=200)),
            )
        )
        created = await stack.call(who, "POST", "/v1/applications", json=draft, expect=201)
        applications[project] = created.json()["id"]
        await stack.call(
            who, "POST", f"/v1/applications/{applications[project]}:submit", expect=200
        )
    await stack.close_early(FUNDER, cid, "every test application is in")

    async def state() -> str | None:
        got = await stack.call(FUNDER, "GET", f"/v1/competitions/{cid}/panel")
        return str(got.json()["state"]) if got.status_code == 200 else None

    async def scoring() -> bool | None:
        return True if await state() == "STATE_SCORING" else None

    await eventually(scoring)
    await stack.call(
        FUNDER,
        "PATCH",
        f"/v1/competitions/{cid}/panel",
        params={"updateMask": "scoresDueTime"},
        json={"scoresDueTime": due.strftime("%Y-%m-%dT%H:%M:%SZ")},
        expect=200,
    )
    assigned = await stack.call(FUNDER, "POST", f"/v1/competitions/{cid}:assignExperts", expect=200)
    assert assigned.json()["assigned"] == 2 * len(entries), assigned.json()
    return Panel(cid, due, applications)


async def setting(stack: Stack) -> Setting:
    meadow, river = await asyncio.gather(
        applicant(stack, "expert-console-meadow", "500100732", "Meadow Foundation"),
        applicant(stack, "expert-console-river", "540207020", "River Trust"),
    )
    kestrel, osprey = await asyncio.gather(
        expert(stack, "expert-console-kestrel", "Kestrel Reviewer"),
        expert(stack, "expert-console-osprey", "Osprey Reviewer"),
    )
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    spring, autumn = await asyncio.gather(
        panel(
            stack,
            "Spring family call",
            now + timedelta(days=10),
            [(meadow, "Meadow Project"), (river, "River Project")],
        ),
        panel(stack, "Autumn family call", now - timedelta(days=2), [(meadow, "Harbour Project")]),
    )
    rubric = await stack.call(
        kestrel, "GET", f"/v1/competitions/{spring.competition}/rubric", expect=200
    )
    criteria = list(rubric.json()["criteria"])
    # The other expert scores first, with a comment nobody else may read.
    sheet = [{"code": c["code"], "value": 10, "comment": OTHER_COMMENT} for c in criteria]
    await stack.call(
        osprey,
        "POST",
        f"/v1/applications/{spring.applications['Meadow Project']}/scores",
        json={"scores": sheet},
        expect=201,
    )
    return Setting(spring, autumn, kestrel, osprey, criteria)


def row(page: Page, title: str) -> Any:
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=title))


def criterion(page: Page, index: int) -> Any:
    return page.locator("fieldset.expert-criterion").nth(index)


async def test_an_expert_scores_revises_and_declares_a_conflict(browsing: Browsing) -> None:
    s = await setting(browsing.stack)
    page = await browsing.person(s.expert)

    # Signing in lands on the assignments, grouped by competition, overdue work first and marked.
    await expect(page).to_have_url(re.compile(r"/console/assignments$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Your assignments")
    await expect(page.get_by_role("heading", level=2, name="Spring family call")).to_be_visible()
    await expect(page.get_by_role("heading", level=2, name="Autumn family call")).to_be_visible()
    spring_due = timestamp(s.spring.due.isoformat(), "en")
    await expect(page.get_by_text(f"Applications to score by {spring_due}")).to_be_visible()
    meadow = row(page, "Meadow Project")
    await expect(meadow).to_contain_text("Meadow Foundation")
    await expect(meadow).to_contain_text(EN.maybe("direction.family", "family"))
    await expect(meadow).to_contain_text("Primorsky Krai")
    await expect(meadow).to_contain_text("₽")
    await expect(meadow).to_contain_text(spring_due)
    await expect(meadow).to_contain_text("to score")
    await expect(meadow).not_to_contain_text("Overdue")
    harbour = row(page, "Harbour Project")
    await expect(harbour).to_contain_text(timestamp(s.autumn.due.isoformat(), "en"))
    await expect(harbour).to_contain_text("Overdue")
    await expect(page.locator(".expert-counts")).to_contain_text("Overdue1")
    await assert_accessible(page)
    await browsing.screenshot(page, "assignments")

    await page.get_by_role("link", name="Meadow Project").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Meadow Project")
    await expect(page.get_by_text("Spring family call")).to_be_visible()
    await expect(page.get_by_role("heading", level=2, name="Score the application")).to_be_visible()
    first = criterion(page, 0)
    await expect(first.locator("legend").first).to_have_text(f"1. {s.criteria[0]['title']}")
    await expect(first).to_contain_text("A comment is required for a score of 0 and 10.")
    assert await page.locator("fieldset.expert-criterion").count() == len(s.criteria)
    await assert_accessible(page)

    # A 10 without the comment it needs: refused beside that comment, with every choice kept.
    await first.get_by_label("10", exact=True).check()
    for i in range(1, len(s.criteria)):
        await criterion(page, i).get_by_label("5", exact=True).check()
    await criterion(page, 1).get_by_label("Comment").fill("Goals and activities match.")
    await browsing.screenshot(page, "scoring-form")
    await page.get_by_role("button", name="Submit the score").click()
    error = page.locator("#f-scores-0-comment-error")
    await expect(error).to_have_text("A score of 10 must be justified: write a comment.")
    await expect(page.locator("#error-summary")).to_contain_text(
        f"Comment on “{s.criteria[0]['title']}”"
    )
    await expect(page.locator("#f-scores-0-comment")).to_have_attribute("aria-invalid", "true")
    await expect(first.get_by_label("10", exact=True)).to_be_checked()
    await expect(criterion(page, 1).get_by_label("Comment")).to_have_value(
        "Goals and activities match."
    )
    await assert_accessible(page)
    await browsing.screenshot(page, "scoring-form-refused")

    await first.get_by_label("Comment").fill(OWN_COMMENT)
    await page.get_by_role("button", name="Submit the score").click()
    await expect(page.get_by_role("status")).to_have_text("Your score is submitted.")
    own = page.get_by_role("table").filter(has=page.get_by_text("Revision 1, submitted"))
    await expect(own).to_contain_text(OWN_COMMENT)
    await expect(own).to_contain_text("Goals and activities match.")
    await expect(page.get_by_text("Weighted total: 55 of 100.")).to_be_visible()
    assert OTHER_COMMENT not in await page.content()
    await assert_accessible(page)
    await browsing.screenshot(page, "own-score")

    # A revision needs its reason; then it is the score shown.
    await page.get_by_role("link", name="Revise the score").click()
    await expect(page.get_by_role("heading", level=2, name="Revise your score")).to_be_visible()
    await expect(first.get_by_label("Comment")).to_have_value(OWN_COMMENT)
    await criterion(page, 2).get_by_label("7", exact=True).check()
    await page.get_by_role("button", name="Submit the revised score").click()
    await expect(page.locator("#f-reason-error")).to_have_text(
        "Say why you are changing the score."
    )
    await expect(criterion(page, 2).get_by_label("7", exact=True)).to_be_checked()
    await page.get_by_label("Why you are changing the score").fill("Re-read the innovation part.")
    await page.get_by_role("button", name="Submit the revised score").click()
    await expect(page.get_by_text("Revision 2, submitted")).to_be_visible()
    await expect(page.get_by_text("Weighted total: 57 of 100.")).to_be_visible()
    assert OTHER_COMMENT not in await page.content()

    # A conflict of interest on another assignment: a reason is required, then it ends.
    await page.get_by_role("link", name="← All assignments").click()
    await expect(row(page, "Meadow Project")).to_contain_text("scored")
    await page.get_by_role("link", name="River Project").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("River Project")
    await expect(page.get_by_text("This cannot be undone.")).to_be_visible()
    declare = page.get_by_role("button", name="Declare a conflict of interest")
    await declare.click()
    await expect(page.locator("#f-conflict-reason-error")).to_have_text(
        "Say what connects you to the applicant."
    )
    await assert_accessible(page)
    await page.get_by_label("What connects you to the applicant").fill(
        "I advised River Trust on this project last year."
    )
    await declare.click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Assignment cancelled")
    await expect(page.get_by_role("status")).to_contain_text("Conflict of interest declared.")
    content = await page.content()
    assert "River Project" not in content and "River Trust" not in content
    await expect(page.get_by_role("button", name="Submit the score")).to_have_count(0)
    await assert_accessible(page)
    await browsing.screenshot(page, "conflict-declared")
    await page.get_by_role("link", name="← All assignments").click()
    await expect(page.get_by_role("row").filter(has_text="Application not shown")).to_contain_text(
        "cancelled"
    )

    # The other expert, in Russian: its own score and comment, never this expert's.
    other = await browsing.person(s.other, language="ru")
    await expect(other.get_by_role("heading", level=1)).to_have_text("Ваши назначения")
    await expect(row(other, "Meadow Project")).to_contain_text("оценена")
    await expect(row(other, "Harbour Project")).to_contain_text("Просрочено")
    await assert_accessible(other)
    await browsing.screenshot(other, "assignments-ru")
    await other.get_by_role("link", name="Meadow Project").click()
    await expect(other.get_by_role("heading", level=2, name="Ваша оценка")).to_be_visible()
    await expect(other.get_by_text("Взвешенная сумма: 100 из 100.")).to_be_visible()
    other_content = await other.content()
    assert OTHER_COMMENT in other_content and OWN_COMMENT not in other_content
    await other.goto(other.url.split("?")[0] + "?revise=1")
    await expect(other.get_by_role("heading", level=2, name="Изменение оценки")).to_be_visible()
    await expect(criterion(other, 0)).to_contain_text("Комментарий обязателен при балле 0 и 10.")
    await assert_accessible(other)


async def test_an_assignment_of_somebody_else_reads_as_missing(browsing: Browsing) -> None:
    stack = browsing.stack
    stranger = await expert(stack, "expert-console-stranger", "Stranger Reviewer")
    page = await browsing.person(stranger)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Your assignments")
    await expect(page.get_by_text("You have no assignments yet.")).to_be_visible()
    await assert_accessible(page)
    response = await page.goto("/console/assignments/no-such-competition/no-such-application")
    assert response is not None and response.status == 404
    await expect(page.get_by_text("You have no assignment of this application.")).to_be_visible()
    # A post without the page's CSRF token changes nothing.
    posted = await page.request.post(
        "/console/assignments/no-such-competition/no-such-application/conflict",
        form={"conflict.reason": "forged"},
    )
    assert posted.status == 403

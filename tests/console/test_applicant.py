"""The applicant's pages in headless Chromium: draft with live totals, see the competition's
rules broken, fix them, submit, withdraw; in English and in Russian."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from grantflow_runtime.context import Identity, Role
from playwright.async_api import Page, expect

from tests.applications.helpers import competition_message, organisation_message
from tests.console.browser import Browsing, assert_accessible
from tests.gateway.stack import Stack, as_json

FUNDER = Identity(subject="console-funder", role=Role.FUNDER)


async def open_competition(stack: Stack, **changes: Any) -> dict[str, Any]:
    body = as_json(
        competition_message(title="Families First 2027", min_cofinancing_percent="10", **changes)
    )
    created = (await stack.call(FUNDER, "POST", "/v1/competitions", json=body, expect=201)).json()
    await stack.call(FUNDER, "POST", f"/v1/competitions/{created['id']}:open", expect=200)
    return dict(created)


async def organisation(stack: Stack, subject: str, inn_prefix: str) -> Identity:
    owner = Identity(subject=subject, role=Role.APPLICANT)
    body = as_json(organisation_message(inn_prefix=inn_prefix, name="Family Support Centre"))
    created = (await stack.call(owner, "POST", "/v1/organisations", json=body, expect=201)).json()
    return Identity(subject=subject, role=Role.APPLICANT, organisation_id=created["id"])


async def fill_project(page: Page) -> None:
    start = (datetime.now(UTC) + timedelta(days=60)).date()
    end = start + timedelta(days=300)
    await page.get_by_label("Project title").fill("Early help for families")
    await page.get_by_label("Summary").fill("Early help in three districts of Primorye.")
    await page.get_by_label("Grant direction").select_option("family")
    await page.get_by_label("Regions of the project").select_option(["RU-PRI", "RU-KHA"])
    await page.get_by_label("Start date").fill(start.isoformat())
    await page.get_by_label("End date").fill(end.isoformat())
    await page.get_by_label("Target groups").fill("families with young children")
    await page.get_by_label("Result 1", exact=True).fill("Families supported")
    await page.get_by_label("Unit 1", exact=True).fill("families")
    await page.get_by_label("Target 1", exact=True).fill("120")
    await page.get_by_label("Category 1", exact=True).fill("salaries")
    await page.get_by_label("Description 1", exact=True).fill("Specialists")
    await page.get_by_label("From the grant 1", exact=True).fill("900000")


async def test_an_applicant_drafts_sees_a_broken_rule_fixes_it_and_submits(
    browsing: Browsing,
) -> None:
    stack = browsing.stack
    competition = await open_competition(stack)
    applicant = await organisation(stack, "console-applicant", "770708389")
    page = await browsing.person(applicant)

    await expect(page.get_by_role("heading", level=1)).to_have_text("Applications")
    await expect(page.get_by_text("No applications yet.")).to_be_visible()
    await assert_accessible(page)
    await browsing.screenshot(page, "applications-empty")

    await page.get_by_role("link", name="Start an application").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("New application")
    await assert_accessible(page)
    await fill_project(page)
    # Totals follow the typing before anything is saved.
    await expect(page.locator('[data-total="requested"]')).to_have_text("900,000.00")
    await expect(page.locator('[data-total="share"]')).to_have_text("0 %")
    await page.get_by_role("button", name="Save the draft").click()

    # Saved, and every rule the draft breaks is listed, each beside its input too.
    await expect(page).to_have_url(re.compile(r"/console/applications/[0-9a-f-]+\?saved=1"))
    await expect(page.get_by_role("status").first).to_contain_text("The draft is saved.")
    summary = page.locator("#error-summary")
    await expect(summary).to_contain_text("Before you can submit, fix these")
    await expect(summary).to_contain_text("below the minimum of 10")
    await expect(summary.get_by_role("link", name="Co-financing source")).to_be_visible()
    await assert_accessible(page)
    await browsing.screenshot(page, "draft-with-violations")

    # The fix: a co-financing source, and the budget line's co-financed part to match it.
    await page.get_by_label("From co-financing 1", exact=True).fill("150000")
    await page.get_by_label("Type 1", exact=True).select_option("COFINANCING_TYPE_OWN_FUNDS")
    await page.get_by_label("Amount 1", exact=True).fill("150000")
    await expect(page.locator('[data-total="cofinancing"]')).to_have_text("150,000.00")
    await expect(page.locator('[data-total="total"]')).to_have_text("1,050,000.00")
    await expect(page.locator('[data-total="share"]')).to_have_text("14.29 %")
    await page.get_by_role("button", name="Save the draft").click()
    await expect(page.get_by_text("meets every rule of the competition")).to_be_visible()
    await expect(page.locator("#error-summary")).to_have_count(0)
    await expect(page.get_by_text("a share of 14.29 %")).to_be_visible()

    await page.get_by_role("button", name="Submit the application").click()
    await expect(page.get_by_role("status")).to_contain_text("The application is submitted")
    await expect(page.locator(".facts")).to_contain_text("submitted")
    await assert_accessible(page)
    await browsing.screenshot(page, "submitted")

    listing = await stack.call(
        applicant, "GET", "/v1/applications", params={"competitionId": competition["id"]}
    )
    [stored] = listing.json()["applications"]
    assert stored["state"] == "STATE_SUBMITTED"
    assert stored["totals"]["cofinancingSharePercent"] == "14.29"
    assert sorted(stored["regionCodes"]) == ["RU-KHA", "RU-PRI"]
    await expect(page.locator(".facts")).to_contain_text("Khabarovsk Krai, Primorsky Krai")

    # A reason past the service's 1,000 characters is refused and the application stays in.
    await page.get_by_label("Why you withdraw it").fill("x" * 1001)
    await page.get_by_role("button", name="Withdraw the application").click()
    await expect(page.locator(".error-summary")).to_contain_text("at most 1000 characters")
    still = await stack.call(applicant, "GET", f"/v1/applications/{stored['id']}", expect=200)
    assert still.json()["state"] == "STATE_SUBMITTED"
    await page.get_by_label("Why you withdraw it").fill("The project found another funder.")
    await page.get_by_role("button", name="Withdraw the application").click()
    await expect(page.get_by_role("status")).to_contain_text("The application is withdrawn.")
    await expect(page.locator(".facts")).to_contain_text("The project found another funder.")


async def new_draft(browsing: Browsing, subject: str, inn_prefix: str) -> tuple[Identity, Page]:
    """A competition open, an applicant's organisation, and its new draft filled in the page."""
    await open_competition(browsing.stack)
    applicant = await organisation(browsing.stack, subject, inn_prefix)
    page = await browsing.person(applicant)
    await page.get_by_role("link", name="Start an application").click()
    await fill_project(page)
    return applicant, page


async def test_unreadable_amounts_are_named_and_nothing_is_saved(browsing: Browsing) -> None:
    stack = browsing.stack
    applicant, page = await new_draft(browsing, "console-typo", "500100732")
    await page.get_by_label("From the grant 1", exact=True).fill("900 000,505")
    await page.get_by_role("button", name="Save the draft").click()

    field = page.get_by_label("From the grant 1", exact=True)
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(field).to_have_value("900 000,505")
    await expect(page.locator(".error-summary")).to_contain_text("Budget line 1: from the grant")
    await expect(page.get_by_label("Project title")).to_have_value("Early help for families")
    await assert_accessible(page)
    mine = await stack.call(applicant, "GET", "/v1/applications")
    assert mine.json()["applications"] == []


async def test_refusals_land_on_the_row_typed_and_a_stale_edit_is_not_saved_over_a_newer(
    browsing: Browsing,
) -> None:
    stack = browsing.stack
    applicant, page = await new_draft(browsing, "console-rows", "526317984")
    await page.get_by_role("button", name="Save the draft").click()
    await expect(page).to_have_url(re.compile(r"\?saved=1"))
    application_id = page.url.split("?")[0].rsplit("/", 1)[1]

    # Row 1 emptied; rows 2 and 3 typed. The service refuses the third row's category (body
    # row 2 once the blank one is dropped); the page shows the rows as sent, so the error must
    # stand beside "staff…", now the page's row 2, and not beside "rent".
    for label in ("Category 1", "Description 1", "From the grant 1", "From co-financing 1"):
        await page.get_by_label(label, exact=True).fill("")
    await page.get_by_label("Category 2", exact=True).fill("rent")
    await page.get_by_label("From the grant 2", exact=True).fill("100000")
    long_category = "staff " + "x" * 1000
    await page.get_by_label("Category 3", exact=True).fill(long_category)
    await page.get_by_label("From the grant 3", exact=True).fill("200000")
    await page.get_by_role("button", name="Save the draft").click()
    await expect(page.locator(".error-summary")).to_contain_text("at most 1000 characters")
    refused = page.get_by_label("Category 2", exact=True)
    await expect(refused).to_have_value(long_category)
    await expect(refused).to_have_attribute("aria-invalid", "true")
    rent = page.get_by_label("Category 1", exact=True)
    await expect(rent).to_have_value("rent")
    await expect(rent).not_to_have_attribute("aria-invalid", "true")

    # A row added by the script is numbered like the rest: its own ids, its own labels.
    await page.locator('[data-add-row="budgetLines"]').click()
    added = page.get_by_label("Category 4", exact=True)
    await expect(added).to_have_attribute("id", "f-budgetLines-3-category")
    await expect(page.locator("#f-budgetLines-3-grantAmount")).to_have_count(1)
    await assert_accessible(page)

    # A colleague saves a newer version meanwhile. Saving the older edit is refused, and
    # saving it again is refused too: it never quietly replaces the colleague's work.
    await page.goto(f"/console/applications/{application_id}")
    await stack.call(
        applicant,
        "PATCH",
        f"/v1/applications/{application_id}",
        json={"version": 1, "title": "The colleague's title"},
        params={"updateMask": "title"},
        expect=200,
    )
    await page.get_by_label("Project title").fill("My title")
    for _ in range(2):
        await page.get_by_role("button", name="Save the draft").click()
        await expect(page.locator(".error-summary")).to_be_visible()
        await expect(page.get_by_label("Project title")).to_have_value("My title")
    stored = await stack.call(applicant, "GET", f"/v1/applications/{application_id}", expect=200)
    assert (stored.json()["title"], stored.json()["version"]) == ("The colleague's title", 2)


async def test_the_draft_form_reads_in_russian(browsing: Browsing) -> None:
    stack = browsing.stack
    await open_competition(stack)
    applicant = await organisation(stack, "console-ru", "540207020")
    page = await browsing.person(applicant, language="ru")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Заявки")
    await page.get_by_role("link", name="Подать заявку").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Новая заявка")
    await page.get_by_label("Регионы реализации").select_option(label="Приморский край")
    await page.get_by_label("За счёт гранта 1", exact=True).fill("1234567,5")
    await expect(page.locator('[data-total="requested"]')).to_have_text(
        re.compile(r"1\s234\s567,50")
    )
    await assert_accessible(page)
    await browsing.screenshot(page, "draft-ru")
    # Saved, the rules still broken read in Russian, with the service's own figures kept.
    await page.get_by_role("button", name="Сохранить черновик").click()
    summary = page.locator("#error-summary")
    await expect(summary).to_contain_text("Прежде чем подать заявку, исправьте")
    await expect(summary).to_contain_text("Название проекта: обязательное поле")
    await expect(summary).to_contain_text("ниже минимума по условиям конкурса (the co-financing")
    await assert_accessible(page)

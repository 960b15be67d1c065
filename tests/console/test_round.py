"""A whole round through the console in headless Chromium, each person in their own browser:
the applicant drafts, meets a broken rule, fixes it and submits; the funder closes the call and
assigns experts; the expert scores; the funder closes scoring, decides and reads the dashboard;
the grantee finds the award and files the first report. Only what the console cannot do
(registering the competition, the organisation and the expert) goes over the API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from grantflow_runtime.context import Identity, Role
from playwright.async_api import Locator, Page, expect

from tests.console.browser import Browsing, assert_accessible
from tests.console.test_applicant import FUNDER, fill_project, open_competition, organisation
from tests.gateway.stack import Stack
from tests.scoring.round_fixture import eventually


async def reload_until(page: Page, target: Locator, attempts: int = 60) -> None:
    """Reload until `target` shows: services learn of each other's changes from events."""
    for _ in range(attempts):
        if await target.count():
            return
        await page.wait_for_timeout(500)
        await page.reload()
    await expect(target.first).to_be_visible()


async def panel_of(stack: Stack, competition: str) -> dict[str, Any]:
    got = await stack.call(FUNDER, "GET", f"/v1/competitions/{competition}/panel", expect=200)
    return dict(got.json())


async def reports_of(stack: Stack, grantee: Identity, agreement: str) -> list[dict[str, Any]]:
    got = await stack.call(grantee, "GET", f"/v1/agreements/{agreement}/reports", expect=200)
    return list(got.json()["reports"])


async def one_expert_per_application(stack: Stack, competition: str) -> Identity:
    async def panel() -> dict[str, Any] | None:
        got = await stack.call(FUNDER, "GET", f"/v1/competitions/{competition}/panel")
        return dict(got.json()) if got.status_code == 200 else None

    await eventually(panel)
    await stack.call(
        FUNDER,
        "PATCH",
        f"/v1/competitions/{competition}/panel",
        params={"updateMask": "expertsPerApplication"},
        json={"expertsPerApplication": 1},
        expect=200,
    )
    body = {
        "subject": "round-expert",
        "displayName": "Irina Expert",
        "directionCodes": ["family"],
        "regionCode": "RU-MOW",
        "maxLoad": 5,
    }
    made = (await stack.call(FUNDER, "POST", "/v1/experts", json=body, expect=201)).json()
    return Identity("round-expert", Role.EXPERT, expert_id=made["id"])


async def test_a_round_from_draft_to_dashboard_and_first_report(browsing: Browsing) -> None:
    stack = browsing.stack
    competition = (await open_competition(stack))["id"]
    expert = await one_expert_per_application(stack, competition)
    grantee = await organisation(stack, "round-applicant", "770708389")

    # The applicant drafts, sees the co-financing rule broken, fixes it and submits.
    applicant = await browsing.person(grantee)
    await applicant.get_by_role("link", name="Start an application").click()
    await fill_project(applicant)
    await applicant.get_by_role("button", name="Save the draft").click()
    await expect(applicant.locator("#error-summary")).to_contain_text("below the minimum of 10")
    await browsing.screenshot(applicant, "1-applicant-violation")
    await applicant.get_by_label("From co-financing 1", exact=True).fill("150000")
    await applicant.get_by_label("Type 1", exact=True).select_option("COFINANCING_TYPE_OWN_FUNDS")
    await applicant.get_by_label("Amount 1", exact=True).fill("150000")
    await applicant.get_by_role("button", name="Save the draft").click()
    await expect(applicant.get_by_text("meets every rule of the competition")).to_be_visible()
    await applicant.get_by_role("button", name="Submit the application").click()
    await expect(applicant.get_by_role("status")).to_contain_text("The application is submitted")
    application_url = applicant.url.split("?")[0]

    # The funder closes the call early, with the reason the rules ask for, and assigns experts.
    funder = await browsing.person(FUNDER)
    await funder.goto(f"/console/competitions/{competition}")
    await funder.get_by_label("Why it closes early").fill("The pilot round needs one project.")
    await funder.get_by_role("button", name="Close the competition").click()
    await expect(funder.get_by_role("status")).to_contain_text("The competition is closed")
    await reload_until(funder, funder.get_by_role("button", name="Assign experts"))
    due = (datetime.now(UTC) + timedelta(days=14)).date()
    await funder.get_by_label("Scores due by (inclusive)").fill(due.isoformat())
    await funder.get_by_role("button", name="Set the date").click()
    await expect(funder.get_by_role("status")).to_contain_text("The scoring deadline is saved.")
    await expect(funder.get_by_label("Scores due by (inclusive)")).to_have_value(due.isoformat())
    # A day that does not exist, posted past the browser's date picker, is named and changes
    # nothing: the panel keeps the deadline it had.
    stored_due = (await panel_of(stack, competition))["scoresDueTime"]
    csrf = await funder.locator('input[name="csrf"]').first.get_attribute("value")
    refused = await funder.request.post(
        f"/console/competitions/{competition}/scores-due",
        form={"csrf": csrf or "", "scoresDueTime": "2027-02-30"},
        headers={"Accept-Language": "en"},
    )
    assert refused.status == 422
    assert "must be a date as YYYY-MM-DD" in await refused.text()
    # The refused day stays in the input as typed, to be corrected.
    assert 'value="2027-02-30"' in await refused.text()
    assert (await panel_of(stack, competition))["scoresDueTime"] == stored_due
    await funder.get_by_role("button", name="Assign experts").click()
    await expect(funder.get_by_role("status")).to_contain_text("1")
    await assert_accessible(funder)
    await browsing.screenshot(funder, "2-funder-coverage")

    # The expert scores every criterion of the rubric, with a comment on each.
    reviewer = await browsing.person(expert)
    await expect(reviewer.get_by_role("heading", level=1)).to_have_text("Your assignments")
    # The competition runs in Vladivostok: the end of the due day there is 13:59 UTC that day.
    await expect(
        reviewer.get_by_role("row").filter(has_text="Early help for families")
    ).to_contain_text(f"{due.day} {due:%b} {due.year} 13:59 UTC")
    await reviewer.get_by_role("link", name="Early help for families").click()
    criteria = reviewer.locator("fieldset.expert-criterion")
    for i in range(await criteria.count()):
        criterion = criteria.nth(i)
        await criterion.get_by_role("radio").nth(-2).check()
        await criterion.get_by_label("Comment").fill(f"Reasoned view on criterion {i + 1}.")
    await browsing.screenshot(reviewer, "3-expert-scoring")
    await reviewer.get_by_role("button", name="Submit the score").click()
    await expect(reviewer.get_by_role("status")).to_have_text("Your score is submitted.")
    await assert_accessible(reviewer)

    # The funder closes scoring, reads the ranking, decides and opens the dashboard.
    await funder.goto(f"/console/competitions/{competition}")
    await funder.get_by_role("button", name="Close scoring").click()
    await expect(funder.get_by_role("status")).to_contain_text("Scoring is closed")
    await funder.get_by_role("link", name="Ranking").click()
    await expect(
        funder.get_by_role("row").filter(has_text="Early help for families")
    ).to_contain_text("1")
    await browsing.screenshot(funder, "4-funder-ranking")
    await funder.get_by_label("I understand that the decision is final").check()
    await funder.get_by_role("button", name="Decide the awards").click()
    await expect(funder.get_by_role("status")).to_contain_text("The awards are decided.")
    await expect(funder.get_by_role("table").filter(has_text="Awards: 1")).to_contain_text(
        "Early help for families"
    )
    await assert_accessible(funder)
    await browsing.screenshot(funder, "5-funder-awards")

    # The grantee sees the award, the agreement's schedule, and files the first report.
    await applicant.goto(application_url)
    await reload_until(applicant, applicant.get_by_role("link", name=re.compile("grant agreement")))
    await applicant.get_by_role("link", name=re.compile("grant agreement")).click()
    await expect(applicant.get_by_role("heading", level=1)).to_have_text("Early help for families")
    await expect(
        applicant.get_by_role("table").filter(has_text="Reporting periods")
    ).to_contain_text("not started")
    await assert_accessible(applicant)
    await browsing.screenshot(applicant, "6-grantee-agreement")
    await applicant.get_by_role("link", name="Report for period 1").click()
    await applicant.get_by_label("Value of «Families supported»").fill("30")
    await applicant.get_by_label("Spent from the grant on salaries").fill("200000")
    await applicant.get_by_label("What happened in the period").fill("Two teams started work.")
    # Spending dated outside the period is refused, named by its label, and kept as typed.
    spent_on = applicant.get_by_label("Date spent on salaries")
    await spent_on.fill("2020-01-15")
    await applicant.get_by_role("button", name="Save the draft").click()
    summary = applicant.locator(".error-summary")
    await expect(summary).to_contain_text("Date spent on salaries: must lie in period 1")
    await expect(spent_on).to_have_attribute("aria-invalid", "true")
    await expect(applicant.get_by_label("Value of «Families supported»")).to_have_value("30")
    agreement_id = application_url.rsplit("/", 1)[1]
    assert await reports_of(stack, grantee, agreement_id) == []
    await spent_on.fill("")
    await assert_accessible(applicant)
    await browsing.screenshot(applicant, "7-grantee-report")
    await applicant.get_by_role("button", name="Submit the report").click()
    await expect(applicant.get_by_role("status")).to_contain_text("The report is submitted")
    await expect(
        applicant.get_by_role("table").filter(has_text="Reporting periods")
    ).to_contain_text("submitted")

    # The funder reads the report and returns it: without a comment the service refuses.
    await funder.get_by_role("link", name="Grants and reports").click()
    await funder.get_by_role("link", name="Early help for families").click()
    await funder.get_by_role("link", name="Report for period 1").click()
    await expect(funder.get_by_label("Value of «Families supported»")).to_be_disabled()
    await funder.get_by_role("button", name="Return for changes").click()
    await expect(funder.locator(".error-summary")).to_contain_text(
        "Comment to the grantee: is required"
    )
    [still] = await reports_of(stack, grantee, agreement_id)
    assert still["state"] == "STATE_SUBMITTED" and not still["decisionComment"]
    await funder.get_by_label("Comment to the grantee").fill("Attach the attendance sheets.")
    await assert_accessible(funder)
    await browsing.screenshot(funder, "9-funder-report-review")
    await funder.get_by_role("button", name="Return for changes").click()
    await expect(funder.get_by_role("status")).to_contain_text("The report is returned")
    await applicant.get_by_role("link", name="Report for period 1").click()
    await expect(applicant.locator("main")).to_contain_text("Attach the attendance sheets.")
    await expect(applicant.get_by_label("Value of «Families supported»")).to_be_enabled()

    # The grantee answers with a correction: it must say what it changes, then goes back to
    # the funder as a new version.
    await applicant.get_by_label("Value of «Families supported»").fill("32")
    await applicant.get_by_role("button", name="Submit the correction").click()
    await expect(applicant.locator(".error-summary")).to_contain_text(
        "What this correction changes: is required"
    )
    await expect(applicant.get_by_label("Value of «Families supported»")).to_have_value("32")
    [returned] = await reports_of(stack, grantee, agreement_id)
    assert (returned["state"], returned["version"]) == ("STATE_RETURNED", 1)
    await applicant.get_by_label("What this correction changes").fill(
        "Attendance sheets counted: 32 families, not 30."
    )
    await assert_accessible(applicant)
    await applicant.get_by_role("button", name="Submit the correction").click()
    await expect(applicant.get_by_role("status")).to_contain_text("The correction is submitted")
    corrected = max(await reports_of(stack, grantee, agreement_id), key=lambda r: r["version"])
    assert (corrected["state"], corrected["version"]) == ("STATE_SUBMITTED", 2)
    await funder.get_by_role("link", name="Report for period 1").click()
    await expect(funder.locator("main")).to_contain_text(
        "What the correction changes: Attendance sheets counted: 32 families, not 30."
    )
    await expect(funder.get_by_label("Value of «Families supported»")).to_have_value("32")
    await funder.get_by_role("button", name="Accept the report").click()
    await expect(funder.get_by_role("status")).to_contain_text("The report is accepted")
    # An accepted report opens for a correction only when the grantee asks.
    await applicant.get_by_role("link", name="Report for period 1").click()
    await expect(applicant.get_by_label("Value of «Families supported»")).to_be_disabled()
    await applicant.get_by_role("link", name="Correct this report").click()
    await expect(applicant.get_by_label("What this correction changes")).to_be_enabled()

    # The dashboard shows the funded project in its charts.
    await funder.goto("/console/portfolio")
    for title in ("Agreements by target attainment", "Alerts raised per month"):
        await expect(funder.get_by_role("img", name=re.compile(title))).to_be_visible()
    await expect(funder.locator("figure svg")).to_have_count(4)
    await expect(funder.locator(".funder-totals, main").first).to_contain_text("₽")
    await assert_accessible(funder)
    await browsing.screenshot(funder, "8-funder-dashboard")

"""Signing in and out of the console, languages, and the pages' guards, in a real browser."""

from __future__ import annotations

import re

from grantflow_runtime.context import Identity, Role
from playwright.async_api import expect

from tests.console.browser import Browsing, assert_accessible

APPLICANT = Identity(subject="signin-applicant", role=Role.APPLICANT, organisation_id="org-1")
FUNDER = Identity(subject="signin-funder", role=Role.FUNDER)


async def test_a_bad_token_is_refused_and_a_good_one_signs_in_and_out(browsing: Browsing) -> None:
    page = await browsing.anonymous()
    await page.goto("/console/applications")
    # A page behind sign-in sends the visitor to the form, and back after it.
    await expect(page).to_have_url(re.compile(r"/console/sign-in\?next=%2Fconsole%2Fapplications"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    await assert_accessible(page)
    await browsing.screenshot(page, "sign-in")

    await page.get_by_label("Access token").fill("not-a-token")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_contain_text("This token is not valid here")
    # The reason is read out with the input, not only in the summary above it.
    await expect(page.get_by_label("Access token")).to_have_accessible_description(
        re.compile("This token is not valid here")
    )
    await assert_accessible(page)

    await page.get_by_label("Access token").fill(browsing.stack.token(APPLICANT))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/console/applications$"))
    await expect(page.get_by_text("signin-applicant")).to_be_visible()

    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(re.compile(r"/console/sign-in"))
    await page.goto("/console/applications")
    await expect(page).to_have_url(re.compile(r"/console/sign-in"))


async def test_the_language_follows_the_browser_and_the_switch(browsing: Browsing) -> None:
    page = await browsing.anonymous(language="ru")
    await page.goto("/console/")
    await expect(page.locator("html")).to_have_attribute("lang", "ru")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Вход")
    await page.get_by_role("link", name="English").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    await page.get_by_role("link", name="Русский").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Вход")
    # A language the console does not have changes nothing, and `next` never leaves the console.
    await page.goto("/console/language/de?next=https://evil.example/")
    await expect(page).to_have_url(re.compile(r"127\.0\.0\.1:\d+/console/sign-in$"))
    await expect(page.locator("html")).to_have_attribute("lang", "ru")


async def test_a_page_of_another_role_says_not_allowed(browsing: Browsing) -> None:
    page = await browsing.person(FUNDER)
    response = await page.goto("/console/applications")
    assert response is not None and response.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    await assert_accessible(page)


async def test_the_session_cookie_is_guarded_and_forms_need_their_csrf_token(
    browsing: Browsing,
) -> None:
    page = await browsing.person(APPLICANT)
    [cookie] = [c for c in await page.context.cookies() if c["name"] == "grantflow_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    # A post that did not come from one of our forms carries no CSRF token and changes nothing.
    forged = await page.request.post(
        "/console/applications/new?competition=anything",
        form={"title": "forged"},
        headers={"Accept-Language": "en"},
    )
    assert forged.status == 403
    assert "The form has expired or came from another site" in await forged.text()
    wrong = await page.request.post("/console/sign-out", form={"csrf": "0" * 64}, max_redirects=0)
    assert wrong.status == 303
    # The forged sign-out left the session as it was.
    await page.goto("/console/applications")
    await expect(page).to_have_url(re.compile(r"/console/applications$"))


async def test_pages_forbid_framing_and_foreign_scripts(browsing: Browsing) -> None:
    page = await browsing.anonymous()
    response = await page.goto("/console/sign-in")
    assert response is not None
    headers = await response.all_headers()
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    # After signing in the visitor lands only inside the console, whatever `next` says.
    await page.goto("/console/sign-in?next=https://evil.example/")
    await page.get_by_label("Access token").fill(browsing.stack.token(APPLICANT))
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"127\.0\.0\.1:\d+/console/applications$"))


async def test_a_sign_in_posted_from_another_site_signs_nobody_in(browsing: Browsing) -> None:
    stack = browsing.stack
    token = stack.token(APPLICANT)
    host = stack.base_url.split("://", 1)[1]

    async def sign_in(**headers: str) -> tuple[int, str]:
        got = await stack.http.post(
            "/console/sign-in", data={"token": token}, headers=headers, follow_redirects=False
        )
        return got.status_code, got.headers.get("set-cookie", "")

    # Another site's page posting the attacker's token would sign the victim in as the attacker.
    assert await sign_in(**{"Sec-Fetch-Site": "cross-site"}) == (403, "")
    assert await sign_in(Origin="https://evil.example") == (403, "")
    for own in ({"Sec-Fetch-Site": "same-origin"}, {"Origin": f"http://{host}"}, {}):
        status, cookie = await sign_in(**own)
        assert status == 303 and cookie.startswith("grantflow_session="), own


async def test_a_form_past_the_body_limit_is_refused_before_it_is_read(browsing: Browsing) -> None:
    stack = browsing.stack
    limit = stack.config.gateway_limits.max_body_bytes
    got = await stack.http.post(
        "/console/sign-in", data={"token": "x" * (limit + 1)}, headers={"Accept-Language": "en"}
    )
    assert got.status_code == 413
    assert "Too much was sent" in got.text

"""The console's request plumbing: who is signed in, which language, the calls a page makes
through the gateway's API, form posts with their CSRF check, and rendering with Jinja2.

A page handler takes a `Page` and returns a response; the `page` decorator signs the caller in
(or sends them to the sign-in page), checks the role, spends one token of the caller's rate
bucket and turns a Problem into an error page that says what went wrong."""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from google.protobuf.message import Message
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.logs import get_logger
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from grantflow_gateway.api import Api
from grantflow_gateway.console import formats
from grantflow_gateway.console.forms import Form, posted
from grantflow_gateway.console.i18n import LANGUAGES, Translator
from grantflow_gateway.console.places import region_name
from grantflow_gateway.console.session import (
    csrf_token,
    csrf_valid,
    language,
    session_token,
    signed_in,
)
from grantflow_gateway.problems import Problem, Violation
from grantflow_gateway.routes import ROUTES, Route
from grantflow_gateway.translate import render as render_json

log = get_logger(__name__)

# The most items a page reads from one list call; beyond it the page says so and points to the
# downloads and the API, which hold everything.
MAX_LISTED = 4000
PAGE_SIZE = 200
ROUTE_OF = {route.descriptor.name: route for route in ROUTES}
PREFIX = "/console"
# Pages allow nothing they do not load from the gateway itself; charts are inline SVG drawn with
# presentation attributes, which a style-src policy does not govern.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
HOME = {
    Role.APPLICANT: f"{PREFIX}/applications",
    Role.EXPERT: f"{PREFIX}/assignments",
    Role.FUNDER: f"{PREFIX}/competitions",
    Role.ADMIN: f"{PREFIX}/competitions",
}

# Each role's menu: (text key, path).
NAV: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.APPLICANT: (
        ("nav.applications", f"{PREFIX}/applications"),
        ("nav.agreements", f"{PREFIX}/agreements"),
    ),
    Role.EXPERT: (("nav.assignments", f"{PREFIX}/assignments"),),
    Role.FUNDER: (
        ("nav.competitions", f"{PREFIX}/competitions"),
        ("nav.agreements", f"{PREFIX}/agreements"),
        ("nav.portfolio", f"{PREFIX}/portfolio"),
        ("nav.practices", f"{PREFIX}/practices"),
    ),
}
NAV[Role.ADMIN] = NAV[Role.FUNDER]

templates = Environment(
    loader=PackageLoader("grantflow_gateway.console", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def field_id(name: str) -> str:
    """The HTML id of the input named `name` (a JSON path)."""
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


templates.globals["field_id"] = field_id


class Formatter:
    """The `formats` functions bound to one language, for templates (`f.money(x)`)."""

    def __init__(self, language: str) -> None:
        self.language = language

    def money(self, value: Any) -> str:
        return formats.money(value, self.language)

    def money_input(self, value: Any) -> str:
        return formats.money_input(value)

    def decimal(self, value: Any, places: int | None = None) -> str:
        return formats.decimal(value, self.language, places)

    def percent(self, value: Any, places: int = 1) -> str:
        return formats.percent(value, self.language, places)

    def date(self, value: Any) -> str:
        return formats.date(value, self.language)

    def date_input(self, value: Any) -> str:
        return formats.date_input(value)

    def timestamp(self, value: Any) -> str:
        return formats.timestamp(value, self.language)

    def number(self, value: Any) -> str:
        return formats.group_digits(str(value), self.language)

    def region(self, code: Any) -> str:
        return region_name(str(code), self.language)

    def regions(self, codes: Any) -> str:
        return ", ".join(region_name(str(c), self.language) for c in codes or ())


@dataclass
class Errors:
    """Violations to show on a form: by input name beside each input, and all in a summary."""

    items: list[Violation] = field(default_factory=list)

    @classmethod
    def of(cls, violations: Iterable[Violation], *, strip: str = "") -> Errors:
        """`strip` drops a request-level prefix (`application.`) so fields name form inputs."""
        items = [
            Violation(v.field.removeprefix(strip), v.description, v.reason) for v in violations
        ]
        return cls(items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def at(self, name: str) -> list[str]:
        return [v.description for v in self.items if v.field == name]

    def under(self, name: str) -> list[Violation]:
        """Violations of `name` and of anything inside it."""
        return [
            v for v in self.items if v.field == name or v.field.startswith((name + ".", name + "["))
        ]


@dataclass
class Page:
    console: Console
    request: Request
    identity: Identity
    request_id: str
    t: Translator
    # Set when a list this page read stopped at MAX_LISTED items.
    cut_short: bool = False
    # The body is read once; the CSRF check and the handler share it.
    _form: Form | None = field(default=None, repr=False)

    @property
    def language(self) -> str:
        return self.t.language

    async def call(
        self,
        rpc: str,
        *path: str,
        query: Sequence[tuple[str, str]] = (),
        body: Any = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """One API call as the signed-in user, answered in the protobuf JSON mapping."""
        return render_json(await self.message(rpc, *path, query=query, body=body, key=key))

    async def message(
        self,
        rpc: str,
        *path: str,
        query: Sequence[tuple[str, str]] = (),
        body: Any = None,
        key: str | None = None,
    ) -> Message:
        route: Route = ROUTE_OF[rpc]
        return await self.console.api.invoke(
            route,
            self.identity,
            request_id=self.request_id,
            path_values=path,
            query=query,
            body=body,
            idempotency_key=key if route.idempotent_create else None,
        )

    async def every(
        self,
        rpc: str,
        items: str,
        *path: str,
        query: Sequence[tuple[str, str]] = (),
        whole: bool = False,
    ) -> list[dict[str, Any]]:
        """All pages of a list call, up to MAX_LISTED items, after which the page tells its
        reader it is cut short; `whole` reads every item, for a file to download."""
        found: list[dict[str, Any]] = []
        token = ""
        while whole or len(found) < MAX_LISTED:
            # Within the gateway's own page limit, which an operator may set below ours.
            largest = min(PAGE_SIZE, self.console.api.limits.max_page_size)
            size = largest if whole else min(largest, MAX_LISTED - len(found))
            params = [*query, ("pageSize", str(size))] + ([("pageToken", token)] if token else [])
            reply = await self.call(rpc, *path, query=params)
            found.extend(reply.get(items, []))
            token = reply.get("nextPageToken", "")
            if not token:
                return found
        # A page built on a cut list undercounts: the page says so, and so does the log.
        self.cut_short = True
        log.warning(
            "console list cut short", rpc=rpc, listed=len(found), request_id=self.request_id
        )
        return found

    async def form(self) -> Form:
        """The posted form (its CSRF token was checked before the handler ran)."""
        if self._form is None:
            self._form = await posted(self.request, self.console.api.limits.max_body_bytes)
        return self._form

    async def check_csrf(self) -> None:
        """Refuse a post that did not come from one of our forms, before anything else runs."""
        form = await self.form()
        if not csrf_valid(self.console.api.key, session_token(self.request), form.text("csrf")):
            raise Problem(403, self.t("error.csrf"), reason="CSRF_TOKEN_INVALID")

    def render(self, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
        shown = {k: localized(v, self.t) if isinstance(v, Errors) else v for k, v in values.items()}
        return self.console.render(
            self.request,
            template,
            status=status,
            identity=self.identity,
            t=self.t,
            cut_short=MAX_LISTED if self.cut_short else None,
            **shown,
        )

    def redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    def problem_violations(self, problem: Problem, *, strip: str = "") -> Errors:
        """A refused call's violations for the form, or its detail when it names no field."""
        if problem.violations:
            return Errors.of(problem.violations, strip=strip)
        return Errors([Violation("", problem.detail, problem.reason)])


def localized(errors: Errors, t: Translator) -> Errors:
    """The services word their violations in English. On a Russian page a violation whose rule
    the catalogue knows (`rule.<reason>`) leads with the rule in Russian and keeps the service's
    words, which carry the figures, after it; "required" needs nothing more."""
    if t.language == "en":
        return errors
    items = []
    for v in errors.items:
        key = f"rule.{v.reason.lower()}"
        if not t.has(key) or not v.description.isascii():
            items.append(v)
            continue
        phrase = t(key)
        text = phrase if v.reason.lower() == "required" else f"{phrase} ({v.description})"
        items.append(Violation(v.field, text, v.reason))
    return Errors(items)


Handler = Callable[[Page], Awaitable[Response]]


@dataclass
class Console:
    api: Api

    def render(
        self,
        request: Request,
        template: str,
        *,
        status: int = 200,
        identity: Identity | None,
        t: Translator,
        cut_short: int | None = None,
        **values: Any,
    ) -> HTMLResponse:
        session = session_token(request)
        html = templates.get_template(template).render(
            t=t,
            f=Formatter(t.language),
            identity=identity,
            csrf=csrf_token(self.api.key, session) if session else "",
            path=request.url.path,
            here=_here(request),
            languages=LANGUAGES,
            home=HOME.get(identity.role, PREFIX) if identity else PREFIX,
            nav=NAV.get(identity.role, ()) if identity else (),
            cut_short=cut_short,
            **values,
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def page(
        self, roles: Collection[Role]
    ) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
        def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
            @functools.wraps(handler)
            async def endpoint(request: Request) -> Response:
                t = Translator(language(request))
                identity = signed_in(request, self.api.key)
                if identity is None:
                    return RedirectResponse(
                        f"{PREFIX}/sign-in?next={quote(_here(request), safe='')}", status_code=303
                    )
                request_id = uuid.uuid4().hex
                page = Page(self, request, identity, request_id, t)
                try:
                    if identity.role not in roles:
                        raise Problem(403, t("error.role"), reason="ROLE_NOT_ALLOWED")
                    self.api.limit(identity)
                    if request.method == "POST":
                        await page.check_csrf()
                    response = await handler(page)
                except Problem as problem:
                    response = self.error(request, problem, identity=identity, t=t)
                log.info(
                    "console",
                    method=request.method,
                    path=request.url.path,
                    status=response.status_code,
                    role=identity.role.value,
                    request_id=request_id,
                )
                response.headers["x-request-id"] = request_id
                return response

            return endpoint

        return decorate

    def error(
        self, request: Request, problem: Problem, *, identity: Identity | None, t: Translator
    ) -> HTMLResponse:
        return self.render(
            request,
            "error.html",
            status=problem.status,
            identity=identity,
            t=t,
            problem=problem,
            title=t.maybe(f"error.status.{problem.status}", problem.title),
        )


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def safe_next(target: str) -> str:
    """Only a path inside the console: never another site after signing in."""
    if target.startswith(PREFIX) and not target.startswith("//") and "\\" not in target:
        return target
    return PREFIX

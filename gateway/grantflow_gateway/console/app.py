"""The console's routes: signing in and out, the language, static files, and each area's pages."""

from __future__ import annotations

from pathlib import Path

from grantflow_runtime.errors import Unauthenticated
from grantflow_runtime.tokens import verify
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from grantflow_gateway.api import Api
from grantflow_gateway.console import applicant, expert, funder
from grantflow_gateway.console.forms import Form, posted
from grantflow_gateway.console.i18n import LANGUAGES, Translator
from grantflow_gateway.console.session import (
    csrf_valid,
    end_session,
    from_this_site,
    language,
    remember_language,
    session_token,
    signed_in,
    start_session,
)
from grantflow_gateway.console.web import HOME, PREFIX, Console, safe_next
from grantflow_gateway.problems import Problem

STATIC = Path(__file__).parent / "static"


def console_routes(api: Api) -> list[BaseRoute]:
    console = Console(api)

    async def root(request: Request) -> Response:
        identity = signed_in(request, api.key)
        target = HOME[identity.role] if identity else f"{PREFIX}/sign-in"
        return RedirectResponse(target, status_code=303)

    async def sign_in(request: Request) -> Response:
        t = Translator(language(request))
        target = safe_next(request.query_params.get("next", PREFIX))
        if request.method == "GET":
            return console.render(
                request, "sign_in.html", identity=None, t=t, next=target, error=""
            )
        try:
            if not from_this_site(request):
                raise Problem(403, t("error.cross_site"), reason="CROSS_SITE_SIGN_IN")
            form = await posted(request, api.limits.max_body_bytes)
        except Problem as problem:
            return console.error(request, problem, identity=None, t=t)
        token = form.text("token")
        try:
            if not token:
                raise Unauthenticated(t("signin.empty"), reason="TOKEN_MISSING")
            verify(token, api.key)
        except Unauthenticated as exc:
            # Failed sign-ins share the caller's address bucket, as failed API calls do.
            try:
                api.limiter.check(f"addr:{request.client.host if request.client else '?'}")
            except Problem as problem:
                return console.error(request, problem, identity=None, t=t)
            message = t("signin.expired") if exc.reason == "TOKEN_EXPIRED" else t("signin.invalid")
            return console.render(
                request,
                "sign_in.html",
                status=401,
                identity=None,
                t=t,
                next=safe_next(form.text("next")),
                error=message,
            )
        response = RedirectResponse(safe_next(form.text("next")), status_code=303)
        start_session(response, request, token)
        return response

    async def sign_out(request: Request) -> Response:
        try:
            form = await posted(request, api.limits.max_body_bytes)
        except Problem:
            form = Form({})
        response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
        # Without a valid CSRF token a cross-site post cannot sign anybody out.
        if csrf_valid(api.key, session_token(request), form.text("csrf")):
            end_session(response)
        return response

    async def choose_language(request: Request) -> Response:
        chosen = request.path_params["language"]
        target = safe_next(request.query_params.get("next", PREFIX))
        response = RedirectResponse(target, status_code=303)
        if chosen in LANGUAGES:
            remember_language(response, chosen)
        return response

    routes: list[BaseRoute] = [
        Route(PREFIX, root),
        Route(f"{PREFIX}/", root),
        Route(f"{PREFIX}/sign-in", sign_in, methods=["GET", "POST"]),
        Route(f"{PREFIX}/sign-out", sign_out, methods=["POST"]),
        Route(f"{PREFIX}/language/{{language}}", choose_language),
        Mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="console-static"),
    ]
    for area in (applicant, expert, funder):
        routes.extend(area.routes(console))
    return routes

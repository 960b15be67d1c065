"""Who is signed in to the console, and in which language.

The session is the bearer token itself, kept in an HttpOnly, SameSite=Strict cookie scoped to
the console, so the console holds no state of its own and a session ends when its token expires.
Every form that changes something carries a CSRF token derived from the session token with the
gateway's signing key; a post without the matching one is refused."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlsplit

import jwt
from grantflow_runtime.context import Identity
from grantflow_runtime.errors import Unauthenticated
from grantflow_runtime.tokens import TokenKey, verify
from starlette.requests import Request
from starlette.responses import Response

from grantflow_gateway.console.i18n import LANGUAGES, negotiate

SESSION_COOKIE = "grantflow_session"
LANGUAGE_COOKIE = "grantflow_lang"
COOKIE_PATH = "/console"


def session_token(request: Request) -> str:
    return request.cookies.get(SESSION_COOKIE, "")


def signed_in(request: Request, key: TokenKey) -> Identity | None:
    token = session_token(request)
    if not token:
        return None
    try:
        return verify(token, key)
    except Unauthenticated:
        return None


def start_session(response: Response, request: Request, token: str) -> None:
    """Keep a token that `verify` has accepted, for as long as the token lives."""
    expires_at = float(jwt.decode(token, options={"verify_signature": False})["exp"])
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max(0, int(expires_at - time.time())),
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=served_over_https(request),
    )


def served_over_https(request: Request) -> bool:
    """Whether the browser reached us over HTTPS, directly or through a TLS-terminating proxy.
    Trusting the proxy's header here can only make the cookie stricter, never looser."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")


def from_this_site(request: Request) -> bool:
    """Whether a post before any session (signing in) came from our own pages. A session's
    CSRF token cannot guard it, so the browser's word is taken: Sec-Fetch-Site where it is sent
    (every current browser), else Origin. Without either (an old browser, a script) the post is
    let through: what it can do is sign its own sender in."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is not None:
        return urlsplit(origin).netloc == request.headers.get("host", "")
    return True


def csrf_token(key: TokenKey, session: str) -> str:
    return hmac.new(key.secret, b"csrf:" + session.encode(), hashlib.sha256).hexdigest()


def csrf_valid(key: TokenKey, session: str, given: str) -> bool:
    return bool(session) and hmac.compare_digest(csrf_token(key, session), given)


def language(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return negotiate(request.headers.get("accept-language", ""))


def remember_language(response: Response, chosen: str) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, path=COOKIE_PATH, samesite="lax"
    )

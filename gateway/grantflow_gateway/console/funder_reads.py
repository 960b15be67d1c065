"""Reads the funder pages share: a competition with its panel, the caller's competitions, the
recorded decision, and file downloads."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Collection
from typing import Any, TypeVar

from grantflow_runtime.context import Role
from grantflow_runtime.sheets import MEDIA_TYPES, Format, Sheet, to_bytes
from starlette.responses import Response

from grantflow_gateway.console.funder_figures import own_competitions
from grantflow_gateway.console.web import Page
from grantflow_gateway.problems import Problem

T = TypeVar("T")
ROLES = frozenset({Role.FUNDER, Role.ADMIN})
# Files are the caller's own data: never cached, never sniffed into something else.
_DOWNLOAD_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


async def unless_missing(call: Awaitable[T]) -> T | None:
    """The call's answer, or None when the service says there is no such thing (404): a panel
    not created yet, a decision not made yet."""
    try:
        return await call
    except Problem as problem:
        if problem.status == 404:
            return None
        raise


def competition_id(p: Page) -> str:
    return str(p.request.path_params["id"])


async def panel_of(p: Page, cid: str) -> dict[str, Any] | None:
    """The competition's panel; None until scoring has learned of the competition (it does when
    the competition opens) or when the panel is someone else's."""
    return await unless_missing(p.call("GetPanel", cid))


async def decision_of(p: Page, cid: str) -> dict[str, Any] | None:
    return await unless_missing(p.call("GetDecision", cid))


async def competitions_of(p: Page) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """The caller's competitions, newest first, each with its panel when there is one."""
    competitions = await p.every("ListCompetitions", "competitions")
    ids = [str(c["id"]) for c in competitions if c.get("state") != "STATE_DRAFT"]
    panels = await asyncio.gather(*(panel_of(p, cid) for cid in ids))
    by_id = {cid: panel for cid, panel in zip(ids, panels, strict=True) if panel is not None}
    mine = own_competitions(competitions, by_id, admin=p.identity.role is Role.ADMIN)
    return [(dict(c), by_id.get(str(c["id"]))) for c in mine]


def announced(p: Page, known: Collection[str]) -> str:
    """What a step's redirect says was done (`?done=`), when it is one the page announces; any
    other value is dropped rather than shown."""
    done = p.request.query_params.get("done", "")
    return done if done in known else ""


def download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={**_DOWNLOAD_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


def sheet_download(sheet: Sheet, fmt: Format, stem: str) -> Response:
    return download(to_bytes(sheet, fmt), MEDIA_TYPES[fmt], f"{stem}.{fmt.value}")

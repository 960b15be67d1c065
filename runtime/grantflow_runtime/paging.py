"""AIP-158 pagination: page sizes with a default and a cap, opaque page tokens."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from grantflow_runtime.errors import FieldViolation, InvalidArgument

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Page:
    size: int
    # The sort key of the last item of the previous page, or None for the first page.
    after: list[Any] | None


def parse_page(
    page_size: int, page_token: str, *, filters: dict[str, Any], key_length: int = 1
) -> Page:
    """Validate a request's paging fields. A token is bound to the filters it was issued for, and
    carries a sort key of `key_length` strings."""
    if page_size < 0:
        raise InvalidArgument([FieldViolation("page_size", "must not be negative", "range")])
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    if not page_token:
        return Page(size, None)
    try:
        data = json.loads(base64.urlsafe_b64decode(page_token.encode()))
        after, bound = data["after"], data["filters"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidArgument(
            [FieldViolation("page_token", "is not a token this API issued", "format")]
        ) from exc
    if bound != filters:
        raise InvalidArgument(
            [
                FieldViolation(
                    "page_token", "was issued for other filters; start again without it", "mismatch"
                )
            ]
        )
    if not (
        isinstance(after, list)
        and len(after) == key_length
        and all(isinstance(k, str) for k in after)
    ):
        raise InvalidArgument(
            [FieldViolation("page_token", "is not a token this API issued", "format")]
        )
    return Page(size, after)


def next_token(last_key: list[Any] | None, *, filters: dict[str, Any]) -> str:
    if last_key is None:
        return ""
    raw = json.dumps({"after": last_key, "filters": filters}, separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode()


def after_time_and_id(page: Page) -> tuple[datetime, str] | None:
    """The (timestamp, id) sort key of a newest-first listing, from a validated page."""
    if page.after is None:
        return None
    try:
        return datetime.fromisoformat(page.after[0]), page.after[1]
    except ValueError as exc:
        raise InvalidArgument(
            [FieldViolation("page_token", "is not a token this API issued", "format")]
        ) from exc


def cut(
    items: Sequence[T], page: Page, *, key: Callable[[T], list[str]], filters: dict[str, Any]
) -> tuple[Sequence[T], str]:
    """Given up to size + 1 rows (the extra one only says there is more), the page's rows and the
    token for the next page, empty when this is the last."""
    more = len(items) > page.size
    rows = items[: page.size]
    return rows, next_token(key(rows[-1]) if more and rows else None, filters=filters)

"""Reading HTML form posts into the API's JSON shapes.

Inputs are named by the JSON path of the value they hold (`budgetLines[2].grantAmount`), the
same path a service's field violation names, so a violation finds its input and an input's
errors find their place in the form. Text that cannot become the value (an amount with three
decimals, a date that does not exist) is collected as a violation of that input, in the same
shape as the service's, and the call is not made."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import parse_qsl

from grantflow_runtime.money import AmountError, parse_amount
from starlette.requests import Request

from grantflow_gateway.limits import read_capped
from grantflow_gateway.problems import Problem, Violation

_ROW = re.compile(r"^(?P<list>[A-Za-z]+)\[(?P<index>\d{1,3})\]\.(?P<field>[A-Za-z]+)$")
MAX_ROWS = 200
# Room for every input of the longest form (three groups of MAX_ROWS rows of up to five inputs),
# where Starlette's default of 1,000 fields would refuse a long draft with a bare 400.
MAX_FIELDS = 5000


@dataclass
class Form:
    """A posted form's values by input name, and what could not be read."""

    values: dict[str, str]
    problems: list[Violation] = field(default_factory=list)

    @classmethod
    def of(cls, items: Iterable[tuple[str, Any]]) -> Form:
        """A name posted more than once (a multiple select) keeps every value, one per line."""
        values: dict[str, str] = {}
        for name, value in items:
            if isinstance(value, str):
                values[name] = f"{values[name]}\n{value}" if name in values else value
        return cls(values)

    def text(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def flag(self, name: str) -> bool:
        return name in self.values

    def rows(self, list_name: str) -> list[tuple[int, dict[str, str]]]:
        """The rows of a repeated group, in index order, without rows left wholly blank; each
        with the index it had in the form."""
        found: dict[int, dict[str, str]] = {}
        for name, value in self.values.items():
            match = _ROW.match(name)
            if match and match["list"] == list_name:
                found.setdefault(int(match["index"]), {})[match["field"]] = value.strip()
        kept = [(i, row) for i, row in sorted(found.items()) if any(row.values())]
        if len(kept) > MAX_ROWS:
            # Reading the rows again (to renumber, to show them) must not report them twice.
            too_many = Violation(list_name, f"must have at most {MAX_ROWS} rows", "max")
            if too_many not in self.problems:
                self.problems.append(too_many)
            return kept[:MAX_ROWS]
        return kept

    def money(self, name: str, currency: str, *, raw: str | None = None) -> dict[str, str] | None:
        """An amount typed as `150000`, `150 000,50` or `150000.50`: money in minor units."""
        text = self.text(name) if raw is None else raw.strip()
        if not text:
            return None
        try:
            units = parse_amount(text)
        except AmountError as exc:
            self.problems.append(Violation(name, str(exc), "format"))
            return None
        return {"minorUnits": str(units), "currencyCode": currency}

    def date(self, name: str, *, raw: str | None = None) -> dict[str, int] | None:
        text = self.text(name) if raw is None else raw.strip()
        if not text:
            return None
        try:
            value = date.fromisoformat(text)
        except ValueError:
            self.problems.append(Violation(name, "must be a date as YYYY-MM-DD", "format"))
            return None
        return {"year": value.year, "month": value.month, "day": value.day}

    def integer(self, name: str, *, raw: str | None = None) -> int | None:
        text = self.text(name) if raw is None else raw.strip()
        if not text:
            return None
        if not re.fullmatch(r"-?\d{1,9}", text):
            self.problems.append(Violation(name, "must be a whole number", "format"))
            return None
        return int(text)

    def lines(self, name: str) -> list[str]:
        """A textarea or comma list as items: one per line or comma, blanks dropped."""
        return [
            part.strip() for part in re.split(r"[\n,]", self.values.get(name, "")) if part.strip()
        ]


async def posted(request: Request, limit: int) -> Form:
    """The posted form, read within `limit` bytes (the API's body limit). The console's forms
    are URL-encoded and never carry files."""
    body = await read_capped(request.headers.get("content-length"), request.stream(), limit)
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise Problem(400, "the form could not be read", reason="MALFORMED_FORM") from None
    return Form.of(pairs)

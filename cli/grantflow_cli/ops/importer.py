"""Importing records from a file: every row checked, every bad row reported with its line, the
good rows created, and nothing created twice.

Twice-safety has two layers. Records whose natural key (INN, expert subject) is registered
already are skipped before any call. Every create carries an Idempotency-Key derived from the
row's content, so a retry after a timeout, or a re-run racing another, returns the first result
instead of creating again; the same key with the same content is also what makes the retries of
transient failures safe.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from grantflow_cli.client import ApiError
from grantflow_cli.ops.csvfile import Row
from grantflow_cli.ops.errors import Position, located
from grantflow_cli.ops.records import Kind
from grantflow_cli.transport import Client

# Statuses worth another try with the same key: rate limit, service down, deadline passed.
TRANSIENT = frozenset({429, 503, 504})
# Statuses that would fail every row the same way: stop at the first.
FATAL = frozenset({401, 403})
ATTEMPTS = 3


class Outcome(StrEnum):
    CREATED = "created"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class Planned:
    """A row ready to send (`problems` empty) or refused before sending."""

    row: Row
    key: str
    body: dict[str, Any]
    problems: tuple[str, ...] = ()

    @property
    def idempotency_key(self) -> str:
        return content_key(self.body)


@dataclass(frozen=True)
class RowResult:
    line: int
    key: str
    outcome: Outcome
    messages: tuple[str, ...] = ()
    id: str = ""


@dataclass
class ImportReport:
    results: list[RowResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def failed(self) -> list[RowResult]:
        return [r for r in self.results if r.outcome is Outcome.FAILED]


def content_key(body: dict[str, Any]) -> str:
    """The same row content always gives the same key (at most 100 visible characters)."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "import-" + hashlib.sha256(canonical.encode()).hexdigest()[:48]


def plan(kind: Kind, rows: Sequence[Row], source: str) -> list[Planned]:
    """Each row's body and the problems the file itself shows (form, repeats within the file)."""
    planned: list[Planned] = []
    first_line: dict[str, int] = {}
    for row in rows:
        body, errors = kind.build(row)
        problems = (
            [located(source, row.shape_error, Position(row.line, 1))] if row.shape_error else []
        )
        problems += [
            located(source, f"{e.column}: {e.message}", row.position(e.column)) for e in errors
        ]
        key = row.cells.get(kind.key_column, "")
        if key and key in first_line:
            problems.append(
                located(
                    source,
                    f"{kind.key_column}: {key} is given again (first on line {first_line[key]})",
                    row.position(kind.key_column),
                )
            )
        elif key:
            first_line[key] = row.line
        planned.append(Planned(row, key, body, tuple(problems)))
    return planned


def existing_keys(client: Client, kind: Kind) -> set[str]:
    """Natural keys of the records the caller can already see."""
    return {str(item.get(kind.key_field, "")) for item in client.pages(kind.path, kind.list_field)}


def run_import(
    client: Client,
    kind: Kind,
    planned: Sequence[Planned],
    source: str,
    *,
    existing: set[str],
    on_row: Callable[[RowResult], None] = lambda _: None,
    sleep: Callable[[float], None] = time.sleep,
) -> ImportReport:
    """Create every good row not registered yet; ApiError only for what would fail every row."""
    report = ImportReport()
    for item in planned:
        result = _one(client, kind, item, source, existing, sleep)
        report.results.append(result)
        on_row(result)
    return report


def _one(
    client: Client,
    kind: Kind,
    item: Planned,
    source: str,
    existing: set[str],
    sleep: Callable[[float], None],
) -> RowResult:
    line = item.row.line
    if item.problems:
        return RowResult(line, item.key, Outcome.FAILED, item.problems)
    if item.key in existing:
        return RowResult(
            line,
            item.key,
            Outcome.SKIPPED,
            (f"{kind.key_column} {item.key} is registered already",),
        )
    for attempt in range(ATTEMPTS):
        try:
            # The route's body is the record itself (the request's `body_field`).
            created = client.post(kind.path, item.body, idempotency_key=item.idempotency_key)
        except ApiError as exc:
            if exc.status in FATAL:
                raise
            if exc.status in TRANSIENT and attempt + 1 < ATTEMPTS:
                sleep(0.5 * 2**attempt)
                continue
            if _already_registered(exc):
                return RowResult(line, item.key, Outcome.SKIPPED, (_detail(exc),))
            return RowResult(line, item.key, Outcome.FAILED, _messages(kind, item.row, source, exc))
        existing.add(item.key)
        return RowResult(line, item.key, Outcome.CREATED, id=str(created.get("id", "")))
    raise AssertionError("unreachable: the last attempt returns")


def _already_registered(error: ApiError) -> bool:
    # A reused key with other content is ALREADY_EXISTS too, but it is a real failure.
    return (
        error.status == 409
        and error.problem.get("code") == "ALREADY_EXISTS"
        and error.problem.get("reason") != "REQUEST_ID_REUSED"
    )


def _detail(error: ApiError) -> str:
    return str(error.problem.get("detail") or error.problem.get("title") or f"HTTP {error.status}")


def _messages(kind: Kind, row: Row, source: str, error: ApiError) -> tuple[str, ...]:
    """The service's field violations on the columns they came from; the detail otherwise."""
    violations = error.problem.get("violations") or []
    messages = []
    for v in violations:
        field_path = str(v.get("field", ""))
        column = kind.column_of(field_path)
        description = str(v.get("description", ""))
        if column is None:
            messages.append(located(source, f"{field_path}: {description}", Position(row.line, 1)))
        else:
            messages.append(located(source, f"{column}: {description}", row.position(column)))
    if not messages:
        messages.append(located(source, f"{error.status} {_detail(error)}", Position(row.line, 1)))
    return tuple(messages)

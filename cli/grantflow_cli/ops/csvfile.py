"""CSV files as spreadsheets save them: UTF-8 with or without a byte-order mark (UTF-16 when it has
one), `,`, `;` or tab between cells (Russian Excel writes `;`), a header row naming the columns.

A file that cannot be read at all (encoding, header) raises InputError; a bad row is the
caller's to report, with the line it starts on, so the good rows can still be used.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grantflow_cli.ops.errors import InputError, Position

if TYPE_CHECKING:
    from _csv import Reader

DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: str


@dataclass(frozen=True)
class Row:
    """One record: the line it starts on, its cells by column name, each column's number."""

    line: int
    cells: dict[str, str]
    numbers: dict[str, int]
    # A row with more or fewer cells than the header: said here, not guessed at.
    shape_error: str = ""

    def position(self, column: str) -> Position:
        return Position(self.line, self.numbers.get(column, 1))


def normalise(header: str) -> str:
    """`Legal form`, `legal-form` and `LEGAL_FORM` all name the column `legal_form`."""
    return "_".join(header.strip().lower().replace("-", " ").split())


def read_rows(text: str, source: str, columns: Sequence[Column]) -> list[Row]:
    """Every non-blank record after the header; InputError when the header is unusable."""
    lines = text.splitlines(keepends=True)
    if not any(line.strip() for line in lines):
        raise InputError(source, "is empty: it needs a header row naming the columns", None)
    first = next(i for i, line in enumerate(lines) if line.strip())
    delimiter = _delimiter(lines[first])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        header = _header(reader, source, columns)
        header_line = reader.line_num
        return _records(reader, header, header_line)
    except csv.Error as exc:
        raise InputError(source, f"is not valid CSV: {exc}", Position(reader.line_num, 1)) from None


def _delimiter(header_line: str) -> str:
    """The separator the header uses most: headers hold no commas or semicolons of their own."""
    return max(DELIMITERS, key=header_line.count)


def _header(reader: Reader, source: str, columns: Sequence[Column]) -> list[str]:
    raw: list[str] = []
    while not any(cell.strip() for cell in raw):
        raw = next(reader)
    names = [normalise(cell) for cell in raw]
    known = {c.name for c in columns}
    line = reader.line_num
    seen: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        if not name:
            raise InputError(
                source, f"column {number} has no name in the header", Position(line, number)
            )
        if name not in known:
            raise InputError(
                source,
                f"unknown column {raw[number - 1].strip()!r}; the columns are: "
                + ", ".join(c.name for c in columns),
                Position(line, number),
            )
        if name in seen:
            raise InputError(
                source,
                f"column {name!r} is given twice (columns {seen[name]} and {number})",
                Position(line, number),
            )
        seen[name] = number
    missing = [c.name for c in columns if c.required and c.name not in seen]
    if missing:
        raise InputError(
            source,
            f"the header lacks the required column(s): {', '.join(missing)}",
            Position(line, 1),
        )
    return names


def _records(reader: Reader, header: list[str], header_line: int) -> list[Row]:
    rows: list[Row] = []
    numbers = {name: i for i, name in enumerate(header, start=1)}
    # A quoted cell may span lines: a record starts on the line after the previous one ended.
    start = header_line + 1
    for record in reader:
        if any(cell.strip() for cell in record):
            shape = ""
            if len(record) != len(header):
                noun = "cell" if len(record) == 1 else "cells"
                shape = f"has {len(record)} {noun} but the header names {len(header)} columns"
            cells = {
                name: (record[i].strip() if i < len(record) else "")
                for i, name in enumerate(header)
            }
            rows.append(Row(start, cells, numbers, shape))
        start = reader.line_num + 1
    return rows

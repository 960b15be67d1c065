"""A table written as CSV or as an Excel workbook, with one description of its columns so the two
files always hold the same data. The command line writes them to files and the web console sends
them as downloads, so both hand out the same sheet.

Money is exact: kopecks in, roubles with two decimals out (a Decimal, never a float), shown in
Excel with a thousands format; scores keep every decimal the service gave.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

from grantflow_runtime.spreadsheet import safe_text


class CellKind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    MONEY = "money"  # kopecks in the row, roubles in the file
    DECIMAL = "decimal"  # an exact decimal as text ("7.5"); empty stays empty
    FLAG = "flag"


class Format(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True)
class Col:
    header: str
    kind: CellKind = CellKind.TEXT
    width: int = 14


@dataclass
class Sheet:
    title: str
    columns: list[Col]
    rows: list[list[Any]] = field(default_factory=list)


_EXCEL_FORMATS = {CellKind.MONEY: "#,##0.00", CellKind.INTEGER: "0"}


def cell_value(kind: CellKind, value: Any) -> Any:
    """A row's value as the files hold it."""
    if value is None or value == "":
        return None
    if kind is CellKind.MONEY:
        # scaleb keeps the exponent: 100000050 kopecks are exactly Decimal("1000000.50").
        return Decimal(int(value)).scaleb(-2)
    if kind is CellKind.INTEGER:
        return int(value)
    if kind is CellKind.DECIMAL:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return str(value)
    if kind is CellKind.FLAG:
        return "yes" if value else "no"
    return safe_text(str(value))


MEDIA_TYPES = {
    Format.CSV: "text/csv; charset=utf-8",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def write(sheet: Sheet, path: Path, fmt: Format) -> None:
    path.write_bytes(to_bytes(sheet, fmt))


def to_bytes(sheet: Sheet, fmt: Format) -> bytes:
    """The file's content, for a download or a file."""
    return csv_bytes(sheet) if fmt is Format.CSV else xlsx_bytes(sheet)


def csv_bytes(sheet: Sheet) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([c.header for c in sheet.columns])
    for row in sheet.rows:
        writer.writerow(
            [
                "" if (v := cell_value(c.kind, value)) is None else v
                for c, value in zip(sheet.columns, row, strict=True)
            ]
        )
    return out.getvalue().encode("utf-8")


def xlsx_bytes(sheet: Sheet) -> bytes:
    # Imported here: openpyxl takes a tenth of a second to load, and most commands never write.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    page = book.active
    assert page is not None  # a new workbook has one sheet
    # Excel refuses sheet titles over 31 characters.
    page.title = sheet.title[:31]
    page.append([c.header for c in sheet.columns])
    for cell in page[1]:
        cell.font = Font(bold=True)
    for row in sheet.rows:
        page.append([cell_value(c.kind, v) for c, v in zip(sheet.columns, row, strict=True)])
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        page.column_dimensions[letter].width = column.width
        number_format = _EXCEL_FORMATS.get(column.kind)
        if number_format:
            for (cell,) in page.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    page.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

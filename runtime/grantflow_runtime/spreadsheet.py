"""Text bound for spreadsheets: a cell a spreadsheet would read as a formula is kept as text.

Titles and names come from applicants; an exported ranking opened by a funder must not run
`=HYPERLINK(...)` or `@SUM(...)` written into a project title (CSV/formula injection)."""

from __future__ import annotations

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """The text, with a leading apostrophe when a spreadsheet would take it for a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value

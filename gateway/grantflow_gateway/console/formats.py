"""How values read in each language: money, dates, timestamps, decimals and shares.

Values arrive in the protobuf JSON mapping (money as `{"minorUnits": "...", "currencyCode":
"..."}`, dates as `{"year", "month", "day"}`, timestamps as RFC 3339 text); a missing value
reads as a dash rather than failing the page."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from grantflow_runtime.money import minor_units_of

DASH = "—"
_SYMBOLS = {"RUB": "₽", "USD": "$", "EUR": "€"}
_MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_NARROW_NBSP = "\u202f"


def group_digits(text: str, language: str) -> str:
    """`1234567.5` -> `1 234 567,5` (ru) or `1,234,567.5` (en)."""
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    separator = _NARROW_NBSP if language == "ru" else ","
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    point = "," if language == "ru" else "."
    return sign + separator.join(groups) + (point + fraction if fraction else "")


def money(value: Any, language: str) -> str:
    if not isinstance(value, dict) or not value.get("currencyCode"):
        return DASH
    amount = Decimal(minor_units_of(value)) / 100
    digits = group_digits(f"{amount:.2f}", language)
    code = value["currencyCode"]
    symbol = _SYMBOLS.get(code, code)
    return f"{digits}\u00a0{symbol}" if language == "ru" else f"{symbol}{digits}"


def money_input(value: Any) -> str:
    """The amount as a form field holds it: plain digits and a point, no grouping."""
    if not isinstance(value, dict) or "minorUnits" not in value:
        return ""
    return f"{Decimal(minor_units_of(value)) / 100:.2f}"


def decimal(value: Any, language: str, places: int | None = None) -> str:
    if value in (None, ""):
        return DASH
    try:
        number = _exact(str(value))
    except (InvalidOperation, ZeroDivisionError):
        return str(value)
    text = f"{number:.{places}f}" if places is not None else _plain(number)
    return group_digits(text, language)


def percent(value: Any, language: str, places: int = 1) -> str:
    """A share (`0.25` or `1/4`) as a percentage."""
    if value in (None, ""):
        return DASH
    try:
        number = _exact(str(value)) * 100
    except (InvalidOperation, ZeroDivisionError):
        return str(value)
    return group_digits(f"{number:.{places}f}", language) + "\u00a0%"


def date(value: Any, language: str) -> str:
    if not isinstance(value, dict) or not value.get("year"):
        return DASH
    year, month, day = int(value["year"]), int(value.get("month", 1)), int(value.get("day", 1))
    if language == "ru":
        return f"{day:02d}.{month:02d}.{year}"
    return f"{day} {_MONTHS_EN[month - 1]} {year}"


def date_input(value: Any) -> str:
    if not isinstance(value, dict) or not value.get("year"):
        return ""
    return f"{int(value['year']):04d}-{int(value['month']):02d}-{int(value['day']):02d}"


def timestamp(value: Any, language: str) -> str:
    """An instant in UTC, to the minute, saying so."""
    if not value:
        return DASH
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return str(value)
    if moment.year <= 1970:
        return DASH
    day = date({"year": moment.year, "month": moment.month, "day": moment.day}, language)
    return f"{day} {moment:%H:%M} UTC"


def _exact(text: str) -> Decimal:
    numerator, slash, denominator = text.partition("/")
    if slash:
        return Decimal(numerator) / Decimal(denominator)
    return Decimal(text)


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text

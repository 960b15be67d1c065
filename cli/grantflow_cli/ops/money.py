"""Roubles as people write them, to the API's Money (integer kopecks), and back for display.

Accepted: a whole or decimal number (`1500000`, `1500000.5`), or text with spaces between the
thousands (`"1 500 000"`, `"1 500 000,50"`), optionally followed by `₽`, `руб.` or `RUB`. Commas
between thousands are refused rather than guessed at: `1,500` could be one and a half roubles.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

CURRENCY = "RUB"
KOPECKS = 100

# Spaces people and spreadsheets put between thousands: plain, no-break, narrow no-break, thin.
_GROUP_SPACES = re.compile(r"[ \u00a0\u202f\u2009]+")
_SUFFIX = re.compile(r"\s*(₽|руб\.?|рублей|rub)\s*$", re.IGNORECASE)
_GROUPED = re.compile(r"^\d{1,3}( \d{3})+([.,]\d{1,2})?$")
_PLAIN = re.compile(r"^\d+([.,]\d{1,2})?$")


class MoneyError(ValueError):
    pass


def parse_roubles(value: Any) -> int:
    """Kopecks for an amount in roubles; MoneyError says what is wrong with it."""
    if isinstance(value, bool):
        raise MoneyError("must be an amount in roubles, not true or false")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float | Decimal):
        # str() of a float is its shortest round-trip form: 0.1 stays 0.1, not 0.1000000000000000055.
        amount = Decimal(str(value))
    elif isinstance(value, str):
        amount = _parse_text(value)
    else:
        raise MoneyError("must be an amount in roubles, like 1500000 or '1 500 000'")
    if not amount.is_finite():
        raise MoneyError("must be a finite amount")
    if amount < 0:
        raise MoneyError("must not be negative")
    kopecks = amount * KOPECKS
    if kopecks != kopecks.to_integral_value():
        raise MoneyError("has more than two decimal places (kopecks are the smallest unit)")
    return int(kopecks)


def _parse_text(text: str) -> Decimal:
    cleaned = _SUFFIX.sub("", text.strip())
    cleaned = _GROUP_SPACES.sub(" ", cleaned).strip()
    if cleaned.startswith("-"):
        raise MoneyError("must not be negative")
    if not (_PLAIN.match(cleaned) or _GROUPED.match(cleaned)):
        raise MoneyError(
            f"{text!r} is not an amount in roubles; write 1500000, '1 500 000' or '1 500 000,50'"
        )
    try:
        return Decimal(cleaned.replace(" ", "").replace(",", "."))
    except InvalidOperation:  # unreachable after the patterns, kept as a guard
        raise MoneyError(f"{text!r} is not an amount in roubles") from None


def money_json(kopecks: int) -> dict[str, str]:
    """The protobuf JSON mapping of Money (int64 travels as a string)."""
    return {"minorUnits": str(kopecks), "currencyCode": CURRENCY}


def format_roubles(kopecks: int) -> str:
    """`1 500 000.00`: thousands apart by spaces, as Russian documents write them."""
    sign = "-" if kopecks < 0 else ""
    whole, cents = divmod(abs(kopecks), KOPECKS)
    return f"{sign}{whole:,}.{cents:02d}".replace(",", " ")

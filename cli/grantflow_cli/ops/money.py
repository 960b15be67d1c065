"""Roubles as operators write them in files, to the API's Money (integer kopecks), and back.

Text is read as everywhere people type money (`grantflow_runtime.money.parse_amount`); a YAML
or JSON file may also hold a plain number.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from grantflow_runtime.money import AmountError, kopecks_of, parse_amount

CURRENCY = "RUB"
KOPECKS = 100

MoneyError = AmountError


def parse_roubles(value: Any) -> int:
    """Kopecks for an amount in roubles; MoneyError says what is wrong with it."""
    if isinstance(value, bool):
        raise MoneyError("must be an amount in roubles, not true or false")
    if isinstance(value, int):
        return kopecks_of(Decimal(value))
    if isinstance(value, float | Decimal):
        # str() of a float is its shortest round-trip form: 0.1 stays 0.1, not 0.1000000000000000055.
        return kopecks_of(Decimal(str(value)))
    if isinstance(value, str):
        try:
            return parse_amount(value)
        except AmountError as exc:
            # The file's value is quoted so the operator sees what was read.
            raise MoneyError(f"{exc} (got {value!r})") from None
    raise MoneyError("must be an amount in roubles, like 1500000 or '1 500 000'")


def money_json(kopecks: int) -> dict[str, str]:
    """The protobuf JSON mapping of Money (int64 travels as a string)."""
    return {"minorUnits": str(kopecks), "currencyCode": CURRENCY}


def format_roubles(kopecks: int) -> str:
    """`1 500 000.00`: thousands apart by spaces, as Russian documents write them."""
    sign = "-" if kopecks < 0 else ""
    whole, cents = divmod(abs(kopecks), KOPECKS)
    return f"{sign}{whole:,}.{cents:02d}".replace(",", " ")

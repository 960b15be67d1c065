"""Money as integer minor units with a currency (exact, never a float), and amounts as people
type them read into it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

RUB = "RUB"


@dataclass(frozen=True, order=True)
class Money:
    minor_units: int
    currency: str = RUB

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor_units + other.minor_units, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor_units - other.minor_units, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    @classmethod
    def roubles(cls, amount: int) -> Money:
        return cls(amount * 100, RUB)

    def __str__(self) -> str:
        whole, kopecks = divmod(abs(self.minor_units), 100)
        sign = "-" if self.minor_units < 0 else ""
        return f"{sign}{whole:,}.{kopecks:02d} {self.currency}".replace(",", " ")


def minor_units_of(money: object) -> int:
    """The minor units of a Money in the protobuf JSON mapping (`{"minorUnits": "150"}`, int64
    as a string); absent or empty means zero."""
    if not isinstance(money, dict):
        return 0
    return int(money.get("minorUnits") or 0)


class AmountError(ValueError):
    """What people typed as an amount is not one; the message is the rule it breaks."""


# Whole roubles at most this many digits: int64 kopecks hold about 9.2e16 roubles, so fifteen
# digits and two decimals always fit, and no real grant or budget line comes near.
MAX_WHOLE_DIGITS = 15

# Spaces people and spreadsheets put between thousands: plain, no-break, narrow no-break, thin.
_GROUP_SPACES = re.compile(r"[ \u00a0\u202f\u2009]+")
_SUFFIX = re.compile(r"\s*(₽|руб\.?|рублей|rub)\s*$", re.IGNORECASE)
# Spaces only between proper groups of three: "15 00 000" is more likely a typo than a number.
# Commas between thousands are refused rather than guessed at: "1,500" could be one and a half.
_GROUPED = re.compile(r"^\d{1,3}( \d{3})+([.,]\d{1,2})?$")
_PLAIN = re.compile(r"^\d+([.,]\d{1,2})?$")
UNREADABLE = "must be an amount in roubles, like 1500000, 1 500 000 or 1 500 000,50"


def parse_amount(text: str) -> int:
    """Kopecks for an amount typed by a person: `1500000`, `1 500 000,50`, `250 000 ₽`.

    One reading for every place people type money (the console's forms, the CLI's files), so
    the same text is never an amount in one and refused in the other."""
    cleaned = _GROUP_SPACES.sub(" ", _SUFFIX.sub("", text.strip())).strip()
    if cleaned.startswith("-"):
        raise AmountError("must not be negative")
    if not (_PLAIN.match(cleaned) or _GROUPED.match(cleaned)):
        raise AmountError(UNREADABLE)
    return kopecks_of(Decimal(cleaned.replace(" ", "").replace(",", ".")))


def kopecks_of(amount: Decimal) -> int:
    """Kopecks for an amount in roubles, refused when it is not one a grant could hold."""
    if not amount.is_finite():
        raise AmountError("must be a finite amount")
    if amount < 0:
        raise AmountError("must not be negative")
    kopecks = amount * 100
    if kopecks != kopecks.to_integral_value():
        raise AmountError("has more than two decimal places (kopecks are the smallest unit)")
    if amount >= 10**MAX_WHOLE_DIGITS:
        raise AmountError(f"must have at most {MAX_WHOLE_DIGITS} digits before the decimal point")
    return int(kopecks)

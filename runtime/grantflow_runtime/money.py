"""Money as integer minor units with a currency: exact, never a float."""

from __future__ import annotations

from dataclasses import dataclass

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

"""Conversions between protobuf well-known and common types and plain Python values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import overload

from google.protobuf.timestamp_pb2 import Timestamp
from grantflow.common.v1 import date_pb2, money_pb2

from grantflow_runtime.money import Money


@overload
def to_timestamp(value: datetime) -> Timestamp: ...
@overload
def to_timestamp(value: None) -> None: ...
def to_timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def from_timestamp(message: Timestamp, present: bool) -> datetime | None:
    """`present` is the parent's HasField answer: an unset timestamp is missing, not the epoch."""
    return message.ToDatetime(tzinfo=UTC) if present else None


def to_money(value: Money) -> money_pb2.Money:
    return money_pb2.Money(minor_units=value.minor_units, currency_code=value.currency)


def from_money(message: money_pb2.Money, present: bool) -> Money | None:
    return Money(message.minor_units, message.currency_code) if present else None


@overload
def to_date(value: date) -> date_pb2.Date: ...
@overload
def to_date(value: None) -> None: ...
@overload
def to_date(value: date | None) -> date_pb2.Date | None: ...
def to_date(value: date | None) -> date_pb2.Date | None:
    if value is None:
        return None
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def from_date(message: date_pb2.Date, present: bool) -> date | None:
    """None when unset; ValueError when the message is not a calendar date (2026-02-30)."""
    if not present:
        return None
    return date(message.year, message.month, message.day)


def parse_decimal(text: str, *, default: Decimal | None = None) -> Decimal:
    """An exact decimal from its string form; ValueError for anything else (NaN, 1e999, "abc")."""
    if not text and default is not None:
        return default
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not a decimal number") from exc
    if not value.is_finite() or abs(value.adjusted()) > 15:
        raise ValueError(f"{text!r} is not a usable decimal number")
    return value

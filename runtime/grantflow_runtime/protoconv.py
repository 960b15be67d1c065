"""Conversions between protobuf well-known and common types and plain Python values."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from grantflow.common.v1 import money_pb2

from grantflow_runtime.money import Money


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

"""Builders of valid requests that a test then breaks one field at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from grantflow.applications.v1 import competitions_pb2
from grantflow.common.v1 import money_pb2


def rub(roubles: int) -> money_pb2.Money:
    return money_pb2.Money(minor_units=roubles * 100, currency_code="RUB")


def stamp(value: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(value)
    return result


def competition_message(**changes: object) -> competitions_pb2.Competition:
    now = datetime.now(UTC)
    message = competitions_pb2.Competition(
        title="Social innovation in the Far East",
        description="Projects that support families and older people.",
        direction_codes=["family", "social-services"],
        min_grant=rub(100_000),
        max_grant=rub(3_000_000),
        budget=rub(50_000_000),
        opens_at=stamp(now - timedelta(days=1)),
        closes_at=stamp(now + timedelta(days=30)),
        time_zone="Asia/Vladivostok",
        max_duration_months=18,
    )
    for name, value in changes.items():
        if value is None:
            message.ClearField(name)  # type: ignore[arg-type]
        elif hasattr(value, "CopyFrom"):
            getattr(message, name).CopyFrom(value)
        elif isinstance(value, list):
            del getattr(message, name)[:]
            getattr(message, name).extend(value)
        else:
            setattr(message, name, value)
    return message

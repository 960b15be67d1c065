"""Builders of valid requests that a test then breaks one field at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from grantflow.applications.v1 import (
    applications_pb2,
    catalogues_pb2,
    competitions_pb2,
    organisations_pb2,
)
from grantflow.common.v1 import date_pb2, money_pb2


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
    _apply(message, changes)
    return message


def inn10(prefix: str) -> str:
    """A legal entity's INN with its real check digit (shared DOMAIN.md)."""
    weights = (2, 4, 10, 3, 5, 9, 4, 6, 8)
    check = sum(int(d) * w for d, w in zip(prefix, weights, strict=True)) % 11 % 10
    return prefix + str(check)


def ogrn13(prefix: str) -> str:
    return prefix + str(int(prefix) % 11 % 10)


def organisation_message(
    inn_prefix: str = "770708389", **changes: object
) -> organisations_pb2.Organisation:
    message = organisations_pb2.Organisation(
        name="Foundation for Family Support",
        legal_form=catalogues_pb2.LEGAL_FORM_NCO,
        inn=inn10(inn_prefix),
        ogrn=ogrn13("102770013219"),
        region_code="RU-PRI",
        registered_on=date_pb2.Date(year=2019, month=5, day=20),
        contact=organisations_pb2.Contact(
            name="Anna Petrova", email="anna@example.org", phone="+7 423 200-00-00"
        ),
        website="https://family.example.org",
    )
    _apply(message, changes)
    return message


def application_message(
    competition_id: str, organisation_id: str, **changes: object
) -> applications_pb2.Application:
    """A complete application that passes every rule of `competition_message()`'s competition."""
    now = datetime.now(UTC)
    start = (now + timedelta(days=60)).date()
    end = (now + timedelta(days=60 + 300)).date()
    message = applications_pb2.Application(
        competition_id=competition_id,
        organisation_id=organisation_id,
        title="Early help for families of children with disabilities",
        summary="A service of early help in three districts, replicating a practice piloted in two regions.",
        direction_code="family",
        region_codes=["RU-PRI"],
        start_date=date_pb2.Date(year=start.year, month=start.month, day=start.day),
        end_date=date_pb2.Date(year=end.year, month=end.month, day=end.day),
        target_groups=["families with children with disabilities"],
        planned_results=[
            applications_pb2.PlannedResult(
                title="Families supported", unit="families", target_value="120"
            )
        ],
        budget_lines=[
            applications_pb2.BudgetLine(
                category="salaries",
                description="Specialists",
                grant_amount=rub(800_000),
                cofinanced_amount=rub(200_000),
            ),
            applications_pb2.BudgetLine(
                category="rent",
                description="Premises",
                grant_amount=rub(200_000),
                cofinanced_amount=rub(100_000),
            ),
        ],
        cofinancing_sources=[
            applications_pb2.CofinancingSource(
                type=catalogues_pb2.COFINANCING_TYPE_OWN_FUNDS, partner_name="", amount=rub(200_000)
            ),
            applications_pb2.CofinancingSource(
                type=catalogues_pb2.COFINANCING_TYPE_IN_KIND,
                partner_name="Volunteers",
                amount=rub(100_000),
            ),
        ],
    )
    _apply(message, changes)
    return message


def _apply(message: Message, changes: dict[str, object]) -> None:
    for name, value in changes.items():
        if value is None:
            message.ClearField(name)
        elif hasattr(value, "CopyFrom"):
            getattr(message, name).CopyFrom(value)
        elif isinstance(value, list):
            del getattr(message, name)[:]
            getattr(message, name).extend(value)
        else:
            setattr(message, name, value)

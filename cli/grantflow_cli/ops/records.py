"""What a row of the organisations and experts files means: its columns, the API body it becomes,
the field each column fills (to put a service violation back on its column), and the natural key
that says a record exists already.

Only the file's form is checked here (required cells, dates, numbers, enum names); the rules of
the domain (INN check digits, region catalogue) are the service's, reported per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from grantflow.applications.v1 import catalogues_pb2

from grantflow_cli.ops.csvfile import Column, Row
from grantflow_cli.ops.enums import enum_name

LEGAL_FORM = catalogues_pb2.DESCRIPTOR.enum_types_by_name["LegalForm"]
# Lists in one cell: codes and INNs hold no spaces, commas or semicolons, so any of them separate.
_LIST = re.compile(r"[\s,;]+")
_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class CellError:
    column: str
    message: str


@dataclass(frozen=True)
class Kind:
    """One kind of record a file can import."""

    noun: str  # "organisation"
    path: str  # where it is created and listed
    list_field: str  # the list response's field
    body_field: str  # the request's field the body fills; violations are prefixed with it
    key_column: str  # the natural key's column...
    key_field: str  # ...and its field in a listed item
    columns: tuple[Column, ...]
    fields: dict[str, str]  # JSON field path -> column
    build: Callable[[Row], tuple[dict[str, Any], list[CellError]]]

    def column_of(self, field: str) -> str | None:
        """The column a violation's field (`organisation.contact.email`, `expert.directionCodes[1]`)
        came from, or None when no column fills it."""
        path = _INDEX.sub("", field).removeprefix(f"{self.body_field}.")
        while path:
            if path in self.fields:
                return self.fields[path]
            path = path.rpartition(".")[0]
        return None


def parse_day(text: str) -> date:
    """ISO dates, and DD.MM.YYYY as Russian documents and spreadsheets write them."""
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date like 2019-05-20 or 20.05.2019")


def _check_required(row: Row, columns: tuple[Column, ...], errors: list[CellError]) -> None:
    for column in columns:
        if column.required and not row.cells.get(column.name):
            errors.append(CellError(column.name, "is required"))


# --- organisations ------------------------------------------------------------------------

ORGANISATION_COLUMNS = (
    Column("name", True, "full name of the organisation"),
    Column("legal_form", True, "the organisation's legal form (see below)"),
    Column("inn", True, "INN: 10 digits, or 12 for an individual entrepreneur"),
    Column("ogrn", True, "OGRN (13 digits) or OGRNIP (15 digits)"),
    Column("region_code", True, "ISO 3166-2:RU code of the federal subject, e.g. RU-TA"),
    Column("registered_on", True, "registration date, 2019-05-20 or 20.05.2019"),
    Column("contact_name", True, "contact person"),
    Column("contact_email", True, "contact e-mail"),
    Column("contact_phone", False, "contact phone"),
    Column("website", False, "web site address"),
)


def organisation_body(row: Row) -> tuple[dict[str, Any], list[CellError]]:
    errors: list[CellError] = []
    _check_required(row, ORGANISATION_COLUMNS, errors)
    c = row.cells
    body: dict[str, Any] = {
        "name": c.get("name", ""),
        "inn": c.get("inn", ""),
        "ogrn": c.get("ogrn", ""),
        "regionCode": c.get("region_code", ""),
    }
    if c.get("legal_form"):
        try:
            body["legalForm"] = enum_name(LEGAL_FORM, c["legal_form"])
        except ValueError as exc:
            errors.append(CellError("legal_form", str(exc)))
    if c.get("registered_on"):
        try:
            day = parse_day(c["registered_on"])
            body["registeredOn"] = {"year": day.year, "month": day.month, "day": day.day}
        except ValueError as exc:
            errors.append(CellError("registered_on", str(exc)))
    contact = {
        key: c[column]
        for key, column in (
            ("name", "contact_name"),
            ("email", "contact_email"),
            ("phone", "contact_phone"),
        )
        if c.get(column)
    }
    if contact:
        body["contact"] = contact
    if c.get("website"):
        body["website"] = c["website"]
    return body, errors


ORGANISATIONS = Kind(
    noun="organisation",
    path="/v1/organisations",
    list_field="organisations",
    body_field="organisation",
    key_column="inn",
    key_field="inn",
    columns=ORGANISATION_COLUMNS,
    fields={
        "name": "name",
        "legalForm": "legal_form",
        "inn": "inn",
        "ogrn": "ogrn",
        "regionCode": "region_code",
        "registeredOn": "registered_on",
        "contact.name": "contact_name",
        "contact.email": "contact_email",
        "contact.phone": "contact_phone",
        "contact": "contact_name",
        "website": "website",
    },
    build=organisation_body,
)

# --- experts ------------------------------------------------------------------------------

EXPERT_COLUMNS = (
    Column("subject", True, "the token subject the expert signs in with"),
    Column("display_name", True, "the expert's name"),
    Column("direction_codes", True, "direction codes the expert scores, e.g. 'family; health'"),
    Column("region_code", True, "ISO 3166-2:RU code of the expert's federal subject"),
    Column("max_load", True, "most applications the expert reviews in one competition"),
    Column("affiliation_inns", False, "INNs of organisations the expert works for or leads"),
)


def expert_body(row: Row) -> tuple[dict[str, Any], list[CellError]]:
    errors: list[CellError] = []
    _check_required(row, EXPERT_COLUMNS, errors)
    c = row.cells
    body: dict[str, Any] = {
        "subject": c.get("subject", ""),
        "displayName": c.get("display_name", ""),
        "directionCodes": _items(c.get("direction_codes", "")),
        "regionCode": c.get("region_code", ""),
        "affiliationInns": _items(c.get("affiliation_inns", "")),
    }
    if c.get("max_load"):
        try:
            body["maxLoad"] = int(c["max_load"])
        except ValueError:
            errors.append(CellError("max_load", f"{c['max_load']!r} is not a whole number"))
    return body, errors


def _items(cell: str) -> list[str]:
    return [item for item in _LIST.split(cell) if item]


EXPERTS = Kind(
    noun="expert",
    path="/v1/experts",
    list_field="experts",
    body_field="expert",
    key_column="subject",
    key_field="subject",
    columns=EXPERT_COLUMNS,
    fields={
        "subject": "subject",
        "displayName": "display_name",
        "directionCodes": "direction_codes",
        "regionCode": "region_code",
        "maxLoad": "max_load",
        "affiliationInns": "affiliation_inns",
    },
    build=expert_body,
)

"""The competition file: YAML with the fields of the Competition message, in friendlier forms.

Keys are the message's fields in either spelling (`minGrant` or `min_grant`). Money is roubles
(`1500000`, `"1 500 000"`, `"1 500 000,50"`) or the API's `{minorUnits, currencyCode}`. Times are
ISO 8601: with an offset (`2026-03-01T10:00:00+03:00`) they are exact; without one they are read
in the competition's `timeZone`; a date alone means the start of that day for `opensAt` and its
last second (23:59:59) for `closesAt`, so "closes 30 April" accepts applications all of that day.
Enums are written without their prefix (`nco`, `own-funds`); percents as numbers or text. The
server's fields (id, state, createTime, updateTime) may not be given.

Every problem is reported at once with its line and column; the service's own checks are mapped
back to lines by `CompetitionFile.locate`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from grantflow.applications.v1 import competitions_pb2

from grantflow_cli.ops.enums import enum_name
from grantflow_cli.ops.errors import InputError, InvalidFile, Position
from grantflow_cli.ops.money import MoneyError, money_json, parse_roubles
from grantflow_cli.ops.yamlfile import Located, Path, load_yaml

COMPETITION = competitions_pb2.Competition.DESCRIPTOR
SERVER_FIELDS = frozenset({"id", "state", "create_time", "update_time"})
# Date-only values of these fields mean the end of the day rather than its start.
END_OF_DAY_FIELDS = frozenset({"closes_at"})
LAST_SECOND = time(23, 59, 59)
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONEY_KEYS = frozenset({"minorUnits", "currencyCode", "minor_units", "currency_code"})
_INTEGERS = frozenset(
    {
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT32,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_SINT64,
    }
)


@dataclass
class CompetitionFile:
    """The competition as the API's JSON body, and where each field came from in the file."""

    source: str
    body: dict[str, Any]
    positions: dict[str, Position] = field(default_factory=dict)

    def locate(self, field_path: str) -> Position | None:
        """The line of a service violation's field (`competition.directionQuotas[0].amount`), or
        of the nearest enclosing field that the file gives."""
        path = field_path.removeprefix("competition.").removeprefix("competition")
        while path:
            if path in self.positions:
                return self.positions[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return None


def read_competition(text: str, source: str) -> CompetitionFile:
    """The competition in `text`; InputError (YAML syntax) or InvalidFile (every bad field)."""
    located = load_yaml(text, source)
    reader = _Reader(source, located)
    body = reader.read()
    if reader.problems:
        raise InvalidFile(reader.problems)
    try:
        json_format.ParseDict(body, competitions_pb2.Competition())
    except json_format.ParseError as exc:  # a guard: the reader should have caught it
        raise InvalidFile([InputError(source, f"is not a valid competition: {exc}")]) from None
    return CompetitionFile(source, body, reader.positions)


class _Reader:
    def __init__(self, source: str, located: Located) -> None:
        self.source = source
        self.located = located
        self.problems: list[InputError] = []
        self.positions: dict[str, Position] = {}
        self.zone: tzinfo | None = None
        self.zone_broken = False

    def problem(self, message: str, where: Position | None) -> None:
        self.problems.append(InputError(self.source, message, where))

    def read(self) -> dict[str, Any]:
        data = self.located.data
        if not isinstance(data, dict):
            self.problem("must be a mapping of competition fields", self.located.at(()))
            return {}
        self._read_zone(data)
        return self._message(data, COMPETITION, (), "", top=True)

    def _read_zone(self, data: dict[str, Any]) -> None:
        for key in ("timeZone", "time_zone"):
            name = data.get(key)
            if isinstance(name, str) and name.strip():
                try:
                    self.zone = ZoneInfo(name.strip())
                except (ZoneInfoNotFoundError, ValueError, OSError):
                    # OSError: a folder of the zone database ("Europe") is no zone.
                    self.zone_broken = True  # reported when the field itself is read
                return

    def _message(
        self, data: Any, descriptor: Descriptor, ypath: Path, jpath: str, *, top: bool = False
    ) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.problem(
                f"{jpath or 'the file'}: must be a mapping of fields", self.located.at(ypath)
            )
            return {}
        by_json = {f.json_name: f for f in descriptor.fields}
        out: dict[str, Any] = {}
        for key, value in data.items():
            name = str(key)
            where = self.located.keys.get((*ypath, name))
            found = descriptor.fields_by_name.get(name) or by_json.get(name)
            label = f"{jpath}.{name}" if jpath else name
            if found is None:
                close = difflib.get_close_matches(name, list(by_json), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.problem(f"{label}: unknown field{hint}", where)
                continue
            if top and found.name in SERVER_FIELDS:
                self.problem(f"{label}: is set by the server and may not be given", where)
                continue
            if found.json_name in out:
                self.problem(
                    f"{label}: is given twice (as {found.name} and {found.json_name})", where
                )
                continue
            child = f"{jpath}.{found.json_name}" if jpath else found.json_name
            converted = self._field(found, value, (*ypath, name), child)
            if converted is not None:
                out[found.json_name] = converted
        return out

    def _field(self, f: FieldDescriptor, value: Any, ypath: Path, jpath: str) -> Any:
        self.positions[jpath] = self.located.at(ypath) or Position(1, 1)
        if value is None:
            return None  # `key:` with nothing after it leaves the field unset
        if not f.is_repeated:
            return self._single(f, value, ypath, jpath)
        # One value where a list is expected is a list of one: `directionCodes: family`.
        items = value if isinstance(value, list) else [value]
        converted = []
        for index, item in enumerate(items):
            item_path = f"{jpath}[{index}]"
            self.positions[item_path] = self.located.at((*ypath, index)) or self.positions[jpath]
            one = self._single(f, item, (*ypath, index), item_path)
            if one is not None:
                converted.append(one)
        return converted

    def _single(self, f: FieldDescriptor, value: Any, ypath: Path, jpath: str) -> Any:
        where = self.located.at(ypath)
        try:
            if f.message_type is not None:
                kind = f.message_type.full_name
                if kind == "grantflow.common.v1.Money":
                    return self._money(value)
                if kind == "google.protobuf.Timestamp":
                    return self._timestamp(f, value)
                return self._message(value, f.message_type, ypath, jpath)
            if f.enum_type is not None:
                return enum_name(f.enum_type, _text(value))
            if f.type == FieldDescriptor.TYPE_BOOL:
                if not isinstance(value, bool):
                    raise ValueError("must be true or false")
                return value
            if f.type in _INTEGERS:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError("must be a whole number")
                return value
            if f.name == "time_zone" and self.zone_broken:
                raise ValueError(f"{value!r} is not an IANA time zone like 'Europe/Moscow'")
            return _text(value)
        except (ValueError, MoneyError) as exc:
            self.problem(f"{jpath}: {exc}", where)
            return None

    def _money(self, value: Any) -> dict[str, str]:
        if isinstance(value, dict):
            if not value.keys() <= _MONEY_KEYS:
                raise ValueError("must be roubles, or {minorUnits, currencyCode}")
            return {str(k): str(v) for k, v in value.items()}
        return money_json(parse_roubles(value))

    def _timestamp(self, f: FieldDescriptor, value: Any) -> str:
        end_of_day = f.name in END_OF_DAY_FIELDS
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime.combine(value, LAST_SECOND if end_of_day else time.min)
        elif isinstance(value, str):
            text = value.strip()
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(
                    f"{value!r} is not an ISO date or time like 2026-04-30 or 2026-04-30T18:00:00+03:00"
                ) from None
            if _DATE_ONLY.match(text) and end_of_day:
                moment = datetime.combine(moment.date(), LAST_SECOND)
        else:
            raise ValueError("must be an ISO date or time")
        if moment.tzinfo is None:
            if self.zone is None:
                raise ValueError(
                    "has no UTC offset: give one (+03:00) or set a valid timeZone to read it in"
                )
            moment = moment.replace(tzinfo=self.zone)
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _text(value: Any) -> str:
    """Text fields, and exact decimals written as YAML numbers (`minCofinancingPercent: 12.5`)."""
    if isinstance(value, bool | dict | list):
        raise ValueError("must be text")
    if isinstance(value, float):
        return str(Decimal(str(value)))
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)

"""Text no database stores: PostgreSQL refuses the NUL character in text, so a request carrying
one must be refused as invalid before any handler runs, naming the field, not fail inside."""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from grantflow_runtime.errors import FieldViolation

NUL = "\x00"
_RULE = "no_nul"
_WHY = "must not contain the NUL character"


def nul_violations(message: Message, prefix: str = "") -> list[FieldViolation]:
    """Every string field (nested, repeated and map values too) holding a NUL, by its path."""
    found: list[FieldViolation] = []
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            for key, item in value.items():
                _check(found, f"{path}[{key!r}]", key)
                _check_value(
                    found, field.message_type.fields_by_name["value"], item, f"{path}[{key!r}]"
                )
        elif field.is_repeated:
            for i, item in enumerate(value):
                _check_value(found, field, item, f"{path}[{i}]")
        else:
            _check_value(found, field, value, path)
    return found


def _check_value(
    found: list[FieldViolation], field: FieldDescriptor, value: object, path: str
) -> None:
    if isinstance(value, Message):
        found.extend(nul_violations(value, prefix=f"{path}."))
    elif field.type == FieldDescriptor.TYPE_STRING:
        _check(found, path, value)


def _check(found: list[FieldViolation], path: str, value: object) -> None:
    if isinstance(value, str) and NUL in value:
        found.append(FieldViolation(path, _WHY, _RULE))

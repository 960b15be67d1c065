"""Checks every request gets before any handler runs, for values no handler should have to fear:
the NUL character (PostgreSQL cannot store it in text), timestamps outside what a datetime holds,
and amounts of money beyond any grant (they would overflow 64-bit sums). Each names its field."""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from grantflow_runtime.errors import FieldViolation

NUL = "\x00"
# 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range of a Python datetime.
MIN_SECONDS = -62_135_596_800
MAX_SECONDS = 253_402_300_799
# A trillion roubles in kopecks: more than any budget, far from int64's limit after summing.
MAX_MINOR_UNITS = 10**14


def request_violations(message: Message, prefix: str = "") -> list[FieldViolation]:
    """Every string with a NUL, impossible timestamp and out-of-range amount, by its path."""
    found: list[FieldViolation] = []
    _walk(message, prefix, found)
    return found


def nul_violations(message: Message, prefix: str = "") -> list[FieldViolation]:
    return [v for v in request_violations(message, prefix) if v.rule == "no_nul"]


def _walk(message: Message, prefix: str, found: list[FieldViolation]) -> None:
    kind = message.DESCRIPTOR.full_name
    if kind == "google.protobuf.Timestamp":
        seconds, nanos = _field(message, "seconds"), _field(message, "nanos")
        if not (MIN_SECONDS <= seconds <= MAX_SECONDS and 0 <= nanos < 1_000_000_000):
            found.append(
                FieldViolation(prefix.rstrip("."), "is not a valid time (years 1 to 9999)", "range")
            )
        return
    if (
        kind == "grantflow.common.v1.Money"
        and abs(_field(message, "minor_units")) > MAX_MINOR_UNITS
    ):
        found.append(
            FieldViolation(
                prefix.rstrip("."),
                f"is out of range: at most {MAX_MINOR_UNITS} minor units either way",
                "range",
            )
        )
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            for key, item in value.items():
                _check_text(found, f"{path}[{key!r}]", key)
                _check_value(
                    found, field.message_type.fields_by_name["value"], item, f"{path}[{key!r}]"
                )
        elif field.is_repeated:
            for i, item in enumerate(value):
                _check_value(found, field, item, f"{path}[{i}]")
        else:
            _check_value(found, field, value, path)


def _check_value(
    found: list[FieldViolation], field: FieldDescriptor, value: object, path: str
) -> None:
    if isinstance(value, Message):
        _walk(value, f"{path}.", found)
    elif field.type == FieldDescriptor.TYPE_STRING:
        _check_text(found, path, value)


def _check_text(found: list[FieldViolation], path: str, value: object) -> None:
    if isinstance(value, str) and NUL in value:
        found.append(FieldViolation(path, "must not contain the NUL character", "no_nul"))


def _field(message: Message, name: str) -> int:
    # Typed as a plain Message here: the concrete classes are only known by descriptor name.
    value: int = getattr(message, name)
    return value

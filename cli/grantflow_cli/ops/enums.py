"""Enum values as an operator writes them (`nco`, `social-enterprise`) to the names the API uses
(`LEGAL_FORM_NCO`). The choices come from the proto descriptor, so a new value needs no change
here."""

from __future__ import annotations

from google.protobuf.descriptor import EnumDescriptor


def prefix(enum: EnumDescriptor) -> str:
    """`LEGAL_FORM_` for LegalForm: what the zero value's name has before UNSPECIFIED."""
    zero = enum.values_by_number[0].name
    return zero.removesuffix("UNSPECIFIED")


def short_names(enum: EnumDescriptor) -> list[str]:
    """The values an operator may write, lower case, without the prefix or the zero value."""
    head = prefix(enum)
    return [v.name.removeprefix(head).lower() for v in enum.values if v.number != 0]


def enum_name(enum: EnumDescriptor, text: str) -> str:
    """The API's name for `text`; ValueError listing the choices when it names none."""
    wanted = text.strip().upper().replace("-", "_").replace(" ", "_")
    head = prefix(enum)
    for candidate in (wanted, head + wanted):
        value = enum.values_by_name.get(candidate)
        if value is not None and value.number != 0:
            return value.name
    raise ValueError(f"{text!r} is not one of: {', '.join(short_names(enum))}")

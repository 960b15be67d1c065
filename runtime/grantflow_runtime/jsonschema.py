"""JSON Schema (2020-12, as OpenAPI 3.1 and AsyncAPI 3.0 embed it) of protobuf messages under the
protobuf JSON mapping: what `json_format.MessageToDict` writes and `json_format.ParseDict` reads.

Built from descriptors, so a document that uses it cannot drift from the protos. Messages and enums
are collected into a `components` dict keyed by full protobuf name and referenced with
`#/components/schemas/<full name>`, which both the gateway's OpenAPI document and the events'
AsyncAPI document use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor

Schema = dict[str, Any]

COMPONENT_PREFIX = "#/components/schemas/"

_INT64_RANGE = {"minimum": -(2**63), "maximum": 2**63 - 1}
_INT32 = {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
_UINT32 = {"type": "integer", "minimum": 0, "maximum": 2**32 - 1}
# The JSON mapping writes 64-bit integers as strings (JavaScript numbers lose precision above
# 2^53), and parsers accept a JSON number too.
_INT64 = {"type": ["string", "integer"], "format": "int64", "pattern": "^-?[0-9]+$", **_INT64_RANGE}
_UINT64 = {
    "type": ["string", "integer"],
    "format": "int64",
    "pattern": "^[0-9]+$",
    "minimum": 0,
    "maximum": 2**64 - 1,
}

_SCALARS: dict[int, Schema] = {
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_INT32: _INT32,
    FieldDescriptor.TYPE_SINT32: _INT32,
    FieldDescriptor.TYPE_SFIXED32: _INT32,
    FieldDescriptor.TYPE_UINT32: _UINT32,
    FieldDescriptor.TYPE_FIXED32: _UINT32,
    FieldDescriptor.TYPE_INT64: _INT64,
    FieldDescriptor.TYPE_SINT64: _INT64,
    FieldDescriptor.TYPE_SFIXED64: _INT64,
    FieldDescriptor.TYPE_UINT64: _UINT64,
    FieldDescriptor.TYPE_FIXED64: _UINT64,
    FieldDescriptor.TYPE_FLOAT: {"type": "number", "format": "float"},
    FieldDescriptor.TYPE_DOUBLE: {"type": "number", "format": "double"},
}

# Well-known types have their own JSON forms instead of an object of their fields.
_WELL_KNOWN: dict[str, Schema] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {
        "type": "string",
        "pattern": r"^-?[0-9]+(\.[0-9]{1,9})?s$",
        "description": "Seconds with an `s` suffix, for example `1.5s`.",
    },
    "google.protobuf.FieldMask": {
        "type": "string",
        "description": "Comma-separated lowerCamelCase field paths, for example `title,minGrant`.",
    },
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Any": {"type": "object", "properties": {"@type": {"type": "string"}}},
}
_WRAPPERS = frozenset(
    f"google.protobuf.{name}Value"
    for name in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes")
)


def has_own_json_form(message: Descriptor) -> bool:
    """Whether the message is written as a single JSON value (a well-known type or a wrapper)
    rather than as an object of its fields."""
    return message.full_name in _WELL_KNOWN or message.full_name in _WRAPPERS


def schema_for_message(message: Descriptor, components: dict[str, Schema]) -> Schema:
    """The object schema of a message under the JSON mapping: its fields by json name.

    Messages and enums it refers to are added to `components` (keyed by full name) and referenced.
    No `additionalProperties: false`: parsers also accept the proto field names, and a reader must
    tolerate fields added after it was written.
    """
    return object_schema(message.fields, components)


def message_ref(message: Descriptor, components: dict[str, Schema]) -> Schema:
    """A reference to a message's component (added on first use), or a well-known type's form."""
    name = message.full_name
    if name in _WELL_KNOWN:
        return dict(_WELL_KNOWN[name])
    if name in _WRAPPERS:
        # A wrapper's JSON form is the bare wrapped value.
        return value_schema(message.fields_by_name["value"], components)
    if name not in components:
        # Claimed before it is built, so a message that contains itself stops here.
        components[name] = {}
        components[name] = schema_for_message(message, components)
    return {"$ref": COMPONENT_PREFIX + name}


def field_schema(field: FieldDescriptor, components: dict[str, Schema]) -> Schema:
    """The schema of a field's JSON value: a map, a list or a single value."""
    entry = field.message_type
    if entry is not None and entry.GetOptions().map_entry:
        values = value_schema(entry.fields_by_name["value"], components)
        return {"type": "object", "additionalProperties": values}
    if field.is_repeated:
        return {"type": "array", "items": value_schema(field, components)}
    return value_schema(field, components)


def value_schema(field: FieldDescriptor, components: dict[str, Schema]) -> Schema:
    """The schema of one value of a field, ignoring whether the field is repeated."""
    if field.message_type is not None:
        return message_ref(field.message_type, components)
    if field.enum_type is not None:
        return _enum_ref(field.enum_type, components)
    return dict(_SCALARS[field.type])


def object_schema(fields: Sequence[FieldDescriptor], components: dict[str, Schema]) -> Schema:
    """An object of the given fields by their json names (a message, or part of one)."""
    return {"type": "object", "properties": {f.json_name: _property(f, components) for f in fields}}


def _property(field: FieldDescriptor, components: dict[str, Schema]) -> Schema:
    schema = field_schema(field, components)
    if field.json_name != field.name:
        schema["description"] = f"Also accepted as `{field.name}`."
    return schema


def _enum_ref(enum: EnumDescriptor, components: dict[str, Schema]) -> Schema:
    components.setdefault(
        enum.full_name, {"type": "string", "enum": [value.name for value in enum.values]}
    )
    return {"$ref": COMPONENT_PREFIX + enum.full_name}

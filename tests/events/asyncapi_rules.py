"""A structural check of AsyncAPI 3.0.0 documents, written from the specification (no network).

`STRUCTURE` is a JSON Schema of the spec's objects that this project uses or may use: their
required fields, the patterns of component and channel keys, the `action` values, and no fields
beyond the spec's fixed ones and `x-` extensions (so a misspelt `sumary` fails). `problems()` adds
the rules a JSON Schema cannot say: every `$ref` resolves, an operation's messages belong to its
channel, a channel's address parameters are declared, and every schema is valid JSON Schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs

_KEY = "^[A-Za-z0-9_\\-]+$"
_COMPONENT_KEY = "^[a-zA-Z0-9\\.\\-_]+$"
_EXTENSION: dict[str, Any] = {"^x-[\\w\\d\\.\\x2d_]+$": {}}


def _object(
    properties: dict[str, Any], required: tuple[str, ...] = (), **extra: Any
) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "patternProperties": _EXTENSION,
        "additionalProperties": False,
        **extra,
    }


def _map(values: dict[str, Any], key: str = _KEY) -> dict[str, Any]:
    return {
        "type": "object",
        "propertyNames": {"pattern": key},
        "additionalProperties": values,
    }


def _or_ref(name: str) -> dict[str, Any]:
    # if/then/else rather than oneOf, so an error names the field at fault.
    return {
        "if": {"type": "object", "required": ["$ref"]},
        "then": {"$ref": "#/$defs/reference"},
        "else": {"$ref": f"#/$defs/{name}"},
    }


_TEXT = {"type": "string"}
_TAGS = {"type": "array", "items": _or_ref("tag")}
_BINDINGS = {"type": "object"}

STRUCTURE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    **_object(
        {
            "asyncapi": {"const": "3.0.0"},
            "id": {"type": "string", "format": "uri"},
            "info": {"$ref": "#/$defs/info"},
            "servers": _map(_or_ref("server")),
            "defaultContentType": _TEXT,
            "channels": _map(_or_ref("channel")),
            "operations": _map(_or_ref("operation")),
            "components": {"$ref": "#/$defs/components"},
        },
        ("asyncapi", "info"),
    ),
    "$defs": {
        "reference": {
            "type": "object",
            "required": ["$ref"],
            "properties": {"$ref": {"type": "string", "format": "uri-reference"}},
            "additionalProperties": False,
        },
        "info": _object(
            {
                "title": _TEXT,
                "version": _TEXT,
                "description": _TEXT,
                "termsOfService": {"type": "string", "format": "uri"},
                "contact": _object(
                    {
                        "name": _TEXT,
                        "url": {"type": "string", "format": "uri"},
                        "email": {"type": "string", "format": "email"},
                    }
                ),
                "license": _object(
                    {"name": _TEXT, "url": {"type": "string", "format": "uri"}}, ("name",)
                ),
                "tags": _TAGS,
                "externalDocs": _or_ref("externalDocs"),
            },
            ("title", "version"),
        ),
        "tag": _object(
            {"name": _TEXT, "description": _TEXT, "externalDocs": _or_ref("externalDocs")},
            ("name",),
        ),
        "externalDocs": _object(
            {"description": _TEXT, "url": {"type": "string", "format": "uri"}}, ("url",)
        ),
        "server": _object(
            {
                "host": _TEXT,
                "protocol": _TEXT,
                "protocolVersion": _TEXT,
                "pathname": _TEXT,
                "description": _TEXT,
                "title": _TEXT,
                "summary": _TEXT,
                "variables": {"type": "object"},
                "security": {"type": "array"},
                "tags": _TAGS,
                "externalDocs": _or_ref("externalDocs"),
                "bindings": _BINDINGS,
            },
            ("host", "protocol"),
        ),
        "channel": _object(
            {
                "address": {"type": ["string", "null"]},
                "messages": _map(_or_ref("message")),
                "title": _TEXT,
                "summary": _TEXT,
                "description": _TEXT,
                "servers": {"type": "array", "items": {"$ref": "#/$defs/reference"}},
                "parameters": _map(_or_ref("parameter")),
                "tags": _TAGS,
                "externalDocs": _or_ref("externalDocs"),
                "bindings": _BINDINGS,
            }
        ),
        "parameter": _object(
            {
                "enum": {"type": "array", "items": _TEXT},
                "default": _TEXT,
                "description": _TEXT,
                "examples": {"type": "array", "items": _TEXT},
                "location": {"type": "string", "pattern": "^\\$message\\.(header|payload)#"},
            }
        ),
        "operation": _object(
            {
                "action": {"enum": ["send", "receive"]},
                "channel": {"$ref": "#/$defs/reference"},
                "title": _TEXT,
                "summary": _TEXT,
                "description": _TEXT,
                "security": {"type": "array"},
                "tags": _TAGS,
                "externalDocs": _or_ref("externalDocs"),
                "bindings": _BINDINGS,
                "traits": {"type": "array"},
                "messages": {"type": "array", "items": {"$ref": "#/$defs/reference"}},
                "reply": {"type": "object"},
            },
            ("action", "channel"),
        ),
        "message": _object(
            {
                "headers": {"type": "object"},
                "payload": {"type": ["object", "boolean"]},
                "correlationId": {"type": "object"},
                "contentType": _TEXT,
                "name": _TEXT,
                "title": _TEXT,
                "summary": _TEXT,
                "description": _TEXT,
                "tags": _TAGS,
                "externalDocs": _or_ref("externalDocs"),
                "bindings": _BINDINGS,
                "examples": {"type": "array", "items": {"$ref": "#/$defs/messageExample"}},
                "traits": {"type": "array"},
            }
        ),
        "messageExample": _object(
            {
                "headers": {"type": "object"},
                "payload": {},
                "name": _TEXT,
                "summary": _TEXT,
            },
            minProperties=1,
            anyOf=[{"required": ["headers"]}, {"required": ["payload"]}],
        ),
        "components": _object(
            {
                name: _map({"type": ["object", "boolean"]}, _COMPONENT_KEY)
                for name in (
                    "schemas",
                    "servers",
                    "channels",
                    "operations",
                    "messages",
                    "securitySchemes",
                    "serverVariables",
                    "parameters",
                    "correlationIds",
                    "replies",
                    "replyAddresses",
                    "externalDocs",
                    "tags",
                    "operationTraits",
                    "messageTraits",
                    "serverBindings",
                    "channelBindings",
                    "operationBindings",
                    "messageBindings",
                )
            }
            | {"messages": _map(_or_ref("message"), _COMPONENT_KEY)}
        ),
    },
}

_ADDRESS_PARAMETER = re.compile(r"\{([^{}]+)\}")


def problems(document: dict[str, Any]) -> list[str]:
    """Everything wrong with the document; empty when it is a valid AsyncAPI 3.0.0 document."""
    found = [
        f"{error.instance_path}: {error.message}"
        for error in jsonschema_rs.validator_for(STRUCTURE).iter_errors(document)
    ]
    found += [
        f"{where}: $ref {ref} does not resolve"
        for where, ref in _refs(document, "#")
        if resolve(document, ref) is None
    ]
    for op_id, operation in (document.get("operations") or {}).items():
        channel_ref = operation["channel"]["$ref"]
        for message in operation.get("messages", []):
            if not message["$ref"].startswith(channel_ref + "/messages/"):
                found.append(f"operation {op_id}: {message['$ref']} is not in {channel_ref}")
    for channel_id, channel in (document.get("channels") or {}).items():
        named = set(_ADDRESS_PARAMETER.findall(channel.get("address") or ""))
        declared = set(channel.get("parameters") or {})
        if named != declared:
            found.append(f"channel {channel_id}: address names {named}, declares {declared}")
    for name, schema in (document.get("components", {}).get("schemas") or {}).items():
        if not jsonschema_rs.meta.is_valid(schema):
            found.append(f"schema {name} is not a valid JSON Schema")
    return found


def resolve(document: dict[str, Any], ref: str) -> Any:
    """What a local `#/a/b` reference points at, or None."""
    if not ref.startswith("#/"):
        return None
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _refs(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield where, value
            elif key not in ("examples", "const", "enum", "default"):
                yield from _refs(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, f"{where}/{index}")

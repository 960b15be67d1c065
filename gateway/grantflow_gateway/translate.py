"""HTTP to protobuf and back: path values, query string and JSON body into a route's request
message; a response message into the protobuf JSON mapping."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from grantflow_gateway.problems import Violation, bad_request_problem, json_path
from grantflow_gateway.routes import REQUEST_ID_FIELD, Route

# Message types that the JSON mapping writes as one string: a single query value each.
_STRING_LIKE = {
    "google.protobuf.FieldMask",
    "google.protobuf.Timestamp",
    "google.protobuf.Duration",
}
_INTEGERS = {
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED32,
    FieldDescriptor.TYPE_FIXED64,
    FieldDescriptor.TYPE_SFIXED32,
    FieldDescriptor.TYPE_SFIXED64,
}


def message_class(descriptor: Descriptor) -> type[Message]:
    return message_factory.GetMessageClass(descriptor)


def build_request(
    route: Route,
    *,
    path_values: Sequence[str],
    query: Sequence[tuple[str, str]],
    body: Any,
    request_id: str,
    max_page_size: int,
) -> Message:
    """The request message a call asks for, or a 400 Problem naming every field it cannot read."""
    request = message_class(route.input)()
    _fill_body(route, request, body)
    _fill_query(route, request, query)
    for param, raw in zip(route.path_params, path_values, strict=True):
        _set_path(request, param, raw)
    if route.idempotent_create:
        setattr(request, REQUEST_ID_FIELD, request_id)
    page_size = route.input.fields_by_name.get("page_size")
    if page_size is not None and getattr(request, "page_size") > max_page_size:  # noqa: B009
        raise bad_request_problem(
            [Violation("pageSize", f"must be at most {max_page_size}", "range")]
        )
    return request


def render(message: Message) -> dict[str, Any]:
    """The protobuf JSON mapping, every field present so clients see one shape."""
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


def _fill_body(route: Route, request: Message, body: Any) -> None:
    if route.body is None:
        if body not in (None, {}):
            raise bad_request_problem([Violation("body", "this call takes no body", "unexpected")])
        return
    if not isinstance(body, dict):
        raise bad_request_problem([Violation("body", "must be a JSON object", "type")])
    target = request if route.body == "*" else getattr(request, route.body)
    if route.body == "*" and ({REQUEST_ID_FIELD, "requestId"} & body.keys()):
        raise bad_request_problem(
            [
                Violation(
                    "requestId", "is set by the Idempotency-Key header, not the body", "unexpected"
                )
            ]
        )
    _parse(body, target, prefix="" if route.body == "*" else json_path(route.body))


def _fill_query(route: Route, request: Message, query: Sequence[tuple[str, str]]) -> None:
    if not query:
        return
    known = _query_names(route.query_fields)
    values: dict[str, Any] = {}
    problems: list[Violation] = []
    for name, raw in query:
        found = known.get(name)
        if found is None:
            problems.append(Violation(name, "is not a parameter of this call", "unknown"))
            continue
        path, leaf = found
        try:
            value = _query_value(leaf, raw)
        except ValueError as exc:
            problems.append(Violation(name, str(exc), "type"))
            continue
        _put(values, path, value, repeated=leaf.is_repeated, name=name, problems=problems)
    if problems:
        raise bad_request_problem(problems)
    parsed = message_class(route.input)()
    _parse(values, parsed, prefix="")
    request.MergeFrom(parsed)


def _query_names(
    fields: Sequence[FieldDescriptor],
) -> dict[str, tuple[tuple[str, ...], FieldDescriptor]]:
    """Query names (JSON and proto spellings) to the JSON path and the leaf field they set."""
    names: dict[str, tuple[tuple[str, ...], FieldDescriptor]] = {}
    for f in fields:
        nested = f.message_type
        if nested is not None and nested.full_name not in _STRING_LIKE:
            for leaf in nested.fields:
                if leaf.type == FieldDescriptor.TYPE_MESSAGE:
                    continue  # deeper nesting has no query form
                path = (f.json_name, leaf.json_name)
                names[f"{f.json_name}.{leaf.json_name}"] = (path, leaf)
                names[f"{f.name}.{leaf.name}"] = (path, leaf)
        else:
            names[f.json_name] = ((f.json_name,), f)
            names[f.name] = ((f.json_name,), f)
    return names


def _query_value(leaf: FieldDescriptor, raw: str) -> Any:
    if leaf.type == FieldDescriptor.TYPE_BOOL:
        lowered = raw.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        raise ValueError("must be true or false")
    if leaf.type == FieldDescriptor.TYPE_ENUM and raw.lstrip("-").isdigit():
        return int(raw)
    if leaf.type in _INTEGERS:
        try:
            return int(raw)
        except ValueError:
            raise ValueError("must be a whole number") from None
    if leaf.type in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        try:
            return float(raw)
        except ValueError:
            raise ValueError("must be a number") from None
    return raw


def _put(
    values: dict[str, Any],
    path: tuple[str, ...],
    value: Any,
    *,
    repeated: bool,
    name: str,
    problems: list[Violation],
) -> None:
    node = values
    for part in path[:-1]:
        node = node.setdefault(part, {})
    last = path[-1]
    if repeated:
        node.setdefault(last, []).append(value)
    elif last in node:
        problems.append(Violation(name, "is given more than once", "duplicate"))
    else:
        node[last] = value


def _set_path(request: Message, param: str, raw: str) -> None:
    *parents, leaf_name = param.split(".")
    target = request
    for part in parents:
        target = getattr(target, part)
    leaf = target.DESCRIPTOR.fields_by_name[leaf_name]
    if leaf.type in _INTEGERS:
        try:
            value: Any = int(raw)
        except ValueError:
            raise bad_request_problem(
                [Violation(json_path(param), "must be a whole number", "type")]
            ) from None
    else:
        value = raw
    try:
        setattr(target, leaf_name, value)
    except (ValueError, TypeError) as exc:
        raise bad_request_problem([Violation(json_path(param), str(exc), "type")]) from None


def _parse(data: Any, target: Message, *, prefix: str) -> None:
    try:
        json_format.ParseDict(data, target)
    except json_format.ParseError as exc:
        field, description = _parse_error(exc)
        where = ".".join(p for p in (prefix, field) if p) or "body"
        raise bad_request_problem([Violation(where, description, "json")]) from None
    except (ValueError, TypeError, RecursionError) as exc:
        # json_format raises these for out-of-range numbers and odd nesting.
        raise bad_request_problem([Violation(prefix or "body", str(exc)[:300], "json")]) from None


_AT = re.compile(r' at "[A-Za-z0-9_]+\.?([^"]*)"')
_NESTING = re.compile(r"^(Failed to parse \w+ field: )+")


def _parse_error(error: Exception) -> tuple[str, str]:
    """The JSON path and the innermost complaint of a json_format error ("at "Report.x[0].y"")."""
    text = str(error).replace("\n", " ")
    found = _AT.search(text)
    field = found.group(1) if found else ".".join(re.findall(r"Failed to parse (\w+) field", text))
    description = _NESTING.sub("", _AT.sub("", text)).split("  Available Fields")[0].rstrip(".")
    return field, description[:300]

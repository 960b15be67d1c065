"""The OpenAPI 3.1 description of the HTTP/JSON API, generated from the route table.

Nothing here is written by hand per endpoint: paths come from `ROUTES`, and every schema from the
request and response descriptors, following the protobuf JSON mapping (what
`json_format.MessageToDict` writes and `json_format.ParseDict` reads). So the document cannot
drift from the protos the gateway actually speaks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from http import HTTPStatus
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from grantflow_runtime.jsonschema import (
    COMPONENT_PREFIX,
    Schema,
    field_schema,
    has_own_json_form,
    message_ref,
    object_schema,
    schema_for_message,
    value_schema,
)

from grantflow_gateway.routes import REQUEST_ID_FIELD, ROUTES, Route

# Re-exported: the descriptor-to-schema part lives in the runtime, shared with the AsyncAPI document.
__all__ = ["build_openapi", "field_schema", "openapi_path", "schema_for_message"]

OPENAPI_VERSION = "3.1.0"
SECURITY_SCHEME = "bearerAuth"
IDEMPOTENCY_HEADER = "Idempotency-Key"

_DESCRIPTION = (
    "Grantflow runs grant competitions for social innovation and follows what funded projects "
    "achieve afterwards. Every call except the health probes needs a bearer JWT in the "
    "`Authorization` header; the token's role decides what the caller may do. Errors are RFC 9457 "
    "`application/problem+json` documents. Request and response bodies follow the protobuf JSON "
    "mapping, so field names (lowerCamelCase; the proto snake_case names are accepted too), enum "
    "names and 64-bit integers as strings match the gRPC API one to one. Creates and submits take "
    "an `Idempotency-Key` header: a retried call with the same key returns the first result."
)

_TEMPLATE_PARAM = re.compile(r"\{([^{}]+)\}")

_ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is malformed: bad JSON, an unknown field or a bad value"),
    401: ("Unauthenticated", "No bearer token, or one that is invalid or expired"),
    403: ("Forbidden", "The caller's role or ownership does not allow this"),
    404: ("NotFound", "No such resource, or no such route"),
    409: ("Conflict", "The resource's state does not allow this, or it already exists"),
    413: ("PayloadTooLarge", "The request body is too large"),
    415: ("UnsupportedMediaType", "The body is not `application/json`"),
    422: ("UnprocessableContent", "A rule a field breaks; `violations` names each field"),
    429: ("TooManyRequests", "Rate or quota exceeded; retry later"),
    500: ("InternalError", "An unexpected error; quote `requestId` when reporting it"),
    503: ("Unavailable", "A service is unavailable; retry later"),
    504: ("GatewayTimeout", "A service did not answer in time"),
}

_PROBLEM: Schema = {
    "type": "object",
    "description": "An RFC 9457 problem details document.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string", "description": "The gRPC status name, e.g. `NOT_FOUND`."},
        "reason": {"type": "string"},
        "requestId": {"type": "string"},
        "violations": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "description": {"type": "string"},
                    "reason": {"type": "string"},
                },
            },
        },
    },
}


def build_openapi(routes: Sequence[Route] = ROUTES, *, version: str = "1") -> dict[str, Any]:
    """The whole OpenAPI document for `routes`, plus the health probes."""
    schemas: dict[str, Schema] = {"Problem": _PROBLEM}
    paths: dict[str, dict[str, Any]] = {
        "/healthz": {"get": _health_operation("healthz", ready=False)},
        "/readyz": {"get": _health_operation("readyz", ready=True)},
    }
    for route in routes:
        item = paths.setdefault(openapi_path(route), {})
        method = route.method.lower()
        if method in item:
            raise ValueError(f"two routes for {route.method} {openapi_path(route)}")
        item[method] = _operation(route, schemas)
    document = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Grantflow API", "version": version, "description": _DESCRIPTION},
        "servers": [{"url": "/"}],
        "security": [{SECURITY_SCHEME: []}],
        "tags": [{"name": tag} for tag in _tags(routes)],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "responses": _error_responses(),
            "securitySchemes": {
                SECURITY_SCHEME: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
    # A plain tree: nothing shared with module constants or between operations, so a consumer
    # that rewrites the document in place (tools inline $refs) cannot corrupt the next one.
    plain: dict[str, Any] = json.loads(json.dumps(document))
    return plain


def openapi_path(route: Route) -> str:
    """The route's path as the document spells it: each parameter named by its last segment.

    `/v1/competitions/{competition.id}` becomes `/v1/competitions/{id}`. OpenAPI treats templates
    that differ only in parameter names as the same path, which must not appear twice, so the GET
    and the PATCH of one resource have to share a name; and tools that fill templates with
    `str.format` (schemathesis) read a dotted name as attribute access.
    """
    names = [_parameter_name(p) for p in route.path_params]
    if len(set(names)) != len(names):
        raise ValueError(f"{route.path}: two path parameters end in the same name")
    return _TEMPLATE_PARAM.sub(lambda m: "{" + _parameter_name(m[1]) + "}", route.path)


# ---- operations ----


def _operation(route: Route, components: dict[str, Schema]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.tag] if route.tag else [],
        "x-grpc-method": route.grpc_path,
        "x-roles": sorted(role.value for role in route.roles),
        "parameters": list(_parameters(route, components)),
    }
    body = _request_body(route, components)
    if body is not None:
        operation["requestBody"] = body
    operation["responses"] = {
        str(route.status): _success_response(route, components),
        **{
            str(status): {"$ref": f"#/components/responses/{name}"}
            for status, (name, _) in _ERRORS.items()
        },
    }
    return operation


def _parameters(route: Route, components: dict[str, Schema]) -> Iterator[dict[str, Any]]:
    for path in route.path_params:
        schema = value_schema(_field_at(route.input, path), components)
        if schema.get("type") == "string":
            schema["minLength"] = 1  # an empty segment would not match the route
        yield {
            "name": _parameter_name(path),
            "in": "path",
            "required": True,
            "description": f"Sets the request's `{path}`.",
            "schema": schema,
        }
    for field in route.query_fields:
        yield from _query_parameters(field, field.json_name, components, ())
    if route.idempotent_create:
        yield _idempotency_parameter()


def _query_parameters(
    field: FieldDescriptor,
    name: str,
    components: dict[str, Schema],
    seen: tuple[str, ...],
) -> Iterator[dict[str, Any]]:
    message = field.message_type
    if message is None or has_own_json_form(message):
        schema = field_schema(field, components)
        parameter: dict[str, Any] = {"name": name, "in": "query", "schema": schema}
        if field.is_repeated:
            parameter |= {"style": "form", "explode": True}
        yield parameter
        return
    if field.is_repeated or message.full_name in seen:
        # A query string has no way to spell a list of messages or an endless nesting.
        raise ValueError(f"{field.full_name} cannot travel in a query string")
    # A message in the query is spelled one leaf at a time: `asOf.year=2025&asOf.month=3`.
    for leaf in message.fields:
        yield from _query_parameters(
            leaf, f"{name}.{leaf.json_name}", components, (*seen, message.full_name)
        )


def _idempotency_parameter() -> dict[str, Any]:
    return {
        "name": IDEMPOTENCY_HEADER,
        "in": "header",
        "required": False,
        "description": "A retried call with the same key returns the first result.",
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
            "pattern": "^[\\x21-\\x7e]+$",
        },
    }


def _request_body(route: Route, components: dict[str, Schema]) -> dict[str, Any] | None:
    if route.body is None:
        return None
    if route.body == "*":
        schema = _whole_request_body(route, components)
    else:
        schema = field_schema(route.input.fields_by_name[route.body], components)
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _whole_request_body(route: Route, components: dict[str, Schema]) -> Schema:
    # Path-bound top-level fields come from the URL and `request_id` from the Idempotency-Key
    # header, so neither belongs in the body. A dotted path only overrides part of its field.
    excluded = {p for p in route.path_params if "." not in p} | {REQUEST_ID_FIELD}
    fields = [f for f in route.input.fields if f.name not in excluded]
    name = f"{route.input.full_name}.Body"
    components[name] = object_schema(fields, components)
    return {"$ref": COMPONENT_PREFIX + name}


def _success_response(route: Route, components: dict[str, Schema]) -> dict[str, Any]:
    phrase = HTTPStatus(route.status).phrase
    if route.download is not None:
        return {
            "description": f"{phrase}: the file; its Content-Type is the one the service reports.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    return {
        "description": phrase,
        "content": {"application/json": {"schema": message_ref(route.output, components)}},
    }


def _error_responses() -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (name, description) in _ERRORS.items():
        response: dict[str, Any] = {
            "description": description,
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        if status == 401:
            response["headers"] = {
                "WWW-Authenticate": {
                    "description": "The `Bearer` challenge, with the error when a token was sent.",
                    "schema": {"type": "string"},
                }
            }
        responses[name] = response
    return responses


def _health_operation(name: str, *, ready: bool) -> dict[str, Any]:
    if ready:
        body: Schema = {
            "type": "object",
            "properties": {
                "ready": {"type": "boolean"},
                "upstreams": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    else:
        body = {"type": "object", "properties": {"status": {"type": "string"}}}
    content = {"application/json": {"schema": body}}
    responses: dict[str, Any] = {"200": {"description": "OK", "content": content}}
    if ready:
        responses["503"] = {"description": "A service is not serving", "content": content}
    return {
        "operationId": name,
        "summary": "Readiness: every upstream serves" if ready else "Liveness",
        "tags": ["Health"],
        "security": [],
        "responses": responses,
    }


# ---- small lookups ----


def _field_at(message: Descriptor, path: str) -> FieldDescriptor:
    """The field a dotted request path such as `report.period_number` names."""
    head, _, rest = path.partition(".")
    field = message.fields_by_name[head]
    if not rest:
        return field
    if field.message_type is None:
        raise ValueError(f"{field.full_name} has no field {rest!r}")
    return _field_at(field.message_type, rest)


def _parameter_name(field_path: str) -> str:
    return field_path.rpartition(".")[2]


def _tags(routes: Sequence[Route]) -> list[str]:
    return list(dict.fromkeys([*(r.tag for r in routes if r.tag), "Health"]))

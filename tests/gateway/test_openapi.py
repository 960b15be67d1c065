"""The OpenAPI document: one operation per route, and schemas that match the protobuf JSON mapping."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from google.protobuf import descriptor_pb2, descriptor_pool, json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from grantflow_gateway.openapi import build_openapi, openapi_path, schema_for_message
from grantflow_gateway.routes import ROUTES, Route
from schemathesis.core.result import Ok

DOC = build_openapi()
SCHEMAS: dict[str, Any] = DOC["components"]["schemas"]
HEALTH = {("/healthz", "get"), ("/readyz", "get")}
ERROR_STATUSES = {str(s) for s in (400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503, 504)}
INT64_TYPES = {
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_SFIXED64,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_FIXED64,
}
INTEGER_TYPES = {
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_SFIXED32,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_FIXED32,
}
# A Timestamp's seconds must stay before year 10000; this is past 2^32 all the same.
BIG = 123_456_789_012


def operation(route: Route) -> dict[str, Any]:
    op: dict[str, Any] = DOC["paths"][openapi_path(route)][route.method.lower()]
    return op


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].removeprefix("#/components/schemas/")]
    return schema


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in DOC["paths"].items():
        for method, op in item.items():
            yield path, method, op


def by_operation_id(operation_id: str) -> Route:
    return next(r for r in ROUTES if r.operation_id == operation_id)


def parameters(route: Route, where: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in operation(route)["parameters"] if p["in"] == where}


def body_schema(route: Route) -> dict[str, Any]:
    schema: dict[str, Any] = operation(route)["requestBody"]["content"]["application/json"][
        "schema"
    ]
    return schema


# ---- the document as a whole ----


def test_document_is_plain_json() -> None:
    assert json.loads(json.dumps(DOC)) == DOC
    assert DOC["openapi"] == "3.1.0"
    assert build_openapi(version="2.5")["info"]["version"] == "2.5"


def test_schemathesis_loads_one_operation_per_route_and_the_health_probes() -> None:
    schema = schemathesis.openapi.from_dict(copy.deepcopy(DOC))
    schema.validate()
    labels = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()
        labels.append(result.ok().label)
    expected = {f"{r.method} {openapi_path(r)}" for r in ROUTES} | {"GET /healthz", "GET /readyz"}
    assert sorted(labels) == sorted(expected)
    assert len(labels) == len(ROUTES) + 2


def test_every_route_appears_once_with_a_unique_operation_id() -> None:
    found = {(path, method) for path, method, _ in operations()}
    expected = {(openapi_path(r), r.method.lower()) for r in ROUTES} | HEALTH
    assert found == expected
    assert len(found) == len(ROUTES) + 2
    ids = [op["operationId"] for _, _, op in operations()]
    assert len(ids) == len(set(ids))
    for route in ROUTES:
        op = operation(route)
        assert op["operationId"] == route.operation_id
        assert op["summary"] == route.summary
        assert op["tags"] == [route.tag]
        assert op["x-grpc-method"] == route.grpc_path
        assert op["x-roles"] == sorted(role.value for role in route.roles)


def test_routes_of_one_resource_share_a_path_item() -> None:
    item = DOC["paths"]["/v1/competitions/{id}"]
    assert {item["get"]["operationId"], item["patch"]["operationId"]} == {
        "GetCompetition",
        "UpdateCompetition",
    }
    assert set(DOC["paths"]["/v1/competitions"]) == {"get", "post"}


def test_security_is_bearer_everywhere_but_the_health_probes() -> None:
    assert DOC["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert DOC["security"] == [{"bearerAuth": []}]
    for path, method, op in operations():
        assert ("security" in op) == ((path, method) in HEALTH)
    assert DOC["paths"]["/healthz"]["get"]["security"] == []
    assert set(DOC["paths"]["/readyz"]["get"]["responses"]) == {"200", "503"}


# ---- parameters ----


def test_path_parameters_match_the_templates() -> None:
    for path, _, op in operations():
        in_path = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert in_path == set(re.findall(r"\{([^{}]+)\}", path)), path
        assert all(p["required"] for p in op.get("parameters", []) if p["in"] == "path")


def test_a_path_parameter_has_the_type_of_the_field_it_sets() -> None:
    params = parameters(by_operation_id("SaveReportDraft"), "path")
    assert params["period_number"]["schema"]["type"] == "integer"
    assert "report.period_number" in params["period_number"]["description"]
    assert params["agreement_id"]["schema"]["type"] == "string"


def test_query_parameters_follow_the_json_names() -> None:
    progress = parameters(by_operation_id("GetProgress"), "query")
    assert set(progress) == {"asOf.year", "asOf.month", "asOf.day"}
    assert all(p["schema"]["type"] == "integer" for p in progress.values())
    mask = parameters(by_operation_id("UpdateCompetition"), "query")
    assert set(mask) == {"updateMask"}
    assert mask["updateMask"]["schema"]["type"] == "string"
    listing = parameters(by_operation_id("ListCompetitions"), "query")
    assert set(listing) == {"pageSize", "pageToken", "state"}
    assert resolve(listing["state"]["schema"])["enum"][1] == "STATE_DRAFT"
    alerts = parameters(by_operation_id("ListAlerts"), "query")
    assert alerts["includeResolved"]["schema"]["type"] == "boolean"
    for route in ROUTES:
        names = set(parameters(route, "query"))
        for field in route.query_fields:
            if field.message_type is None or field.message_type.full_name.startswith("google."):
                assert field.json_name in names


def test_no_request_id_in_a_body_or_the_query() -> None:
    for route in ROUTES:
        assert not {"requestId", "request_id"} & set(parameters(route, "query"))
        if route.body is not None:
            properties = resolve(body_schema(route))["properties"]
            assert not {"requestId", "request_id"} & set(properties), route.operation_id


def test_a_whole_request_body_leaves_out_what_the_path_sets() -> None:
    for route in (r for r in ROUTES if r.body == "*"):
        bound = {p for p in route.path_params if "." not in p} | {"request_id"}
        expected = {f.json_name for f in route.input.fields if f.name not in bound}
        assert set(resolve(body_schema(route))["properties"]) == expected
        assert operation(route)["requestBody"]["required"] is True


def test_a_field_body_is_that_fields_message() -> None:
    for route in (r for r in ROUTES if r.body not in (None, "*")):
        assert route.body is not None
        message = route.input.fields_by_name[route.body].message_type
        assert message is not None
        assert body_schema(route) == {"$ref": f"#/components/schemas/{message.full_name}"}
    assert all("requestBody" not in operation(r) for r in ROUTES if r.body is None)


def test_idempotency_key_exactly_on_idempotent_creates() -> None:
    for route in ROUTES:
        headers = parameters(route, "header")
        assert ("Idempotency-Key" in headers) == route.idempotent_create, route.operation_id
        if route.idempotent_create:
            key = headers["Idempotency-Key"]
            assert key["required"] is False
            assert key["schema"]["maxLength"] == 128
    assert by_operation_id("CreateCompetition").idempotent_create


# ---- responses ----


def test_every_route_documents_its_success_and_the_problem_responses() -> None:
    for route in ROUTES:
        responses = operation(route)["responses"]
        assert set(responses) == {str(route.status)} | ERROR_STATUSES
        for status in ERROR_STATUSES:
            name = responses[status]["$ref"].removeprefix("#/components/responses/")
            content = DOC["components"]["responses"][name]["content"]
            assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
    unauthenticated = DOC["components"]["responses"]["Unauthenticated"]
    assert "WWW-Authenticate" in unauthenticated["headers"]
    assert SCHEMAS["Problem"]["required"] == ["type", "title", "status"]


def test_a_download_is_a_file() -> None:
    export = operation(by_operation_id("ExportRanking"))["responses"]["200"]
    assert export["content"] == {"text/csv": {"schema": {"type": "string"}}}


# ---- schemas against the descriptors (drift) ----


def assert_field_schema(schema: dict[str, Any], field: FieldDescriptor, seen: set[str]) -> None:
    """An expectation for each field written apart from the generator, so they check each other."""
    where = field.full_name
    if field.message_type is not None and field.message_type.GetOptions().map_entry:
        assert schema["type"] == "object", where
        value = field.message_type.fields_by_name["value"]
        assert_value_schema(schema["additionalProperties"], value, seen)
    elif field.is_repeated:
        assert schema["type"] == "array", where
        assert_value_schema(schema["items"], field, seen)
    else:
        assert_value_schema(schema, field, seen)


def assert_value_schema(schema: dict[str, Any], field: FieldDescriptor, seen: set[str]) -> None:
    where = field.full_name
    if field.message_type is not None:
        name = field.message_type.full_name
        if name == "google.protobuf.Timestamp":
            assert (schema["type"], schema["format"]) == ("string", "date-time"), where
        elif name.startswith("google.protobuf."):
            assert "$ref" not in schema, where
        else:
            assert schema["$ref"] == f"#/components/schemas/{name}", where
            assert_message_schema(field.message_type, seen)
    elif field.enum_type is not None:
        assert resolve(schema) == {
            "type": "string",
            "enum": [v.name for v in field.enum_type.values],
        }, where
    elif field.type in INT64_TYPES:
        assert (set(schema["type"]), schema["format"]) == ({"string", "integer"}, "int64"), where
        signed = field.type not in {FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64}
        assert re.fullmatch(schema["pattern"], "-42" if signed else "42"), where
    elif field.type in INTEGER_TYPES:
        assert schema["type"] == "integer", where
    elif field.type == FieldDescriptor.TYPE_BOOL:
        assert schema["type"] == "boolean", where
    elif field.type == FieldDescriptor.TYPE_BYTES:
        assert (schema["type"], schema["contentEncoding"]) == ("string", "base64"), where
    elif field.type == FieldDescriptor.TYPE_STRING:
        assert schema["type"] == "string", where
    else:
        assert schema["type"] == "number", where


def assert_message_schema(message: Descriptor, seen: set[str]) -> None:
    if message.full_name in seen:
        return
    seen.add(message.full_name)
    schema = SCHEMAS[message.full_name]
    assert schema["type"] == "object"
    assert "additionalProperties" not in schema
    properties = schema["properties"]
    assert set(properties) == {f.json_name for f in message.fields}, message.full_name
    for field in message.fields:
        assert_field_schema(properties[field.json_name], field, seen)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.operation_id)
def test_response_schema_has_exactly_the_output_fields(route: Route) -> None:
    if route.download is not None:
        pytest.skip("a file, not JSON")
    content = operation(route)["responses"][str(route.status)]["content"]
    ref = content["application/json"]["schema"]
    assert ref == {"$ref": f"#/components/schemas/{route.output.full_name}"}
    assert_message_schema(route.output, set())


def test_named_type_mappings() -> None:
    money = SCHEMAS["grantflow.common.v1.Money"]["properties"]
    assert money["minorUnits"]["type"] == ["string", "integer"]
    assert money["minorUnits"]["format"] == "int64"
    assert money["currencyCode"]["type"] == "string"
    competition = SCHEMAS["grantflow.applications.v1.Competition"]["properties"]
    assert competition["minGrant"]["$ref"] == "#/components/schemas/grantflow.common.v1.Money"
    assert competition["createTime"]["format"] == "date-time"
    assert competition["state"]["$ref"].endswith("grantflow.applications.v1.Competition.State")
    assert "STATE_OPEN" in resolve(competition["state"])["enum"]
    assert competition["maxDurationMonths"]["maximum"] == 2**31 - 1
    listing = SCHEMAS["grantflow.applications.v1.ListCompetitionsResponse"]["properties"]
    assert listing["competitions"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/grantflow.applications.v1.Competition"},
    }
    # The export downloads as a file, so its message is not a component; map it directly.
    export = schema_for_message(by_operation_id("ExportRanking").output, {})["properties"]
    assert export["data"] == {"type": "string", "contentEncoding": "base64"}


def test_a_message_that_contains_itself_and_a_map() -> None:
    proto = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(name="node.proto", package="t.v1", syntax="proto3")
    node = file.message_type.add(name="Node")
    node.field.add(
        name="child_nodes",
        number=1,
        label=proto.LABEL_REPEATED,
        type=proto.TYPE_MESSAGE,
        type_name=".t.v1.Node",
    )
    node.field.add(
        name="tag_counts",
        number=2,
        label=proto.LABEL_REPEATED,
        type=proto.TYPE_MESSAGE,
        type_name=".t.v1.Node.TagCountsEntry",
    )
    entry = node.nested_type.add(name="TagCountsEntry")
    entry.options.map_entry = True
    entry.field.add(name="key", number=1, label=proto.LABEL_OPTIONAL, type=proto.TYPE_STRING)
    entry.field.add(name="value", number=2, label=proto.LABEL_OPTIONAL, type=proto.TYPE_UINT64)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    components: dict[str, Any] = {}
    schema = schema_for_message(pool.FindMessageTypeByName("t.v1.Node"), components)
    assert set(components) == {"t.v1.Node"}  # the map entry is no component of its own
    assert schema["properties"]["childNodes"]["items"] == {"$ref": "#/components/schemas/t.v1.Node"}
    counts = schema["properties"]["tagCounts"]
    assert counts["type"] == "object"
    assert counts["additionalProperties"]["pattern"] == "^[0-9]+$"


def filled(message: Descriptor, depth: int = 0) -> Message:
    """A message with every field set, so the JSON mapping writes every property."""
    instance = GetMessageClass(message)()
    for field in message.fields:
        sub = field.message_type
        if sub is not None and sub.GetOptions().map_entry:
            continue  # no maps in these protos; an empty map writes nothing
        if sub is not None and depth > 3:
            continue
        value = sample_scalar(field) if sub is None else filled(sub, depth + 1)
        target = getattr(instance, field.name)
        if field.is_repeated:
            target.append(value)
        elif sub is not None:
            target.CopyFrom(value)
        else:
            setattr(instance, field.name, value)
    return instance


def sample_scalar(field: FieldDescriptor) -> Any:
    if field.enum_type is not None:
        return field.enum_type.values[-1].number
    if field.type in INT64_TYPES:
        return BIG
    if field.type in INTEGER_TYPES:
        return 7
    if field.type == FieldDescriptor.TYPE_BOOL:
        return True
    if field.type == FieldDescriptor.TYPE_BYTES:
        return b"\x00csv"
    if field.type == FieldDescriptor.TYPE_STRING:
        return "text"
    return 1.5


def validates(schema: dict[str, Any], instance: Any) -> bool:
    # The components ride along in the root so `#/components/...` references resolve.
    root = {**schema, "components": DOC["components"]}
    return bool(jsonschema_rs.validator_for(root).is_valid(instance))


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.operation_id)
def test_message_to_dict_output_validates(route: Route) -> None:
    if route.download is not None:
        pytest.skip("a file, not JSON")
    written = json_format.MessageToDict(filled(route.output))
    schema = operation(route)["responses"][str(route.status)]["content"]["application/json"]
    assert validates(schema["schema"], written)


def test_validation_catches_a_wrong_json_value() -> None:
    money = {"$ref": "#/components/schemas/grantflow.common.v1.Money"}
    assert validates(money, {"minorUnits": "12", "currencyCode": "RUB"})
    assert validates(money, {"minorUnits": 12})
    assert not validates(money, {"minorUnits": "12.5"})
    assert not validates(money, {"currencyCode": 643})


@pytest.mark.parametrize("route", [r for r in ROUTES if r.body], ids=lambda r: r.operation_id)
def test_a_body_the_json_mapping_writes_validates(route: Route) -> None:
    request = json_format.MessageToDict(filled(route.input))
    if route.body == "*":
        bound = {f.json_name for f in route.input.fields if f.name in route.path_params}
        body = {k: v for k, v in request.items() if k not in bound | {"requestId"}}
    else:
        assert route.body is not None
        body = request[route.input.fields_by_name[route.body].json_name]
    assert validates(body_schema(route), body)
    assert not validates(body_schema(route), [body])

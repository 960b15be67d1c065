"""The direct gRPC client's own behaviour, without services: routing, roles and query strings
come from the gateway's route table and answer with the gateway's problem documents."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from grantflow_cli.client import ApiError
from grantflow_cli.direct import DirectClient, query_pairs
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.natsserver import free_port

FUNDER = Identity(subject="funder-1", role=Role.FUNDER)
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "requestId"}


@pytest.fixture
def nowhere() -> Iterator[DirectClient]:
    """A client whose services are on ports nobody listens on."""
    port = free_port()
    addresses = {name: f"127.0.0.1:{port}" for name in ("applications", "scoring", "impact")}
    client = DirectClient(addresses, FUNDER, timeout_s=5)
    yield client
    client.close()


def failure(client: DirectClient, method: str, path: str, **kwargs: object) -> ApiError:
    with pytest.raises(ApiError) as caught:
        client.request(method, path, **kwargs)  # type: ignore[arg-type]
    assert caught.value.problem.keys() >= PROBLEM_KEYS
    return caught.value


def test_query_parameters_are_written_as_the_gateway_reads_them() -> None:
    params = {"a": None, "b": "", "c": True, "d": False, "e": [1, "x"], "f": 5}
    assert query_pairs(params) == [
        ("c", "true"),
        ("d", "false"),
        ("e", "1"),
        ("e", "x"),
        ("f", "5"),
    ]


def test_paths_the_gateway_does_not_serve_fail_the_same_way(nowhere: DirectClient) -> None:
    missing = failure(nowhere, "GET", "/v1/nowhere")
    assert (missing.status, missing.problem["reason"]) == (404, "NO_SUCH_PATH")
    wrong = failure(nowhere, "DELETE", "/v1/competitions")
    assert wrong.status == 405 and "use GET, POST" in wrong.problem["detail"]


def test_requests_the_gateway_cannot_read_are_refused_before_any_call(
    nowhere: DirectClient,
) -> None:
    unknown = failure(nowhere, "GET", "/v1/competitions", params={"colour": "red"})
    assert unknown.status == 400
    assert unknown.problem["violations"] == [
        {"field": "colour", "description": "is not a parameter of this call", "reason": "unknown"}
    ]
    too_many = failure(nowhere, "GET", "/v1/competitions", params={"pageSize": 10_000})
    assert too_many.status == 400 and too_many.problem["violations"][0]["field"] == "pageSize"
    body = failure(nowhere, "POST", "/v1/competitions", json={"budget": "lots"})
    assert body.status == 400 and body.problem["violations"][0]["field"].startswith("competition")


def test_roles_a_route_does_not_allow_are_refused_as_the_gateway_does() -> None:
    client = DirectClient({}, Identity(subject="a", role=Role.APPLICANT))
    try:
        refused = failure(client, "POST", "/v1/competitions", json={})
    finally:
        client.close()
    assert refused.status == 403 and refused.problem["reason"] == "ROLE_NOT_ALLOWED"
    assert refused.problem["detail"] == (
        "role applicant may not create a competition in the DRAFT state"
    )


def test_a_service_that_does_not_answer_is_named_with_its_address(nowhere: DirectClient) -> None:
    down = failure(nowhere, "GET", "/v1/competitions/c-1")
    assert down.status == 503 and down.problem["code"] == "UNAVAILABLE"
    assert down.problem["detail"].startswith(f"applications at {nowhere.addresses['applications']}")
    assert "503 Service unavailable" in str(down)


def test_an_idempotency_key_is_the_request_id(nowhere: DirectClient) -> None:
    down = failure(nowhere, "POST", "/v1/experts", json={}, idempotency_key="import-abc")
    assert down.problem["requestId"] == "import-abc"

"""The gateway's own duties: tokens, limits, error mapping and the fields a caller may not set."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from grantflow_gateway.routes import ROUTES, Route
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.natsserver import free_port
from grantflow_runtime.tokens import TokenKey, mint

from tests.applications.helpers import competition_message, organisation_message
from tests.conftest import ADMIN, APPLICANT, EXPERT, FUNDER
from tests.gateway.stack import Stack, StackFactory

pytestmark = pytest.mark.asyncio


def sample_path(route: Route) -> str:
    """The route's path with every parameter filled with a value of the right kind."""
    path = route.path
    for param in route.path_params:
        path = path.replace("{" + param + "}", "7" if param.endswith("number") else "x-1")
    return path


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def forged_tokens(s: Stack) -> dict[str, str]:
    now = int(time.time())
    claims = {
        "iss": s.key.issuer,
        "aud": s.key.audience,
        "sub": "funder-1",
        "role": "funder",
        "iat": now,
        "exp": now + 3600,
    }
    other = TokenKey(
        secret=b"another-key-another-key-another-key!", issuer=s.key.issuer, audience=s.key.audience
    )
    return {
        "expired": mint(s.key, subject="funder-1", role=Role.FUNDER, ttl_s=60, now=now - 7200),
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.",
        "another key": mint(other, subject="funder-1", role=Role.FUNDER),
        "another audience": mint(
            TokenKey(s.key.secret, s.key.issuer, "someone-else"),
            subject="funder-1",
            role=Role.FUNDER,
        ),
        "another issuer": mint(
            TokenKey(s.key.secret, "evil", s.key.audience), subject="funder-1", role=Role.FUNDER
        ),
        "not yet valid": mint(s.key, subject="funder-1", role=Role.FUNDER, now=now + 7200),
        "system role": mint(s.key, subject="svc", role=Role.SYSTEM),
        "garbage": "not-a-token",
    }


async def test_forged_and_expired_tokens_are_refused_on_every_route(
    gateway_stack: StackFactory,
) -> None:
    s = await gateway_stack()
    tokens = forged_tokens(s)
    refused = 0
    for route in ROUTES:
        path = sample_path(route)
        for name, token in tokens.items():
            got = await s.http.request(
                route.method, path, headers={"Authorization": f"Bearer {token}"}
            )
            assert got.status_code == 401, (name, route.method, path, got.text)
            assert got.headers["www-authenticate"].startswith("Bearer")
            assert got.headers["content-type"] == "application/problem+json"
            refused += 1
        missing = await s.http.request(route.method, path)
        assert missing.status_code == 401 and missing.json()["reason"] == "TOKEN_MISSING"
        basic = await s.http.request(
            route.method, path, headers={"Authorization": "Basic Zm9vOmJhcg=="}
        )
        assert basic.status_code == 401
        refused += 2
    # The same forged tokens never reach health, readiness or the docs, which need none.
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert (await s.http.get(path, headers={"Authorization": "Bearer x"})).status_code == 200
    print(f"{refused} forged, expired or missing tokens refused over {len(ROUTES)} routes")


async def test_expiry_reason_and_a_valid_token_work(gateway_stack: StackFactory) -> None:
    s = await gateway_stack()
    expired = forged_tokens(s)["expired"]
    got = await s.http.get("/v1/competitions", headers={"Authorization": f"Bearer {expired}"})
    assert got.json()["reason"] == "TOKEN_EXPIRED"
    assert (await s.call(FUNDER, "GET", "/v1/competitions")).status_code == 200


async def test_roles_outside_a_route_are_forbidden(gateway_stack: StackFactory) -> None:
    s = await gateway_stack()
    got = await s.call(EXPERT, "POST", "/v1/competitions", json={"title": "x"}, expect=403)
    assert got.json()["reason"] == "ROLE_NOT_ALLOWED" and got.json()["code"] == "PERMISSION_DENIED"
    await s.call(APPLICANT, "POST", "/v1/competitions/x-1:decideAwards", expect=403)
    await s.call(FUNDER, "POST", "/v1/applications/x-1/scores", json={}, expect=403)


async def test_malformed_requests_name_the_field(gateway_stack: StackFactory) -> None:
    s = await gateway_stack()
    unknown = await s.call(FUNDER, "POST", "/v1/competitions", json={"titel": "x"}, expect=400)
    assert unknown.json()["violations"][0]["field"] == "competition"
    assert "titel" in unknown.json()["violations"][0]["description"]
    typed = await s.call(
        FUNDER,
        "POST",
        "/v1/competitions",
        expect=400,
        json={"budget": {"minorUnits": "lots", "currencyCode": "RUB"}},
    )
    assert typed.json()["violations"][0]["field"] == "competition.budget.minorUnits"
    not_json = await s.http.post(
        "/v1/competitions",
        content=b"{oops",
        headers={**s.auth(FUNDER), "Content-Type": "application/json"},
    )
    assert not_json.status_code == 400 and not_json.json()["violations"][0]["field"] == "body"
    not_object = await s.call(FUNDER, "POST", "/v1/competitions", json=[1, 2], expect=400)
    assert not_object.json()["violations"][0]["description"] == "must be a JSON object"
    xml = await s.http.post(
        "/v1/competitions",
        content=b"<competition/>",
        headers={**s.auth(FUNDER), "Content-Type": "application/xml"},
    )
    assert xml.status_code == 415
    query = await s.call(
        FUNDER, "GET", "/v1/competitions", params={"pageSize": "many", "colour": "red"}, expect=400
    )
    assert {v["field"] for v in query.json()["violations"]} == {"pageSize", "colour"}
    capped = await s.call(FUNDER, "GET", "/v1/competitions", params={"pageSize": 501}, expect=400)
    assert capped.json()["violations"] == [
        {"field": "pageSize", "description": "must be at most 500", "reason": "range"}
    ]
    enum = await s.call(
        FUNDER, "GET", "/v1/competitions", params={"state": "STATE_OPEN"}, expect=200
    )
    assert enum.json()["competitions"] == []
    request_id = await s.call(
        APPLICANT, "POST", "/v1/applications/x-1:withdraw", json={"requestId": "r"}, expect=400
    )
    assert request_id.json()["violations"][0]["field"] == "requestId"
    # Rules the service checks come back as 422 with the service's field paths in JSON spelling.
    invalid = await s.call(FUNDER, "POST", "/v1/competitions", json={"title": ""}, expect=422)
    fields = {v["field"] for v in invalid.json()["violations"]}
    assert "competition.title" in fields and "competition.closesAt" in fields
    assert (await s.call(FUNDER, "GET", "/v1/nothing-here", expect=404)).json()[
        "reason"
    ] == "NO_SUCH_PATH"
    wrong = await s.call(FUNDER, "DELETE", "/v1/competitions", expect=405)
    assert wrong.headers["allow"] == "GET, POST"
    for response in (unknown, typed, query, invalid, wrong):
        body = response.json()
        assert body["type"].startswith("https://grantflow.io/problems/") and body["requestId"]
        assert (
            body["status"] == response.status_code
            and response.headers["x-request-id"] == body["requestId"]
        )


async def test_idempotency_key_replays_and_refuses_reuse(gateway_stack: StackFactory) -> None:
    s = await gateway_stack()
    owner = Identity(subject="applicant-9", role=Role.APPLICANT)
    body = MessageToDict(organisation_message())
    key = {"Idempotency-Key": "org-create-1"}
    first = await s.call(owner, "POST", "/v1/organisations", json=body, headers=key, expect=201)
    again = await s.call(owner, "POST", "/v1/organisations", json=body, headers=key, expect=201)
    assert first.json() == again.json() and first.headers["x-request-id"] == "org-create-1"
    changed = await s.call(
        owner,
        "POST",
        "/v1/organisations",
        headers=key,
        expect=409,
        json={**body, "name": "Another name"},
    )
    assert changed.json()["code"] == "ALREADY_EXISTS"
    bad = await s.call(
        owner,
        "POST",
        "/v1/organisations",
        json=body,
        expect=400,
        headers={"Idempotency-Key": "x" * 101},
    )
    assert bad.json()["violations"][0]["field"] == "Idempotency-Key"


async def test_fields_a_caller_may_not_set_are_ignored_or_refused(
    gateway_stack: StackFactory,
) -> None:
    s = await gateway_stack()
    sneaky = {
        **MessageToDict(competition_message()),
        "id": "mine",
        "state": "STATE_OPEN",
        "createTime": "2020-01-01T00:00:00Z",
    }
    created = (await s.call(FUNDER, "POST", "/v1/competitions", json=sneaky, expect=201)).json()
    assert created["id"] != "mine" and created["state"] == "STATE_DRAFT"
    assert not created["createTime"].startswith("2020")
    cid = created["id"]
    masked = await s.call(
        FUNDER,
        "PATCH",
        f"/v1/competitions/{cid}",
        expect=422,
        params={"updateMask": "state,createTime"},
        json={"state": "STATE_OPEN"},
    )
    assert {v["field"] for v in masked.json()["violations"]} == {
        "updateMask.paths[0]",
        "updateMask.paths[1]",
    }
    # The path names the object; an id in the body cannot redirect the change elsewhere.
    other = (
        await s.call(
            FUNDER,
            "POST",
            "/v1/competitions",
            json=MessageToDict(competition_message()),
            expect=201,
        )
    ).json()
    await s.call(
        FUNDER,
        "PATCH",
        f"/v1/competitions/{cid}",
        params={"updateMask": "title"},
        json={"id": other["id"], "title": "Renamed"},
        expect=200,
    )
    assert (await s.call(FUNDER, "GET", f"/v1/competitions/{cid}")).json()["title"] == "Renamed"
    assert (await s.call(FUNDER, "GET", f"/v1/competitions/{other['id']}")).json()[
        "title"
    ] != "Renamed"
    # Scores and awards have no route a non-owner role may call.
    await s.call(
        APPLICANT, "POST", f"/v1/applications/{cid}/scores", json={"scores": []}, expect=403
    )
    await s.call(EXPERT, "POST", f"/v1/competitions/{cid}:decideAwards", expect=403)
    state = await s.call(ADMIN, "GET", f"/v1/competitions/{cid}", expect=200)
    assert state.json()["state"] == "STATE_DRAFT"


async def test_limits_body_size_and_rate(gateway_stack: StackFactory) -> None:
    s = await gateway_stack(
        GRANTFLOW_GATEWAY_MAX_BODY_BYTES="2048",
        GRANTFLOW_GATEWAY_RATE_PER_S="1",
        GRANTFLOW_GATEWAY_RATE_BURST="5",
    )
    huge = {"title": "x" * 5000}
    too_big = await s.call(FUNDER, "POST", "/v1/competitions", json=huge, expect=413)
    assert too_big.json()["reason"] == "BODY_TOO_LARGE"
    statuses = [(await s.call(APPLICANT, "GET", "/v1/competitions")).status_code for _ in range(8)]
    assert statuses.count(429) >= 3 and statuses[:4].count(200) == 4, statuses
    limited = await s.call(APPLICANT, "GET", "/v1/competitions", expect=429)
    assert int(limited.headers["retry-after"]) >= 1
    # Another caller has a bucket of its own.
    await s.call(EXPERT, "GET", "/v1/competitions", expect=200)


async def test_unavailable_and_slow_services(gateway_stack: StackFactory) -> None:
    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)  # accepts the connection, never speaks HTTP/2

    silent = await asyncio.start_server(hold, "127.0.0.1", 0)
    silent_port = silent.sockets[0].getsockname()[1]
    s = await gateway_stack(
        upstreams={"scoring": f"127.0.0.1:{free_port()}", "impact": f"127.0.0.1:{silent_port}"},
        GRANTFLOW_GATEWAY_UPSTREAM_TIMEOUT_S="0.5",
    )
    try:
        down = await s.call(FUNDER, "GET", "/v1/experts", expect=503)
        assert down.json()["code"] == "UNAVAILABLE" and down.headers["retry-after"]
        slow = await s.call(FUNDER, "GET", "/v1/portfolio", expect=504)
        assert slow.json()["code"] == "DEADLINE_EXCEEDED"
        ready = await s.http.get("/readyz")
        assert ready.status_code == 503 and ready.json()["upstreams"]["applications"] == "SERVING"
        await s.call(FUNDER, "GET", "/v1/competitions", expect=200)
    finally:
        silent.close()

"""Resource limits under abuse: bodies and messages far over their caps, a budget of a million
lines, requests with hundreds of errors, calls without a deadline, and bursts far above the rate
limit. Each limit must answer quickly with its own code, keep memory bounded and leave legitimate
callers served. Timings and memory are printed; only generous bounds are asserted, since CI
machines vary.

The services and the gateway run in this process, so its RSS is theirs (plus the test's own
buffers, allocated before a measurement starts).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import grpc
import httpx
from grantflow.applications.v1 import applications_pb2, applications_service_pb2
from grantflow_applications.domain.applications import MAX_ITEMS
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.db import Database
from grantflow_runtime.grpc_client import health_status
from sqlalchemy import text

from tests.applications.helpers import (
    application_message,
    competition_message,
    organisation_message,
    rub,
)
from tests.gateway.stack import Stack, StackFactory, as_json
from tests.security.grpc_surface import Surface, by_name
from tests.security.limits_tools import (
    PeakMemory,
    json_with_many,
    length_delimited,
    raw_post,
)

APPS = "grantflow.applications.v1.ApplicationsService."
FUNDER = Identity(subject="limits-funder", role=Role.FUNDER)
OWNER = Identity(subject="limits-applicant", role=Role.APPLICANT)
MIB = 1024 * 1024
# Generous: a refusal that takes this long is no refusal.
QUICK_S = 5.0
LINE = {
    "category": "salaries",
    "description": "Specialist",
    "grantAmount": {"minorUnits": "100", "currencyCode": "RUB"},
}


async def open_call(s: Stack) -> tuple[str, Identity]:
    """An open competition and an applicant acting for its organisation."""
    cid = (
        await s.call(FUNDER, "POST", "/v1/competitions", json=as_json(competition_message()),
                     expect=201)
    ).json()["id"]  # fmt: skip
    await s.call(FUNDER, "POST", f"/v1/competitions/{cid}:open", expect=200)
    org = await s.call(
        OWNER, "POST", "/v1/organisations", json=as_json(organisation_message()), expect=201
    )
    return cid, Identity(OWNER.subject, Role.APPLICANT, organisation_id=org.json()["id"])


def gateway_port(s: Stack) -> int:
    return int(s.base_url.rsplit(":", 1)[1])


async def test_oversized_http_bodies_are_refused_before_they_are_read(
    gateway_stack: StackFactory,
) -> None:
    s = await gateway_stack()  # the default cap: 1 MiB
    cap = s.config.gateway_limits.max_body_bytes
    cid, me = await open_call(s)
    token = s.token(me)
    port = gateway_port(s)
    base = as_json(application_message(cid, me.organisation_id))
    base.pop("budgetLines")
    results: dict[str, Any] = {}
    # 1. A declared length far over the cap: refused on the header alone.
    with PeakMemory() as declared:
        results["declared 10 GiB"] = await raw_post(
            port, "/v1/applications", token, [b"{}"], declared_length=10 * 1024 * MIB
        )
    # 2. A million budget lines (about 100 MB of JSON), chunked, so no length is declared: the
    # gateway must stop reading once the cap is passed.
    with PeakMemory() as million:
        results["1,000,000 budget lines, chunked"] = await raw_post(
            port,
            "/v1/applications",
            token,
            json_with_many(base, "budgetLines", LINE, 1_000_000),
        )
    # 3. Just under the cap: read, translated, and refused by the service's bound on lines.
    lines = (cap - 4096) // (len(json.dumps(LINE)) + 1)
    with PeakMemory() as under:
        under_cap = await raw_post(
            port,
            "/v1/applications",
            token,
            json_with_many(base, "budgetLines", LINE, lines),
        )
    for label, got in results.items():
        print(
            f"\n{label}: {got.status} {got.json().get('reason')} after {got.seconds * 1000:.0f} ms, "
            f"{got.sent_bytes / MIB:.1f} MiB sent before the answer"
        )
        assert got.status == 413 and got.json()["reason"] == "BODY_TOO_LARGE", (label, got)
        assert got.headers["content-type"] == "application/problem+json"
        assert got.seconds < QUICK_S, (label, got.seconds)
        # Read up to the cap and a little beyond (socket buffers): nowhere near 100 MB.
        assert got.sent_bytes < cap + 16 * MIB, (label, got.sent_bytes)
    print(f"memory: declared length {declared.use}; million lines {million.use}")
    assert million.use.growth_mib < 200, million.use
    print(
        f"{lines} budget lines just under the cap ({under_cap.sent_bytes / MIB:.2f} MiB): "
        f"{under_cap.status} in {under_cap.seconds * 1000:.0f} ms; {under.use}"
    )
    assert under_cap.status == 422, under_cap
    assert {"field": "application.budgetLines", "reason": "MAX_ITEMS"}.items() <= (
        under_cap.json()["violations"][0].items()
    ), under_cap.json()
    assert under_cap.seconds < 30
    # The gateway still serves afterwards.
    await s.call(me, "GET", "/v1/competitions", expect=200)


def million_line_request(base: applications_pb2.Application, lines: int) -> bytes:
    """A CreateApplicationRequest with `lines` budget lines, encoded by repeating one line's bytes:
    cheap to make, and exactly what a client would send."""
    line = applications_pb2.BudgetLine(
        category="salaries", description="Specialist", grant_amount=rub(1)
    ).SerializeToString()
    budget_line_field = applications_pb2.Application.DESCRIPTOR.fields_by_name["budget_lines"]
    repeated = length_delimited(budget_line_field.number, line) * lines
    application = base.SerializeToString() + repeated
    request_field = applications_service_pb2.CreateApplicationRequest.DESCRIPTOR.fields_by_name[
        "application"
    ]
    return length_delimited(request_field.number, application)


async def test_grpc_messages_over_the_cap_are_resource_exhausted(
    gateway_stack: StackFactory,
) -> None:
    s = await gateway_stack()  # GRANTFLOW_MAX_MESSAGE_BYTES at its default, 4 MiB
    cap = s.config.max_message_bytes
    cid, me = await open_call(s)
    base = application_message(cid, me.organisation_id, budget_lines=[])
    surface = Surface.of(s)
    create = by_name(APPS + "CreateApplication")
    try:
        million = million_line_request(base, 1_000_000)
        just_over = applications_service_pb2.CreateApplicationRequest(
            application=application_message(cid, me.organisation_id, summary="x" * cap)
        ).SerializeToString()
        per_line = len(million_line_request(base, 2)) - len(million_line_request(base, 1))
        under = million_line_request(base, (cap - 16 * 1024) // per_line)
        rows = []
        for label, payload in (
            ("1,000,000 budget lines", million),
            ("a summary just over the cap", just_over),
            ("budget lines just under the cap", under),
        ):
            with PeakMemory() as peak:
                started = time.perf_counter()
                got = await surface.call(create, payload, me, timeout=60)
                took = time.perf_counter() - started
            rows.append((label, len(payload), got, took, peak.use))
            print(
                f"\n{label}: {len(payload) / MIB:.1f} MiB -> {got.brief()[:140]} "
                f"in {took * 1000:.0f} ms; {peak.use}"
            )
    finally:
        await surface.close()
    (_, _, million_got, million_s, million_mem), (_, _, over_got, over_s, _) = rows[:2]
    assert million_got.code is grpc.StatusCode.RESOURCE_EXHAUSTED, million_got.brief()
    assert over_got.code is grpc.StatusCode.RESOURCE_EXHAUSTED, over_got.brief()
    assert million_s < QUICK_S and over_s < QUICK_S
    assert million_mem.growth_mib < 200, million_mem
    # Under the cap the message is read, and the service's own bound on budget lines refuses it,
    # naming the field, in bounded time and memory.
    _, size, under_got, under_s, under_mem = rows[2]
    assert size < cap
    assert under_got.code is grpc.StatusCode.INVALID_ARGUMENT, under_got.brief()
    assert (
        "application.budget_lines",
        f"must have at most {MAX_ITEMS['budget_lines']} entries",
    ) in (under_got.violations)
    assert under_s < 30, under_s
    assert under_mem.growth_mib < 1024, under_mem


async def test_the_configured_message_cap_is_the_one_enforced(
    gateway_stack: StackFactory,
) -> None:
    """GRANTFLOW_MAX_MESSAGE_BYTES set low: a message over it is refused, one under it is read."""
    s = await gateway_stack(GRANTFLOW_MAX_MESSAGE_BYTES=str(64 * 1024))
    surface = Surface.of(s)
    create = by_name(APPS + "CreateCompetition")
    try:
        over = applications_service_pb2.CreateCompetitionRequest(
            competition=competition_message(description="x" * 70_000)
        )
        under = applications_service_pb2.CreateCompetitionRequest(
            competition=competition_message(description="x" * 60_000)
        )
        refused = await surface.call(create, over, FUNDER)
        read = await surface.call(create, under, FUNDER)
    finally:
        await surface.close()
    print(f"\n70 kB over a 64 KiB cap: {refused.brief()}; 60 kB: {read.brief()[:120]}")
    assert refused.code is grpc.StatusCode.RESOURCE_EXHAUSTED
    # Read, and refused by the service's own rule on the description's length.
    assert read.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in read.violations] == ["competition.description"]


async def test_a_request_with_hundreds_of_errors_still_says_which(
    gateway_stack: StackFactory,
) -> None:
    """Every violation is reported at once (README); hundreds of them must still arrive as one
    INVALID_ARGUMENT (gRPC) and one 422 problem document (HTTP), not as a transport failure."""
    s = await gateway_stack()
    cid, me = await open_call(s)
    # 150 budget lines whose descriptions are one character too long: a 160 kB request, well
    # under both caps, that breaks 151 rules (150 lengths and the line count is fine at 150).
    lines = [
        applications_pb2.BudgetLine(
            category="salaries", description="d" * 1001, grant_amount=rub(1)
        )
        for _ in range(150)
    ]
    message = application_message(cid, me.organisation_id, budget_lines=lines)
    surface = Surface.of(s)
    try:
        got = await surface.call(
            by_name(APPS + "CreateApplication"),
            applications_service_pb2.CreateApplicationRequest(application=message),
            me,
        )
    finally:
        await surface.close()
    over_http = await s.call(me, "POST", "/v1/applications", json=as_json(message))
    print(
        f"\n150 violations over gRPC: {got.brief()[:160]} ({len(got.violations)} violations, "
        f"rich status {'mismatched' if got.status_mismatch else 'consistent'}); over HTTP: "
        f"{over_http.status_code} {over_http.headers.get('content-type')} {over_http.text[:160]}"
    )
    problems = []
    if got.code is not grpc.StatusCode.INVALID_ARGUMENT or got.status_mismatch:
        problems.append(f"gRPC: {got.code.name} {got.details[:200]!r}")
    elif not got.violations:
        problems.append("gRPC: INVALID_ARGUMENT without field violations")
    if over_http.status_code != 422 or over_http.headers.get("content-type") != (
        "application/problem+json"
    ):
        problems.append(f"HTTP: {over_http.status_code} {over_http.text[:200]!r}")
    assert not problems, "\n".join(problems)


async def test_calls_without_a_deadline_are_bounded_by_the_concurrency_cap(
    gateway_stack: StackFactory,
) -> None:
    """A call without a gRPC deadline waits as long as the service does: here, for a write lock
    another transaction holds. Such calls must not pile up without bound: past
    GRANTFLOW_MAX_CONCURRENT_RPCS the server answers RESOURCE_EXHAUSTED at once, and the waiting
    ones complete once the lock is released."""
    cap = 8
    s = await gateway_stack(GRANTFLOW_MAX_CONCURRENT_RPCS=str(cap))
    cid = (
        await s.call(FUNDER, "POST", "/v1/competitions", json=as_json(competition_message()),
                     expect=201)
    ).json()["id"]  # fmt: skip
    host = s.hosts["applications"]
    surface = Surface.of(s)
    update = by_name(APPS + "UpdateCompetition")

    def rename(n: int) -> applications_service_pb2.UpdateCompetitionRequest:
        request = applications_service_pb2.UpdateCompetitionRequest(
            competition=competition_message(title=f"Renamed {n}")
        )
        request.competition.id = cid
        request.update_mask.paths.append("title")
        return request

    calls = 8 * cap
    hold_s = 2.0
    try:
        async with holding_the_row(host.db, cid):
            started = time.perf_counter()
            pending = [
                asyncio.create_task(surface.call(update, rename(n), FUNDER, timeout=None))
                for n in range(calls)
            ]
            await asyncio.sleep(hold_s)
            early = [t.result() for t in pending if t.done()]
            health = await _health(surface)
        finished = await asyncio.wait_for(asyncio.gather(*pending), timeout=60)
        took = time.perf_counter() - started
        after = await surface.call(update, rename(999), FUNDER, timeout=None)
    finally:
        await surface.close()
    codes = Counter(a.code.name for a in finished)
    print(
        f"\n{calls} calls without a deadline while a write lock was held for {hold_s:.0f}s, "
        f"server cap {cap}: {len(early)} answered during the hold "
        f"({Counter(a.code.name for a in early)}), all {calls} done in {took:.1f}s: "
        f"{dict(codes)}; health check during the hold: {health}"
    )
    assert all(a.code is grpc.StatusCode.RESOURCE_EXHAUSTED for a in early), early
    assert codes["RESOURCE_EXHAUSTED"] >= calls - cap
    assert codes["OK"] >= 1 and set(codes) <= {"OK", "RESOURCE_EXHAUSTED"}, codes
    assert after.ok, after.brief()


@contextlib.asynccontextmanager
async def holding_the_row(db: Database, competition_id: str) -> AsyncIterator[None]:
    """Hold a write transaction on the competition's row, as a slow writer would (on SQLite the
    service's single writer, on PostgreSQL the row lock)."""
    async with db.transaction() as session:
        lock = "" if db.is_sqlite else " FOR UPDATE"
        await session.execute(
            text(f"SELECT id FROM competitions WHERE id = :id{lock}"), {"id": competition_id}
        )
        yield


async def _health(surface: Surface) -> str:
    return await health_status(surface.channels["applications"], timeout=2.0)


async def test_a_burst_far_above_the_rate_limit_leaves_other_callers_served(
    gateway_stack: StackFactory,
) -> None:
    rate, burst = 50, 100  # the defaults
    s = await gateway_stack(
        GRANTFLOW_GATEWAY_RATE_PER_S=str(rate), GRANTFLOW_GATEWAY_RATE_BURST=str(burst)
    )
    attacker = Identity(subject="flooder", role=Role.APPLICANT)
    honest = Identity(subject="honest", role=Role.FUNDER)
    idle = await _latencies(s, honest, 20)
    flood_total, concurrency = 1200, 32
    statuses: Counter[int] = Counter()
    refusal_ms: list[float] = []
    retry_after: set[str] = set()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=s.base_url, limits=limits, timeout=30) as flood_client:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(flood_total):
            queue.put_nowait(n)

        async def flood(headers: dict[str, str]) -> None:
            while not queue.empty():
                queue.get_nowait()
                started = time.perf_counter()
                got = await flood_client.get("/v1/competitions", headers=headers)
                statuses[got.status_code] += 1
                if got.status_code == 429:
                    refusal_ms.append((time.perf_counter() - started) * 1000)
                    retry_after.add(got.headers.get("retry-after", ""))

        token = {"Authorization": f"Bearer {s.token(attacker)}"}
        started = time.perf_counter()
        workers = [asyncio.create_task(flood(token)) for _ in range(concurrency)]
        during = await _latencies(s, honest, 40)
        await asyncio.gather(*workers)
        flood_s = time.perf_counter() - started
        # Without a token the bucket is the address's: shared by every anonymous caller there,
        # and not by the honest caller, whose token has its own.
        anonymous: Counter[int] = Counter()
        for _ in range(300):
            anonymous[(await flood_client.get("/v1/competitions")).status_code] += 1
        after_anon = await _latencies(s, honest, 10)
    p = statistics.quantiles
    print(
        f"\nflood: {flood_total} requests from one token, {concurrency} at a time, in "
        f"{flood_s:.1f}s ({flood_total / flood_s:.0f}/s offered against {rate}/s allowed): "
        f"{dict(statuses)}; 429 answered in p50 "
        f"{statistics.median(refusal_ms):.1f} ms, p95 {p(refusal_ms, n=20)[18]:.1f} ms; "
        f"Retry-After {sorted(retry_after)}"
    )
    print(
        f"honest caller: idle p50 {statistics.median(idle):.1f} ms / max {max(idle):.1f} ms; "
        f"during the flood p50 {statistics.median(during):.1f} ms, p95 "
        f"{p(during, n=20)[18]:.1f} ms, max {max(during):.1f} ms; anonymous flood of 300: "
        f"{dict(anonymous)}, honest after it p50 {statistics.median(after_anon):.1f} ms"
    )
    # Refused: all but the burst and what the rate refilled while the flood ran.
    admitted_at_most = burst + rate * flood_s + 1
    assert statuses[200] <= admitted_at_most, (statuses, admitted_at_most)
    assert statuses[429] >= flood_total - admitted_at_most
    assert set(statuses) <= {200, 429} and retry_after and "" not in retry_after
    assert statistics.median(refusal_ms) < 1000
    assert anonymous[401] <= burst + rate * 10 and anonymous[429] > 0, anonymous
    # The honest caller was never limited, and stayed served within a generous bound.
    assert max(during) < 5000 and max(after_anon) < 5000


async def _latencies(s: Stack, who: Identity, n: int) -> list[float]:
    """One legitimate caller's requests, one after another: milliseconds each, all 200."""
    taken = []
    for _ in range(n):
        started = time.perf_counter()
        got = await s.call(who, "GET", "/v1/competitions", params={"pageSize": "5"})
        taken.append((time.perf_counter() - started) * 1000)
        assert got.status_code == 200, (got.status_code, got.text[:200])
    return taken

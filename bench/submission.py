"""1. The submission path against the machine's ceiling, interleaved so the ratios hold.

Four paths, each with 16 and 64 calls in flight:
- gRPC no-op: the standard health Check of the real applications process. It runs through the
  same server, interceptor (request id, identity, NUL check, one log line) and event loop as every
  method and does no work of its own, so it is the closest thing to a no-op the system has: the
  ceiling of this server stack on this machine;
- gRPC SubmitApplication, each call its own draft, with a request id as a retrying client sends;
- the same submit through the HTTP gateway, with a bearer token per organisation and an
  Idempotency-Key;
- the gateway's /healthz, the HTTP stack's own no-op, to show what the gateway adds by itself.

Rounds repeat the four paths in a rotating order, and every ratio is taken within its round, so a
burst of load from another process lowers one round's pair together instead of one path only.
Before each submit measurement the previous one's events are drained (relay and scoring's
consumer idle), so no path pays for another's backlog.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from grantflow.applications.v1 import applications_service_pb2 as pb
from grantflow.applications.v1 import applications_service_pb2_grpc as pb_grpc
from grantflow_runtime.tokens import mint
from grpc_health.v1 import health_pb2

from bench.harness import Stack, token_key
from bench.http import HttpError, HttpPool
from bench.measure import Sample, Spread, drive
from bench.observe import Observer
from bench.seed import Draft, Round

NOOP = "gRPC no-op (health Check)"
GRPC_SUBMIT = "gRPC SubmitApplication"
GATEWAY_SUBMIT = "gateway POST :submit"
HTTP_NOOP = "gateway GET /healthz"
PATHS = (NOOP, GRPC_SUBMIT, GATEWAY_SUBMIT, HTTP_NOOP)
SUBMITS = (GRPC_SUBMIT, GATEWAY_SUBMIT)
TARGET_GRPC_RATIO = 0.5
TARGET_GRPC_P99_MS = 20.0
TARGET_GATEWAY_RATIO = 0.3


@dataclass
class Settings:
    rounds: int = 3
    in_flight: tuple[int, ...] = (16, 64)
    seconds: float = 2.5
    # The most drafts one submit measurement may use; seeding makes exactly this many per slot.
    calls_cap: int = 1500

    @property
    def drafts_needed(self) -> int:
        return self.rounds * len(self.in_flight) * len(SUBMITS) * self.calls_cap


@dataclass
class PathFigures:
    samples: list[Sample] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "calls_per_s": Spread.of([s.calls_per_s for s in self.samples]).as_dict(),
            "p50_ms": Spread.of([s.p50_ms for s in self.samples]).as_dict(),
            "p99_ms": Spread.of([s.p99_ms for s in self.samples]).as_dict(),
            "x_noop": Spread.of(self.ratios).as_dict(),
            "calls": sum(s.calls for s in self.samples),
            "errors": sum(s.errors for s in self.samples),
            "first_error": next((s.first_error for s in self.samples if s.first_error), ""),
        }


async def run(
    stack: Stack,
    observer: Observer,
    seeded: Round,
    settings: Settings,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    key = token_key()
    tokens = {
        a.organisation_id: mint(
            key,
            subject=a.subject,
            role=a.identity.role,
            organisation_id=a.organisation_id,
            ttl_s=4 * 3600,
        )
        for a in seeded.applicants
    }
    figures: dict[int, dict[str, PathFigures]] = {
        n: {p: PathFigures() for p in PATHS} for n in settings.in_flight
    }
    host, port = stack.gateway_url.removeprefix("http://").split(":")
    async with grpc.aio.insecure_channel(stack.address("applications")) as chan:
        stub = pb_grpc.ApplicationsServiceStub(chan)
        check = chan.unary_unary(
            "/grpc.health.v1.Health/Check",
            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
            response_deserializer=health_pb2.HealthCheckResponse.FromString,
        )
        for n in settings.in_flight:
            async with HttpPool(host, int(port), n) as http:
                calls = _calls(stub, check, http, tokens)
                # Warm-up: connections, the servers' caches of compiled SQL, the JIT of nothing.
                for path in (NOOP, HTTP_NOOP):
                    await drive(calls[path](None), calls=500, in_flight=n)
        for r in range(settings.rounds):
            for n in settings.in_flight:
                async with HttpPool(host, int(port), n) as http:
                    calls = _calls(stub, check, http, tokens)
                    order = PATHS[r % len(PATHS) :] + PATHS[: r % len(PATHS)]
                    round_samples: dict[str, Sample] = {}
                    for path in order:
                        drafts = seeded.take(settings.calls_cap) if path in SUBMITS else None
                        if drafts is not None:
                            await observer.quiesce()
                        cap = settings.calls_cap if drafts is not None else 1_000_000
                        sample = await drive(
                            calls[path](drafts), calls=cap, in_flight=n, seconds=settings.seconds
                        )
                        round_samples[path] = sample
                        figures[n][path].samples.append(sample)
                    for path, sample in round_samples.items():
                        ratio = sample.calls_per_s / round_samples[NOOP].calls_per_s
                        figures[n][path].ratios.append(ratio)
                    progress(
                        f"round {r + 1}/{settings.rounds}, {n} in flight: "
                        + ", ".join(
                            f"{p.split(' ')[0]} {p.split(' ', 1)[1]} {s.calls_per_s:.0f}/s"
                            for p, s in round_samples.items()
                        )
                    )
    await observer.quiesce()
    result: dict[str, Any] = {
        str(n): {p: f.summary() for p, f in by_path.items()} for n, by_path in figures.items()
    }
    return result


Factory = Callable[[list[Draft] | None], Callable[[int], Awaitable[object]]]


def _calls(
    stub: pb_grpc.ApplicationsServiceAsyncStub,
    check: grpc.aio.UnaryUnaryMultiCallable[Any, Any],
    http: HttpPool,
    tokens: dict[str, str],
) -> dict[str, Factory]:
    def noop(_: list[Draft] | None) -> Callable[[int], Awaitable[object]]:
        async def call(i: int) -> object:
            return await check(health_pb2.HealthCheckRequest(), timeout=10)

        return call

    def grpc_submit(drafts: list[Draft] | None) -> Callable[[int], Awaitable[object]]:
        assert drafts is not None

        async def call(i: int) -> object:
            d = drafts[i]
            return await stub.SubmitApplication(
                pb.SubmitApplicationRequest(
                    id=d.application_id, request_id=f"submit-{d.application_id}"
                ),
                metadata=d.applicant.metadata,
                timeout=30,
            )

        return call

    def gateway_submit(drafts: list[Draft] | None) -> Callable[[int], Awaitable[object]]:
        assert drafts is not None

        async def call(i: int) -> object:
            d = drafts[i]
            response = await http.request(
                "POST",
                f"/v1/applications/{d.application_id}:submit",
                {
                    "Authorization": f"Bearer {tokens[d.applicant.organisation_id]}",
                    "Idempotency-Key": f"submit-{d.application_id}",
                },
            )
            if response.status != 200:
                raise HttpError(response)
            return response

        return call

    def http_noop(_: list[Draft] | None) -> Callable[[int], Awaitable[object]]:
        async def call(i: int) -> object:
            response = await http.request("GET", "/healthz", {})
            if response.status != 200:
                raise HttpError(response)
            return response

        return call

    return {
        NOOP: noop,
        GRPC_SUBMIT: grpc_submit,
        GATEWAY_SUBMIT: gateway_submit,
        HTTP_NOOP: http_noop,
    }


def verdicts(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, judged on the medians at 16 in flight."""
    at16 = result.get("16")
    if at16 is None:
        return []
    grpc_ratio = at16[GRPC_SUBMIT]["x_noop"]["median"]
    grpc_p99 = at16[GRPC_SUBMIT]["p99_ms"]["median"]
    gateway_ratio = at16[GATEWAY_SUBMIT]["x_noop"]["median"]
    return [
        {
            "target": f"gRPC submit >= {TARGET_GRPC_RATIO}x no-op at 16 in flight",
            "value": round(grpc_ratio, 3),
            "met": grpc_ratio >= TARGET_GRPC_RATIO,
        },
        {
            "target": f"gRPC submit p99 <= {TARGET_GRPC_P99_MS:.0f} ms at 16 in flight",
            "value": round(grpc_p99, 1),
            "met": grpc_p99 <= TARGET_GRPC_P99_MS,
        },
        {
            "target": f"gateway submit >= {TARGET_GATEWAY_RATIO}x no-op at 16 in flight",
            "value": round(gateway_ratio, 3),
            "met": gateway_ratio >= TARGET_GATEWAY_RATIO,
        },
    ]

"""The applications service's call paths against the machine's own ceiling, measured in one run.

Starts a nats-server from the wheel and the applications service as a real process on SQLite,
then drives, with N calls in flight for a fixed time each: the health check (our server stack
doing no work: the ceiling), GetCompetition (a read) and CreateCompetition (a durable commit with
an idempotency record). Prints a table with the ratio of each to the ceiling and writes JSON.

    .venv/bin/python bench/grpc_paths.py [--seconds 5] [--in-flight 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
from grantflow.applications.v1 import applications_service_pb2 as pb
from grantflow.applications.v1 import applications_service_pb2_grpc as pb_grpc
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.grpc_client import health_status
from grantflow_runtime.grpc_server import identity_metadata
from grantflow_runtime.natsserver import NatsServer, free_port

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.applications.helpers import competition_message

FUNDER = identity_metadata(Identity(subject="bench-funder", role=Role.FUNDER))


async def drive(
    call: Callable[[], Awaitable[object]], *, seconds: float, in_flight: int
) -> dict[str, float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    took = time.perf_counter() - began
    latencies.sort()
    return {
        "calls": len(latencies),
        "calls_per_s": len(latencies) / took,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


async def measure(address: str, seconds: float, in_flight: int) -> dict[str, dict[str, float]]:
    async with grpc.aio.insecure_channel(address) as chan:
        stub = pb_grpc.ApplicationsServiceStub(chan)
        template = competition_message()
        existing = await stub.CreateCompetition(
            pb.CreateCompetitionRequest(competition=template), metadata=FUNDER
        )

        async def ceiling() -> object:
            return await health_status(chan)

        async def read() -> object:
            return await stub.GetCompetition(
                pb.GetCompetitionRequest(id=existing.id), metadata=FUNDER
            )

        async def write() -> object:
            request = pb.CreateCompetitionRequest(request_id=uuid.uuid4().hex, competition=template)
            return await stub.CreateCompetition(request, metadata=FUNDER)

        results = {}
        for name, call in (
            ("health check (ceiling)", ceiling),
            ("GetCompetition", read),
            ("CreateCompetition", write),
        ):
            await drive(call, seconds=1.0, in_flight=in_flight)  # warm-up
            results[name] = await drive(call, seconds=seconds, in_flight=in_flight)
            print(f"  measured {name}", flush=True)
        return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--json", type=Path, default=Path("bench/results/grpc_paths.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        nats = NatsServer(Path(scratch) / "nats", port=free_port())
        nats.start()
        port = free_port()
        env = {
            **os.environ,
            "GRANTFLOW_DATA_DIR": scratch,
            "GRANTFLOW_NATS_URL": nats.url,
            "GRANTFLOW_APPLICATIONS_GRPC_PORT": str(port),
            "GRANTFLOW_LOG_LEVEL": "warning",
        }
        server = subprocess.Popen([sys.executable, "-m", "grantflow_applications.app"], env=env)
        try:
            address = f"127.0.0.1:{port}"

            async def ready() -> None:
                async with grpc.aio.insecure_channel(address) as chan:
                    for _ in range(300):
                        if await health_status(chan) == "SERVING":
                            return
                        await asyncio.sleep(0.1)
                raise TimeoutError("applications did not become SERVING")

            asyncio.run(ready())
            results = asyncio.run(measure(address, args.seconds, args.in_flight))
        finally:
            server.terminate()
            server.wait(15)
            nats.stop()
    ceiling = results["health check (ceiling)"]["calls_per_s"]
    print(
        f"\napplications service on SQLite, {args.in_flight} calls in flight, {args.seconds:.0f} s each, {os.cpu_count()} cores"
    )
    print(f"{'path':<24}{'calls/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'x ceiling':>11}")
    for name, r in results.items():
        print(
            f"{name:<24}{r['calls_per_s']:>10.0f}{r['p50_ms']:>10.2f}{r['p99_ms']:>10.2f}{r['calls_per_s'] / ceiling:>11.2f}"
        )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"in_flight": args.in_flight, "seconds": args.seconds, "results": results}, indent=2
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

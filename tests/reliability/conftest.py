"""Fixtures of the fault tests: real service processes that are always killed when the test ends,
and the backend switch for the tests that only make sense on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from grantflow_runtime.natsserver import NatsServer, free_port

from tests.conftest import BACKEND, DatabaseFactory
from tests.reliability.processes import ServiceProcess, service_env

postgres_only = pytest.mark.skipif(
    BACKEND != "postgres", reason="needs PostgreSQL (GRANTFLOW_TEST_BACKEND=postgres)"
)
sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's file lock is the fault here")


@dataclass
class Processes:
    """Service processes of one test, on free ports, sharing its NATS and its databases."""

    nats: NatsServer
    database_url: DatabaseFactory
    tmp_path: Path
    started: list[ServiceProcess] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)

    async def prepare(self, *services: str) -> None:
        """Give each service a port and a fresh database (before any starts: they know each
        other's addresses)."""
        for service in services:
            self.ports[service] = free_port()
            self.urls[service] = await self.database_url(service)

    def make(self, service: str, **overrides: str) -> ServiceProcess:
        env = service_env(
            data_dir=self.tmp_path / "data",
            nats_url=self.nats.url,
            database_urls=self.urls,
            ports=self.ports,
            **overrides,
        )
        process = ServiceProcess(
            service,
            env,
            port=self.ports[service],
            log_path=self.tmp_path / f"{service}.log",
        )
        self.started.append(process)
        return process

    def kill_all(self) -> None:
        for process in self.started:
            process.kill()

    def describe(self) -> Mapping[str, str]:
        return {p.service: f"pid {p.pid}, {p.starts} start(s), {p.kills} kill(s)" for p in self}

    def __iter__(self) -> Iterator[ServiceProcess]:
        return iter(self.started)


@pytest.fixture
def processes(
    nats_server: NatsServer, database_url: DatabaseFactory, tmp_path: Path
) -> Iterator[Processes]:
    # Depends on the NATS and database fixtures, so it is torn down first: no process outlives
    # the server or the database it uses.
    registry = Processes(nats_server, database_url, tmp_path)
    try:
        yield registry
    finally:
        registry.kill_all()

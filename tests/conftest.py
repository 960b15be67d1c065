"""Shared fixtures: a real nats-server per test, fresh databases (SQLite files, or PostgreSQL when
GRANTFLOW_TEST_BACKEND=postgres), in-process services on free ports, identities to call them with."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import grpc
import pytest
import structlog
from grantflow_runtime.config import Config
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.grpc_client import channel
from grantflow_runtime.grpc_server import identity_metadata
from grantflow_runtime.host import ServiceDefinition, ServiceHost
from grantflow_runtime.natsserver import NatsServer, free_port

BACKEND = os.environ.get("GRANTFLOW_TEST_BACKEND", "sqlite")

# structlog's default console renderer draws rich tracebacks with every frame's locals, which takes
# seconds on the event loop all in-process services share; tests keep the defaults but plain.
structlog.configure(
    processors=[
        *structlog.get_config()["processors"][:-1],
        structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback),
    ]
)
PG_ADMIN_DSN = os.environ.get(
    "GRANTFLOW_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)

FUNDER = Identity(subject="funder-1", role=Role.FUNDER)
OTHER_FUNDER = Identity(subject="funder-2", role=Role.FUNDER)
ADMIN = Identity(subject="admin-1", role=Role.ADMIN)
APPLICANT = Identity(subject="applicant-1", role=Role.APPLICANT, organisation_id="org-1")
EXPERT = Identity(subject="expert-1", role=Role.EXPERT, expert_id="expert-1")


def as_(identity: Identity) -> tuple[tuple[str, str], ...]:
    return identity_metadata(identity)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A JetStream server of this test's own, so no stream or consumer outlives the test."""
    server = NatsServer(tmp_path / "nats", port=free_port())
    server.start()
    yield server
    server.stop()


DatabaseFactory = Callable[[str], Awaitable[str]]


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[DatabaseFactory]:
    """Make a fresh, empty database for a service; dropped (PostgreSQL) or deleted with tmp_path."""
    created: list[str] = []

    async def make(service: str) -> str:
        if BACKEND == "sqlite":
            return f"sqlite+aiosqlite:///{tmp_path / f'{service}-{uuid.uuid4().hex[:8]}.db'}"
        name = f"gf_test_{service}_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        created.append(name)
        user = os.environ.get("GRANTFLOW_TEST_PG_USER", "postgres")
        return f"postgresql+asyncpg://{user}@127.0.0.1:5432/{name}"

    yield make
    if created:
        conn = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            for name in created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


ConfigFactory = Callable[..., Awaitable[Config]]


@pytest.fixture
def make_config(
    nats_server: NatsServer, database_url: DatabaseFactory, tmp_path: Path
) -> ConfigFactory:
    async def make(**overrides: str) -> Config:
        env = {
            "GRANTFLOW_DATA_DIR": str(tmp_path / "data"),
            "GRANTFLOW_NATS_URL": nats_server.url,
            "GRANTFLOW_RELAY_POLL_S": "0.2",
            "GRANTFLOW_CONSUMER_ACK_WAIT_S": "5",
            "GRANTFLOW_SHUTDOWN_GRACE_S": "2",
        }
        for service in ("applications", "scoring", "impact"):
            env[f"GRANTFLOW_{service.upper()}_DATABASE_URL"] = await database_url(service)
        env.update(overrides)
        return Config.from_env(env)

    return make


ServiceStarter = Callable[
    [ServiceDefinition, Config], Awaitable[tuple[ServiceHost, grpc.aio.Channel]]
]


@pytest.fixture
async def start_service() -> AsyncIterator[ServiceStarter]:
    """Start a real service host in this process on a free port; stopped after the test."""
    started: list[tuple[ServiceHost, grpc.aio.Channel]] = []

    async def start(
        definition: ServiceDefinition, config: Config
    ) -> tuple[ServiceHost, grpc.aio.Channel]:
        host = ServiceHost(definition, config, port=0)
        await host.start()
        chan = channel(f"127.0.0.1:{host.port}")
        started.append((host, chan))
        return host, chan

    yield start
    for host, chan in reversed(started):
        await chan.close()
        await host.stop()

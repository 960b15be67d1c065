"""What the deployment runs besides the services: the rollout step (deploy/migrate.py), the
compose health check (deploy/healthcheck.py), the trial PostgreSQL's init script, and the image
build that has to carry all of them. Run for real where this machine can (a nats-server, the
test database), read statically where it cannot (no Docker engine here)."""

from __future__ import annotations

import asyncio
import fnmatch
import os
import shutil
import sys
import threading
import tomllib
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import asyncpg
import grpc
import nats
import pytest
from grantflow_runtime.db import Database
from grantflow_runtime.natsserver import NatsServer, free_port
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from sqlalchemy import text

from tests.conftest import BACKEND, PG_ADMIN_DSN, DatabaseFactory
from tests.deploy.manifests import (
    DEPLOY,
    IMAGE_USER,
    ROOT,
    SERVICES,
    dockerfile_instructions,
)

MIGRATE = DEPLOY / "migrate.py"
HEALTHCHECK = DEPLOY / "healthcheck.py"
INIT_DATABASES = DEPLOY / "k8s" / "postgres-trial" / "init-databases.sh"


async def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    except TimeoutError:
        # A hung child must not outlive the test.
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, output.decode()


# ---- deploy/migrate.py: the init container of every service pod, compose's `migrate` ---------


async def test_migrate_prepares_every_database_and_the_streams_idempotently(
    database_url: DatabaseFactory, nats_server: NatsServer, tmp_path: Path
) -> None:
    env = {
        "GRANTFLOW_DATA_DIR": str(tmp_path / "data"),
        "GRANTFLOW_NATS_URL": nats_server.url,
        "GRANTFLOW_STREAM_MAX_GIB": "1",
        "GRANTFLOW_LOG_FORMAT": "json",
    }
    for service in SERVICES:
        env[f"GRANTFLOW_{service.upper()}_DATABASE_URL"] = await database_url(service)
    for attempt in ("first", "again"):
        code, output = await run(str(MIGRATE), *SERVICES, env=env)
        assert code == 0, f"{attempt}: {output}"
        assert '"event": "rollout prepared"' in output
    for service in SERVICES:
        db = Database(env[f"GRANTFLOW_{service.upper()}_DATABASE_URL"])
        try:
            async with db.reading() as session:
                assert await session.scalar(text("SELECT count(*) FROM alembic_version")) == 1
                assert await session.scalar(text("SELECT count(*) FROM outbox")) == 0
        finally:
            await db.dispose()
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        for stream in ("GRANTFLOW", "GRANTFLOW_DLQ"):
            assert (await js.stream_info(stream)).config.name == stream
    finally:
        await nc.close()


async def test_migrate_gives_up_with_an_error_when_nothing_answers(tmp_path: Path) -> None:
    env = {
        "GRANTFLOW_DATA_DIR": str(tmp_path),
        "GRANTFLOW_NATS_URL": f"nats://127.0.0.1:{free_port()}",
        "GRANTFLOW_APPLICATIONS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'a.db'}",
        "GRANTFLOW_LOG_FORMAT": "json",
    }
    code, output = await run(str(MIGRATE), "applications", "--wait-s", "0", env=env)
    assert code == 1 and '"event": "rollout preparation failed"' in output, output


# ---- deploy/healthcheck.py: compose's health checks ------------------------------------------


async def test_grpc_healthcheck_is_true_only_for_a_serving_service_name() -> None:
    server = grpc.aio.server()
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        await servicer.set("grantflow.test.v1.Up", health_pb2.HealthCheckResponse.SERVING)
        await servicer.set("grantflow.test.v1.Down", health_pb2.HealthCheckResponse.NOT_SERVING)
        address = f"127.0.0.1:{port}"
        assert (await run(str(HEALTHCHECK), "grpc", address, "grantflow.test.v1.Up"))[0] == 0
        assert (await run(str(HEALTHCHECK), "grpc", address, "grantflow.test.v1.Down"))[0] == 1
        assert (await run(str(HEALTHCHECK), "grpc", address, "grantflow.test.v1.Unknown"))[0] == 1
    finally:
        await server.stop(0)
    closed = f"127.0.0.1:{free_port()}"
    assert (await run(str(HEALTHCHECK), "--timeout", "1", "grpc", closed))[0] == 1


class _Answers(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/readyz" else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


async def test_http_healthcheck_wants_a_200(http_server: str) -> None:
    assert (await run(str(HEALTHCHECK), "http", f"{http_server}/readyz"))[0] == 0
    assert (await run(str(HEALTHCHECK), "http", f"{http_server}/elsewhere"))[0] == 1
    assert (await run(str(HEALTHCHECK), "http", f"http://127.0.0.1:{free_port()}/"))[0] == 1


# ---- the trial PostgreSQL's init script ----------------------------------------------------


@pytest.mark.skipif(BACKEND != "postgres", reason="needs the PostgreSQL of CI's PostgreSQL pass")
@pytest.mark.skipif(shutil.which("psql") is None, reason="psql not installed")
async def test_init_script_makes_a_database_and_a_role_per_service() -> None:
    prefix = f"gf_init_{uuid.uuid4().hex[:8]}_"
    env = {
        **os.environ,
        "PGHOST": "127.0.0.1",
        "POSTGRES_USER": "postgres",
        "GRANTFLOW_DB_PREFIX": prefix,
        # A quote in a password must stay inside its literal.
        "APPLICATIONS_DB_PASSWORD": "it's-applications",
        "SCORING_DB_PASSWORD": "scoring-pw",
        "IMPACT_DB_PASSWORD": "impact-pw",
    }
    try:
        process = await asyncio.create_subprocess_exec(
            "sh", str(INIT_DATABASES), env=env, stdout=asyncio.subprocess.PIPE
        )
        try:
            await asyncio.wait_for(process.communicate(), timeout=60)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        assert process.returncode == 0
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            owners = dict(
                await admin.fetch(
                    "SELECT d.datname, r.rolname FROM pg_database d "
                    "JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname LIKE $1",
                    prefix + "%",
                )
            )
            public_connect = await admin.fetchval(
                "SELECT has_database_privilege('public', $1, 'CONNECT')", f"{prefix}scoring"
            )
        finally:
            await admin.close()
        assert owners == {f"{prefix}{s}": f"{prefix}grantflow_{s}" for s in SERVICES}
        assert public_connect is False
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            for service in SERVICES:
                await admin.execute(f'DROP DATABASE IF EXISTS "{prefix}{service}" WITH (FORCE)')
                await admin.execute(f'DROP ROLE IF EXISTS "{prefix}grantflow_{service}"')
        finally:
            await admin.close()


# ---- the image: what it copies and how it runs --------------------------------------------


def test_the_image_carries_every_package_and_deploy_script() -> None:
    instructions = dockerfile_instructions(DEPLOY / "Dockerfile")
    copies = [args.split() for op, args in instructions if op == "COPY" and "--from" not in args]
    sources = [Path(src) for parts in copies for src in parts[:-1]]
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not [p for p in ignored if fnmatch.fnmatch(str(source), p)], source
    # Every folder the package is built from (pyproject's package finder) is in the build.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for where in project["tool"]["setuptools"]["packages"]["find"]["where"]:
        assert any(Path(where).is_relative_to(s) for s in sources), f"{where} not copied"
    # The scripts the manifests run are where they look for them.
    deploy_copy = next(parts for parts in copies if parts[-1] == "/opt/grantflow/deploy/")
    shipped = {Path(p).name for p in deploy_copy[:-1]}
    for text_file in [*DEPLOY.glob("k8s/**/*.yaml"), DEPLOY / "compose.yaml"]:
        for script in set(_opt_scripts(text_file.read_text())):
            assert script in shipped, f"{text_file.name} runs {script}, not in the image"
    # The commands the manifests give are the package's console scripts.
    scripts = set(project["project"]["scripts"])
    assert {f"grantflow-{s}" for s in (*SERVICES, "gateway")} <= scripts


def _opt_scripts(text: str) -> list[str]:
    marker = "/opt/grantflow/deploy/"
    return [
        part.split(marker, 1)[1].split('"')[0].split()[0]
        for part in text.split("\n")
        if marker in part
    ]


def test_the_image_runs_as_the_unprivileged_user_the_manifests_expect() -> None:
    instructions = dockerfile_instructions(DEPLOY / "Dockerfile")
    final_stage = instructions[max(i for i, (op, _) in enumerate(instructions) if op == "FROM") :]
    users = [args for op, args in final_stage if op == "USER"]
    assert users == [f"{IMAGE_USER}:{IMAGE_USER}"]
    for op, args in instructions:
        if op == "FROM":
            image = args.split()[0]
            tag = image.partition(":")[2]
            assert tag and tag != "latest", image

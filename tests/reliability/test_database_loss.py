"""The database goes away in the middle of SubmitApplication: on SQLite another connection holds
the write lock past the busy timeout, on PostgreSQL the service's backends are terminated while
the request waits on a row lock, and on both a blocked write outlives the caller's deadline.

Each time the caller gets an answer that says "try again" (UNAVAILABLE or ABORTED; an expired
deadline is DEADLINE_EXCEEDED), nothing of the request is left half-written, and a retry with the
same request id submits the application exactly once."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import grpc
import pytest
from grantflow.applications.v1 import applications_pb2
from grantflow.applications.v1 import applications_service_pb2 as apps_pb
from grantflow.applications.v1 import applications_service_pb2_grpc as apps_grpc
from grantflow_runtime.db import SQLITE_BUSY_TIMEOUT_MS
from sqlalchemy.engine import make_url

from tests.conftest import BACKEND, PG_ADMIN_DSN
from tests.reliability.conftest import Processes, postgres_only, sqlite_only
from tests.reliability.processes import client_channel
from tests.reliability.world import (
    SUBMITTED,
    Draft,
    Store,
    eventually,
    make_drafts,
    md,
    open_competition,
    register_organisations,
)

pytestmark = pytest.mark.asyncio

# What a caller may be told when the database failed under its request: both mean "retry".
RETRY_LATER = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.ABORTED}


class WrongStatus(AssertionError):
    """The call failed safely but with a status that does not tell the caller to retry."""


def expect_retry_later(code: grpc.StatusCode, details: str) -> None:
    if code not in RETRY_LATER:
        raise WrongStatus(
            f"a database outage answered {code.name} ({details!r}); expected UNAVAILABLE or "
            "ABORTED, which tell a client its retry may succeed"
        )


@dataclass
class Scene:
    apps: apps_grpc.ApplicationsServiceAsyncStub
    store: Store
    url: str
    draft: Draft

    def request(self) -> apps_pb.SubmitApplicationRequest:
        return apps_pb.SubmitApplicationRequest(
            id=self.draft.id, request_id=f"submit-{self.draft.id}"
        )

    async def submit(self, timeout: float) -> applications_pb2.Application:
        return await self.apps.SubmitApplication(
            self.request(), metadata=md(self.draft.owner), timeout=timeout
        )

    async def attempt(self, timeout: float) -> tuple[grpc.StatusCode, str, float]:
        started = time.monotonic()
        try:
            await self.submit(timeout)
        except grpc.aio.AioRpcError as exc:
            return exc.code(), exc.details() or "", time.monotonic() - started
        return grpc.StatusCode.OK, "", time.monotonic() - started

    async def nothing_half_written(self) -> str:
        """Nothing of the failed request stayed: still a draft, no event, no claimed request id."""
        state = await self.store.scalar(
            "SELECT state FROM applications WHERE id = :id", id=self.draft.id
        )
        events = await self.events()
        keys = await self.store.count(
            "SELECT count(*) FROM idempotency_keys WHERE request_id = :r",
            r=self.request().request_id,
        )
        assert (state, events, keys) == ("draft", 0, 0), (state, events, keys)
        return f"application {state}, {events} events, {keys} request ids"

    async def events(self) -> int:
        ids = await self.store.outbox_application_ids(SUBMITTED)
        return ids.count(self.draft.id)

    async def retry_succeeds_once(self) -> str:
        """The retry submits; a second retry replays the same answer; one event in all."""
        first = await self.submit(timeout=30)
        again = await self.submit(timeout=30)
        assert first.state == applications_pb2.Application.STATE_SUBMITTED
        assert again == first
        assert await self.events() == 1
        return "retry OK, replay identical, 1 ApplicationSubmitted"


@pytest.fixture
async def scene(processes: Processes) -> AsyncIterator[Scene]:
    # A real process, logging JSON as in production: the failure path is timed as it would be
    # there (the console renderer of an in-process service spends seconds on a traceback).
    await processes.prepare("applications")
    service = processes.make("applications")
    await service.start()
    url = processes.urls["applications"]
    store = Store(url)
    channel = client_channel(service.address)
    try:
        apps = apps_grpc.ApplicationsServiceStub(channel)
        competition_id = await open_competition(apps, per_organisation=1)
        owners = await register_organisations(apps, 1)
        (draft,) = await make_drafts(apps, competition_id, owners, 1)
        yield Scene(apps, store, url, draft)
    finally:
        await channel.close()
        await store.close()


def sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


def pg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def blocked_backends(admin: asyncpg.Connection, database: str, holder_pid: int) -> int:
    """Backends of `database` waiting on a lock (the service's, queued behind ours)."""
    return int(
        await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2 "
            "AND wait_event_type = 'Lock'",
            database,
            holder_pid,
        )
    )


async def terminate_service_backends(admin: asyncpg.Connection, database: str, *spare: int) -> int:
    terminated = await admin.fetch(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 "
        "AND pid <> pg_backend_pid() AND NOT (pid = ANY($2::int[]))",
        database,
        list(spare),
    )
    return len(terminated)


@sqlite_only
async def test_sqlite_write_lock_held_past_the_busy_timeout(scene: Scene) -> None:
    busy_s = SQLITE_BUSY_TIMEOUT_MS / 1000
    holder = sqlite3.connect(sqlite_path(scene.url), isolation_level=None, timeout=0)
    try:
        # In WAL mode EXCLUSIVE shuts out writers only: the service still reads, and blocks (then
        # gives up) at its first write.
        holder.execute("BEGIN EXCLUSIVE")
        code, details, took = await scene.attempt(timeout=busy_s + 15)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    print(
        f"fault: write lock held by another connection for {took:.1f}s (busy timeout "
        f"{busy_s:.0f}s); SubmitApplication answered {code.name} {details!r}"
    )
    assert code != grpc.StatusCode.OK
    print(f"after: {await scene.nothing_half_written()}; {await scene.retry_succeeds_once()}")
    expect_retry_later(code, details)


@postgres_only
async def test_postgres_backends_terminated_mid_request(scene: Scene) -> None:
    database = make_url(scene.url).database or ""
    holder = await asyncpg.connect(pg_dsn(scene.url))
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        # Hold the application's row, so the request is inside its transaction (request id
        # claimed, waiting for the row) when its connection is cut.
        tx = holder.transaction()
        await tx.start()
        await holder.execute("SELECT 1 FROM applications WHERE id = $1 FOR UPDATE", scene.draft.id)
        call = asyncio.create_task(scene.attempt(timeout=30))

        async def waiting() -> bool:
            return await blocked_backends(admin, database, holder.get_server_pid()) > 0

        await eventually(waiting, seconds=10, what="the request waiting on the row lock")
        terminated = await terminate_service_backends(admin, database, holder.get_server_pid())
        code, details, took = await call
        await tx.rollback()
    finally:
        await holder.close()
        await admin.close()
    print(
        f"fault: {terminated} backends of the service terminated while the request waited on a "
        f"row lock; SubmitApplication answered {code.name} {details!r} after {took:.1f}s"
    )
    assert code != grpc.StatusCode.OK
    print(f"after: {await scene.nothing_half_written()}; {await scene.retry_succeeds_once()}")
    expect_retry_later(code, details)


@postgres_only
async def test_postgres_idle_connections_terminated_are_replaced(scene: Scene) -> None:
    database = make_url(scene.url).database or ""
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        terminated = await terminate_service_backends(admin, database)
    finally:
        await admin.close()
    # The pool pings a connection before lending it, so a dead one is replaced, not used.
    code, details, took = await scene.attempt(timeout=10)
    print(
        f"fault: {terminated} idle backends of the service terminated; the next call answered "
        f"{code.name} in {took:.2f}s"
    )
    assert terminated > 0
    assert code == grpc.StatusCode.OK, details
    assert await scene.events() == 1


async def test_blocked_write_outliving_the_deadline_then_retry_once(scene: Scene) -> None:
    """The caller gives up (DEADLINE_EXCEEDED) while its write waits for the database; the server
    abandons the request; once the database is free, the retry with the same id acts once."""
    deadline_s = 1.5
    if BACKEND == "sqlite":
        holder = sqlite3.connect(sqlite_path(scene.url), isolation_level=None, timeout=0)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            code, details, took = await scene.attempt(timeout=deadline_s)
            # Hold on past the deadline, so the abandoned write is still waiting when we let go.
            await asyncio.sleep(1.0)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    else:
        holder_pg = await asyncpg.connect(pg_dsn(scene.url))
        try:
            tx = holder_pg.transaction()
            await tx.start()
            await holder_pg.execute(
                "SELECT 1 FROM applications WHERE id = $1 FOR UPDATE", scene.draft.id
            )
            code, details, took = await scene.attempt(timeout=deadline_s)
            await asyncio.sleep(1.0)
            await tx.rollback()
        finally:
            await holder_pg.close()
    print(
        f"fault: database blocked past a {deadline_s}s deadline; SubmitApplication answered "
        f"{code.name} after {took:.1f}s"
    )
    assert code == grpc.StatusCode.DEADLINE_EXCEEDED, (code, details)
    # The abandoned request may still be unwinding on the server; give it a moment to roll back.
    await asyncio.sleep(0.5)
    print(f"after: {await scene.nothing_half_written()}; {await scene.retry_succeeds_once()}")

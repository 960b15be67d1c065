"""What the fault tests build and measure: a competition with many organisations and drafts, clients
that retry a submission with one request id until it is answered, and counts read straight from
the services' databases and from JetStream."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
from grantflow.applications.v1 import applications_pb2
from grantflow.applications.v1 import applications_service_pb2 as apps_pb
from grantflow.applications.v1 import applications_service_pb2_grpc as apps_grpc
from grantflow.events.v1 import applications_pb2 as app_events
from grantflow_runtime import catalogue
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.db import Database
from grantflow_runtime.grpc_server import identity_metadata
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import text

from tests.applications.helpers import (
    application_message,
    competition_message,
    inn10,
    organisation_message,
)

T = TypeVar("T")

FUNDER = Identity(subject="reliability-funder", role=Role.FUNDER)
SUBMITTED = catalogue.APPLICATION_SUBMITTED.subject
STATUS_CHANGED = catalogue.APPLICATION_STATUS_CHANGED.subject

# Answers after which the outcome of a call is unknown or the server is (for now) unable: the
# same request id makes another attempt safe.
RETRYABLE = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
    }
)


def md(identity: Identity) -> tuple[tuple[str, str], ...]:
    return identity_metadata(identity)


async def eventually(
    probe: Callable[[], Awaitable[bool]], *, seconds: float, what: str, step: float = 0.1
) -> float:
    """Poll until `probe` is true; the seconds it took, or AssertionError naming `what`."""
    started = time.monotonic()
    while not await probe():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"{what}: not reached within {seconds:.0f}s")
        await asyncio.sleep(step)
    return time.monotonic() - started


async def bounded_gather(jobs: Iterable[Awaitable[T]], *, limit: int) -> list[T]:
    """Run `jobs` with at most `limit` in flight; results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Awaitable[T]) -> T:
        async with gate:
            return await job

    return list(await asyncio.gather(*(one(job) for job in jobs)))


@dataclass(frozen=True)
class Draft:
    id: str
    # The applicant acting for the organisation that owns the draft.
    owner: Identity


async def open_competition(
    apps: apps_grpc.ApplicationsServiceAsyncStub, *, per_organisation: int
) -> str:
    created = await apps.CreateCompetition(
        apps_pb.CreateCompetitionRequest(
            competition=competition_message(max_applications_per_organisation=per_organisation)
        ),
        metadata=md(FUNDER),
        timeout=10,
    )
    await apps.OpenCompetition(
        apps_pb.OpenCompetitionRequest(id=created.id), metadata=md(FUNDER), timeout=10
    )
    return created.id


async def register_organisations(
    apps: apps_grpc.ApplicationsServiceAsyncStub, count: int
) -> list[Identity]:
    """`count` organisations with distinct valid INNs; the applicant identity acting for each."""

    async def one(n: int) -> Identity:
        owner = Identity(subject=f"applicant-{n}", role=Role.APPLICANT)
        organisation = await apps.CreateOrganisation(
            apps_pb.CreateOrganisationRequest(
                organisation=organisation_message(inn_prefix=f"5{n:08d}", name=f"Organisation {n}"),
                request_id=f"organisation-{n}",
            ),
            metadata=md(owner),
            timeout=10,
        )
        assert organisation.inn == inn10(f"5{n:08d}")
        return Identity(subject=owner.subject, role=Role.APPLICANT, organisation_id=organisation.id)

    return await bounded_gather((one(n) for n in range(count)), limit=16)


async def make_drafts(
    apps: apps_grpc.ApplicationsServiceAsyncStub,
    competition_id: str,
    owners: list[Identity],
    per_owner: int,
) -> list[Draft]:
    async def one(owner: Identity, k: int) -> Draft:
        draft = await apps.CreateApplication(
            apps_pb.CreateApplicationRequest(
                application=application_message(
                    competition_id, owner.organisation_id, title=f"Project {k} of {owner.subject}"
                ),
                request_id=f"draft-{owner.subject}-{k}",
            ),
            metadata=md(owner),
            timeout=10,
        )
        return Draft(draft.id, owner)

    jobs = (one(owner, k) for owner in owners for k in range(per_owner))
    return await bounded_gather(jobs, limit=16)


@dataclass
class Progress:
    """Acknowledged submissions so far, for a fault injector that strikes at a given count."""

    acknowledged: int = 0
    _waiters: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)

    def ack(self) -> None:
        self.acknowledged += 1
        for n, waiter in self._waiters:
            if self.acknowledged >= n and not waiter.done():
                waiter.set_result(None)

    async def reached(self, n: int) -> None:
        if self.acknowledged >= n:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((n, waiter))
        await waiter


@dataclass
class Outcome:
    draft: Draft
    request_id: str
    attempts: int = 0
    # Code names of the answers that were retried.
    retried: Counter[str] = field(default_factory=Counter)
    # Wall-clock time of the first retried answer, to tell a replayed answer from a fresh one.
    first_failure_at: float | None = None
    code: grpc.StatusCode = grpc.StatusCode.UNKNOWN
    details: str = ""
    response: applications_pb2.Application | None = None


async def submit_until_answered(
    apps: apps_grpc.ApplicationsServiceAsyncStub,
    draft: Draft,
    *,
    give_up_after_s: float,
    progress: Progress | None = None,
    call_timeout_s: float = 10.0,
) -> Outcome:
    """SubmitApplication with one request id, retried on UNAVAILABLE, DEADLINE_EXCEEDED,
    RESOURCE_EXHAUSTED and ABORTED (a client that cannot tell whether its call took effect) until
    a definitive answer, as the README asks of clients."""
    outcome = Outcome(draft, request_id=f"submit-{draft.id}")
    request = apps_pb.SubmitApplicationRequest(id=draft.id, request_id=outcome.request_id)
    give_up = time.monotonic() + give_up_after_s
    while True:
        outcome.attempts += 1
        try:
            # wait_for_ready: while the server is down a retry waits for the channel to come back
            # instead of failing at once in a tight loop.
            outcome.response = await apps.SubmitApplication(
                request, metadata=md(draft.owner), timeout=call_timeout_s, wait_for_ready=True
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() in RETRYABLE and time.monotonic() < give_up:
                outcome.retried[exc.code().name] += 1
                if outcome.first_failure_at is None:
                    outcome.first_failure_at = time.time()
                await asyncio.sleep(random.uniform(0.05, 0.2))
                continue
            outcome.code, outcome.details = exc.code(), exc.details() or ""
            return outcome
        outcome.code = grpc.StatusCode.OK
        if progress is not None:
            progress.ack()
        return outcome


def replayed(outcome: Outcome) -> bool:
    """The call failed, yet the submission had committed before it did: the retry got the
    stored answer back (the crash hit between the commit and the reply)."""
    if outcome.response is None or outcome.first_failure_at is None:
        return False
    return outcome.response.submit_time.ToMicroseconds() / 1e6 < outcome.first_failure_at


class Store:
    """Reads a service's own database directly, as an operator would, to count rows."""

    def __init__(self, url: str) -> None:
        self.db = Database(url, pool_size=2)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.db.reading() as session:
            return await session.scalar(text(sql), params)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.db.reading() as session:
            return list((await session.execute(text(sql), params)).all())

    async def count(self, sql: str, **params: Any) -> int:
        return int(await self.scalar(sql, **params) or 0)

    async def unsent(self) -> int:
        return await self.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL")

    async def outbox_application_ids(self, subject: str = SUBMITTED) -> list[str]:
        """The application each outbox event of `subject` names (decoded from its payload)."""
        found = await self.rows("SELECT payload FROM outbox WHERE subject = :s", s=subject)
        if subject == SUBMITTED:
            return [app_events.ApplicationSubmitted.FromString(p).application_id for (p,) in found]
        if subject == STATUS_CHANGED:
            return [
                app_events.ApplicationStatusChanged.FromString(p).application_id for (p,) in found
            ]
        raise ValueError(f"not an application event: {subject}")

    async def inbox(self, consumer: str, subject: str) -> int:
        return await self.count(
            "SELECT count(*) FROM inbox WHERE consumer = :c AND subject = :s", c=consumer, s=subject
        )

    async def close(self) -> None:
        await self.db.dispose()


async def stream_event_ids(js: JetStreamContext, stream: str, subject: str) -> list[str]:
    """The `Nats-Msg-Id` of every message stored on `subject`, duplicates included, in order."""
    info = await js.stream_info(stream)
    ids: list[str] = []
    seq = info.state.first_seq
    while seq and seq <= info.state.last_seq:
        try:
            msg = await js.get_msg(stream, seq)
        except NotFoundError:
            seq += 1
            continue
        if msg.subject == subject:
            ids.append((msg.headers or {}).get("Nats-Msg-Id", ""))
        seq += 1
    return ids


def duplicates(values: Iterable[str]) -> int:
    counts = Counter(values)
    return sum(n - 1 for n in counts.values() if n > 1)


def codes(outcomes: Iterable[Outcome]) -> Mapping[str, int]:
    return Counter(o.code.name for o in outcomes)

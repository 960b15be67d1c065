"""Scale-out, proven on one machine with real processes and no containers.

PostgreSQL (one database per service, made and dropped like tests/conftest.py does), a three-node
NATS JetStream cluster on loopback ports with the event stream replicated three times, one
applications process, two scoring and two impact replicas sharing their durable consumers, and
the gateway in front. Every service process first runs deploy/migrate.py, as the pods' init
container does, all at once. A stream of submissions and then of awards goes through the gateway
while we SIGKILL a scoring replica, the NATS stream leader, and an impact replica, each in the
middle of its work. Then:

- every event took effect exactly once: inbox rows and effects (scoring's copies of submitted
  applications, impact's agreements, applications' awarded states) match the producers' outboxes,
  and no event id was applied by two replicas (their JSON log lines "event applied");
- work was shared: each replica of scoring and of impact applied some events itself (its own log
  lines; an inbox row does not record the replica, so the logs are the honest record). Scoring
  shows it before any kill. Impact's awards come as one burst, fetched one at a time here so
  that the kill lands in its middle; its split is largely the survivor taking over the dead one's;
- killing a replica lost nothing: the survivor applied what the dead one had left, including
  messages it held unacknowledged (redelivered after the ack wait);
- killing a NATS node lost no acknowledged event: every outbox row the relays marked sent (which
  they do only after JetStream's ack) is in the R3 stream exactly once after the leader died,
  nothing was dead-lettered, and the node, restarted on its store, catches up.

Runs in CI's PostgreSQL pass only: two replicas of a service sharing one database need a database
that several processes write to at once, which is what PostgreSQL gives and SQLite does not.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import nats
import pytest
from google.protobuf.json_format import MessageToDict
from grantflow.common.v1 import date_pb2
from grantflow_runtime import catalogue
from grantflow_runtime.bus import dead_letter_stream
from grantflow_runtime.context import Identity, Role
from grantflow_runtime.tokens import TokenKey, mint
from nats.js import JetStreamContext
from nats.js.api import PeerInfo

from tests.applications.helpers import (
    application_message,
    competition_message,
    ogrn13,
    organisation_message,
    rub,
    stamp,
)
from tests.conftest import BACKEND, PG_ADMIN_DSN
from tests.scale.processes import NatsCluster, Replica, distinct_free_ports

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        BACKEND != "postgres",
        reason="scale-out needs PostgreSQL (replicas share a database); runs in CI's PostgreSQL "
        "pass: GRANTFLOW_TEST_BACKEND=postgres",
    ),
    # 40-50 s on the 2-core CI machine; the bound leaves room, not slack for a hang (every wait
    # below has its own deadline).
    pytest.mark.timeout(180),
]

APPLICATIONS_COUNT = 45
SUBMITTERS = 3  # concurrent HTTP clients submitting
EXPERTS = 4
SECRET = "scale-out-test-signing-key-0123456789abcdef"
STREAM = "GRANTFLOW"
APPLIED = "event applied"
ALREADY = "event already applied"
SUBMITTED = catalogue.APPLICATION_SUBMITTED.subject
AWARDED = catalogue.AWARD_DECIDED.subject
FUNDER = Identity(subject="scale-funder", role=Role.FUNDER)
MODULES = {
    "applications": "grantflow_applications.app",
    "scoring": "grantflow_scoring.app",
    "impact": "grantflow_impact.app",
}
REPLICAS = {"applications": 1, "scoring": 2, "impact": 2}
# The init container of every service pod in deploy/k8s.
MIGRATE = Path(__file__).resolve().parents[2] / "deploy" / "migrate.py"


@dataclass
class Narrator:
    """Prints what the test does as it does it, past pytest's capture, so CI's log of a passing
    run shows the kills, the counts and the effects too."""

    started: float = field(default_factory=time.monotonic)
    capsys: pytest.CaptureFixture[str] | None = None

    def __call__(self, text: str) -> None:
        line = f"[scale-out {time.monotonic() - self.started:6.1f}s] {text}"
        if self.capsys is None:
            print(line, flush=True)
        else:
            with self.capsys.disabled():
                print(line, flush=True)


say = Narrator()


async def until(
    what: str, probe: Callable[[], Awaitable[bool] | bool], *, seconds: float = 60.0
) -> None:
    deadline = time.monotonic() + seconds
    while True:
        outcome = probe()
        if outcome if isinstance(outcome, bool) else await outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {seconds:.0f}s: {what}")
        await asyncio.sleep(0.02)


# ---- PostgreSQL: one database per service, as tests/conftest.py makes them -------------------


@asynccontextmanager
async def databases() -> AsyncIterator[dict[str, str]]:
    names = {svc: f"gf_scale_{svc}_{uuid.uuid4().hex[:10]}" for svc in MODULES}
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        for name in names.values():
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield names
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            for name in names.values():
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


class Databases:
    """Plain asyncpg reads of the services' databases: the test checks facts, not the services'
    own view of them."""

    def __init__(self, names: dict[str, str]) -> None:
        user = os.environ.get("GRANTFLOW_TEST_PG_USER", "postgres")
        self.dsn = {svc: f"postgresql://{user}@127.0.0.1:5432/{db}" for svc, db in names.items()}
        self.sqlalchemy_url = {
            svc: f"postgresql+asyncpg://{user}@127.0.0.1:5432/{db}" for svc, db in names.items()
        }
        self._conns: dict[str, asyncpg.Connection] = {}

    async def _conn(self, service: str) -> asyncpg.Connection:
        if service not in self._conns:
            self._conns[service] = await asyncpg.connect(self.dsn[service])
        return self._conns[service]

    async def value(self, service: str, sql: str, *args: object) -> Any:
        return await (await self._conn(service)).fetchval(sql, *args)

    async def ids(self, service: str, sql: str, *args: object) -> set[str]:
        return {str(row[0]) for row in await (await self._conn(service)).fetch(sql, *args)}

    async def inbox(self, service: str, subject: str) -> int:
        return int(
            await self.value(service, "SELECT count(*) FROM inbox WHERE subject = $1", subject)
        )

    async def close(self) -> None:
        for conn in self._conns.values():
            await conn.close()


# ---- the gateway, as a client sees it ------------------------------------------------------


class Gateway:
    def __init__(self, base_url: str, key: TokenKey) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.key = key
        self.retried = 0

    async def call(
        self,
        who: Identity,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        key: str | None = None,
        expect: int | None = None,
    ) -> httpx.Response:
        token = mint(
            self.key,
            subject=who.subject,
            role=who.role,
            organisation_id=who.organisation_id,
            expert_id=who.expert_id,
        )
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        deadline = time.monotonic() + 20
        while True:
            response = await self.http.request(
                method, path, json=json, params=params, headers=headers
            )
            # 503: the gateway's connection went to a replica we killed and is reconnecting to
            # the survivor (as behind a Kubernetes Service). Every write here carries an
            # idempotency key or is idempotent, so retrying it is what a client should do.
            if response.status_code != 503 or time.monotonic() > deadline:
                break
            self.retried += 1
            await asyncio.sleep(0.2)
        if expect is not None:
            assert response.status_code == expect, (method, path, response.text)
        return response

    async def close(self) -> None:
        await self.http.aclose()


# ---- the system ---------------------------------------------------------------------------


@contextmanager
def running(replicas: dict[str, Replica], cluster: NatsCluster) -> Iterator[None]:
    try:
        yield
    finally:
        for replica in replicas.values():
            replica.stop()
        cluster.stop()


def settings(
    cluster: NatsCluster, dbs: Databases, ports: dict[str, int], data_dir: Path
) -> dict[str, str]:
    env = {
        "GRANTFLOW_DATA_DIR": str(data_dir),
        "GRANTFLOW_NATS_URL": cluster.url,
        "GRANTFLOW_STREAM_REPLICAS": "3",
        # Each node reserves the stream's cap; a small one keeps three stores on one disk modest.
        "GRANTFLOW_STREAM_MAX_GIB": "1",
        "GRANTFLOW_LOG_FORMAT": "json",
        "GRANTFLOW_AUTH_SECRET": SECRET,
        "GRANTFLOW_GATEWAY_PORT": str(ports["gateway"]),
        "GRANTFLOW_GATEWAY_RATE_PER_S": "10000",
        "GRANTFLOW_GATEWAY_RATE_BURST": "10000",
        "GRANTFLOW_RELAY_POLL_S": "0.2",
        # A killed replica's unacknowledged messages come back to the survivor after this.
        "GRANTFLOW_CONSUMER_ACK_WAIT_S": "3",
        # One event per fetch, so the burst of awards lasts long enough for a replica to be killed
        # in its middle even when this machine is busy (with 64 the burst was once over first).
        "GRANTFLOW_CONSUMER_BATCH": "1",
        "GRANTFLOW_SHUTDOWN_GRACE_S": "2",
        # Six processes on one PostgreSQL beside the rest of the suite.
        "GRANTFLOW_DB_POOL_SIZE": "4",
    }
    for svc in MODULES:
        upper = svc.upper()
        env[f"GRANTFLOW_{upper}_DATABASE_URL"] = dbs.sqlalchemy_url[svc]
        env[f"GRANTFLOW_{upper}_GRPC_PORT"] = str(ports[svc])
        env[f"GRANTFLOW_{upper}_ADDR"] = f"127.0.0.1:{ports[svc]}"
    return env


def make_replicas(env: dict[str, str], logs: Path) -> dict[str, Replica]:
    replicas = {
        f"{svc}-{n}": Replica(
            f"{svc}-{n}",
            MODULES[svc],
            env,
            logs / f"{svc}-{n}.log",
            init=[str(MIGRATE), svc, "--wait-s", "30"],
        )
        for svc, count in REPLICAS.items()
        for n in range(1, count + 1)
    }
    replicas["gateway"] = Replica("gateway", "grantflow_gateway.app", env, logs / "gateway.log")
    return replicas


def applied_by(replicas: dict[str, Replica], service: str, subject: str) -> dict[str, list[str]]:
    return {
        name: r.events(APPLIED, subject)
        for name, r in replicas.items()
        if name.startswith(f"{service}-")
    }


async def stream_event_ids(js: JetStreamContext) -> list[str]:
    """Every message in the event stream, by its `Nats-Msg-Id` (the outbox's event id)."""
    state = (await js.stream_info(STREAM)).state
    found: list[str] = []
    for seq in range(state.first_seq, state.last_seq + 1):
        message = await js.get_msg(STREAM, seq)
        found.append((message.headers or {}).get("Nats-Msg-Id", ""))
    return found


# ---- the workload ---------------------------------------------------------------------------


async def submit_one(gw: Gateway, competition_id: str, i: int, closes: datetime) -> str:
    owner = Identity(subject=f"scale-applicant-{i}", role=Role.APPLICANT)
    organisation = organisation_message(
        inn_prefix=f"77{i:07d}", name=f"Scale Org {i}", ogrn=ogrn13(f"10277{i:07d}")
    )
    org = await gw.call(
        owner,
        "POST",
        "/v1/organisations",
        json=MessageToDict(organisation),
        key=f"org-{i}",
        expect=201,
    )
    me = Identity(subject=owner.subject, role=Role.APPLICANT, organisation_id=org.json()["id"])
    start = closes + timedelta(days=30)
    end = closes + timedelta(days=200)
    body = MessageToDict(
        application_message(
            competition_id,
            me.organisation_id,
            title=f"Scale project {i}",
            start_date=date_pb2.Date(year=start.year, month=start.month, day=start.day),
            end_date=date_pb2.Date(year=end.year, month=end.month, day=end.day),
        )
    )
    draft = await gw.call(me, "POST", "/v1/applications", json=body, key=f"app-{i}", expect=201)
    application_id = str(draft.json()["id"])
    await gw.call(
        me, "POST", f"/v1/applications/{application_id}:submit", key=f"submit-{i}", expect=200
    )
    return application_id


async def test_replicas_share_work_exactly_once_and_survive_kills(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    say.started, say.capsys = time.monotonic(), capsys
    async with databases() as names:
        dbs = Databases(names)
        cluster = NatsCluster(tmp_path / "nats")
        ports = dict(
            zip(
                ("applications", "scoring", "impact", "gateway"),
                distinct_free_ports(4),
                strict=True,
            )
        )
        env = settings(cluster, dbs, ports, tmp_path / "data")
        replicas = make_replicas(env, tmp_path / "logs")
        gw = Gateway(
            f"http://127.0.0.1:{ports['gateway']}",
            TokenKey(secret=SECRET.encode(), issuer="grantflow-dev", audience="grantflow"),
        )
        try:
            with running(replicas, cluster):
                await prove(replicas, cluster, dbs, gw)
        except BaseException:
            for replica in replicas.values():
                if replica.log.exists():
                    say(f"log of {replica.name}: {replica.log}")
            raise
        finally:
            await gw.close()
            await dbs.close()


async def prove(
    replicas: dict[str, Replica], cluster: NatsCluster, dbs: Databases, gw: Gateway
) -> None:
    await cluster.start()
    say(f"NATS cluster of {len(cluster.nodes)} nodes healthy: {cluster.url}")
    # Every process at once, as the pods of a first rollout start: each runs the init step
    # (deploy/migrate.py: both replicas of a service migrate the same fresh database, taking turns
    # on the advisory lock, and all five race to create the R3 stream), then the service.
    await asyncio.gather(*(replica.start() for replica in replicas.values()))
    said = [r.records() for r in replicas.values()]
    retried = sum(1 for lines in said for line in lines if line.get("attempt") is not None)
    say(f"init steps done (stream creation looked at again {retried} time(s)); services starting")

    def all_started() -> bool:
        for replica in replicas.values():
            assert replica.alive(), f"{replica.name} exited; see {replica.log}"
        return all(r.said("service started") for n, r in replicas.items() if n != "gateway")

    await until("every service replica started", all_started, seconds=90)

    async def gateway_ready() -> bool:
        try:
            return (await gw.http.get("/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    await until("the gateway is ready", gateway_ready, seconds=30)
    say("started: " + ", ".join(sorted(replicas)) + " (scoring and impact: 2 replicas each)")

    # The test's own connection, with every node listed so it survives the node it sits on.
    nc = await nats.connect(
        servers=cluster.url.split(","), max_reconnect_attempts=-1, reconnect_time_wait=0.2
    )
    try:
        js = nc.jetstream()
        info = await js.stream_info(STREAM)
        assert info.config.num_replicas == 3
        assert info.cluster is not None
        say(f"stream {STREAM}: R{info.config.num_replicas}, leader {info.cluster.leader}")
        await workload(replicas, cluster, dbs, gw, js)
    finally:
        await nc.close()


async def workload(
    replicas: dict[str, Replica],
    cluster: NatsCluster,
    dbs: Databases,
    gw: Gateway,
    js: JetStreamContext,
) -> None:
    closes = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    competition = competition_message(
        closes_at=stamp(closes), budget=rub(APPLICATIONS_COUNT * 2_000_000)
    )
    cid = (
        await gw.call(
            FUNDER,
            "POST",
            "/v1/competitions",
            json=MessageToDict(competition),
            key="competition",
            expect=201,
        )
    ).json()["id"]
    await gw.call(FUNDER, "POST", f"/v1/competitions/{cid}:open", expect=200)
    experts = [Identity(subject=f"scale-expert-{n}", role=Role.EXPERT) for n in range(EXPERTS)]
    for who in experts:
        await gw.call(
            FUNDER,
            "POST",
            "/v1/experts",
            json={
                "subject": who.subject,
                "displayName": who.subject,
                "directionCodes": ["family"],
                "regionCode": "RU-MOW",
                "maxLoad": APPLICATIONS_COUNT,
            },
            key=f"expert-{who.subject}",
            expect=201,
        )

    # ---- 1. a stream of submissions; a scoring replica and the NATS stream leader die in it ----
    submitted: list[str] = []

    async def submitter(indices: range) -> None:
        for i in indices:
            submitted.append(await submit_one(gw, cid, i, closes))

    submitters = [
        asyncio.create_task(submitter(range(k, APPLICATIONS_COUNT, SUBMITTERS)))
        for k in range(SUBMITTERS)
    ]

    def both_scoring_working() -> bool:
        for task in submitters:
            if task.done() and task.exception() is not None:
                raise AssertionError("a submitter failed") from task.exception()
        shares = applied_by(replicas, "scoring", SUBMITTED)
        return len(submitted) >= APPLICATIONS_COUNT // 3 and all(shares.values())

    await until("both scoring replicas applying submissions", both_scoring_working)
    shares_before_kill = {k: len(v) for k, v in applied_by(replicas, "scoring", SUBMITTED).items()}
    in_stream = len(submitted)
    assert in_stream < APPLICATIONS_COUNT, "the stream ended before the kill; submit more"
    replicas["scoring-1"].kill()
    pending = (await js.consumer_info(STREAM, "scoring")).num_ack_pending
    say(
        f"SIGKILL scoring-1 after {in_stream}/{APPLICATIONS_COUNT} submissions; applied so far "
        f"per replica: {shares_before_kill}; {pending} delivered and not yet acknowledged"
    )

    await until("two thirds submitted", lambda: len(submitted) >= 2 * APPLICATIONS_COUNT // 3)
    stream_info = await js.stream_info(STREAM)
    assert stream_info.cluster is not None and stream_info.cluster.leader
    killed_leader = stream_info.cluster.leader
    sent_before_nats_kill = int(
        await dbs.value("applications", "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL")
    )
    in_stream = len(submitted)
    cluster.node(killed_leader).kill()
    assert in_stream < APPLICATIONS_COUNT, "the stream ended before the NATS kill; submit more"
    say(
        f"SIGKILL NATS node {killed_leader} (the stream leader) after {in_stream} submissions; "
        f"{sent_before_nats_kill} applications events acknowledged by JetStream before it"
    )
    await asyncio.gather(*submitters)
    say(f"{len(submitted)} applications submitted through the gateway")

    submitted_in_outbox = await dbs.ids(
        "applications", "SELECT event_id FROM outbox WHERE subject = $1", SUBMITTED
    )
    assert len(submitted_in_outbox) == APPLICATIONS_COUNT
    await until(
        "scoring applied every submission",
        lambda: _equals(dbs.inbox("scoring", SUBMITTED), APPLICATIONS_COUNT),
    )
    new_leader = (await js.stream_info(STREAM)).cluster
    assert new_leader is not None and new_leader.leader != killed_leader
    say(f"stream leader now {new_leader.leader}; scoring-2 carried on alone")

    # ---- 2. the scoring round: close, assign, score, rank, decide -------------------------
    await gw.call(
        FUNDER,
        "POST",
        f"/v1/competitions/{cid}:close",
        json={"earlyCloseReason": "scale-out test"},
        expect=200,
    )

    async def scoring_open() -> bool:
        panel = await gw.call(FUNDER, "GET", f"/v1/competitions/{cid}/panel")
        return panel.status_code == 200 and panel.json()["state"] == "STATE_SCORING"

    await until("the panel is scoring", scoring_open)
    assigned = await gw.call(FUNDER, "POST", f"/v1/competitions/{cid}:assignExperts", expect=200)
    assert assigned.json()["complete"] == APPLICATIONS_COUNT, assigned.json()
    rubric = (await gw.call(FUNDER, "GET", f"/v1/competitions/{cid}/rubric", expect=200)).json()
    mark = {app_id: 7 + n % 3 for n, app_id in enumerate(sorted(submitted))}

    async def score_all(who: Identity) -> int:
        listed = await gw.call(
            who,
            "GET",
            "/v1/assignments",
            params={"competitionId": cid, "pageSize": 500},
            expect=200,
        )
        count = 0
        for assignment in listed.json()["assignments"]:
            app_id = assignment["applicationId"]
            # Both experts give one application the same marks (so no third expert is called),
            # above the pass mark, so every application is funded.
            sheet = [{"code": c["code"], "value": mark[app_id]} for c in rubric["criteria"]]
            await gw.call(
                who,
                "POST",
                f"/v1/applications/{app_id}/scores",
                json={"scores": sheet},
                expect=201,
            )
            count += 1
        return count

    scores = sum(await asyncio.gather(*(score_all(who) for who in experts)))
    await gw.call(FUNDER, "POST", f"/v1/competitions/{cid}/panel:close", expect=200)
    decision = await gw.call(
        FUNDER,
        "POST",
        f"/v1/competitions/{cid}:decideAwards",
        key=f"decide-{cid}",
        expect=200,
    )
    awards = len(decision.json()["awards"])
    assert awards == APPLICATIONS_COUNT, decision.json()
    say(f"round scored: {scores} scores, {awards} awards decided in one transaction")

    # ---- 3. the burst of awards; an impact replica dies in it -----------------------------
    def impact_working() -> bool:
        return any(applied_by(replicas, "impact", AWARDED).values())

    await until("impact applying awards", impact_working)
    shares = {k: len(v) for k, v in applied_by(replicas, "impact", AWARDED).items()}
    victim = max(shares, key=lambda name: shares[name])  # the one visibly in the middle of work
    replicas[victim].kill()
    survivor = next(name for name in shares if name != victim)
    applied_at_kill = shares[victim] + shares[survivor]
    survivor_before = shares[survivor]
    consumer = await js.consumer_info(STREAM, "impact")
    say(
        f"SIGKILL {victim} with {applied_at_kill}/{awards} awards applied ({shares}); "
        f"{consumer.num_ack_pending} delivered and not yet acknowledged"
    )
    assert applied_at_kill < awards, "the burst was over before the kill"
    await until(
        "impact applied every award",
        lambda: _equals(dbs.inbox("impact", AWARDED), awards),
    )
    await until(
        "applications applied every award",
        lambda: _equals(dbs.inbox("applications", AWARDED), awards),
    )
    # An effect can be committed by a replica killed before its ack: the inbox counts are then
    # reached at once, but the message comes back to the survivor only after the ack wait. The
    # logs are complete once every consumer has acknowledged everything.
    await until("every consumer acknowledged every event", lambda: _settled(js))
    carried = len(replicas[survivor].events(APPLIED, AWARDED)) - survivor_before
    say(f"{survivor} carried on: applied {carried} more awards after {victim} died")
    assert carried > 0

    # ---- what the databases, the logs and the stream say ------------------------------------
    await verify(replicas, dbs, js, awards=awards, shares_before_kill=shares_before_kill)
    await rejoin(cluster, js, killed_leader)
    say(f"gateway calls retried after a 503 from a killed upstream: {gw.retried}")
    for name, replica in replicas.items():
        if name not in ("scoring-1", victim):
            assert replica.alive(), f"{name} died; see {replica.log}"


async def _settled(js: JetStreamContext) -> bool:
    for durable in MODULES:
        info = await js.consumer_info(STREAM, durable)
        if info.num_pending or info.num_ack_pending:
            return False
    return True


async def _equals(count: Awaitable[int], expected: int) -> bool:
    return await count == expected


async def verify(
    replicas: dict[str, Replica],
    dbs: Databases,
    js: JetStreamContext,
    *,
    awards: int,
    shares_before_kill: dict[str, int],
) -> None:
    # Effects, exactly once: one row per event where the event's effect lands.
    copies = await dbs.value("scoring", "SELECT count(*) FROM submitted_applications")
    agreements = await dbs.value("impact", "SELECT count(*) FROM agreements")
    awarded = await dbs.value(
        "applications", "SELECT count(*) FROM applications WHERE state = 'awarded'"
    )
    assert (copies, agreements, awarded) == (APPLICATIONS_COUNT, awards, awards)
    say(
        f"effects: {copies} submitted applications in scoring, {agreements} agreements in impact, "
        f"{awarded} applications awarded; inbox rows match"
    )

    # Per replica, from their own logs: shared, never applied twice, nothing missing.
    for service, subject, producer in (
        ("scoring", SUBMITTED, "applications"),
        ("impact", AWARDED, "scoring"),
    ):
        produced = await dbs.ids(
            producer, "SELECT event_id FROM outbox WHERE subject = $1", subject
        )
        by_replica = applied_by(replicas, service, subject)
        applied = [event for events in by_replica.values() for event in events]
        assert len(applied) == len(set(applied)), f"{service}: an event was applied twice"
        repeats = {
            name: len(r.events(ALREADY, subject))
            for name, r in replicas.items()
            if name.startswith(f"{service}-")
        }
        seen = set(applied) | {
            event
            for name, r in replicas.items()
            if name.startswith(f"{service}-")
            for event in r.events(ALREADY, subject)
        }
        assert seen == produced, f"{service}: applied events differ from the producer's outbox"
        counts = {name: len(events) for name, events in by_replica.items()}
        assert all(counts.values()), f"{service}: a replica did no work: {counts}"
        say(
            f"{service}: {len(produced)} {subject} events; applied per replica {counts}; "
            f"redelivered and found already applied (effect committed, ack lost) {repeats}"
        )
    assert all(shares_before_kill.values()), shares_before_kill
    for replica in replicas.values():
        errors = [r.get("event") for r in replica.errors()]
        assert not errors, f"{replica.name} logged errors: {errors}"

    # NATS: every event a relay saw acknowledged is in the R3 stream, exactly once.
    acknowledged: set[str] = set()
    for service in MODULES:
        unsent = await dbs.value(service, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        assert unsent == 0, f"{service} has {unsent} events not yet published"
        acknowledged |= await dbs.ids(service, "SELECT event_id FROM outbox")
    in_stream = await stream_event_ids(js)
    assert len(in_stream) == len(set(in_stream)), "an event is in the stream twice"
    assert set(in_stream) == acknowledged, "acknowledged events missing from the stream"
    dead = (await js.stream_info(dead_letter_stream(STREAM))).state.messages
    assert dead == 0, f"{dead} events were dead-lettered"
    info = await js.stream_info(STREAM)
    assert info.cluster is not None
    say(
        f"stream: {len(in_stream)} events = every outbox row acknowledged, none twice; "
        f"leader {info.cluster.leader}, followers {_peers(info.cluster.replicas)}; "
        f"dead letters: {dead}"
    )


def _peers(peers: list[PeerInfo] | None) -> str:
    return ", ".join(
        f"{p.name} {'current' if p.current else 'behind'}{' offline' if p.offline else ''}"
        for p in peers or []
    )


async def rejoin(cluster: NatsCluster, js: JetStreamContext, name: str) -> None:
    """The killed node comes back on its own store and catches up: R3 is whole again."""
    cluster.restart(name)

    async def caught_up() -> bool:
        info = await js.stream_info(STREAM)
        peers = info.cluster.replicas if info.cluster is not None else None
        return bool(peers) and len(peers or []) == 2 and all(p.current for p in peers or [])

    await until(f"{name} rejoined and caught up", caught_up, seconds=30)
    info = await js.stream_info(STREAM)
    assert info.cluster is not None
    say(
        f"{name} restarted: leader {info.cluster.leader}, "
        f"followers {_peers(info.cluster.replicas)}; {info.state.messages} events on each"
    )

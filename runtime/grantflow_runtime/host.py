"""Runs one service: database and migrations, NATS, relay, consumers and the gRPC server, with a
graceful stop. Each service only describes itself (a `ServiceDefinition`); this does the rest."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy import MetaData

from grantflow_runtime.bus import connect, ensure_streams
from grantflow_runtime.config import Config
from grantflow_runtime.consumer import EventConsumer, Subscription
from grantflow_runtime.db import Database
from grantflow_runtime.events import source_for
from grantflow_runtime.grpc_server import GrpcServer
from grantflow_runtime.logs import get_logger
from grantflow_runtime.messaging_tables import MessagingTables
from grantflow_runtime.migrations import upgrade
from grantflow_runtime.outbox import Outbox
from grantflow_runtime.relay import OutboxRelay

log = get_logger(__name__)


@dataclass(frozen=True)
class ServiceContext:
    """What a service's wiring gets to build its servicers and handlers from."""

    config: Config
    db: Database
    outbox: Outbox


@dataclass(frozen=True)
class ServiceParts:
    # Adds the servicers to the server and returns their full service names (for health and reflection).
    register: Callable[[grpc.aio.Server], Iterable[str]]
    subscriptions: Sequence[Subscription] = ()
    # Long-running jobs of the service (schedulers...), cancelled on stop.
    background: Sequence[Callable[[], Awaitable[None]]] = field(default_factory=tuple)


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    metadata: MetaData
    messaging: MessagingTables
    migrations: Path
    build: Callable[[ServiceContext], ServiceParts]


class ServiceHost:
    def __init__(
        self, definition: ServiceDefinition, config: Config, *, port: int | None = None
    ) -> None:
        self.definition = definition
        self.config = config
        self.requested_port = config.grpc_ports[definition.name] if port is None else port
        self.db = Database(config.database_url(definition.name), pool_size=config.db_pool_size)
        self.nc: NATS | None = None
        self.js: JetStreamContext | None = None
        self.server: GrpcServer | None = None
        self.relay: OutboxRelay | None = None
        self.consumer: EventConsumer | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._crashed = asyncio.Event()

    @property
    def port(self) -> int:
        assert self.server is not None, "start() first"
        return self.server.port

    async def start(self) -> None:
        d = self.definition
        await upgrade(self.db, d.metadata, d.migrations)
        self.nc = await connect(self.config.nats_url, name=f"grantflow-{d.name}")
        self.js = self.nc.jetstream()
        await ensure_streams(self.js, self.config.stream)
        outbox = Outbox(d.messaging.outbox, source=source_for(d.name))
        parts = d.build(ServiceContext(self.config, self.db, outbox))
        self.server = GrpcServer(
            name=d.name, config=self.config, port=self.requested_port, register=parts.register
        )
        self.relay = OutboxRelay(
            self.db,
            d.messaging.outbox,
            self.js,
            batch=self.config.relay_batch,
            poll_s=self.config.relay_poll_s,
        )
        jobs: list[Callable[[], Awaitable[None]]] = [self.relay.run, *parts.background]
        if parts.subscriptions:
            self.consumer = EventConsumer(
                db=self.db,
                inbox=d.messaging.inbox,
                js=self.js,
                stream=self.config.stream.name,
                durable=d.name,
                subscriptions=parts.subscriptions,
                max_deliver=self.config.consumer_max_deliver,
                ack_wait_s=self.config.consumer_ack_wait_s,
                batch=self.config.consumer_batch,
            )
            await self.consumer.ensure()
            jobs.append(self.consumer.run)
        await self.server.start()
        self._tasks = [
            asyncio.create_task(self._guard(job), name=f"{d.name}:{job}") for job in jobs
        ]
        await self.server.set_serving()
        log.info("service started", port=self.server.port, database=self.db.url.render_as_string())

    async def _guard(self, job: Callable[[], Awaitable[None]]) -> None:
        # A background job that dies takes the service's health down rather than failing silently.
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background job crashed; stopping the service", job=str(job))
            self._crashed.set()

    async def stop(self) -> None:
        """Every step is bounded: a step that overruns (a library ignoring cancellation) is logged
        and left behind, so stopping always finishes."""
        log.info("service stopping")
        # Background jobs first, so nothing depends on the server's stop returning; calls still
        # draining may commit events, which the final flush below hands over.
        for task in self._tasks:
            task.cancel()
        await _bounded(asyncio.gather(*self._tasks, return_exceptions=True), 5, "background jobs")
        if self.server is not None:
            await self.server.stop()
        if self.relay is not None:
            await _bounded(self.relay.publish_pending(), 5, "final outbox flush")
        if self.nc is not None and not self.nc.is_closed:
            # Every publish was awaited to its ack and the consumers are stopped, so nothing is
            # in flight; draining would only wait on the cancelled pull subscriptions.
            await _bounded(self.nc.close(), 5, "closing NATS")
        await _bounded(self.db.dispose(), 5, "closing the database")
        log.info("service stopped")

    async def run_until_signalled(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(self._crashed.wait())]
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        await self.stop()
        if self._crashed.is_set():
            raise SystemExit(1)


def run(definition: ServiceDefinition) -> None:
    """Entry point of a service process."""
    from grantflow_runtime.logs import configure_logging

    config = Config.from_env()
    configure_logging(service=definition.name, log_format=config.log_format, level=config.log_level)
    asyncio.run(ServiceHost(definition, config).run_until_signalled())


async def _bounded(work: Awaitable[object], seconds: float, what: str) -> None:
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        log.warning("shutdown step overran; left behind", step=what, seconds=seconds)
    elif not task.cancelled() and task.exception() is not None:
        log.warning("shutdown step failed", step=what, error=repr(task.exception()))

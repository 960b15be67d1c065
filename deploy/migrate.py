"""Prepares a service for a rollout: migrates its database and provisions the event streams.

    python /opt/grantflow/deploy/migrate.py applications [scoring impact]

Kubernetes runs it as the `migrate` init container of every service pod (deploy/k8s/base), compose
once for all three services before they start (deploy/compose.yaml). Settings are the services'
own (GRANTFLOW_<SERVICE>_DATABASE_URL, GRANTFLOW_NATS_URL, GRANTFLOW_STREAM*), so the step can only
ever touch what the service itself would.

Why a separate step when every service also migrates at start-up:
- it runs before the gRPC server exists, so a long migration is never killed by a liveness probe
  that finds no server listening, and a failed one shows as the pod's failed init container;
- replicas starting together take turns on the same PostgreSQL advisory lock the services use, so
  the first one migrates and the others find the schema at head: the work happens once per rollout;
- it creates the streams while retrying a race the services do not: on a fresh NATS cluster,
  several processes creating the same replicated stream at once leave some requests unanswered
  (measured: 2-4 of 5 concurrent creators time out after 5 s); the stream exists at the next look.
  Once it exists, the services' own create-or-update at start is safe to run concurrently.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import time

import nats.errors
from grantflow_runtime.bus import connect, ensure_streams
from grantflow_runtime.config import SERVICES, Config
from grantflow_runtime.db import Database
from grantflow_runtime.host import ServiceDefinition
from grantflow_runtime.logs import configure_logging, get_logger
from grantflow_runtime.migrations import upgrade

log = get_logger("grantflow.deploy.migrate")

STREAM_ATTEMPTS = 6


def definition(service: str) -> ServiceDefinition:
    found = importlib.import_module(f"grantflow_{service}.app").SERVICE
    assert isinstance(found, ServiceDefinition)
    return found


async def migrate(config: Config, service: str) -> None:
    d = definition(service)
    db = Database(config.database_url(service), pool_size=1)
    try:
        await upgrade(db, d.metadata, d.migrations)
    finally:
        await db.dispose()
    log.info("database at head", migrated=service, database=db.url.render_as_string())


async def provision_streams(config: Config, *, connect_timeout_s: float) -> None:
    # The services' connection keeps trying for ever (right for a long-running process); this
    # step must fail within its deadline instead, so the pod's init container shows the error.
    nc = await asyncio.wait_for(
        connect(config.nats_url, name="grantflow-migrate"), timeout=connect_timeout_s
    )
    try:
        for attempt in range(1, STREAM_ATTEMPTS + 1):
            try:
                await ensure_streams(nc.jetstream(), config.stream)
                break
            except nats.errors.TimeoutError:
                if attempt == STREAM_ATTEMPTS:
                    raise
                log.info("stream creation unanswered; looking again", attempt=attempt)
                await asyncio.sleep(0.5 * attempt)
    finally:
        await nc.close()
    log.info("streams ready", stream=config.stream.name, replicas=config.stream.replicas)


async def prepare(config: Config, services: list[str], *, wait_s: float) -> None:
    """Retried as a whole until `wait_s` has passed: on a first deployment PostgreSQL and NATS may
    still be starting, and every step is idempotent."""
    deadline = time.monotonic() + wait_s
    attempt = 0
    while True:
        attempt += 1
        try:
            for service in services:
                await migrate(config, service)
            left = deadline - time.monotonic()
            await provision_streams(config, connect_timeout_s=min(max(left, 1.0), 10.0))
            return
        except Exception as exc:
            if time.monotonic() > deadline:
                raise
            log.warning("not ready yet; retrying", attempt=attempt, error=repr(exc)[:500])
            await asyncio.sleep(min(2.0 * attempt, 10.0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="migrate.py", description=__doc__.splitlines()[0])
    parser.add_argument("services", nargs="+", choices=SERVICES)
    parser.add_argument(
        "--wait-s",
        type=float,
        default=120.0,
        help="how long to keep retrying while the database or NATS is unreachable",
    )
    args = parser.parse_args(argv)
    config = Config.from_env()
    configure_logging(service="migrate", log_format=config.log_format, level=config.log_level)
    try:
        asyncio.run(prepare(config, list(args.services), wait_s=args.wait_s))
    except Exception:
        log.exception("rollout preparation failed", services=args.services)
        return 1
    log.info("rollout prepared", services=args.services)
    return 0


if __name__ == "__main__":
    sys.exit(main())

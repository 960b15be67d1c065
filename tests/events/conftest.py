"""A running system for the `grantflow events` commands: a real nats-server, the applications and
scoring services in this process, and the command itself in a subprocess (its own event loop;
nats-py called from a sync command inside this test's loop would deadlock)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from google.protobuf.message import Message
from grantflow.applications.v1 import applications_service_pb2 as apps_pb
from grantflow.applications.v1 import applications_service_pb2_grpc as apps_grpc
from grantflow_applications.app import SERVICE as APPLICATIONS
from grantflow_runtime.bus import connect
from grantflow_runtime.config import Config
from grantflow_runtime.events import EventSpec, cloudevent_headers, new_event_id, source_for
from grantflow_runtime.host import ServiceHost
from grantflow_scoring.app import SERVICE as SCORING
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import PubAck

from tests.applications.helpers import competition_message
from tests.conftest import FUNDER, ConfigFactory, ServiceStarter, as_

CLI_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


async def cli(config: Config, *args: str, timeout: float = CLI_TIMEOUT_S) -> Result:
    """Run `grantflow <args>` as its own process against this test's NATS."""
    env = os.environ | {
        "GRANTFLOW_NATS_URL": config.nats_url,
        "GRANTFLOW_STREAM": config.stream.name,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from grantflow_cli.main import cli; cli(prog_name='grantflow')",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return Result(process.returncode or 0, out.decode(), err.decode())


async def publish(
    js: JetStreamContext, spec: EventSpec[Any], message: Message, *, event_id: str | None = None
) -> tuple[str, PubAck]:
    """Publish as the producing service would (what its relay sends), returning the event id."""
    event_id = event_id or new_event_id()
    headers = cloudevent_headers(
        spec,
        event_id=event_id,
        source=source_for(spec.producer),
        time=datetime.now(UTC),
        request_id="test",
    )
    ack = await js.publish(spec.subject, message.SerializeToString(), headers=headers)
    return event_id, ack


async def eventually(condition: Any, timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)


@dataclass
class System:
    config: Config
    nc: NATS
    js: JetStreamContext
    applications: ServiceHost
    scoring: ServiceHost
    competition_id: str


@pytest.fixture
async def system(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> AsyncIterator[System]:
    """Applications and scoring running, one competition opened (its event applied by scoring)."""
    config = await make_config()
    applications, apps_channel = await start_service(APPLICATIONS, config)
    scoring, _ = await start_service(SCORING, config)
    apps = apps_grpc.ApplicationsServiceStub(apps_channel)
    created = await apps.CreateCompetition(
        apps_pb.CreateCompetitionRequest(competition=competition_message()), metadata=as_(FUNDER)
    )
    await apps.OpenCompetition(apps_pb.OpenCompetitionRequest(id=created.id), metadata=as_(FUNDER))
    nc = await connect(config.nats_url, name="test")
    js = nc.jetstream()

    async def scoring_caught_up() -> bool:
        info = await js.consumer_info(config.stream.name, "scoring")
        return bool(info.delivered.stream_seq >= 1 and info.num_ack_pending == 0)

    await eventually(scoring_caught_up)
    try:
        yield System(config, nc, js, applications, scoring, created.id)
    finally:
        await nc.close()


__all__ = ["Result", "System", "cli", "eventually", "publish", "system"]

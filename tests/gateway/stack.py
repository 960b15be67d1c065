"""A whole system for gateway tests: the three services in this process on free ports, and the
gateway served by uvicorn on a real HTTP port, called with httpx and real signed tokens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import httpx
import pytest
import uvicorn
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from grantflow.common.v1 import date_pb2
from grantflow_applications.app import SERVICE as APPLICATIONS
from grantflow_gateway.app import create_app
from grantflow_impact.app import SERVICE as IMPACT
from grantflow_runtime.config import Config
from grantflow_runtime.context import Identity
from grantflow_runtime.host import ServiceHost
from grantflow_runtime.natsserver import free_port
from grantflow_runtime.tokens import TokenKey, key_from_config, mint
from grantflow_scoring.app import SERVICE as SCORING

from tests.conftest import ConfigFactory, ServiceStarter

TEST_SECRET = "gateway-tests-signing-key-0123456789abcdef"


@dataclass
class Stack:
    base_url: str
    config: Config
    key: TokenKey
    http: httpx.AsyncClient
    hosts: dict[str, ServiceHost] = field(default_factory=dict)

    def token(self, who: Identity, **kwargs: Any) -> str:
        return mint(
            self.key,
            subject=who.subject,
            role=who.role,
            organisation_id=who.organisation_id,
            expert_id=who.expert_id,
            **kwargs,
        )

    def auth(self, who: Identity) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(who)}"}

    async def call(
        self,
        who: Identity | None,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
        expect: int | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if who is not None:
            sent.update(self.auth(who))
        response = await self.http.request(method, path, json=json, params=params, headers=sent)
        if expect is not None:
            assert response.status_code == expect, (
                method,
                path,
                response.status_code,
                response.text,
            )
        return response

    async def close_early(self, funder: Identity, competition_id: str, reason: str) -> None:
        """The funder closes a call before its deadline. Tests set deadlines days ahead and close
        once their applications are in: a deadline seconds ahead races a loaded machine (the
        scheduler's own closing is tested with a clock)."""
        await self.call(
            funder,
            "POST",
            f"/v1/competitions/{competition_id}:close",
            json={"earlyCloseReason": reason},
            expect=200,
        )


StackFactory = Callable[..., Awaitable[Stack]]


def as_json(message: Message) -> dict[str, Any]:
    """A request body as a client writes it: the protobuf JSON mapping of a test message."""
    return MessageToDict(message)


def day(value: datetime) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


async def serve(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
    )
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            return server, task
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    raise AssertionError("the gateway did not start")


@pytest.fixture
async def gateway_stack(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> AsyncIterator[StackFactory]:
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    clients: list[httpx.AsyncClient] = []

    async def start(upstreams: dict[str, str] | None = None, **overrides: str) -> Stack:
        """`upstreams` points services elsewhere (a closed port, a server that never answers)."""
        settings = {
            "GRANTFLOW_AUTH_SECRET": TEST_SECRET,
            "GRANTFLOW_GATEWAY_RATE_PER_S": "1000",
            "GRANTFLOW_GATEWAY_RATE_BURST": "1000",
            **overrides,
        }
        base = await make_config(**settings)
        hosts: dict[str, ServiceHost] = {}
        addrs: dict[str, str] = {}
        for definition in (APPLICATIONS, SCORING, IMPACT):
            host, _ = await start_service(definition, base)
            hosts[definition.name] = host
            addrs[definition.name] = f"127.0.0.1:{host.port}"
        config = replace(base, service_addrs={**addrs, **(upstreams or {})})
        port = free_port()
        servers.append(await serve(create_app(config), port))
        base_url = f"http://127.0.0.1:{port}"
        http = httpx.AsyncClient(base_url=base_url, timeout=30)
        clients.append(http)
        return Stack(
            base_url=base_url, config=config, key=key_from_config(config), http=http, hosts=hosts
        )

    yield start
    for client in clients:
        await client.aclose()
    for server, task in servers:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)

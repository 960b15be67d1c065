"""A request id follows a call: echoed in gRPC metadata, bound into logs, carried in event headers;
logs from the standard library render like ours, and personal data never reaches them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from grantflow.applications.v1 import applications_service_pb2 as pb
from grantflow.applications.v1 import applications_service_pb2_grpc as pb_grpc
from grantflow_applications.adapters.tables import messaging
from grantflow_applications.app import SERVICE
from grantflow_runtime.context import bound
from grantflow_runtime.logs import configure_logging, get_logger
from sqlalchemy import select

from tests.applications.helpers import competition_message
from tests.conftest import FUNDER, ConfigFactory, ServiceStarter, as_


@pytest.mark.asyncio
async def test_request_id_is_echoed_and_carried_into_the_event(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> None:
    host, chan = await start_service(SERVICE, await make_config())
    stub = pb_grpc.ApplicationsServiceStub(chan)
    created = await stub.CreateCompetition(
        pb.CreateCompetitionRequest(competition=competition_message()), metadata=as_(FUNDER)
    )
    call = stub.OpenCompetition(
        pb.OpenCompetitionRequest(id=created.id),
        metadata=(*as_(FUNDER), ("x-request-id", "rid-open-1")),
    )
    await call
    assert ("x-request-id", "rid-open-1") in tuple(await call.initial_metadata() or ())
    async with host.db.reading() as session:
        headers = (await session.execute(select(messaging.outbox.c.headers))).scalar_one()
    assert headers["Grantflow-Request-Id"] == "rid-open-1"
    assert headers["ce-type"] == "grantflow.events.v1.CompetitionOpened"
    assert headers["ce-source"] == "grantflow/applications"
    assert headers["ce-id"] == headers["Nats-Msg-Id"]


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging(service="test", log_format="json", level="info")
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    yield stream
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    structlog.reset_defaults()


def test_stdlib_and_structlog_records_render_as_one_json_shape(json_logs: io.StringIO) -> None:
    with bound("rid-42"):
        get_logger("grantflow.test").info("ours", contact_email="person@example.org", amount=5)
        logging.getLogger("grpc._server").warning("theirs %s", "formatted")
    first, second = (json.loads(line) for line in json_logs.getvalue().splitlines())
    assert (
        first["event"] == "ours" and first["request_id"] == "rid-42" and first["service"] == "test"
    )
    assert first["contact_email"] == "[redacted]"
    assert "person@example.org" not in json_logs.getvalue()
    assert second["event"] == "theirs formatted" and second["request_id"] == "rid-42"
    assert second["logger"] == "grpc._server" and second["level"] == "warning"

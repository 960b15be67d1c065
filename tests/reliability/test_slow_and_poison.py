"""Consumers under stress: a handler slower than the ack wait, whose event JetStream redelivers to
another replica while the first is still working, takes effect once; poison messages (one that
cannot be decoded, one whose handler always fails) are dead-lettered with their error after the
bounded deliveries, never dropped, never blocking the events behind them, and each raises an alert
(an error-level log line, the only alerting channel the runtime has)."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from google.protobuf.message import Message
from grantflow.applications.v1 import applications_service_pb2_grpc as apps_grpc
from grantflow.events.v1 import competitions_pb2
from grantflow_applications.app import SERVICE as APPLICATIONS
from grantflow_runtime import catalogue
from grantflow_runtime.bus import connect, dead_letter_stream, dead_letter_subject
from grantflow_runtime.consumer import (
    DLQ_CONSUMER_HEADER,
    DLQ_DELIVERIES_HEADER,
    DLQ_ERROR_HEADER,
    DLQ_SUBJECT_HEADER,
    Subscription,
)
from grantflow_runtime.events import EventEnvelope, EventSpec, cloudevent_headers, source_for
from grantflow_runtime.host import ServiceContext, ServiceDefinition, ServiceParts
from grantflow_scoring.app import SERVICE as SCORING
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import ConfigFactory, ServiceStarter
from tests.reliability.conftest import Processes
from tests.reliability.world import (
    SUBMITTED,
    Store,
    eventually,
    make_drafts,
    open_competition,
    register_organisations,
    submit_until_answered,
)

pytestmark = pytest.mark.asyncio

ACK_WAIT_S = 1.0
SLOW_S = 3.0


@dataclasses.dataclass
class SlowOnce:
    """Wraps scoring's ApplicationSubmitted handler: its first run for the chosen application
    works (inside its transaction) past the ack wait before writing its effect, as a handler
    waiting on something slow would. Meanwhile JetStream redelivers the event to the other
    replica, which applies it; the slow run then finds the effect and the inbox row there."""

    inner: Any
    slow_application: str = ""
    calls: Counter[str] = dataclasses.field(default_factory=Counter)
    busy: bool = False

    async def __call__(self, session: AsyncSession, event: EventEnvelope[Any]) -> None:
        application_id = event.message.application_id
        self.calls[application_id] += 1
        if application_id == self.slow_application and self.calls[application_id] == 1:
            self.busy = True
            try:
                await asyncio.sleep(SLOW_S)
                await self.inner(session, event)
            finally:
                self.busy = False
            return
        await self.inner(session, event)


def with_slow_handler(definition: ServiceDefinition, slow: SlowOnce) -> ServiceDefinition:
    def build(ctx: ServiceContext) -> ServiceParts:
        parts = definition.build(ctx)
        subscriptions = []
        for s in parts.subscriptions:
            if s.spec.subject == SUBMITTED:
                slow.inner = s.handler
                s = Subscription(s.spec, slow)
            subscriptions.append(s)
        return dataclasses.replace(parts, subscriptions=tuple(subscriptions))

    return dataclasses.replace(definition, build=build)


async def dead_letters(js: JetStreamContext, stream: str) -> int:
    try:
        return int((await js.stream_info(dead_letter_stream(stream))).state.messages)
    except NotFoundError:
        return 0


@pytest.mark.timeout(120)
async def test_handler_slower_than_the_ack_wait_is_applied_once(
    make_config: ConfigFactory, start_service: ServiceStarter
) -> None:
    started = time.monotonic()
    config = await make_config(GRANTFLOW_CONSUMER_ACK_WAIT_S=str(ACK_WAIT_S))
    _, apps_channel = await start_service(APPLICATIONS, config)
    apps = apps_grpc.ApplicationsServiceStub(apps_channel)
    slow = SlowOnce(inner=None)
    # Two replicas of scoring bound to one durable consumer: the redelivery of the slow event
    # goes to the replica that is free while the first is still inside the handler.
    definition = with_slow_handler(SCORING, slow)
    await start_service(definition, config)
    await start_service(definition, config)
    scoring = Store(config.database_url("scoring"))
    nc = await connect(config.nats_url, name="reliability-test")
    try:
        competition_id = await open_competition(apps, per_organisation=5)
        owners = await register_organisations(apps, 2)
        drafts = await make_drafts(apps, competition_id, owners, 5)
        slow.slow_application = drafts[0].id
        for draft in drafts:
            outcome = await submit_until_answered(apps, draft, give_up_after_s=10)
            assert outcome.response is not None

        async def all_applied() -> bool:
            n = await scoring.count("SELECT count(*) FROM submitted_applications")
            # Both runs of the slow event have finished: the redelivered one and the slow one.
            return n == len(drafts) and slow.calls[drafts[0].id] >= 2 and not slow.busy

        took = await eventually(all_applied, seconds=30, what="every event applied")
        await asyncio.sleep(ACK_WAIT_S + 0.5)  # a further redelivery would show up by now
        info = await nc.jetstream().consumer_info(config.stream.name, "scoring")
        copies = await scoring.count(
            "SELECT count(*) FROM submitted_applications WHERE application_id = :a",
            a=drafts[0].id,
        )
        inbox = await scoring.inbox("scoring", SUBMITTED)
        letters = await dead_letters(nc.jetstream(), config.stream.name)
        print(
            f"ack wait {ACK_WAIT_S}s, slow handler {SLOW_S}s, 2 replicas: the slow event's "
            f"handler ran {slow.calls[drafts[0].id]} times, its copy has {copies} row; "
            f"{len(drafts)} events applied in {took:.1f}s, inbox {inbox}, "
            f"ack pending {info.num_ack_pending}, "
            f"{letters} dead letters; {time.monotonic() - started:.1f}s"
        )
        assert slow.calls[drafts[0].id] == 2  # the redelivery ran while the slow run was busy
        assert copies == 1
        assert inbox == len(drafts)
        assert letters == 0
        assert info.num_ack_pending == 0 and info.num_pending == 0
    finally:
        await nc.close()
        await scoring.close()


class MissingAlert(AssertionError):
    """A dead letter was written without an error-level log line naming it."""


def publish_headers(spec: EventSpec[Any], event_id: str) -> dict[str, str]:
    return cloudevent_headers(
        spec,
        event_id=event_id,
        source=source_for("reliability-test"),
        time=datetime.now(UTC),
        request_id=f"req-{event_id}",
    )


@pytest.mark.timeout(120)
async def test_poison_messages_are_dead_lettered_with_their_error_and_alerted(
    processes: Processes,
) -> None:
    started = time.monotonic()
    await processes.prepare("scoring")
    scoring_process = processes.make("scoring", GRANTFLOW_CONSUMER_MAX_DELIVER="3")
    await scoring_process.start()
    scoring = Store(processes.urls["scoring"])
    nc = await connect(processes.nats.url, name="reliability-test")
    js = nc.jetstream()
    try:
        garbage_id, failing_id, good_id = (str(uuid.uuid4()) for _ in range(3))
        # 1. Not protobuf at all, on a subject scoring consumes: no retry can make it readable.
        await js.publish(
            SUBMITTED,
            b"\xff\xff\xff not a protobuf message",
            headers=publish_headers(catalogue.APPLICATION_SUBMITTED, garbage_id),
        )
        # 2. Well-formed, but its handler fails every time (a competition scoring never heard
        # of closes): retried with backoff, then dead-lettered after GRANTFLOW_CONSUMER_MAX_DELIVER.
        closed: Message = competitions_pb2.CompetitionClosed(competition_id="never-opened")
        await js.publish(
            catalogue.COMPETITION_CLOSED.subject,
            closed.SerializeToString(),
            headers=publish_headers(catalogue.COMPETITION_CLOSED, failing_id),
        )
        # 3. A good event behind them must not wait for the poison to be dealt with.
        good = catalogue.APPLICATION_SUBMITTED.message(
            application_id="app-after-poison", competition_id="c-1", title="After the poison"
        )
        await js.publish(
            SUBMITTED,
            good.SerializeToString(),
            headers=publish_headers(catalogue.APPLICATION_SUBMITTED, good_id),
        )
        published_at = time.monotonic()

        async def good_applied() -> bool:
            return (
                await scoring.count(
                    "SELECT count(*) FROM submitted_applications WHERE application_id = :a",
                    a="app-after-poison",
                )
                == 1
            )

        good_s = await eventually(good_applied, seconds=10, what="the good event applied")

        async def both_dead_lettered() -> bool:
            return await dead_letters(js, "GRANTFLOW") == 2

        dlq_s = await eventually(both_dead_lettered, seconds=30, what="both poison messages")
        dlq = dead_letter_stream("GRANTFLOW")
        letters = {}
        for subject in (SUBMITTED, catalogue.COMPETITION_CLOSED.subject):
            letter = await js.get_last_msg(dlq, dead_letter_subject("scoring", subject))
            letters[subject] = (letter.headers or {}, letter.data)
        garbage_headers, garbage_data = letters[SUBMITTED]
        failing_headers, failing_data = letters[catalogue.COMPETITION_CLOSED.subject]
        print(
            f"poison: good event behind them applied after {good_s:.1f}s; both dead-lettered "
            f"{time.monotonic() - published_at:.1f}s after publishing (waited {dlq_s:.1f}s)"
        )
        for name, h in (("undecodable", garbage_headers), ("always failing", failing_headers)):
            print(
                f"  {name}: ce-id {h.get('ce-id')}, after {h.get(DLQ_DELIVERIES_HEADER)} "
                f"deliveries, error {h.get(DLQ_ERROR_HEADER, '')[:80]!r}"
            )

        # Kept whole, with the error, the consumer and where it came from.
        assert garbage_data == b"\xff\xff\xff not a protobuf message"
        assert garbage_headers["ce-id"] == garbage_id
        assert garbage_headers[DLQ_ERROR_HEADER].startswith("undecodable")
        assert garbage_headers[DLQ_DELIVERIES_HEADER] == "1"  # no retry can help
        assert garbage_headers[DLQ_CONSUMER_HEADER] == "scoring"
        assert garbage_headers[DLQ_SUBJECT_HEADER] == SUBMITTED
        assert failing_data == closed.SerializeToString()
        assert failing_headers["ce-id"] == failing_id
        assert "LookupError" in failing_headers[DLQ_ERROR_HEADER]
        assert failing_headers[DLQ_DELIVERIES_HEADER] == "3"  # GRANTFLOW_CONSUMER_MAX_DELIVER
        # Nothing left pending or in flight: the poison is out of the way, not stuck.
        info = await js.consumer_info("GRANTFLOW", "scoring")
        assert info.num_ack_pending == 0 and info.num_pending == 0
        # Neither poison took effect.
        assert await scoring.inbox("scoring", SUBMITTED) == 1

        # The alert: an error-level log line naming the event, for each dead letter.
        await asyncio.sleep(0.2)
        errors = [r for r in scoring_process.log_records() if r.get("level") == "error"]
        alerted = {r.get("event_id") for r in errors} | {
            r.get("ce_id") for r in errors if "ce_id" in r
        }
        print(
            f"alerts: {len(errors)} error log lines: "
            f"{[(r.get('event'), r.get('event_id')) for r in errors]}; "
            f"{time.monotonic() - started:.1f}s"
        )
        assert failing_id in alerted, "bounded-retries dead letter not alerted"
        if garbage_id not in alerted:
            raise MissingAlert(
                "the undecodable message was dead-lettered without any log line or alert"
            )
    finally:
        await nc.close()
        await scoring.close()

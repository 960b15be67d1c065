"""Event types, their CloudEvents headers, and decoding of what arrives from JetStream."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from google.protobuf.message import DecodeError, Message

M = TypeVar("M", bound=Message)

CE_SPECVERSION = "1.0"
CONTENT_TYPE = "application/protobuf"
REQUEST_ID_HEADER = "Grantflow-Request-Id"
MSG_ID_HEADER = "Nats-Msg-Id"
# What a consumer adds to an event it dead-letters (runtime/grantflow_runtime/consumer.py).
DLQ_ERROR_HEADER = "Grantflow-Dlq-Error"
DLQ_CONSUMER_HEADER = "Grantflow-Dlq-Consumer"
DLQ_SUBJECT_HEADER = "Grantflow-Dlq-Subject"
DLQ_SEQUENCE_HEADER = "Grantflow-Dlq-Stream-Sequence"
DLQ_DELIVERIES_HEADER = "Grantflow-Dlq-Deliveries"
# On an event sent back from the dead letters (`grantflow events dlq redrive`): where it came from.
REDRIVEN_FROM_HEADER = "Grantflow-Redriven-From"


@dataclass(frozen=True)
class EventSpec(Generic[M]):
    """One kind of event: the subject it is published on, its protobuf message, who produces it."""

    subject: str
    message: type[M]
    producer: str
    meaning: str

    @property
    def type(self) -> str:
        """The CloudEvents type: the message's full protobuf name, versioned by its package."""
        return str(self.message.DESCRIPTOR.full_name)


@dataclass(frozen=True)
class EventEnvelope(Generic[M]):
    """A decoded event with the CloudEvents attributes it arrived with."""

    id: str
    type: str
    source: str
    time: datetime
    subject: str
    request_id: str
    message: M


class UndecodableEvent(Exception):
    """The message cannot be read as the event its headers name; retrying will not help."""


def new_event_id() -> str:
    return str(uuid.uuid4())


def source_for(service: str) -> str:
    """The CloudEvents source of the events a service produces, for example "grantflow/scoring"."""
    return f"grantflow/{service}"


def cloudevent_headers(
    spec: EventSpec[M], *, event_id: str, source: str, time: datetime, request_id: str
) -> dict[str, str]:
    """Headers of the CloudEvents NATS binding (binary mode), plus de-duplication and tracing."""
    return {
        MSG_ID_HEADER: event_id,
        "ce-specversion": CE_SPECVERSION,
        "ce-id": event_id,
        "ce-type": spec.type,
        "ce-source": source,
        "ce-time": time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "content-type": f"{CONTENT_TYPE}; proto={spec.type}",
        REQUEST_ID_HEADER: request_id,
    }


def decode(
    spec: EventSpec[M], subject: str, headers: Mapping[str, str], payload: bytes
) -> EventEnvelope[M]:
    event_id = headers.get("ce-id") or headers.get(MSG_ID_HEADER)
    if not event_id:
        raise UndecodableEvent("no ce-id header")
    ce_type = headers.get("ce-type", "")
    if ce_type != spec.type:
        raise UndecodableEvent(f"ce-type {ce_type!r} is not {spec.type!r}")
    message = spec.message()
    try:
        message.ParseFromString(payload)
    except DecodeError as exc:
        raise UndecodableEvent(f"payload is not a {spec.type}: {exc}") from exc
    try:
        time = datetime.fromisoformat(headers.get("ce-time", "").replace("Z", "+00:00"))
    except ValueError as exc:
        raise UndecodableEvent(
            f"ce-time {headers.get('ce-time')!r} is not an ISO timestamp"
        ) from exc
    return EventEnvelope(
        id=event_id,
        type=ce_type,
        source=headers.get("ce-source", ""),
        time=time,
        subject=subject,
        request_id=headers.get(REQUEST_ID_HEADER, ""),
        message=message,
    )

"""The connection to NATS JetStream and the streams Grantflow provisions (idempotently)."""

from __future__ import annotations

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from grantflow_runtime.config import StreamConfig as StreamSettings
from grantflow_runtime.logs import get_logger

log = get_logger(__name__)

EVENTS_SUBJECTS = "grantflow.>"
DEAD_LETTER_PREFIX = "dlq"


def dead_letter_stream(name: str) -> str:
    return f"{name}_DLQ"


def dead_letter_subject(durable: str, subject: str) -> str:
    """Where a consumer's dead letters go: per consumer, keeping the original subject visible."""
    return f"{DEAD_LETTER_PREFIX}.{durable}.{subject}"


async def connect(url: str, *, name: str) -> NATS:
    async def on_error(exc: Exception) -> None:
        log.warning("nats error", error=str(exc))

    async def on_disconnect() -> None:
        log.warning("nats disconnected")

    async def on_reconnect() -> None:
        log.info("nats reconnected")

    return await nats.connect(
        servers=[u.strip() for u in url.split(",") if u.strip()],
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        error_cb=on_error,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
    )


async def ensure_streams(js: JetStreamContext, settings: StreamSettings) -> None:
    """Create or update the event stream and its dead-letter stream; safe to call from every replica."""
    common = {
        "storage": StorageType.FILE,
        "retention": RetentionPolicy.LIMITS,
        "discard": DiscardPolicy.OLD,
        "num_replicas": settings.replicas,
        "max_age": settings.max_age_s,
        "duplicate_window": settings.duplicate_window_s,
    }
    for config in (
        StreamConfig(
            name=settings.name,
            description="Grantflow domain events",
            subjects=[EVENTS_SUBJECTS],
            **common,  # type: ignore[arg-type]
        ),
        StreamConfig(
            name=dead_letter_stream(settings.name),
            description="Grantflow events that a consumer gave up on, with the error",
            subjects=[f"{DEAD_LETTER_PREFIX}.>"],
            **common,  # type: ignore[arg-type]
        ),
    ):
        try:
            await js.stream_info(config.name or "")
        except NotFoundError:
            await js.add_stream(config)
            log.info("stream created", stream=config.name)
        else:
            await js.update_stream(config)

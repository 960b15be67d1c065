"""The connection to NATS JetStream and the streams Grantflow provisions (idempotently)."""

from __future__ import annotations

import asyncio

import nats
import nats.errors
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import APIError, BadRequestError, NotFoundError

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


class StreamProvisioningError(RuntimeError):
    """The server refused the stream settings (for example, less storage than the cap asks)."""


def dead_letter_max_bytes(events_max_bytes: int) -> int:
    # Dead letters are rare and an operator's work list; a tenth of the events' cap is plenty.
    return max(events_max_bytes // 10, 64 * 2**20)


async def ensure_streams(js: JetStreamContext, settings: StreamSettings) -> None:
    """Create or update the event stream and its dead-letter stream; safe to call from every replica.

    Retention is by age, so a subscriber can replay up to `max_age` back. The byte cap refuses new
    messages rather than dropping old ones (discard NEW): a full stream makes the relays keep
    events in their outboxes and retry, instead of silently losing events nobody has read yet.
    """
    common = {
        "storage": StorageType.FILE,
        "retention": RetentionPolicy.LIMITS,
        "discard": DiscardPolicy.NEW,
        "num_replicas": settings.replicas,
        "max_age": settings.max_age_s,
        "duplicate_window": settings.duplicate_window_s,
    }
    for config in (
        StreamConfig(
            name=settings.name,
            description="Grantflow domain events",
            subjects=[EVENTS_SUBJECTS],
            max_bytes=settings.max_bytes,
            **common,  # type: ignore[arg-type]
        ),
        StreamConfig(
            name=dead_letter_stream(settings.name),
            description="Grantflow events that a consumer gave up on, with the error",
            subjects=[f"{DEAD_LETTER_PREFIX}.>"],
            max_bytes=dead_letter_max_bytes(settings.max_bytes),
            **common,  # type: ignore[arg-type]
        ),
    ):
        try:
            await _create_or_update(js, config)
        except APIError as exc:
            raise StreamProvisioningError(
                f"NATS refused stream {config.name} (max {config.max_bytes} bytes, "
                f"{settings.replicas} replica(s)): {exc.description}; lower "
                "GRANTFLOW_STREAM_MAX_GIB or GRANTFLOW_STREAM_REPLICAS, or give JetStream more "
                "storage"
            ) from exc


# Replicas that start together on a fresh cluster all create the replicated stream at once, and
# the cluster leaves some of those requests unanswered; asking again settles it.
CREATE_ATTEMPTS = 6
STREAM_NAME_IN_USE = 10058  # JetStream's error code


async def _create_or_update(js: JetStreamContext, config: StreamConfig) -> None:
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            try:
                await js.stream_info(config.name or "")
            except NotFoundError:
                await js.add_stream(config)
                log.info("stream created", stream=config.name)
            else:
                await js.update_stream(config)
            return
        except (nats.errors.TimeoutError, BadRequestError) as exc:
            # Another replica may have created it between our info and add: name in use.
            in_use = isinstance(exc, BadRequestError) and exc.err_code == STREAM_NAME_IN_USE
            if attempt == CREATE_ATTEMPTS or not (
                in_use or isinstance(exc, nats.errors.TimeoutError)
            ):
                raise
            log.warning(
                "stream provisioning retried", stream=config.name, attempt=attempt, error=repr(exc)
            )
            await asyncio.sleep(0.5 * attempt)

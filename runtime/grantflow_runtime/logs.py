"""structlog set-up: JSON off a terminal, readable on one, stdlib records rendered the same way."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

# Keys whose values are personal data or secrets; they never reach a log line.
REDACTED_KEYS = frozenset(
    {
        "contact_name",
        "contact_email",
        "contact_phone",
        "email",
        "phone",
        "password",
        "token",
        "authorization",
    }
)


def _redact(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    for key in REDACTED_KEYS.intersection(event_dict):
        event_dict[key] = "[redacted]"
    return event_dict


def configure_logging(*, service: str, log_format: str = "auto", level: str = "info") -> None:
    """Configure structlog and route stdlib logging (grpc, SQLAlchemy, nats) through the same renderer."""
    as_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        # Plain tracebacks: a rich one prints every frame's locals (requests, stored rows with
        # personal data) and takes seconds to render on the event loop.
        else structlog.dev.ConsoleRenderer(
            colors=True, exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if as_json else _keep,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Libraries are chatty at INFO; their warnings still come through, rendered like ours.
    # The database drivers log statements with their parameters (personal data) at DEBUG: never.
    for noisy in ("aiosqlite", "asyncpg"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for noisy in ("sqlalchemy.engine", "alembic.runtime.migration", "nats", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)


def _keep(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    return event_dict


def get_logger(name: str | None = None, **initial: Any) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name, **initial)
    return logger

"""Configuration from environment variables: one table, documented in the README and kept true by a test."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    meaning: str


SERVICES = ("applications", "scoring", "impact")
DEFAULT_GRPC_PORTS = {"applications": 50051, "scoring": 50052, "impact": 50053}

# Every setting the system reads. The README's configuration table is checked against this list.
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "GRANTFLOW_DATA_DIR", ".grantflow", "Folder for SQLite files and the embedded NATS store."
    ),
    Setting("GRANTFLOW_NATS_URL", "nats://127.0.0.1:4222", "NATS server(s), comma-separated."),
    Setting(
        "GRANTFLOW_NATS_EMBEDDED",
        "auto",
        "`make run` only: `auto` starts nats-server from the wheel when none answers at the URL; "
        "`never` requires a running one.",
    ),
    Setting("GRANTFLOW_STREAM", "GRANTFLOW", "JetStream stream holding every `grantflow.>` event."),
    Setting("GRANTFLOW_STREAM_REPLICAS", "1", "Stream replicas (3 on a NATS cluster)."),
    Setting("GRANTFLOW_STREAM_MAX_AGE_DAYS", "365", "How long events stay replayable."),
    Setting("GRANTFLOW_STREAM_DUPLICATE_WINDOW_S", "7200", "JetStream de-duplication window."),
    Setting(
        "GRANTFLOW_STREAM_MAX_GIB",
        "10",
        "Storage cap of the event stream (the dead-letter stream gets a tenth); when full, "
        "publishing waits in the outboxes rather than dropping unread events. See docs/events.md.",
    ),
    *(
        Setting(
            f"GRANTFLOW_{svc.upper()}_DATABASE_URL",
            f"sqlite+aiosqlite:///<data dir>/{svc}.db",
            f"SQLAlchemy async URL of the {svc} service's own database "
            "(`postgresql+asyncpg://...` at scale).",
        )
        for svc in SERVICES
    ),
    *(
        Setting(
            f"GRANTFLOW_{svc.upper()}_GRPC_PORT",
            str(DEFAULT_GRPC_PORTS[svc]),
            f"gRPC port of the {svc} service.",
        )
        for svc in SERVICES
    ),
    *(
        Setting(
            f"GRANTFLOW_{svc.upper()}_ADDR",
            f"127.0.0.1:{DEFAULT_GRPC_PORTS[svc]}",
            f"Where the gateway and other clients reach the {svc} service.",
        )
        for svc in SERVICES
    ),
    Setting(
        "GRANTFLOW_GRPC_HOST",
        "127.0.0.1",
        "Address the gRPC servers bind to (`0.0.0.0` in containers).",
    ),
    Setting("GRANTFLOW_GATEWAY_HOST", "127.0.0.1", "Address the HTTP gateway binds to."),
    Setting("GRANTFLOW_GATEWAY_PORT", "8080", "HTTP port of the gateway."),
    Setting(
        "GRANTFLOW_AUTH_SECRET",
        "",
        "Key that signs bearer tokens (HS256, at least 32 bytes); empty: a development key kept "
        "in `<data dir>/dev-signing.key`, created on first use. Set it from a secret at scale.",
    ),
    Setting("GRANTFLOW_AUTH_ISSUER", "grantflow-dev", "Required `iss` of bearer tokens."),
    Setting("GRANTFLOW_AUTH_AUDIENCE", "grantflow", "Required `aud` of bearer tokens."),
    Setting(
        "GRANTFLOW_AUTH_LEEWAY_S", "30", "Clock skew tolerated on token expiry and not-before."
    ),
    Setting(
        "GRANTFLOW_GATEWAY_MAX_BODY_BYTES",
        "1048576",
        "Largest HTTP request body the gateway reads.",
    ),
    Setting(
        "GRANTFLOW_GATEWAY_MAX_PAGE_SIZE", "500", "Largest `pageSize` a list call may ask for."
    ),
    Setting(
        "GRANTFLOW_GATEWAY_RATE_PER_S",
        "50",
        "Requests per second each token (or client address, without one) may sustain.",
    ),
    Setting("GRANTFLOW_GATEWAY_RATE_BURST", "100", "Requests a token may make at once."),
    Setting(
        "GRANTFLOW_GATEWAY_UPSTREAM_TIMEOUT_S",
        "10",
        "Deadline of every gRPC call the gateway makes; past it the answer is 504.",
    ),
    Setting(
        "GRANTFLOW_LOG_FORMAT",
        "auto",
        "`json`, `console`, or `auto` (console on a terminal, JSON otherwise).",
    ),
    Setting("GRANTFLOW_LOG_LEVEL", "info", "Lowest level logged."),
    Setting("GRANTFLOW_MAX_MESSAGE_BYTES", "4194304", "Largest gRPC message accepted or sent."),
    Setting(
        "GRANTFLOW_MAX_CONCURRENT_RPCS",
        "256",
        "RPCs a server process runs at once; more get RESOURCE_EXHAUSTED.",
    ),
    Setting(
        "GRANTFLOW_SHUTDOWN_GRACE_S", "10", "Seconds in-flight calls get to finish on SIGTERM."
    ),
    Setting("GRANTFLOW_DB_POOL_SIZE", "10", "PostgreSQL connections per process."),
    Setting(
        "GRANTFLOW_RELAY_BATCH",
        "256",
        "Outbox rows a relay publishes per round, acks awaited together.",
    ),
    Setting(
        "GRANTFLOW_RELAY_POLL_S", "1.0", "Relay's fallback poll interval; commits wake it at once."
    ),
    Setting(
        "GRANTFLOW_CONSUMER_MAX_DELIVER",
        "5",
        "Deliveries of a failing event before it is dead-lettered.",
    ),
    Setting(
        "GRANTFLOW_CONSUMER_BATCH",
        "32",
        "Events a consumer fetches at once; smaller spreads a burst across replicas.",
    ),
    Setting(
        "GRANTFLOW_CONSUMER_ACK_WAIT_S",
        "30",
        "Seconds a handler has before its event is redelivered.",
    ),
)

_DEFAULTS = {s.name: s.default for s in SETTINGS}


class ConfigError(ValueError):
    """A setting has a value the system cannot use."""


@dataclass(frozen=True)
class StreamConfig:
    name: str
    replicas: int
    max_age_s: float
    duplicate_window_s: float
    max_bytes: int


@dataclass(frozen=True)
class AuthConfig:
    # Empty: the gateway uses (and creates) a development key in the data folder.
    secret: str
    issuer: str
    audience: str
    leeway_s: float


@dataclass(frozen=True)
class GatewayLimits:
    max_body_bytes: int
    max_page_size: int
    rate_per_s: float
    rate_burst: int
    upstream_timeout_s: float


@dataclass(frozen=True)
class Config:
    data_dir: Path
    nats_url: str
    nats_embedded: str
    stream: StreamConfig
    database_urls: Mapping[str, str]
    grpc_host: str
    grpc_ports: Mapping[str, int]
    service_addrs: Mapping[str, str]
    gateway_host: str
    gateway_port: int
    auth: AuthConfig
    gateway_limits: GatewayLimits
    log_format: str
    log_level: str
    max_message_bytes: int
    max_concurrent_rpcs: int
    shutdown_grace_s: float
    db_pool_size: int
    relay_batch: int
    relay_poll_s: float
    consumer_max_deliver: int
    consumer_ack_wait_s: float
    consumer_batch: int

    def database_url(self, service: str) -> str:
        return self.database_urls[service]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ

        def raw(name: str) -> str:
            value = env.get(name)
            return value if value else _DEFAULTS[name]

        def integer(name: str, minimum: int = 0) -> int:
            try:
                value = int(raw(name))
            except ValueError as exc:
                raise ConfigError(f"{name} must be a whole number, got {raw(name)!r}") from exc
            if value < minimum:
                raise ConfigError(f"{name} must be at least {minimum}, got {value}")
            return value

        def number(name: str) -> float:
            try:
                value = float(raw(name))
            except ValueError as exc:
                raise ConfigError(f"{name} must be a number, got {raw(name)!r}") from exc
            if value <= 0:
                raise ConfigError(f"{name} must be positive, got {value}")
            return value

        def choice(name: str, allowed: tuple[str, ...]) -> str:
            value = raw(name).lower()
            if value not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
            return value

        data_dir = Path(raw("GRANTFLOW_DATA_DIR")).expanduser().resolve()
        database_urls = {}
        for svc in SERVICES:
            name = f"GRANTFLOW_{svc.upper()}_DATABASE_URL"
            database_urls[svc] = env.get(name) or f"sqlite+aiosqlite:///{data_dir / f'{svc}.db'}"
        return cls(
            data_dir=data_dir,
            nats_url=raw("GRANTFLOW_NATS_URL"),
            nats_embedded=choice("GRANTFLOW_NATS_EMBEDDED", ("auto", "never")),
            stream=StreamConfig(
                name=raw("GRANTFLOW_STREAM"),
                replicas=integer("GRANTFLOW_STREAM_REPLICAS", 1),
                max_age_s=integer("GRANTFLOW_STREAM_MAX_AGE_DAYS", 1) * 86400.0,
                duplicate_window_s=number("GRANTFLOW_STREAM_DUPLICATE_WINDOW_S"),
                max_bytes=integer("GRANTFLOW_STREAM_MAX_GIB", 1) * 2**30,
            ),
            database_urls=database_urls,
            grpc_host=raw("GRANTFLOW_GRPC_HOST"),
            grpc_ports={svc: integer(f"GRANTFLOW_{svc.upper()}_GRPC_PORT") for svc in SERVICES},
            service_addrs={svc: raw(f"GRANTFLOW_{svc.upper()}_ADDR") for svc in SERVICES},
            gateway_host=raw("GRANTFLOW_GATEWAY_HOST"),
            gateway_port=integer("GRANTFLOW_GATEWAY_PORT"),
            auth=AuthConfig(
                secret=env.get("GRANTFLOW_AUTH_SECRET", ""),
                issuer=raw("GRANTFLOW_AUTH_ISSUER"),
                audience=raw("GRANTFLOW_AUTH_AUDIENCE"),
                leeway_s=number("GRANTFLOW_AUTH_LEEWAY_S"),
            ),
            gateway_limits=GatewayLimits(
                max_body_bytes=integer("GRANTFLOW_GATEWAY_MAX_BODY_BYTES", 1024),
                max_page_size=integer("GRANTFLOW_GATEWAY_MAX_PAGE_SIZE", 1),
                rate_per_s=number("GRANTFLOW_GATEWAY_RATE_PER_S"),
                rate_burst=integer("GRANTFLOW_GATEWAY_RATE_BURST", 1),
                upstream_timeout_s=number("GRANTFLOW_GATEWAY_UPSTREAM_TIMEOUT_S"),
            ),
            log_format=choice("GRANTFLOW_LOG_FORMAT", ("auto", "json", "console")),
            log_level=choice("GRANTFLOW_LOG_LEVEL", ("debug", "info", "warning", "error")),
            max_message_bytes=integer("GRANTFLOW_MAX_MESSAGE_BYTES", 1024),
            max_concurrent_rpcs=integer("GRANTFLOW_MAX_CONCURRENT_RPCS", 1),
            shutdown_grace_s=number("GRANTFLOW_SHUTDOWN_GRACE_S"),
            db_pool_size=integer("GRANTFLOW_DB_POOL_SIZE", 1),
            relay_batch=integer("GRANTFLOW_RELAY_BATCH", 1),
            relay_poll_s=number("GRANTFLOW_RELAY_POLL_S"),
            consumer_max_deliver=integer("GRANTFLOW_CONSUMER_MAX_DELIVER", 1),
            consumer_ack_wait_s=number("GRANTFLOW_CONSUMER_ACK_WAIT_S"),
            consumer_batch=integer("GRANTFLOW_CONSUMER_BATCH", 1),
        )

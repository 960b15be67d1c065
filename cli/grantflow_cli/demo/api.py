"""The demo's callers: one `Gateway` per identity with a development token, paced below the
gateway's per-token rate limit, retried when the gateway says "too many requests" (nothing happened
then, so any call may be repeated), and counted, so a second run can prove it wrote nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from grantflow_runtime.context import Role

from grantflow_cli.client import ApiError, Gateway, dev_token

T = TypeVar("T")

# The gateway allows 50 requests a second per token by default; staying under it avoids 429s.
RATE_PER_S = 40.0
RETRIES_429 = 30
RETRIES_UNAVAILABLE = 5


class Pacer:
    """A token bucket shared by the threads calling as one identity."""

    def __init__(self, rate_per_s: float) -> None:
        self.rate = rate_per_s
        self.tokens = rate_per_s
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                pause = (1 - self.tokens) / self.rate
            time.sleep(pause)


@dataclass
class Counters:
    writes: int = 0
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, *, write: bool) -> None:
        with self.lock:
            self.calls += 1
            self.writes += int(write)


class Caller:
    """One identity's view of the API."""

    def __init__(self, gateway: Gateway, pacer: Pacer, counters: Counters) -> None:
        self.gateway = gateway
        self.pacer = pacer
        self.counters = counters

    def _call(self, do: Callable[[], T], *, write: bool, retry_unavailable: bool) -> T:
        attempt = 0
        while True:
            self.pacer.wait()
            try:
                result = do()
            except ApiError as exc:
                attempt += 1
                if exc.status == 429 and attempt < RETRIES_429:
                    time.sleep(min(2.0, 0.1 * attempt))
                    continue
                if exc.status == 503 and retry_unavailable and attempt < RETRIES_UNAVAILABLE:
                    time.sleep(0.5 * attempt)
                    continue
                raise
            self.counters.add(write=write)
            return result

    def get(self, path: str, **params: Any) -> Any:
        return self._call(
            lambda: self.gateway.get(path, **params), write=False, retry_unavailable=True
        )

    def pages(self, path: str, items: str, **params: Any) -> list[dict[str, Any]]:
        return self._call(
            lambda: self.gateway.pages(path, items, **params), write=False, retry_unavailable=True
        )

    def post(
        self, path: str, body: Any = None, *, key: str | None = None, write: bool = True
    ) -> Any:
        """`key` is the Idempotency-Key of a create or submit, which makes a retry safe; a dry run
        or a replayed decision passes write=False."""
        return self._call(
            lambda: self.gateway.post(path, body, idempotency_key=key),
            write=write,
            retry_unavailable=key is not None or not write,
        )

    def put(self, path: str, body: Any) -> Any:
        # Saving a draft replaces it: repeating it changes nothing.
        return self._call(
            lambda: self.gateway.request("PUT", path, json=body), write=True, retry_unavailable=True
        )

    def patch(self, path: str, body: Any, **params: Any) -> Any:
        return self._call(
            lambda: self.gateway.request("PATCH", path, json=body, params=params),
            write=True,
            retry_unavailable=False,
        )


class Api:
    """Callers by identity, each with a development token signed with the local key."""

    def __init__(self, base_url: str, *, rate_per_s: float = RATE_PER_S) -> None:
        self.base_url = base_url.rstrip("/")
        self.rate = rate_per_s
        self.counters = Counters()
        self._callers: dict[tuple[str, str, str, str], Caller] = {}
        self._lock = threading.Lock()

    def as_(self, role: Role, subject: str, *, org: str = "", expert: str = "") -> Caller:
        key = (role.value, subject, org, expert)
        with self._lock:
            found = self._callers.get(key)
            if found is None:
                token = dev_token(role, subject, organisation_id=org, expert_id=expert)
                # Pacing is per subject, as the gateway counts it, whatever the token's claims.
                pacer = next(
                    (c.pacer for k, c in self._callers.items() if k[1] == subject),
                    Pacer(self.rate),
                )
                found = Caller(Gateway(self.base_url, token), pacer, self.counters)
                self._callers[key] = found
            return found

    @contextmanager
    def session(self, role: Role, subject: str, *, org: str = "") -> Iterator[Caller]:
        """A caller for a few requests, closed afterwards: there is one applicant per
        organisation, and each `Gateway` holds its own connection pool and TLS context."""
        token = dev_token(role, subject, organisation_id=org)
        caller = Caller(Gateway(self.base_url, token), Pacer(self.rate), self.counters)
        try:
            yield caller
        finally:
            caller.gateway.close()

    def close(self) -> None:
        with self._lock:
            for caller in self._callers.values():
                caller.gateway.close()
            self._callers.clear()


def wait_until(
    probe: Callable[[], T | None], *, what: str, timeout_s: float = 60.0, every_s: float = 0.25
) -> T:
    """Poll until `probe` answers; events cross services asynchronously."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(every_s)

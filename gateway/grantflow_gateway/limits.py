"""Request limits at the edge: a token bucket per caller, and a body read that stops at a cap."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from grantflow_gateway.problems import Problem


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets keyed by caller: `rate` requests a second sustained, `burst` at once.

    Buckets live in this process; with several gateway replicas each enforces its own share,
    which bounds a caller at replicas x rate. The least recently seen callers are forgotten
    first once `max_keys` are tracked, so a flood of fresh keys cannot grow memory.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str) -> float:
        """0 when the call may go ahead; otherwise the seconds until it could."""
        now = self.clock()
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.burst), updated=now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        self._buckets[key] = bucket
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def check(self, key: str) -> None:
        wait = self.take(key)
        if wait > 0:
            raise Problem(
                429,
                "too many requests; slow down",
                reason="RATE_LIMITED",
                code="RESOURCE_EXHAUSTED",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )


async def read_capped(
    declared_length: str | None, chunks: AsyncIterator[bytes], limit: int
) -> bytes:
    """The whole body, or 413 as soon as it is known to exceed `limit` bytes."""
    too_large = Problem(
        413,
        f"the request body exceeds {limit} bytes",
        reason="BODY_TOO_LARGE",
        code="RESOURCE_EXHAUSTED",
    )
    if declared_length is not None:
        try:
            if int(declared_length) > limit:
                raise too_large
        except ValueError:
            raise Problem(
                400, "Content-Length is not a number", reason="MALFORMED_REQUEST"
            ) from None
    body = bytearray()
    async for chunk in chunks:
        body.extend(chunk)
        if len(body) > limit:
            raise too_large
    return bytes(body)

"""Driving calls with a fixed number in flight, and the statistics the tables show."""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

# A call is given its index, so every call can act on its own object (a distinct draft).
Call = Callable[[int], Awaitable[object]]


@dataclass(frozen=True)
class Sample:
    """One measurement: `calls` calls with `in_flight` at once."""

    calls: int
    errors: int
    seconds: float
    calls_per_s: float
    p50_ms: float
    p99_ms: float
    first_error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile of already sorted values (no interpolation)."""
    if not values:
        return float("nan")
    index = max(0, min(len(values) - 1, math.ceil(q * len(values)) - 1))
    return values[index]


async def drive(call: Call, *, calls: int, in_flight: int, seconds: float | None = None) -> Sample:
    """Make up to `calls` calls, indices 0..calls-1, keeping `in_flight` outstanding, and start
    no new call after `seconds`. The count bounds how many drafts a measurement may use; the time
    bounds how long a fast path runs."""
    latencies: list[float] = []
    errors = 0
    first_error = ""
    next_index = 0
    stop_at = time.perf_counter() + seconds if seconds is not None else float("inf")

    async def worker() -> None:
        nonlocal next_index, errors, first_error
        while next_index < calls and time.perf_counter() < stop_at:
            index = next_index
            next_index += 1
            began = time.perf_counter()
            try:
                await call(index)
            except Exception as exc:  # counted and shown, never silently dropped
                errors += 1
                first_error = first_error or repr(exc)[:300]
                continue
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    took = time.perf_counter() - began
    latencies.sort()
    return Sample(
        calls=len(latencies),
        errors=errors,
        seconds=took,
        calls_per_s=len(latencies) / took,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        first_error=first_error,
    )


@dataclass(frozen=True)
class Spread:
    """A figure measured in several interleaved rounds: the median and the range."""

    median: float
    low: float
    high: float
    values: tuple[float, ...]

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values), tuple(values))

    def as_dict(self) -> dict[str, Any]:
        return {"median": self.median, "low": self.low, "high": self.high, "values": self.values}

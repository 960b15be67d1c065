"""Tools for the resource-limit tests: this process's memory, raw HTTP requests whose body is
produced lazily (so a test can offer 100 MB without holding it), and protobuf encoded by hand
(so a million repeated fields cost one bytes object, not a million Python messages)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def memory_kib() -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak since the last reset) of this process, in KiB; {} off Linux."""
    if not _STATUS.exists():
        return {}
    found = {}
    for line in _STATUS.read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def reset_peak() -> None:
    """Start a new peak-RSS measurement (Linux: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError):
        _CLEAR_REFS.write_text("5")


@dataclass(frozen=True)
class MemoryUse:
    before_kib: int
    peak_kib: int

    @property
    def growth_mib(self) -> float:
        return (self.peak_kib - self.before_kib) / 1024

    def __str__(self) -> str:
        if not self.before_kib:
            return "memory not measurable here"
        return f"RSS {self.before_kib / 1024:.0f} MiB, peak +{self.growth_mib:.0f} MiB"


class PeakMemory:
    """Peak RSS growth of this process (services and gateway run in it) while a block runs."""

    def __enter__(self) -> PeakMemory:
        reset_peak()
        self.before = memory_kib().get("VmRSS", 0)
        return self

    def __exit__(self, *_: object) -> None:
        self.use = MemoryUse(self.before, memory_kib().get("VmHWM", 0))


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    sent_bytes: int
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


async def raw_post(
    port: int,
    path: str,
    token: str,
    chunks: Iterable[bytes],
    *,
    declared_length: int | None = None,
    timeout: float = 60.0,
) -> RawResponse:
    """POST a body made of `chunks` over a plain socket, chunked unless `declared_length` is
    given, and stop sending as soon as the answer starts: how much was sent by then is part of
    the result. The server runs on this event loop, so every chunk yields to it."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    framing = (
        f"Content-Length: {declared_length}" if declared_length is not None
        else "Transfer-Encoding: chunked"
    )  # fmt: skip
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n"
    )
    writer.write(head.encode())
    answer = asyncio.create_task(reader.readuntil(b"\r\n\r\n"))
    sent = 0
    try:
        for chunk in chunks:
            if answer.done():
                break
            framed = chunk if declared_length is not None else _chunk(chunk)
            writer.write(framed)
            await writer.drain()
            sent += len(chunk)
            await asyncio.sleep(0)
        else:
            if declared_length is None:
                writer.write(b"0\r\n\r\n")
                await writer.drain()
    except (ConnectionError, OSError):
        pass  # the server closed the connection on us: the answer says why
    try:
        raw_head = await asyncio.wait_for(answer, timeout)
        lines = raw_head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        body = await asyncio.wait_for(
            reader.readexactly(int(headers.get("content-length", "0"))), timeout
        )
    finally:
        writer.close()
    return RawResponse(status, headers, body, sent, time.perf_counter() - started)


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def json_with_many(prefix: dict[str, Any], field: str, item: dict[str, Any], count: int,
                   *, per_chunk: int = 2000) -> Iterator[bytes]:  # fmt: skip
    """`prefix` as a JSON object with `field` holding `count` copies of `item`, lazily."""
    head = json.dumps(prefix)[:-1]
    yield f'{head}, "{field}": ['.encode()
    one = json.dumps(item).encode()
    for start in range(0, count, per_chunk):
        n = min(per_chunk, count - start)
        lead = b"" if start == 0 else b","
        yield lead + b",".join([one] * n)
    yield b"]}"


# ---- protobuf by hand ----


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def length_delimited(field_number: int, payload: bytes) -> bytes:
    """One field of wire type 2 (a string, bytes or an embedded message)."""
    return varint(field_number << 3 | 2) + varint(len(payload)) + payload

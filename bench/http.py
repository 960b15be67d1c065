"""A minimal HTTP/1.1 keep-alive client for driving the gateway.

The load generator shares two cores with what it measures, so it must cost little: httpx spends
more CPU per request than the gateway's own routing, which would make the gateway look slower
than it is. One connection per call in flight, requests written as bytes, responses read by
Content-Length (the gateway's JSON and problem responses always carry it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


class HttpError(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(f"HTTP {response.status}: {response.body[:300]!r}")
        self.response = response


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def request(self, raw: bytes) -> Response:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "transfer-encoding":
                raise RuntimeError("chunked responses are not expected from the gateway")
        body = await self.reader.readexactly(length) if length else b""
        return Response(status, body)


class HttpPool:
    """`size` persistent connections to one host; a call takes one and gives it back."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host = host
        self.port = port
        self.size = size
        self._idle: asyncio.Queue[_Connection] = asyncio.Queue()
        self._all: list[_Connection] = []

    async def __aenter__(self) -> HttpPool:
        for _ in range(self.size):
            reader, writer = await asyncio.open_connection(self.host, self.port)
            connection = _Connection(reader, writer)
            self._all.append(connection)
            self._idle.put_nowait(connection)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for connection in self._all:
            connection.writer.close()
        for connection in self._all:
            with contextlib.suppress(OSError):
                await connection.writer.wait_closed()

    async def request(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes = b""
    ) -> Response:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        connection = await self._idle.get()
        try:
            response = await connection.request(raw)
        except BaseException:
            # A half-read response leaves the stream out of step: replace the connection.
            connection.writer.close()
            reader, writer = await asyncio.open_connection(self.host, self.port)
            self._all.append(_Connection(reader, writer))
            self._idle.put_nowait(self._all[-1])
            raise
        self._idle.put_nowait(connection)
        return response

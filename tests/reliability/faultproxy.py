"""A small TCP fault proxy for the reliability tests: it stands on loopback between a client (a
service) and a server (nats-server, PostgreSQL...) and, on command, breaks the link between them.

Modes:
- PASS: bytes flow both ways untouched.
- DOWN: the listening socket is closed, so new connections are refused by the kernel, and every
  open connection is closed (FIN), as when a network path or a server goes away.
- LATENCY: every chunk is held for `latency_s` before it is forwarded, in order, in both directions.
- RESET: open connections are reset (RST) and new ones are accepted and reset at once, as a
  middlebox that drops a connection's state does.

Every fault injected and every byte forwarded is counted in `stats`, so a test can print what it
did. No package offers this on the machine; it is small enough to own."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

CHUNK = 64 * 1024


class Mode(StrEnum):
    PASS = "pass"
    DOWN = "down"
    LATENCY = "latency"
    RESET = "reset"


@dataclass
class ProxyStats:
    accepted: int = 0
    # Connections accepted while in RESET mode and reset before a byte passed.
    reset_on_accept: int = 0
    # Open connections ended by a fault: closed (DOWN) or reset (RESET).
    closed_by_fault: int = 0
    reset_by_fault: int = 0
    # The upstream refused or could not be reached: the client's connection is reset.
    upstream_failures: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    delayed_chunks: int = 0
    # (seconds since start, mode) for every change, the first being the start in PASS.
    modes: list[tuple[float, Mode]] = field(default_factory=list)

    def summary(self) -> str:
        changes = " -> ".join(f"{m.value}@{t:.1f}s" for t, m in self.modes)
        return (
            f"proxy: {self.accepted} connections accepted, {self.reset_on_accept} reset on accept, "
            f"{self.closed_by_fault} closed and {self.reset_by_fault} reset by faults, "
            f"{self.upstream_failures} upstream failures, {self.delayed_chunks} chunks delayed, "
            f"{self.bytes_up} bytes up / {self.bytes_down} down; modes {changes}"
        )


def _reset(writer: asyncio.StreamWriter) -> None:
    """Abort with SO_LINGER 0, so the kernel sends RST instead of the orderly FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@dataclass(eq=False)
class _Link:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def close(self) -> None:
        for writer in (self.client, self.upstream):
            writer.close()

    def reset(self) -> None:
        for writer in (self.client, self.upstream):
            _reset(writer)


class FaultProxy:
    """`async with FaultProxy(host, port) as proxy:` forwards `proxy.port` to `host:port`."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_s: float = 0.2,
    ) -> None:
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("the fault proxy listens on loopback only")
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.host = host
        self.port = port
        self.latency_s = latency_s
        self.mode = Mode.PASS
        self.stats = ProxyStats()
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._started = time.monotonic()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def open_links(self) -> int:
        return len(self._links)

    async def __aenter__(self) -> FaultProxy:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def start(self) -> None:
        self._started = time.monotonic()
        await self._listen()
        self.stats.modes.append((0.0, Mode.PASS))

    async def stop(self) -> None:
        await self._close_listener()
        for link in list(self._links):
            link.close()
        tasks = [task for link in list(self._links) for task in link.tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._links.clear()

    async def set_mode(self, mode: Mode) -> None:
        """Switch mode; faults act on open connections at once, not only on new ones."""
        self.mode = mode
        self.stats.modes.append((time.monotonic() - self._started, mode))
        if mode is Mode.DOWN:
            await self._close_listener()
            for link in list(self._links):
                self.stats.closed_by_fault += 1
                link.close()
        elif mode is Mode.RESET:
            await self._listen()
            for link in list(self._links):
                self.stats.reset_by_fault += 1
                link.reset()
        else:
            await self._listen()

    async def _listen(self) -> None:
        if self._server is not None:
            return
        # reuse_address: the port is taken again after DOWN even with connections in TIME_WAIT.
        self._server = await asyncio.start_server(
            self._accept, self.host, self.port, reuse_address=True
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _close_listener(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            server.close()
            # Python 3.12 waits here for open connections too; they are closed by the caller.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 1.0)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.accepted += 1
        if self.mode is Mode.RESET:
            self.stats.reset_on_accept += 1
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except OSError:
            self.stats.upstream_failures += 1
            _reset(writer)
            return
        if self.mode is Mode.DOWN:
            # The link went down while this connection was being set up.
            self.stats.closed_by_fault += 1
            up_writer.close()
            writer.close()
            return
        link = _Link(client=writer, upstream=up_writer)
        self._links.add(link)
        link.tasks = [
            asyncio.create_task(self._pump(reader, up_writer, upstream=True)),
            asyncio.create_task(self._pump(up_reader, writer, upstream=False)),
        ]
        try:
            # One direction ending (EOF, reset, fault) ends the link: half-open links would only
            # hide a fault from the side that did not see it.
            await asyncio.wait(link.tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in link.tasks:
                task.cancel()
            await asyncio.gather(*link.tasks, return_exceptions=True)
            link.close()
            self._links.discard(link)

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        """Read chunks and forward them; in LATENCY each chunk waits until its due time, while
        reading goes on, so the link is delayed rather than throttled."""
        queue: deque[tuple[float, bytes]] = deque()
        ready = asyncio.Event()
        finished = False

        async def forward() -> None:
            while True:
                while not queue:
                    if finished:
                        return
                    ready.clear()
                    await ready.wait()
                due, data = queue.popleft()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()

        sender = asyncio.create_task(forward())
        reading: asyncio.Future[bytes] | None = None
        try:
            while True:
                reading = asyncio.ensure_future(reader.read(CHUNK))
                await asyncio.wait({reading, sender}, return_when=asyncio.FIRST_COMPLETED)
                if not reading.done():
                    # The sending side failed (peer gone): stop reading.
                    reading.cancel()
                    break
                data = reading.result()
                if not data:
                    break
                if upstream:
                    self.stats.bytes_up += len(data)
                else:
                    self.stats.bytes_down += len(data)
                delay = self.latency_s if self.mode is Mode.LATENCY else 0.0
                if delay:
                    self.stats.delayed_chunks += 1
                queue.append((time.monotonic() + delay, data))
                ready.set()
        except (ConnectionError, OSError):
            pass
        finally:
            if reading is not None and not reading.done():
                reading.cancel()
            finished = True
            ready.set()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError, OSError):
                if not sender.done():
                    # Let delayed bytes already read reach the peer, but not for ever.
                    await asyncio.wait({sender}, timeout=self.latency_s + 1.0)
            sender.cancel()
            with contextlib.suppress(BaseException):
                await sender

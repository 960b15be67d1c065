"""The fault proxy itself, against an echo server: each mode does what the fault tests rely on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from tests.reliability.faultproxy import FaultProxy, Mode

pytestmark = pytest.mark.asyncio


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@pytest.fixture
async def proxy() -> AsyncIterator[FaultProxy]:
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = int(server.sockets[0].getsockname()[1])
    try:
        async with FaultProxy("127.0.0.1", port, latency_s=0.3) as p:
            yield p
    finally:
        server.close()


async def roundtrip(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes
) -> bytes:
    writer.write(data)
    await writer.drain()
    return await asyncio.wait_for(reader.readexactly(len(data)), 5)


async def test_pass_forwards_both_ways(proxy: FaultProxy) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    assert await roundtrip(reader, writer, b"hello") == b"hello"
    writer.close()
    assert proxy.stats.bytes_up == proxy.stats.bytes_down == 5


async def test_down_refuses_and_closes_then_heals_on_the_same_port(proxy: FaultProxy) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    await roundtrip(reader, writer, b"x")
    port = proxy.port
    await proxy.set_mode(Mode.DOWN)
    assert await asyncio.wait_for(reader.read(1), 5) == b""  # the open connection sees EOF
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)
    await proxy.set_mode(Mode.PASS)
    assert proxy.port == port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    assert await roundtrip(reader, writer, b"again") == b"again"
    writer.close()
    print(proxy.stats.summary())
    assert proxy.stats.closed_by_fault == 1


async def test_reset_resets_open_and_new_connections(proxy: FaultProxy) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    await roundtrip(reader, writer, b"x")
    await proxy.set_mode(Mode.RESET)
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(reader.read(1), 5)
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    with pytest.raises(ConnectionResetError):
        await roundtrip(reader, writer, b"y")
    print(proxy.stats.summary())
    assert proxy.stats.reset_by_fault == 1 and proxy.stats.reset_on_accept == 1


async def test_latency_delays_without_reordering(proxy: FaultProxy) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    await proxy.set_mode(Mode.LATENCY)
    started = time.monotonic()
    for i in range(5):
        writer.write(f"{i}".encode())
        await writer.drain()
        await asyncio.sleep(0.02)
    got = await asyncio.wait_for(reader.readexactly(5), 5)
    took = time.monotonic() - started
    writer.close()
    assert got == b"01234"
    # Each chunk is held 0.3 s on the way there and 0.3 s on the way back; the chunks overlap.
    assert 0.6 <= took < 1.5, took
    print(f"5 chunks echoed in {took:.2f}s through 0.3s of latency each way")

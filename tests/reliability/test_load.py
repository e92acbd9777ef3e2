"""Scenario 5: concurrency, cancellation and long runs against one client.

What users rely on: one client with ``connection_limit=10`` serves 1,000 concurrent
requests and 200 concurrent streams, never opening more than 10 connections; cancelling
tasks mid-flight leaves the pool usable; after ``aclose()`` no socket stays open (server
side count 0, process fd count back to its baseline); and memory stays flat over 10,000
sequential requests.

The figures are printed (run pytest with ``-s`` to see them).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ctypes
import gc
import logging
import os
import time
import tracemalloc

import pytest

from mistral_async import AsyncMistral

from .conftest import CHAT, MakeClient
from .faultserver import CHAT_OK, DONE, FaultServer, chunk_event, json_response, sse

pytestmark = pytest.mark.anyio

LIMIT = 10


def open_fds() -> int:
    """File descriptors this process has open."""
    return len(os.listdir("/proc/self/fd"))


def live_objects() -> int:
    """The objects the garbage collector tracks, less asyncio's timer handles (and their
    contexts): asyncio keeps up to 100 cancelled timers in its heap before it compacts it,
    so their number comes and goes with timing, not with leaks."""
    gc.collect()
    timers = (asyncio.TimerHandle, contextvars.Context)
    return sum(1 for o in gc.get_objects() if not isinstance(o, timers))


def rss_bytes() -> int:
    """Resident set size of this process, after handing freed heap pages back to the OS.

    Without the trim, pages glibc keeps after thousands of earlier tests in the same
    process count as growth; the object count is the leak check, RSS the bytes check.
    """
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def assert_all_closed(client: AsyncMistral, server: FaultServer, fd_baseline: int) -> str:
    """After aclose(): no socket open on the server side, fds back to the baseline."""
    await client.aclose()
    await server.wait_for_open(0)
    deadline = time.monotonic() + 2
    while open_fds() > fd_baseline + 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert open_fds() <= fd_baseline + 2, f"fds: {open_fds()} now, {fd_baseline} before"
    return f"fds {fd_baseline} before, {open_fds()} after aclose()"


def stream_steps(events: int, pause: float) -> list[bytes | float]:
    """Events "0", "1", ... with a pause after each."""
    steps: list[bytes | float] = []
    for i in range(events):
        steps += [chunk_event(str(i)), pause]
    return steps


async def read_stream(client: AsyncMistral) -> str:
    """The text of one streamed completion."""
    async with client.chat.stream(**CHAT) as stream:
        return "".join([chunk.choices[0].delta.text async for chunk in stream])


async def test_1000_concurrent_requests(server: FaultServer, make_client: MakeClient) -> None:
    """1,000 concurrent chat.complete calls on connection_limit=10 all succeed, on at most
    10 connections, and leave nothing open after aclose()."""
    fd_baseline = open_fds()
    client = make_client(server, connection_limit=LIMIT, timeout=30)
    start = time.monotonic()
    results = await asyncio.gather(*(client.chat.complete(**CHAT) for _ in range(1000)))
    elapsed = time.monotonic() - start
    assert [r.choices[0].message.content for r in results] == ["hello"] * 1000
    assert server.request_count == 1000
    assert server.peak_connections <= LIMIT
    fds = await assert_all_closed(client, server, fd_baseline)
    print(
        f"\n[load] 1000 concurrent requests in {elapsed:.2f} s, "
        f"{server.peak_connections} connections at most, {server.open_connections} left open, "
        f"{fds}"
    )


async def test_200_concurrent_streams(server: FaultServer, make_client: MakeClient) -> None:
    """200 concurrent streams on connection_limit=10 all deliver every event in order."""
    fd_baseline = open_fds()
    server.default = sse(*stream_steps(5, 0.001), DONE)
    client = make_client(server, connection_limit=LIMIT, timeout=30)
    start = time.monotonic()
    texts = await asyncio.gather(*(read_stream(client) for _ in range(200)))
    elapsed = time.monotonic() - start
    assert texts == ["01234"] * 200
    assert server.request_count == 200
    assert server.peak_connections <= LIMIT
    fds = await assert_all_closed(client, server, fd_baseline)
    print(
        f"\n[load] 200 concurrent streams in {elapsed:.2f} s, "
        f"{server.peak_connections} connections at most, {server.open_connections} left open, "
        f"{fds}"
    )


async def test_cancelling_half_of_1000_requests(
    server: FaultServer, make_client: MakeClient
) -> None:
    """Cancelling every other one of 1,000 in-flight requests (some waiting for the pool,
    some waiting for the server) leaves the others succeeding, the pool usable and no
    socket open after aclose()."""
    fd_baseline = open_fds()
    server.default = json_response(CHAT_OK, delay=0.01)
    client = make_client(server, connection_limit=LIMIT, timeout=30)
    tasks = [asyncio.create_task(client.chat.complete(**CHAT)) for _ in range(1000)]
    await server.wait_for_requests(30)
    cancelled = {i for i, task in enumerate(tasks) if i % 2 == 0 and task.cancel()}
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    for i, outcome in enumerate(outcomes):
        if i in cancelled:
            assert isinstance(outcome, asyncio.CancelledError), f"task {i}: {outcome!r}"
        else:
            assert not isinstance(outcome, BaseException), f"task {i}: {outcome!r}"
            assert outcome.choices[0].message.content == "hello"
    assert len(cancelled) >= 450
    server.default = json_response(CHAT_OK)
    again = await client.chat.complete(**CHAT)
    assert again.choices[0].message.content == "hello"
    fds = await assert_all_closed(client, server, fd_baseline)
    print(
        f"\n[load] 1000 requests, {len(cancelled)} cancelled mid-flight, "
        f"{1000 - len(cancelled)} completed, {server.open_connections} connections left open, "
        f"{fds}"
    )


async def test_cancelling_half_of_200_streams(server: FaultServer, make_client: MakeClient) -> None:
    """Cancelling every other one of 200 streams (some mid-stream, some waiting for the
    pool) leaves the others complete, the pool usable and no socket open after aclose()."""
    fd_baseline = open_fds()
    server.default = sse(*stream_steps(10, 0.005), DONE)
    client = make_client(server, connection_limit=LIMIT, timeout=30)
    tasks = [asyncio.create_task(read_stream(client)) for _ in range(200)]
    await server.wait_for_requests(15)
    await asyncio.sleep(0.01)
    cancelled = {i for i, task in enumerate(tasks) if i % 2 == 0 and task.cancel()}
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    for i, outcome in enumerate(outcomes):
        if i in cancelled:
            assert isinstance(outcome, asyncio.CancelledError), f"task {i}: {outcome!r}"
        else:
            assert outcome == "0123456789", f"task {i}: {outcome!r}"
    assert len(cancelled) >= 90
    server.default = sse(chunk_event("ok"), DONE)
    assert await read_stream(client) == "ok"
    fds = await assert_all_closed(client, server, fd_baseline)
    print(
        f"\n[load] 200 streams, {len(cancelled)} cancelled mid-flight, "
        f"{200 - len(cancelled)} completed, {server.open_connections} connections left open, "
        f"{fds}"
    )


async def test_memory_is_flat_over_10000_requests(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Memory after 10,000 sequential requests is what it was after 1,000: no growth in the
    number of live objects, none of the Python heap over 3,000 more requests (traced by
    tracemalloc, exact) and none of the resident set beyond allocator noise."""
    # The suite logs at DEBUG (tests/conftest.py) and pytest keeps every record of a
    # test: measured here as users run, with the library's logger at WARNING.
    caplog.set_level(logging.WARNING, logger="mistral_async")
    async with FaultServer(record=False) as server:
        client = make_client(server)
        start = time.monotonic()
        for _ in range(1000):
            await client.chat.complete(**CHAT)
        objects_1k, rss_1k = live_objects(), rss_bytes()
        for _ in range(9000):
            await client.chat.complete(**CHAT)
        objects_10k, rss_10k = live_objects(), rss_bytes()
        elapsed = time.monotonic() - start
        # A leak of a few bytes a request (a dict or string that keeps growing, which the
        # object count misses) shows in the traced heap; RSS alone moves by a MiB or two
        # with the allocator's fragmentation late in a long test run.
        tracemalloc.start()
        try:
            for _ in range(100):  # tracemalloc's own first allocations
                await client.chat.complete(**CHAT)
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(3000):
                await client.chat.complete(**CHAT)
            gc.collect()
            heap_growth = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        await client.aclose()
    print(
        f"\n[load] 10000 sequential requests in {elapsed:.1f} s: "
        f"RSS {rss_1k / 2**20:.1f} -> {rss_10k / 2**20:.1f} MiB, "
        f"gc objects {objects_1k} -> {objects_10k}; "
        f"Python heap +{heap_growth} bytes over 3000 more"
    )
    assert objects_10k - objects_1k <= 100
    assert heap_growth <= 64 * 1024  # under 22 bytes a request
    assert rss_10k - rss_1k <= 4 * 2**20

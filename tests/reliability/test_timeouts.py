"""Scenario 3: servers that accept and never answer, stall after the headers, or trickle.

What users rely on: each time limit fires when set, within 10% (+50 ms of scheduling slack),
as an :class:`APITimeoutError`: ``Timeout(connect=)``, ``Timeout(pool=)``,
``Timeout(read=)``, ``Timeout(total=)`` and the stream idle limit ``stream_timeout=``. A
slow but steady server is not killed by the read limit, and SSE keep-alive comments do
not reset the stream idle limit (it counts data events).

What loopback can and cannot show: a TCP connect on loopback completes in the kernel, so
the connect timeout is exercised against a listener whose accept queue is full (Linux then
drops the SYN and the connect hangs). The pool timeout is exercised with
``connection_limit=1`` and the only connection held by a request that never gets answered.
"""

from __future__ import annotations

import asyncio
import time

import anyio
import pytest

from mistral_async import APITimeoutError, Timeout

from .conftest import CHAT, MakeClient, assert_fired_at
from .faultserver import (
    DONE,
    HANG,
    PING,
    FaultServer,
    chunk_event,
    full_backlog,
    hang,
    sse,
    stall_after_head,
    trickle,
)

pytestmark = pytest.mark.anyio

DELETED = b'{"id":"m","object":"model","deleted":true}'


async def test_connect_timeout(make_client: MakeClient) -> None:
    """Timeout(connect=) fires when the TCP handshake does not complete."""
    with full_backlog() as port:
        client = make_client(f"http://127.0.0.1:{port}", timeout=Timeout(connect=0.3))
        start = time.monotonic()
        with pytest.raises(APITimeoutError):
            await client.models.list()
        assert_fired_at(time.monotonic() - start, 0.3)


async def test_pool_timeout(server: FaultServer, make_client: MakeClient) -> None:
    """Timeout(pool=) fires when no connection of the pool frees up in time."""
    server.default = hang()
    client = make_client(server, connection_limit=1)
    holder = asyncio.create_task(client.chat.complete(**CHAT))
    try:
        await server.wait_for_requests(1)
        start = time.monotonic()
        with pytest.raises(APITimeoutError):
            await client.models.list(timeout=Timeout(pool=0.3))
        assert_fired_at(time.monotonic() - start, 0.3)
        assert server.request_count == 1
    finally:
        holder.cancel()
        await asyncio.gather(holder, return_exceptions=True)


async def test_read_timeout_when_the_server_never_answers(
    server: FaultServer, make_client: MakeClient
) -> None:
    """Timeout(read=) fires when a request is accepted and never answered."""
    server.default = hang()
    client = make_client(server, timeout=Timeout(read=0.3))
    start = time.monotonic()
    with pytest.raises(APITimeoutError):
        await client.chat.complete(**CHAT)
    assert_fired_at(time.monotonic() - start, 0.3)
    await client.aclose()
    await server.wait_for_open(0)


async def test_read_timeout_after_the_headers(server: FaultServer, make_client: MakeClient) -> None:
    """Timeout(read=) fires when the headers arrive and the body never does."""
    server.default = stall_after_head()
    client = make_client(server, timeout=Timeout(read=0.3))
    start = time.monotonic()
    with pytest.raises(APITimeoutError):
        await client.chat.complete(**CHAT)
    assert_fired_at(time.monotonic() - start, 0.3)


@pytest.mark.usefixtures("fast_retries")
async def test_read_timeouts_are_retried(server: FaultServer, make_client: MakeClient) -> None:
    """A read timeout is retried like any connection error, and attempts counts them."""
    server.default = hang()
    client = make_client(server, timeout=Timeout(read=0.1), max_retries=1)
    with pytest.raises(APITimeoutError) as info:
        await client.chat.complete(**CHAT)
    assert info.value.attempts == 2
    assert server.request_count == 2


async def test_slow_but_steady_body_is_not_a_read_timeout(
    server: FaultServer, make_client: MakeClient
) -> None:
    """A body trickling one byte per 10 ms takes ~0.4 s yet never trips a 0.15 s read limit."""
    server.default = trickle(DELETED, 0.01)
    client = make_client(server, timeout=Timeout(read=0.15))
    start = time.monotonic()
    result = await client.models.delete("m")
    assert result.deleted is True
    assert time.monotonic() - start > 0.3


async def test_total_timeout_on_a_trickling_body(
    server: FaultServer, make_client: MakeClient
) -> None:
    """Timeout(total=) bounds the whole request even when bytes keep arriving."""
    server.default = trickle(DELETED * 10, 0.02)
    client = make_client(server, timeout=Timeout(total=0.5, read=0.2))
    start = time.monotonic()
    with pytest.raises(APITimeoutError):
        await client.models.delete("m")
    assert_fired_at(time.monotonic() - start, 0.5)
    await client.aclose()
    await server.wait_for_open(0)


async def test_total_timeout_when_the_server_never_answers(
    server: FaultServer, make_client: MakeClient
) -> None:
    """A plain number as timeout= is the total limit."""
    server.default = hang()
    client = make_client(server, timeout=0.4)
    start = time.monotonic()
    with pytest.raises(APITimeoutError):
        await client.chat.complete(**CHAT)
    assert_fired_at(time.monotonic() - start, 0.4)


async def test_stream_timeout_before_the_first_event(
    server: FaultServer, make_client: MakeClient
) -> None:
    """stream_timeout= fires when the stream's headers arrive and no event follows."""
    server.default = sse(HANG)
    client = make_client(server, stream_timeout=0.3)
    start = time.monotonic()
    with pytest.raises(APITimeoutError):
        async with client.chat.stream(**CHAT):
            pass
    assert_fired_at(time.monotonic() - start, 0.3)
    await client.aclose()
    await server.wait_for_open(0)


async def test_stream_timeout_when_the_server_never_answers(
    server: FaultServer, make_client: MakeClient
) -> None:
    """stream_timeout= counts the wait for the first event, so it also fires when the
    server accepts the request and never sends the response headers."""
    server.default = hang()
    client = make_client(server, stream_timeout=0.3)
    start = time.monotonic()
    with anyio.move_on_after(2) as guard, pytest.raises(APITimeoutError):
        async with client.chat.stream(**CHAT):
            pass
    elapsed = time.monotonic() - start
    assert not guard.cancelled_caught, "stream_timeout=0.3 had not fired after 2 s"
    assert_fired_at(elapsed, 0.3)


async def test_stream_timeout_between_events(server: FaultServer, make_client: MakeClient) -> None:
    """stream_timeout= fires when the gap after an event exceeds it."""
    server.default = sse(chunk_event("a"), HANG)
    client = make_client(server, stream_timeout=0.3)
    async with client.chat.stream(**CHAT) as stream:
        first = await stream.__anext__()
        got_first = time.monotonic()
        assert first.choices[0].delta.text == "a"
        with pytest.raises(APITimeoutError) as info:
            await stream.__anext__()
    assert_fired_at(time.monotonic() - got_first, 0.3)
    assert info.value.request_id == "req-1"


async def test_keepalive_comments_do_not_reset_the_stream_timeout(
    server: FaultServer, make_client: MakeClient
) -> None:
    """Pings every 50 ms (more often than stream_timeout) do not keep an idle stream alive."""
    pings: list[bytes | float] = []
    for _ in range(40):
        pings += [0.05, PING]
    server.default = sse(chunk_event("a"), *pings, DONE)
    client = make_client(server, stream_timeout=0.3)
    async with client.chat.stream(**CHAT) as stream:
        await stream.__anext__()
        got_first = time.monotonic()
        with pytest.raises(APITimeoutError):
            await stream.__anext__()
    assert_fired_at(time.monotonic() - got_first, 0.3)


async def test_keepalive_comments_before_the_first_event_do_not_reset_it(
    server: FaultServer, make_client: MakeClient
) -> None:
    """Pings before the first event do not hold the stream open either."""
    pings: list[bytes | float] = []
    for _ in range(40):
        pings += [PING, 0.05]
    server.default = sse(*pings, DONE)
    client = make_client(server, stream_timeout=0.3)
    start = time.monotonic()
    with pytest.raises(APITimeoutError):
        async with client.chat.stream(**CHAT):
            pass
    assert_fired_at(time.monotonic() - start, 0.3)


async def test_steady_events_outlive_the_stream_timeout(
    server: FaultServer, make_client: MakeClient
) -> None:
    """stream_timeout= limits the gap between events, not the stream's length."""
    steps: list[bytes | float] = []
    for i in range(8):
        steps += [chunk_event(str(i)), 0.1]
    server.default = sse(*steps, DONE)
    client = make_client(server, stream_timeout=0.3)
    async with client.chat.stream(**CHAT) as stream:
        texts = [chunk.choices[0].delta.text async for chunk in stream]
    assert texts == [str(i) for i in range(8)]

"""Resumable SSE streams (``resume=True``): reconnect with ``Last-Event-ID`` after a break.

A real ``aiohttp.web`` server on loopback answers each connection with a scripted
behaviour: send events with ids, then reset the connection, stop in the middle of an
event, end cleanly, replay events already sent... The tests check what the user sees
(every event exactly once, in order), what the server received (the ``Last-Event-ID`` of
each reconnect) and that no connection is left open.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from mistral_async import (
    APIConnectionError,
    APIStreamError,
    APITimeoutError,
    AsyncMistral,
    AsyncStream,
    Mistral,
    NotFoundError,
)

pytestmark = pytest.mark.usefixtures("fast_retries")

KEY = "sk-resume-KEY"

Behaviour = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


class _Tracking(web.Server):
    """A low-level aiohttp server counting the client connections it holds open."""

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.open: set[Any] = set()

    def connection_made(self, handler: Any, transport: Any) -> None:
        super().connection_made(handler, transport)
        self.open.add(handler)

    def connection_lost(self, handler: Any, exc: BaseException | None = None) -> None:
        super().connection_lost(handler, exc)
        self.open.discard(handler)


class EventServer:
    """Answers the n-th request with the n-th queued behaviour (then with ``default``)."""

    def __init__(self) -> None:
        self.script: list[Behaviour] = []
        self.default: Behaviour | None = None
        self.requests: list[dict[str, Any]] = []
        self.arrivals: list[float] = []
        self._server: _Tracking | None = None
        self._runner: web.ServerRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def open_connections(self) -> int:
        return 0 if self._server is None else len(self._server.open)

    @property
    def last_event_ids(self) -> list[str | None]:
        return [r["last-event-id"] for r in self.requests]

    async def wait_closed(self, timeout: float = 5.0) -> None:
        """Wait until the client holds no connection open."""
        deadline = time.monotonic() + timeout
        while self.open_connections:
            assert time.monotonic() < deadline, f"{self.open_connections} connections left open"
            await asyncio.sleep(0.01)

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/v1/ping":
            return web.json_response({"pong": True})
        self.arrivals.append(time.monotonic())
        self.requests.append(
            {
                "method": request.method,
                "path_qs": request.raw_path,
                "last-event-id": request.headers.get("Last-Event-ID"),
                "authorization": request.headers.get("Authorization"),
                "body": await request.read(),
            }
        )
        index = len(self.requests) - 1
        behaviour = self.script[index] if index < len(self.script) else self.default
        assert behaviour is not None, f"unexpected request #{index + 1}"
        return await behaviour(request)

    async def __aenter__(self) -> EventServer:
        self._server = _Tracking(self._handle, access_log=None)
        self._runner = web.ServerRunner(self._server, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


def frame(n: int, *, with_id: bool = True) -> bytes:
    head = f"id: {n}\n" if with_id else ""
    return f"{head}data: {json.dumps({'n': n})}\n\n".encode()


async def _open(request: web.BaseRequest, *, status: int = 200) -> web.StreamResponse:
    resp = web.StreamResponse(status=status, headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    return resp


def events(*numbers: int, then: str = "end", raw: bytes = b"", head: bytes = b"") -> Behaviour:
    """Send ``head``, the events ``numbers`` (with ids), ``raw``, then:

    ``"end"`` end the body properly; ``"reset"`` abort the connection (the chunked body
    is never completed: the client sees a payload error); ``"hang"`` send nothing more.
    """

    async def behave(request: web.BaseRequest) -> web.StreamResponse:
        resp = await _open(request)
        await resp.write(head + b"".join(frame(n) for n in numbers) + raw)
        if then == "end":
            await resp.write_eof()
        elif then == "reset":
            await asyncio.sleep(0.02)  # let the events reach the client first
            assert request.transport is not None
            request.transport.abort()
        else:
            await asyncio.sleep(30)
        return resp

    return behave


def resume_from(last: int, *, through: int, then: str = "end", replay: bool = False) -> Behaviour:
    """A well-behaved server: the events after Last-Event-ID (or from it, with ``replay``)."""

    async def behave(request: web.BaseRequest) -> web.StreamResponse:
        start = int(request.headers.get("Last-Event-ID", "0")) + (0 if replay else 1)
        return await events(*range(max(start, 1), through + 1), then=then)(request)

    return behave


def reset_before_anything() -> Behaviour:
    async def behave(request: web.BaseRequest) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.abort()
        return web.Response()

    return behave


@pytest.fixture
async def server() -> AsyncIterator[EventServer]:
    async with EventServer() as srv:
        yield srv


@pytest.fixture
async def client(server: EventServer) -> AsyncIterator[AsyncMistral]:
    """A client of one connection at most: a connection a stream leaked would block it."""
    c = AsyncMistral(
        api_key=KEY, server_url=server.url, max_retries=3, timeout=5, connection_limit=1
    )
    yield c
    await c.aclose()


async def assert_nothing_leaked(server: EventServer, client: AsyncMistral) -> None:
    """The stream gave its connection back: with a pool of one connection, another request
    gets one at once, and the server holds at most that (idle, pooled) connection open;
    closing the client leaves none."""
    assert await asyncio.wait_for(client.request("GET", "/v1/ping"), 2) == {"pong": True}
    assert server.open_connections <= 1
    await client.aclose()
    await server.wait_closed()


def open_stream(
    client: AsyncMistral, *, resume: bool = True, **kwargs: Any
) -> AsyncStream[dict[str, Any]]:
    kwargs.setdefault("query", {"since": 0})
    return client._core.stream(
        client._config, "GET", "/v1/workflows/events", lambda d: d, resume=resume, **kwargs
    )


TIME_LIMIT = 10.0
"""No test waits longer: a stream that resumes forever or waits for a leaked connection
fails instead of hanging."""


async def collect(stream: AsyncStream[dict[str, Any]], got: list[int]) -> None:
    """Read the stream to its end into ``got`` (which keeps what came before an error)."""
    async with asyncio.timeout(TIME_LIMIT), stream:
        async for event in stream:
            got.append(event["n"])


async def numbers(stream: AsyncStream[dict[str, Any]]) -> list[int]:
    got: list[int] = []
    await collect(stream, got)
    return got


# -- resuming -----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_reset_mid_stream_resumes_from_the_last_event(
    server: EventServer, client: AsyncMistral
) -> None:
    server.script = [events(1, 2, 3, then="reset"), resume_from(3, through=6)]
    assert await numbers(open_stream(client)) == [1, 2, 3, 4, 5, 6]
    assert server.last_event_ids == [None, "3"]
    # The reconnect is the same request: method, path and query, key.
    assert {r["path_qs"] for r in server.requests} == {"/v1/workflows/events?since=0"}
    assert {r["method"] for r in server.requests} == {"GET"}
    assert {r["authorization"] for r in server.requests} == {f"Bearer {KEY}"}
    assert {r["body"] for r in server.requests} == {b""}
    await assert_nothing_leaked(server, client)


@pytest.mark.anyio
async def test_resumes_are_logged_at_the_retry_log_level(
    server: EventServer, client: AsyncMistral, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mistral_async")

    def resumes() -> list[int]:
        found = [r.levelno for r in caplog.records if r.getMessage().startswith("Resuming")]
        caplog.clear()
        return found

    # The server's script counts requests: three streams, each broken once and resumed.
    server.script = [events(1, 2, then="reset"), resume_from(2, through=3)] * 3
    assert await numbers(open_stream(client)) == [1, 2, 3]
    assert resumes() == [logging.INFO]
    quiet = client.with_options(retry_log_level=None)
    assert await numbers(open_stream(quiet)) == [1, 2, 3]
    assert resumes() == []
    stream = open_stream(client, options={"retry_log_level": logging.WARNING})
    assert await numbers(stream) == [1, 2, 3]
    assert resumes() == [logging.WARNING]


@pytest.mark.anyio
async def test_truncated_event_is_resumed_not_delivered(
    server: EventServer, client: AsyncMistral
) -> None:
    """The body ends cleanly but inside event 3: it is not delivered half, it is resumed."""
    server.script = [
        events(1, 2, raw=b'id: 3\ndata: {"n": 3, "te', then="end"),
        resume_from(2, through=4),
    ]
    assert await numbers(open_stream(client)) == [1, 2, 3, 4]
    assert server.last_event_ids == [None, "2"]
    await assert_nothing_leaked(server, client)


@pytest.mark.anyio
@pytest.mark.parametrize(
    "tail",
    [b'id: 3\ndata: {"n": 3}\n', b"id: 3\n", b'id: 3\ndata: {"n": 3}', b"event: progress\n"],
    ids=["no-blank-line", "id-only", "no-line-end", "event-field-only"],
)
async def test_event_without_its_blank_line_is_a_cut(
    server: EventServer, client: AsyncMistral, tail: bytes
) -> None:
    server.script = [events(1, 2, raw=tail, then="end"), resume_from(2, through=3)]
    assert await numbers(open_stream(client)) == [1, 2, 3]
    assert server.last_event_ids == [None, "2"]


@pytest.mark.anyio
async def test_many_breaks_each_event_exactly_once(
    server: EventServer, client: AsyncMistral
) -> None:
    """Resets, cuts and replays in a row: the user sees every event once, in order."""
    server.script = [
        events(1, 2, 3, then="reset"),
        # Replays 3 (already delivered), then is cut inside 5.
        events(3, 4, raw=b'id: 5\ndata: {"n"', then="end"),
        # Replays everything from the start, then resets.
        events(1, 2, 3, 4, 5, 6, then="reset"),
        resume_from(6, through=9, replay=True),
    ]
    assert await numbers(open_stream(client)) == list(range(1, 10))
    assert server.last_event_ids == [None, "3", "4", "6"]
    await assert_nothing_leaked(server, client)


@pytest.mark.anyio
async def test_events_without_ids_keep_the_last_id(
    server: EventServer, client: AsyncMistral
) -> None:
    """An event without an id field is not taken for a replay of the last one."""

    async def first(request: web.BaseRequest) -> web.StreamResponse:
        resp = await _open(request)
        await resp.write(frame(1) + frame(2, with_id=False) + frame(3))
        await asyncio.sleep(0.02)
        assert request.transport is not None
        request.transport.abort()
        return resp

    async def second(request: web.BaseRequest) -> web.StreamResponse:
        resp = await _open(request)
        await resp.write(frame(4, with_id=False) + frame(5))
        await resp.write_eof()
        return resp

    server.script = [first, second]
    assert await numbers(open_stream(client)) == [1, 2, 3, 4, 5]
    assert server.last_event_ids == [None, "3"]


@pytest.mark.anyio
async def test_progress_resets_the_reconnect_budget(server: EventServer) -> None:
    """max_retries bounds reconnects in a row without a new event, not reconnects in all."""
    server.script = [events(1, then="reset")] + [
        resume_from(n, through=n + 1, then="reset") for n in range(1, 6)
    ]
    server.default = resume_from(6, through=7)
    client = AsyncMistral(api_key=KEY, server_url=server.url, max_retries=1, connection_limit=1)
    assert await numbers(open_stream(client)) == list(range(1, 8))
    assert server.last_event_ids == [None, "1", "2", "3", "4", "5", "6"]
    await assert_nothing_leaked(server, client)


@pytest.mark.anyio
async def test_no_progress_ends_in_connection_error(
    server: EventServer, client: AsyncMistral
) -> None:
    """A server that keeps breaking without a new event: max_retries reconnects, then
    APIConnectionError, after the events already received were delivered."""
    server.script = [events(1, 2, then="reset")]
    server.default = events(2, then="reset")  # only the event already delivered
    stream = open_stream(client)
    got: list[int] = []
    with pytest.raises(APIConnectionError) as info:
        await collect(stream, got)
    assert got == [1, 2]
    assert not isinstance(info.value, APITimeoutError)
    assert "3 reconnects" in str(info.value)
    assert len(server.requests) == 1 + 3
    assert server.last_event_ids == [None, "2", "2", "2"]
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    await assert_nothing_leaked(server, client)


@pytest.mark.anyio
async def test_failed_reconnects_count(server: EventServer, client: AsyncMistral) -> None:
    """Reconnects refused by the network or with a retryable status count too."""

    async def unavailable(request: web.BaseRequest) -> web.StreamResponse:
        return web.json_response({"message": "busy"}, status=503, headers={"Retry-After": "0"})

    server.script = [events(1, then="reset"), reset_before_anything(), unavailable]
    server.default = resume_from(1, through=2)
    assert await numbers(open_stream(client)) == [1, 2]
    assert server.last_event_ids == [None, "1", "1", "1"]

    server.requests.clear()
    server.script = [events(1, then="reset")]
    server.default = unavailable
    with pytest.raises(APIConnectionError, match="resumed"):
        await numbers(open_stream(client))
    assert len(server.requests) == 4
    await assert_nothing_leaked(server, client)


@pytest.mark.anyio
async def test_non_retryable_status_on_reconnect_is_raised(
    server: EventServer, client: AsyncMistral
) -> None:
    async def gone(request: web.BaseRequest) -> web.StreamResponse:
        return web.json_response({"message": "no such execution"}, status=404)

    server.script = [events(1, 2, then="reset"), gone]
    got: list[int] = []
    stream = open_stream(client)
    with pytest.raises(NotFoundError, match="no such execution"):
        await collect(stream, got)
    assert got == [1, 2]
    assert len(server.requests) == 2
    await assert_nothing_leaked(server, client)


@pytest.mark.anyio
async def test_sse_retry_field_is_the_minimum_wait(
    server: EventServer, client: AsyncMistral
) -> None:
    server.script = [events(1, head=b"retry: 400\n\n", then="reset"), resume_from(1, through=2)]
    assert await numbers(open_stream(client)) == [1, 2]
    gap = server.arrivals[1] - server.arrivals[0]
    assert gap >= 0.4, gap


# -- what is not resumed ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_clean_end_ends_the_stream_without_reconnecting(
    server: EventServer, client: AsyncMistral
) -> None:
    server.script = [events(1, 2, 3, then="end")]
    assert await numbers(open_stream(client)) == [1, 2, 3]
    assert len(server.requests) == 1
    await assert_nothing_leaked(server, client)


@pytest.mark.anyio
async def test_error_event_raises_and_does_not_reconnect(
    server: EventServer, client: AsyncMistral
) -> None:
    server.script = [
        events(1, raw=b'id: 2\nevent: error\ndata: {"message": "workflow failed"}\n\n')
    ]
    got: list[int] = []
    stream = open_stream(client)
    with pytest.raises(APIStreamError, match="workflow failed"):
        await collect(stream, got)
    assert got == [1]
    assert len(server.requests) == 1
    await assert_nothing_leaked(server, client)


@pytest.mark.anyio
async def test_break_before_any_event_is_an_ordinary_retry(
    server: EventServer, client: AsyncMistral
) -> None:
    """Before the first event there is nothing to resume from: the request is retried as
    any stream's is, without Last-Event-ID."""
    server.script = [reset_before_anything(), events(1, raw=b"", then="reset")]
    server.default = resume_from(1, through=2)
    assert await numbers(open_stream(client)) == [1, 2]
    assert server.last_event_ids == [None, None, "1"]
    await assert_nothing_leaked(server, client)


@pytest.mark.anyio
async def test_stream_without_resume_is_not_resumed(
    server: EventServer, client: AsyncMistral
) -> None:
    server.script = [events(1, 2, then="reset")]
    got: list[int] = []
    stream = open_stream(client, resume=False)
    with pytest.raises(APIConnectionError):
        await collect(stream, got)
    assert got == [1, 2]
    assert len(server.requests) == 1
    await assert_nothing_leaked(server, client)


@pytest.mark.anyio
async def test_idle_timeout_is_not_resumed(server: EventServer) -> None:
    """stream_timeout still raises APITimeoutError: a stall is not a break."""
    server.script = [events(1, then="hang")]
    client = AsyncMistral(
        api_key=KEY, server_url=server.url, max_retries=3, stream_timeout=0.2, connection_limit=1
    )
    with pytest.raises(APITimeoutError):
        await numbers(open_stream(client))
    assert len(server.requests) == 1
    await assert_nothing_leaked(server, client)


@pytest.mark.anyio
async def test_max_retries_zero_does_not_resume(server: EventServer) -> None:
    server.script = [events(1, then="reset")]
    async with AsyncMistral(api_key=KEY, server_url=server.url, max_retries=0) as client:
        with pytest.raises(APIConnectionError):
            await numbers(open_stream(client))
    assert len(server.requests) == 1


# -- connections --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_leaving_early_after_a_resume_closes_the_connection(
    server: EventServer, client: AsyncMistral
) -> None:
    server.script = [events(1, 2, then="reset"), events(3, 4, then="hang")]
    stream = open_stream(client)
    async with asyncio.timeout(TIME_LIMIT), stream:
        async for event in stream:
            if event["n"] == 3:
                break
    assert len(server.requests) == 2
    await assert_nothing_leaked(server, client)


@pytest.mark.anyio
async def test_cancelled_while_waiting_to_reconnect_leaves_nothing_open(
    server: EventServer, client: AsyncMistral
) -> None:
    server.script = [events(1, head=b"retry: 10000\n\n", then="reset")]
    stream = open_stream(client)
    first = asyncio.Event()

    async def consume() -> None:
        async with stream:
            async for _ in stream:
                first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first.wait(), 5)
    await asyncio.sleep(0.1)  # the reset arrived; the stream waits 10 s to reconnect
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(server.requests) == 1
    await assert_nothing_leaked(server, client)


@pytest.mark.anyio
async def test_resume_sends_the_headers_of_the_operation(server: EventServer) -> None:
    """Reconnects keep the call's auth scheme and headers; Last-Event-ID is replaced."""
    server.script = [events(1, then="reset"), resume_from(1, through=2)]
    async with AsyncMistral(
        admin_api_key="sk-admin", server_url=server.url, max_retries=2
    ) as client:
        stream = open_stream(client, auth="admin", headers={"Last-Event-ID": "0"})
        assert await numbers(stream) == [1, 2]
    assert server.last_event_ids == ["0", "1"]
    assert {r["authorization"] for r in server.requests} == {"Bearer sk-admin"}


def test_blocking_stream_resumes() -> None:
    """The blocking twin of a resumable stream resumes the same way."""
    from mistral_async._sync import Stream

    loop = asyncio.new_event_loop()
    srv = EventServer()
    srv.script = [events(1, 2, then="reset"), resume_from(2, through=4)]
    import threading

    stop = asyncio.Event()
    ready = threading.Event()

    async def serve() -> None:
        async with srv:
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),))
    thread.start()
    try:
        assert ready.wait(5)
        with Mistral(api_key=KEY, server_url=srv.url, max_retries=2) as client:
            inner = client._async
            stream = Stream(open_stream(inner), client._portal)
            with stream:
                assert [e["n"] for e in stream] == [1, 2, 3, 4]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join()
        loop.close()
    assert srv.last_event_ids == [None, "2"]

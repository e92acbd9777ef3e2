"""A fault-injecting HTTP/1.1 server on loopback, written on raw ``asyncio`` streams.

It misbehaves at the byte level, which a framework server cannot: accept a request and
never answer, send the headers and stall, trickle one byte per interval, reset the
connection (``SO_LINGER`` 0 then abort: a TCP RST) before the response, in the middle of
a body or of a stream, lie about ``Content-Length``, send invalid UTF-8, HTML error pages,
SSE without its final blank line, SSE cut inside an event, error events...

Each request is answered by a *behaviour*, an ``async`` function of an :class:`Exchange`.
Behaviours queued with :meth:`FaultServer.queue` answer the next requests in order; after
that :attr:`FaultServer.default` answers. Every response carries ``x-request-id: req-<n>``
(``n``: the 1-based number of the request). The server records every request
(:attr:`FaultServer.requests`, with the monotonic time its head arrived) and counts the
client sockets it holds open (:attr:`FaultServer.open_connections`), so a test can assert
that nothing leaked.

Run it in the test's event loop (``async with FaultServer() as srv``) or in a thread of its
own (``with FaultServer() as srv``, for blocking clients).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, Literal

__all__ = [
    "CHAT_OK",
    "CLOSE",
    "DONE",
    "END",
    "HANG",
    "MODEL_OK",
    "PING",
    "RESET",
    "Behaviour",
    "Exchange",
    "FaultServer",
    "SeenRequest",
    "chunk_event",
    "close_mid_body",
    "event",
    "full_backlog",
    "hang",
    "json_response",
    "reset",
    "reset_mid_body",
    "respond",
    "sse",
    "stall_after_head",
    "trickle",
    "unused_port",
]

Behaviour = Callable[["Exchange"], Awaitable[None]]

REASONS: Final = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

CHAT_OK: Final[dict[str, Any]] = {
    "id": "cmpl-ok",
    "object": "chat.completion",
    "model": "mistral-small-latest",
    "created": 1700000000,
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "hello"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}
"""A valid chat completion whose text is ``"hello"``."""

MODEL_OK: Final[dict[str, Any]] = {"id": "model-ok", "object": "model"}
"""A body every ``client.models`` operation accepts."""

PING: Final = b": ping\n\n"
"""An SSE comment, as keep-alives are sent."""

_MAX_HEAD: Final = 64 * 1024


class _Action:
    """A terminal step of :func:`sse`."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


DONE: Final = _Action("DONE")
"""Send ``data: [DONE]`` and end the body properly."""
END: Final = _Action("END")
"""End the body properly (last chunk, or close when close-delimited) without ``[DONE]``."""
RESET: Final = _Action("RESET")
"""Reset the connection (TCP RST)."""
CLOSE: Final = _Action("CLOSE")
"""Close the connection (FIN) without ending a chunked body."""
HANG: Final = _Action("HANG")
"""Send nothing more; wait until the client goes away."""


@dataclass(frozen=True)
class SeenRequest:
    """One request as it reached the server."""

    index: int
    """1-based number of the request since the server started."""
    method: str
    target: str
    """The request-target exactly as sent (raw path and query)."""
    headers: tuple[tuple[str, str], ...]
    body: bytes
    at: float
    """``time.monotonic()`` when the request head arrived."""
    connection: int
    """1-based number of the connection the request came on."""

    @property
    def path(self) -> str:
        """The raw path, without the query."""
        return self.target.split("?", 1)[0]

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or None."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    @property
    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.buffer = b""
        self.aborted = False


class Exchange:
    """One request on one connection, handed to a behaviour to answer (or not)."""

    def __init__(self, server: FaultServer, conn: _Connection, request: SeenRequest) -> None:
        self.server = server
        self.request = request
        self._conn = conn
        self.keep_alive = True
        """Whether the connection is read for another request once the behaviour returns."""

    @property
    def request_id(self) -> str:
        """The ``x-request-id`` this response carries."""
        return f"req-{self.request.index}"

    def head(
        self,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        content_length: int | None = None,
        chunked: bool = False,
        reason: str | None = None,
    ) -> bytes:
        """The status line and headers (``x-request-id`` included) of a response."""
        lines = [f"HTTP/1.1 {status} {reason or REASONS.get(status, 'Status')}"]
        merged = {"x-request-id": self.request_id}
        if content_length is not None:
            merged["Content-Length"] = str(content_length)
        if chunked:
            merged["Transfer-Encoding"] = "chunked"
        if content_length is None and not chunked:
            merged["Connection"] = "close"
        merged.update(headers or {})
        lines += [f"{name}: {value}" for name, value in merged.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def write(self, data: bytes) -> None:
        """Send bytes now."""
        self._conn.writer.write(data)
        await self._conn.writer.drain()

    async def respond(
        self,
        status: int = 200,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        *,
        content_length: int | Literal["auto"] | None = "auto",
        reason: str | None = None,
    ) -> None:
        """Send a whole response; ``content_length`` may lie (or be None: close-delimited)."""
        length = len(body) if content_length == "auto" else content_length
        await self.write(self.head(status, headers, content_length=length, reason=reason) + body)
        if length is None:
            await self.close()

    def reset(self) -> None:
        """Reset the connection: SO_LINGER 0 and abort, so the client gets a TCP RST."""
        transport = self._conn.writer.transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        self._conn.aborted = True
        self.keep_alive = False

    async def close(self) -> None:
        """Close the connection gracefully (FIN) once what was written is sent."""
        self.keep_alive = False
        writer = self._conn.writer
        if not writer.transport.is_closing():
            writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()

    async def hang(self) -> None:
        """Send nothing more; return when the client closes the connection."""
        self.keep_alive = False
        reader = self._conn.reader
        while True:
            data = await reader.read(65536)
            if not data:
                return
            self._conn.buffer += data


class FaultServer:
    """A scripted HTTP/1.1 server on loopback; see the module docstring."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        default: Behaviour | None = None,
        record: bool = True,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.port = 0
        self.default: Behaviour = default or json_response(CHAT_OK)
        """The behaviour answering requests once the queue is empty."""
        self.record = record
        self._script: deque[Behaviour] = deque()
        self._requests: list[SeenRequest] = []
        self.request_count = 0
        self.open_connections = 0
        """Client sockets the server holds open right now."""
        self.total_connections = 0
        self.peak_connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._thread_stop: asyncio.Event | None = None

    # -- script and inspection ------------------------------------------------------------

    def queue(self, *behaviours: Behaviour) -> None:
        """Answer the next requests with these behaviours, in order."""
        self._script.extend(behaviours)

    @property
    def url(self) -> str:
        """The base URL, ``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    @property
    def requests(self) -> list[SeenRequest]:
        """Every request received so far, oldest first (when ``record``)."""
        return list(self._requests)

    def gaps(self) -> list[float]:
        """Seconds between the arrivals of consecutive requests."""
        seen = self._requests
        return [b.at - a.at for a, b in itertools.pairwise(seen)]

    async def wait_for_requests(self, count: int, timeout: float = 5.0) -> None:
        """Wait until ``count`` requests have arrived."""
        await self._wait(lambda: self.request_count >= count, timeout, f"{count} request(s)")

    async def wait_for_open(self, count: int = 0, timeout: float = 5.0) -> None:
        """Wait until exactly ``count`` client sockets are open."""
        await self._wait(lambda: self.open_connections == count, timeout, f"{count} open")

    def wait_for_open_sync(self, count: int = 0, timeout: float = 5.0) -> None:
        """Blocking :meth:`wait_for_open`, for a server running in its own thread."""
        deadline = time.monotonic() + timeout
        while self.open_connections != count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"expected {count} open, still {self.open_connections}")
            time.sleep(0.005)

    def wait_for_requests_sync(self, count: int, timeout: float = 5.0) -> None:
        """Blocking :meth:`wait_for_requests`."""
        deadline = time.monotonic() + timeout
        while self.request_count < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"expected {count} request(s), got {self.request_count}")
            time.sleep(0.005)

    async def _wait(self, done: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"waited {timeout} s for {what}: {self.request_count} request(s), "
                    f"{self.open_connections} open connection(s)"
                )
            await asyncio.sleep(0.005)

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen, in the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(
            self._handle, self.host, self._requested_port, backlog=1024
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        self._closing = True
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()

    async def __aenter__(self) -> FaultServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def __enter__(self) -> FaultServer:
        """Serve from a thread running its own event loop (for blocking clients)."""
        ready = threading.Event()
        errors: list[BaseException] = []

        async def serve() -> None:
            self._thread_stop = asyncio.Event()
            try:
                await self.start()
            except BaseException as exc:
                errors.append(exc)
                raise
            finally:
                ready.set()
            try:
                await self._thread_stop.wait()
            finally:
                await self.stop()

        def main() -> None:
            with contextlib.suppress(BaseException):
                asyncio.run(serve())

        self._thread = threading.Thread(target=main, name="fault-server", daemon=True)
        self._thread.start()
        ready.wait(5)
        if errors:
            raise errors[0]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        thread, loop, stop = self._thread, self._loop, self._thread_stop
        if thread is None or loop is None or stop is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(stop.set)
        thread.join(5)
        self._thread = None

    # -- the connection loop ----------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.open_connections += 1
        self.total_connections += 1
        self.peak_connections = max(self.peak_connections, self.open_connections)
        number = self.total_connections
        conn = _Connection(reader, writer)
        try:
            while not self._closing:
                request = await self._read_request(conn, number)
                if request is None:
                    break
                behaviour = self._script.popleft() if self._script else self.default
                exchange = Exchange(self, conn, request)
                await behaviour(exchange)
                if not exchange.keep_alive or conn.aborted:
                    break
        except (ConnectionError, asyncio.CancelledError, asyncio.IncompleteReadError):
            pass  # the client went away, or the server is stopping
        finally:
            try:
                if not conn.aborted and not writer.transport.is_closing():
                    writer.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(writer.wait_closed(), 1.0)
            finally:
                self.open_connections -= 1
                self._tasks.discard(task)

    async def _read_request(self, conn: _Connection, number: int) -> SeenRequest | None:
        while b"\r\n\r\n" not in conn.buffer:
            data = await conn.reader.read(65536)
            if not data or len(conn.buffer) > _MAX_HEAD:
                return None
            conn.buffer += data
        head, _, rest = conn.buffer.partition(b"\r\n\r\n")
        at = time.monotonic()
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers = tuple(
            (name.strip(), value.strip())
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        )
        length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
        while len(rest) < length:
            data = await conn.reader.read(65536)
            if not data:
                return None
            rest += data
        body, conn.buffer = rest[:length], rest[length:]
        self.request_count += 1
        request = SeenRequest(
            index=self.request_count,
            method=method,
            target=target,
            headers=headers,
            body=body,
            at=at,
            connection=number,
        )
        if self.record:
            self._requests.append(request)
        return request


# -- behaviours ---------------------------------------------------------------------------------


def _as_bytes(body: bytes | str | Mapping[str, Any] | list[Any]) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


def respond(
    status: int = 200,
    body: bytes | str | Mapping[str, Any] | list[Any] = b"",
    headers: Mapping[str, str] | None = None,
    *,
    content_length: int | Literal["auto"] | None = "auto",
    reason: str | None = None,
    delay: float = 0.0,
) -> Behaviour:
    """Answer with this status, body and headers (after ``delay`` seconds)."""
    raw = _as_bytes(body)

    async def behaviour(ex: Exchange) -> None:
        if delay:
            await asyncio.sleep(delay)
        await ex.respond(status, raw, headers, content_length=content_length, reason=reason)

    return behaviour


def json_response(
    obj: Any, status: int = 200, headers: Mapping[str, str] | None = None, *, delay: float = 0.0
) -> Behaviour:
    """Answer with ``obj`` as JSON."""
    return respond(
        status,
        json.dumps(obj).encode(),
        {"Content-Type": "application/json", **(headers or {})},
        delay=delay,
    )


def hang() -> Behaviour:
    """Accept the request and never answer."""

    async def behaviour(ex: Exchange) -> None:
        await ex.hang()

    return behaviour


def stall_after_head(
    status: int = 200, headers: Mapping[str, str] | None = None, content_length: int = 100
) -> Behaviour:
    """Send the status line and headers (announcing a body), then nothing."""

    async def behaviour(ex: Exchange) -> None:
        await ex.write(ex.head(status, headers, content_length=content_length))
        await ex.hang()

    return behaviour


def trickle(
    body: bytes, interval: float, status: int = 200, headers: Mapping[str, str] | None = None
) -> Behaviour:
    """Send the headers, then the body one byte per ``interval`` seconds."""

    async def behaviour(ex: Exchange) -> None:
        await ex.write(ex.head(status, headers, content_length=len(body)))
        for i in range(len(body)):
            await asyncio.sleep(interval)
            await ex.write(body[i : i + 1])

    return behaviour


def reset() -> Behaviour:
    """Read the request, then reset the connection before any response byte."""

    async def behaviour(ex: Exchange) -> None:
        ex.reset()

    return behaviour


def reset_mid_body(body: bytes, sent: int, pause: float = 0.05) -> Behaviour:
    """Announce the whole ``body``, send ``sent`` bytes of it, then reset the connection."""

    async def behaviour(ex: Exchange) -> None:
        await ex.write(ex.head(200, {"Content-Type": "application/json"}, content_length=len(body)))
        await ex.write(body[:sent])
        await asyncio.sleep(pause)
        ex.reset()

    return behaviour


def close_mid_body(body: bytes, sent: int) -> Behaviour:
    """Announce the whole ``body``, send ``sent`` bytes of it, then close (FIN)."""

    async def behaviour(ex: Exchange) -> None:
        await ex.write(ex.head(200, {"Content-Type": "application/json"}, content_length=len(body)))
        await ex.write(body[:sent])
        await ex.close()

    return behaviour


def event(obj: Any, *, name: str | None = None) -> bytes:
    """One SSE event: ``data: <json>`` (or the string as is), with an ``event:`` line if named."""
    data = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {data}\n\n".encode()


def chunk_event(text: str, **extra: Any) -> bytes:
    """The SSE event of a chat completion chunk carrying ``text``."""
    return event(
        {
            "id": "cmpl-stream",
            "object": "chat.completion.chunk",
            "model": "mistral-small-latest",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
            **extra,
        }
    )


SSEStep = bytes | float | _Action


def sse(
    *steps: SSEStep,
    chunked: bool = True,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Behaviour:
    """Answer with an event stream: ``bytes`` are written (one chunk each when ``chunked``),
    numbers are pauses in seconds, and :data:`DONE`, :data:`END`, :data:`RESET`,
    :data:`CLOSE` or :data:`HANG` end it. Without a terminal step the body is just ended.
    """

    async def behaviour(ex: Exchange) -> None:
        merged = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        merged.update(headers or {})
        await ex.write(ex.head(status, merged, chunked=chunked))

        async def send(data: bytes) -> None:
            await ex.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)

        async def end() -> None:
            if chunked:
                await ex.write(b"0\r\n\r\n")
            else:
                await ex.close()

        for step in steps:
            if isinstance(step, bytes):
                await send(step)
            elif isinstance(step, int | float):
                await asyncio.sleep(step)
            elif step is DONE:
                await send(b"data: [DONE]\n\n")
                await end()
                return
            elif step is END:
                await end()
                return
            elif step is RESET:
                ex.reset()
                return
            elif step is CLOSE:
                await ex.close()
                return
            elif step is HANG:
                await ex.hang()
                return
        await end()

    return behaviour


# -- sockets for connect-level faults -----------------------------------------------------------


def unused_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def full_backlog(host: str = "127.0.0.1") -> Iterator[int]:
    """A listening port whose accept queue is full, so that new connects hang.

    Linux drops a SYN when the listener's accept queue is full (the client retransmits it
    after a second), so ``connect()`` to this port blocks: that is how a connect timeout
    can be exercised on loopback.
    """
    listener = socket.socket()
    fillers: list[socket.socket] = []
    try:
        listener.bind((host, 0))
        listener.listen(0)
        port = int(listener.getsockname()[1])
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect((host, port))
            fillers.append(filler)
        time.sleep(0.05)
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()

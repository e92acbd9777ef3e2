"""The fake Mistral API server: request pipeline, fault injection, recording and lifecycle.

Endpoints live in endpoint groups (see :mod:`._app`); this module routes every request
through the same pipeline: record, inject faults, authenticate, route, answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json as _json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from types import ModuleType, TracebackType
from typing import Any, Final, Self, TypeVar

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from ._app import (
    ERROR_KINDS,
    Abort,
    Call,
    FakeApp,
    GroupRegistrar,
    discover_groups,
    error_body,
)
from ._body import RECORD_LIMIT, BodyCapture, RequestBody

__all__ = ["DEFAULT_ADMIN_API_KEY", "DEFAULT_API_KEY", "FakeMistral", "Headers", "RecordedRequest"]

DEFAULT_API_KEY: Final = "fake-key"
DEFAULT_ADMIN_API_KEY: Final = "fake-admin-key"
"""The key of the ``AdminApiKey`` scheme (``/v1/admin/...``); the ordinary key is refused."""

_LOGGER = logging.getLogger("mistral_async.testing")
_SHUTDOWN_TIMEOUT: Final = 2.0

S = TypeVar("S")
JSONBody = bytes | str | Mapping[str, Any] | Sequence[Any]


class Headers(Mapping[str, str]):
    """Read-only, case-insensitive mapping of HTTP header names to values.

    Names are stored lower-cased; repeated headers are joined with ``", "``.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        data: dict[str, str] = {}
        for name, value in items:
            key = name.lower()
            data[key] = f"{data[key]}, {value}" if key in data else value
        self._items = data

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request received by the fake server.

    ``path`` is the raw (still percent-encoded) path without the query string; ``query``
    holds the decoded query parameters (first value wins); ``headers`` is case-insensitive.
    Only the first 1 MiB of the body is kept (``body``); ``body_size`` is the true size and
    ``body_truncated`` tells whether ``body`` is incomplete. A big body is recorded while it
    streams in, so these are final once the response has been received.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: Headers
    capture: BodyCapture = field(repr=False, compare=False)

    @property
    def body(self) -> bytes:
        """The body, or its first 1 MiB when it is bigger (see ``body_truncated``)."""
        return self.capture.head

    @property
    def body_size(self) -> int:
        """The size of the whole body in bytes."""
        return self.capture.size

    @property
    def body_truncated(self) -> bool:
        """Whether ``body`` holds only the beginning of the body."""
        return self.capture.size > RECORD_LIMIT

    @property
    def json(self) -> Any:
        """The body decoded as JSON, or ``None`` when empty, truncated or not valid JSON."""
        body = self.body
        if not body or self.body_truncated:
            return None
        try:
            return _json.loads(body)
        except ValueError:
            return None


@dataclass(frozen=True)
class _Failure:
    """An injected error response."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class _TrackingServer(web.Server):
    """Low-level aiohttp server that counts the TCP connections it holds open."""

    def __init__(
        self, handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]], **kwargs: Any
    ) -> None:
        super().__init__(handler, **kwargs)
        self.open_handlers: set[web.RequestHandler] = set()
        self.total_connections = 0

    def connection_made(self, handler: web.RequestHandler, transport: asyncio.Transport) -> None:
        """Count a newly accepted connection."""
        super().connection_made(handler, transport)
        if handler not in self.open_handlers:
            self.open_handlers.add(handler)
            self.total_connections += 1

    def connection_lost(
        self, handler: web.RequestHandler, exc: BaseException | None = None
    ) -> None:
        """Forget a connection as soon as its transport is gone."""
        super().connection_lost(handler, exc)
        self.open_handlers.discard(handler)


def _default_failure_body(status: int) -> dict[str, Any]:
    """Return a realistic JSON body for an injected ``status``."""
    if status == 422:
        detail = {"type": "value_error", "loc": ["body"], "msg": "Injected failure", "input": None}
        return {"detail": [detail]}
    if status < 400:
        return {}
    message, kind = ERROR_KINDS.get(status, (HTTPStatus(status).phrase, "api_error"))
    return error_body(message, kind, status)


class FakeMistral:
    """A local fake of the Mistral REST API, for demos and tests.

    Start it with ``async with FakeMistral() as fake:`` (server in the running event loop) or
    ``with FakeMistral() as fake:`` (server in a background thread with its own loop), then
    point a client at ``fake.url`` with ``fake.api_key``. Replies are deterministic; faults
    can be injected, requests are recorded, and ``open_connections`` reports how many client
    TCP connections are currently open. Fault-injection and inspection methods are
    thread-safe.

    Endpoints come from the endpoint groups of ``mistral_async.testing.groups`` plus any
    ``extra_groups``; ``app`` is the routing table and ``state(Kind)`` the per-server state
    they use (see :mod:`mistral_async.testing._app`).
    """

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        admin_api_key: str = DEFAULT_ADMIN_API_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
        stream_delay: float = 0.0,
        extra_groups: Iterable[GroupRegistrar | ModuleType] = (),
    ) -> None:
        """Configure the server (it is not started yet).

        ``port=0`` picks a free port. ``stream_delay`` is the pause, in seconds, between two
        streamed events; it can be changed while the server runs. Every endpoint group of
        ``mistral_async.testing.groups`` is registered, then each of ``extra_groups`` (a
        ``register(app)`` callable or a module having one; see :mod:`._app`). A group that
        fails to import or register makes this raise. ``admin_api_key`` is the bearer key
        of the admin operations (``/v1/admin/...``), which refuse ``api_key``.
        """
        self._api_key = api_key
        self._admin_api_key = admin_api_key
        self.host = host
        self.stream_delay = stream_delay
        self._requested_port = port
        self._port: int | None = None
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._failures: deque[_Failure] = deque()
        self._delays: deque[float] = deque()
        self._cuts: deque[int] = deque()
        self._drops = 0
        self._runner: web.ServerRunner | None = None
        self._server: _TrackingServer | None = None
        self._closing: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None
        self._thread_stop: asyncio.Event | None = None
        self._app = FakeApp(
            stream_delay=lambda: self.stream_delay, pop_cut=self._pop_cut, pause=self._pause
        )
        self._app.api_key = api_key
        for name, module in discover_groups():
            self._app.register(module, name)
        for group in extra_groups:
            self._app.register(group)

    # ------------------------------------------------------------------ properties

    @property
    def api_key(self) -> str:
        """The API key clients must send as ``Authorization: Bearer <api_key>``."""
        return self._api_key

    @property
    def admin_api_key(self) -> str:
        """The key admin operations want as ``Authorization: Bearer <admin_api_key>``."""
        return self._admin_api_key

    @property
    def port(self) -> int:
        """The TCP port the server listens on (only while running)."""
        if self._port is None:
            raise RuntimeError("FakeMistral is not running")
        return self._port

    @property
    def url(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:54321`` (only while running)."""
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server is accepting connections."""
        return self._port is not None

    @property
    def open_connections(self) -> int:
        """Number of client TCP connections currently open on the server."""
        server = self._server
        return len(server.open_handlers) if server is not None else 0

    @property
    def total_connections(self) -> int:
        """Number of client TCP connections accepted since the server started."""
        server = self._server
        return server.total_connections if server is not None else 0

    @property
    def app(self) -> FakeApp:
        """The routing table and state of this server (add routes before starting it)."""
        return self._app

    def state(self, kind: type[S]) -> S:
        """Return this server's instance of the state class ``kind`` (see :meth:`FakeApp.state`).

        Handy to seed or inspect endpoint state from a test, between requests.
        """
        return self._app.state(kind)

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received, oldest first (faulted ones included)."""
        with self._lock:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        """The most recent request received.

        Raises ``LookupError`` if no request was received yet.
        """
        with self._lock:
            if not self._requests:
                raise LookupError("the fake Mistral server has not received any request")
            return self._requests[-1]

    # ------------------------------------------------------------------ inspection / faults

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 503,
        headers: Mapping[str, str] | None = None,
        body: JSONBody | None = None,
    ) -> None:
        """Answer the next ``n`` requests with ``status`` instead of handling them.

        ``body`` may be bytes or str (sent as is) or a JSON-serializable object; by default a
        realistic Mistral error object. ``headers`` (e.g. ``{"Retry-After": "0"}``) are added
        to the usual ones and override them. Calls queue up in order.
        """
        if not 200 <= status <= 599:
            raise ValueError(f"status must be between 200 and 599, not {status}")
        if body is None:
            body = _default_failure_body(status)
        if isinstance(body, bytes):
            raw = body
        elif isinstance(body, str):
            raw = body.encode("utf-8")
        else:
            raw = _json.dumps(body).encode("utf-8")
        merged = {"Content-Type": "application/json" if _is_json(raw) else "text/plain"}
        merged.update(headers or {})
        failure = _Failure(status=status, headers=merged, body=raw)
        with self._lock:
            self._failures.extend([failure] * _count(n))

    def delay_next(self, seconds: float, n: int = 1) -> None:
        """Make the next ``n`` requests wait ``seconds`` before being answered."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        with self._lock:
            self._delays.extend([float(seconds)] * _count(n))

    def cut_stream_after(self, k: int, n: int = 1) -> None:
        """Abort the next ``n`` server-sent event streams after ``k`` events.

        The connection is closed mid-body: no further events and no ``data: [DONE]`` (or
        final event). Other responses, including binary downloads, do not consume a cut.
        """
        if k < 0:
            raise ValueError("k must be >= 0")
        with self._lock:
            self._cuts.extend([k] * _count(n))

    def drop_next(self, n: int = 1) -> None:
        """Close the connection of the next ``n`` requests without sending any response."""
        with self._lock:
            self._drops += _count(n)

    def reset_faults(self) -> None:
        """Cancel every pending injected fault."""
        with self._lock:
            self._failures.clear()
            self._delays.clear()
            self._cuts.clear()
            self._drops = 0

    def reset(self) -> None:
        """Reset faults, recorded requests, every endpoint state and the rate-limit counters.

        The model catalog, uploaded files, jobs, ... all go back to their initial state.
        """
        self.reset_faults()
        self.clear_requests()
        self._app.reset()

    async def wait_for_open_connections(
        self,
        count: int = 0,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - a default deadline keeps tests from hanging
    ) -> None:
        """Wait (in the caller's event loop) until ``open_connections == count``.

        Raises ``TimeoutError`` after ``timeout`` seconds.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.open_connections != count:
            if loop.time() >= deadline:
                raise TimeoutError(
                    f"expected {count} open connection(s), still {self.open_connections}"
                )
            await asyncio.sleep(0.005)

    def wait_for_open_connections_sync(self, count: int = 0, *, timeout: float = 5.0) -> None:
        """Blocking variant of :meth:`wait_for_open_connections` (thread mode only)."""
        deadline = time.monotonic() + timeout
        while self.open_connections != count:
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"expected {count} open connection(s), still {self.open_connections}"
                )
            time.sleep(0.005)

    # ------------------------------------------------------------------ lifecycle

    async def astart(self) -> None:
        """Start serving in the running event loop."""
        if self._runner is not None:
            raise RuntimeError("FakeMistral is already running")
        self._closing = asyncio.Event()
        server = _TrackingServer(self._handle, handler_cancellation=True, access_log=None)
        runner = web.ServerRunner(server, shutdown_timeout=_SHUTDOWN_TIMEOUT)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self._requested_port)
            await site.start()
            address = runner.addresses[0]
        except BaseException:
            await runner.cleanup()
            raise
        self._server = server
        self._runner = runner
        self._port = int(address[1])

    async def astop(self) -> None:
        """Stop serving (started with :meth:`astart`); closes every open connection."""
        runner = self._runner
        if runner is None:
            return
        self._runner = None
        self._port = None
        if self._closing is not None:
            self._closing.set()
        await runner.cleanup()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 1.0
        # Transports report connection_lost in later loop iterations; poll briefly for them.
        while self.open_connections and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.005)

    def start(self) -> None:
        """Start serving in a new background thread running its own event loop."""
        if self._runner is not None or self._thread is not None:
            raise RuntimeError("FakeMistral is already running")
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(self._serve_in_thread(ready, errors))
            except BaseException as exc:  # noqa: BLE001 - re-raised by start() in the caller
                errors.append(exc)
            finally:
                ready.set()

        thread = threading.Thread(target=run, name="FakeMistral", daemon=True)
        self._thread = thread
        thread.start()
        ready.wait()
        if errors:
            thread.join()
            self._thread = None
            raise errors[0]

    def stop(self) -> None:
        """Stop a server started with :meth:`start` and join its thread."""
        thread, loop, stop = self._thread, self._thread_loop, self._thread_stop
        if thread is None:
            return
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop may already be closed
                loop.call_soon_threadsafe(stop.set)
        thread.join()
        self._thread = None
        self._thread_loop = None
        self._thread_stop = None

    async def _serve_in_thread(self, ready: threading.Event, errors: list[BaseException]) -> None:
        """Body of the background thread: start, wait for :meth:`stop`, clean up."""
        self._thread_loop = asyncio.get_running_loop()
        self._thread_stop = asyncio.Event()
        try:
            await self.astart()
        except BaseException as exc:  # noqa: BLE001 - re-raised by start() in the caller
            errors.append(exc)
            return
        finally:
            ready.set()
        try:
            await self._thread_stop.wait()
        finally:
            await self.astop()

    async def __aenter__(self) -> Self:
        await self.astart()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.astop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"<FakeMistral {where}>"

    # ------------------------------------------------------------------ request pipeline

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """Record the request, apply injected faults, authenticate, then route it."""
        request_id = uuid.uuid4().hex
        if request.headers.get("Expect", "").lower() == "100-continue":
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        capture = BodyCapture()
        body = RequestBody(request.content, capture)
        length = request.content_length
        if length is not None and length <= RECORD_LIMIT:
            await body.prefetch()  # small bodies are recorded whole before any fault applies
        raw_path = request.raw_path.split("?", 1)[0]
        record = RecordedRequest(
            method=request.method,
            path=raw_path,
            query={key: request.query[key] for key in request.query},
            headers=Headers(request.headers.items()),
            capture=capture,
        )
        with self._lock:
            self._requests.append(record)
            delay = self._delays.popleft() if self._delays else None
            drop = self._drops > 0
            if drop:
                self._drops -= 1
            failure = self._failures.popleft() if self._failures and not drop else None
        app = self._app
        app.limits.count_request()

        if delay is not None and await self._pause(delay):
            return self._abort(request)
        if drop:
            return self._abort(request)
        response = await self._respond(request, request_id, raw_path, body, failure)
        await self._drain(body)
        return response

    async def _respond(
        self,
        request: web.BaseRequest,
        request_id: str,
        raw_path: str,
        body: RequestBody,
        failure: _Failure | None,
    ) -> web.StreamResponse:
        """Answer with the injected failure, an auth/routing error or the route's handler."""
        app = self._app
        if failure is not None:
            await self._drain(body)
            headers = {**app.headers(request_id), **failure.headers}
            return web.Response(status=failure.status, body=failure.body, headers=headers)
        match = app.match(request.method, raw_path)
        auth = match.endpoint.auth if match.endpoint is not None else "bearer"
        if not self._authorized(request, auth):
            await self._drain(body)
            body_401 = error_body("Unauthorized", "authentication_error", 401)
            return app.json_response(request_id, body_401, status=401)
        if match.endpoint is None:
            await self._drain(body)
            if match.allowed:
                payload = error_body("Method Not Allowed", "invalid_request_error", 405)
                headers = {"Allow": ", ".join(match.allowed)}
                return app.json_response(request_id, payload, status=405, headers=headers)
            message = f"Not found: {request.method} {raw_path}"
            payload = error_body(message, "invalid_request_error", 404)
            return app.json_response(request_id, payload, status=404)
        call = Call(
            app=app,
            request=request,
            request_id=request_id,
            path=raw_path,
            params=match.params,
            body=body,
        )
        try:
            return await match.endpoint.handler(call)
        except Abort as abort:
            return abort.response
        except Exception as exc:
            _LOGGER.exception("fake Mistral handler failed")
            payload = error_body(f"Internal server error: {exc!r}", "internal_server_error", 500)
            return app.json_response(request_id, payload, status=500)

    @staticmethod
    async def _drain(body: RequestBody) -> None:
        """Read (and record) what is left of the body; a vanished client is not an error."""
        with contextlib.suppress(OSError, HttpProcessingError):
            await body.drain()

    def _authorized(self, request: web.BaseRequest, auth: str = "bearer") -> bool:
        """Check the credentials a route wants (see ``FakeApp.route``): by default the
        ``Authorization: Bearer <key>`` header."""
        if auth == "none":
            return True
        if auth == "x-api-key":
            return request.headers.get("x-api-key", "").strip() == self._api_key
        scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
        expected = self._admin_api_key if auth == "admin" else self._api_key
        return scheme.lower() == "bearer" and token.strip() == expected

    def _abort(self, request: web.BaseRequest) -> web.StreamResponse:
        """Close the connection; aiohttp then silently gives up writing the response."""
        transport = request.transport
        if transport is not None:
            transport.close()
        return web.Response(status=500)

    def _pop_cut(self) -> int | None:
        """Take the next pending ``cut_stream_after`` fault."""
        with self._lock:
            return self._cuts.popleft() if self._cuts else None

    async def _pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` (at least one loop iteration); return True if the server stops."""
        closing = self._closing
        if closing is None:
            await asyncio.sleep(max(0.0, seconds))
            return False
        if seconds <= 0:
            await asyncio.sleep(0)
            return closing.is_set()
        try:
            await asyncio.wait_for(closing.wait(), seconds)
        except TimeoutError:
            return False
        return True


# ---------------------------------------------------------------------------- helpers


def _count(n: int) -> int:
    """Validate a fault repetition count."""
    if n < 0:
        raise ValueError("n must be >= 0")
    return n


def _is_json(raw: bytes) -> bool:
    """Tell whether ``raw`` is a JSON document."""
    try:
        _json.loads(raw)
    except ValueError:
        return False
    return True

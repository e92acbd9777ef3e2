"""The fake Mistral API server: routing, handlers, fault injection and lifecycle."""

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
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import unquote

from aiohttp import web

from ._catalog import ModelCatalog
from ._generate import (
    DEFAULT_EMBEDDING_DIMENSION,
    apply_limits,
    chat_reply,
    count_tokens,
    embedding,
    encode_embedding,
    fim_reply,
    format_reply,
    prompt_tokens,
    split_arguments,
    split_pieces,
    tool_arguments,
)
from ._validation import (
    CHAT_REQUEST,
    EMBEDDING_REQUEST,
    FIM_REQUEST,
    UPDATE_MODEL_REQUEST,
    ErrorDetail,
    Schema,
    parse_json_body,
)

__all__ = ["DEFAULT_API_KEY", "FakeMistral", "Headers", "RecordedRequest"]

DEFAULT_API_KEY: Final = "fake-key"

_LOGGER = logging.getLogger("mistral_async.testing")
_SHUTDOWN_TIMEOUT: Final = 2.0
_LIMIT_REQ_MINUTE: Final = 1200
_LIMIT_TOKENS_MINUTE: Final = 2_000_000
_LIMIT_TOKENS_MONTH: Final = 4_000_000_000

_ERROR_KINDS: Final[Mapping[int, tuple[str, str]]] = {
    400: ("Bad request", "invalid_request_error"),
    401: ("Unauthorized", "authentication_error"),
    403: ("Forbidden", "permission_error"),
    404: ("Not found", "invalid_request_error"),
    408: ("Request timeout", "timeout_error"),
    409: ("Conflict", "invalid_request_error"),
    429: ("Requests rate limit exceeded", "rate_limited"),
    500: ("Internal server error", "internal_server_error"),
    502: ("Bad gateway", "api_error"),
    503: ("Service unavailable", "service_unavailable"),
    504: ("Gateway timeout", "api_error"),
}

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
    """

    method: str
    path: str
    query: dict[str, str]
    headers: Headers
    body: bytes

    @property
    def json(self) -> Any:
        """The body decoded as JSON, or ``None`` when it is empty or not valid JSON."""
        if not self.body:
            return None
        try:
            return _json.loads(self.body)
        except ValueError:
            return None


@dataclass(frozen=True)
class _Failure:
    """An injected error response."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class _ToolCall:
    """A generated tool call."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class _Choice:
    """One generated completion choice."""

    content: str
    tool_call: _ToolCall | None
    finish_reason: str

    @property
    def tokens(self) -> int:
        """Completion tokens used by this choice."""
        if self.tool_call is not None:
            return count_tokens(self.tool_call.name) + count_tokens(self.tool_call.arguments)
        return count_tokens(self.content)


@dataclass(frozen=True)
class _Call:
    """The context of one routed request."""

    request: web.BaseRequest
    request_id: str
    body: bytes
    model_id: str


_Handler = Callable[[_Call], Awaitable[web.StreamResponse]]


class _RateLimits:
    """Rate-limit bookkeeping reported in the ``x-ratelimit-*`` headers (never enforced)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._window_start = time.monotonic()
        self._requests = 0
        self._tokens_minute = 0
        self._tokens_month = 0

    def _roll(self) -> None:
        now = time.monotonic()
        if now - self._window_start >= 60:
            self._window_start = now
            self._requests = 0
            self._tokens_minute = 0

    def count_request(self) -> None:
        """Account for one request."""
        with self._lock:
            self._roll()
            self._requests += 1

    def charge(self, tokens: int) -> None:
        """Account for ``tokens`` used."""
        with self._lock:
            self._roll()
            self._tokens_minute += tokens
            self._tokens_month += tokens

    def headers(self) -> dict[str, str]:
        """Return the current rate-limit headers."""
        with self._lock:
            self._roll()
            values = {
                "x-ratelimit-limit-req-minute": _LIMIT_REQ_MINUTE,
                "x-ratelimit-remaining-req-minute": _LIMIT_REQ_MINUTE - self._requests,
                "x-ratelimit-limit-tokens-minute": _LIMIT_TOKENS_MINUTE,
                "x-ratelimit-remaining-tokens-minute": _LIMIT_TOKENS_MINUTE - self._tokens_minute,
                "x-ratelimit-limit-tokens-month": _LIMIT_TOKENS_MONTH,
                "x-ratelimit-remaining-tokens-month": _LIMIT_TOKENS_MONTH - self._tokens_month,
            }
        return {name: str(max(0, value)) for name, value in values.items()}


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


def _error_body(message: str, kind: str, code: int | str) -> dict[str, Any]:
    """Build a Mistral-style error object."""
    return {"object": "error", "message": message, "type": kind, "param": None, "code": str(code)}


def _default_failure_body(status: int) -> dict[str, Any]:
    """Return a realistic JSON body for an injected ``status``."""
    if status == 422:
        detail = {"type": "value_error", "loc": ["body"], "msg": "Injected failure", "input": None}
        return {"detail": [detail]}
    if status < 400:
        return {}
    message, kind = _ERROR_KINDS.get(status, (HTTPStatus(status).phrase, "api_error"))
    return _error_body(message, kind, status)


class FakeMistral:
    """A local fake of the Mistral REST API, for demos and tests.

    Start it with ``async with FakeMistral() as fake:`` (server in the running event loop) or
    ``with FakeMistral() as fake:`` (server in a background thread with its own loop), then
    point a client at ``fake.url`` with ``fake.api_key``. Replies are deterministic; faults
    can be injected, requests are recorded, and ``open_connections`` reports how many client
    TCP connections are currently open. Fault-injection and inspection methods are
    thread-safe.
    """

    def __init__(
        self,
        *,
        api_key: str = DEFAULT_API_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
        stream_delay: float = 0.0,
    ) -> None:
        """Configure the server (it is not started yet).

        ``port=0`` picks a free port. ``stream_delay`` is the pause, in seconds, between two
        streamed events; it can be changed while the server runs.
        """
        self._api_key = api_key
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
        self._catalog = ModelCatalog()
        self._limits = _RateLimits()
        self._runner: web.ServerRunner | None = None
        self._server: _TrackingServer | None = None
        self._closing: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None
        self._thread_stop: asyncio.Event | None = None
        self._routes: list[tuple[tuple[str | None, ...], dict[str, _Handler]]] = [
            (("v1", "chat", "completions"), {"POST": self._chat}),
            (("v1", "fim", "completions"), {"POST": self._fim}),
            (("v1", "embeddings"), {"POST": self._embeddings}),
            (("v1", "models"), {"GET": self._list_models}),
            (("v1", "models", None), {"GET": self._get_model, "DELETE": self._delete_model}),
            (("v1", "fine_tuning", "models", None), {"PATCH": self._update_model}),
            (
                ("v1", "fine_tuning", "models", None, "archive"),
                {"POST": self._archive_model, "DELETE": self._unarchive_model},
            ),
        ]

    # ------------------------------------------------------------------ properties

    @property
    def api_key(self) -> str:
        """The API key clients must send as ``Authorization: Bearer <api_key>``."""
        return self._api_key

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
        """Abort the next ``n`` streaming responses after ``k`` data events.

        The connection is closed mid-body: no further events and no ``data: [DONE]``.
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
        """Reset faults, recorded requests, the model catalog and the rate-limit counters."""
        self.reset_faults()
        self.clear_requests()
        self._catalog = ModelCatalog()
        self._limits = _RateLimits()

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
        body = await request.content.read()  # unlike request.read(), no 1 MiB cap
        raw_path = request.raw_path.split("?", 1)[0]
        record = RecordedRequest(
            method=request.method,
            path=raw_path,
            query={key: request.query[key] for key in request.query},
            headers=Headers(request.headers.items()),
            body=body,
        )
        with self._lock:
            self._requests.append(record)
            delay = self._delays.popleft() if self._delays else None
            drop = self._drops > 0
            if drop:
                self._drops -= 1
            failure = self._failures.popleft() if self._failures and not drop else None
        self._limits.count_request()

        if delay is not None and await self._pause(delay):
            return self._abort(request)
        if drop:
            return self._abort(request)
        if failure is not None:
            headers = {**self._headers(request_id), **failure.headers}
            return web.Response(status=failure.status, body=failure.body, headers=headers)
        if not self._authorized(request):
            body_401 = _error_body("Unauthorized", "authentication_error", 401)
            return self._json(request_id, body_401, status=401)

        handler, model_id, allowed = self._route(request.method, raw_path)
        if handler is None:
            if allowed:
                payload = _error_body("Method Not Allowed", "invalid_request_error", 405)
                headers = {"Allow": ", ".join(allowed)}
                return self._json(request_id, payload, status=405, headers=headers)
            message = f"Not found: {request.method} {raw_path}"
            return self._json(
                request_id, _error_body(message, "invalid_request_error", 404), status=404
            )
        try:
            return await handler(_Call(request, request_id, body, model_id))
        except Exception as exc:
            _LOGGER.exception("fake Mistral handler failed")
            payload = _error_body(f"Internal server error: {exc!r}", "internal_server_error", 500)
            return self._json(request_id, payload, status=500)

    def _route(self, method: str, raw_path: str) -> tuple[_Handler | None, str, list[str]]:
        """Match a raw path; return the handler, the decoded model id and allowed methods."""
        segments = raw_path.split("/")
        if segments[0] != "":
            return None, "", []
        parts = [unquote(segment) for segment in segments[1:]]
        for pattern, methods in self._routes:
            if len(pattern) != len(parts):
                continue
            model_id = ""
            for expected, actual in zip(pattern, parts, strict=True):
                if expected is None:
                    if not actual:
                        break
                    model_id = actual
                elif expected != actual:
                    break
            else:
                handler = methods.get(method)
                return handler, model_id, sorted(methods)
        return None, "", []

    def _authorized(self, request: web.BaseRequest) -> bool:
        """Check the ``Authorization: Bearer <key>`` header."""
        scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
        return scheme.lower() == "bearer" and token.strip() == self._api_key

    def _headers(self, request_id: str) -> dict[str, str]:
        """Headers carried by every response."""
        return {"x-request-id": request_id, **self._limits.headers()}

    def _json(
        self,
        request_id: str,
        payload: Any,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        """Build a JSON response with the standard headers."""
        merged = {**self._headers(request_id), "Content-Type": "application/json"}
        merged.update(headers or {})
        return web.Response(status=status, body=_json.dumps(payload).encode(), headers=merged)

    def _validation_error(self, call: _Call, errors: list[ErrorDetail]) -> web.Response:
        """Build a 422 response with FastAPI's ``{"detail": [...]}`` body."""
        return self._json(call.request_id, {"detail": errors}, status=422)

    def _not_found(self, call: _Call) -> web.Response:
        """Build the 404 response for an unknown model."""
        payload = _error_body(f"Model not found: {call.model_id}", "invalid_request_error", 404)
        return self._json(call.request_id, payload, status=404)

    def _abort(
        self, request: web.BaseRequest, response: web.StreamResponse | None = None
    ) -> web.StreamResponse:
        """Close the connection; aiohttp then silently gives up writing the response."""
        transport = request.transport
        if transport is not None:
            transport.close()
        return response if response is not None else web.Response(status=500)

    async def _pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` (at least one loop iteration); return True if the server stops."""
        closing = self._closing
        assert closing is not None
        if seconds <= 0:
            await asyncio.sleep(0)
            return closing.is_set()
        try:
            await asyncio.wait_for(closing.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def _parse(self, call: _Call, schema: Schema) -> tuple[Any, web.Response | None]:
        """Decode and validate the body; return it, or the 422 response to send."""
        payload, errors = parse_json_body(call.body, schema)
        if errors:
            return None, self._validation_error(call, errors)
        return payload, None

    # ------------------------------------------------------------------ completions

    async def _chat(self, call: _Call) -> web.StreamResponse:
        """``POST /v1/chat/completions``."""
        payload, error = self._parse(call, CHAT_REQUEST)
        if error is not None:
            return error
        messages: list[dict[str, Any]] = payload["messages"]
        forced = _forced_tool(payload)
        choices: list[_Choice] = []
        for index in range(payload.get("n") or 1):
            if forced is not None:
                name, arguments = forced
                call_id = f"call_{uuid.uuid4().hex[:8]}"
                tool_call = _ToolCall(id=call_id, name=name, arguments=arguments)
                choices.append(_Choice("", tool_call, "tool_calls"))
                continue
            text = format_reply(chat_reply(messages, index), payload.get("response_format"))
            text, finish = apply_limits(text, payload.get("max_tokens"), payload.get("stop"))
            choices.append(_Choice(text, None, finish))
        return await self._complete(call, payload, prompt_tokens(messages), choices)

    async def _fim(self, call: _Call) -> web.StreamResponse:
        """``POST /v1/fim/completions``."""
        payload, error = self._parse(call, FIM_REQUEST)
        if error is not None:
            return error
        prompt: str = payload["prompt"]
        suffix: str | None = payload.get("suffix")
        text = fim_reply(prompt, suffix)
        text, finish = apply_limits(text, payload.get("max_tokens"), payload.get("stop"))
        used = count_tokens(prompt) + count_tokens(suffix or "")
        return await self._complete(call, payload, used, [_Choice(text, None, finish)])

    async def _complete(
        self, call: _Call, payload: Mapping[str, Any], prompt_count: int, choices: list[_Choice]
    ) -> web.StreamResponse:
        """Answer a completion as JSON or as a server-sent event stream."""
        completion_tokens = sum(choice.tokens for choice in choices)
        usage = {
            "prompt_tokens": prompt_count,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_count + completion_tokens,
        }
        self._limits.charge(usage["total_tokens"])
        completion_id = uuid.uuid4().hex
        created = int(time.time())
        model: str = payload["model"]
        if payload.get("stream"):
            events = _stream_events(completion_id, created, model, choices, usage)
            return await self._stream(call, events)
        body = {
            "id": completion_id,
            "object": "chat.completion",
            "model": model,
            "created": created,
            "usage": usage,
            "choices": [
                {
                    "index": index,
                    "message": {
                        "role": "assistant",
                        "content": choice.content,
                        "tool_calls": (
                            [_tool_call_json(choice.tool_call)] if choice.tool_call else None
                        ),
                    },
                    "finish_reason": choice.finish_reason,
                }
                for index, choice in enumerate(choices)
            ],
        }
        return self._json(call.request_id, body)

    async def _stream(self, call: _Call, events: list[dict[str, Any]]) -> web.StreamResponse:
        """Send ``events`` as SSE, one write per event, honouring ``cut_stream_after``."""
        with self._lock:
            cut = self._cuts.popleft() if self._cuts else None
        headers = {
            **self._headers(call.request_id),
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
        }
        response = web.StreamResponse(status=200, headers=headers)
        await response.prepare(call.request)
        try:
            for index, event in enumerate(events):
                if cut is not None and index >= cut:
                    return self._abort(call.request, response)
                if index and await self._pause(self.stream_delay):
                    return self._abort(call.request, response)
                data = _json.dumps(event, separators=(",", ":"))
                await response.write(f"data: {data}\n\n".encode())
            if cut is not None:
                return self._abort(call.request, response)
            await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
        except ConnectionError:
            pass  # the client went away
        return response

    # ------------------------------------------------------------------ embeddings

    async def _embeddings(self, call: _Call) -> web.StreamResponse:
        """``POST /v1/embeddings``."""
        payload, error = self._parse(call, EMBEDDING_REQUEST)
        if error is not None:
            return error
        raw_input = payload["input"]
        inputs: list[str] = [raw_input] if isinstance(raw_input, str) else raw_input
        dimension = payload.get("output_dimension") or DEFAULT_EMBEDDING_DIMENSION
        dtype = payload.get("output_dtype", "float")
        encoding = payload.get("encoding_format", "float")
        used = sum(count_tokens(text) for text in inputs)
        self._limits.charge(used)
        body = {
            "id": uuid.uuid4().hex,
            "object": "list",
            "model": payload["model"],
            "usage": {"prompt_tokens": used, "completion_tokens": 0, "total_tokens": used},
            "data": [
                {
                    "object": "embedding",
                    "embedding": encode_embedding(embedding(text, dimension), dtype, encoding),
                    "index": index,
                }
                for index, text in enumerate(inputs)
            ],
        }
        return self._json(call.request_id, body)

    # ------------------------------------------------------------------ models

    async def _list_models(self, call: _Call) -> web.StreamResponse:
        """``GET /v1/models``."""
        query = call.request.query
        cards = self._catalog.list_models(query.get("provider"), query.get("model"))
        return self._json(call.request_id, {"object": "list", "data": cards})

    async def _get_model(self, call: _Call) -> web.StreamResponse:
        """``GET /v1/models/{model_id}``."""
        card = self._catalog.get(call.model_id)
        if card is None:
            return self._not_found(call)
        return self._json(call.request_id, card)

    async def _delete_model(self, call: _Call) -> web.StreamResponse:
        """``DELETE /v1/models/{model_id}`` (fine-tuned models only)."""
        catalog = self._catalog
        if catalog.get(call.model_id) is None:
            return self._not_found(call)
        if not catalog.is_fine_tuned(call.model_id):
            message = f"Base model {call.model_id} cannot be deleted"
            return self._json(
                call.request_id, _error_body(message, "permission_error", 403), status=403
            )
        catalog.delete(call.model_id)
        return self._json(
            call.request_id, {"id": call.model_id, "object": "model", "deleted": True}
        )

    async def _update_model(self, call: _Call) -> web.StreamResponse:
        """``PATCH /v1/fine_tuning/models/{model_id}``."""
        payload, error = self._parse(call, UPDATE_MODEL_REQUEST)
        if error is not None:
            return error
        if not self._catalog.is_fine_tuned(call.model_id):
            return self._not_found(call)
        return self._json(call.request_id, self._catalog.update(call.model_id, payload))

    async def _archive_model(self, call: _Call) -> web.StreamResponse:
        """``POST /v1/fine_tuning/models/{model_id}/archive``."""
        return self._set_archived(call, archived=True)

    async def _unarchive_model(self, call: _Call) -> web.StreamResponse:
        """``DELETE /v1/fine_tuning/models/{model_id}/archive``."""
        return self._set_archived(call, archived=False)

    def _set_archived(self, call: _Call, *, archived: bool) -> web.StreamResponse:
        """Archive or unarchive a fine-tuned model."""
        if not self._catalog.is_fine_tuned(call.model_id):
            return self._not_found(call)
        self._catalog.set_archived(call.model_id, archived)
        body = {"id": call.model_id, "object": "model", "archived": archived}
        return self._json(call.request_id, body)


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


def _forced_tool(payload: Mapping[str, Any]) -> tuple[str, str] | None:
    """Return the (name, arguments) of the tool the reply must call, if any."""
    tools = [
        tool for tool in payload.get("tools") or () if tool.get("type", "function") == "function"
    ]
    choice = payload.get("tool_choice", "auto")
    if isinstance(choice, dict):
        name: str = choice["function"]["name"]
        tool = next((t for t in tools if t["function"]["name"] == name), None)
        return name, tool_arguments(tool)
    if choice in ("any", "required") and tools:
        return tools[0]["function"]["name"], tool_arguments(tools[0])
    return None


def _tool_call_json(tool_call: _ToolCall) -> dict[str, Any]:
    """Render a complete tool call."""
    return {
        "id": tool_call.id,
        "type": "function",
        "function": {"name": tool_call.name, "arguments": tool_call.arguments},
        "index": 0,
    }


def _stream_events(
    completion_id: str,
    created: int,
    model: str,
    choices: Sequence[_Choice],
    usage: Mapping[str, int],
) -> list[dict[str, Any]]:
    """Build the CompletionChunk objects of a streamed completion (``[DONE]`` excluded)."""
    deltas: list[tuple[int, dict[str, Any], str | None]] = []
    for index, choice in enumerate(choices):
        deltas.append((index, {"role": "assistant", "content": ""}, None))
        if choice.tool_call is not None:
            parts = split_arguments(choice.tool_call.arguments)
            for number, part in enumerate(parts):
                call: dict[str, Any] = {"index": 0, "function": {"arguments": part}}
                if number == 0:
                    call = {
                        "index": 0,
                        "id": choice.tool_call.id,
                        "type": "function",
                        "function": {"name": choice.tool_call.name, "arguments": part},
                    }
                last = number == len(parts) - 1
                deltas.append(
                    (index, {"tool_calls": [call]}, choice.finish_reason if last else None)
                )
            continue
        pieces = split_pieces(choice.content) or [""]
        for number, piece in enumerate(pieces):
            last = number == len(pieces) - 1
            deltas.append((index, {"content": piece}, choice.finish_reason if last else None))
    events: list[dict[str, Any]] = []
    for number, (index, delta, finish_reason) in enumerate(deltas):
        event: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": index, "delta": delta, "finish_reason": finish_reason}],
        }
        if number == len(deltas) - 1:
            event["usage"] = dict(usage)
        events.append(event)
    return events

"""Extension API of the fake server: endpoint groups, routes, per-server state and ``Call``.

Every endpoint of :class:`~mistral_async.testing.FakeMistral` lives in an *endpoint group*:
a module of the ``mistral_async.testing.groups`` package that exposes
``register(app: FakeApp) -> None``. When a server is constructed, every module of that
package whose name does not start with ``_`` is imported, in sorted name order, and its
``register`` is called; a module that fails to import, lacks ``register`` or registers a
route twice makes the construction fail loudly. Extra groups (any callable taking a
:class:`FakeApp`, or a module with ``register``) can be passed as
``FakeMistral(extra_groups=[...])``; they are registered after the built-in ones.

The server does the rest for every route, with no per-group code: authentication, request
recording, fault injection (``fail_next``, ``delay_next``, ``drop_next`` and, for
:meth:`Call.sse` streams, ``cut_stream_after``), rate-limit headers, the
``x-request-id`` header, 404/405 answers, connection tracking and turning a handler
exception into a 500.

Routes
    ``app.route(method, pattern, handler)``. A pattern is a ``/``-separated path whose
    segments are literals or ``{name}`` parameters: ``"/v1/libraries/{library_id}/documents/
    {document_id}"``. The raw (percent-encoded) request path is split on ``/`` and each
    segment is then percent-decoded, so ``/v1/files/a%2Fb`` gives ``file_id == "a/b"``. A
    parameter never matches an empty segment, segment counts must be equal (no trailing
    slash tolerance), and literal segments win over parameters wherever they are, whatever
    the registration order (``/v1/files/signed`` beats ``/v1/files/{file_id}``). A path that
    matches with another method gets a 405 with an ``Allow`` header, anything else a 404.
    ``auth`` names the credentials the server checks before calling the handler:
    ``"bearer"`` (the default: ``Authorization: Bearer <api key>``), ``"admin"``
    (``Authorization: Bearer <admin api key>``; the ordinary key gets a 401),
    ``"x-api-key"`` (an ``x-api-key: <api key>`` header) or ``"none"``. A ``fallback=True``
    route gives way to any other registration of the same method and path shape, earlier
    or later (the spec-driven ``spec_ops`` group registers its routes that way).

State
    ``app.state(Kind)`` (or ``call.state(Kind)``) returns the per-server instance of any
    class constructible without arguments, created on first use. ``fake.reset()`` drops
    every state object, so look states up inside each handler instead of keeping them
    around. States are how groups share data: :class:`~._store.FilesState` holds uploaded
    files for everyone, :class:`~._catalog.ModelCatalog` the models. State is touched from
    the server's event loop only; tests may inspect it between requests with
    ``fake.state(Kind)``.

Handlers
    ``async def handler(call: Call) -> web.StreamResponse``. ``call`` carries the request
    (``request_id``, ``method``, ``path``, ``params``, ``query``, ``headers``), reads the
    body (:meth:`Call.json`, :meth:`Call.form`, :meth:`Call.body`, :meth:`Call.iter_body`,
    :meth:`Call.spool_body`), validates (:meth:`Call.validate`,
    :meth:`Call.validate_query`, :meth:`Call.validate_form`, with the schema language of
    :mod:`._validation`) and builds responses that carry the standard headers
    (:meth:`Call.ok`, :meth:`Call.error`, :meth:`Call.not_found`,
    :meth:`Call.validation_error`, :meth:`Call.empty`, :meth:`Call.bytes_response`,
    :meth:`Call.sse`). Reading and validation helpers raise :class:`Abort` carrying the
    ready 4xx response; handlers may raise ``Abort(call.not_found(...))`` themselves from
    any depth.

Bodies are never buffered whole unless the handler asks for it (``json()``, ``body()``):
``form()`` parses ``multipart/form-data`` from the socket, keeping each file in memory up to
1 MiB and spooling the rest to a temporary file, and ``bytes_response()`` streams blobs,
files and generators in chunks, so a 1 GiB upload or download costs about a megabyte of
memory. The request recorder keeps the first 1 MiB of each body.

Worked example, a complete group module ``mistral_async/testing/groups/shelves.py``::

    \"\"\"Fake ``/v1/shelves`` endpoints (an example group).\"\"\"

    from __future__ import annotations

    import uuid
    from collections.abc import AsyncIterator
    from typing import Any

    from aiohttp import web

    from .._app import Abort, Call, FakeApp
    from .._store import FilesState
    from .._validation import Body, Int, Str, Upload, nullable

    CREATE_SHELF = Body(
        "ShelfIn",
        required={"name": Str(min_length=1)},
        optional={"description": nullable(Str())},
    )
    LIST_QUERY = Body("ListShelves", optional={"page": Int(ge=0), "page_size": Int(ge=1)})
    UPLOAD_BOOK = Body("BookUpload", required={"file": Upload()}, optional={"title": Str()})


    class ShelvesState:
        \"\"\"The shelves of one server (dropped by ``fake.reset()``).\"\"\"

        def __init__(self) -> None:
            self.shelves: dict[str, dict[str, Any]] = {}
            self.books: dict[str, dict[str, str]] = {}  # book id -> {shelf_id, file_id}


    def register(app: FakeApp) -> None:
        \"\"\"Add the shelves routes.\"\"\"
        app.route("POST", "/v1/shelves", create_shelf)
        app.route("GET", "/v1/shelves", list_shelves)
        app.route("GET", "/v1/shelves/{shelf_id}", get_shelf)
        app.route("DELETE", "/v1/shelves/{shelf_id}", delete_shelf)
        app.route("POST", "/v1/shelves/{shelf_id}/books", upload_book)
        app.route("GET", "/v1/shelves/{shelf_id}/books/{book_id}/content", download_book)
        app.route("GET", "/v1/shelves/{shelf_id}/events", shelf_events)


    def _shelf(call: Call) -> dict[str, Any]:
        \"\"\"Return the shelf named by the path, or stop with a 404.\"\"\"
        shelf_id = call.params["shelf_id"]
        shelf = call.state(ShelvesState).shelves.get(shelf_id)
        if shelf is None:
            raise Abort(call.not_found("Shelf", shelf_id))
        return shelf


    async def create_shelf(call: Call) -> web.StreamResponse:
        \"\"\"``POST /v1/shelves``.\"\"\"
        payload = await call.json(CREATE_SHELF)  # 422 json_invalid / missing / ... for you
        shelf = {"id": str(uuid.uuid4()), "object": "shelf", "description": None, **payload}
        call.state(ShelvesState).shelves[shelf["id"]] = shelf
        return call.ok(shelf, status=201)


    async def list_shelves(call: Call) -> web.StreamResponse:
        \"\"\"``GET /v1/shelves?page=0&page_size=10``.\"\"\"
        query = call.validate_query(LIST_QUERY)  # "?page=x" -> 422 int_parsing
        page, size = query.get("page", 0), query.get("page_size", 100)
        shelves = list(call.state(ShelvesState).shelves.values())
        data = shelves[page * size : (page + 1) * size]
        return call.ok({"object": "list", "data": data, "total": len(shelves)})


    async def get_shelf(call: Call) -> web.StreamResponse:
        \"\"\"``GET /v1/shelves/{shelf_id}``.\"\"\"
        return call.ok(_shelf(call))


    async def delete_shelf(call: Call) -> web.StreamResponse:
        \"\"\"``DELETE /v1/shelves/{shelf_id}``.\"\"\"
        del call.state(ShelvesState).shelves[_shelf(call)["id"]]
        return call.empty()  # 204


    async def upload_book(call: Call) -> web.StreamResponse:
        \"\"\"``POST /v1/shelves/{shelf_id}/books`` (multipart: ``file``, ``title``).\"\"\"
        shelf = _shelf(call)
        fields = call.validate_form(await call.form(), UPLOAD_BOOK)
        upload = fields["file"]  # an UploadedFile; a 1 GiB one sits in a temporary file
        stored = call.state(FilesState).add(  # shared: other groups can find it by id
            upload.blob,
            filename=upload.filename,
            purpose="shelf",
            content_type=upload.content_type,
        )
        book_id = str(uuid.uuid4())
        call.state(ShelvesState).books[book_id] = {"shelf_id": shelf["id"], "file_id": stored.id}
        title = fields.get("title", upload.filename)
        return call.ok({"id": book_id, "title": title, "file_id": stored.id, "size": stored.size})


    async def download_book(call: Call) -> web.StreamResponse:
        \"\"\"``GET /v1/shelves/{shelf_id}/books/{book_id}/content``.\"\"\"
        shelf, book_id = _shelf(call), call.params["book_id"]
        book = call.state(ShelvesState).books.get(book_id)
        stored = call.state(FilesState).get(book["file_id"]) if book else None
        if book is None or book["shelf_id"] != shelf["id"] or stored is None:
            return call.not_found("Book", book_id)
        return await call.bytes_response(stored.blob, stored.content_type, stored.filename)


    async def shelf_events(call: Call) -> web.StreamResponse:
        \"\"\"``GET /v1/shelves/{shelf_id}/events``: an SSE stream ending with its done event.\"\"\"
        shelf = _shelf(call)

        async def events() -> AsyncIterator[tuple[str | None, Any]]:
            yield "shelf.started", {"shelf_id": shelf["id"]}
            for book_id, book in list(call.state(ShelvesState).books.items()):
                if book["shelf_id"] == shelf["id"]:
                    yield "shelf.book", {"book_id": book_id}
            yield "shelf.done", {"shelf_id": shelf["id"]}

        # terminator="[DONE]" would add the final "data: [DONE]" line chat streams use.
        return await call.sse(events(), terminator=None)

Modules of ``groups/`` whose name starts with ``_`` are not groups: use them for helpers
shared by several groups. Helpers shared with the built-in endpoints live next to this
module: :mod:`._completions` (chat-completion replies and chunk streams),
:mod:`._generate` (deterministic text, embeddings), :mod:`._catalog` (models),
:mod:`._store` (files) and :mod:`._body` (blobs, uploads).
"""

from __future__ import annotations

import asyncio
import importlib
import json as _json
import logging
import os
import pkgutil
import re
import threading
import time
import urllib.parse
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from http import HTTPStatus
from types import ModuleType
from typing import Any, Final, TypeVar

from aiohttp import web
from multidict import CIMultiDictProxy, MultiMapping

from ._body import (
    CHUNK_SIZE,
    Blob,
    BlobWriter,
    Form,
    MultipartError,
    RequestBody,
    multipart_boundary,
    parse_multipart,
    single_chunk,
)
from ._validation import AnyValue, ErrorDetail, Loc, Model, Schema, parse_json_body
from ._validation import validate as _check
from ._validation import validate_params as _check_params

__all__ = [
    "Abort",
    "Call",
    "FakeApp",
    "GroupError",
    "GroupRegistrar",
    "Handler",
    "SSEEvent",
    "discover_groups",
    "error_body",
]

_LOGGER = logging.getLogger("mistral_async.testing")
_GROUPS_PACKAGE: Final = f"{__package__}.groups"
_PARAM_RE: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LIMIT_REQ_MINUTE: Final = 1200
_LIMIT_TOKENS_MINUTE: Final = 2_000_000
_LIMIT_TOKENS_MONTH: Final = 4_000_000_000

ERROR_KINDS: Final[Mapping[int, tuple[str, str]]] = {
    400: ("Bad request", "invalid_request_error"),
    401: ("Unauthorized", "authentication_error"),
    403: ("Forbidden", "permission_error"),
    404: ("Not found", "invalid_request_error"),
    405: ("Method Not Allowed", "invalid_request_error"),
    408: ("Request timeout", "timeout_error"),
    409: ("Conflict", "invalid_request_error"),
    413: ("Payload too large", "invalid_request_error"),
    429: ("Requests rate limit exceeded", "rate_limited"),
    500: ("Internal server error", "internal_server_error"),
    502: ("Bad gateway", "api_error"),
    503: ("Service unavailable", "service_unavailable"),
    504: ("Gateway timeout", "api_error"),
}
"""Default message and ``type`` of the Mistral error object, by status."""

AUTH_KINDS: Final = frozenset({"bearer", "admin", "x-api-key", "none"})
"""The credentials a route may require (see :meth:`FakeApp.route`)."""

S = TypeVar("S")
SSEEvent = tuple[str | None, Any]
"""One server-sent event: the ``event:`` name (``None`` for none) and the JSON payload."""


def error_body(
    message: str, kind: str, code: int | str, param: str | None = None
) -> dict[str, Any]:
    """Build a Mistral-style error object."""
    return {"object": "error", "message": message, "type": kind, "param": param, "code": str(code)}


class Abort(Exception):
    """Stop handling the request and answer with ``response``.

    Raised by the reading and validation helpers of :class:`Call` with a ready 4xx
    response; handlers may raise it too, e.g. ``raise Abort(call.not_found("File", id))``.
    """

    def __init__(self, response: web.StreamResponse) -> None:
        """Carry ``response``."""
        super().__init__(f"abort with HTTP {response.status}")
        self.response = response


class GroupError(RuntimeError):
    """An endpoint group could not be imported or registered."""


# ---------------------------------------------------------------------------- rate limits


class RateLimits:
    """Rate-limit bookkeeping reported in the ``x-ratelimit-*`` headers (never enforced)."""

    def __init__(self) -> None:
        """Start a fresh window."""
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


# ---------------------------------------------------------------------------- routing


@dataclass(frozen=True)
class _Endpoint:
    """One (method, pattern) registration."""

    handler: Handler
    names: tuple[str | None, ...]
    pattern: str
    owner: str
    auth: str = "bearer"
    fallback: bool = False


class _Shape:
    """All registrations sharing one path shape (literal segments, parameter positions)."""

    def __init__(self, shape: tuple[str | None, ...]) -> None:
        self.shape = shape
        # Literals first, from the left: "/v1/files/signed" sorts before "/v1/files/{id}".
        self.rank = tuple(segment is None for segment in shape)
        self.methods: dict[str, _Endpoint] = {}

    def matches(self, parts: Sequence[str]) -> bool:
        """Tell whether the decoded path segments ``parts`` fit this shape."""
        for expected, actual in zip(self.shape, parts, strict=True):
            if expected is None:
                if not actual:
                    return False
            elif expected != actual:
                return False
        return True


def _compile(pattern: str) -> tuple[tuple[str | None, ...], tuple[str | None, ...]]:
    """Split ``pattern`` into its shape and its parameter names (``None`` for literals)."""
    if not pattern.startswith("/") or pattern == "/":
        raise ValueError(f"route pattern must start with '/' and name a path: {pattern!r}")
    shape: list[str | None] = []
    names: list[str | None] = []
    for segment in pattern[1:].split("/"):
        if not segment:
            raise ValueError(f"empty segment in route pattern {pattern!r}")
        match = _PARAM_RE.fullmatch(segment)
        if match is not None:
            if match.group(1) in names:
                raise ValueError(f"parameter {match.group(1)!r} repeated in {pattern!r}")
            shape.append(None)
            names.append(match.group(1))
        elif "{" in segment or "}" in segment:
            raise ValueError(f"a parameter must be a whole segment: {segment!r} in {pattern!r}")
        else:
            shape.append(segment)
            names.append(None)
    return tuple(shape), tuple(names)


@dataclass(frozen=True)
class RouteMatch:
    """The outcome of routing: a handler and its parameters, or the allowed methods."""

    endpoint: _Endpoint | None
    params: dict[str, str]
    allowed: list[str]


class _Router:
    """Method + path-pattern routing table."""

    def __init__(self) -> None:
        self._shapes: dict[tuple[str | None, ...], _Shape] = {}
        self._by_length: dict[int, list[_Shape]] = {}

    def add(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        *,
        owner: str,
        replace: bool,
        auth: str = "bearer",
        fallback: bool = False,
    ) -> None:
        """Register ``handler`` for ``method`` on ``pattern``."""
        if not method or not method.isalpha() or not method.isupper():
            raise ValueError(f"HTTP method must be upper-case letters: {method!r}")
        if auth not in AUTH_KINDS:
            raise ValueError(f"auth must be one of {sorted(AUTH_KINDS)}: {auth!r}")
        shape, names = _compile(pattern)
        entry = self._shapes.get(shape)
        if entry is None:
            entry = self._shapes[shape] = _Shape(shape)
            same_length = self._by_length.setdefault(len(shape), [])
            same_length.append(entry)
            same_length.sort(key=lambda item: item.rank)
        previous = entry.methods.get(method)
        if previous is not None and not replace:
            if fallback and not previous.fallback:
                return  # a fallback never displaces a real route
            if not previous.fallback or fallback:
                raise ValueError(
                    f"{method} {pattern} is already registered (as {previous.pattern} by "
                    f"{previous.owner}); pass replace=True to override it"
                )
        entry.methods[method] = _Endpoint(handler, names, pattern, owner, auth, fallback)

    def match(self, method: str, raw_path: str) -> RouteMatch:
        """Route ``method`` on ``raw_path`` (percent-encoded, without the query string)."""
        segments = raw_path.split("/")
        if segments[0] != "":
            return RouteMatch(None, {}, [])
        parts = [urllib.parse.unquote(segment) for segment in segments[1:]]
        allowed: set[str] = set()
        for entry in self._by_length.get(len(parts), ()):
            if not entry.matches(parts):
                continue
            endpoint = entry.methods.get(method)
            if endpoint is None:
                allowed.update(entry.methods)
                continue
            params = {name: part for name, part in zip(endpoint.names, parts, strict=True) if name}
            return RouteMatch(endpoint, params, [])
        return RouteMatch(None, {}, sorted(allowed))

    def routes(self) -> list[tuple[str, str, str]]:
        """Return every ``(method, pattern, owner)``."""
        return sorted(
            (method, endpoint.pattern, endpoint.owner)
            for entry in self._shapes.values()
            for method, endpoint in entry.methods.items()
        )


# ---------------------------------------------------------------------------- the app


class FakeApp:
    """The routing table and per-server state of one fake server, as seen by endpoint groups.

    Groups call :meth:`route` in their ``register(app)`` function and :meth:`state` (usually
    through :meth:`Call.state`) in their handlers.
    """

    def __init__(
        self,
        *,
        stream_delay: Callable[[], float],
        pop_cut: Callable[[], int | None],
        pause: Callable[[float], Awaitable[bool]],
    ) -> None:
        """Create an empty app (internal: :class:`FakeMistral` builds it).

        ``stream_delay`` reads the server's current pause between streamed events,
        ``pop_cut`` takes the next pending ``cut_stream_after`` fault and ``pause`` sleeps,
        returning True when the server is shutting down.
        """
        self._router = _Router()
        self._stream_delay = stream_delay
        self._pop_cut = pop_cut
        self._pause_fn = pause
        self._states: dict[type[Any], Any] = {}
        self._state_lock = threading.RLock()
        self._owner = "FakeApp.route"
        self.limits = RateLimits()
        # The server's API key, for handlers that check credentials themselves
        # (``auth="none"`` routes, e.g. a WebSocket that also takes minted tokens).
        self.api_key = ""

    # -- routes

    def route(
        self,
        method: str,
        pattern: str,
        handler: Handler,
        *,
        replace: bool = False,
        auth: str = "bearer",
        fallback: bool = False,
    ) -> None:
        """Serve ``method`` requests on ``pattern`` with ``handler``.

        ``pattern`` is like ``"/v1/libraries/{library_id}/documents/{document_id}"``: the
        decoded segments named ``{...}`` arrive in ``call.params``. Registering the same
        method on the same path shape again raises ``ValueError`` unless ``replace`` is true
        (to override a built-in endpoint) or one of the two is a ``fallback`` route (the
        other one wins). ``auth`` is what the server checks first: ``"bearer"``,
        ``"admin"``, ``"x-api-key"`` or ``"none"`` (see the module documentation).
        """
        self._router.add(
            method,
            pattern,
            handler,
            owner=self._owner,
            replace=replace,
            auth=auth,
            fallback=fallback,
        )

    def routes(self) -> list[tuple[str, str]]:
        """Return every registered ``(method, pattern)``, sorted."""
        return [(method, pattern) for method, pattern, _ in self._router.routes()]

    def register(self, group: GroupRegistrar | ModuleType, name: str | None = None) -> None:
        """Register a group: a ``register(app)`` callable or a module that has one."""
        if isinstance(group, ModuleType):
            register = getattr(group, "register", None)
            if not callable(register):
                raise GroupError(f"endpoint group {group.__name__!r} has no register(app)")
            label = name or group.__name__
        else:
            register = group
            label = name or str(getattr(group, "__qualname__", repr(group)))
        previous, self._owner = self._owner, label
        try:
            register(self)
        except Exception as exc:
            exc.add_note(f"while registering the fake server endpoint group {label!r}")
            raise
        finally:
            self._owner = previous

    def match(self, method: str, raw_path: str) -> RouteMatch:
        """Route a request (internal)."""
        return self._router.match(method, raw_path)

    # -- state

    def state(self, kind: type[S]) -> S:
        """Return this server's instance of ``kind``, creating it with ``kind()`` if needed.

        Instances live until ``fake.reset()``; do not keep them across requests.
        """
        with self._state_lock:
            found = self._states.get(kind)
            if found is None:
                found = self._states[kind] = kind()
            return found

    def reset(self) -> None:
        """Drop every state object and restart the rate-limit counters."""
        with self._state_lock:
            self._states.clear()
        self.limits = RateLimits()

    # -- server plumbing used by Call

    @property
    def stream_delay(self) -> float:
        """The server's current pause, in seconds, between two streamed events."""
        return self._stream_delay()

    def take_cut(self) -> int | None:
        """Take the next pending ``cut_stream_after`` fault, if any (for stream writers)."""
        return self._pop_cut()

    async def pause(self, seconds: float) -> bool:
        """Sleep ``seconds`` (at least one loop iteration); return True if the server stops."""
        return await self._pause_fn(seconds)

    def headers(self, request_id: str) -> dict[str, str]:
        """Headers carried by every response: ``x-request-id`` and ``x-ratelimit-*``."""
        return {"x-request-id": request_id, **self.limits.headers()}

    def json_response(
        self,
        request_id: str,
        payload: Any,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        """Build a JSON response with the standard headers."""
        merged = {**self.headers(request_id), "Content-Type": "application/json"}
        merged.update(headers or {})
        return web.Response(status=status, body=_json.dumps(payload).encode(), headers=merged)


Handler = Callable[["Call"], Awaitable[web.StreamResponse]]
"""An endpoint handler."""
GroupRegistrar = Callable[[FakeApp], object]
"""A group's ``register(app)`` function."""


def discover_groups(package_name: str = _GROUPS_PACKAGE) -> list[tuple[str, ModuleType]]:
    """Import every endpoint group module of a package, sorted by name.

    The package defaults to ``mistral_async.testing.groups``. Modules whose name starts with
    ``_`` are helpers, not groups. Raises :class:`GroupError` (chained to the original
    exception) when a module fails to import or has no ``register``.
    """
    package = importlib.import_module(package_name)
    names = sorted(
        info.name
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    )
    groups: list[tuple[str, ModuleType]] = []
    for name in names:
        qualified = f"{package_name}.{name}"
        try:
            module = importlib.import_module(qualified)
        except Exception as exc:
            raise GroupError(f"fake server endpoint group {qualified!r} failed to import") from exc
        if not callable(getattr(module, "register", None)):
            raise GroupError(f"fake server endpoint group {qualified!r} has no register(app)")
        groups.append((name, module))
    return groups


# ---------------------------------------------------------------------------- Call


class Call:
    """One routed request, with the helpers a handler needs to read it and answer it.

    Attributes: ``app`` (the :class:`FakeApp`), ``request`` (the raw aiohttp request, as an
    escape hatch), ``request_id`` (also sent as ``x-request-id``), ``method``, ``path`` (raw,
    percent-encoded, without query), ``params`` (decoded path parameters), ``query``
    (decoded query parameters, a multi-dict: ``query.getall(name)``) and ``headers``
    (case-insensitive multi-dict).

    The body can be consumed once, in one way: :meth:`body`/:meth:`json` (whole, in memory;
    both may be called repeatedly), :meth:`form` (may be called repeatedly, also after
    :meth:`body`), :meth:`iter_body` or :meth:`spool_body` (streamed).
    """

    def __init__(
        self,
        *,
        app: FakeApp,
        request: web.BaseRequest,
        request_id: str,
        path: str,
        params: Mapping[str, str],
        body: RequestBody,
    ) -> None:
        """Describe a request (internal: the server builds it)."""
        self.app = app
        self.request = request
        self.request_id = request_id
        self.method = request.method
        self.path = path
        self.params: dict[str, str] = dict(params)
        self.query: MultiMapping[str] = request.query
        self.headers: CIMultiDictProxy[str] = request.headers
        self._body = body
        self._bytes: bytes | None = None
        self._form: Form | None = None
        self._streamed = False

    # -- state and bookkeeping

    def state(self, kind: type[S]) -> S:
        """Shortcut for ``call.app.state(kind)``."""
        return self.app.state(kind)

    def charge_tokens(self, tokens: int) -> None:
        """Count ``tokens`` in the ``x-ratelimit-*-tokens-*`` headers of later responses."""
        self.app.limits.charge(tokens)

    # -- reading the body

    def _take_stream(self) -> RequestBody:
        if self._streamed or self._bytes is not None or self._form is not None:
            raise RuntimeError("the request body was already consumed")
        self._streamed = True
        return self._body

    async def body(self) -> bytes:
        """Return the whole body, read into memory (use for small bodies only)."""
        if self._bytes is None:
            if self._streamed:
                raise RuntimeError("the request body was already consumed as a stream")
            self._bytes = await self._body.read_all()
        return self._bytes

    async def iter_body(self) -> AsyncIterator[bytes]:
        """Yield the raw body chunk by chunk as it arrives from the socket."""
        async for chunk in self._take_stream().iter_chunks():
            yield chunk

    async def spool_body(self) -> Blob:
        """Read the raw body into a :class:`Blob` (spooled to disk past 1 MiB)."""
        writer = BlobWriter()
        try:
            async for chunk in self._take_stream().iter_chunks():
                writer.write(chunk)
        except BaseException:
            writer.discard()
            raise
        return writer.finish()

    async def json(self, schema: Schema | None = None, *, required: bool = True) -> Any:
        """Decode the JSON body and validate it against ``schema`` (if given).

        Raises :class:`Abort` with FastAPI's 422 ``{"detail": [...]}`` for an empty body
        (``missing``; unless ``required`` is false, then ``None`` is returned), invalid JSON
        (``json_invalid``) or a body ``schema`` rejects.
        """
        raw = await self.body()
        if not required and not raw.strip():
            return None
        payload, errors = parse_json_body(raw, schema or AnyValue())
        if errors:
            raise Abort(self.validation_error(errors))
        return payload

    async def form(self) -> Form:
        """Parse a ``multipart/form-data`` or ``application/x-www-form-urlencoded`` body.

        Multipart bodies are parsed as they stream in: files are
        :class:`~._body.UploadedFile` objects whose content stays in memory up to 1 MiB and
        is spooled to a temporary file beyond. Any other content type gives an empty form
        (so :meth:`validate_form` reports the missing fields, like FastAPI). A malformed
        multipart body raises :class:`Abort` with a 400.
        """
        if self._form is not None:
            return self._form
        content_type = self.headers.get("Content-Type", "")
        boundary = multipart_boundary(content_type)
        if boundary is not None:
            chunks = (
                single_chunk(self._bytes)
                if self._bytes is not None
                else self._take_stream().iter_chunks()
            )
            try:
                form = await parse_multipart(chunks, boundary)
            except MultipartError as exc:
                raise Abort(self.error(400, f"Invalid multipart/form-data body: {exc}")) from exc
        elif content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
            text = (await self.body()).decode("utf-8", "replace")
            pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
            form = Form(list(pairs))
        else:
            form = Form()
        self._form = form
        return form

    # -- validation

    def validate(self, payload: Any, schema: Schema, loc: Loc = ("body",)) -> Any:
        """Return ``payload`` if ``schema`` accepts it, else raise :class:`Abort` (422)."""
        errors = _check(payload, schema, loc)
        if errors:
            raise Abort(self.validation_error(errors))
        return payload

    def validate_query(self, schema: Model) -> dict[str, Any]:
        """Convert and validate the query parameters named in ``schema`` (others ignored).

        Returns the parameters present, converted (``"2"`` to ``2`` for an ``Int()``, every
        value for an ``Array``); raises :class:`Abort` (422, ``loc`` ``["query", name]``).
        """
        values = {name: self.query.getall(name, []) for name in schema.properties}
        result, errors = _check_params(values, schema, "query")
        if errors:
            raise Abort(self.validation_error(errors))
        return result

    def validate_form(self, form: Form, schema: Model) -> dict[str, Any]:
        """Convert and validate the fields of ``form`` named in ``schema`` (others ignored).

        Text fields are converted like query parameters; declare file fields as
        ``Upload()``. Raises :class:`Abort` (422, ``loc`` ``["body", name]``).
        """
        values = {name: form.getall(name) for name in schema.properties}
        result, errors = _check_params(values, schema, "body")
        if errors:
            raise Abort(self.validation_error(errors))
        return result

    # -- responses

    def ok(
        self, payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> web.Response:
        """Return ``payload`` as JSON with the standard headers."""
        return self.app.json_response(self.request_id, payload, status=status, headers=headers)

    def error(
        self,
        status: int,
        message: str | None = None,
        *,
        type: str | None = None,  # noqa: A002 - the name of the field in the API's errors
        code: int | str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> web.Response:
        """Return a Mistral error object (``{"object": "error", "message", "type", ...}``).

        ``message`` and ``type`` default to the usual ones for ``status``; ``code`` to the
        status.
        """
        default_message, default_type = ERROR_KINDS.get(
            status, (HTTPStatus(status).phrase, "api_error")
        )
        payload = error_body(
            message or default_message,
            type or default_type,
            status if code is None else code,
            param,
        )
        return self.ok(payload, status=status, headers=headers)

    def not_found(self, kind: str, resource_id: str) -> web.Response:
        """Return the API's 404: ``"<kind> not found: <resource_id>"``."""
        return self.error(404, f"{kind} not found: {resource_id}")

    def validation_error(self, details: Sequence[ErrorDetail]) -> web.Response:
        """Return FastAPI's 422 ``{"detail": [...]}``."""
        return self.ok({"detail": list(details)}, status=422)

    def empty(self, status: int = 204, headers: Mapping[str, str] | None = None) -> web.Response:
        """Return a response without body (204 No Content by default)."""
        return web.Response(
            status=status, headers={**self.app.headers(self.request_id), **(headers or {})}
        )

    async def bytes_response(
        self,
        source: bytes | Blob | os.PathLike[str] | AsyncIterable[bytes] | Iterable[bytes],
        content_type: str = "application/octet-stream",
        filename: str | None = None,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> web.StreamResponse:
        """Send binary content, streamed in chunks so that big content never sits in memory.

        ``source`` is bytes, a :class:`~._body.Blob` (e.g. an uploaded file's), a path, or an
        (async) iterable of chunks (sent with chunked transfer encoding). ``filename`` adds
        ``Content-Disposition: attachment``.
        """
        merged = {**self.app.headers(self.request_id), "Content-Type": content_type}
        if filename is not None:
            merged["Content-Disposition"] = _attachment(filename)
        merged.update(headers or {})
        if isinstance(source, bytes):
            return web.Response(status=status, body=source, headers=merged)
        response = web.StreamResponse(status=status, headers=merged)
        if isinstance(source, Blob):
            response.content_length = source.size
            chunks: AsyncIterable[bytes] | Iterable[bytes] = source.iter_chunks()
        elif isinstance(source, os.PathLike):
            response.content_length = await asyncio.to_thread(os.path.getsize, source)
            chunks = _file_chunks(os.fspath(source))
        else:
            chunks = source
        await response.prepare(self.request)
        try:
            if isinstance(chunks, AsyncIterable):
                async for chunk in chunks:
                    await response.write(chunk)
            else:
                for chunk in chunks:
                    await response.write(chunk)
            await response.write_eof()
        except ConnectionError:
            pass  # the client went away
        return response

    async def sse(
        self,
        events: AsyncIterable[SSEEvent] | Iterable[SSEEvent],
        *,
        terminator: str | None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> web.StreamResponse:
        """Send server-sent events, one write per event.

        Each ``(name, payload)`` becomes ``event: <name>\\ndata: <json>\\n\\n`` (no
        ``event:`` line when ``name`` is ``None``). ``terminator`` is the final data line:
        ``"[DONE]"`` for chat-completion-like streams, ``None`` for streams that end with
        their own done event (conversations, transcriptions). The server's ``stream_delay``
        is waited between two events, and a pending ``cut_stream_after(k)`` closes the
        connection after ``k`` events (no terminator). Events are produced lazily: an async
        generator may await between them. The status and headers are sent first, so validate
        the request (and raise :class:`Abort`) before calling this; if producing an event
        raises, the error is logged and the connection closed mid-stream.
        """
        cut = self.app.take_cut()
        merged = {
            **self.app.headers(self.request_id),
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
        }
        merged.update(headers or {})
        response = web.StreamResponse(status=status, headers=merged)
        await response.prepare(self.request)
        iterator = _aiter(events)
        close = getattr(events, "aclose", None)
        try:
            index = 0
            async for name, payload in iterator:
                if cut is not None and index >= cut:
                    return self._abort(response)
                if index and await self.app.pause(self.app.stream_delay):
                    return self._abort(response)
                await response.write(_sse_event(name, payload))
                index += 1
            if cut is not None:
                return self._abort(response)
            if terminator is not None:
                await response.write(f"data: {terminator}\n\n".encode())
            await response.write_eof()
        except ConnectionError:
            pass  # the client went away
        except Exception:
            _LOGGER.exception("fake Mistral event stream failed")
            return self._abort(response)
        finally:
            await iterator.aclose()
            if close is not None:
                await close()
        return response

    def _abort(self, response: web.StreamResponse) -> web.StreamResponse:
        """Close the connection mid-response."""
        transport = self.request.transport
        if transport is not None:
            transport.close()
        return response


def _sse_event(name: str | None, payload: Any) -> bytes:
    """Encode one server-sent event."""
    data = _json.dumps(payload, separators=(",", ":"))
    head = f"event: {name}\n" if name is not None else ""
    return f"{head}data: {data}\n\n".encode()


async def _aiter(
    events: AsyncIterable[SSEEvent] | Iterable[SSEEvent],
) -> AsyncGenerator[SSEEvent, None]:
    """Iterate over sync or async events as an async generator (closable)."""
    if isinstance(events, AsyncIterable):
        async for event in events:
            yield event
    else:
        for event in events:
            yield event


def _file_chunks(path: str) -> Iterable[bytes]:
    """Yield the content of the file at ``path`` in chunks."""
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK_SIZE):
            yield chunk


def _attachment(filename: str) -> str:
    """Build a ``Content-Disposition: attachment`` value (RFC 6266, with a UTF-8 fallback)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("\\", "_").replace('"', "_")
    value = f'attachment; filename="{ascii_name}"'
    if ascii_name != filename:
        value += f"; filename*=UTF-8''{urllib.parse.quote(filename, safe='')}"
    return value

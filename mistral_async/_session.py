"""The session core: one aiohttp ClientSession, auth and headers in one place, errors mapped.

Every API call goes through :meth:`SessionCore.request` (JSON in, typed result out) or
:meth:`SessionCore.stream` (a lazily opened :class:`~mistral_async.AsyncStream`). The
hot path does no work it can do once per client: headers, URLs and timeouts are
prepared by :class:`ClientConfig` when the client is built.

Each operation names its auth scheme (``auth=``):

- ``"bearer"``: ``Authorization: Bearer <api_key>`` (most operations);
- ``"admin"``: ``Authorization: Bearer <admin_api_key>``; the ordinary key is never sent;
- ``"x-api-key"``: the ordinary key in an ``x-api-key`` header, without Authorization.

A key never follows a redirect to another origin: aiohttp drops Authorization there,
and requests that carry ``x-api-key`` follow their redirects here, dropping it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import platform
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import quote, urlsplit

import aiohttp
from yarl import URL

from ._errors import (
    APIConnectionError,
    APITimeoutError,
    InvalidParameterError,
    MistralError,
    ResponseValidationError,
    make_status_error,
)
from ._json import dumps, loads
from ._response import RawResponse, no_content, request_id_of
from ._retry import RetryDelay, RetryPolicy, call_with_retries
from ._types import (
    CACHE_MUTATE,
    CACHE_READ,
    CALL,
    CREDENTIAL_HEADERS,
    NOT_GIVEN,
    Headers,
    NotGiven,
    RequestOptions,
    Timeout,
)
from ._uploads import Upload, form_data
from ._version import __version__

if TYPE_CHECKING:
    from ._streaming import AsyncStream

__all__ = ["AUTH_SCHEMES", "ClientConfig", "SessionCore", "flat_pairs", "path_param"]

T = TypeVar("T")
log: Final = logging.getLogger("mistral_async")

USER_AGENT: Final = (
    f"mistral-async/{__version__} Python/{platform.python_version()} aiohttp/{aiohttp.__version__}"
)
_URL_CACHE_SIZE: Final = 256
_warned_plain_http: set[str] = set()

JSON_MEDIA: Final = "application/json"
SSE_MEDIA: Final = "text/event-stream"
AUTH_SCHEMES: Final = frozenset({"bearer", "admin", "x-api-key"})
"""The auth schemes an operation may use (``auth=`` of request() and stream())."""
_API_KEY_HEADER: Final = "x-api-key"
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS: Final = 10

ApiKeySource = str | Callable[[], str] | Callable[[], Awaitable[str]]
Route = Callable[[str, str, Any, bool], URL]
"""``(method, path, body, stream) -> URL``: where a provider client sends an operation."""


def path_param(name: str, value: Any) -> str:
    """Encode one id for a URL path so that it cannot change the route.

    Every reserved character is escaped (``/``, ``?``, ``#``, ``%``, spaces...), and a
    ``.`` or ``..`` id is escaped too so that no URL normalisation can climb the path.
    """
    if not isinstance(value, str) or not value:
        raise InvalidParameterError(name, f"must be a non-empty string, not {value!r}")
    try:
        encoded = quote(value, safe="")
    except UnicodeEncodeError:
        raise InvalidParameterError(name, "must be valid text (it has a lone surrogate)") from None
    if encoded in (".", ".."):
        encoded = encoded.replace(".", "%2E")
    return encoded


def check_header_value(name: str, value: Any) -> str:
    """Refuse header values that are not strings or could split the header (CR / LF)."""
    if not isinstance(value, str):
        raise InvalidParameterError(name, f"must be a string, not {type(value).__name__}")
    if "\r" in value or "\n" in value or "\0" in value:
        raise InvalidParameterError(name, "must not contain CR, LF or NUL characters")
    return value


def _timeouts(timeout: Timeout) -> tuple[aiohttp.ClientTimeout, aiohttp.ClientTimeout]:
    """aiohttp timeouts for plain requests and for streams (no total, no read: idle instead)."""
    plain = aiohttp.ClientTimeout(
        total=timeout.total,
        connect=timeout.pool,
        sock_connect=timeout.connect,
        sock_read=timeout.read,
    )
    stream = aiohttp.ClientTimeout(
        total=None, connect=timeout.pool, sock_connect=timeout.connect, sock_read=None
    )
    return plain, stream


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ClientConfig:
    """A client's settings, with everything the hot path needs computed once."""

    __slots__ = (
        "_args",
        "_urls",
        "admin_api_key",
        "api_key",
        "base_headers",
        "base_url",
        "cache",
        "default_headers",
        "headers",
        "json_headers",
        "key_header",
        "max_retries",
        "own_redirects",
        "plain_timeout",
        "retry",
        "route",
        "static",
        "stream_client_timeout",
        "stream_timeout",
        "timeout",
        "tracer",
        "transfer_timeout",
    )

    def __init__(
        self,
        *,
        base_url: str,
        api_key: ApiKeySource | None,
        timeout: Timeout,
        max_retries: int,
        stream_timeout: float | None,
        default_headers: Mapping[str, str],
        admin_api_key: ApiKeySource | None = None,
        route: Route | None = None,
        key_header: str = "Authorization",
        cache: Any = None,
        retry_delay: RetryDelay | None = None,
        retry_log_level: int | None = logging.INFO,
        tracer: Any = None,
    ) -> None:
        self._args: dict[str, Any] = {
            "base_url": base_url,
            "api_key": api_key,
            "timeout": timeout,
            "max_retries": max_retries,
            "stream_timeout": stream_timeout,
            "default_headers": default_headers,
            "admin_api_key": admin_api_key,
            "route": route,
            "key_header": key_header,
            "cache": cache,
            "retry_delay": retry_delay,
            "retry_log_level": retry_log_level,
            "tracer": tracer,
        }
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidParameterError("server_url", f"must be an http(s) URL, not {base_url!r}")
        if parts.query or parts.fragment:
            raise InvalidParameterError("server_url", "must not have a query or fragment")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise InvalidParameterError("max_retries", f"must be an int >= 0, not {max_retries!r}")
        if stream_timeout is not None and (
            isinstance(stream_timeout, bool)
            or not isinstance(stream_timeout, int | float)
            or not stream_timeout > 0
        ):
            raise InvalidParameterError(
                "stream_timeout", f"must be a positive number or None, not {stream_timeout!r}"
            )
        if api_key is None and admin_api_key is None:
            raise InvalidParameterError(
                "api_key",
                "no API key: pass api_key= or set the MISTRAL_API_KEY environment variable",
            )
        _check_key_source("api_key", api_key)
        _check_key_source("admin_api_key", admin_api_key)
        for key, value in default_headers.items():
            check_header_value(f"default_headers[{key!r}]", value)
            check_header_value("default_headers", key)
        if retry_delay is not None and not callable(retry_delay):
            raise InvalidParameterError(
                "retry_delay", "must be a function (attempt, error) -> seconds, or None"
            )
        if retry_log_level is not None and (
            isinstance(retry_log_level, bool) or not isinstance(retry_log_level, int)
        ):
            raise InvalidParameterError(
                "retry_log_level",
                f"must be a logging level (an int) or None, not {retry_log_level!r}",
            )
        check_header_value("key_header", key_header)
        self.base_url = base_url.rstrip("/")
        self.route = route
        """Maps ``(method, path, body, stream)`` to the URL to call (provider clients)."""
        self.key_header = key_header
        # aiohttp forwards custom headers on redirects: requests carrying the key in one
        # follow their redirects here, dropping it once they leave the origin.
        self.own_redirects = key_header.lower() != "authorization"
        self.cache = cache
        self.tracer = tracer
        self.retry = RetryPolicy(max_retries, retry_delay, retry_log_level)
        self.api_key = api_key
        self.admin_api_key = admin_api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.stream_timeout = None if stream_timeout is None else float(stream_timeout)
        self.default_headers = dict(default_headers)
        base = {"User-Agent": USER_AGENT, "Accept": JSON_MEDIA}
        base.update(self.default_headers)
        self.base_headers = base
        # The headers of each auth scheme whose key is a plain string, ready to send:
        # (without a body, with a JSON body). Key callables are called per request.
        static: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
        if isinstance(api_key, str):
            static["bearer"] = _with_body_type(self.auth_headers_with("bearer", api_key))
            static["x-api-key"] = _with_body_type(self.auth_headers_with("x-api-key", api_key))
        if isinstance(admin_api_key, str):
            static["admin"] = _with_body_type(self.auth_headers_with("admin", admin_api_key))
        self.static = static
        self.headers, self.json_headers = static.get("bearer") or _with_body_type(dict(base))
        self.plain_timeout, self.stream_client_timeout = _timeouts(timeout)
        # Uploads and downloads may take long: no total limit, but an idle limit on reads.
        self.transfer_timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeout.pool,
            sock_connect=timeout.connect,
            sock_read=timeout.read if timeout.read is not None else self.stream_timeout,
        )
        self._urls: dict[str, URL] = {}
        plain = parts.scheme == "http" and not _is_loopback(parts.hostname or "")
        if plain and self.base_url not in _warned_plain_http:
            _warned_plain_http.add(self.base_url)
            log.warning(
                "Sending the API key over plain http:// to %s; use https:// outside this machine",
                parts.hostname,
            )

    def __repr__(self) -> str:
        return f"ClientConfig(base_url={self.base_url!r}, max_retries={self.max_retries})"

    def replace(self, **changes: Any) -> ClientConfig:
        """A copy of these settings with some changed (the same arguments as the constructor)."""
        if not changes:
            return self
        return ClientConfig(**{**self._args, **changes})

    def url(self, path: str) -> URL:
        """The absolute URL of an (already encoded) API path."""
        url = self._urls.get(path)
        if url is None:
            url = URL(self.base_url + path, encoded=True)
            if len(self._urls) < _URL_CACHE_SIZE:
                self._urls[path] = url
        return url

    def require_key(self, auth: str, settings: CallSettings | None = None) -> None:
        """Raise :class:`InvalidParameterError` now when ``auth`` is unknown or its key missing."""
        if auth not in AUTH_SCHEMES:
            raise InvalidParameterError(
                "auth", f"must be one of {', '.join(sorted(AUTH_SCHEMES))}, not {auth!r}"
            )
        if auth == "admin":
            if self.admin_api_key is None and (settings is None or settings.admin_api_key is None):
                raise _missing_key("admin")
        elif self.api_key is None and (settings is None or settings.api_key is None):
            raise _missing_key(auth)

    async def read_key(self, auth: str) -> str:
        """The key an operation of scheme ``auth`` sends, read now (key callables are called)."""
        admin = auth == "admin"
        source = self.admin_api_key if admin else self.api_key
        if source is None:
            raise _missing_key(auth)
        if isinstance(source, str):
            return source
        key: Any = source()
        if asyncio.iscoroutine(key) or isinstance(key, Awaitable):
            key = await key
        name = "admin_api_key" if admin else "api_key"
        check_header_value(f"{name} (returned by the {name} callable)", key)
        return str(key)

    def auth_headers_with(self, auth: str, key: str) -> dict[str, str]:
        """The client's headers with ``key`` placed as scheme ``auth`` wants it; no body type."""
        headers = dict(self.base_headers)
        if auth == "x-api-key":
            _drop(headers, "authorization")
            _put(headers, _API_KEY_HEADER, key)
        elif self.own_redirects:
            _put(headers, self.key_header, key)
        else:
            _put(headers, "Authorization", f"Bearer {key}")
        return headers

    async def auth_headers(self, auth: str = "bearer", key: str | None = None) -> dict[str, str]:
        """Headers with the key read now (for key callables or a per-call key); no body type."""
        return self.auth_headers_with(auth, await self.read_key(auth) if key is None else key)


class CallSettings:
    """The settings of one call: the client's, overridden by the call's options."""

    __slots__ = (
        "admin_api_key",
        "api_key",
        "cache",
        "config",
        "extra_body",
        "headers_override",
        "query",
        "timeout",
    )

    def __init__(self, config: ClientConfig, options: RequestOptions) -> None:
        self.config = config
        self.cache: bool | None = None
        self.headers_override: dict[str, str] = {}
        self.api_key: str | None = None
        self.admin_api_key: str | None = None
        self.query: dict[str, Any] = {}
        self.extra_body: Mapping[str, Any] | None = None
        changes: dict[str, Any] = {}
        value: Any
        for name, value in options.items():
            if name == "cache":
                self.cache = cache_option(config, value)
            elif name == "timeout":
                if not isinstance(value, NotGiven):
                    changes["timeout"] = Timeout.coerce(value)
            elif name in _CONFIG_OPTIONS:
                if value != getattr(config, name, value) or name.startswith("retry_"):
                    changes[name] = value
            elif name == "extra_headers":
                for key, header in (value or {}).items():
                    check_header_value("extra_headers", key)
                    check_header_value(f"extra_headers[{key!r}]", header)
                self.headers_override = dict(value or {})
            elif name == "api_key" or name == "admin_api_key":
                if value is not None:
                    check_header_value(name, value)
                setattr(self, name, value)
            elif name == "extra_query":
                self.query = dict(value or {})
            elif name == "extra_body":
                self.extra_body = value
            else:
                raise TypeError(f"got an unexpected keyword argument {name!r}")
        if changes:
            self.config = config.replace(**changes)


def cache_option(config: ClientConfig, value: Any) -> bool | None:
    """A call's ``cache=`` option, checked."""
    if value is not None and not isinstance(value, bool):
        raise InvalidParameterError("cache", f"must be True or False, not {value!r}")
    if value and config.cache is None:
        raise InvalidParameterError(
            "cache", "this client has no response cache: create it with cache=True or a Cache"
        )
    return value


_CONFIG_OPTIONS: Final = frozenset(
    {"max_retries", "stream_timeout", "retry_delay", "retry_log_level"}
)


class _Connector(aiohttp.TCPConnector):
    """A connector that never reuses a pooled connection that received data while idle.

    A server (or a proxy) that sends bytes after a complete response, or an unsolicited
    response, must not have them taken as the answer to the next request.
    """

    async def _get(self, *args: Any, **kwargs: Any) -> Any:
        while True:
            connection = await super()._get(*args, **kwargs)
            if connection is None:
                return None
            protocol = connection.protocol
            if protocol is None or not protocol.should_close:
                return connection
            connection.close()


async def _session_closer(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        if not session.closed:
            await session.close()


def _close_at_loop_shutdown(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    """Have the running loop close ``session`` when it shuts down, if nobody did before.

    The guard is an async generator started here, inside the loop: the loop keeps it in
    its set of async generators, and ``asyncio.run`` (like ``asyncio.Runner`` and test
    runners' per-test loops) closes those before closing the loop, which runs the
    guard's ``finally`` and closes the session while the loop still runs. So a client
    used from one ``asyncio.run`` after another leaves no unclosed session behind.
    """
    guard = _session_closer(session)
    step = guard.asend(None)
    with contextlib.suppress(StopIteration):
        step.send(None)
    return guard


def _drop_session(session: aiohttp.ClientSession) -> None:
    """Let go of a session whose event loop was closed without closing it first."""
    if session.closed:
        return
    connector = session.connector
    session.detach()
    if connector is not None:
        with contextlib.suppress(RuntimeError):  # its loop is closed: nothing to schedule
            connector._close()  # the only way to close without a loop


class SessionCore:
    """Owns the aiohttp ClientSession shared by a client and every ``with_options`` copy.

    The session is created lazily inside the running event loop, on the first request.
    A session passed in by the user is used as it is and never closed here.
    """

    __slots__ = (
        "_closed",
        "_connection_limit",
        "_guard",
        "_loop",
        "_owns_session",
        "_proxy",
        "_session",
        "_ssl",
        "_trust_env",
    )

    def __init__(
        self,
        *,
        http_session: aiohttp.ClientSession | None = None,
        connection_limit: int = 100,
        trust_env: bool = False,
        ssl: Any = True,
        proxy: str | None = None,
    ) -> None:
        if isinstance(connection_limit, bool) or not isinstance(connection_limit, int):
            raise InvalidParameterError("connection_limit", "must be an int")
        if connection_limit < 0:
            raise InvalidParameterError("connection_limit", "must be >= 0 (0: no limit)")
        if proxy is not None:
            check_header_value("proxy", proxy)
        self._session = http_session
        self._owns_session = http_session is None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._guard: AsyncGenerator[None, None] | None = None
        self._closed = False
        self._connection_limit = connection_limit
        self._trust_env = trust_env
        self._ssl = ssl
        self._proxy = proxy

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called."""
        return self._closed

    def _session_for(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        session = self._session
        if session is not None and (self._loop is loop or not self._owns_session):
            return session
        if self._closed:
            raise MistralError("This client was closed; create a new one")
        if session is not None and self._loop is not None:
            if not self._loop.is_closed():
                raise MistralError(
                    "This client's connections belong to another running event loop; "
                    "create one client per event loop"
                )
            # That loop is gone. Its shutdown (asyncio.run, asyncio.Runner, pytest's
            # per-test loops) closed the session already, through the guard below; a
            # loop closed without that step leaves a session that can only be dropped.
            _drop_session(session)
        connector = _Connector(limit=self._connection_limit, ssl=self._ssl)
        session = aiohttp.ClientSession(
            connector=connector,
            trust_env=self._trust_env,
            timeout=aiohttp.ClientTimeout(total=None),
            proxy=self._proxy,
        )
        self._session, self._loop = session, loop
        self._guard = _close_at_loop_shutdown(session)
        return session

    async def aclose(self) -> None:
        """Close the session (if this client created it) and its connections."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None and self._owns_session and not session.closed:
            await session.close()
        guard, self._guard = self._guard, None
        if guard is not None:
            await guard.aclose()

    async def send(
        self,
        method: str,
        url: URL,
        data: Any,
        headers: Mapping[str, str],
        query: Any,
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 - aiohttp's own timeout, passed through
        *,
        own_redirects: bool = False,
        attempt: int = 1,
    ) -> aiohttp.ClientResponse:
        """Send one request and return its open response; errors become typed errors.

        A response with an error status is read, released and raised as the matching
        :class:`APIStatusError`. With ``own_redirects`` (requests whose key is in a header
        aiohttp would forward), redirects are followed here, without the secret headers
        once they lead to another origin. ``attempt`` numbers the try, for DEBUG logs.
        """
        session = self._session
        if session is None or self._loop is not asyncio.get_running_loop():
            session = self._session_for(asyncio.get_running_loop())
        debug = log.isEnabledFor(logging.DEBUG)
        if debug:
            from ._logging import request_sent

            request_sent(method, url, headers, data, attempt)
            started = time.perf_counter()
        try:
            if own_redirects:
                resp = await guarded(
                    _follow_redirects(session, method, url, data, headers, query, timeout)
                )
            else:
                resp = await guarded(
                    session.request(
                        method, url, data=data, headers=headers, params=query, timeout=timeout
                    )
                )
        except MistralError as exc:
            if debug:
                from ._logging import response_failed

                response_failed(method, url, time.perf_counter() - started, exc, attempt)
            raise
        if debug:
            from ._logging import response_received

            response_received(
                method, url, resp.status, time.perf_counter() - started, resp.headers, attempt
            )
        if resp.status >= 400:
            try:
                raw = await guarded(resp.read())
            finally:
                resp.release()
            resp_headers = Headers(list(resp.headers.items()))
            if debug:
                from ._logging import body_received

                body_received(method, url, raw, headers)
            raise make_status_error(
                resp.status, resp.reason or "", resp_headers, raw, request_id_of(resp_headers)
            )
        return resp

    async def request(
        self,
        config: ClientConfig,
        method: str,
        path: str,
        cast: Callable[[Any], T],
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        form: list[tuple[str, Any]] | None = None,
        options: RequestOptions | None = None,
        raw: bool = False,
        binary: bool = False,
        auth: str = "bearer",
        accept: str = JSON_MEDIA,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Make one API call with retries; return the typed result (or a RawResponse).

        ``body`` is sent as JSON; ``form`` (text fields and :class:`Upload` parts) as a
        streamed multipart body. With ``binary`` the result is an
        :class:`AsyncBinaryResponse` whose body is read by the caller. ``auth`` is the
        operation's auth scheme (see :data:`AUTH_SCHEMES`), ``accept`` its ``Accept``
        header and ``headers`` its own request headers (``extra_headers`` of the call's
        options still override them).
        """
        asked: bool | None = None  # the call's cache= option
        settings = None
        if options:
            if len(options) == 1 and "cache" in options:  # only cache=: nothing else changes
                asked = cache_option(config, options["cache"])
            else:
                settings = CallSettings(config, options)
                asked = settings.cache
        if settings is not None:
            config = settings.config
            body, query = _merge(settings, body, query)
            if form is not None and body:
                form = [*form, *flat_pairs(body)]
                body = None
        json_body = body is not None
        static = (
            config.static.get(auth)
            if settings is None or not (settings.api_key or settings.admin_api_key)
            else None
        )
        send_headers: Mapping[str, str]
        # Prepared headers: the same for every call of this config, so a method call
        # can be mapped to its cache entry once (the credentials cannot change).
        prepared = (
            static is not None
            and accept == JSON_MEDIA
            and headers is None
            and (settings is None or not settings.headers_override)
        )
        if prepared:
            assert static is not None
            send_headers = static[json_body]
        else:
            send_headers = await _headers(
                config, settings, auth, json_body=json_body, accept=accept, extra=headers
            )
        own_redirects = auth == "x-api-key" or config.own_redirects
        data = None if body is None else _encode(body)
        pairs = flat_pairs(query) if query else None
        cache = config.cache
        plan = 0
        key = ""
        if cache is not None and form is None and not binary:
            plan = cache._plan(method, path, asked)
            if plan == CACHE_READ:
                key = cache._key(config.base_url, method, path, send_headers, pairs, data)
                if config.tracer is None:
                    method_call = CALL.get()
                    if method_call is not None and settings is None and prepared:
                        cache._remember(method_call, config, key, cast, raw)
                    # The fast hit: straight from memory, nothing else prepared.
                    entry = cache._peek(key)
                    if entry is not None:
                        return _from_entry(entry, cast, raw)
        elif asked:
            raise InvalidParameterError("cache", "uploads and downloads are never cached")
        url = config.url(path) if config.route is None else config.route(method, path, body, False)
        retry = config.retry
        timeout = config.plain_timeout
        if form is not None:
            timeout = config.transfer_timeout
            if not all(v.replayable for _, v in form if isinstance(v, Upload)):
                retry = retry.with_retries(0)  # an async iterator can be sent only once
        if binary:
            timeout = config.transfer_timeout
        what = f"{method} {path}"
        sent = 0
        span: Any = None

        async def attempt() -> Any:
            nonlocal sent
            sent += 1
            payload: Any = data if form is None else form_data(form)
            resp = await self.send(
                method,
                url,
                payload,
                send_headers,
                pairs,
                timeout,
                own_redirects=own_redirects,
                attempt=sent,
            )
            if span is not None:
                span.response(resp.status, resp.headers)
            if binary:
                from ._binary import AsyncBinaryResponse

                return AsyncBinaryResponse(resp)
            try:
                content = await guarded(resp.read())
            finally:
                resp.release()
            if log.isEnabledFor(logging.DEBUG):
                from ._logging import body_received

                body_received(method, url, content, send_headers)
            if plan == CACHE_READ:
                return _fresh(resp, content, cast, raw)
            return _answer(resp.status, resp.headers, content, cast, raw)

        async def call() -> Any:
            on_retry = None if span is None else span.on_retry
            if plan == CACHE_READ:
                assert cache is not None
                entry, result = await cache._fetch(
                    key, path, lambda: call_with_retries(attempt, retry, what, on_retry)
                )
                return _from_entry(entry, cast, raw) if result is NOT_GIVEN else result
            try:
                return await call_with_retries(attempt, retry, what, on_retry)
            finally:
                if plan == CACHE_MUTATE:
                    assert cache is not None
                    await cache._mutated(path)

        if config.tracer is None:
            return await call()
        span = config.tracer.begin(method, path, body, url)
        try:
            result = await call()
        except BaseException as exc:
            span.failed(exc)
            raise
        span.succeeded(result)
        return result

    def stream(
        self,
        config: ClientConfig,
        method: str,
        path: str,
        cast: Callable[[Any], T],
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        form: list[tuple[str, Any]] | None = None,
        options: RequestOptions | None = None,
        stream_class: type[AsyncStream[T]] | None = None,
        auth: str = "bearer",
        headers: Mapping[str, str] | None = None,
        resume: bool = False,
    ) -> AsyncStream[T]:
        """A stream of typed events; the request is sent when the stream is entered or read.

        ``body`` is sent as JSON and ``form`` as a multipart body; with neither (a GET
        stream) nothing is sent, and no Content-Type. ``auth`` and ``headers`` are as for
        :meth:`request`. With ``resume`` the stream reconnects by itself when the
        connection breaks after events arrived, sending ``Last-Event-ID`` (see
        :class:`~mistral_async.AsyncStream`).
        """
        from ._streaming import AsyncStream

        if stream_class is None:
            stream_class = AsyncStream
        settings = CallSettings(config, options) if options else None
        payload = body
        if settings is not None:
            config = settings.config
            payload, query = _merge(settings, body, query)
            if form is not None and payload:
                form = [*form, *flat_pairs(payload)]
                payload = None
        config.require_key(auth, settings)
        if settings is not None and settings.cache:
            raise InvalidParameterError("cache", "streams are never cached")
        extra = None if headers is None else _checked_headers(headers)
        json_body = form is None and payload is not None
        data = _encode(payload) if json_body else None
        pairs = flat_pairs(query) if query else None
        retry = config.retry
        if form is not None and not all(v.replayable for _, v in form if isinstance(v, Upload)):
            retry = retry.with_retries(0)
        own_redirects = auth == "x-api-key" or config.own_redirects
        url = (
            config.url(path) if config.route is None else config.route(method, path, payload, True)
        )
        static = config.static.get(auth) if settings is None and extra is None else None
        stream_headers = None if static is None else {**static[json_body], "Accept": SSE_MEDIA}

        sent = 0

        async def open_response(last_event_id: str | None = None) -> aiohttp.ClientResponse:
            nonlocal sent
            sent += 1
            send_headers: Mapping[str, str] | None = stream_headers
            if send_headers is None:
                send_headers = await _headers(
                    config, settings, auth, json_body=json_body, accept=SSE_MEDIA, extra=extra
                )
            if last_event_id is not None:
                resumed = dict(send_headers)
                _put(resumed, "Last-Event-ID", last_event_id)
                send_headers = resumed
            return await self.send(
                method,
                url,
                data if form is None else form_data(form),
                send_headers,
                pairs,
                config.stream_client_timeout,
                own_redirects=own_redirects,
                attempt=sent,
            )

        what = f"{method} {path}"
        observer: Any = None
        if log.isEnabledFor(logging.DEBUG):
            from ._logging import StreamLog

            observer = StreamLog(what)
        if config.tracer is not None:
            observer = config.tracer.stream(method, path, payload, url, observer)
        return stream_class(
            open_response,
            cast,
            idle_timeout=config.stream_timeout,
            retry=retry,
            what=what,
            resume=resume,
            observer=observer,
        )


_NO_CONTENT: Final = frozenset({204, 205})


def _none() -> None:
    return None


def _answer(
    status: int, headers: Mapping[str, str], content: bytes, cast: Callable[[Any], T], raw: bool
) -> Any:
    """The result of a call from its response: parsed, ``None`` or a RawResponse."""
    if status in _NO_CONTENT or (not content and cast is no_content):
        # "No content" answers (some deletes, reprocess, a 201 the spec declares
        # without a body) give None.
        if not raw:
            return None
        return RawResponse(status, _copied(headers), b"", _none)
    if raw:
        resp_headers = _copied(headers)
        return RawResponse(
            status,
            resp_headers,
            content,
            lambda: _parse(content, cast, status, request_id_of(resp_headers)),
        )
    return _parse(content, cast, status, None, headers)


def _copied(headers: Mapping[str, str]) -> Headers:
    """Response headers kept past the response (a cached entry's already are)."""
    return headers if isinstance(headers, Headers) else Headers(list(headers.items()))


def _from_entry(entry: Any, cast: Callable[[Any], T], raw: bool) -> Any:
    """The result of a call answered by the cache: the object the in-memory store shares
    (``share_objects``) when it was built by this same parse, else parsed from the entry."""
    if entry.cast is cast and not raw:
        return entry.result
    return _answer(entry.status, entry.headers, entry.content, cast, raw)


def _fresh(
    resp: aiohttp.ClientResponse, content: bytes, cast: Callable[[Any], T], raw: bool
) -> Any:
    """A cacheable answer: the entry to store and the caller's result (parsed first, so
    an answer that does not parse is never stored)."""
    from ._cache import Entry

    headers = Headers(list(resp.headers.items()))
    result = _answer(resp.status, headers, content, cast, raw)
    if raw:
        result.parse()
        return Entry(resp.status, headers, content), result
    return Entry(resp.status, headers, content, result, cast), result


def _merge(
    settings: CallSettings, body: Any, query: Mapping[str, Any] | None
) -> tuple[Any, Mapping[str, Any] | None]:
    if settings.extra_body:
        if body is not None and not isinstance(body, Mapping):
            raise InvalidParameterError(
                "extra_body", "can only add fields to a JSON object body, not to a list or value"
            )
        body = {**(body or {}), **settings.extra_body}
    if settings.query:
        query = {**(query or {}), **settings.query}
    return body, query


async def _headers(
    config: ClientConfig,
    settings: CallSettings | None,
    auth: str,
    *,
    json_body: bool,
    accept: str = JSON_MEDIA,
    extra: Mapping[str, str] | None = None,
) -> Mapping[str, str]:
    """The headers of one call, built now: per-call keys, key callables, extra headers."""
    config.require_key(auth, settings)
    key = None
    if settings is not None:
        key = settings.admin_api_key if auth == "admin" else settings.api_key
    static = config.static.get(auth) if key is None else None
    if static is not None:
        if (
            accept == JSON_MEDIA
            and not extra
            and (settings is None or not settings.headers_override)
        ):
            return static[json_body]  # nothing to change: the prepared (never mutated) dict
        headers = dict(static[json_body])
    else:
        headers = await config.auth_headers(auth, key)
        if json_body:
            headers["Content-Type"] = JSON_MEDIA
    if accept != JSON_MEDIA:
        _put(headers, "Accept", check_header_value("accept", accept))
    if extra:
        for name, value in _checked_headers(extra).items():
            _put(headers, name, value)
    if settings is not None:
        for name, value in settings.headers_override.items():
            _put(headers, name, value)
    return headers


def _checked_headers(headers: Mapping[str, str]) -> Mapping[str, str]:
    for name, value in headers.items():
        check_header_value("headers", name)
        check_header_value(f"headers[{name!r}]", value)
    return headers


def _put(headers: dict[str, str], name: str, value: str) -> None:
    """Set a header, replacing any spelling of its name (header names ignore case)."""
    if name not in headers:
        _drop(headers, name.lower())
    headers[name] = value


def _drop(headers: dict[str, str], lowered: str) -> None:
    for existing in [k for k in headers if k.lower() == lowered]:
        del headers[existing]


def _with_body_type(headers: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    json_headers = dict(headers)
    _put(json_headers, "Content-Type", JSON_MEDIA)
    return headers, json_headers


def _check_key_source(name: str, key: Any) -> None:
    if key is None:
        return
    if isinstance(key, str):
        check_header_value(name, key)
        if not key:
            raise InvalidParameterError(name, "must not be empty")
    elif not callable(key):
        raise InvalidParameterError(name, "must be a string or a callable returning one")


def _missing_key(auth: str) -> InvalidParameterError:
    if auth == "admin":
        return InvalidParameterError(
            "admin_api_key",
            "this operation needs an admin API key: pass admin_api_key= or set "
            "MISTRAL_ADMIN_API_KEY",
        )
    return InvalidParameterError(
        "api_key",
        "this client has no API key (only an admin key): pass api_key= or set MISTRAL_API_KEY",
    )


async def _follow_redirects(
    session: aiohttp.ClientSession,
    method: str,
    url: URL,
    data: Any,
    headers: Mapping[str, str],
    query: Any,
    timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 - aiohttp's own timeout, passed through
) -> aiohttp.ClientResponse:
    """Send a request and follow its redirects as aiohttp does, but drop every secret header
    (``x-api-key`` included, which aiohttp would forward) once they lead to another origin."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout.total is None else loop.time() + timeout.total
    hop_timeout = timeout
    sent = dict(headers)
    for _ in range(_MAX_REDIRECTS):
        resp = await session.request(
            method,
            url,
            data=data,
            headers=sent,
            params=query,
            timeout=hop_timeout,
            allow_redirects=False,
        )
        location = resp.headers.get("Location")
        if resp.status not in _REDIRECTS or location is None:
            return resp
        resp.release()
        try:
            target = url.join(URL(location))
            target_origin = target.origin()
        except ValueError:
            raise APIConnectionError("The server redirected to an invalid URL") from None
        if target.scheme not in ("http", "https"):
            raise APIConnectionError(f"The server redirected to a {target.scheme}: URL")
        if (resp.status == 303 and method != "HEAD") or (
            resp.status in (301, 302) and method == "POST"
        ):
            method, data = "GET", None
            _drop(sent, "content-type")
        elif data is not None and not isinstance(data, bytes):
            raise APIConnectionError("Cannot follow a redirect with a streamed request body")
        if url.origin() != target_origin:
            for name in [k for k in sent if k.lower() in CREDENTIAL_HEADERS]:
                del sent[name]
        url, query = target, None
        if deadline is not None:
            hop_timeout = aiohttp.ClientTimeout(
                total=max(deadline - loop.time(), 0.001),
                connect=timeout.connect,
                sock_connect=timeout.sock_connect,
                sock_read=timeout.sock_read,
            )
    raise APIConnectionError(f"Too many redirects (more than {_MAX_REDIRECTS})")


def flat_pairs(values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Query or form fields as pairs.

    Lists repeat the name, booleans are ``true``/``false``, ``None`` and ``NOT_GIVEN`` are
    left out, other values are strings (uploads stay as they are).
    """
    pairs: list[tuple[str, Any]] = []
    for name, value in values.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is None or isinstance(item, NotGiven):
                continue
            if isinstance(item, bool):
                item = "true" if item else "false"
            pairs.append((name, item if isinstance(item, Upload) else str(item)))
    return pairs


_json_default: list[Callable[[Any], Any]] = []


def _encode(body: Any) -> bytes:
    if not _json_default:
        # The type system (cattrs) loads with the first request, not with the client.
        from ._converter import json_default

        _json_default.append(json_default)
    try:
        return dumps(body, _json_default[0])
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError("body", f"cannot be sent as JSON: {exc}") from exc


def _parse(
    content: bytes,
    cast: Callable[[Any], T],
    status: int,
    request_id: str | None,
    headers: Mapping[str, str] | None = None,
) -> T:
    try:
        return cast(loads(content))
    except Exception as exc:
        if request_id is None and headers is not None:
            request_id = request_id_of(headers)
        what = "is not valid JSON" if not _is_json(content) else "does not fit the expected type"
        raise ResponseValidationError(
            f"The response body {what}: {type(exc).__name__}: {exc}",
            raw_body=content,
            status_code=status,
            request_id=request_id,
        ) from exc


def _is_json(content: bytes) -> bool:
    try:
        loads(content)
    except Exception:  # noqa: BLE001 - a probe
        return False
    return True


CLIENT_ERRORS: Final = (aiohttp.ClientError, OSError, TimeoutError)
"""What aiohttp raises for network failures and timeouts; :func:`map_exception` maps them."""


async def guarded(awaitable: Awaitable[T]) -> T:
    """Await; network failures and timeouts become the SDK's errors.

    The aiohttp exception is deliberately not chained (``__cause__`` / ``__context__``):
    some carry the request's headers, and so the API key.
    """
    try:
        return await awaitable
    except CLIENT_ERRORS as exc:
        error = map_exception(exc)
    raise error


def map_exception(exc: BaseException) -> MistralError:
    """The SDK's error for a network failure or timeout raised by aiohttp."""
    if isinstance(exc, TimeoutError):
        return APITimeoutError("The request timed out")
    if isinstance(exc, aiohttp.InvalidURL):
        return InvalidParameterError("server_url", f"invalid URL: {exc}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return APIConnectionError(f"Could not connect to {exc.host}:{exc.port}: {exc.os_error}")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return APIConnectionError("The server closed the connection before answering")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return APIConnectionError(f"The response body was cut off: {exc}")
    return APIConnectionError(f"Connection error: {type(exc).__name__}: {exc}")


def env_server_url() -> str | None:
    """``MISTRAL_SERVER_URL`` when set."""
    return os.environ.get("MISTRAL_SERVER_URL") or None

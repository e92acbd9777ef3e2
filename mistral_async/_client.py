"""``AsyncMistral``: configuration, lazily created resources, ``with_options``, closing, and
``request()`` for any endpoint."""

from __future__ import annotations

import copy
import logging
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Literal, Self, TypeVar, overload

from ._errors import InvalidParameterError
from ._resource_slot import ResourceSlot
from ._session import ClientConfig, Route, SessionCore, env_server_url
from ._types import DEFAULT_TIMEOUT, NOT_GIVEN, AuthScheme, NotGiven, Timeout
from .resources._slots import ClientSlots

if TYPE_CHECKING:
    from typing import Unpack

    import aiohttp

    from ._cache import Cache
    from ._raw import AsyncMistralWithRawResponse
    from ._retry import RetryDelay
    from ._types import RequestOptions
    from .resources.agents import AsyncAgents
    from .resources.audio import AsyncAudio
    from .resources.batch import AsyncBatch
    from .resources.beta import AsyncBeta
    from .resources.chat import AsyncChat
    from .resources.classifiers import AsyncClassifiers
    from .resources.embeddings import AsyncEmbeddings
    from .resources.files import AsyncFiles
    from .resources.fim import AsyncFim
    from .resources.fine_tuning import AsyncFineTuning
    from .resources.models import AsyncModels
    from .resources.ocr import AsyncOcr
    from .resources.realtime import AsyncRealtime

__all__ = ["SERVERS", "AsyncMistral", "BaseAsyncClient", "ResourceSlot"]

SERVERS: dict[str, str] = {
    "global": "https://api.mistral.ai",
    "eu": "https://api.eu.mistral.ai",
    "us": "https://api.us.mistral.ai",
}
"""The API's servers by name, for ``server=``."""

T = TypeVar("T")

ApiKey = str | Callable[[], str] | Callable[[], Awaitable[str]]
"""An API key, or a function (plain or async) returning it, called per request."""

_METHOD: Final = re.compile(r"[A-Za-z]+")
_UNSAFE_IN_PATH: Final = re.compile(r"[\x00-\x20\x7f#]")


class BaseAsyncClient:
    """What every async client shares (settings, connections, ``request()``, closing).

    :class:`AsyncMistral` and the cloud providers' clients are built on it; see
    :class:`AsyncMistral` for the arguments.
    """

    _config: ClientConfig
    _core: SessionCore
    _raw: bool

    def __init__(
        self,
        *,
        base_url: str,
        api_key: ApiKey | None,
        admin_api_key: ApiKey | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int = 2,
        retry_delay: RetryDelay | None = None,
        retry_log_level: int | None = logging.INFO,
        default_headers: Mapping[str, str] | None = None,
        stream_timeout: float | None = 60.0,
        cache: bool | Cache | None = None,
        tracing: bool | None = None,
        tracer_provider: Any = None,
        trace_content: bool | None = None,
        trust_env: bool = False,
        ssl: Any = True,
        proxy: str | None = None,
        connection_limit: int = 100,
        http_session: aiohttp.ClientSession | None = None,
        route: Route | None = None,
        key_header: str = "Authorization",
        session_core: Callable[..., SessionCore] = SessionCore,
    ) -> None:
        _log_from_env()
        self._config = ClientConfig(
            base_url=base_url,
            api_key=api_key,
            timeout=DEFAULT_TIMEOUT if isinstance(timeout, NotGiven) else Timeout.coerce(timeout),
            max_retries=max_retries,
            stream_timeout=stream_timeout,
            default_headers=default_headers or {},
            admin_api_key=admin_api_key,
            route=route,
            key_header=key_header,
            cache=_make_cache(cache),
            retry_delay=retry_delay,
            retry_log_level=retry_log_level,
            tracer=_make_tracer(tracing, tracer_provider, trace_content),
        )
        # Provider clients pass a SessionCore subclass with their own arguments bound.
        self._core = session_core(
            http_session=http_session,
            connection_limit=connection_limit,
            trust_env=trust_env,
            ssl=ssl,
            proxy=proxy,
        )
        self._raw = False

    @property
    def base_url(self) -> str:
        """The API's base URL."""
        return self._config.base_url

    @property
    def max_retries(self) -> int:
        """Retries of a failed request when retrying is safe."""
        return self._config.max_retries

    @property
    def timeout(self) -> Timeout:
        """The default time limits."""
        return self._config.timeout

    @property
    def cache(self) -> Cache | None:
        """The response cache (``None`` when the client was created without one)."""
        cache: Cache | None = self._config.cache
        return cache

    def with_options(
        self,
        *,
        api_key: ApiKey | None = None,
        admin_api_key: ApiKey | None = None,
        server_url: str | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int | None = None,
        retry_delay: RetryDelay | NotGiven | None = NOT_GIVEN,
        retry_log_level: int | NotGiven | None = NOT_GIVEN,
        default_headers: Mapping[str, str] | None = None,
        stream_timeout: float | NotGiven | None = NOT_GIVEN,
    ) -> Self:
        """A copy of this client with other defaults, sharing its connection pool and cache.

        ``default_headers`` are added to this client's. Closing either closes the pool.
        """
        config = self._config
        changes: dict[str, Any] = {
            "default_headers": {**config.default_headers, **(default_headers or {})}
        }
        if api_key is not None:
            changes["api_key"] = api_key
        if admin_api_key is not None:
            changes["admin_api_key"] = admin_api_key
        if server_url is not None:
            changes["base_url"] = server_url
        if not isinstance(timeout, NotGiven):
            changes["timeout"] = Timeout.coerce(timeout)
        if max_retries is not None:
            changes["max_retries"] = max_retries
        if not isinstance(retry_delay, NotGiven):
            changes["retry_delay"] = retry_delay
        if not isinstance(retry_log_level, NotGiven):
            changes["retry_log_level"] = retry_log_level
        if not isinstance(stream_timeout, NotGiven):
            changes["stream_timeout"] = stream_timeout
        clone = copy.copy(self)
        clone.__dict__ = {k: v for k, v in self.__dict__.items() if k.startswith("_")}
        clone._config = config.replace(**changes)
        return clone

    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        cast_to: None = None,
        auth: AuthScheme = "bearer",
        **options: Unpack[RequestOptions],
    ) -> Any: ...
    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        cast_to: type[T],
        auth: AuthScheme = "bearer",
        **options: Unpack[RequestOptions],
    ) -> T: ...
    @overload
    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        cast_to: Any,
        auth: AuthScheme = "bearer",
        **options: Unpack[RequestOptions],
    ) -> Any: ...
    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, Any] | None = None,
        cast_to: Any = None,
        auth: AuthScheme = "bearer",
        **options: Unpack[RequestOptions],
    ) -> Any:
        """Call any endpoint of the API, even one newer than this SDK.

        The call has the SDK's auth, retries, timeouts, typed errors and per-call options.
        ``path`` is the API path (``"/v1/..."``, already encoded where it must be); ``body``
        is sent as JSON; ``query`` values are sent as the SDK's are (lists repeat the
        name, booleans are ``true``/``false``, ``None`` is left out). The result is the
        decoded JSON, or ``cast_to`` (an SDK type, a union or ``list[...]`` of them) built
        from it with the SDK's converter; ``None`` for a 204.
        ``auth`` is ``"bearer"``, ``"admin"`` (the admin key) or ``"x-api-key"``. ::

            models = await client.request("GET", "/v1/models", query={"limit": 5})
        """
        if not isinstance(method, str) or not _METHOD.fullmatch(method):
            raise InvalidParameterError("method", f"must be an HTTP method name, not {method!r}")
        if (
            not isinstance(path, str)
            or not path.startswith("/")
            or path.startswith("//")
            or _UNSAFE_IN_PATH.search(path)
        ):
            raise InvalidParameterError(
                "path",
                "must be a path starting with '/' (not a URL), without spaces, control "
                "characters or '#'",
            )
        if query is not None and not isinstance(query, Mapping):
            raise InvalidParameterError("query", f"must be a mapping, not {type(query).__name__}")
        from yarl import URL

        encoded = str(URL(path))
        cast = _as_is if cast_to is None else _cast_for(cast_to)

        return await self._core.request(
            self._config,
            method.upper(),
            encoded,
            cast,
            body=body,
            query=query,
            options=options,
            raw=self._raw,
            auth=auth,
        )

    def _raw_clone(self) -> Any:
        """This client, with methods returning :class:`RawResponse` objects."""
        clone = copy.copy(self)
        clone.__dict__ = {k: v for k, v in self.__dict__.items() if k.startswith("_")}
        clone._raw = True
        return clone

    async def aclose(self) -> None:
        """Close the connections (unless you passed your own ``http_session``)."""
        await self._core.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} base_url={self._config.base_url!r}>"


class AsyncMistral(ClientSlots, BaseAsyncClient):
    """The asynchronous Mistral client.

    ::

        async with AsyncMistral() as client:      # the key from MISTRAL_API_KEY
            r = await client.chat.complete(model="mistral-small-latest",
                                           messages=[{"role": "user", "content": "Hi"}])

    Args:
        api_key: The API key, or a function (plain or async) returning it, called per
            request. Defaults to the ``MISTRAL_API_KEY`` environment variable.
        admin_api_key: The key of the admin operations (``client.beta.admin``), or a
            function returning it; the ordinary key is never sent to them, nor this one
            to the others. Defaults to the ``MISTRAL_ADMIN_API_KEY`` environment
            variable. A client may have only an admin key.
        server: ``"global"`` (the default), ``"eu"`` or ``"us"``.
        server_url: The API's base URL, overriding ``server``; defaults to the
            ``MISTRAL_SERVER_URL`` environment variable, then the ``server``'s URL.
        timeout: Seconds for the whole request, or a :class:`Timeout`
            (connect / read / total / pool). Default: 600 s total, 10 s to connect.
        max_retries: Retries of a failed request when retrying is safe (default 2;
            0 turns retrying off).
        retry_delay: ``retry_delay(attempt, error) -> seconds``: the wait before each
            retry, instead of exponential backoff with jitter. A ``Retry-After`` the
            server sends still wins.
        retry_log_level: The logging level of retry messages (default ``logging.INFO``;
            ``None``: not logged).
        default_headers: Headers sent with every request.
        stream_timeout: Seconds allowed between two stream events, the first included
            (default 60; ``None`` for no limit).
        cache: ``True`` for an in-memory response cache of deterministic operations
            (embeddings, moderations, classifications, OCR, reads of models, files,
            agents and libraries), or a :class:`Cache` (time to live, size, your own
            store). Off by default.
        tracing: OpenTelemetry spans for every API call (needs the ``otel`` extra).
            Defaults to the ``MISTRAL_TRACING`` environment variable (``1`` / ``true``).
        tracer_provider: The OpenTelemetry tracer provider to use (default: the global one).
        trace_content: Record messages and answers in spans (off by default; defaults to
            ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``).
        trust_env: Read proxy settings (``HTTPS_PROXY`` ...) and ``.netrc`` from the environment.
        ssl: ``True`` to verify certificates (default), ``False`` not to, or an
            ``ssl.SSLContext``.
        proxy: A proxy URL for every request.
        connection_limit: The most connections open at once (0: no limit).
        http_session: Your own ``aiohttp.ClientSession``; the client then neither creates
            nor closes a session (``trust_env``, ``ssl``, ``proxy`` and
            ``connection_limit`` are that session's business).
    """

    chat: ResourceSlot[AsyncChat] = ResourceSlot(".resources.chat:AsyncChat")
    fim: ResourceSlot[AsyncFim] = ResourceSlot(".resources.fim:AsyncFim")
    embeddings: ResourceSlot[AsyncEmbeddings] = ResourceSlot(
        ".resources.embeddings:AsyncEmbeddings"
    )
    models: ResourceSlot[AsyncModels] = ResourceSlot(".resources.models:AsyncModels")
    files: ResourceSlot[AsyncFiles] = ResourceSlot(".resources.files:AsyncFiles")
    fine_tuning: ResourceSlot[AsyncFineTuning] = ResourceSlot(
        ".resources.fine_tuning:AsyncFineTuning"
    )
    batch: ResourceSlot[AsyncBatch] = ResourceSlot(".resources.batch:AsyncBatch")
    classifiers: ResourceSlot[AsyncClassifiers] = ResourceSlot(
        ".resources.classifiers:AsyncClassifiers"
    )
    ocr: ResourceSlot[AsyncOcr] = ResourceSlot(".resources.ocr:AsyncOcr")
    audio: ResourceSlot[AsyncAudio] = ResourceSlot(".resources.audio:AsyncAudio")
    agents: ResourceSlot[AsyncAgents] = ResourceSlot(".resources.agents:AsyncAgents")
    beta: ResourceSlot[AsyncBeta] = ResourceSlot(".resources.beta:AsyncBeta")
    realtime: ResourceSlot[AsyncRealtime] = ResourceSlot(".resources.realtime:AsyncRealtime")

    def __init__(
        self,
        api_key: ApiKey | None = None,
        *,
        admin_api_key: ApiKey | None = None,
        server: Literal["global", "eu", "us"] | None = None,
        server_url: str | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int = 2,
        retry_delay: RetryDelay | None = None,
        retry_log_level: int | None = logging.INFO,
        default_headers: Mapping[str, str] | None = None,
        stream_timeout: float | None = 60.0,
        cache: bool | Cache | None = None,
        tracing: bool | None = None,
        tracer_provider: Any = None,
        trace_content: bool | None = None,
        trust_env: bool = False,
        ssl: Any = True,
        proxy: str | None = None,
        connection_limit: int = 100,
        http_session: aiohttp.ClientSession | None = None,
    ) -> None:
        if api_key is None:
            api_key = os.environ.get("MISTRAL_API_KEY") or None
        if admin_api_key is None:
            admin_api_key = os.environ.get("MISTRAL_ADMIN_API_KEY") or None
        if api_key is None and admin_api_key is None:
            raise InvalidParameterError(
                "api_key",
                "no API key: pass api_key= or set the MISTRAL_API_KEY environment variable",
            )
        if server_url is None:
            if server is not None:
                if server not in SERVERS:
                    raise InvalidParameterError(
                        "server", f"must be one of {', '.join(SERVERS)}; got {server!r}"
                    )
                server_url = SERVERS[server]
            else:
                server_url = env_server_url() or SERVERS["global"]
        elif server is not None:
            raise InvalidParameterError("server", "give server or server_url, not both")
        super().__init__(
            base_url=server_url,
            api_key=api_key,
            admin_api_key=admin_api_key,
            timeout=timeout,
            max_retries=max_retries,
            retry_delay=retry_delay,
            retry_log_level=retry_log_level,
            default_headers=default_headers,
            stream_timeout=stream_timeout,
            cache=cache,
            tracing=tracing,
            tracer_provider=tracer_provider,
            trace_content=trace_content,
            trust_env=trust_env,
            ssl=ssl,
            proxy=proxy,
            connection_limit=connection_limit,
            http_session=http_session,
        )

    @property
    def with_raw_response(self) -> AsyncMistralWithRawResponse:
        """The same client, whose methods return a :class:`RawResponse` (status, headers,
        request id, rate limits; ``.parse()`` gives the usual result).

        ::

            raw = await client.with_raw_response.chat.complete(...)
            print(raw.headers["x-request-id"], raw.rate_limit)
            completion = raw.parse()
        """
        clone: AsyncMistralWithRawResponse = self._raw_clone()  # typed by the generated _raw.pyi
        return clone


_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_log_env_read: list[bool] = []


def _log_from_env() -> None:
    """Apply ``MISTRAL_LOG`` (once per process) to the ``mistral_async`` logger."""
    if _log_env_read:
        return
    _log_env_read.append(True)
    level = os.environ.get("MISTRAL_LOG")
    if level:
        from ._logging import configure_from_env

        configure_from_env(level)


def _make_cache(cache: bool | Cache | None) -> Cache | None:
    if cache is None or cache is False:
        return None
    from ._cache import Cache

    if cache is True:
        return Cache()
    if not isinstance(cache, Cache):
        raise InvalidParameterError(
            "cache", f"must be True, False, None or a Cache, not {type(cache).__name__}"
        )
    return cache


def _make_tracer(tracing: bool | None, provider: Any, content: bool | None) -> Any:
    if tracing is None:
        tracing = os.environ.get("MISTRAL_TRACING", "").strip().lower() in _TRUE
    if not tracing:
        return None
    if content is None:
        env = os.environ.get("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "")
        content = env.strip().lower() in _TRUE
    try:
        from ._tracing import make_tracer
    except ImportError as exc:
        raise InvalidParameterError(
            "tracing",
            f"needs OpenTelemetry ({exc}): pip install 'mistral-async[otel]'",
        ) from None
    return make_tracer(provider, content=content)


def _as_is(data: Any) -> Any:
    return data


_casts: dict[Any, Callable[[Any], Any]] = {}


def _cast_for(target: Any) -> Callable[[Any], Any]:
    """The parse function of ``cast_to``: one per type, so that cached answers built by it
    are recognised (and its converter hooks are built once)."""
    try:
        cast = _casts.get(target)
    except TypeError:  # an unhashable type expression: built each time
        cast = None
        hashable = False
    else:
        hashable = True
    if cast is None:
        from ._converter import structure

        def cast(data: Any) -> Any:
            return structure(data, target)

        if hashable and len(_casts) < 256:
            _casts[target] = cast
    return cast

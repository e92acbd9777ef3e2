"""Small shared types: the ``NOT_GIVEN`` sentinel, timeouts, per-call options, headers."""

from __future__ import annotations

import contextvars
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Final, Literal, TypedDict, final

import attrs

__all__ = [
    "NOT_GIVEN",
    "AuthScheme",
    "Headers",
    "NotGiven",
    "PollOptions",
    "RequestOptions",
    "Timeout",
]


@final
class NotGiven:
    """The type of :data:`NOT_GIVEN`: marks a parameter the caller did not pass.

    A parameter left at ``NOT_GIVEN`` is not sent at all, while an explicit ``None``
    is sent as JSON ``null``.
    """

    __slots__ = ()
    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()

CREDENTIAL_HEADERS: Final = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key"}
)
"""Request headers that carry credentials (lower case): never sent to another origin on a
redirect, never logged, and what tells two callers apart in the response cache."""

CACHE_READ: Final = 1
"""The response cache's plan for a call whose answer is looked up and stored."""
CACHE_MUTATE: Final = 2
"""The response cache's plan for a call that changes what some cached reads answered."""

CallKey = tuple[int, bool, bytes]
"""A method call, for the response cache: ``(id(config), raw, name and arguments as JSON)``."""
CALL: Final[contextvars.ContextVar[CallKey | None]] = contextvars.ContextVar(
    "mistral_async_call", default=None
)
"""The method call the session core serves, set while the call runs the first time: the
core records which cache entry its request maps to, so a repeat goes straight there."""

AuthScheme = Literal["bearer", "admin", "x-api-key"]
"""How an operation authenticates: ``Authorization: Bearer <api_key>``, the same with
the admin key, or the API key in an ``x-api-key`` header."""


def _check_seconds(name: str, value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"Timeout.{name} must be a number of seconds or None, not {value!r}")
    if math.isnan(value) or value <= 0:
        raise ValueError(f"Timeout.{name} must be a positive number of seconds, not {value!r}")


@attrs.frozen(slots=True)
class Timeout:
    """Time limits for one request, in seconds; ``None`` means no limit.

    - ``connect``: establishing a TCP/TLS connection.
    - ``read``: the longest wait for any bytes of the response (not used by streams,
      which use ``stream_timeout`` between events instead).
    - ``total``: the whole request, body included (not applied to streams).
    - ``pool``: acquiring a connection from the pool, connecting included.
    """

    total: float | None = 600.0
    connect: float | None = 10.0
    read: float | None = None
    pool: float | None = None

    def __attrs_post_init__(self) -> None:
        for name in ("total", "connect", "read", "pool"):
            _check_seconds(name, getattr(self, name))

    @classmethod
    def coerce(cls, value: float | Timeout | None) -> Timeout:
        """Turn a number of seconds (the total), ``None`` (no limit) or a Timeout into a Timeout."""
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(total=None, connect=None)
        _check_seconds("total", value)
        return cls(total=float(value), connect=min(10.0, float(value)))


DEFAULT_TIMEOUT: Final = Timeout()

DEFAULT_TOOL_ITERATIONS: Final = 10
"""How many model turns a tool run may take unless told (``max_iterations``)."""


class RequestOptions(TypedDict, total=False):
    """Keyword arguments every API method accepts besides its own parameters."""

    timeout: float | Timeout | None
    """Time limits for this call (seconds for the total, or a :class:`Timeout`)."""
    max_retries: int
    """How many times to retry this call on a retryable failure."""
    api_key: str
    """The API key for this call only."""
    admin_api_key: str
    """The admin API key for this call only (admin operations)."""
    extra_headers: Mapping[str, str]
    """Headers added to (or overriding) the request's headers."""
    extra_query: Mapping[str, Any]
    """Query parameters added to the request's URL."""
    extra_body: Mapping[str, Any]
    """Fields added to (or overriding) the JSON body."""
    stream_timeout: float | None
    """Streams only: seconds allowed between two events (the first included)."""
    cache: bool
    """``False``: neither read nor fill the client's response cache for this call;
    ``True``: cache this call's answer even if its operation is not cached by default."""
    retry_delay: Callable[[int, BaseException], float] | None
    """Seconds to wait before retry ``attempt`` after ``error`` (``Retry-After`` still wins)."""
    retry_log_level: int | None
    """The logging level of this call's retry messages (``None``: not logged)."""


REQUEST_OPTION_NAMES: Final = frozenset(RequestOptions.__annotations__)


class PollOptions(TypedDict, total=False):
    """Per-request settings of each poll a waiting helper makes (``jobs.wait``, ``batch.run``).

    ``timeout`` is taken by the helpers as the limit of the whole wait, hence
    ``request_timeout`` here for each poll's own limit.
    """

    request_timeout: float | Timeout | None
    """Time limits of each poll."""
    max_retries: int
    """How many times to retry a poll on a retryable failure."""
    api_key: str
    """The API key for these polls only."""
    extra_headers: Mapping[str, str]
    """Headers added to each poll."""
    extra_query: Mapping[str, Any]
    """Query parameters added to each poll's URL."""


@final
class Headers(Mapping[str, str]):
    """Read-only, case-insensitive response headers.

    ``headers["X-Request-Id"]`` and ``headers["x-request-id"]`` are the same; when a
    header is repeated, indexing gives the first value and :meth:`get_all` every one.
    """

    __slots__ = ("_index", "_items")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: tuple[tuple[str, str], ...] = tuple(items)
        index: dict[str, str] = {}
        for key, value in self._items:
            index.setdefault(key.lower(), value)
        self._index = index

    def __getitem__(self, key: str) -> str:
        return self._index[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def get_all(self, key: str) -> list[str]:
        """Every value of a repeated header, in the order received."""
        lowered = key.lower()
        return [v for k, v in self._items if k.lower() == lowered]

    def __repr__(self) -> str:
        return f"Headers({dict(self._index)!r})"

"""What ``client.with_raw_response`` returns: status, headers, rate limits, and the parsed body."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

import attrs

from ._types import Headers

__all__ = ["RateLimit", "RateLimitWindow", "RawResponse", "no_content", "request_id_of"]

T = TypeVar("T")

_REQUEST_ID_HEADERS = ("x-request-id", "mistral-correlation-id", "x-kong-request-id")
_KINDS = ("limit", "remaining", "reset")


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The request id the API (or its gateway) put in the response headers."""
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def _number(value: str) -> float | None:
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return None


@attrs.frozen(slots=True)
class RateLimitWindow:
    """One rate-limit window, such as tokens per minute."""

    limit: float | None = None
    remaining: float | None = None
    reset: float | None = None


@attrs.frozen(slots=True)
class RateLimit:
    """The ``x-ratelimit-*`` figures of a response.

    ``windows`` maps a window's name as the headers spell it (``"tokens-minute"``,
    ``"tokens-month"``, ``"req-minute"``, ...) to its limit, remaining and reset;
    ``query_cost`` is what this request counted; ``raw`` keeps every such header.
    """

    windows: dict[str, RateLimitWindow]
    query_cost: float | None
    raw: dict[str, str]

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimit:
        """Parse every ``x-ratelimit-*`` header."""
        raw = {k.lower(): v for k, v in headers.items() if k.lower().startswith("x-ratelimit-")}
        parts: dict[str, dict[str, float | None]] = {}
        query_cost = None
        for name, value in raw.items():
            rest = name[len("x-ratelimit-") :]
            if rest.endswith("query-cost"):
                query_cost = _number(value)
                continue
            kind, _, window = rest.partition("-")
            if kind in _KINDS and window:
                parts.setdefault(window, {})[kind] = _number(value)
        windows = {w: RateLimitWindow(**v) for w, v in parts.items()}
        return cls(windows=windows, query_cost=query_cost, raw=raw)

    def __getitem__(self, window: str) -> RateLimitWindow:
        return self.windows[window]


class RawResponse(Generic[T]):
    """A response with its status and headers; :meth:`parse` gives the usual result."""

    __slots__ = ("_parse", "_parsed", "content", "headers", "status_code")

    def __init__(
        self, status_code: int, headers: Headers, content: bytes, parse: Callable[[], T]
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content
        self._parse = parse
        self._parsed: list[T] = []

    @property
    def request_id(self) -> str | None:
        """The request id of this response, for support requests."""
        return request_id_of(self.headers)

    @property
    def rate_limit(self) -> RateLimit:
        """The rate-limit figures the API sent."""
        return RateLimit.from_headers(self.headers)

    def parse(self) -> T:
        """The typed result, as the plain method would have returned it."""
        if not self._parsed:
            self._parsed.append(self._parse())
        return self._parsed[0]

    def __repr__(self) -> str:
        return f"<RawResponse [{self.status_code}] request_id={self.request_id!r}>"


def no_content(_: object) -> None:
    """The parse function of an operation the API answers without a body."""
    return None

"""The retry policy: what is retried, how long to wait, and the tenacity loop that drives it.

Retried: connection errors, timeouts, and the statuses 408, 429, 500, 502, 503 and 504
(409 is not: the API uses it for real conflicts). The wait is exponential backoff
with full jitter, unless the response says how long to wait (``retry-after-ms``,
``Retry-After`` in seconds or as an HTTP date), which is honoured up to a cap.

The first attempt runs without tenacity, so a request that succeeds pays nothing
for retries; tenacity takes over only after a retryable failure.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final, TypeVar

from ._errors import APIConnectionError, APIError, APIStatusError

if TYPE_CHECKING:
    import tenacity

    from ._types import Headers

__all__ = ["RETRY_STATUSES", "call_with_retries", "is_retryable", "retry_after", "retry_wait"]

T = TypeVar("T")

log: Final = logging.getLogger("mistral_async")

RETRY_STATUSES: Final = frozenset({408, 429, 500, 502, 503, 504})
INITIAL_DELAY: Final = 0.5
MAX_DELAY: Final = 8.0
MAX_RETRY_AFTER: Final = 60.0


def is_retryable(exc: BaseException) -> bool:
    """Whether a failed attempt may be retried."""
    if isinstance(exc, APIStatusError):
        return exc.status_code in RETRY_STATUSES
    return isinstance(exc, APIConnectionError)


def retry_after(headers: Headers, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait, or None when it did not say (or said nonsense)."""
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            seconds = float(value) / 1000
        except ValueError:
            seconds = math.nan
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        seconds = email.utils.mktime_tz(parsed) - (time.time() if now is None else now)
        seconds = max(seconds, 0.0)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def backoff(attempt: int) -> float:
    """Full-jitter exponential backoff before retry number ``attempt`` (1-based)."""
    ceiling = min(MAX_DELAY, INITIAL_DELAY * 2 ** (attempt - 1))
    return random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography


def retry_wait(exc: BaseException, attempt: int) -> float:
    """How long to wait after failed attempt number ``attempt``."""
    if isinstance(exc, APIStatusError):
        asked = retry_after(exc.headers)
        if asked is not None:
            return min(asked, MAX_RETRY_AFTER)
    return backoff(attempt)


def _tenacity_wait(state: tenacity.RetryCallState) -> float:
    assert state.outcome is not None
    exc = state.outcome.exception()
    assert exc is not None
    return retry_wait(exc, state.attempt_number)


async def call_with_retries(attempt: Callable[[], Awaitable[T]], max_retries: int, what: str) -> T:
    """Run ``attempt``; retry it up to ``max_retries`` times on retryable failures.

    The error that ends the calls has ``attempts`` set to how many were made.
    """
    try:
        return await attempt()
    except APIError as exc:
        if max_retries <= 0 or not is_retryable(exc):
            raise
        first = exc
    return await _retry_loop(attempt, first, max_retries, what)


async def _retry_loop(
    attempt: Callable[[], Awaitable[T]], first: APIError, max_retries: int, what: str
) -> T:
    import tenacity  # only failed requests pay for importing and building the retry loop

    replay: list[APIError] = [first]

    async def next_attempt() -> T:
        if replay:
            # Tenacity counts the failure that brought us here as its first attempt.
            raise replay.pop()
        return await attempt()

    def log_retry(state: tenacity.RetryCallState) -> None:
        assert state.outcome is not None
        exc = state.outcome.exception()
        sleep = state.next_action.sleep if state.next_action else 0.0
        log.info(
            "Retrying %s in %.2f s (attempt %d of %d failed: %s)",
            what,
            sleep,
            state.attempt_number,
            max_retries + 1,
            _describe(exc),
        )

    retrying = tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(max_retries + 1),
        wait=_tenacity_wait,
        retry=tenacity.retry_if_exception(is_retryable),
        before_sleep=log_retry,
        sleep=asyncio.sleep,
        reraise=True,
    )
    try:
        return await retrying(next_attempt)
    except APIError as exc:
        exc.attempts = retrying.statistics.get("attempt_number", 1)
        raise


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, APIStatusError):
        return f"status {exc.status_code}"
    return type(exc).__name__

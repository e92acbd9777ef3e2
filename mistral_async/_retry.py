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
from typing import TYPE_CHECKING, Any, Final, TypeVar

from ._errors import APIConnectionError, APIError, APIStatusError

if TYPE_CHECKING:
    import tenacity

    from ._types import Headers

__all__ = [
    "RETRY_STATUSES",
    "RetryDelay",
    "RetryPolicy",
    "call_with_retries",
    "is_retryable",
    "retry_after",
    "retry_wait",
]

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


RetryDelay = Callable[[int, BaseException], float]
"""``retry_delay(attempt, error) -> seconds``: the wait after failed attempt ``attempt``
(1-based); ``error`` is the :class:`~mistral_async.APIStatusError` (status, headers, body
of the failed response) or the :class:`~mistral_async.APIConnectionError` /
:class:`~mistral_async.APITimeoutError`."""

OnRetry = Callable[[int, float, BaseException], None]
"""Told of each retry: ``(failed attempt number, seconds to wait, error)``."""


class RetryPolicy:
    """How a client retries: how many times, how long it waits, how it logs.

    The server's ``Retry-After`` (or ``retry-after-ms``) wins over ``delay`` when sent.
    """

    __slots__ = ("delay", "log_level", "max_retries")

    def __init__(
        self,
        max_retries: int,
        delay: RetryDelay | None = None,
        log_level: int | None = logging.INFO,
    ) -> None:
        self.max_retries = max_retries
        self.delay = delay
        self.log_level = log_level

    def __repr__(self) -> str:
        return f"RetryPolicy(max_retries={self.max_retries})"

    def with_retries(self, max_retries: int) -> RetryPolicy:
        """The same policy with another number of retries."""
        return RetryPolicy(max_retries, self.delay, self.log_level)

    def wait(self, exc: BaseException, attempt: int) -> float:
        """How long to wait after failed attempt number ``attempt``."""
        if isinstance(exc, APIStatusError):
            asked = retry_after(exc.headers)
            if asked is not None:
                return min(asked, MAX_RETRY_AFTER)
        if self.delay is None:
            return backoff(attempt)
        seconds = self.delay(attempt, exc)
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not math.isfinite(seconds)
            or seconds < 0
        ):
            from ._errors import InvalidParameterError

            raise InvalidParameterError(
                "retry_delay", f"must return a number of seconds >= 0, not {seconds!r}"
            ) from exc
        return float(seconds)

    def log(self, what: str, attempt: int, sleep: float, exc: BaseException | None) -> None:
        """Log one retry at the policy's level (nothing when the level is None)."""
        self.emit(
            "Retrying %s in %.2f s (attempt %d of %d failed: %s)",
            what,
            sleep,
            attempt,
            self.max_retries + 1,
            _describe(exc),
        )

    def emit(self, message: str, *args: Any) -> None:
        """Log a retry message at the policy's level (nothing when the level is None)."""
        level = self.log_level
        if level is not None and log.isEnabledFor(level):
            log.log(level, message, *args)


DEFAULT_POLICY: Final = RetryPolicy(2)


def retry_wait(exc: BaseException, attempt: int) -> float:
    """How long the default policy waits after failed attempt number ``attempt``."""
    return DEFAULT_POLICY.wait(exc, attempt)


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    what: str,
    on_retry: OnRetry | None = None,
) -> T:
    """Run ``attempt``; retry it up to ``policy.max_retries`` times on retryable failures.

    The error that ends the calls has ``attempts`` set to how many were made.
    """
    try:
        return await attempt()
    except APIError as exc:
        if policy.max_retries <= 0 or not is_retryable(exc):
            raise
        first = exc
    return await _retry_loop(attempt, first, policy, what, on_retry)


async def _retry_loop(
    attempt: Callable[[], Awaitable[T]],
    first: APIError,
    policy: RetryPolicy,
    what: str,
    on_retry: OnRetry | None,
) -> T:
    import tenacity  # only failed requests pay for importing and building the retry loop

    replay: list[APIError] = [first]

    async def next_attempt() -> T:
        if replay:
            # Tenacity counts the failure that brought us here as its first attempt.
            raise replay.pop()
        return await attempt()

    def wait(state: tenacity.RetryCallState) -> float:
        if state.attempt_number > policy.max_retries:
            return 0.0  # no retry follows (tenacity asks before it checks when to stop)
        assert state.outcome is not None
        exc = state.outcome.exception()
        assert exc is not None
        return policy.wait(exc, state.attempt_number)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        assert state.outcome is not None
        exc = state.outcome.exception()
        sleep = state.next_action.sleep if state.next_action else 0.0
        policy.log(what, state.attempt_number, sleep, exc)
        if on_retry is not None and exc is not None:
            on_retry(state.attempt_number, sleep, exc)

    retrying = tenacity.AsyncRetrying(
        stop=tenacity.stop_after_attempt(policy.max_retries + 1),
        wait=wait,
        retry=tenacity.retry_if_exception(is_retryable),
        before_sleep=before_sleep,
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

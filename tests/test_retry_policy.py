"""The retry policy's decisions, apart from the network: statuses, waits, Retry-After."""

from __future__ import annotations

import email.utils

import pytest

from mistral_async import _retry
from mistral_async._errors import (
    APIConnectionError,
    APITimeoutError,
    InvalidParameterError,
    make_status_error,
)
from mistral_async._types import Headers


def status(code: int, **headers: str) -> Exception:
    return make_status_error(code, "", Headers(list(headers.items())), b"", None)


@pytest.mark.parametrize("code", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses(code: int) -> None:
    assert _retry.is_retryable(status(code))


@pytest.mark.parametrize("code", [400, 401, 403, 404, 409, 422, 501])
def test_not_retryable_statuses(code: int) -> None:
    assert not _retry.is_retryable(status(code))


def test_connection_errors_and_timeouts_are_retried_but_bad_input_is_not() -> None:
    assert _retry.is_retryable(APIConnectionError("x"))
    assert _retry.is_retryable(APITimeoutError("x"))
    assert not _retry.is_retryable(InvalidParameterError("model", "x"))


def test_retry_after_forms() -> None:
    assert _retry.retry_after(Headers([("Retry-After", "2")])) == 2
    assert _retry.retry_after(Headers([("retry-after", "1.5")])) == 1.5
    assert _retry.retry_after(Headers([("retry-after-ms", "250")])) == 0.25
    # retry-after-ms is more precise and wins.
    assert _retry.retry_after(Headers([("Retry-After", "9"), ("retry-after-ms", "10")])) == 0.01
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert _retry.retry_after(Headers([("Retry-After", date)]), now=1_000_000) == 30


@pytest.mark.parametrize("value", ["-1", "soon", "nan", "inf", ""])
def test_nonsense_retry_after_is_ignored(value: str) -> None:
    assert _retry.retry_after(Headers([("Retry-After", value)])) is None


def test_wait_honours_retry_after_up_to_the_cap() -> None:
    assert _retry.retry_wait(status(429, **{"Retry-After": "3"}), 1) == 3
    capped = _retry.retry_wait(status(429, **{"Retry-After": "100000"}), 1)
    assert capped == _retry.MAX_RETRY_AFTER


def test_backoff_is_full_jitter_exponential_and_capped() -> None:
    for attempt in range(1, 12):
        ceiling = min(_retry.MAX_DELAY, _retry.INITIAL_DELAY * 2 ** (attempt - 1))
        waits = [_retry.backoff(attempt) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling / 2  # jitter spreads over the whole range
    assert _retry.retry_wait(status(503, **{"Retry-After": "garbage"}), 1) <= _retry.INITIAL_DELAY

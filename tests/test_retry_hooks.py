"""Shaping retries: retry_delay, retry_log_level, max_retries=0, per client and per call."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from mistral_async import (
    APIConnectionError,
    APIStatusError,
    AsyncMistral,
    InternalServerError,
    InvalidParameterError,
    Mistral,
    RateLimitError,
)
from mistral_async.testing import FakeMistral

pytestmark = pytest.mark.anyio

HI = [{"role": "user", "content": "Hi"}]


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def client_for(fake: FakeMistral, **kwargs: Any) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url, **kwargs)


async def test_retry_delay_gets_the_attempt_and_the_failure(fake_mistral: FakeMistral) -> None:
    calls: list[tuple[int, str, int | None]] = []

    def delay(attempt: int, error: BaseException) -> float:
        status = error.status_code if isinstance(error, APIStatusError) else None
        calls.append((attempt, type(error).__name__, status))
        return 0.05 * attempt

    fake_mistral.fail_next(1, status=503)
    fake_mistral.fail_next(1, status=502)
    async with client_for(fake_mistral, retry_delay=delay, max_retries=3) as client:
        started = time.monotonic()
        await client.chat.complete(model="m", messages=HI)
        waited = time.monotonic() - started
    assert calls == [(1, "InternalServerError", 503), (2, "InternalServerError", 502)]
    assert waited >= 0.15
    assert len(fake_mistral.requests) == 3


async def test_retry_after_wins_over_retry_delay(fake_mistral: FakeMistral) -> None:
    asked: list[int] = []

    def delay(attempt: int, error: BaseException) -> float:
        asked.append(attempt)
        return 30.0  # would make the test time out if it were used

    fake_mistral.fail_next(1, status=429, headers={"Retry-After": "0.1"})
    async with client_for(fake_mistral, retry_delay=delay) as client:
        started = time.monotonic()
        await client.models.list()
        assert time.monotonic() - started < 5
    assert asked == []


async def test_per_call_retry_delay_and_max_retries(fake_mistral: FakeMistral) -> None:
    def never(attempt: int, error: BaseException) -> float:
        raise AssertionError("the client's delay was used")

    async with client_for(fake_mistral, retry_delay=never) as client:
        fake_mistral.fail_next(1, status=500)
        await client.models.list(retry_delay=lambda attempt, error: 0.0)
        fake_mistral.fail_next(1, status=500)
        with pytest.raises(InternalServerError) as caught:
            await client.models.list(max_retries=0)
        assert caught.value.attempts == 1
        fake_mistral.fail_next(1, status=429)
        with pytest.raises(RateLimitError):
            await client.with_options(max_retries=0).models.list()
    assert len(fake_mistral.requests) == 4


async def test_max_retries_zero_on_the_client(fake_mistral: FakeMistral) -> None:
    fake_mistral.fail_next(1, status=503)
    async with client_for(fake_mistral, max_retries=0) as client:
        with pytest.raises(InternalServerError):
            await client.models.list()
    assert len(fake_mistral.requests) == 1


async def test_connection_errors_reach_retry_delay() -> None:
    errors: list[BaseException] = []

    def delay(attempt: int, error: BaseException) -> float:
        errors.append(error)
        return 0.0

    client = AsyncMistral(
        api_key="sk-retry-hooks", server_url=f"http://127.0.0.1:{unused_port()}", retry_delay=delay
    )
    async with client:
        with pytest.raises(APIConnectionError):
            await client.models.list()
    assert len(errors) == 2
    assert all(isinstance(e, APIConnectionError) for e in errors)


async def test_stream_openings_use_retry_delay(fake_mistral: FakeMistral) -> None:
    attempts: list[int] = []
    fake_mistral.fail_next(1, status=503)

    def delay(attempt: int, error: BaseException) -> float:
        attempts.append(attempt)
        return 0.0

    async with client_for(fake_mistral, retry_delay=delay) as client:
        async with client.chat.stream(model="m", messages=HI) as stream:
            await stream.until_done()
    assert attempts == [1]


async def test_bad_retry_settings_are_refused(fake_mistral: FakeMistral) -> None:
    with pytest.raises(InvalidParameterError, match="retry_delay"):
        client_for(fake_mistral, retry_delay=3)
    with pytest.raises(InvalidParameterError, match="retry_log_level"):
        client_for(fake_mistral, retry_log_level="loud")
    fake_mistral.fail_next(1, status=503)
    async with client_for(fake_mistral, retry_delay=lambda a, e: -1) as client:
        with pytest.raises(InvalidParameterError, match="retry_delay"):
            await client.models.list()


def test_the_blocking_client_takes_the_same_hooks(fake_mistral: FakeMistral) -> None:
    seen: list[int] = []
    fake_mistral.fail_next(1, status=503)
    with Mistral(
        api_key=fake_mistral.api_key,
        server_url=fake_mistral.url,
        retry_delay=lambda attempt, error: seen.append(attempt) or 0.0,
    ) as client:
        client.models.list()
    assert seen == [1]

"""Retries over real HTTP: which failures are retried, how often, and what is logged."""

from __future__ import annotations

import logging
import time

import pytest

import mistral_async
from mistral_async import AsyncMistral
from mistral_async.testing import FakeMistral

pytestmark = pytest.mark.anyio

HI = [{"role": "user", "content": "Hi"}]


def client_for(fake: FakeMistral, **kwargs: object) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url, **kwargs)  # type: ignore[arg-type]


async def test_429_with_retry_after_is_retried_after_the_asked_wait(
    fake_mistral: FakeMistral, caplog: pytest.LogCaptureFixture
) -> None:
    fake_mistral.fail_next(1, status=429, headers={"Retry-After": "0.3"})
    caplog.set_level(logging.INFO, logger="mistral_async")
    async with client_for(fake_mistral) as client:
        started = time.monotonic()
        result = await client.chat.complete(model="m", messages=HI)
        waited = time.monotonic() - started
    assert result.choices[0].message.content
    assert len(fake_mistral.requests) == 2
    assert 0.3 <= waited < 1.5
    (record,) = [r for r in caplog.records if r.name == "mistral_async"]
    assert record.levelno == logging.INFO
    assert "POST /v1/chat/completions" in record.getMessage()
    assert "status 429" in record.getMessage()
    assert fake_mistral.api_key not in record.getMessage()


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
async def test_5xx_and_408_are_retried(
    fake_mistral: FakeMistral, fast_retries: None, status: int
) -> None:
    fake_mistral.fail_next(2, status=status)
    async with client_for(fake_mistral) as client:
        await client.embeddings.create(model="mistral-embed", inputs=["a"])
    assert len(fake_mistral.requests) == 3


async def test_dropped_connection_is_retried(fake_mistral: FakeMistral, fast_retries: None) -> None:
    fake_mistral.drop_next(1)
    async with client_for(fake_mistral) as client:
        result = await client.models.list()
    assert result.data
    assert len(fake_mistral.requests) == 2


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, mistral_async.BadRequestError),
        (401, mistral_async.AuthenticationError),
        (409, mistral_async.ConflictError),
        (422, mistral_async.UnprocessableEntityError),
    ],
)
async def test_client_errors_are_not_retried(
    fake_mistral: FakeMistral, fast_retries: None, status: int, error: type[Exception]
) -> None:
    fake_mistral.fail_next(1, status=status)
    async with client_for(fake_mistral) as client:
        with pytest.raises(error) as caught:
            await client.chat.complete(model="m", messages=HI)
    assert len(fake_mistral.requests) == 1
    assert caught.value.attempts == 1  # type: ignore[attr-defined]


async def test_final_error_says_how_many_attempts(
    fake_mistral: FakeMistral, fast_retries: None
) -> None:
    fake_mistral.fail_next(10, status=503)
    async with client_for(fake_mistral, max_retries=3) as client:
        with pytest.raises(mistral_async.InternalServerError) as caught:
            await client.chat.complete(model="m", messages=HI)
    assert len(fake_mistral.requests) == 4
    assert caught.value.attempts == 4
    assert "after 4 attempts" in str(caught.value)


async def test_max_retries_per_call_and_zero(fake_mistral: FakeMistral, fast_retries: None) -> None:
    fake_mistral.fail_next(10, status=503)
    async with client_for(fake_mistral, max_retries=0) as client:
        with pytest.raises(mistral_async.InternalServerError):
            await client.models.list()
        assert len(fake_mistral.requests) == 1
        with pytest.raises(mistral_async.InternalServerError):
            await client.models.list(max_retries=1)
    assert len(fake_mistral.requests) == 3


async def test_stream_is_retried_before_its_first_event(
    fake_mistral: FakeMistral, fast_retries: None
) -> None:
    fake_mistral.fail_next(1, status=503)
    fake_mistral.cut_stream_after(0)
    async with client_for(fake_mistral) as client:
        async with client.chat.stream(model="m", messages=HI) as stream:
            chunks = [c async for c in stream]
    assert chunks
    assert len(fake_mistral.requests) == 3  # 503, cut before any event, then success


async def test_stream_is_never_retried_after_an_event(
    fake_mistral: FakeMistral, fast_retries: None
) -> None:
    fake_mistral.cut_stream_after(3)
    received = []
    async with client_for(fake_mistral) as client:
        with pytest.raises(mistral_async.APIConnectionError):
            async with client.chat.stream(model="m", messages=HI) as stream:
                async for chunk in stream:
                    received.append(chunk)
    assert len(received) == 3
    assert len(fake_mistral.requests) == 1

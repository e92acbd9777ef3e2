"""Scenario 2: 429 / 503 with ``Retry-After`` variants, retryable and non-retryable statuses.

What users rely on: the SDK waits as long as the server asks (``Retry-After`` in seconds or
as an HTTP date, ``retry-after-ms``), never longer than ``MAX_RETRY_AFTER``; nonsense values
fall back to the jittered backoff, bounded by ``MAX_DELAY``; and statuses that retrying
cannot fix (400, 401, 403, 404, 409, 422) are raised after exactly one request.

Waits are measured on the server: the monotonic time between the arrivals of request 1
and request 2.
"""

from __future__ import annotations

import email.utils
import math
import time

import pytest

from mistral_async import (
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from mistral_async import _retry as retry_module

from .conftest import CHAT, MakeClient, assert_fired_at
from .faultserver import DONE, Behaviour, Exchange, FaultServer, chunk_event, respond, sse

pytestmark = pytest.mark.anyio

ERROR_BODY = b'{"object":"error","message":"slow down","type":"rate_limited","code":"1300"}'


def status_with(status: int, headers: dict[str, str]) -> Behaviour:
    """An error response with a Mistral error body and these headers."""
    return respond(status, ERROR_BODY, {"Content-Type": "application/json", **headers})


@pytest.mark.parametrize(
    ("status", "header", "value", "expected"),
    [
        (429, "Retry-After", "0.3", 0.3),
        (503, "Retry-After", "0.3", 0.3),
        (429, "Retry-After", "1", 1.0),
        (429, "retry-after-ms", "250", 0.25),
        (503, "retry-after-ms", "250", 0.25),
    ],
    ids=["429-seconds", "503-seconds", "429-integer-seconds", "429-ms", "503-ms"],
)
async def test_retry_after_is_honoured(
    server: FaultServer,
    make_client: MakeClient,
    status: int,
    header: str,
    value: str,
    expected: float,
) -> None:
    """The retry waits what Retry-After / retry-after-ms asks, within 10% + 50 ms."""
    server.queue(status_with(status, {header: value}))
    client = make_client(server, max_retries=1)
    result = await client.chat.complete(**CHAT)
    assert result.choices[0].message.content == "hello"
    assert server.request_count == 2
    assert_fired_at(server.gaps()[0], expected)


async def test_retry_after_ms_wins_over_retry_after(
    server: FaultServer, make_client: MakeClient
) -> None:
    """With both headers, the more precise retry-after-ms is used."""
    server.queue(status_with(429, {"retry-after-ms": "200", "Retry-After": "3"}))
    client = make_client(server, max_retries=1)
    await client.chat.complete(**CHAT)
    assert_fired_at(server.gaps()[0], 0.2)


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_http_date_is_honoured(
    server: FaultServer, make_client: MakeClient, status: int
) -> None:
    """Retry-After as an HTTP date: the retry waits until that date."""
    sent: dict[str, float] = {}

    async def answer(ex: Exchange) -> None:
        now = time.time()
        target = math.ceil(now + 0.3)  # HTTP dates have whole seconds: a 0.3 to 1.3 s wait
        sent["expected"] = target - now
        sent["at"] = time.monotonic()
        date = email.utils.formatdate(target, usegmt=True)
        await ex.respond(status, ERROR_BODY, {"Retry-After": date})

    server.queue(answer)
    client = make_client(server, max_retries=1)
    await client.chat.complete(**CHAT)
    assert server.request_count == 2
    assert_fired_at(server.requests[1].at - sent["at"], sent["expected"])


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Retry-After", "1000000000"),
        ("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"),
        ("retry-after-ms", "1e12"),
    ],
    ids=["seconds-1e9", "date-year-9999", "ms-1e12"],
)
async def test_huge_retry_after_is_capped(
    server: FaultServer,
    make_client: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
    header: str,
    value: str,
) -> None:
    """An absurdly long Retry-After is capped at MAX_RETRY_AFTER (patched to 0.3 s here)."""
    monkeypatch.setattr(retry_module, "MAX_RETRY_AFTER", 0.3)
    server.queue(status_with(429, {header: value}))
    client = make_client(server, max_retries=1)
    await client.chat.complete(**CHAT)
    assert_fired_at(server.gaps()[0], 0.3)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Retry-After", "-5"),
        ("Retry-After", "soon"),
        ("Retry-After", "inf"),
        ("Retry-After", "nan"),
        ("Retry-After", ""),
        ("Retry-After", "1e400"),
        ("retry-after-ms", "-100"),
        ("retry-after-ms", "later"),
    ],
)
async def test_nonsense_retry_after_falls_back_to_backoff(
    server: FaultServer,
    make_client: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
    header: str,
    value: str,
) -> None:
    """Negative or unparsable values are ignored: the wait is the backoff, <= MAX_DELAY."""
    monkeypatch.setattr(retry_module, "INITIAL_DELAY", 0.2)
    monkeypatch.setattr(retry_module, "MAX_DELAY", 0.2)
    server.queue(status_with(503, {header: value}))
    client = make_client(server, max_retries=1)
    result = await client.chat.complete(**CHAT)
    assert result.choices[0].message.content == "hello"
    assert 0 <= server.gaps()[0] <= 0.2 + 0.05


async def test_default_backoff_is_bounded(server: FaultServer, make_client: MakeClient) -> None:
    """Without Retry-After, the first retry waits at most INITIAL_DELAY (full jitter)."""
    server.queue(status_with(503, {}))
    client = make_client(server, max_retries=1)
    await client.chat.complete(**CHAT)
    assert 0 <= server.gaps()[0] <= retry_module.INITIAL_DELAY + 0.05


async def test_retries_exhausted_raise_the_last_status_error(
    server: FaultServer, make_client: MakeClient
) -> None:
    """Every attempt rate-limited: RateLimitError after max_retries + 1 requests, each wait
    honouring Retry-After."""
    server.default = status_with(429, {"Retry-After": "0.1"})
    client = make_client(server, max_retries=2)
    with pytest.raises(RateLimitError) as info:
        await client.chat.complete(**CHAT)
    err = info.value
    assert err.status_code == 429
    assert err.attempts == 3
    assert err.request_id == "req-3"
    assert err.headers["retry-after"] == "0.1"
    assert err.code == "1300"
    assert server.request_count == 3
    for gap in server.gaps():
        assert_fired_at(gap, 0.1)


async def test_stream_open_honours_retry_after(
    server: FaultServer, make_client: MakeClient
) -> None:
    """Opening a stream that gets a 429 retries after Retry-After, then streams."""
    server.queue(status_with(429, {"Retry-After": "0.2"}))
    server.default = sse(chunk_event("ok"), DONE)
    client = make_client(server, max_retries=1)
    async with client.chat.stream(**CHAT) as stream:
        texts = [chunk.choices[0].delta.text async for chunk in stream]
    assert texts == ["ok"]
    assert_fired_at(server.gaps()[0], 0.2)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
    ],
)
async def test_non_retryable_statuses_are_not_retried(
    server: FaultServer,
    make_client: MakeClient,
    status: int,
    error: type[APIStatusError],
) -> None:
    """4xx errors that a retry cannot fix raise at once, even with Retry-After: 0."""
    server.default = status_with(status, {"Retry-After": "0"})
    client = make_client(server, max_retries=3)
    with pytest.raises(APIStatusError) as info:
        await client.chat.complete(**CHAT)
    assert type(info.value) is error
    assert info.value.status_code == status
    assert info.value.attempts == 1
    assert info.value.request_id == "req-1"
    assert server.request_count == 1


@pytest.mark.parametrize("status", [408, 500, 502, 504])
async def test_other_transient_statuses_are_retried(
    server: FaultServer, make_client: MakeClient, status: int
) -> None:
    """408 and 5xx are retried max_retries times, then raised with the attempt count."""
    server.default = status_with(status, {"Retry-After": "0"})
    client = make_client(server, max_retries=2)
    with pytest.raises(APIStatusError) as info:
        await client.chat.complete(**CHAT)
    assert info.value.status_code == status
    if status >= 500:
        assert type(info.value) is InternalServerError
    assert info.value.attempts == 3
    assert server.request_count == 3


async def test_retry_then_non_retryable_counts_both_attempts(
    server: FaultServer, make_client: MakeClient
) -> None:
    """503 then 400: the 400 is raised at once, and attempts says 2 requests were made."""
    server.queue(status_with(503, {"Retry-After": "0"}), status_with(400, {}))
    client = make_client(server, max_retries=5)
    with pytest.raises(BadRequestError) as info:
        await client.chat.complete(**CHAT)
    assert info.value.attempts == 2
    assert server.request_count == 2

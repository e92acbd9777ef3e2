"""Scenario 1: refused connections and resets (TCP RST) before, during and after a response.

What users rely on: a broken connection is always an :class:`APIConnectionError`; it is
retried when retrying cannot duplicate what the caller already saw (any plain request,
a stream before its first event), never after a stream delivered an event; and
``err.attempts`` says how many requests were made.
"""

from __future__ import annotations

import json
import logging

import pytest

from mistral_async import APIConnectionError, APITimeoutError

from .conftest import CHAT, MakeClient
from .faultserver import (
    CHAT_OK,
    CLOSE,
    DONE,
    END,
    RESET,
    FaultServer,
    chunk_event,
    close_mid_body,
    json_response,
    reset,
    reset_mid_body,
    sse,
    unused_port,
)

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("fast_retries")]

BODY = json.dumps(CHAT_OK).encode()


async def test_connection_refused_is_retried_then_raises(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A refused connection raises APIConnectionError after max_retries + 1 attempts."""
    caplog.set_level(logging.INFO, logger="mistral_async")
    client = make_client(f"http://127.0.0.1:{unused_port()}", max_retries=2)
    with pytest.raises(APIConnectionError) as info:
        await client.chat.complete(**CHAT)
    assert type(info.value) is APIConnectionError
    assert info.value.attempts == 3
    assert "Could not connect" in info.value.message
    retries = [r for r in caplog.records if r.getMessage().startswith("Retrying")]
    assert len(retries) == 2


async def test_stream_connection_refused_is_retried_then_raises(make_client: MakeClient) -> None:
    """Opening a stream on a refused connection is retried like a plain request."""
    client = make_client(f"http://127.0.0.1:{unused_port()}", max_retries=2)
    with pytest.raises(APIConnectionError) as info:
        async with client.chat.stream(**CHAT):
            pass
    assert type(info.value) is APIConnectionError
    assert info.value.attempts == 3


async def test_reset_before_response_is_retried(
    server: FaultServer, make_client: MakeClient
) -> None:
    """A reset before any response byte is retried; the error counts every attempt."""
    server.default = reset()
    client = make_client(server, max_retries=2)
    with pytest.raises(APIConnectionError) as info:
        await client.chat.complete(**CHAT)
    assert type(info.value) is APIConnectionError
    assert info.value.attempts == 3
    assert server.request_count == 3
    await client.aclose()
    await server.wait_for_open(0)


async def test_reset_before_response_then_success(
    server: FaultServer, make_client: MakeClient
) -> None:
    """One reset, then a good answer: the call succeeds on the retry."""
    server.queue(reset())
    client = make_client(server, max_retries=2)
    result = await client.chat.complete(**CHAT)
    assert result.choices[0].message.content == "hello"
    assert server.request_count == 2


async def test_reset_in_the_middle_of_a_json_body_is_retried(
    server: FaultServer, make_client: MakeClient
) -> None:
    """A body cut by a reset is a connection error (not a JSON error), retried."""
    server.default = reset_mid_body(BODY, sent=40)
    client = make_client(server, max_retries=2)
    with pytest.raises(APIConnectionError) as info:
        await client.chat.complete(**CHAT)
    assert type(info.value) is APIConnectionError
    assert info.value.attempts == 3
    assert server.request_count == 3


async def test_body_shorter_than_content_length_is_a_connection_error(
    server: FaultServer, make_client: MakeClient
) -> None:
    """A body that ends (FIN) before its Content-Length is a connection error, retried."""
    server.queue(close_mid_body(BODY, sent=40))
    client = make_client(server, max_retries=2)
    result = await client.chat.complete(**CHAT)
    assert result.choices[0].message.content == "hello"
    assert server.request_count == 2
    server.default = close_mid_body(BODY, sent=40)
    with pytest.raises(APIConnectionError) as info:
        await client.chat.complete(**CHAT, max_retries=0)
    assert type(info.value) is APIConnectionError
    assert "cut off" in info.value.message


async def test_stream_reset_before_first_event_is_retried(
    server: FaultServer, make_client: MakeClient
) -> None:
    """A stream reset after its headers but before any event is retried."""
    server.default = sse(RESET)
    client = make_client(server, max_retries=2)
    with pytest.raises(APIConnectionError) as info:
        async with client.chat.stream(**CHAT) as stream:
            await stream.until_done()
    assert type(info.value) is APIConnectionError
    assert info.value.attempts == 3
    assert server.request_count == 3
    assert info.value.request_id == "req-3"


async def test_stream_reset_before_first_event_then_success(
    server: FaultServer, make_client: MakeClient
) -> None:
    """After a reset before the first event, the retried stream delivers every event once."""
    server.queue(sse(b": opening\n\n", 0.02, RESET))
    server.default = sse(chunk_event("Hel"), chunk_event("lo"), DONE)
    client = make_client(server, max_retries=2)
    async with client.chat.stream(**CHAT) as stream:
        texts = [chunk.choices[0].delta.text async for chunk in stream]
    assert texts == ["Hel", "lo"]
    assert server.request_count == 2


@pytest.mark.parametrize("how", [RESET, CLOSE, END], ids=["reset", "fin", "ended-without-done"])
async def test_stream_cut_after_an_event_is_not_retried(
    server: FaultServer, make_client: MakeClient, how: object
) -> None:
    """Once a stream delivered an event, a cut raises APIConnectionError without a retry."""
    server.default = sse(chunk_event("Hel"), 0.05, how)  # type: ignore[arg-type]
    client = make_client(server, max_retries=2)
    received: list[str] = []
    with pytest.raises(APIConnectionError) as info:
        async with client.chat.stream(**CHAT) as stream:
            async for chunk in stream:
                received.append(chunk.choices[0].delta.text)
    assert type(info.value) is APIConnectionError
    assert received == ["Hel"]
    assert server.request_count == 1
    assert info.value.attempts == 1
    assert info.value.request_id == "req-1"
    await client.aclose()
    await server.wait_for_open(0)


async def test_connection_errors_are_not_timeouts(
    server: FaultServer, make_client: MakeClient
) -> None:
    """A reset is reported as a connection error, never as a timeout."""
    server.default = reset()
    client = make_client(server)
    with pytest.raises(APIConnectionError) as info:
        await client.models.list()
    assert not isinstance(info.value, APITimeoutError)
    assert info.value.attempts == 1


async def test_pool_is_reusable_after_resets(server: FaultServer, make_client: MakeClient) -> None:
    """After resets of every kind, the same client keeps working and leaks no socket."""
    server.queue(reset(), reset_mid_body(BODY, 10), sse(chunk_event("x"), 0.05, RESET))
    client = make_client(server)
    with pytest.raises(APIConnectionError):
        await client.chat.complete(**CHAT)
    with pytest.raises(APIConnectionError):
        await client.chat.complete(**CHAT)
    with pytest.raises(APIConnectionError):
        async with client.chat.stream(**CHAT) as stream:
            await stream.until_done()
    server.default = json_response(CHAT_OK)
    for _ in range(3):
        assert (await client.chat.complete(**CHAT)).choices[0].message.content == "hello"
    assert server.open_connections <= 1
    await client.aclose()
    await server.wait_for_open(0)

"""Scenario 6: the blocking ``Mistral`` client under the same faults.

What users rely on: the blocking twin raises exactly the same error types as the async
client; ``close()`` stops its event-loop thread; and Ctrl-C (KeyboardInterrupt) during a
blocking call interrupts it promptly, frees its connection, and leaves the client usable.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mistral_async import (
    APIConnectionError,
    APIStreamError,
    APITimeoutError,
    InternalServerError,
    MistralError,
    RateLimitError,
    ResponseValidationError,
    Timeout,
)

from .conftest import CHAT, SECRET, loop_threads
from .faultserver import (
    CHAT_OK,
    DONE,
    RESET,
    Behaviour,
    FaultServer,
    chunk_event,
    event,
    hang,
    json_response,
    reset,
    reset_mid_body,
    respond,
    sse,
    unused_port,
)

pytestmark = pytest.mark.usefixtures("fast_retries")

MakeSync = Callable[..., Any]


@pytest.mark.parametrize(
    ("behaviour", "error", "options"),
    [
        (reset(), APIConnectionError, {}),
        (reset_mid_body(json.dumps(CHAT_OK).encode(), 30), APIConnectionError, {}),
        (respond(503, b'{"message":"busy"}'), InternalServerError, {}),
        (respond(429, b"{}", {"Retry-After": "0"}), RateLimitError, {}),
        (respond(502, b"<title>502 Bad Gateway</title>"), InternalServerError, {}),
        (respond(200, b'{"choices": 5}'), ResponseValidationError, {}),
        (respond(200, b"{nope"), ResponseValidationError, {}),
        (hang(), APITimeoutError, {"timeout": Timeout(read=0.2)}),
    ],
    ids=[
        "reset",
        "reset-mid-body",
        "503",
        "429",
        "html-502",
        "wrong-shape",
        "invalid-json",
        "read-timeout",
    ],
)
def test_sync_errors_match_async(
    thread_server: FaultServer,
    make_sync_client: MakeSync,
    behaviour: Behaviour,
    error: type[Exception],
    options: dict[str, Any],
) -> None:
    """Each fault raises the same typed error from the blocking client, retried the same."""
    thread_server.default = behaviour
    client = make_sync_client(thread_server, max_retries=1, **options)
    with pytest.raises(error) as info:
        client.chat.complete(**CHAT)
    assert type(info.value) is error
    if error is not ResponseValidationError:
        assert info.value.attempts == 2  # type: ignore[attr-defined]
        assert thread_server.request_count == 2
    else:
        assert thread_server.request_count == 1


def test_sync_connection_refused(make_sync_client: MakeSync) -> None:
    """A refused connection: APIConnectionError after max_retries + 1 attempts."""
    client = make_sync_client(f"http://127.0.0.1:{unused_port()}", max_retries=2)
    with pytest.raises(APIConnectionError) as info:
        client.models.list()
    assert type(info.value) is APIConnectionError
    assert info.value.attempts == 3


@pytest.mark.parametrize(
    ("steps", "error"),
    [
        ((chunk_event("a"), 0.05, RESET), APIConnectionError),
        ((chunk_event("a"), event({"object": "error", "message": "boom"})), APIStreamError),
    ],
    ids=["reset-after-event", "error-event"],
)
def test_sync_stream_faults(
    thread_server: FaultServer,
    make_sync_client: MakeSync,
    steps: tuple[Any, ...],
    error: type[Exception],
) -> None:
    """A blocking stream that breaks after an event raises the async stream's error,
    without a retry."""
    thread_server.default = sse(*steps, DONE)
    client = make_sync_client(thread_server, max_retries=2)
    received = []
    with pytest.raises(error), client.chat.stream(**CHAT) as stream:
        for chunk in stream:
            received.append(chunk.choices[0].delta.text)
    assert received == ["a"]
    assert thread_server.request_count == 1
    client.close()
    thread_server.wait_for_open_sync(0)


def test_close_stops_the_loop_thread(thread_server: FaultServer) -> None:
    """After close(), no "mistral-async-loop" thread is alive, no socket is open, and the
    client refuses further calls with a MistralError."""
    before = len(loop_threads())
    client = sync_client(thread_server)
    assert len(loop_threads()) == before + 1
    assert client.chat.complete(**CHAT).choices[0].message.content == "hello"
    client.close()
    assert loop_threads() == []
    thread_server.wait_for_open_sync(0)
    client.close()  # idempotent
    with pytest.raises(MistralError):
        client.chat.complete(**CHAT)


def test_context_manager_closes(thread_server: FaultServer) -> None:
    """``with Mistral(...)`` closes the client, its connections and its thread on exit,
    also when the body raises."""
    with pytest.raises(RuntimeError), sync_client(thread_server) as client:
        client.chat.complete(**CHAT)
        raise RuntimeError("user code failed")
    assert loop_threads() == []
    thread_server.wait_for_open_sync(0)


def sync_client(server: FaultServer, **kwargs: Any) -> Any:
    """A blocking client aimed at ``server`` (the caller closes it)."""
    from mistral_async import Mistral

    kwargs.setdefault("max_retries", 0)
    return Mistral(api_key=SECRET, server_url=server.url, **kwargs)


@pytest.fixture
def sigint_default() -> Iterator[None]:
    """Python's own SIGINT handler (raise KeyboardInterrupt) for the test's duration."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.usefixtures("sigint_default")
def test_keyboard_interrupt_during_a_blocking_call() -> None:
    """Ctrl-C while a blocking call waits on a server that never answers raises
    KeyboardInterrupt at once, frees the connection, and the client keeps working
    (a fresh call to a good server succeeds) and closes cleanly."""
    assert threading.current_thread() is threading.main_thread()
    with FaultServer() as bad, FaultServer() as good:
        bad.default = hang()
        good.default = json_response(CHAT_OK)
        client = sync_client(bad, timeout=Timeout(total=5))
        try:
            timer = threading.Timer(
                0.3, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT)
            )
            start = time.monotonic()
            timer.start()
            with pytest.raises(KeyboardInterrupt):
                client.chat.complete(**CHAT)
            elapsed = time.monotonic() - start
            timer.join()
            assert elapsed < 1.0, f"KeyboardInterrupt took {elapsed:.2f} s"
            bad.wait_for_open_sync(0, timeout=2)
            other = client.with_options(server_url=good.url)
            assert other.chat.complete(**CHAT).choices[0].message.content == "hello"
            bad.default = json_response(CHAT_OK)
            assert client.chat.complete(**CHAT).choices[0].message.content == "hello"
        finally:
            client.close()
        assert loop_threads() == []
        good.wait_for_open_sync(0)
        bad.wait_for_open_sync(0)

"""Fixtures of the reliability suite: the fault server, clients that always get closed,
fast retry waits, and a warm-up so that first-call imports do not skew the timing tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from mistral_async import AsyncMistral, Mistral
from mistral_async import _retry as retry_module

from .faultserver import (
    CHAT_OK,
    DONE,
    MODEL_OK,
    FaultServer,
    chunk_event,
    json_response,
    respond,
    sse,
)

SECRET = "sk-test-SECRET-123"
"""The API key every test client uses; it must never leak anywhere."""

CHAT: dict[str, Any] = {
    "model": "mistral-small-latest",
    "messages": [{"role": "user", "content": "hi"}],
}
"""Arguments of a minimal valid chat completion request."""

LOOP_THREAD = "mistral-async-loop"

TOLERANCE = 0.10
SLACK = 0.05


def assert_fired_at(elapsed: float, expected: float) -> None:
    """A timer set to ``expected`` seconds fired within 10% (+50 ms of scheduling slack)."""
    low, high = expected - 0.01, expected * (1 + TOLERANCE) + SLACK
    assert low <= elapsed <= high, f"fired after {elapsed:.3f} s, expected {expected} s"


def loop_threads() -> list[threading.Thread]:
    """The live event-loop threads of blocking clients."""
    return [t for t in threading.enumerate() if t.name == LOOP_THREAD and t.is_alive()]


@pytest.fixture
def anyio_backend() -> str:
    """Run the async tests on asyncio (the SDK is aiohttp-based)."""
    return "asyncio"


@pytest.fixture(scope="session", autouse=True)
def _warm_sdk() -> None:
    """Import and exercise every code path once, so timing tests measure the timers only."""

    async def warm() -> None:
        async with FaultServer() as srv:
            srv.queue(
                respond(503, b"{}", {"Retry-After": "0"}),
                json_response(CHAT_OK),
                json_response({"id": "x", "object": "model", "deleted": True}),
                json_response(MODEL_OK),
                sse(chunk_event("a"), DONE),
            )
            client = AsyncMistral(api_key=SECRET, server_url=srv.url, max_retries=1)
            try:
                await client.chat.complete(**CHAT)
                await client.models.delete("x")
                await client.models.retrieve("x")
                async with client.chat.stream(**CHAT) as stream:
                    await stream.until_done()
            finally:
                await client.aclose()

    asyncio.run(warm())
    Mistral(api_key=SECRET, server_url="http://127.0.0.1:9").close()


@pytest.fixture
async def server() -> AsyncIterator[FaultServer]:
    """A fault server running in the test's event loop."""
    async with FaultServer() as srv:
        yield srv


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff waits of at most 50 ms, for tests where the wait length is not the point."""
    monkeypatch.setattr(retry_module, "INITIAL_DELAY", 0.01)
    monkeypatch.setattr(retry_module, "MAX_DELAY", 0.05)


MakeClient = Callable[..., AsyncMistral]


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """Build ``AsyncMistral`` clients aimed at a server or URL; all are closed afterwards.

    Defaults: ``max_retries=0``, a 5 s total timeout, the test key.
    """
    clients: list[AsyncMistral] = []

    def make(target: FaultServer | str, **kwargs: Any) -> AsyncMistral:
        url = target.url if isinstance(target, FaultServer) else target
        kwargs.setdefault("max_retries", 0)
        kwargs.setdefault("timeout", 5.0)
        kwargs.setdefault("api_key", SECRET)
        client = AsyncMistral(server_url=url, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def make_sync_client() -> Iterator[Callable[..., Any]]:
    """Build blocking ``Mistral`` clients; all are closed afterwards."""
    clients: list[Any] = []

    def make(target: FaultServer | str, **kwargs: Any) -> Any:
        url = target.url if isinstance(target, FaultServer) else target
        kwargs.setdefault("max_retries", 0)
        kwargs.setdefault("timeout", 5.0)
        kwargs.setdefault("api_key", SECRET)
        client = Mistral(server_url=url, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def thread_server() -> Iterator[FaultServer]:
    """A fault server running in a thread of its own (for blocking clients)."""
    with FaultServer() as srv:
        yield srv

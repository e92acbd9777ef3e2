"""Streams: idle timeout, error events, and the connection released however a stream ends."""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

import mistral_async
from mistral_async import AsyncMistral
from mistral_async.testing import FakeMistral

pytestmark = pytest.mark.anyio

HI = [{"role": "user", "content": "Hi"}]


def client_for(fake: FakeMistral, **kwargs: object) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url, **kwargs)  # type: ignore[arg-type]


async def test_idle_timeout_fires_between_events(fake_mistral: FakeMistral) -> None:
    fake_mistral.stream_delay = 0.5
    async with client_for(fake_mistral, stream_timeout=0.2) as client:
        started = time.monotonic()
        with pytest.raises(mistral_async.APITimeoutError) as caught:
            async with client.chat.stream(model="m", messages=HI, max_retries=0) as stream:
                async for _ in stream:
                    pass
        elapsed = time.monotonic() - started
    assert "stream_timeout=0.2" in str(caught.value)
    assert elapsed < 0.45
    await fake_mistral.wait_for_open_connections(0)


async def test_per_call_stream_timeout_overrides(fake_mistral: FakeMistral) -> None:
    fake_mistral.stream_delay = 0.05
    async with client_for(fake_mistral, stream_timeout=0.01) as client:
        stream = client.chat.stream(model="m", messages=HI, stream_timeout=1.0)
        final = await stream.get_final_completion()
    assert final.choices[0].message.content


async def test_breaking_out_releases_the_connection(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        async with client.chat.stream(model="m", messages=HI) as stream:
            async for _ in stream:
                break
        # The pool is still usable afterwards.
        assert (await client.models.list()).data
    await fake_mistral.wait_for_open_connections(0)


async def test_break_without_context_manager_releases_on_collection(
    fake_mistral: FakeMistral,
) -> None:
    fake_mistral.stream_delay = 0.01
    async with client_for(fake_mistral, connection_limit=1) as client:
        for _ in range(3):
            async for _ in client.chat.stream(model="m", messages=HI):
                break
            gc.collect()
        # With one connection allowed, a leak would make this hang.
        result = await asyncio.wait_for(client.models.list(), 5)
    assert result.data


async def test_cancelling_100_streams_leaves_no_connection(fake_mistral: FakeMistral) -> None:
    fake_mistral.stream_delay = 0.02
    started = asyncio.Event()
    count = 0

    async def consume(client: AsyncMistral) -> None:
        nonlocal count
        async with client.chat.stream(model="m", messages=HI) as stream:
            async for _ in stream:
                count += 1
                if count >= 100:
                    started.set()

    async with client_for(fake_mistral) as client:
        tasks = [asyncio.create_task(consume(client)) for _ in range(100)]
        await asyncio.wait_for(started.wait(), 10)
        await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert sum(isinstance(r, asyncio.CancelledError) for r in results) >= 90
        # Cancelled streams gave their connections back: the client still works.
        assert (await client.models.list()).data
    await fake_mistral.wait_for_open_connections(0, timeout=5)
    assert fake_mistral.open_connections == 0


async def test_error_event_mid_stream_raises_a_typed_error() -> None:
    from aiohttp import web

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "x-request-id": "r1"}
        )
        await resp.prepare(request)
        chunk = b'{"id":"1","model":"m","choices":[{"index":0,"delta":{"content":"a"}}]}'
        await resp.write(b"data: " + chunk + b"\n\n")
        await resp.write(
            b'event: error\ndata: {"object":"error","message":"overloaded","type":"server",'
            b'"code":"1"}\n\n'
        )
        return resp

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with AsyncMistral(api_key="k", server_url=f"http://127.0.0.1:{port}") as client:
            stream = client.chat.stream(model="m", messages=HI)
            got = []
            with pytest.raises(mistral_async.APIStreamError) as caught:
                async for chunk in stream:
                    got.append(chunk.choices[0].delta.text)
    finally:
        await runner.cleanup()
    assert got == ["a"]
    assert caught.value.message == "overloaded"
    assert (caught.value.type, caught.value.code) == ("server", "1")
    assert caught.value.request_id == "r1"

"""Realtime transcription: the SDK's WebSocket session beside raw aiohttp doing the same work.

An in-process aiohttp WebSocket server speaks the realtime protocol's shape: it sends
``session.created``, then answers every ``input_audio.append`` with one
``transcription.text.delta``. One operation is one message each way on one open session:
100 ms of 16 kHz ``pcm_s16le`` audio (3,200 bytes) sent base64-encoded in JSON, one event
read and decoded. The feature is ``session.send_audio`` + reading the typed event; the
baseline is ``ws_connect`` on a plain aiohttp session doing the same JSON and base64 work by
hand (stdlib ``json``, as raw code would). Both include the in-process server's CPU. Target:
at most 1.5x the baseline's CPU; the table's feature µs/op also gives the rate one core
sustains (1,000,000 / µs per op messages each way per second; the target is 1,000/s).

    python -m benchmarks.features --only realtime
    python -m benchmarks.feature_realtime        # wall-clock messages per second, pipelined
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from benchmarks.features import Case
from mistral_async import AsyncMistral

MODEL = "voxtral-mini-transcribe-realtime-2602"
PATH = "/v1/audio/transcriptions/realtime"
CHUNK = bytes(range(256)) * 12 + bytes(128)  # 3,200 bytes: 100 ms at 16 kHz, 16-bit
CREATED = json.dumps(
    {
        "type": "session.created",
        "session": {
            "request_id": "bench",
            "model": MODEL,
            "audio_format": {"encoding": "pcm_s16le", "sample_rate": 16000},
        },
    }
)
DELTA = json.dumps({"type": "transcription.text.delta", "text": " word"})


@dataclass
class Context:
    client: AsyncMistral
    raw: aiohttp.ClientSession
    url: str
    key: str


async def _socket(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.send_str(CREATED)
    async for msg in ws:
        if msg.type is aiohttp.WSMsgType.TEXT and "input_audio.append" in msg.data[:40]:
            await ws.send_str(DELTA)
    return ws


@asynccontextmanager
async def _context() -> AsyncIterator[Context]:
    app = web.Application()
    app.router.add_get(PATH, _socket)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    key = "bench-key"
    base = f"http://127.0.0.1:{port}"
    client = AsyncMistral(api_key=key, server_url=base)
    raw = aiohttp.ClientSession()
    try:
        yield Context(client, raw, f"ws://127.0.0.1:{port}{PATH}", key)
    finally:
        await raw.close()
        await client.aclose()
        await runner.cleanup()


async def feature(ctx: Context, n: int) -> None:
    async with ctx.client.audio.realtime.transcribe(model=MODEL) as session:
        await session.__anext__()  # session.created
        for _ in range(n):
            await session.send_audio(CHUNK)
            await session.__anext__()


async def baseline(ctx: Context, n: int) -> None:
    headers = {"Authorization": f"Bearer {ctx.key}"}
    async with ctx.raw.ws_connect(ctx.url, params={"model": MODEL}, headers=headers) as ws:
        json.loads((await ws.receive()).data)  # session.created
        for _ in range(n):
            audio = base64.b64encode(CHUNK).decode("ascii")
            await ws.send_str(json.dumps({"type": "input_audio.append", "audio": audio}))
            json.loads((await ws.receive()).data)


CASES = [
    Case(
        id="realtime",
        title="realtime session: 1 append sent + 1 event read",
        feature=feature,
        baseline=baseline,
        n=5000,
        target=1.5,
        context=_context,
        note="CPU, server in process",
    )
]


async def _pipelined(n: int) -> None:
    """Wall-clock rate with a sender task and a reader, as a live session runs."""
    async with _context() as ctx, ctx.client.audio.realtime.transcribe(model=MODEL) as session:
        await session.__anext__()
        start, cpu = time.perf_counter(), time.process_time()

        async def send() -> None:
            for _ in range(n):
                await session.send_audio(CHUNK)

        sender = asyncio.create_task(send())
        for _ in range(n):
            await session.__anext__()
        await sender
        wall, used = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"{n} messages each way in {wall:.3f} s: {n / wall:,.0f} msg/s "
        f"({used / n * 1e6:.1f} µs CPU per message pair, server included)"
    )


if __name__ == "__main__":
    asyncio.run(_pipelined(int(sys.argv[1]) if len(sys.argv) > 1 else 20000))

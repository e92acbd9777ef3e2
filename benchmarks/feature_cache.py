"""The response cache: a hit's CPU beside the same request sent to the server.

Target (issue "response cache"): a hit costs at most 5% of the CPU of the request it
replaces. Each case makes the same public call on two clients of the same server: the
feature's has ``cache=True`` (filled during warm-up), the baseline's has no cache. C1 is
W3's embeddings request (16 inputs, 16 vectors of 1,024 floats back); C2 one input;
C3 a short chat completion with ``cache=True``; C5 the same with ``UserMessage``
objects. A repeated call with plain arguments
goes from its arguments straight to its entry, skipping the checks and the body it built
the first time; C4 makes C2's call through ``client.request()``, which has no such
shortcut: it encodes the body and hashes it on every hit. (attrs objects among the
arguments, ``UserMessage(...)`` say, are keyed by class and fields with orjson: about
8 µs a hit; an argument that cannot be keyed, an enum say, is checked on every hit: 20-40
µs.)
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from benchmarks.features import Case, bench_server
from mistral_async import AsyncMistral

KEY = "sk-bench"


@contextlib.asynccontextmanager
async def clients() -> AsyncIterator[dict[str, Any]]:
    async with bench_server(embeds=(1, 16)) as url:
        cached = AsyncMistral(api_key=KEY, server_url=url, cache=True)
        plain = AsyncMistral(api_key=KEY, server_url=url)
        async with cached, plain:
            yield {"cached": cached, "plain": plain}


BATCH = [f"text number {i}" for i in range(16)]


async def _embed(client: AsyncMistral, n: int, inputs: list[str]) -> None:
    for _ in range(n):
        await client.embeddings.create(model="mistral-embed", inputs=inputs)


async def batch_hits(ctx: dict[str, Any], n: int) -> None:
    await _embed(ctx["cached"], n, BATCH)


async def batch_requests(ctx: dict[str, Any], n: int) -> None:
    await _embed(ctx["plain"], n, BATCH)


async def hits(ctx: dict[str, Any], n: int) -> None:
    await _embed(ctx["cached"], n, BATCH[:1])


async def requests(ctx: dict[str, Any], n: int) -> None:
    await _embed(ctx["plain"], n, BATCH[:1])


async def chat_hits(ctx: dict[str, Any], n: int) -> None:
    client: AsyncMistral = ctx["cached"]
    for _ in range(n):
        await client.chat.complete(model="m", messages=MESSAGES, cache=True)


async def chat_requests(ctx: dict[str, Any], n: int) -> None:
    client: AsyncMistral = ctx["plain"]
    for _ in range(n):
        await client.chat.complete(model="m", messages=MESSAGES)


MESSAGES = [{"role": "user", "content": "Hello"}]


async def _chat_objects(client: AsyncMistral, n: int, **cache: bool) -> None:
    from mistral_async.types import UserMessage

    messages = [UserMessage(content="Hello")]
    for _ in range(n):
        await client.chat.complete(model="m", messages=messages, **cache)


async def object_hits(ctx: dict[str, Any], n: int) -> None:
    await _chat_objects(ctx["cached"], n, cache=True)


async def object_requests(ctx: dict[str, Any], n: int) -> None:
    await _chat_objects(ctx["plain"], n)


async def _raw_embed(client: AsyncMistral, n: int) -> None:
    from mistral_async.types import EmbeddingResponse

    body = {"model": "mistral-embed", "input": BATCH[:1]}
    for _ in range(n):
        await client.request("POST", "/v1/embeddings", body=body, cast_to=EmbeddingResponse)


async def raw_hits(ctx: dict[str, Any], n: int) -> None:
    await _raw_embed(ctx["cached"], n)


async def raw_requests(ctx: dict[str, Any], n: int) -> None:
    await _raw_embed(ctx["plain"], n)


CASES = [
    Case(
        "C1",
        "embeddings.create, 16 inputs (W3): cache hit vs request sent",
        batch_hits,
        batch_requests,
        n=500,
        target=0.05,
        context=clients,
        note="CPU, hit / sent",
    ),
    Case(
        "C2",
        "embeddings.create, 1 input: cache hit vs request sent",
        hits,
        requests,
        n=2000,
        target=0.05,
        context=clients,
        note="CPU, hit / sent",
    ),
    Case(
        "C3",
        "chat.complete(cache=True): cache hit vs request sent",
        chat_hits,
        chat_requests,
        n=2000,
        target=0.05,
        context=clients,
        note="CPU, hit / sent",
    ),
    Case(
        "C5",
        "chat.complete(cache=True), messages as UserMessage objects: cache hit vs request sent",
        object_hits,
        object_requests,
        n=2000,
        target=0.05,
        context=clients,
        note="CPU, hit / sent",
    ),
    Case(
        "C4",
        "client.request('POST', '/v1/embeddings'), 1 input: cache hit vs request sent",
        raw_hits,
        raw_requests,
        n=2000,
        target=0.05,
        context=clients,
        note="CPU, hit / sent",
    ),
]

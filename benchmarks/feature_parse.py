"""Structured outputs: ``chat.parse`` beside ``chat.complete`` plus building the type by hand.

Both sides send the same request (the same ``response_format``) to an in-process aiohttp
server answering a fixed completion whose content is the JSON of the type; the baseline
then decodes the content and builds the objects itself (``json.loads`` and the
constructors: the type's own construction), so the ratio is what ``parse`` adds: the
schema lookup, the checks of every value, and the parsed response classes. Target: 1.2x.

    python -m benchmarks.features --only parse
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

import attrs
from aiohttp import web

from benchmarks.features import Case
from mistral_async import AsyncMistral, response_format_for

MESSAGES = [{"role": "user", "content": "Some cities, please."}]


@attrs.define
class City:
    name: str
    country: str
    population: int | None
    kind: Literal["capital", "port", "other"] = "other"


@attrs.define
class Cities:
    cities: list[City]
    source: str


ONE = {"name": "Paris", "country": "FR", "population": 2100000, "kind": "capital"}
MANY = {
    "cities": [
        {"name": f"City {i}", "country": "FR", "population": 1000 * i, "kind": "port"}
        for i in range(20)
    ],
    "source": "bench",
}


def _completion(content: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "id": "cmpl-bench",
            "object": "chat.completion",
            "model": "mistral-small-latest",
            "created": 1,
            "usage": {"prompt_tokens": 5, "completion_tokens": 50, "total_tokens": 55},
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": json.dumps(content)},
                    "finish_reason": "stop",
                }
            ],
        }
    ).encode()


@asynccontextmanager
async def _server(content: dict[str, Any]) -> AsyncIterator[AsyncMistral]:
    body = _completion(content)

    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with AsyncMistral(api_key="bench", server_url=url) as client:
            yield client
    finally:
        await runner.cleanup()


def _one_city(data: dict[str, Any]) -> City:
    return City(data["name"], data["country"], data["population"], data["kind"])


async def parse_one(client: AsyncMistral, n: int) -> None:
    for _ in range(n):
        r = await client.chat.parse(
            model="mistral-small-latest", messages=MESSAGES, response_format=City
        )
        assert r.choices[0].message.parsed.name == "Paris"


async def complete_one(client: AsyncMistral, n: int) -> None:
    fmt = response_format_for(City)
    for _ in range(n):
        r = await client.chat.complete(
            model="mistral-small-latest", messages=MESSAGES, response_format=fmt
        )
        city = _one_city(json.loads(r.choices[0].message.text))
        assert city.name == "Paris"


async def parse_many(client: AsyncMistral, n: int) -> None:
    for _ in range(n):
        r = await client.chat.parse(
            model="mistral-small-latest", messages=MESSAGES, response_format=Cities
        )
        assert len(r.choices[0].message.parsed.cities) == 20


async def complete_many(client: AsyncMistral, n: int) -> None:
    fmt = response_format_for(Cities)
    for _ in range(n):
        r = await client.chat.complete(
            model="mistral-small-latest", messages=MESSAGES, response_format=fmt
        )
        data = json.loads(r.choices[0].message.text)
        cities = Cities([_one_city(c) for c in data["cities"]], data["source"])
        assert len(cities.cities) == 20


CASES = [
    Case(
        id="P1",
        title="chat.parse, one small object",
        feature=parse_one,
        baseline=complete_one,
        n=2000,
        target=1.2,
        context=lambda: _server(ONE),
        note="CPU; baseline: complete + json.loads + constructor",
    ),
    Case(
        id="P2",
        title="chat.parse, 20 nested objects",
        feature=parse_many,
        baseline=complete_many,
        n=2000,
        target=1.2,
        context=lambda: _server(MANY),
        note="CPU; baseline: complete + json.loads + constructors",
    ),
]

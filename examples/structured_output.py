"""Structured outputs: ask for an attrs class, get an instance back (also streamed).

Run it with ``python examples/structured_output.py``. With ``MISTRAL_API_KEY`` set it talks
to the API (``MISTRAL_SERVER_URL`` if set); without it, to the SDK's embedded fake server,
whose answers fit the schema that was sent.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import attrs

from mistral_async import AsyncMistral, OutputParseError, OutputTruncatedError, strict_json_schema

MODEL = "mistral-medium-latest"


@attrs.define
class City:
    """A city and a few facts about it.

    Attributes:
        name: the city's usual English name.
        population: inhabitants of the city proper, if known.
    """

    name: str
    country: str
    population: int | None
    kind: Literal["capital", "port", "other"] = "other"


@attrs.define
class Cities:
    cities: list[City]


@asynccontextmanager
async def client() -> AsyncIterator[AsyncMistral]:
    """A client for the real API when MISTRAL_API_KEY is set, else for the fake server."""
    if os.environ.get("MISTRAL_API_KEY"):
        async with AsyncMistral() as c:
            yield c
        return
    from mistral_async.testing import CompletionScript, FakeMistral

    async with FakeMistral() as fake, AsyncMistral(api_key=fake.api_key, server_url=fake.url) as c:
        print(f"(MISTRAL_API_KEY is not set: using the fake server at {fake.url})")
        # The fake answers any schema with made-up values; script realistic ones.
        script = fake.state(CompletionScript)
        script.add(
            '{"cities": [{"name": "Rotterdam", "country": "NL", "population": 655000, '
            '"kind": "port"}, {"name": "Hamburg", "country": "DE", "population": 1900000, '
            '"kind": "port"}, {"name": "Marseille", "country": "FR", "population": null, '
            '"kind": null}]}'
        )
        script.add('{"name": "Antwerp", "country": "BE", "population": 530000, "kind": "port"}')
        yield c


async def main() -> None:
    messages = [{"role": "user", "content": "Name three large European port cities."}]
    # What is sent: a strict JSON schema built from the type hints and the docstring.
    print("Schema:", json.dumps(strict_json_schema(Cities))[:120], "...")

    async with client() as c:
        # The whole answer, as a Cities instance.
        completion = await c.chat.parse(model=MODEL, messages=messages, response_format=Cities)
        cities: Cities = completion.choices[0].message.parsed
        for city in cities.cities:
            print(f"Parsed: {city.name} ({city.country}), population {city.population}")
        print("Tokens used:", completion.usage.total_tokens if completion.usage else "?")

        # Streamed: the partial object grows as the JSON arrives.
        async with c.chat.parse_stream(
            model=MODEL, messages=messages, response_format=City
        ) as stream:
            async for event in stream:
                if event.partial:
                    print("Partial:", event.partial)
            final = await stream.get_final_completion()
        print("Streamed and parsed:", final.choices[0].message.parsed)

        # Failures are typed and keep the text the model sent.
        try:
            await c.chat.parse(model=MODEL, messages=messages, response_format=City, max_tokens=5)
        except OutputTruncatedError as e:
            print("Cut off at max_tokens; got only:", repr(e.text))
        except OutputParseError as e:
            print("Could not parse", e.path, e.reason)


if __name__ == "__main__":
    asyncio.run(main())

"""``python -m mistral_async demo``: a completion, a streamed completion and an embedding.

With ``MISTRAL_API_KEY`` set it talks to the real API (``MISTRAL_SERVER_URL`` if set);
without it, to the embedded fake Mistral server, so it runs anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator

from . import AsyncMistral, MistralError, __version__

CHAT_MODEL = "mistral-small-latest"
EMBED_MODEL = "mistral-embed"


@contextlib.asynccontextmanager
async def _client() -> AsyncIterator[tuple[AsyncMistral, str]]:
    if os.environ.get("MISTRAL_API_KEY"):
        async with AsyncMistral() as client:
            yield client, f"the Mistral API at {client.base_url}"
        return
    from .testing import FakeMistral

    # A small pause between streamed events shows the stream arriving piece by piece.
    async with (
        FakeMistral(stream_delay=0.03) as fake,
        AsyncMistral(api_key=fake.api_key, server_url=fake.url) as client,
    ):
        yield client, f"the embedded fake Mistral server at {fake.url} (MISTRAL_API_KEY is not set)"


async def demo() -> None:
    """Run the demo against the real API or the fake server."""
    async with _client() as (client, where):
        print(f"mistral_async {__version__} talking to {where}\n")
        messages = [{"role": "user", "content": "Say hello to the mistral_async demo in one line"}]

        completion = await client.chat.complete(model=CHAT_MODEL, messages=messages)
        print("1. chat.complete:")
        print(f"   {completion.choices[0].message.text}")
        if completion.usage:
            print(f"   ({completion.usage.total_tokens} tokens)")

        print("\n2. chat.stream (printed as it arrives):\n   ", end="", flush=True)
        async with client.chat.stream(model=CHAT_MODEL, messages=messages) as stream:
            count = 0
            async for chunk in stream:
                if chunk.choices:
                    print(chunk.choices[0].delta.text, end="", flush=True)
                count += 1
        print(f"\n   ({count} chunks, request id {stream.request_id})")

        inputs = ["Paris is the capital of France.", "Berlin is the capital of Germany."]
        embedding = await client.embeddings.create(model=EMBED_MODEL, inputs=inputs)
        vector = embedding.data[0].embedding
        print("\n3. embeddings.create:")
        print(f"   {len(embedding.data)} vectors of {len(vector)} floats; the first starts")
        if isinstance(vector, list):
            print(f"   {[round(x, 4) for x in vector[:4]]}")


def main(argv: list[str] | None = None) -> int:
    """The ``mistral-async`` command line."""
    parser = argparse.ArgumentParser(prog="python -m mistral_async")
    parser.add_argument("command", choices=["demo"], help="what to run")
    parser.parse_args(argv)
    try:
        asyncio.run(demo())
    except MistralError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

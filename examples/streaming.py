"""Streaming a chat completion: print the answer as it is generated.

Run it with ``python examples/streaming.py`` (``MISTRAL_API_KEY`` and optionally
``MISTRAL_SERVER_URL`` set). The first part uses ``AsyncMistral``, the second the
blocking ``Mistral`` client.
"""

from __future__ import annotations

import asyncio

from mistral_async import AsyncMistral, Mistral
from mistral_async.types import UserMessage

MODEL = "mistral-small-latest"


async def stream_async() -> None:
    async with AsyncMistral() as client:
        # The request is sent when the stream is entered. Leaving the ``async with`` block,
        # normally or through an exception / break / cancellation, closes the connection.
        async with client.chat.stream(
            model=MODEL, messages=[UserMessage(content="Write a haiku about the sea.")]
        ) as stream:
            print("Request id:", stream.request_id)
            async for chunk in stream:
                # Each chunk carries a small piece of the answer ("" when it has none).
                print(chunk.choices[0].delta.text, end="", flush=True)
            print()

            # The chunks folded into one ChatCompletionResponse (including the chunks
            # already read above): the whole message, finish reason and usage.
            completion = await stream.get_final_completion()
        print("Full text:", completion.choices[0].message.text)
        print("Finish reason:", completion.choices[0].finish_reason)
        if completion.usage is not None:
            print("Total tokens:", completion.usage.total_tokens)


def stream_sync() -> None:
    with Mistral() as client:
        # The blocking stream is a plain iterator and context manager.
        with client.chat.stream(
            model=MODEL, messages=[{"role": "user", "content": "Count from one to five."}]
        ) as stream:
            for chunk in stream:
                print(chunk.choices[0].delta.text, end="", flush=True)
            print()
            completion = stream.get_final_completion()
        print("Sync full text:", completion.choices[0].message.text)


if __name__ == "__main__":
    asyncio.run(stream_async())
    stream_sync()

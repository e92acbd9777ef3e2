"""A chat completion with the asynchronous client.

Run it with ``python examples/async_chat.py``. The key comes from ``MISTRAL_API_KEY``
and the server from ``MISTRAL_SERVER_URL`` when set (see examples/README.md to try it
against the local fake server).
"""

from __future__ import annotations

import asyncio

from mistral_async import AsyncMistral
from mistral_async.types import MessageParam, SystemMessage, UserMessage

MODEL = "mistral-small-latest"


async def main() -> None:
    # No arguments: the key is read from MISTRAL_API_KEY, the URL from MISTRAL_SERVER_URL.
    # ``async with`` closes the connection pool at the end.
    async with AsyncMistral() as client:
        # Messages can be typed objects...
        messages: list[MessageParam] = [
            SystemMessage(content="You are a concise geography assistant."),
            UserMessage(content="What is the capital of France?"),
        ]
        response = await client.chat.complete(model=MODEL, messages=messages, temperature=0.2)

        answer = response.choices[0].message
        print("Answer:", answer.text)  # .text joins text chunks if content is a list
        print("Finish reason:", response.choices[0].finish_reason)
        if response.usage is not None:
            usage = response.usage
            print(
                f"Usage: {usage.prompt_tokens} prompt + {usage.completion_tokens} completion "
                f"= {usage.total_tokens} tokens"
            )

        # ... or plain dicts, mixed freely. To continue the conversation, append the
        # assistant's message as it came back, then the next user turn.
        messages.append(answer)
        messages.append({"role": "user", "content": "And the capital of Italy?"})
        follow_up = await client.chat.complete(model=MODEL, messages=messages, max_tokens=100)
        print("Follow-up answer:", follow_up.choices[0].message.text)


if __name__ == "__main__":
    asyncio.run(main())

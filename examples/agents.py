"""Agent completions: an agent (its model, instructions and tools) answers your messages.

Run it with ``python examples/agents.py`` (``MISTRAL_API_KEY`` and optionally
``MISTRAL_SERVER_URL`` set). Set ``MISTRAL_AGENT_ID`` to one of your agents (create one in
La Plateforme or with ``client.beta.agents``); the default id works with the fake server
only. The last part uses the blocking ``Mistral`` client.
"""

from __future__ import annotations

import asyncio
import os

from mistral_async import AsyncMistral, Mistral, NotFoundError
from mistral_async.types import AssistantMessage, MessageParam, UserMessage

AGENT_ID = os.environ.get("MISTRAL_AGENT_ID", "ag_example")


async def ask_async() -> None:
    async with AsyncMistral() as client:
        messages: list[MessageParam] = [UserMessage("Who is the best French painter?")]
        # The answer is a chat completion, as from client.chat.complete.
        response = await client.agents.complete(
            agent_id=AGENT_ID, messages=messages, max_tokens=200
        )
        answer = response.choices[0].message
        print("Agent:", answer.text)

        # Continue the conversation: send the agent's answer back with the next question.
        messages += [AssistantMessage(answer.text), {"role": "user", "content": "Why?"}]
        async with client.agents.stream(agent_id=AGENT_ID, messages=messages) as stream:
            async for chunk in stream:
                print(chunk.choices[0].delta.text, end="", flush=True)
            print()
            completion = await stream.get_final_completion()
        if completion.usage is not None:
            print("Total tokens:", completion.usage.total_tokens)

        try:
            await client.agents.complete(agent_id="no-such-agent", messages=messages)
        except NotFoundError as error:
            print("Unknown agent:", error.status_code)


def ask_sync() -> None:
    with Mistral() as client:
        response = client.agents.complete(
            agent_id=AGENT_ID, messages=[{"role": "user", "content": "Say hi."}]
        )
        print("Sync agent:", response.choices[0].message.text)


if __name__ == "__main__":
    asyncio.run(ask_async())
    ask_sync()

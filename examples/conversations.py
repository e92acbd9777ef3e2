"""Conversations: start one, continue it, read its history, stream answers, call functions.

Run it with ``python examples/conversations.py``. The key comes from ``MISTRAL_API_KEY``
and the server from ``MISTRAL_SERVER_URL`` when set (see examples/README.md to try it
against the local fake server). The last part uses the blocking ``Mistral`` client.
"""

from __future__ import annotations

import asyncio
import json

from mistral_async import AsyncMistral, Mistral
from mistral_async.types.beta_agents import FunctionTool
from mistral_async.types.chat import Function
from mistral_async.types.conversations import (
    FunctionCallEntry,
    FunctionResultEntry,
    MessageOutputEvent,
    ResponseDoneEvent,
)

MODEL = "mistral-small-latest"
WEATHER = FunctionTool(
    function=Function(
        name="get_weather",
        description="The weather in a city.",
        parameters={"type": "object", "properties": {"city": {"type": "string"}}},
    )
)


async def main() -> None:
    async with AsyncMistral() as client:
        conversations = client.beta.conversations

        # Start with a model (or an ``agent_id``); ``inputs`` is a string or a list of entries.
        response = await conversations.start(
            model=MODEL, inputs="Where is Paris?", instructions="Be brief."
        )
        print("Conversation:", response.conversation_id)
        print("Answer:", response.text)

        # Continue it by id: the API keeps the history.
        response = await conversations.append(
            response.conversation_id, inputs=[{"role": "user", "content": "And Rome?"}]
        )
        print("Answer:", response.text)
        history = await conversations.get_history(response.conversation_id)
        print("History:", " -> ".join(type(entry).__name__ for entry in history.entries))

        # Streams give typed events; get_final_response() folds them into the response.
        async with conversations.start_stream(model=MODEL, inputs="Tell me a story.") as stream:
            async for event in stream:
                if isinstance(event, MessageOutputEvent):
                    print(event.text, end="", flush=True)
                elif isinstance(event, ResponseDoneEvent):
                    print(f"\n[{event.usage.total_tokens} tokens]")
            final = await stream.get_final_response()
        print("Streamed answer:", final.text)

        # Functions: the model asks for a call, your code runs it and sends the result back.
        response = await conversations.start(
            model=MODEL,
            inputs="What is the weather in Lyon?",
            tools=[WEATHER],
            completion_args={"tool_choice": "any"},
        )
        call = response.outputs[0]
        assert isinstance(call, FunctionCallEntry)
        print(f"The model calls {call.name}({call.arguments})")
        result = json.dumps({"city": "Lyon", "weather": "sunny"})
        response = await conversations.append(
            response.conversation_id,
            inputs=[FunctionResultEntry(tool_call_id=call.tool_call_id, result=result)],
        )
        print("Answer:", response.text)

        await conversations.delete(response.conversation_id)


def blocking() -> None:
    # The blocking client streams with a plain ``with`` and ``for``.
    with Mistral() as client:
        with client.beta.conversations.start_stream(model=MODEL, inputs="Hello!") as stream:
            pieces = [event.text for event in stream if isinstance(event, MessageOutputEvent)]
            final = stream.get_final_response()
        print("Sync pieces:", len(pieces))
        print("Sync answer:", final.text)


if __name__ == "__main__":
    asyncio.run(main())
    blocking()

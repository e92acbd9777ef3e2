"""Tool calling: the model asks for a function call, we run it and send the result back.

Run it with ``python examples/tool_calls.py`` (``MISTRAL_API_KEY`` and optionally
``MISTRAL_SERVER_URL`` set).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from mistral_async import AsyncMistral
from mistral_async.types import Function, MessageParam, Tool, ToolMessage, UserMessage

MODEL = "mistral-small-latest"

# The tools the model may call, described by JSON schemas. Plain dicts work too.
TOOLS = [
    Tool(
        function=Function(
            name="get_weather",
            description="Get the current weather of a city.",
            parameters={
                "type": "object",
                "properties": {"city": {"type": "string", "description": "The city's name"}},
                "required": ["city"],
            },
        )
    )
]


def get_weather(city: str) -> dict[str, Any]:
    """Our local implementation of the tool (a real one would call a weather service)."""
    return {"city": city, "temperature_c": 21, "sky": "sunny"}


FUNCTIONS: dict[str, Callable[..., dict[str, Any]]] = {"get_weather": get_weather}


async def main() -> None:
    async with AsyncMistral() as client:
        messages: list[MessageParam] = [UserMessage(content="What's the weather like in Paris?")]

        # tool_choice="any" makes the model call one of the tools ("auto" lets it choose).
        response = await client.chat.complete(
            model=MODEL, messages=messages, tools=TOOLS, tool_choice="any"
        )
        assistant = response.choices[0].message
        print("Finish reason:", response.choices[0].finish_reason)

        # Keep the assistant's message (with its tool calls) in the conversation...
        messages.append(assistant)
        for call in assistant.tool_calls or []:
            name = call.function.name or ""
            arguments = call.function.arguments
            # Arguments usually arrive as a JSON string.
            kwargs = json.loads(arguments) if isinstance(arguments, str) else arguments
            print(f"Tool call {call.id}: {name}({kwargs})")
            result = FUNCTIONS[name](**kwargs)
            # ... and answer each call with a ToolMessage carrying the call's id.
            messages.append(
                ToolMessage(content=json.dumps(result), tool_call_id=call.id, name=name)
            )

        # Ask again: the model now answers with the tools' results in view.
        final = await client.chat.complete(model=MODEL, messages=messages, tools=TOOLS)
        print("Answer:", final.choices[0].message.text)


if __name__ == "__main__":
    asyncio.run(main())

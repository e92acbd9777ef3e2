"""The tool runner: the model calls Python functions until it can answer.

Run it with ``python examples/tool_runner.py``. With ``MISTRAL_API_KEY`` set it talks to
the API (``MISTRAL_SERVER_URL`` if set); without it, to the SDK's embedded fake server,
with the model's turns scripted (two tool calls, then an answer) so the loop is visible.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from mistral_async import AsyncMistral, ToolCallRequest, tool
from mistral_async.lib.tools import ToolCallStarted, ToolResultEvent, ToolRunDone

MODEL = "mistral-medium-latest"


@tool
def get_weather(city: str, unit: Literal["c", "f"] = "c") -> str:
    """Current weather in a city.

    Args:
        city: the city's name, e.g. "Paris".
        unit: "c" for Celsius, "f" for Fahrenheit.
    """
    # A plain function: the runner calls it in a worker thread.
    return f"18 degrees {unit.upper()}, light rain in {city}"


@tool(requires_approval=True)
async def book_taxi(city: str, minutes_from_now: int) -> dict[str, object]:
    """Book a taxi (a side effect: the runner asks before each call).

    Args:
        city: where to be picked up.
        minutes_from_now: when.
    """
    return {"booked": True, "city": city, "eta_minutes": minutes_from_now}


def approve(request: ToolCallRequest) -> bool:
    """Decide whether a call with side effects may run (here: soon enough)."""
    allowed = bool(request.arguments["minutes_from_now"] <= 30)
    print(f"Approval for {request.name}({request.arguments}): {'yes' if allowed else 'no'}")
    return allowed


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
        script = fake.state(CompletionScript)
        for _ in range(2):  # once for run_tools, once for run_tools_stream
            script.add_tool_call("get_weather", {"city": "Paris"})
            script.add_tool_call("book_taxi", {"city": "Paris", "minutes_from_now": 10})
            script.add("It is raining in Paris: a taxi will pick you up in 10 minutes.")
        yield c


async def main() -> None:
    messages = [{"role": "user", "content": "Is it raining in Paris? If so, get me a taxi."}]
    async with client() as c:
        result = await c.chat.run_tools(
            model=MODEL,
            messages=messages,
            tools=[get_weather, book_taxi],
            approve=approve,
            max_iterations=5,
        )
        for r in result.tool_results:
            print(f"Tool {r.name} -> {r.status}: {r.content}")
        print("Answer:", result.final.choices[0].message.text)
        print("Transcript:", len(result.messages), "messages;", result.iterations, "model turns")

        # The same run, streamed: chunks, tool calls and results as they happen.
        async for event in c.chat.run_tools_stream(
            model=MODEL, messages=messages, tools=[get_weather, book_taxi], approve=approve
        ):
            if isinstance(event, ToolCallStarted):
                print("Calling", event.name, event.arguments)
            elif isinstance(event, ToolResultEvent):
                print("Result of", event.result.name, "->", event.result.content)
            elif isinstance(event, ToolRunDone):
                print("Streamed answer:", event.result.final.choices[0].message.text)


if __name__ == "__main__":
    asyncio.run(main())

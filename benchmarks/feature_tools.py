"""The tool runner: ``chat.run_tools`` beside the same sequence of plain calls.

A run is four model turns against an in-process aiohttp server: three turns asking for a
tool call (the server counts the tool results already in the messages), then a final
answer. The baseline makes the same four ``chat.complete`` calls with the same growing
messages and calls the same function itself (awaited for the async tool; in a worker
thread for the plain one, as the runner does). Target: the runner adds at most 5%.

    python -m benchmarks.features --only tools
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from benchmarks.features import Case
from mistral_async import AsyncMistral, tool
from mistral_async.types import ToolMessage

TURNS = 3
QUESTION = [{"role": "user", "content": "Add things up."}]


@tool
async def add(a: int, b: int) -> int:
    """Add two numbers.

    Args:
        a: the first.
        b: the second.
    """
    return a + b


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two numbers (a plain function: run in a worker thread)."""
    return a * b


def _answer(body: dict[str, Any]) -> bytes:
    done = sum(1 for m in body["messages"] if m.get("role") == "tool")
    name = body["tools"][0]["function"]["name"]
    if done < TURNS:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": f"call{done}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps({"a": done, "b": 2})},
                }
            ],
        }
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": "The total is 42."}
        finish = "stop"
    return json.dumps(
        {
            "id": "cmpl",
            "object": "chat.completion",
            "model": body["model"],
            "created": 1,
            "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10},
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        }
    ).encode()


@asynccontextmanager
async def _server() -> AsyncIterator[AsyncMistral]:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=_answer(await request.json()), content_type="application/json")

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


def _runner(fn: Any) -> Any:
    async def run(client: AsyncMistral, n: int) -> None:
        for _ in range(n):
            result = await client.chat.run_tools(
                model="mistral-small-latest", messages=QUESTION, tools=[fn]
            )
            assert result.iterations == TURNS + 1

    return run


def _plain(fn: Any, in_thread: bool) -> Any:
    definitions = [fn.definition]

    async def run(client: AsyncMistral, n: int) -> None:
        for _ in range(n):
            messages: list[Any] = list(QUESTION)
            for _turn in range(TURNS + 1):
                r = await client.chat.complete(
                    model="mistral-small-latest", messages=messages, tools=definitions
                )
                message = r.choices[0].message
                messages.append(message)
                for call in message.tool_calls or ():
                    args = json.loads(call.function.arguments)  # type: ignore[arg-type]
                    if in_thread:
                        value = await asyncio.to_thread(fn.fn, **args)
                    else:
                        value = await fn.fn(**args)
                    messages.append(
                        ToolMessage(content=json.dumps(value), tool_call_id=call.id, name=fn.name)
                    )
            assert len(messages) == 2 + 2 * TURNS

    return run


CASES = [
    Case(
        id="R1",
        title="run_tools, 4 turns, async tool",
        feature=_runner(add),
        baseline=_plain(add, in_thread=False),
        n=500,
        target=1.05,
        context=_server,
        note="CPU per run; baseline: the same 4 chat.complete calls",
    ),
    Case(
        id="R2",
        title="run_tools, 4 turns, plain tool in a thread",
        feature=_runner(multiply),
        baseline=_plain(multiply, in_thread=True),
        n=500,
        target=1.05,
        context=_server,
        note="CPU per run; baseline: the same calls, the tool via to_thread",
    ),
]

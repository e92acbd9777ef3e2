"""The tool runner: ``@tool`` schemas, and ``run_tools`` against a scripted model.

The model is a small aiohttp server of the test, on loopback: each chat request takes the
next scripted answer (tool calls or text), as JSON or as an SSE stream, and is recorded.
Conversations run against the embedded fake server.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any, Literal

import attrs
import pytest
from aiohttp import web

from mistral_async import (
    AsyncMistral,
    FunctionTool,
    InvalidParameterError,
    Mistral,
    ToolExecutionError,
    ToolIterationLimitError,
    ToolRunResult,
    tool,
)
from mistral_async.lib.tools import (
    ToolCallRequest,
    ToolCallStarted,
    ToolResultEvent,
    ToolRunChunk,
    ToolRunDone,
    ToolRunTurn,
)
from mistral_async.testing import FakeMistral
from mistral_async.types import AssistantMessage, ToolMessage

pytestmark = pytest.mark.anyio

MODEL = "mistral-medium-latest"
ASK = [{"role": "user", "content": "What's the weather in Paris?"}]


# -- the scripted model ------------------------------------------------------------------------


def calls(*specs: tuple[str, Any]) -> dict[str, Any]:
    """An assistant message calling tools: (name, arguments) pairs (arguments: dict or text)."""
    return {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": f"call{i}",
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": args if isinstance(args, str) else json.dumps(args),
                },
            }
            for i, (name, args) in enumerate(specs)
        ],
    }


def text(content: str) -> dict[str, Any]:
    return {"role": "assistant", "content": content}


class ScriptedModel:
    """Answers chat completions from a script; records every request body."""

    def __init__(self) -> None:
        self.script: list[dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]] = []
        self.requests: list[dict[str, Any]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        if not self.script:
            return web.json_response({"message": "script exhausted"}, status=500)
        step = self.script.pop(0)
        message = step(body) if callable(step) else step
        finish = "tool_calls" if message.get("tool_calls") else "stop"
        if not body.get("stream"):
            return web.json_response(
                {
                    "id": f"cmpl-{len(self.requests)}",
                    "object": "chat.completion",
                    "model": body["model"],
                    "created": 1,
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        for word in (message.get("content") or "").split(" "):
            deltas.append({"content": word + " "})
        for index, call in enumerate(message.get("tool_calls") or ()):
            arguments = call["function"]["arguments"]
            half = len(arguments) // 2
            deltas.append(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call["id"],
                            "type": "function",
                            "function": {
                                "name": call["function"]["name"],
                                "arguments": arguments[:half],
                            },
                        }
                    ]
                }
            )
            deltas.append(
                {"tool_calls": [{"index": index, "function": {"arguments": arguments[half:]}}]}
            )
        for number, delta in enumerate(deltas):
            last = number == len(deltas) - 1
            chunk = {
                "id": "s",
                "object": "chat.completion.chunk",
                "model": body["model"],
                "created": 1,
                "choices": [
                    {"index": 0, "delta": delta, "finish_reason": finish if last else None}
                ],
            }
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


@pytest.fixture
async def model() -> AsyncIterator[ScriptedModel]:
    scripted = ScriptedModel()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", scripted.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    scripted.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield scripted
    finally:
        await runner.cleanup()


@pytest.fixture
async def client(model: ScriptedModel) -> AsyncIterator[AsyncMistral]:
    async with AsyncMistral(api_key="k", server_url=model.url, max_retries=0) as c:
        yield c


# -- tools --------------------------------------------------------------------------------------

WEATHER_CALLS: list[dict[str, Any]] = []


@tool
def get_weather(city: str, unit: Literal["c", "f"] = "c") -> str:
    """Current weather in a city.

    Args:
        city: the city's name, e.g. "Paris".
        unit: c for Celsius,
            f for Fahrenheit.

    Returns:
        A sentence.
    """
    WEATHER_CALLS.append({"city": city, "unit": unit})
    return f"22 degrees {unit.upper()} and sunny in {city}"


@attrs.define
class Query:
    text: str
    limit: int = 3


@tool
async def search_docs(query: Query, sources: list[Literal["web", "docs"]]) -> list[dict[str, Any]]:
    """Search the documentation.

    Parameters
    ----------
    query : Query
        What to look for.
    sources : list
        Where to look.
    """
    return [{"title": f"{query.text} ({source})", "rank": query.limit} for source in sources]


@dataclasses.dataclass
class Box:
    w: int
    h: int


@pytest.fixture(autouse=True)
def _clear_calls() -> Iterator[None]:
    WEATHER_CALLS.clear()
    yield
    WEATHER_CALLS.clear()


# -- schemas ------------------------------------------------------------------------------------


def test_schema_from_signature_hints_and_google_docstring() -> None:
    assert isinstance(get_weather, FunctionTool)
    assert get_weather.name == "get_weather"
    assert get_weather.description == "Current weather in a city."
    assert get_weather.parameters == {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": 'the city\'s name, e.g. "Paris".'},
            "unit": {
                "type": "string",
                "enum": ["c", "f"],
                "description": "c for Celsius, f for Fahrenheit.",
            },
        },
        "required": ["city"],
        "additionalProperties": False,
    }
    assert get_weather.definition.to_dict() == {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": get_weather.parameters,
            "description": "Current weather in a city.",
        },
    }
    assert get_weather("Oslo") == "22 degrees C and sunny in Oslo"  # still callable


def test_schema_from_numpy_docstring_with_nested_type() -> None:
    assert search_docs.description == "Search the documentation."
    query = search_docs.parameters["properties"]["query"]
    assert query["description"] == "What to look for."
    assert query["properties"]["limit"] == {"type": "integer"}
    assert query["required"] == ["text"]
    assert search_docs.parameters["properties"]["sources"]["items"] == {
        "type": "string",
        "enum": ["web", "docs"],
    }


def test_schema_from_rest_docstring_strict_and_options() -> None:
    @tool(name="lookup", strict=True)
    def look(
        key: Annotated[str, "the key"], default: int | None = None, *, deep: bool = False
    ) -> None:
        """Look a key up.

        :param default: what to give when missing
        :param bool deep: follow links
        :returns: nothing
        """

    assert look.name == "lookup"
    assert look.description == "Look a key up."
    props = look.parameters["properties"]
    assert props["key"] == {"type": "string", "description": "the key"}
    assert props["default"]["description"] == "what to give when missing"
    assert props["deep"] == {
        "description": "follow links",
        "anyOf": [{"type": "boolean"}, {"type": "null"}],
    }
    assert look.parameters["required"] == ["key", "default", "deep"]
    assert look.definition.function.strict is True


def test_bad_tool_definitions_raise() -> None:
    with pytest.raises(InvalidParameterError, match=r"\*args"):
        tool(name="star")(lambda *args: None)
    with pytest.raises(InvalidParameterError, match="cannot describe"):

        @tool
        def bad(x: complex) -> None: ...

    with pytest.raises(InvalidParameterError, match="name"):
        tool(name="has space")(lambda: None)


# -- runs ---------------------------------------------------------------------------------------


async def test_multi_turn_run(model: ScriptedModel, client: AsyncMistral) -> None:
    model.script = [
        calls(("get_weather", {"city": "Paris"})),
        calls(("search_docs", {"query": {"text": "umbrella"}, "sources": ["web", "docs"]})),
        text("Take an umbrella."),
    ]
    result = await client.chat.run_tools(
        model=MODEL, messages=ASK, tools=[get_weather, search_docs], temperature=0.2
    )
    assert isinstance(result, ToolRunResult)
    assert result.final.choices[0].message.text == "Take an umbrella."
    assert result.iterations == 3
    assert len(result.messages) == 6  # user, (assistant, tool) x 2, final assistant
    assert WEATHER_CALLS == [{"city": "Paris", "unit": "c"}]
    first, second, third = model.requests
    assert first["temperature"] == 0.2
    assert [t["function"]["name"] for t in first["tools"]] == ["get_weather", "search_docs"]
    assert second["messages"][-1] == {
        "role": "tool",
        "content": "22 degrees C and sunny in Paris",
        "tool_call_id": "call0",
        "name": "get_weather",
    }
    assert second["messages"][-2]["tool_calls"][0]["id"] == "call0"
    assert json.loads(third["messages"][-1]["content"]) == [
        {"title": "umbrella (web)", "rank": 3},
        {"title": "umbrella (docs)", "rank": 3},
    ]
    assert [r.status for r in result.tool_results] == ["ok", "ok"]
    assert isinstance(result.messages[1], AssistantMessage)
    assert isinstance(result.messages[2], ToolMessage)


async def test_parallel_calls_run_concurrently(model: ScriptedModel, client: AsyncMistral) -> None:
    running = 0
    peak = 0
    both = asyncio.Event()

    @tool
    async def slow(n: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        if running == 3:
            both.set()
        await asyncio.wait_for(both.wait(), 2)  # only returns if all three run at once
        running -= 1
        return n * 10

    model.script = [calls(("slow", {"n": 1}), ("slow", {"n": 2}), ("slow", {"n": 3})), text("done")]
    result = await client.chat.run_tools(model=MODEL, messages=ASK, tools=[slow])
    assert peak == 3
    sent = model.requests[1]["messages"][-3:]
    assert [m["content"] for m in sent] == ["10", "20", "30"]  # in call order
    assert [m["tool_call_id"] for m in sent] == ["call0", "call1", "call2"]
    assert result.final.choices[0].message.text == "done"


async def test_sync_tool_runs_in_a_thread_without_blocking_the_loop(
    model: ScriptedModel, client: AsyncMistral
) -> None:
    threads: list[threading.Thread] = []

    def nap(seconds: float) -> str:
        threads.append(threading.current_thread())
        time.sleep(seconds)
        return "rested"

    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    model.script = [calls(("nap", {"seconds": 0.4}), ("nap", {"seconds": 0.4})), text("ok")]
    task = asyncio.create_task(ticker())
    started = time.monotonic()
    try:
        await client.chat.run_tools(model=MODEL, messages=ASK, tools=[nap])
    finally:
        stop.set()
        await task
    elapsed = time.monotonic() - started
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert elapsed < 0.75  # the two 0.4 s naps overlapped
    assert ticks >= 15  # the loop kept running while the naps slept


async def test_unknown_tool_gets_an_error_result(
    model: ScriptedModel, client: AsyncMistral
) -> None:
    model.script = [calls(("get_wether", {"city": "Paris"})), text("sorry")]
    result = await client.chat.run_tools(model=MODEL, messages=ASK, tools=[get_weather])
    content = model.requests[1]["messages"][-1]["content"]
    assert "no tool named 'get_wether'" in content
    assert "get_weather" in content
    assert result.tool_results[0].status == "unknown_tool"
    assert WEATHER_CALLS == []


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ('{"city": "Par', "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ({}, "missing required field 'city'"),
        ({"city": "Paris", "country": "FR"}, "unexpected field country"),
        ({"city": 75}, "$.city: expected a string, got a number (75)"),
        ({"city": "Paris", "unit": "k"}, '$.unit: expected one of "c", "f"'),
    ],
)
async def test_bad_arguments_get_an_error_result(
    model: ScriptedModel, client: AsyncMistral, arguments: Any, words: str
) -> None:
    model.script = [calls(("get_weather", arguments)), text("sorry")]
    result = await client.chat.run_tools(model=MODEL, messages=ASK, tools=[get_weather])
    content = model.requests[1]["messages"][-1]["content"]
    assert content.startswith("Error: invalid arguments for get_weather")
    assert words in content
    assert result.tool_results[0].status == "invalid_arguments"
    assert WEATHER_CALLS == []


@tool
def explode(reason: str) -> str:
    """Always fails."""
    raise ValueError(f"boom: {reason}")


async def test_tool_error_goes_to_the_model_by_default(
    model: ScriptedModel, client: AsyncMistral
) -> None:
    model.script = [calls(("explode", {"reason": "x"})), text("it failed")]
    result = await client.chat.run_tools(model=MODEL, messages=ASK, tools=[explode])
    assert model.requests[1]["messages"][-1]["content"] == "Error: ValueError: boom: x"
    assert result.tool_results[0].status == "error"
    assert isinstance(result.tool_results[0].error, ValueError)


async def test_tool_error_raises_when_asked(model: ScriptedModel, client: AsyncMistral) -> None:
    model.script = [calls(("explode", {"reason": "y"})), text("never")]
    with pytest.raises(ToolExecutionError) as caught:
        await client.chat.run_tools(
            model=MODEL, messages=ASK, tools=[explode], raise_tool_errors=True
        )
    error = caught.value
    assert isinstance(error.__cause__, ValueError)
    assert error.tool_name == "explode"
    assert error.call_id == "call0"
    assert len(error.messages) == 2  # the question and the assistant's call
    assert len(model.requests) == 1


@tool(requires_approval=True)
def transfer(amount: int, to: str) -> str:
    """Send money."""
    return f"sent {amount} to {to}"


async def test_approval_hook_allows_and_denies(model: ScriptedModel, client: AsyncMistral) -> None:
    seen: list[ToolCallRequest] = []

    def approve(request: ToolCallRequest) -> bool:
        seen.append(request)
        assert threading.current_thread() is not threading.main_thread()
        return request.arguments["amount"] < 100

    model.script = [
        calls(("transfer", {"amount": 5, "to": "Ann"}), ("transfer", {"amount": 500, "to": "Bo"})),
        text("one done"),
    ]
    result = await client.chat.run_tools(
        model=MODEL, messages=ASK, tools=[transfer], approve=approve
    )
    sent = model.requests[1]["messages"][-2:]
    assert sent[0]["content"] == "sent 5 to Ann"
    assert sent[1]["content"].startswith("Denied")
    assert [r.status for r in result.tool_results] == ["ok", "denied"]
    assert sorted(r.arguments["amount"] for r in seen) == [5, 500]
    assert all(r.tool is transfer for r in seen)


async def test_async_approval_hook_on_the_tool(model: ScriptedModel, client: AsyncMistral) -> None:
    async def never(request: ToolCallRequest) -> bool:
        await asyncio.sleep(0)
        return False

    ran: list[str] = []

    @tool(requires_approval=never)
    def delete_file(path: str) -> str:
        ran.append(path)
        return "deleted"

    model.script = [calls(("delete_file", {"path": "/etc"})), text("not allowed")]
    result = await client.chat.run_tools(model=MODEL, messages=ASK, tools=[delete_file])
    assert ran == []
    assert result.tool_results[0].status == "denied"


async def test_approval_needed_but_no_hook_raises_before_sending(
    model: ScriptedModel, client: AsyncMistral
) -> None:
    with pytest.raises(InvalidParameterError, match="approve"):
        await client.chat.run_tools(model=MODEL, messages=ASK, tools=[transfer])
    assert model.requests == []


async def test_iteration_limit_raises_with_the_transcript(
    model: ScriptedModel, client: AsyncMistral
) -> None:
    model.script = [calls(("get_weather", {"city": "Paris"}))] * 10
    with pytest.raises(ToolIterationLimitError) as caught:
        await client.chat.run_tools(
            model=MODEL, messages=ASK, tools=[get_weather], max_iterations=3
        )
    error = caught.value
    assert error.max_iterations == 3 and error.iterations == 3
    assert len(model.requests) == 3
    assert len(error.messages) == 1 + 2 * 3
    assert isinstance(error.messages[-1], ToolMessage)
    assert error.last_response.choices[0].message.tool_calls
    assert len(WEATHER_CALLS) == 3


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"max_iterations": 0}, "max_iterations"),
        ({"n": 2}, "n"),
        ({"temperature": 5}, "temperature"),
        ({"tools": [{"type": "function", "function": {"name": "x", "parameters": {}}}]}, "tools"),
    ],
)
async def test_bad_runner_parameters_raise_before_sending(
    model: ScriptedModel, client: AsyncMistral, kwargs: dict[str, Any], param: str
) -> None:
    kwargs.setdefault("tools", [get_weather])
    with pytest.raises(InvalidParameterError) as caught:
        await client.chat.run_tools(model=MODEL, messages=ASK, **kwargs)
    assert caught.value.param.startswith(param)
    assert model.requests == []


async def test_plain_functions_are_tools_too(model: ScriptedModel, client: AsyncMistral) -> None:
    def area(box: Box) -> int:
        """Area of a box."""
        return box.w * box.h

    model.script = [calls(("area", {"box": {"w": 2, "h": 3}})), text("6")]
    await client.chat.run_tools(model=MODEL, messages=ASK, tools=[area])
    assert model.requests[0]["tools"][0]["function"]["description"] == "Area of a box."
    assert model.requests[1]["messages"][-1]["content"] == "6"


async def test_run_tools_stream_events(model: ScriptedModel, client: AsyncMistral) -> None:
    model.script = [
        calls(("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Rome", "unit": "f"})),
        text("Sunny in both cities."),
    ]
    events = [
        event
        async for event in client.chat.run_tools_stream(
            model=MODEL, messages=ASK, tools=[get_weather]
        )
    ]
    kinds = [type(e).__name__ for e in events]
    assert all(r["stream"] is True for r in model.requests)
    first_turn = kinds.index("ToolRunTurn")
    assert set(kinds[:first_turn]) == {"ToolRunChunk"}
    assert kinds[first_turn + 1 : first_turn + 3] == ["ToolCallStarted", "ToolCallStarted"]
    assert kinds[first_turn + 3 : first_turn + 5] == ["ToolResultEvent", "ToolResultEvent"]
    assert kinds[-2:] == ["ToolRunTurn", "ToolRunDone"]
    started = [e for e in events if isinstance(e, ToolCallStarted)]
    assert [s.name for s in started] == ["get_weather", "get_weather"]
    results = [e.result for e in events if isinstance(e, ToolResultEvent)]
    assert sorted(r.content for r in results) == [
        "22 degrees C and sunny in Paris",
        "22 degrees F and sunny in Rome",
    ]
    chunks = [e for e in events if isinstance(e, ToolRunChunk) and e.iteration == 2]
    assert "".join(c.chunk.choices[0].delta.text for c in chunks).strip() == "Sunny in both cities."
    done = events[-1]
    assert isinstance(done, ToolRunDone)
    assert done.result.final.choices[0].message.text.strip() == "Sunny in both cities."
    turns = [e for e in events if isinstance(e, ToolRunTurn)]
    assert turns[0].completion.choices[0].message.tool_calls[1].function.arguments == json.dumps(
        {"city": "Rome", "unit": "f"}
    )


async def test_leaving_the_stream_early_stops_the_run(
    model: ScriptedModel, client: AsyncMistral
) -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    @tool
    async def wait_forever() -> str:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    model.script = [calls(("wait_forever", {})), text("done")]
    stream = client.chat.run_tools_stream(model=MODEL, messages=ASK, tools=[wait_forever])
    async for event in stream:
        if isinstance(event, ToolCallStarted):
            await asyncio.wait_for(started.wait(), 2)
            break
    await stream.aclose()  # type: ignore[attr-defined]
    assert cancelled.is_set()  # the running tool was cancelled
    assert len(model.requests) == 1  # and no other turn was asked for


@pytest.fixture
def threaded_model() -> Iterator[ScriptedModel]:
    """The scripted model in a thread with its own loop (for the blocking client)."""
    scripted = ScriptedModel()
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def serve() -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", scripted.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        scripted.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        box["stop"] = stop = asyncio.Event()
        box["loop"] = asyncio.get_running_loop()
        ready.set()
        await stop.wait()
        await runner.cleanup()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    ready.wait(5)
    try:
        yield scripted
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(5)


def test_blocking_run_tools(threaded_model: ScriptedModel) -> None:
    threaded_model.script = [
        calls(("get_weather", {"city": "Paris"})),
        text("Sunny."),
        calls(("get_weather", {"city": "Rome"})),
        text("Also sunny."),
    ]
    with Mistral(api_key="k", server_url=threaded_model.url) as client:
        result = client.chat.run_tools(model=MODEL, messages=ASK, tools=[get_weather])
        assert result.final.choices[0].message.text == "Sunny."
        events = list(client.chat.run_tools_stream(model=MODEL, messages=ASK, tools=[get_weather]))
    assert isinstance(events[-1], ToolRunDone)
    assert events[-1].result.final.choices[0].message.text.strip() == "Also sunny."
    assert WEATHER_CALLS == [{"city": "Paris", "unit": "c"}, {"city": "Rome", "unit": "c"}]


# -- conversations ------------------------------------------------------------------------------


async def test_conversation_runner_keeps_the_conversation_id() -> None:
    async with FakeMistral() as fake, AsyncMistral(api_key=fake.api_key, server_url=fake.url) as c:
        result = await c.beta.conversations.run_tools(
            model=MODEL,
            inputs="Use get_weather for Paris",
            tools=[get_weather, {"type": "web_search"}],
            instructions="Be brief.",
        )
        paths = [(r.method, r.path) for r in fake.requests]
        start = fake.requests[0].json
    conversation_id = result.conversation_id
    assert paths == [
        ("POST", "/v1/conversations"),
        ("POST", f"/v1/conversations/{conversation_id}"),
    ]
    assert start["instructions"] == "Be brief."
    assert [t["type"] for t in start["tools"]] == ["function", "web_search"]
    assert start["tools"][0]["function"]["name"] == "get_weather"
    assert result.iterations == 2
    assert all(r.conversation_id == conversation_id for r in result.responses)
    assert "22 degrees C and sunny in example" in result.final.text
    assert WEATHER_CALLS == [{"city": "example", "unit": "c"}]
    assert result.tool_results[0].status == "ok"


async def test_conversation_runner_limit_and_checks() -> None:
    async with FakeMistral() as fake, AsyncMistral(api_key=fake.api_key, server_url=fake.url) as c:
        with pytest.raises(ToolIterationLimitError) as caught:
            await c.beta.conversations.run_tools(
                model=MODEL,
                inputs="Use get_weather",
                tools=[get_weather],
                max_iterations=1,
            )
        assert caught.value.conversation_id  # type: ignore[attr-defined]
        fake.clear_requests()
        with pytest.raises(InvalidParameterError, match="store"):
            await c.beta.conversations.run_tools(
                model=MODEL, inputs="x", tools=[get_weather], store=False
            )
        assert fake.requests == []


# -- the example -----------------------------------------------------------------------------------


def test_tool_runner_example_runs_without_a_key() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("MISTRAL_")}
    env["PYTHONPATH"] = str(root)
    out = subprocess.run(
        [sys.executable, "-W", "error", str(root / "examples" / "tool_runner.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "Tool get_weather -> ok: 18 degrees C, light rain in Paris" in out.stdout
    assert (
        'Tool book_taxi -> ok: {"booked": true, "city": "Paris", "eta_minutes": 10}' in out.stdout
    )
    assert "Transcript: 6 messages; 3 model turns" in out.stdout
    assert "Streamed answer: It is raining in Paris" in out.stdout


def test_tool_runner_example_against_a_server_without_tool_calls(fake_mistral: FakeMistral) -> None:
    """Pointed at a server (the fake, unscripted, never calls tools): one turn, no calls."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = dict(
        os.environ, MISTRAL_API_KEY=fake_mistral.api_key, MISTRAL_SERVER_URL=fake_mistral.url
    )
    env["PYTHONPATH"] = str(root)
    out = subprocess.run(
        [sys.executable, "-W", "error", str(root / "examples" / "tool_runner.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "Answer: Hello! You said: Is it raining in Paris?" in out.stdout
    assert "Transcript: 2 messages; 1 model turns" in out.stdout


async def test_agents_run_tools() -> None:
    async with FakeMistral() as fake, AsyncMistral(api_key=fake.api_key, server_url=fake.url) as c:
        from mistral_async.testing import CompletionScript

        script = fake.state(CompletionScript)
        script.add_tool_call("get_weather", {"city": "Lima"})
        script.add("Warm in Lima.")
        result = await c.agents.run_tools(agent_id="ag_1", messages=ASK, tools=[get_weather])
        bodies = [r.json for r in fake.requests]
    assert result.final.choices[0].message.text == "Warm in Lima."
    assert all(b["agent_id"] == "ag_1" for b in bodies)
    assert bodies[1]["messages"][-1]["content"] == "22 degrees C and sunny in Lima"
    assert WEATHER_CALLS == [{"city": "Lima", "unit": "c"}]


async def test_agents_run_tools_stream() -> None:
    async with FakeMistral() as fake, AsyncMistral(api_key=fake.api_key, server_url=fake.url) as c:
        from mistral_async.testing import CompletionScript

        script = fake.state(CompletionScript)
        script.add_tool_call("get_weather", {"city": "Oslo"})
        script.add("Cold in Oslo.")
        with pytest.raises(InvalidParameterError, match="max_iterations"):
            c.agents.run_tools_stream(agent_id="ag_1", messages=ASK, tools=[], max_iterations=0)
        with pytest.raises(TypeError, match="agent_id"):
            c.agents.run_tools_stream(messages=ASK, tools=[])  # type: ignore[call-arg]
        events = [
            e
            async for e in c.agents.run_tools_stream(
                agent_id="ag_1", messages=ASK, tools=[get_weather]
            )
        ]
        bodies = [r.json for r in fake.requests]
    assert [b["agent_id"] for b in bodies] == ["ag_1", "ag_1"]
    assert all(b["stream"] is True for b in bodies)
    results = [e.result.content for e in events if isinstance(e, ToolResultEvent)]
    assert results == ["22 degrees C and sunny in Oslo"]
    done = events[-1]
    assert isinstance(done, ToolRunDone)
    assert done.result.final.choices[0].message.text == "Cold in Oslo."
    assert done.result.iterations == 2


def test_agents_run_tools_stream_blocking(fake_mistral: FakeMistral) -> None:
    from mistral_async.testing import CompletionScript

    script = fake_mistral.state(CompletionScript)
    script.add_tool_call("get_weather", {"city": "Bern"})
    script.add("Mild in Bern.")
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
        events = list(
            client.agents.run_tools_stream(agent_id="ag_2", messages=ASK, tools=[get_weather])
        )
    done = events[-1]
    assert isinstance(done, ToolRunDone)
    assert done.result.final.choices[0].message.text == "Mild in Bern."
    assert WEATHER_CALLS == [{"city": "Bern", "unit": "c"}]

"""``client.agents``: agent completions, whole and streamed, over loopback to the fake server."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mistral_async import (
    AsyncMistral,
    InvalidParameterError,
    Mistral,
    NotFoundError,
)
from mistral_async.lib.chat_stream import AsyncChatCompletionStream
from mistral_async.testing import FakeMistral
from mistral_async.testing._app import discover_groups
from mistral_async.types import (
    AssistantMessage,
    ChatCompletionResponse,
    CompletionChunk,
    Function,
    Prediction,
    ResponseFormat,
    Tool,
    UserMessage,
)

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parent.parent
PATH = "/v1/agents/completions"
AGENT = "ag_0123456789"
HI = [{"role": "user", "content": "Hi"}]
REPLY = "Hello! You said: Hi. This reply comes from the fake Mistral server."
WEATHER = Tool(
    Function(
        "get_weather",
        {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    )
)


def client_for(fake: FakeMistral, **kwargs: Any) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url, **kwargs)


async def test_complete(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        result = await client.agents.complete(agent_id=AGENT, messages=HI)
    assert isinstance(result, ChatCompletionResponse)
    assert result.choices[0].message.text == REPLY
    assert result.choices[0].finish_reason == "stop"
    assert result.model == "mistral-medium-latest"
    assert result.usage is not None and result.usage.total_tokens > 0
    sent = fake_mistral.last_request
    assert sent.method == "POST" and sent.path == PATH
    assert sent.json == {"agent_id": AGENT, "messages": HI}
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["accept"] == "application/json"


async def test_every_given_parameter_is_sent_and_nothing_else(fake_mistral: FakeMistral) -> None:
    messages = [UserMessage("Weather?"), AssistantMessage("Which city?"), *HI]
    async with client_for(fake_mistral) as client:
        await client.agents.complete(
            agent_id=AGENT,
            messages=messages,
            max_tokens=50,
            stop=["\n"],
            random_seed=7,
            metadata={"k": "v"},
            response_format=ResponseFormat("json_object"),
            tools=[WEATHER, {"type": "web_search"}],
            tool_choice="auto",
            presence_penalty=0.1,
            frequency_penalty=-0.1,
            n=1,
            prediction=Prediction("{}"),
            parallel_tool_calls=False,
            reasoning_effort="low",
            prompt_mode=None,
            guardrails=[{"moderation_llm_v1": {"action": "block"}}],
            prompt_cache_key="k1",
            service_tier="auto",
        )
    assert fake_mistral.last_request.json == {
        "agent_id": AGENT,
        "messages": [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": "Which city?"},
            *HI,
        ],
        "max_tokens": 50,
        "stop": ["\n"],
        "random_seed": 7,
        "metadata": {"k": "v"},
        "response_format": {"type": "json_object"},
        "tools": [WEATHER.to_dict(), {"type": "web_search"}],
        "tool_choice": "auto",
        "presence_penalty": 0.1,
        "frequency_penalty": -0.1,
        "n": 1,
        "prediction": {"type": "content", "content": "{}"},
        "parallel_tool_calls": False,
        "reasoning_effort": "low",
        "prompt_mode": None,  # an explicit None is sent as null
        "guardrails": [{"moderation_llm_v1": {"action": "block"}}],
        "prompt_cache_key": "k1",
        "service_tier": "auto",
    }


async def test_forced_tool_call_round_trip(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        first = await client.agents.complete(
            agent_id=AGENT, messages=HI, tools=[WEATHER], tool_choice="any"
        )
        message = first.choices[0].message
        assert first.choices[0].finish_reason == "tool_calls"
        assert message.tool_calls is not None
        call = message.tool_calls[0]
        assert call.function.name == "get_weather"
        second = await client.agents.complete(
            agent_id=AGENT,
            messages=[*HI, message, {"role": "tool", "content": "21 C", "tool_call_id": call.id}],
        )
    assert second.choices[0].message.text == REPLY


async def test_stream_yields_chunks_and_folds(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        stream = client.agents.stream(agent_id=AGENT, messages=HI, n=2, max_tokens=100)
        assert isinstance(stream, AsyncChatCompletionStream)
        async with stream:
            chunks = [chunk async for chunk in stream]
            final = await stream.get_final_completion()
    assert all(isinstance(chunk, CompletionChunk) for chunk in chunks)
    assert len(chunks) > 4
    assert [c.message.text for c in final.choices] == [REPLY, f"{REPLY} (alternative 1)"]
    assert final.usage is not None and final.usage.total_tokens > 0
    sent = fake_mistral.last_request
    assert sent.json == {
        "agent_id": AGENT,
        "messages": HI,
        "n": 2,
        "max_tokens": 100,
        "stream": True,
    }
    assert sent.headers["accept"] == "text/event-stream"


async def test_stream_tool_call_folds(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        async with client.agents.stream(
            agent_id=AGENT, messages=HI, tools=[WEATHER], tool_choice="required"
        ) as stream:
            final = await stream.get_final_completion()
    calls = final.choices[0].message.tool_calls
    assert calls is not None and calls[0].function.name == "get_weather"
    assert calls[0].function.arguments == '{"city": "example"}'


async def test_unknown_agent_is_a_404(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(NotFoundError, match="Agent not found: bot-1"):
            await client.agents.complete(agent_id="bot-1", messages=HI)
        with pytest.raises(NotFoundError):
            async with client.agents.stream(agent_id="bot-1", messages=HI):
                pass


@pytest.fixture
def stored_agents(monkeypatch: pytest.MonkeyPatch) -> type:
    """A stand-in ``AgentsState`` of the beta agents group, with one stored agent.

    It replaces the group module's own class, or a stand-in module when that group is not
    there: the agents group must work either way.
    """

    class AgentsState:
        def __init__(self) -> None:
            self.records = {"custom-agent": {"id": "custom-agent", "model": "my-model"}}

        def get(self, agent_id: str) -> dict[str, Any] | None:
            return self.records.get(agent_id)

    discover_groups()  # the real groups are imported first and keep their own references
    name = "mistral_async.testing.groups.beta_agents"
    module = sys.modules.get(name)
    if module is None:
        module = types.ModuleType(name)
        module.register = lambda app: None  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(module, "AgentsState", AgentsState, raising=False)
    return AgentsState


async def test_agents_of_the_beta_agents_state_exist(stored_agents: type) -> None:
    async with FakeMistral() as fake, client_for(fake) as client:
        result = await client.agents.complete(agent_id="custom-agent", messages=HI)
        assert result.model == "my-model"
        assert (await client.agents.complete(agent_id="ag_1", messages=HI)).model == (
            "mistral-medium-latest"
        )
        fake.state(stored_agents).records.clear()
        with pytest.raises(NotFoundError):
            await client.agents.complete(agent_id="custom-agent", messages=HI)


async def test_an_agent_created_on_the_fake_answers_with_its_model(
    fake_mistral: FakeMistral,
) -> None:
    pytest.importorskip("mistral_async.testing.groups.beta_agents")
    headers = {"Authorization": f"Bearer {fake_mistral.api_key}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            fake_mistral.url + "/v1/agents",
            json={"model": "mistral-large-latest", "name": "Painter expert"},
            headers=headers,
        ) as response,
    ):
        assert response.status in (200, 201)
        agent_id = (await response.json())["id"]
    async with client_for(fake_mistral) as client:
        result = await client.agents.complete(agent_id=agent_id, messages=HI)
    assert result.model == "mistral-large-latest"


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"agent_id": ""}, "agent_id"),
        ({"agent_id": 5}, "agent_id"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({"messages": "Hi"}, "messages"),
        ({"max_tokens": -1}, "max_tokens"),
        ({"n": 0}, "n"),
        ({"random_seed": 1.5}, "random_seed"),
        ({"presence_penalty": 3}, "presence_penalty"),
        ({"frequency_penalty": -2.5}, "frequency_penalty"),
        ({"stop": [1]}, "stop[0]"),
        ({"metadata": ["x"]}, "metadata"),
        ({"tools": [1]}, "tools[0]"),
        ({"tool_choice": "sometimes"}, "tool_choice"),
        ({"response_format": {"type": "yaml"}}, "response_format.type"),
        ({"prediction": {"type": "guess"}}, "prediction.type"),
        ({"reasoning_effort": "max"}, "reasoning_effort"),
        ({"prompt_mode": "fast"}, "prompt_mode"),
        ({"service_tier": "priority"}, "service_tier"),
        ({"guardrails": "strict"}, "guardrails"),
    ],
)
async def test_bad_input_is_refused_before_sending(
    fake_mistral: FakeMistral, kwargs: dict[str, Any], param: str
) -> None:
    kwargs = {"agent_id": AGENT, "messages": HI, **kwargs}
    async with client_for(fake_mistral) as client:
        with pytest.raises(InvalidParameterError) as complete_error:
            await client.agents.complete(**kwargs)
        with pytest.raises(InvalidParameterError) as stream_error:
            client.agents.stream(**kwargs)
    assert complete_error.value.param == stream_error.value.param == param
    assert fake_mistral.requests == []


async def test_chat_only_parameters_are_type_errors(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(TypeError, match="temperature"):
            await client.agents.complete(agent_id=AGENT, messages=HI, temperature=0.5)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="model"):
            client.agents.stream(agent_id=AGENT, messages=HI, model="m")  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="agent_id"):
            client.agents.stream(messages=HI)  # type: ignore[call-arg]
    assert fake_mistral.requests == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"messages": HI}, ("missing", ["body", "agent_id"])),
        ({"agent_id": AGENT, "messages": HI, "model": "m"}, ("extra_forbidden", ["body", "model"])),
        (
            {"agent_id": AGENT, "messages": HI, "temperature": 0.1},
            ("extra_forbidden", ["body", "temperature"]),
        ),
        ({"agent_id": AGENT, "messages": HI, "n": 0}, ("greater_than_equal", ["body", "n"])),
    ],
)
async def test_the_fake_validates_the_body(
    fake_mistral: FakeMistral, body: dict[str, Any], error: tuple[str, list[Any]]
) -> None:
    headers = {"Authorization": f"Bearer {fake_mistral.api_key}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(fake_mistral.url + PATH, json=body, headers=headers) as response,
    ):
        assert response.status == 422
        detail = (await response.json())["detail"]
    assert [(d["type"], d["loc"]) for d in detail] == [error]


def test_blocking_complete_and_stream(fake_mistral: FakeMistral) -> None:
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
        result = client.agents.complete(agent_id=AGENT, messages=HI)
        assert result.choices[0].message.text == REPLY
        with client.agents.stream(agent_id=AGENT, messages=HI) as stream:
            chunks = list(stream)
            final = stream.get_final_completion()
        with pytest.raises(InvalidParameterError):
            client.agents.complete(agent_id=AGENT, messages=[])
    assert "".join(c.choices[0].delta.text for c in chunks) == REPLY
    assert final.choices[0].message.text == REPLY
    assert type(stream).__name__ == "ChatCompletionStream"
    assert [r.json["agent_id"] for r in fake_mistral.requests] == [AGENT, AGENT]


def test_the_agents_example_runs(fake_mistral: FakeMistral) -> None:
    env = dict(os.environ)
    env.pop("MISTRAL_AGENT_ID", None)
    env.update(
        MISTRAL_API_KEY=fake_mistral.api_key,
        MISTRAL_SERVER_URL=fake_mistral.url,
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p),
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", str(REPO / "examples" / "agents.py")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "Agent: Hello! You said: Who is the best French painter?. "
        "This reply comes from the fake Mistral server.",
        "Hello! You said: Why?. This reply comes from the fake Mistral server.",
        result.stdout.splitlines()[2],
        "Unknown agent: 404",
        "Sync agent: Hello! You said: Say hi.. This reply comes from the fake Mistral server.",
    ]
    assert result.stdout.splitlines()[2].startswith("Total tokens: ")
    bodies = [r.json for r in fake_mistral.requests]
    assert [b["agent_id"] for b in bodies] == ["ag_example"] * 2 + ["no-such-agent", "ag_example"]
    assert bodies[1]["stream"] is True and len(bodies[1]["messages"]) == 3

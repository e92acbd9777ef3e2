"""``client.beta.agents``, async and blocking, over real HTTP to the fake server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mistral_async import (
    AsyncMistral,
    InvalidParameterError,
    Mistral,
    NotFoundError,
    RawResponse,
    UnprocessableEntityError,
)
from mistral_async.testing import FakeMistral
from mistral_async.testing.groups.beta_agents import AgentsState
from mistral_async.types.beta_agents import (
    Agent,
    AgentAliasResponse,
    AgentListPage,
    APIKeyAuth,
    CodeInterpreterTool,
    CompletionArgs,
    CustomConnector,
    DocumentLibraryTool,
    FunctionTool,
    ImageGenerationTool,
    ToolConfiguration,
    WebSearchPremiumTool,
    WebSearchTool,
)
from mistral_async.types.chat import Function, ResponseFormat

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parent.parent
MODEL = "mistral-small-latest"
WEATHER = Function(
    name="get_weather",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
    description="The weather in a city.",
)


def client_for(fake: FakeMistral) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url, max_retries=0)


def blocking_for(fake: FakeMistral) -> Any:
    return Mistral(api_key=fake.api_key, server_url=fake.url, max_retries=0)


# -- create ------------------------------------------------------------------------------------


async def test_create_sends_every_given_parameter_and_types_the_tools(
    fake_mistral: FakeMistral,
) -> None:
    tools: list[Any] = [
        FunctionTool(function=WEATHER),
        WebSearchTool(),
        WebSearchPremiumTool(tool_configuration=ToolConfiguration(exclude=["news"])),
        CodeInterpreterTool(),
        ImageGenerationTool(),
        DocumentLibraryTool(library_ids=["lib_1"]),
        CustomConnector(connector_id="conn_1", authorization=APIKeyAuth(value="k")),
        {"type": "web_search"},
    ]
    async with client_for(fake_mistral) as client:
        agent = await client.beta.agents.create(
            model=MODEL,
            name="Helper",
            instructions="Be brief.",
            tools=tools,
            completion_args=CompletionArgs(
                temperature=0.3, stop=["\n"], response_format=ResponseFormat(type="json_object")
            ),
            guardrails=[{"block_on_error": True}],
            description="Helps.",
            handoffs=["ag_other"],
            metadata={"team": "support"},
            version_message="first",
        )
    body = fake_mistral.last_request.json
    assert fake_mistral.last_request.method == "POST"
    assert fake_mistral.last_request.path == "/v1/agents"
    assert body == {
        "model": MODEL,
        "name": "Helper",
        "instructions": "Be brief.",
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": WEATHER.parameters,
                    "description": "The weather in a city.",
                },
            },
            {"type": "web_search"},
            {"type": "web_search_premium", "tool_configuration": {"exclude": ["news"]}},
            {"type": "code_interpreter"},
            {"type": "image_generation"},
            {"type": "document_library", "library_ids": ["lib_1"]},
            {
                "type": "connector",
                "connector_id": "conn_1",
                "authorization": {"type": "api-key", "value": "k"},
            },
            {"type": "web_search"},
        ],
        "completion_args": {
            "temperature": 0.3,
            "stop": ["\n"],
            "response_format": {"type": "json_object"},
        },
        "guardrails": [{"block_on_error": True}],
        "description": "Helps.",
        "handoffs": ["ag_other"],
        "metadata": {"team": "support"},
        "version_message": "first",
    }
    assert isinstance(agent, Agent)
    assert agent.id.startswith("ag_") and agent.version == 0 and agent.versions == [0]
    assert [type(t) for t in agent.tools] == [
        FunctionTool,
        WebSearchTool,
        WebSearchPremiumTool,
        CodeInterpreterTool,
        ImageGenerationTool,
        DocumentLibraryTool,
        CustomConnector,
        WebSearchTool,
    ]
    assert agent.tools[0].function.name == "get_weather"  # type: ignore[union-attr]
    connector = agent.tools[6]
    assert isinstance(connector, CustomConnector)
    assert connector.authorization == APIKeyAuth(value="k")
    assert agent.completion_args is not None and agent.completion_args.temperature == 0.3
    assert agent.completion_args.response_format == ResponseFormat(type="json_object")
    assert agent.metadata == {"team": "support"} and agent.version_message == "first"


async def test_create_sends_only_what_is_given(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        agent = await client.beta.agents.create(model=MODEL, name="Bare", description=None)
    assert fake_mistral.last_request.json == {"model": MODEL, "name": "Bare", "description": None}
    assert agent.tools == [] and agent.instructions is None and agent.source == "api"


async def test_unknown_tool_kinds_are_kept(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        created = await client.beta.agents.create(
            model=MODEL, name="Future", tools=[{"type": "web_search"}]
        )
        # A tool kind this SDK does not know yet, as the API may send one some day.
        stored = fake_mistral.state(AgentsState).get(created.id)
        assert stored is not None
        stored.versions[0]["tools"] = [{"type": "time_travel", "year": 2100}]
        agent = await client.beta.agents.get(created.id)
    assert agent.tools == [{"type": "time_travel", "year": 2100}]


# -- versions and aliases ----------------------------------------------------------------------


async def test_update_makes_versions_and_aliases_name_them(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        agents = client.beta.agents
        agent = await agents.create(model=MODEL, name="Versioned", instructions="v0")
        updated = await agents.update(
            agent.id, instructions="v1", description=None, version_message="tighter"
        )
        assert fake_mistral.last_request.method == "PATCH"
        assert fake_mistral.last_request.path == f"/v1/agents/{agent.id}"
        assert fake_mistral.last_request.json == {
            "instructions": "v1",
            "description": None,
            "version_message": "tighter",
        }
        assert (updated.version, updated.versions, updated.instructions) == (1, [0, 1], "v1")
        assert updated.name == "Versioned"  # what is not given stays

        versions = [v async for v in agents.list_versions(agent.id, page_size=1)]
        assert [(v.version, v.instructions) for v in versions] == [(0, "v0"), (1, "v1")]
        old = await agents.get(agent.id, agent_version=0)
        assert fake_mistral.last_request.query == {"agent_version": "0"}
        assert (old.version, old.instructions) == (0, "v0")
        assert (await agents.get_version(agent.id, 1)).instructions == "v1"
        assert fake_mistral.last_request.path == f"/v1/agents/{agent.id}/versions/1"

        back = await agents.update_version(agent.id, version=0)
        assert fake_mistral.last_request.query == {"version": "0"}
        assert (back.version, back.instructions) == (0, "v0")
        assert (await agents.get(agent.id)).version == 0

        alias = await agents.create_version_alias(agent.id, alias="prod", version=1)
        assert fake_mistral.last_request.method == "PUT"
        assert fake_mistral.last_request.query == {"alias": "prod", "version": "1"}
        assert isinstance(alias, AgentAliasResponse)
        assert (alias.alias, alias.version) == ("prod", 1)
        assert (await agents.get(agent.id, agent_version="prod")).instructions == "v1"
        assert (await agents.get_version(agent.id, "prod")).version == 1
        moved = await agents.create_version_alias(agent.id, alias="prod", version=0)
        assert moved.version == 0 and moved.created_at == alias.created_at
        await agents.create_version_alias(agent.id, alias="canary", version=1)
        aliases = await agents.list_version_aliases(agent.id)
        assert [(a.alias, a.version) for a in aliases] == [("prod", 0), ("canary", 1)]

        assert await agents.delete_version_alias(agent.id, alias="prod") is None
        assert fake_mistral.last_request.method == "DELETE"
        assert fake_mistral.last_request.query == {"alias": "prod"}
        assert [a.alias for a in await agents.list_version_aliases(agent.id)] == ["canary"]
        with pytest.raises(NotFoundError):
            await agents.get(agent.id, agent_version="prod")
        with pytest.raises(NotFoundError):
            await agents.update_version(agent.id, version=7)
        with pytest.raises(NotFoundError):
            await agents.delete_version_alias(agent.id, alias="prod")


# -- listing -----------------------------------------------------------------------------------


async def _five(client: AsyncMistral) -> list[Agent]:
    return [
        await client.beta.agents.create(
            model=MODEL, name=f"agent-{i}", metadata={"team": "a" if i % 2 else "b"}
        )
        for i in range(5)
    ]


async def test_list_pages_by_number_and_filters(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        created = await _five(client)
        fake_mistral.clear_requests()
        names = [a.name async for a in client.beta.agents.list(page_size=2)]
        assert names == [a.name for a in created]
        assert [r.query.get("page", "0") for r in fake_mistral.requests] == ["0", "1", "2"]
        first = await client.beta.agents.list(page=1, page_size=2)
        assert [a.name for a in first] == ["agent-2", "agent-3"]

        by_name = await client.beta.agents.list(name="agent-3")
        assert [a.id for a in by_name] == [created[3].id]
        by_search = await client.beta.agents.list(search=created[4].id[-6:])
        assert [a.id for a in by_search] == [created[4].id]
        by_metadata = await client.beta.agents.list(metadata={"team": "a"})
        assert json.loads(fake_mistral.last_request.query["metadata"]) == {"team": "a"}
        assert [a.name for a in by_metadata] == ["agent-1", "agent-3"]
        assert await client.beta.agents.list(sources=["playground"]) == []
        assert fake_mistral.last_request.query["sources"] == "playground"
        assert len(await client.beta.agents.list(id=created[0].id, deployment_chat=False)) == 1


async def test_list_pages_follows_the_cursor(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        created = await _five(client)
        first = await client.beta.agents.list_pages(page_size=2)
        assert isinstance(first, AgentListPage) and first.next_page_token
        assert [a.name for a in first.data] == ["agent-0", "agent-1"]
        second = await client.beta.agents.list_pages(page_size=2, page_token=first.next_page_token)
        assert fake_mistral.last_request.query["page_token"] == first.next_page_token
        assert [a.name for a in second.data] == ["agent-2", "agent-3"]
        every = [a.id async for a in client.beta.agents.list_pages(page_size=2)]
        assert every == [a.id for a in created]
        pages = [p async for p in client.beta.agents.list_pages(page_size=2).pages()]
        assert [len(p.data) for p in pages] == [2, 2, 1] and pages[-1].next_page_token is None
        only_b = [a.name async for a in client.beta.agents.list_pages(metadata={"team": "b"})]
        assert only_b == ["agent-0", "agent-2", "agent-4"]


async def test_delete(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        agent = await client.beta.agents.create(model=MODEL, name="Doomed")
        assert await client.beta.agents.delete(agent.id) is None
        assert fake_mistral.last_request.method == "DELETE"
        with pytest.raises(NotFoundError, match="Agent not found"):
            await client.beta.agents.get(agent.id)
        with pytest.raises(NotFoundError):
            await client.beta.agents.delete(agent.id)
        raw_agent = await client.beta.agents.create(model=MODEL, name="Raw")
        raw = await client.with_raw_response.beta.agents.delete(raw_agent.id)
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 204 and raw.parse() is None and raw.request_id


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda a: a.create(model="", name="n"), "model"),
        (lambda a: a.create(model=MODEL, name=3), "name"),
        (lambda a: a.create(model=MODEL, name="n", tools="web_search"), "tools"),
        (lambda a: a.create(model=MODEL, name="n", tools=[3]), "tools[0]"),
        (
            lambda a: a.create(model=MODEL, name="n", completion_args={"temperature": 1.5}),
            "completion_args.temperature",
        ),
        (
            lambda a: a.create(model=MODEL, name="n", completion_args=CompletionArgs(top_p=2)),
            "completion_args.top_p",
        ),
        (
            lambda a: a.create(model=MODEL, name="n", completion_args={"tool_choice": "maybe"}),
            "completion_args.tool_choice",
        ),
        (lambda a: a.create(model=MODEL, name="n", completion_args="hot"), "completion_args"),
        (lambda a: a.create(model=MODEL, name="n", handoffs=[]), "handoffs"),
        (lambda a: a.create(model=MODEL, name="n", version_message="x" * 501), "version_message"),
        (lambda a: a.create(model=MODEL, name="n", metadata=["k"]), "metadata"),
        (lambda a: a.update("ag_1", deployment_chat="yes"), "deployment_chat"),
        (lambda a: a.update("", name="n"), "agent_id"),
        (lambda a: a.get("ag_1", agent_version=True), "agent_version"),
        (lambda a: a.update_version("ag_1", version="1"), "version"),
        (lambda a: a.get_version("ag_1", -1), "version"),
        (lambda a: a.create_version_alias("ag_1", alias="Prod", version=1), "alias"),
        (lambda a: a.create_version_alias("ag_1", alias="p" * 65, version=1), "alias"),
        (lambda a: a.create_version_alias("ag_1", alias="prod-", version=1), "alias"),
        (lambda a: a.delete_version_alias("ag_1", alias=""), "alias"),
    ],
)
async def test_bad_input_is_refused_before_sending(
    fake_mistral: FakeMistral, call: Any, param: str
) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(InvalidParameterError) as caught:
            await call(client.beta.agents)
    assert caught.value.param == param
    assert fake_mistral.requests == []


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda a: a.list(page=-1), "page"),
        (lambda a: a.list(page_size=0), "page_size"),
        (lambda a: a.list(page_size=1001), "page_size"),
        (lambda a: a.list(sources=["web"]), "sources[0]"),
        (lambda a: a.list(sources="api"), "sources"),
        (lambda a: a.list(metadata={"k": object()}), "metadata"),
        (lambda a: a.list(deployment_chat="no"), "deployment_chat"),
        (lambda a: a.list_pages(page_token=5), "page_token"),
        (lambda a: a.list_versions("ag_1", page_size=101), "page_size"),
    ],
)
def test_bad_list_input_is_refused_at_once(call: Any, param: str) -> None:
    client = AsyncMistral(api_key="k", server_url="http://127.0.0.1:9")
    with pytest.raises(InvalidParameterError) as caught:
        call(client.beta.agents)
    assert caught.value.param == param


async def test_the_fake_validates_like_the_api(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(UnprocessableEntityError) as caught:
            await client.beta.agents.create(
                model=MODEL, name="n", extra_body={"tools": [{"type": "document_library"}]}
            )
        detail = caught.value.detail
        assert isinstance(detail, list)
        assert detail[0]["loc"] == ["body", "tools", 0, "document_library", "library_ids"]
        assert detail[0]["type"] == "missing"
        agent = await client.beta.agents.create(model=MODEL, name="n")
        with pytest.raises(UnprocessableEntityError):
            await client.beta.agents.update_version(
                agent.id, version=0, extra_query={"version": "x"}
            )
        with pytest.raises(UnprocessableEntityError):
            await client.beta.agents.list_pages(page_token="not-a-cursor")


# -- blocking ----------------------------------------------------------------------------------


def test_blocking_client_every_method(fake_mistral: FakeMistral) -> None:
    with blocking_for(fake_mistral) as client:
        agents = client.beta.agents
        agent = agents.create(model=MODEL, name="Sync", tools=[WebSearchTool()])
        assert isinstance(agent, Agent) and agent.tools == [WebSearchTool()]
        other = agents.create(model=MODEL, name="Other")
        assert [a.id for a in agents.list(page_size=1)] == [agent.id, other.id]
        assert [a.id for a in agents.list_pages(page_size=1)] == [agent.id, other.id]
        assert agents.list_pages(page_size=1).first_page().next_page_token
        assert agents.get(agent.id).name == "Sync"
        assert agents.update(agent.id, name="Sync 2").version == 1
        assert [v.name for v in agents.list_versions(agent.id)] == ["Sync", "Sync 2"]
        assert agents.get_version(agent.id, 0).name == "Sync"
        assert agents.update_version(agent.id, version=0).name == "Sync"
        assert agents.create_version_alias(agent.id, alias="stable", version=1).version == 1
        assert agents.get(agent.id, agent_version="stable").name == "Sync 2"
        assert [a.alias for a in agents.list_version_aliases(agent.id)] == ["stable"]
        assert agents.delete_version_alias(agent.id, alias="stable") is None
        assert agents.list_version_aliases(agent.id) == []
        assert agents.delete(agent.id) is None
        with pytest.raises(NotFoundError):
            agents.get(agent.id)
        assert [a.id for a in agents.list()] == [other.id]


# -- the example -------------------------------------------------------------------------------


def test_example_runs_against_the_fake(fake_mistral: FakeMistral) -> None:
    env = {
        "MISTRAL_API_KEY": fake_mistral.api_key,
        "MISTRAL_SERVER_URL": fake_mistral.url,
        "PYTHONPATH": str(REPO),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-W", "error", str(REPO / "examples" / "beta_agents.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "Created agent ag_" in out
    assert "Current version: 1 of [0, 1]" in out
    assert "Alias prod -> version 0: Answer in one sentence." in out
    assert "Sync: 2 agents" in out

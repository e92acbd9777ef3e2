"""Cases of the ``beta.agents`` group.

Every call but create and the listings needs an agent on the fake server: the setups make
one with ``beta.agents.create`` (and update it, alias it, page it) and give its id. The
listings of agents and of versions answer bare arrays, hence ``response_type=list``; the
deletes answer 204 without a body.
"""

from __future__ import annotations

from typing import Any

from mistral_async import AsyncMistral
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
    OAuth2TokenAuth,
    ToolConfiguration,
    WebSearchPremiumTool,
    WebSearchTool,
)
from mistral_async.types.chat import Function, JsonSchema, Prediction, ResponseFormat

from ..case import Case

MODEL = "mistral-medium-latest"
TOOLS: list[Any] = [
    FunctionTool(
        function=Function(
            name="get_weather",
            parameters={"type": "object", "properties": {"city": {"type": "string"}}},
            description="The weather in a city.",
            strict=True,
        )
    ),
    WebSearchTool(tool_configuration=ToolConfiguration(include=["news"], exclude=[])),
    WebSearchPremiumTool(),
    CodeInterpreterTool(tool_configuration=ToolConfiguration(requires_confirmation=["run"])),
    ImageGenerationTool(),
    DocumentLibraryTool(library_ids=["lib_1", "lib_2"]),
    CustomConnector(connector_id="conn_1", authorization=APIKeyAuth(value="secret")),
    {"type": "connector", "connector_id": "conn_2", "authorization": None},
    CustomConnector(connector_id="conn_3", authorization=OAuth2TokenAuth(value="token")),
]
COMPLETION_ARGS = CompletionArgs(
    stop=["\n\n"],
    presence_penalty=0.5,
    frequency_penalty=-0.5,
    temperature=0.3,
    top_p=0.9,
    max_tokens=512,
    random_seed=7,
    prediction=Prediction("The weather"),
    response_format=ResponseFormat(
        "json_schema", JsonSchema("report", {"type": "object"}, description="A report")
    ),
    tool_choice="auto",
    reasoning_effort="low",
)
GUARDRAILS = [{"block_on_error": True, "moderation_llm_v1": {"action": "block"}}]


async def agent(client: AsyncMistral) -> str:
    """Create an agent; its id."""
    created = await client.beta.agents.create(model=MODEL, name="Conformance")
    return created.id


async def versioned(client: AsyncMistral) -> str:
    """An agent with versions 0 and 1 and the alias ``prod`` on 0; its id."""
    agent_id = await agent(client)
    await client.beta.agents.update(agent_id, instructions="Second version.")
    await client.beta.agents.create_version_alias(agent_id, alias="prod", version=0)
    return agent_id


async def cursor(client: AsyncMistral) -> str:
    """Three agents; the cursor of the second page of one agent each."""
    for _ in range(3):
        await agent(client)
    page = await client.beta.agents.list_pages(page_size=1)
    assert page.next_page_token is not None
    return page.next_page_token


CASES: dict[str, Case] = {
    "agents_api_v1_agents_create": Case(
        method="beta.agents.create",
        kwargs={
            "model": MODEL,
            "name": "Weather helper",
            "instructions": "Answer briefly.",
            "tools": TOOLS,
            "completion_args": COMPLETION_ARGS,
            "guardrails": GUARDRAILS,
            "description": "Tells the weather.",
            "handoffs": ["ag_other"],
            "metadata": {"team": "support", "tier": 2},
            "version_message": "First version.",
        },
        response_type=Agent,
    ),
    "agents_api_v1_agents_create:nulls": Case(
        method="beta.agents.create",
        kwargs={
            "model": MODEL,
            "name": "Nulls",
            "instructions": None,
            "guardrails": None,
            "description": None,
            "handoffs": None,
            "metadata": None,
            "version_message": None,
            "completion_args": {"stop": None, "tool_choice": "none", "reasoning_effort": None},
        },
        response_type=Agent,
    ),
    "agents_api_v1_agents_list": Case(
        method="beta.agents.list",
        setup=agent,
        kwargs={
            "page": 0,
            "page_size": 50,
            "deployment_chat": False,
            "sources": ["api", "playground", "agent_builder_v1"],
            "name": "Conformance",
            "search": "Conf",
            "id": "ag_1",
            "metadata": {"team": "support"},
        },
        returns="paginator",
        response_type=list,
    ),
    "agents_api_v1_agents_list_pages": Case(
        method="beta.agents.list_pages",
        setup=cursor,
        kwargs=lambda token: {
            "page_size": 1,
            "deployment_chat": False,
            "sources": ["api"],
            "name": "Conformance",
            "search": "Conf",
            "id": None,
            "page_token": token,
            "metadata": {"team": "support"},
        },
        returns="paginator",
        response_type=AgentListPage,
    ),
    "agents_api_v1_agents_get": Case(
        method="beta.agents.get",
        setup=versioned,
        args=lambda agent_id: (agent_id,),
        kwargs={"agent_version": 1},
        response_type=Agent,
    ),
    "agents_api_v1_agents_get:alias": Case(
        method="beta.agents.get",
        setup=versioned,
        kwargs=lambda agent_id: {"agent_id": agent_id, "agent_version": "prod"},
        response_type=Agent,
    ),
    "agents_api_v1_agents_update": Case(
        method="beta.agents.update",
        setup=agent,
        args=lambda agent_id: (agent_id,),
        kwargs={
            "instructions": "Answer in French.",
            "tools": TOOLS[:3],
            "completion_args": {"temperature": 0.1, "max_tokens": 100},
            "guardrails": None,
            "model": "mistral-large-latest",
            "name": "Renamed",
            "description": None,
            "handoffs": ["ag_other"],
            "deployment_chat": True,
            "metadata": {"tier": 3},
            "version_message": "Second version.",
        },
        response_type=Agent,
    ),
    "agents_api_v1_agents_delete": Case(
        method="beta.agents.delete",
        setup=agent,
        args=lambda agent_id: (agent_id,),
        note="204 No Content: the method returns None",
    ),
    "agents_api_v1_agents_update_version": Case(
        method="beta.agents.update_version",
        setup=versioned,
        args=lambda agent_id: (agent_id,),
        kwargs={"version": 0},
        response_type=Agent,
    ),
    "agents_api_v1_agents_list_versions": Case(
        method="beta.agents.list_versions",
        setup=versioned,
        args=lambda agent_id: (agent_id,),
        kwargs={"page": 0, "page_size": 100},
        returns="paginator",
        response_type=list,
    ),
    "agents_api_v1_agents_get_version": Case(
        method="beta.agents.get_version",
        setup=versioned,
        args=lambda agent_id: (agent_id, 1),
        response_type=Agent,
    ),
    "agents_api_v1_agents_create_or_update_alias": Case(
        method="beta.agents.create_version_alias",
        setup=versioned,
        args=lambda agent_id: (agent_id,),
        kwargs={"alias": "release-2_candidate", "version": 1},
        response_type=AgentAliasResponse,
    ),
    "agents_api_v1_agents_list_version_aliases": Case(
        method="beta.agents.list_version_aliases",
        setup=versioned,
        args=lambda agent_id: (agent_id,),
        response_type=list,
    ),
    "agents_api_v1_agents_delete_alias": Case(
        method="beta.agents.delete_version_alias",
        setup=versioned,
        args=lambda agent_id: (agent_id,),
        kwargs={"alias": "prod"},
        note="204 No Content: the method returns None",
    ),
}

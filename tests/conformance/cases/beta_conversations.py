"""Cases of the ``beta.conversations`` group.

Every call but start and list needs a conversation on the fake server: :func:`conversation`
starts one and gives its id and the id of its answer (the entry restarts start from). The
``#stream`` twins go to the same paths with ``"stream": true``; their events are
:data:`ConversationEvent`. The listing answers a bare array, hence ``response_type=list``;
delete answers 204 without a body.
"""

from __future__ import annotations

from typing import Any

from mistral_async import AsyncMistral
from mistral_async.types.beta_agents import CompletionArgs, WebSearchTool
from mistral_async.types.chat import ImageURLChunk, TextChunk, ThinkChunk
from mistral_async.types.conversations import (
    AgentConversation,
    ConversationEvent,
    ConversationHistory,
    ConversationMessages,
    ConversationResponse,
    FunctionCallEntry,
    FunctionResultEntry,
    MessageInputEntry,
    MessageOutputEntry,
    ModelConversation,
    ToolCallConfirmation,
)

from ..case import Case
from .beta_agents import COMPLETION_ARGS, GUARDRAILS, TOOLS

MODEL = "mistral-medium-latest"
INPUTS: list[Any] = [
    MessageInputEntry(
        content=[TextChunk("What is in this picture?"), ImageURLChunk("https://example.com/a.png")]
    ),
    MessageOutputEntry(content="A cat.", model=MODEL),
    FunctionCallEntry(tool_call_id="call_1", name="get_weather", arguments='{"city": "Paris"}'),
    FunctionResultEntry(tool_call_id="call_1", result='{"weather": "sunny"}'),
    {"role": "assistant", "content": [ThinkChunk([TextChunk("Hmm.")])], "prefix": True},
    {"type": "message.input", "role": "user", "content": "And the weather?"},
]


async def conversation(client: AsyncMistral) -> dict[str, str]:
    """Start a conversation; its id and the id of its answer."""
    started = await client.beta.conversations.start(model=MODEL, inputs="Hi")
    answer = started.outputs[0]
    assert isinstance(answer, MessageOutputEntry) and answer.id is not None
    return {"conversation_id": started.conversation_id, "entry_id": answer.id}


async def agent(client: AsyncMistral) -> str:
    """Create an agent with a version 1 aliased ``prod``; its id."""
    created = await client.beta.agents.create(model=MODEL, name="Conformance")
    await client.beta.agents.update(created.id, instructions="Second version.")
    await client.beta.agents.create_version_alias(created.id, alias="prod", version=1)
    return created.id


START: dict[str, Any] = {
    "inputs": INPUTS,
    "store": True,
    "handoff_execution": "server",
    "instructions": "Answer briefly.",
    "tools": TOOLS,
    "completion_args": COMPLETION_ARGS,
    "guardrails": GUARDRAILS,
    "name": "Conformance",
    "description": "A conversation of the conformance suite.",
    "metadata": {"suite": "conformance", "run": 1},
    "model": MODEL,
}
APPEND: dict[str, Any] = {
    "inputs": [{"role": "user", "content": "More, please."}],
    "store": False,
    "handoff_execution": "client",
    "completion_args": CompletionArgs(temperature=0.2, tool_choice="none"),
    "tool_confirmations": [
        ToolCallConfirmation(tool_call_id="call_1", confirmation="allow"),
        {"tool_call_id": "call_2", "confirmation": "deny"},
    ],
}


def _restart(state: dict[str, str]) -> dict[str, Any]:
    return {
        "conversation_id": state["conversation_id"],
        "from_entry_id": state["entry_id"],
        "inputs": "Start over.",
        "store": True,
        "handoff_execution": "server",
        "completion_args": {"max_tokens": 64, "stop": "END"},
        "guardrails": GUARDRAILS,
        "metadata": {"restarted": True},
        "agent_version": None,
    }


def _by_id(state: dict[str, str]) -> tuple[str]:
    return (state["conversation_id"],)


CASES: dict[str, Case] = {
    "agents_api_v1_conversations_start": Case(
        method="beta.conversations.start",
        kwargs=START,
        response_type=ConversationResponse,
    ),
    "agents_api_v1_conversations_start:agent": Case(
        method="beta.conversations.start",
        setup=agent,
        kwargs=lambda agent_id: {
            "inputs": "Hi",
            "agent_id": agent_id,
            "agent_version": "prod",
            "store": None,
            "handoff_execution": None,
            "completion_args": None,
            "tools": None,
            "metadata": None,
        },
        response_type=ConversationResponse,
    ),
    "agents_api_v1_conversations_start:version-number": Case(
        method="beta.conversations.start",
        setup=agent,
        kwargs=lambda agent_id: {"inputs": "Hi", "agent_id": agent_id, "agent_version": 0},
        response_type=ConversationResponse,
    ),
    "agents_api_v1_conversations_list": Case(
        method="beta.conversations.list",
        setup=conversation,
        kwargs={"page": 0, "page_size": 10, "metadata": {"suite": "conformance"}},
        returns="paginator",
        response_type=list,
    ),
    "agents_api_v1_conversations_get": Case(
        method="beta.conversations.get",
        setup=conversation,
        args=_by_id,
        response_type=ModelConversation | AgentConversation,
    ),
    "agents_api_v1_conversations_delete": Case(
        method="beta.conversations.delete",
        setup=conversation,
        args=_by_id,
        note="204 No Content: the method returns None",
    ),
    "agents_api_v1_conversations_append": Case(
        method="beta.conversations.append",
        setup=conversation,
        args=_by_id,
        kwargs=APPEND,
        response_type=ConversationResponse,
    ),
    "agents_api_v1_conversations_history": Case(
        method="beta.conversations.get_history",
        setup=conversation,
        args=_by_id,
        response_type=ConversationHistory,
    ),
    "agents_api_v1_conversations_messages": Case(
        method="beta.conversations.get_messages",
        setup=conversation,
        args=_by_id,
        response_type=ConversationMessages,
    ),
    "agents_api_v1_conversations_restart": Case(
        method="beta.conversations.restart",
        setup=conversation,
        kwargs=_restart,
        response_type=ConversationResponse,
    ),
    "agents_api_v1_conversations_start_stream": Case(
        method="beta.conversations.start_stream",
        kwargs={**START, "tools": [WebSearchTool()], "completion_args": {"temperature": 0.5}},
        returns="stream",
        response_type=ConversationEvent,
    ),
    "agents_api_v1_conversations_append_stream": Case(
        method="beta.conversations.append_stream",
        setup=conversation,
        args=_by_id,
        kwargs=APPEND,
        returns="stream",
        response_type=ConversationEvent,
    ),
    "agents_api_v1_conversations_restart_stream": Case(
        method="beta.conversations.restart_stream",
        setup=conversation,
        kwargs=_restart,
        returns="stream",
        response_type=ConversationEvent,
    ),
}

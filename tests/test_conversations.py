"""``client.beta.conversations``, async and blocking, over real HTTP to the fake server.

Streams are checked as typed events, with unknown event types passed through and error
events raised; :class:`ConversationAccumulator` is checked on a recorded transcript.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from mistral_async import (
    APIConnectionError,
    APIStreamError,
    AsyncMistral,
    InvalidParameterError,
    Mistral,
    NotFoundError,
    RawResponse,
    UnprocessableEntityError,
    _streaming,
)
from mistral_async._converter import structure
from mistral_async.lib.conversation_stream import AsyncConversationStream, ConversationAccumulator
from mistral_async.testing import FakeMistral
from mistral_async.testing._app import Call, FakeApp
from mistral_async.types.beta_agents import FunctionTool, WebSearchTool
from mistral_async.types.chat import Function, TextChunk, ToolReferenceChunk
from mistral_async.types.conversations import (
    AgentConversation,
    AgentHandoffDoneEvent,
    AgentHandoffEntry,
    AgentHandoffStartedEvent,
    ConversationEvent,
    ConversationHistory,
    ConversationMessages,
    ConversationResponse,
    ConversationUsageInfo,
    FunctionCallEntry,
    FunctionCallEvent,
    FunctionResultEntry,
    MessageInputEntry,
    MessageOutputEntry,
    MessageOutputEvent,
    ModelConversation,
    ResponseDoneEvent,
    ResponseStartedEvent,
    ToolExecutionDeltaEvent,
    ToolExecutionDoneEvent,
    ToolExecutionEntry,
    ToolExecutionStartedEvent,
    ToolFileChunk,
    UnknownConversationEvent,
)

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parent.parent
MODEL = "mistral-small-latest"
PATH = "/v1/conversations"
WEATHER = FunctionTool(
    function=Function(
        name="get_weather",
        parameters={"type": "object", "properties": {"city": {"type": "string"}}},
    )
)


def reply(text: str) -> str:
    """The fake server's answer to a last user message ``text``."""
    return f"Hello! You said: {text}. This reply comes from the fake Mistral server."


def client_for(fake: FakeMistral) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url, max_retries=0)


def blocking_for(fake: FakeMistral) -> Any:
    return Mistral(api_key=fake.api_key, server_url=fake.url, max_retries=0)


# -- start, append, read -----------------------------------------------------------------------


async def test_start_with_a_model_then_append_and_read_the_history(
    fake_mistral: FakeMistral,
) -> None:
    async with client_for(fake_mistral) as client:
        conversations = client.beta.conversations
        started = await conversations.start(model=MODEL, inputs="Hi", instructions="Be brief.")
        assert fake_mistral.last_request.json == {
            "model": MODEL,
            "inputs": "Hi",
            "instructions": "Be brief.",
        }
        assert isinstance(started, ConversationResponse)
        assert started.conversation_id.startswith("conv_")
        (output,) = started.outputs
        assert isinstance(output, MessageOutputEntry)
        assert output.text == started.text == reply("Hi")
        assert output.model == MODEL and output.id
        usage = started.usage
        assert usage.completion_tokens == 16 and usage.prompt_tokens == 4  # instructions too
        assert usage.total_tokens == 20

        cid = started.conversation_id
        appended = await conversations.append(
            cid, inputs=[MessageInputEntry(content="Again"), {"role": "user", "content": "More"}]
        )
        assert fake_mistral.last_request.path == f"{PATH}/{cid}"
        assert fake_mistral.last_request.json == {
            "inputs": [
                {"content": "Again", "role": "user", "object": "entry", "type": "message.input"},
                {"role": "user", "content": "More"},
            ]
        }
        assert appended.conversation_id == cid and appended.text == reply("More")

        history = await conversations.get_history(cid)
        assert fake_mistral.last_request.path == f"{PATH}/{cid}/history"
        assert isinstance(history, ConversationHistory) and history.conversation_id == cid
        assert [type(e) for e in history.entries] == [
            MessageInputEntry,
            MessageOutputEntry,
            MessageInputEntry,
            MessageInputEntry,
            MessageOutputEntry,
        ]
        assert [e.text for e in history.entries] == [  # type: ignore[union-attr]
            "Hi",
            reply("Hi"),
            "Again",
            "More",
            reply("More"),
        ]
        assert history.entries[1].id == output.id  # type: ignore[union-attr]

        messages = await conversations.get_messages(cid)
        assert fake_mistral.last_request.path == f"{PATH}/{cid}/messages"
        assert isinstance(messages, ConversationMessages)
        assert len(messages.messages) == 5

        conversation = await conversations.get(cid)
        assert isinstance(conversation, ModelConversation)
        assert (conversation.id, conversation.model) == (cid, MODEL)
        assert conversation.instructions == "Be brief."


async def test_start_sends_every_given_parameter(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        await client.beta.conversations.start(
            inputs=[
                MessageInputEntry(content=[TextChunk("Look")], role="user"),
                {"type": "message.input", "role": "assistant", "content": "Sure", "prefix": True},
            ],
            store=True,
            handoff_execution="server",
            instructions="Be brief.",
            tools=[WebSearchTool(), {"type": "code_interpreter"}],
            completion_args={"temperature": 0.5, "max_tokens": 64, "tool_choice": "auto"},
            guardrails=[{"block_on_error": False}],
            name="Demo",
            description=None,
            metadata={"user": "42"},
            model=MODEL,
        )
    assert fake_mistral.last_request.json == {
        "inputs": [
            {
                "content": [{"text": "Look", "type": "text"}],
                "role": "user",
                "object": "entry",
                "type": "message.input",
            },
            {"type": "message.input", "role": "assistant", "content": "Sure", "prefix": True},
        ],
        "store": True,
        "handoff_execution": "server",
        "instructions": "Be brief.",
        "tools": [{"type": "web_search"}, {"type": "code_interpreter"}],
        "completion_args": {"temperature": 0.5, "max_tokens": 64, "tool_choice": "auto"},
        "guardrails": [{"block_on_error": False}],
        "name": "Demo",
        "description": None,
        "metadata": {"user": "42"},
        "model": MODEL,
    }


async def test_start_with_an_agent_at_a_version(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        agent = await client.beta.agents.create(model="mistral-large-latest", name="Guide")
        await client.beta.agents.update(agent.id, model="mistral-medium-latest")
        await client.beta.agents.create_version_alias(agent.id, alias="first", version=0)
        current = await client.beta.conversations.start(agent_id=agent.id, inputs="Hi")
        old = await client.beta.conversations.start(
            agent_id=agent.id, agent_version="first", inputs="Hi"
        )
        conversation = await client.beta.conversations.get(old.conversation_id)
    assert current.outputs[0].model == "mistral-medium-latest"  # type: ignore[union-attr]
    assert old.outputs[0].model == "mistral-large-latest"  # type: ignore[union-attr]
    assert old.outputs[0].agent_id == agent.id  # type: ignore[union-attr]
    assert isinstance(conversation, AgentConversation)
    assert (conversation.agent_id, conversation.agent_version) == (agent.id, "first")


async def test_functions_are_called_and_their_results_answered(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        conversations = client.beta.conversations
        asked = await conversations.start(
            model=MODEL,
            inputs="Weather in Lyon?",
            tools=[WEATHER],
            completion_args={"tool_choice": "any"},
        )
        call = asked.outputs[0]
        assert isinstance(call, FunctionCallEntry)
        assert call.name == "get_weather" and call.tool_call_id
        assert json.loads(call.arguments) == {"city": "example"}  # type: ignore[arg-type]
        answered = await conversations.append(
            asked.conversation_id,
            inputs=[FunctionResultEntry(tool_call_id=call.tool_call_id, result="sunny")],
            store=True,
            handoff_execution="server",
            completion_args={"max_tokens": 100},
            tool_confirmations=[{"tool_call_id": call.tool_call_id, "confirmation": "allow"}],
        )
        assert fake_mistral.last_request.json == {
            "inputs": [
                {
                    "tool_call_id": call.tool_call_id,
                    "result": "sunny",
                    "object": "entry",
                    "type": "function.result",
                }
            ],
            "store": True,
            "handoff_execution": "server",
            "completion_args": {"max_tokens": 100},
            "tool_confirmations": [{"tool_call_id": call.tool_call_id, "confirmation": "allow"}],
        }
        assert answered.text == "The function returned: sunny."
        history = await conversations.get_history(asked.conversation_id)
    assert [type(e) for e in history.entries] == [
        MessageInputEntry,
        FunctionCallEntry,
        FunctionResultEntry,
        MessageOutputEntry,
    ]


async def test_agents_run_built_in_tools_and_hand_over(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        expert = await client.beta.agents.create(model="mistral-large-latest", name="Expert")
        front = await client.beta.agents.create(
            model=MODEL, name="Front", tools=[WebSearchTool()], handoffs=[expert.id]
        )
        searched = await client.beta.conversations.start(agent_id=front.id, inputs="News?")
        run, message = searched.outputs
        assert isinstance(run, ToolExecutionEntry) and run.name == "web_search"
        assert json.loads(run.arguments) == {"query": "News?"}
        assert isinstance(message, MessageOutputEntry)
        text, reference = message.content
        assert text == TextChunk(reply("News?"))
        assert isinstance(reference, ToolReferenceChunk) and reference.tool == "web_search"
        assert searched.usage.connectors is not None
        assert list(searched.usage.connectors) == ["web_search"]
        assert searched.usage.connector_tokens == searched.usage.connectors["web_search"] > 0

        handed = await client.beta.conversations.start(agent_id=front.id, inputs="Ask the expert")
        handoff, answer = handed.outputs
        assert isinstance(handoff, AgentHandoffEntry)
        assert (handoff.previous_agent_id, handoff.next_agent_id) == (front.id, expert.id)
        assert (handoff.previous_agent_name, handoff.next_agent_name) == ("Front", "Expert")
        assert answer.agent_id == expert.id  # type: ignore[union-attr]
        client_side = await client.beta.conversations.start(
            agent_id=front.id, inputs="Ask the expert", handoff_execution="client"
        )
    assert [type(o) for o in client_side.outputs] == [AgentHandoffEntry]


async def test_restart_copies_the_history_up_to_an_entry(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        conversations = client.beta.conversations
        first = await conversations.start(model=MODEL, inputs="One", metadata={"k": "v"})
        await conversations.append(first.conversation_id, inputs="Two")
        cut = first.outputs[0].id  # type: ignore[union-attr]
        assert isinstance(cut, str)
        restarted = await conversations.restart(
            first.conversation_id,
            from_entry_id=cut,
            inputs="Three",
            store=True,
            handoff_execution="server",
            completion_args={"temperature": 0.1},
            guardrails=[],
            metadata={"k": "w"},
            agent_version=None,
        )
        assert fake_mistral.last_request.path == f"{PATH}/{first.conversation_id}/restart"
        assert fake_mistral.last_request.json == {
            "from_entry_id": cut,
            "inputs": "Three",
            "store": True,
            "handoff_execution": "server",
            "completion_args": {"temperature": 0.1},
            "guardrails": [],
            "metadata": {"k": "w"},
            "agent_version": None,
        }
        assert restarted.conversation_id != first.conversation_id
        assert restarted.text == reply("Three")
        new = await conversations.get_history(restarted.conversation_id)
        old = await conversations.get_history(first.conversation_id)
        assert [e.text for e in new.entries] == ["One", reply("One"), "Three", reply("Three")]  # type: ignore[union-attr]
        assert len(old.entries) == 4
        conversation = await conversations.get(restarted.conversation_id)
        assert conversation.metadata == {"k": "w"}
        with pytest.raises(NotFoundError, match="Entry not found"):
            await conversations.restart(first.conversation_id, from_entry_id="msg_nope")


async def test_list_store_and_delete(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        conversations = client.beta.conversations
        ids = [
            (
                await conversations.start(model=MODEL, inputs=str(i), metadata={"n": i % 2})
            ).conversation_id
            for i in range(3)
        ]
        unstored = await conversations.start(model=MODEL, inputs="x", store=False)
        assert unstored.text == reply("x")
        with pytest.raises(NotFoundError):
            await conversations.get(unstored.conversation_id)
        fake_mistral.clear_requests()
        listed = [c.id async for c in conversations.list(page_size=2)]
        assert listed == ids and len(fake_mistral.requests) == 2
        page = await conversations.list(page=1, page_size=2)
        assert [c.id for c in page] == ids[2:]
        odd = await conversations.list(metadata={"n": 1})
        assert json.loads(fake_mistral.last_request.query["metadata"]) == {"n": 1}
        assert [c.id for c in odd] == [ids[1]]

        assert await conversations.delete(ids[0]) is None
        assert fake_mistral.last_request.method == "DELETE"
        with pytest.raises(NotFoundError, match="Conversation not found"):
            await conversations.get_history(ids[0])
        raw = await client.with_raw_response.beta.conversations.delete(ids[1])
        assert isinstance(raw, RawResponse) and raw.status_code == 204 and raw.parse() is None
        assert [c.id async for c in conversations.list()] == [ids[2]]


async def test_errors_of_the_fake(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        conversations = client.beta.conversations
        with pytest.raises(UnprocessableEntityError) as caught:
            await conversations.start(inputs="Hi")
        assert caught.value.detail[0]["type"] == "value_error"  # type: ignore[index]
        with pytest.raises(UnprocessableEntityError):
            await conversations.start(inputs="Hi", model=MODEL, agent_id="ag_1")
        with pytest.raises(NotFoundError, match="Agent not found: ag_missing"):
            await conversations.start(inputs="Hi", agent_id="ag_missing")
        with pytest.raises(NotFoundError):
            await conversations.append("conv_missing", inputs="Hi")
        with pytest.raises(UnprocessableEntityError) as caught:
            await conversations.start(
                model=MODEL, inputs="Hi", extra_body={"inputs": [{"type": "function.result"}]}
            )
        locs = [d["loc"] for d in caught.value.detail]  # type: ignore[union-attr]
        assert ["body", "inputs", 0, "function.result", "tool_call_id"] in locs


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda c: c.start(inputs=5, model=MODEL), "inputs"),
        (lambda c: c.start(inputs=[3], model=MODEL), "inputs[0]"),
        (lambda c: c.start(inputs="Hi", model=""), "model"),
        (
            lambda c: c.start(inputs="Hi", model=MODEL, handoff_execution="both"),
            "handoff_execution",
        ),
        (lambda c: c.start(inputs="Hi", model=MODEL, store="yes"), "store"),
        (lambda c: c.start(inputs="Hi", model=MODEL, tools={"type": "x"}), "tools"),
        (
            lambda c: c.start(inputs="Hi", model=MODEL, completion_args={"max_tokens": -1}),
            "completion_args.max_tokens",
        ),
        (lambda c: c.start(inputs="Hi", agent_id="ag_1", agent_version=1.5), "agent_version"),
        (lambda c: c.append("conv_1", inputs="Hi", store=None), "store"),
        (lambda c: c.append("conv_1", completion_args=None), "completion_args"),
        (
            lambda c: c.append("conv_1", tool_confirmations=[{"confirmation": "maybe"}]),
            "tool_confirmations[0].confirmation",
        ),
        (lambda c: c.append("", inputs="Hi"), "conversation_id"),
        (lambda c: c.restart("conv_1", from_entry_id=""), "from_entry_id"),
        (lambda c: c.get(""), "conversation_id"),
        (lambda c: c.get_history(None), "conversation_id"),
    ],
)
async def test_bad_input_is_refused_before_sending(
    fake_mistral: FakeMistral, call: Any, param: str
) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(InvalidParameterError) as caught:
            await call(client.beta.conversations)
    assert caught.value.param == param
    assert fake_mistral.requests == []


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda c: c.start_stream(inputs=None, model=MODEL), "inputs"),
        (lambda c: c.append_stream("conv_1", handoff_execution="x"), "handoff_execution"),
        (lambda c: c.restart_stream("conv_1", from_entry_id=3), "from_entry_id"),
        (lambda c: c.restart_stream("", from_entry_id="e"), "conversation_id"),
        (lambda c: c.list(page=-1), "page"),
        (lambda c: c.list(metadata="k=v"), "metadata"),
    ],
)
def test_bad_stream_and_list_input_is_refused_at_once(call: Any, param: str) -> None:
    client = AsyncMistral(api_key="k", server_url="http://127.0.0.1:9")
    with pytest.raises(InvalidParameterError) as caught:
        call(client.beta.conversations)
    assert caught.value.param == param


# -- streams -----------------------------------------------------------------------------------


async def test_start_stream_gives_typed_events_and_folds_them(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        stream = client.beta.conversations.start_stream(model=MODEL, inputs="Stream it")
        assert isinstance(stream, AsyncConversationStream)
        async with stream:
            events = [event async for event in stream]
            final = await stream.get_final_response()
        sent = fake_mistral.last_request
        assert sent.json == {"model": MODEL, "inputs": "Stream it", "stream": True}
        assert sent.headers["accept"] == "text/event-stream"
        started, *deltas, done = events
        assert isinstance(started, ResponseStartedEvent)
        assert all(isinstance(d, MessageOutputEvent) for d in deltas) and len(deltas) > 5
        assert "".join(d.text for d in deltas) == reply("Stream it")  # type: ignore[union-attr]
        assert isinstance(done, ResponseDoneEvent) and done.usage.total_tokens > 0
        assert final.conversation_id == started.conversation_id
        assert final.text == reply("Stream it") and final.usage == done.usage
        (output,) = final.outputs
        assert isinstance(output, MessageOutputEntry)
        assert output.id == deltas[0].id and output.model == MODEL  # type: ignore[union-attr]
        history = await client.beta.conversations.get_history(final.conversation_id)
    assert history.entries[1].id == output.id  # type: ignore[union-attr]


async def test_append_and_restart_streams(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        conversations = client.beta.conversations
        started = await conversations.start(model=MODEL, inputs="One")
        cid = started.conversation_id
        async with conversations.append_stream(cid, inputs="Two", store=True) as stream:
            appended = await stream.get_final_response()
        assert fake_mistral.last_request.path == f"{PATH}/{cid}"
        assert fake_mistral.last_request.json == {"inputs": "Two", "store": True, "stream": True}
        assert (appended.conversation_id, appended.text) == (cid, reply("Two"))
        first_output = started.outputs[0].id  # type: ignore[union-attr]
        async with conversations.restart_stream(
            conversation_id=cid, from_entry_id=first_output, inputs="Three"
        ) as stream:
            kinds = [type(event) async for event in stream]
            restarted = await stream.get_final_response()
        assert fake_mistral.last_request.path == f"{PATH}/{cid}/restart"
        assert fake_mistral.last_request.json["stream"] is True
        assert kinds[0] is ResponseStartedEvent and kinds[-1] is ResponseDoneEvent
        assert restarted.conversation_id != cid and restarted.text == reply("Three")


async def test_streamed_tools_calls_and_handoffs_fold_like_the_plain_answer(
    fake_mistral: FakeMistral,
) -> None:
    async with client_for(fake_mistral) as client:
        expert = await client.beta.agents.create(model=MODEL, name="Expert")
        front = await client.beta.agents.create(
            model=MODEL, name="Front", tools=[WebSearchTool()], handoffs=[expert.id]
        )
        conversations = client.beta.conversations
        async with conversations.start_stream(agent_id=front.id, inputs="News?") as stream:
            events = [e async for e in stream]
            searched = await stream.get_final_response()
        kinds = [type(e) for e in events]
        assert kinds[:3] == [
            ResponseStartedEvent,
            ToolExecutionStartedEvent,
            ToolExecutionDeltaEvent,
        ]
        assert ToolExecutionDoneEvent in kinds
        reference = [e for e in events if isinstance(e, MessageOutputEvent)][-1]
        assert isinstance(reference.content, ToolReferenceChunk) and reference.content_index == 1
        run, message = searched.outputs
        assert isinstance(run, ToolExecutionEntry) and json.loads(run.arguments) == {
            "query": "News?"
        }
        assert isinstance(message, MessageOutputEntry)
        assert message.content[0] == TextChunk(reply("News?"))
        assert isinstance(message.content[1], ToolReferenceChunk)

        async with conversations.start_stream(
            model=MODEL, inputs="Hi", tools=[WEATHER], completion_args={"tool_choice": "required"}
        ) as stream:
            events = [e async for e in stream]
            called = await stream.get_final_response()
        pieces = [e for e in events if isinstance(e, FunctionCallEvent)]
        assert len(pieces) > 1 and {p.name for p in pieces} == {"get_weather"}
        (call,) = called.outputs
        assert isinstance(call, FunctionCallEntry)
        assert call.arguments == "".join(p.arguments for p in pieces) == '{"city": "example"}'
        assert call.tool_call_id == pieces[0].tool_call_id

        async with conversations.start_stream(agent_id=front.id, inputs="Expert please") as stream:
            events = [e async for e in stream]
            handed = await stream.get_final_response()
        assert [type(e) for e in events][1:3] == [AgentHandoffStartedEvent, AgentHandoffDoneEvent]
        handoff = handed.outputs[0]
        assert isinstance(handoff, AgentHandoffEntry)
        assert (handoff.previous_agent_name, handoff.next_agent_name) == ("Front", "Expert")
        assert handed.outputs[1].agent_id == expert.id  # type: ignore[union-attr]


async def test_folding_in_batches_gives_the_same_response(
    fake_mistral: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long streams are folded as they go, so memory stays flat; the result must not change.
    monkeypatch.setattr(_streaming, "_FOLD_EVERY", 3)
    async with client_for(fake_mistral) as client:
        async with client.beta.conversations.start_stream(model=MODEL, inputs="Batches") as s:
            seen = [e async for e in s]
            final = await s.get_final_response()
    assert len(seen) > 10
    assert final.text == reply("Batches") and final.usage.total_tokens > 0


async def test_a_cut_stream_raises_rather_than_ending_quietly(fake_mistral: FakeMistral) -> None:
    fake_mistral.cut_stream_after(4)
    async with client_for(fake_mistral) as client:
        with pytest.raises(APIConnectionError):
            async with client.beta.conversations.start_stream(model=MODEL, inputs="Hi") as s:
                await s.get_final_response()


def _custom_stream(*events: dict[str, Any]) -> Any:
    """An extra group answering ``POST /v1/conversations`` with ``events``."""

    def register(app: FakeApp) -> None:
        async def handler(call: Call) -> web.StreamResponse:
            await call.json()

            async def source() -> AsyncIterator[tuple[str | None, Any]]:
                for event in events:
                    yield event["type"], event

            return await call.sse(source(), terminator=None)

        app.route("POST", PATH, handler, replace=True)

    return register


STARTED = {"type": "conversation.response.started", "conversation_id": "conv_x"}
DELTA = {"type": "message.output.delta", "id": "msg_1", "content": "Hi"}
DONE = {"type": "conversation.response.done", "usage": {"total_tokens": 3}}


async def test_unknown_event_types_are_passed_through() -> None:
    custom = {"type": "conversation.response.thinking", "depth": 3}
    async with FakeMistral(extra_groups=[_custom_stream(STARTED, custom, DELTA, DONE)]) as fake:
        async with client_for(fake) as client:
            async with client.beta.conversations.start_stream(model=MODEL, inputs="x") as stream:
                events = [e async for e in stream]
                final = await stream.get_final_response()
    assert [type(e) for e in events] == [
        ResponseStartedEvent,
        UnknownConversationEvent,
        MessageOutputEvent,
        ResponseDoneEvent,
    ]
    unknown = events[1]
    assert unknown.type == "conversation.response.thinking"
    assert unknown.depth == 3 and unknown.extra_fields == {"depth": 3}
    assert (final.conversation_id, final.text, final.usage.total_tokens) == ("conv_x", "Hi", 3)


async def test_an_error_event_raises_after_the_events_before_it() -> None:
    error = {"type": "conversation.response.error", "message": "Model overloaded", "code": 503}
    late = {"type": "message.output.delta", "id": "msg_1", "content": "never"}
    async with FakeMistral(extra_groups=[_custom_stream(STARTED, DELTA, error, late)]) as fake:
        async with client_for(fake) as client:
            seen: list[Any] = []
            with pytest.raises(APIStreamError) as caught:
                async with client.beta.conversations.start_stream(model=MODEL, inputs="x") as s:
                    async for event in s:
                        seen.append(event)
    assert [type(e) for e in seen] == [ResponseStartedEvent, MessageOutputEvent]
    assert caught.value.message == "Model overloaded" and caught.value.code == "503"
    assert caught.value.request_id


async def test_the_stream_ends_with_the_done_event_without_done_marker() -> None:
    # Anything after the done event is never read as an event.
    after = {"type": "message.output.delta", "id": "msg_2", "content": "late"}
    async with FakeMistral(extra_groups=[_custom_stream(STARTED, DELTA, DONE, after)]) as fake:
        async with client_for(fake) as client:
            async with client.beta.conversations.start_stream(model=MODEL, inputs="x") as stream:
                events = [e async for e in stream]
    assert [type(e) for e in events][-1] is ResponseDoneEvent and len(events) == 3


def test_the_accumulator_folds_a_recorded_transcript() -> None:
    # Two outputs interleaved by index, text pieces around a non-text chunk, and a tool run.
    transcript = [
        STARTED,
        {"type": "tool.execution.started", "id": "t1", "name": "code_interpreter",
         "arguments": '{"code": ', "output_index": 0},
        {"type": "message.output.delta", "id": "m1", "content": "The plot", "output_index": 1,
         "model": MODEL},
        {"type": "tool.execution.delta", "id": "t1", "name": "code_interpreter",
         "arguments": '"plot()"}', "output_index": 0},
        {"type": "tool.execution.done", "id": "t1", "name": "code_interpreter",
         "info": {"ok": True}, "output_index": 0, "created_at": "2026-01-01T00:00:00Z"},
        {"type": "message.output.delta", "id": "m1", "content": " is", "output_index": 1},
        {"type": "message.output.delta", "id": "m1", "output_index": 1, "content_index": 1,
         "content": {"type": "tool_file", "tool": "code_interpreter", "file_id": "f1"}},
        {"type": "message.output.delta", "id": "m1", "output_index": 1, "content_index": 2,
         "content": {"type": "text", "text": "done."}},
        {"type": "conversation.response.future", "id": "x"},
        DONE,
    ]  # fmt: skip
    accumulator = ConversationAccumulator()
    accumulator.add(structure(e, ConversationEvent) for e in transcript)  # type: ignore[arg-type]
    result = accumulator.result()
    assert result == ConversationResponse(
        conversation_id="conv_x",
        outputs=[
            ToolExecutionEntry(
                name="code_interpreter",
                arguments='{"code": "plot()"}',
                id="t1",
                info={"ok": True},
                completed_at="2026-01-01T00:00:00Z",
            ),
            MessageOutputEntry(
                content=[
                    TextChunk("The plot is"),
                    ToolFileChunk(tool="code_interpreter", file_id="f1"),
                    TextChunk("done."),
                ],
                id="m1",
                model=MODEL,
            ),
        ],
        usage=ConversationUsageInfo(total_tokens=3),
    )


# -- blocking ----------------------------------------------------------------------------------


def test_blocking_client_every_method(fake_mistral: FakeMistral) -> None:
    with blocking_for(fake_mistral) as client:
        conversations = client.beta.conversations
        started = conversations.start(model=MODEL, inputs="Hi")
        cid = started.conversation_id
        assert started.text == reply("Hi")
        assert conversations.append(cid, inputs="Again").text == reply("Again")
        assert [type(e) for e in conversations.get_history(cid).entries] == [
            MessageInputEntry,
            MessageOutputEntry,
            MessageInputEntry,
            MessageOutputEntry,
        ]
        assert len(conversations.get_messages(cid).messages) == 4
        assert isinstance(conversations.get(cid), ModelConversation)
        assert [c.id for c in conversations.list(page_size=1)] == [cid]
        restarted = conversations.restart(cid, from_entry_id=started.outputs[0].id, inputs="Other")
        assert restarted.text == reply("Other")

        with conversations.start_stream(model=MODEL, inputs="Sync stream") as stream:
            events = list(stream)
            final = stream.get_final_response()
        assert isinstance(events[0], ResponseStartedEvent)
        assert final.text == reply("Sync stream")
        with conversations.append_stream(cid, inputs="More") as stream:
            assert stream.get_final_response().text == reply("More")
        with conversations.restart_stream(
            cid, from_entry_id=started.outputs[0].id, inputs="Again"
        ) as stream:
            assert stream.get_final_response().conversation_id != cid

        assert conversations.delete(cid) is None
        with pytest.raises(NotFoundError):
            conversations.get(cid)


# -- the example -------------------------------------------------------------------------------


def test_example_runs_against_the_fake(fake_mistral: FakeMistral) -> None:
    env = {
        "MISTRAL_API_KEY": fake_mistral.api_key,
        "MISTRAL_SERVER_URL": fake_mistral.url,
        "PYTHONPATH": str(REPO),
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, "-W", "error", str(REPO / "examples" / "conversations.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert f"Answer: {reply('Where is Paris?')}" in out
    assert f"Answer: {reply('And Rome?')}" in out
    assert "History: MessageInputEntry -> MessageOutputEntry -> MessageInputEntry" in out
    assert f"Streamed answer: {reply('Tell me a story.')}" in out
    assert 'The model calls get_weather({"city": "example"})' in out
    assert "The function returned:" in out
    assert f"Sync answer: {reply('Hello!')}" in out

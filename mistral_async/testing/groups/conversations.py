"""``/v1/conversations``: stateful conversations with a model or an agent, whole or streamed.

A conversation keeps its entries in :class:`ConversationsState`. Starting one needs exactly
one of ``model`` and ``agent_id`` (an agent of :class:`~.beta_agents.AgentsState`, at
``agent_version`` when given); appending adds inputs and the answer; restarting copies the
history up to ``from_entry_id`` into a new conversation, then answers; ``store: false``
answers without keeping anything. With ``"stream": true`` the answer comes as the API's
events (``conversation.response.started``, ``message.output.delta`` per word, ...,
``conversation.response.done`` with the usage; no ``[DONE]``).

The answer is deterministic, in this order of precedence:

- an agent with ``handoffs`` whose user text names one of those agents hands over to it
  (an ``agent.handoff`` entry; with ``handoff_execution: "client"`` that is all);
- a function tool is called (a ``function.call`` entry) when ``tool_choice`` is ``"any"``
  or ``"required"`` (the first one), or when the user text names it and ``tool_choice`` is
  not ``"none"``, unless the inputs end with a function result;
- otherwise the first built-in tool (web search, code interpreter...) runs (a
  ``tool.execution`` entry), then a ``message.output`` answers: the chat reply to the last
  user message (``"Hello! You said: ..."``), or ``"The function returned: <result>."`` after
  a function result, shaped by ``response_format`` and cut by ``max_tokens``/``stop``. After
  a web search, the content is a list: the text and a ``tool_reference`` chunk.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .._app import Abort, Call, FakeApp
from .._generate import (
    apply_limits,
    chat_reply,
    content_text,
    count_tokens,
    format_reply,
    split_arguments,
    split_pieces,
    tool_arguments,
)
from .._validation import (
    Array,
    Body,
    Bool,
    FreeDict,
    Int,
    Model,
    Null,
    Str,
    Tagged,
    Union,
    nullable,
)
from .beta_agents import COMPLETION_ARGS, GUARDRAIL, TOOL, AgentsState, metadata_filter, now

__all__ = ["ConversationsState", "StoredConversation", "register"]

# -- request schemas (the spec's) ---------------------------------------------------------------

_STR = Str()
_NULLABLE_STR = nullable(Str())
_ENTRY_COMMON: dict[str, Any] = {
    "object": Str(const="entry"),
    "created_at": _STR,
    "completed_at": _NULLABLE_STR,
    "id": _STR,
}


def _chunk(name: str, tag: str, *required: str) -> Model:
    """A content chunk, checked loosely past its tag and required fields."""
    props: dict[str, Any] = {"type": Str(const=tag), **dict.fromkeys(required, _STR)}
    if tag == "thinking":
        props["thinking"] = Array(FreeDict())
    if tag == "image_url":
        props["image_url"] = Union(FreeDict(), _STR)
    return Model(name, props, required=required, forbid_extra=False)


_CHUNK = Tagged(
    "type",
    {
        "text": _chunk("TextChunk", "text", "text"),
        "image_url": _chunk("ImageURLChunk", "image_url", "image_url"),
        "tool_file": _chunk("ToolFileChunk", "tool_file", "tool", "file_id"),
        "document_url": _chunk("DocumentURLChunk", "document_url", "document_url"),
        "thinking": _chunk("ThinkChunk", "thinking", "thinking"),
        "tool_reference": _chunk("ToolReferenceChunk", "tool_reference", "tool", "title"),
    },
)
_CONTENT = Union(_STR, Array(_CHUNK))
_AGENT_AND_MODEL: dict[str, Any] = {"agent_id": _NULLABLE_STR, "model": _NULLABLE_STR}
ENTRY = Tagged(
    "type",
    {
        "message.input": Model(
            "MessageInputEntry",
            {
                **_ENTRY_COMMON,
                "type": Str(const="message.input"),
                "role": Str(enum=["assistant", "user"]),
                "content": _CONTENT,
                "prefix": Bool(),
            },
            required=["role", "content"],
        ),
        "message.output": Model(
            "MessageOutputEntry",
            {
                **_ENTRY_COMMON,
                **_AGENT_AND_MODEL,
                "type": Str(const="message.output"),
                "role": Str(const="assistant"),
                "content": _CONTENT,
            },
            required=["content"],
        ),
        "function.result": Model(
            "FunctionResultEntry",
            {
                **_ENTRY_COMMON,
                "type": Str(const="function.result"),
                "tool_call_id": _STR,
                "result": _STR,
            },
            required=["tool_call_id", "result"],
        ),
        "function.call": Model(
            "FunctionCallEntry",
            {
                **_ENTRY_COMMON,
                **_AGENT_AND_MODEL,
                "type": Str(const="function.call"),
                "tool_call_id": _STR,
                "name": _STR,
                "arguments": Union(FreeDict(), _STR),
                "confirmation_status": nullable(Str(enum=["pending", "allowed", "denied"])),
            },
            required=["tool_call_id", "name", "arguments"],
        ),
        "tool.execution": Model(
            "ToolExecutionEntry",
            {
                **_ENTRY_COMMON,
                **_AGENT_AND_MODEL,
                "type": Str(const="tool.execution"),
                "name": _STR,
                "arguments": _STR,
                "info": FreeDict(),
            },
            required=["name", "arguments"],
        ),
        "agent.handoff": Model(
            "AgentHandoffEntry",
            {
                **_ENTRY_COMMON,
                "type": Str(const="agent.handoff"),
                "previous_agent_id": _STR,
                "previous_agent_name": _STR,
                "next_agent_id": _STR,
                "next_agent_name": _STR,
            },
            required=[
                "previous_agent_id",
                "previous_agent_name",
                "next_agent_id",
                "next_agent_name",
            ],
        ),
    },
    default="message.input",
)
"""An entry of ``inputs`` (a missing ``type`` means a message input, as the API reads it)."""

INPUTS = Union(_STR, Array(ENTRY))
_HANDOFF_EXECUTION = Str(enum=["client", "server"])
_AGENT_VERSION = Union(_STR, Int(), Null())

START = Body(
    "ConversationRequest",
    required={"inputs": INPUTS},
    optional={
        "stream": nullable(Bool()),
        "store": nullable(Bool()),
        "handoff_execution": nullable(_HANDOFF_EXECUTION),
        "instructions": _NULLABLE_STR,
        "tools": nullable(Array(TOOL)),
        "completion_args": nullable(COMPLETION_ARGS),
        "guardrails": nullable(Array(GUARDRAIL)),
        "name": _NULLABLE_STR,
        "description": _NULLABLE_STR,
        "metadata": nullable(FreeDict()),
        "agent_id": _NULLABLE_STR,
        "agent_version": _AGENT_VERSION,
        "model": _NULLABLE_STR,
    },
)
_RUN: dict[str, Any] = {
    "inputs": INPUTS,
    "stream": Bool(),
    "store": Bool(),
    "handoff_execution": _HANDOFF_EXECUTION,
    "completion_args": COMPLETION_ARGS,
}
APPEND = Body(
    "AppendConversationRequest",
    optional={
        **_RUN,
        "tool_confirmations": nullable(
            Array(
                Model(
                    "ToolCallConfirmation",
                    {"tool_call_id": _STR, "confirmation": Str(enum=["allow", "deny"])},
                    required=["tool_call_id", "confirmation"],
                )
            )
        ),
    },
)
RESTART = Body(
    "RestartConversationRequest",
    required={"from_entry_id": _STR},
    optional={
        **_RUN,
        "guardrails": nullable(Array(GUARDRAIL)),
        "metadata": nullable(FreeDict()),
        "agent_version": _AGENT_VERSION,
    },
)
LIST = Body(
    "ListConversations", optional={"page": Int(), "page_size": Int(), "metadata": _NULLABLE_STR}
)

_BUILT_IN_TOOLS = (
    "web_search",
    "web_search_premium",
    "code_interpreter",
    "image_generation",
    "document_library",
)
_ID_PREFIXES = {
    "message.input": "msg",
    "message.output": "msg",
    "function.call": "fc",
    "function.result": "fr",
    "tool.execution": "tool_exec",
    "agent.handoff": "handoff",
}
_ASSIGNED = frozenset({"object", "type", "id", "created_at", "completed_at"})
_CONVERSATION_FIELDS = ("name", "description", "metadata")
_MODEL_FIELDS = ("instructions", "tools", "completion_args", "guardrails")


# -- state --------------------------------------------------------------------------------------


@dataclass
class StoredConversation:
    """One conversation: the API's ``ModelConversation``/``AgentConversation``, and entries."""

    meta: dict[str, Any]
    entries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The conversation's id."""
        conversation_id: str = self.meta["id"]
        return conversation_id


class ConversationsState:
    """The conversations of one server, by id, in creation order."""

    def __init__(self) -> None:
        self.conversations: dict[str, StoredConversation] = {}

    def get(self, conversation_id: str) -> StoredConversation | None:
        """The conversation ``conversation_id``, or ``None``."""
        return self.conversations.get(conversation_id)


def register(app: FakeApp) -> None:
    """Add the conversation routes."""
    app.route("POST", "/v1/conversations", start)
    app.route("GET", "/v1/conversations", list_conversations)
    app.route("GET", "/v1/conversations/{conversation_id}", get_conversation)
    app.route("DELETE", "/v1/conversations/{conversation_id}", delete_conversation)
    app.route("POST", "/v1/conversations/{conversation_id}", append)
    app.route("GET", "/v1/conversations/{conversation_id}/history", history)
    app.route("GET", "/v1/conversations/{conversation_id}/messages", messages)
    app.route("POST", "/v1/conversations/{conversation_id}/restart", restart)


# -- what answers: the settings a conversation runs with ----------------------------------------


@dataclass
class _Speaker:
    """Who answers: a model with its settings, or an agent (at a version)."""

    model: str
    agent_id: str | None = None
    agent_name: str = ""
    tools: list[dict[str, Any]] = field(default_factory=list)
    completion_args: dict[str, Any] = field(default_factory=dict)
    handoffs: list[str] = field(default_factory=list)
    instructions: str = ""


def _speaker(call: Call, meta: Mapping[str, Any], version: Any = None) -> _Speaker:
    """The speaker of a conversation; a 404 when its agent (or version) is gone."""
    agent_id = meta.get("agent_id")
    if agent_id is None:
        return _Speaker(
            model=meta["model"],
            tools=list(meta.get("tools") or ()),
            completion_args=dict(meta.get("completion_args") or {}),
            instructions=meta.get("instructions") or "",
        )
    return _agent_speaker(call, agent_id, meta.get("agent_version") if version is None else version)


def _agent_speaker(call: Call, agent_id: str, version: Any) -> _Speaker:
    agents = call.state(AgentsState)
    if agents.get(agent_id) is None:
        raise Abort(call.not_found("Agent", agent_id))
    agent = agents.resolve(agent_id, version)
    if agent is None:
        raise Abort(call.not_found("Agent version", f"{agent_id}@{version}"))
    return _Speaker(
        model=agent["model"],
        agent_id=agent_id,
        agent_name=agent["name"],
        tools=list(agent.get("tools") or ()),
        completion_args=dict(agent.get("completion_args") or {}),
        handoffs=list(agent.get("handoffs") or ()),
        instructions=agent.get("instructions") or "",
    )


# -- entries and answers ------------------------------------------------------------------------


def _entry(kind: str, **fields: Any) -> dict[str, Any]:
    stamp = now()
    entry = {
        "object": "entry",
        "type": kind,
        "created_at": stamp,
        "completed_at": stamp,
        "id": f"{_ID_PREFIXES.get(kind, 'entry')}_{uuid.uuid4().hex[:24]}",
    }
    entry.update(fields)
    return entry


def _input_entries(inputs: Any) -> list[dict[str, Any]]:
    """The validated ``inputs`` as stored entries (ids and dates added)."""
    if inputs is None:
        return []
    if isinstance(inputs, str):
        return [_entry("message.input", role="user", content=inputs, prefix=False)]
    entries = []
    for item in inputs:
        kind = item.get("type", "message.input")
        # The API gives every stored entry its own id and dates, even a re-sent one.
        given = {k: copy.deepcopy(v) for k, v in item.items() if k not in _ASSIGNED}
        stored = _entry(kind, **given)
        if kind == "message.input":
            stored.setdefault("prefix", False)
        entries.append(stored)
    return entries


def _as_message(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """An entry as a chat message, for the reply text and token counts."""
    kind = entry.get("type")
    if kind in ("message.input", "message.output"):
        return {"role": entry.get("role", "assistant"), "content": entry.get("content")}
    if kind == "function.result":
        return {"role": "tool", "content": entry.get("result", "")}
    return None


def _user_text(entries: Sequence[Mapping[str, Any]]) -> str:
    for entry in reversed(entries):
        if entry.get("type") == "message.input" and entry.get("role") == "user":
            return content_text(entry.get("content")).strip()
    return ""


@dataclass
class _Answer:
    """The entries of an answer, and its usage."""

    outputs: list[dict[str, Any]]
    usage: dict[str, Any]


def _answer(
    speaker: _Speaker,
    history: Sequence[Mapping[str, Any]],
    inputs: Sequence[Mapping[str, Any]],
    payload: Mapping[str, Any],
    call: Call,
) -> _Answer:
    """The deterministic answer to ``inputs`` after ``history`` (see the module docstring)."""
    context = [*history, *inputs]
    args = {**speaker.completion_args, **(payload.get("completion_args") or {})}
    text = _user_text(context)
    who = {"model": speaker.model, "agent_id": speaker.agent_id}
    outputs: list[dict[str, Any]] = []
    handoff = _handoff_target(call, speaker, text)
    if handoff is not None:
        outputs.append(
            _entry(
                "agent.handoff",
                previous_agent_id=speaker.agent_id,
                previous_agent_name=speaker.agent_name,
                next_agent_id=handoff.agent_id,
                next_agent_name=handoff.agent_name,
            )
        )
        if payload.get("handoff_execution") == "client":
            return _Answer(outputs, _usage(speaker, context, outputs))
        speaker = handoff
        args = {**speaker.completion_args, **(payload.get("completion_args") or {})}
        who = {"model": speaker.model, "agent_id": speaker.agent_id}
    last = inputs[-1] if inputs else None
    after_result = last is not None and last.get("type") == "function.result"
    function = None if after_result else _function_to_call(speaker.tools, args, text)
    if function is not None:
        outputs.append(
            _entry(
                "function.call",
                **who,
                tool_call_id=f"call_{uuid.uuid4().hex[:8]}",
                name=function["function"]["name"],
                arguments=tool_arguments(function),
            )
        )
        return _Answer(outputs, _usage(speaker, context, outputs))
    built_in = next((t["type"] for t in speaker.tools if t.get("type") in _BUILT_IN_TOOLS), None)
    if built_in is not None and not after_result:
        arguments = json.dumps({"query": text})
        outputs.append(_entry("tool.execution", **who, name=built_in, arguments=arguments, info={}))
    if after_result and last is not None:
        reply = f"The function returned: {last.get('result', '')}."
    else:
        messages = [m for m in map(_as_message, context) if m is not None]
        reply = chat_reply(messages)
    reply = format_reply(reply, args.get("response_format"))
    reply, _ = apply_limits(reply, args.get("max_tokens"), args.get("stop"))
    content: Any = reply
    if built_in in ("web_search", "web_search_premium"):
        reference = {
            "type": "tool_reference",
            "tool": built_in,
            "title": f"Search results for {text!r}",
            "url": "https://example.com/search",
        }
        content = [{"type": "text", "text": reply}, reference]
    outputs.append(_entry("message.output", **who, role="assistant", content=content))
    return _Answer(outputs, _usage(speaker, context, outputs))


def _handoff_target(call: Call, speaker: _Speaker, text: str) -> _Speaker | None:
    lowered = text.lower()
    for agent_id in speaker.handoffs:
        agent = call.state(AgentsState).get(agent_id)
        if agent is not None and agent.config()["name"].lower() in lowered:
            return _agent_speaker(call, agent_id, None)
    return None


def _function_to_call(
    tools: Sequence[Mapping[str, Any]], args: Mapping[str, Any], text: str
) -> Mapping[str, Any] | None:
    functions = [t for t in tools if t.get("type", "function") == "function"]
    choice = args.get("tool_choice", "auto")
    if not functions or choice == "none":
        return None
    if choice in ("any", "required"):
        return functions[0]
    return next((f for f in functions if f["function"]["name"] in text), None)


def _usage(
    speaker: _Speaker, context: Sequence[Mapping[str, Any]], outputs: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    prompt = count_tokens(speaker.instructions) + sum(
        count_tokens(content_text(m["content"])) for m in map(_as_message, context) if m is not None
    )
    completion = 0
    connectors: dict[str, int] = {}
    for output in outputs:
        if output["type"] == "message.output":
            completion += count_tokens(content_text(output["content"]))
        elif output["type"] == "function.call":
            completion += count_tokens(output["name"]) + count_tokens(output["arguments"])
        elif output["type"] == "tool.execution":
            connectors[output["name"]] = connectors.get(output["name"], 0) + count_tokens(
                output["arguments"]
            )
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if connectors:
        usage["connector_tokens"] = sum(connectors.values())
        usage["connectors"] = connectors
        usage["total_tokens"] += usage["connector_tokens"]
    return usage


# -- responses ----------------------------------------------------------------------------------


async def _respond(
    call: Call, conversation_id: str, answer: _Answer, *, stream: bool
) -> web.StreamResponse:
    call.charge_tokens(answer.usage["total_tokens"])
    if not stream:
        return call.ok(
            {
                "object": "conversation.response",
                "conversation_id": conversation_id,
                "outputs": answer.outputs,
                "usage": answer.usage,
            }
        )
    events = list(_events(conversation_id, answer))
    return await call.sse(((event["type"], event) for event in events), terminator=None)


def _events(conversation_id: str, answer: _Answer) -> Iterator[dict[str, Any]]:
    """The API's conversation events for an answer."""
    stamp = now()
    yield {
        "type": "conversation.response.started",
        "created_at": stamp,
        "conversation_id": conversation_id,
    }
    for index, output in enumerate(answer.outputs):
        base = {"created_at": stamp, "output_index": index, "id": output["id"]}
        who = {"model": output.get("model"), "agent_id": output.get("agent_id")}
        kind = output["type"]
        if kind == "message.output":
            content = output["content"]
            text = content if isinstance(content, str) else content_text(content)
            for piece in split_pieces(text) or [""]:
                yield {
                    "type": "message.output.delta",
                    **base,
                    **who,
                    "content_index": 0,
                    "role": "assistant",
                    "content": piece,
                }
            chunks = [] if isinstance(content, str) else content
            for number, chunk in enumerate(c for c in chunks if c.get("type") != "text"):
                yield {
                    "type": "message.output.delta",
                    **base,
                    **who,
                    "content_index": number + 1,
                    "role": "assistant",
                    "content": chunk,
                }
        elif kind == "function.call":
            for part in split_arguments(output["arguments"]):
                yield {
                    "type": "function.call.delta",
                    **base,
                    **who,
                    "name": output["name"],
                    "tool_call_id": output["tool_call_id"],
                    "arguments": part,
                }
        elif kind == "tool.execution":
            first, *rest = split_arguments(output["arguments"])
            named = {**base, "name": output["name"]}
            yield {"type": "tool.execution.started", **named, **who, "arguments": first}
            for part in rest:
                yield {"type": "tool.execution.delta", **named, "arguments": part}
            yield {"type": "tool.execution.done", **named, "info": output.get("info") or {}}
        elif kind == "agent.handoff":
            yield {
                "type": "agent.handoff.started",
                **base,
                "previous_agent_id": output["previous_agent_id"],
                "previous_agent_name": output["previous_agent_name"],
            }
            yield {
                "type": "agent.handoff.done",
                **base,
                "next_agent_id": output["next_agent_id"],
                "next_agent_name": output["next_agent_name"],
            }
    yield {"type": "conversation.response.done", "created_at": now(), "usage": answer.usage}


# -- routes -------------------------------------------------------------------------------------


def _conversation(call: Call) -> StoredConversation:
    """The conversation named by the path, or stop with a 404."""
    conversation_id = call.params["conversation_id"]
    conversation = call.state(ConversationsState).get(conversation_id)
    if conversation is None:
        raise Abort(call.not_found("Conversation", conversation_id))
    return conversation


def _who_answers_error(call: Call, payload: Mapping[str, Any]) -> web.Response:
    msg = "Value error, exactly one of model and agent_id must be given"
    detail = {"type": "value_error", "loc": ["body"], "msg": msg, "input": dict(payload)}
    detail["ctx"] = {"error": {}}
    return call.validation_error([detail])


def _new_meta(payload: Mapping[str, Any], speaker: _Speaker) -> dict[str, Any]:
    stamp = now()
    meta: dict[str, Any] = {"object": "conversation", "id": f"conv_{uuid.uuid4().hex}"}
    meta.update({name: copy.deepcopy(payload.get(name)) for name in _CONVERSATION_FIELDS})
    meta.update(created_at=stamp, updated_at=stamp)
    if speaker.agent_id is not None:
        meta.update(agent_id=speaker.agent_id, agent_version=payload.get("agent_version"))
    else:
        meta["model"] = speaker.model
        meta.update({name: copy.deepcopy(payload.get(name)) for name in _MODEL_FIELDS})
        meta["tools"] = meta["tools"] or []
        meta["completion_args"] = meta["completion_args"] or {}
    return meta


async def start(call: Call) -> web.StreamResponse:
    """``POST /v1/conversations``: a new conversation and its first answer."""
    payload = await call.json(START)
    model, agent_id = payload.get("model"), payload.get("agent_id")
    if (model is None) == (agent_id is None):
        return _who_answers_error(call, payload)
    if agent_id is not None:
        speaker = _agent_speaker(call, agent_id, payload.get("agent_version"))
    else:
        speaker = _speaker(call, {**payload, "model": model})
    conversation = StoredConversation(_new_meta(payload, speaker))
    inputs = _input_entries(payload["inputs"])
    answer = _answer(speaker, [], inputs, payload, call)
    if payload.get("store") is not False:
        conversation.entries = [*inputs, *answer.outputs]
        call.state(ConversationsState).conversations[conversation.id] = conversation
    return await _respond(call, conversation.id, answer, stream=bool(payload.get("stream")))


async def append(call: Call) -> web.StreamResponse:
    """``POST /v1/conversations/{conversation_id}``: more inputs, and the answer."""
    conversation = _conversation(call)
    payload = await call.json(APPEND)
    speaker = _speaker(call, conversation.meta)
    inputs = _input_entries(payload.get("inputs"))
    answer = _answer(speaker, conversation.entries, inputs, payload, call)
    if payload.get("store") is not False:
        conversation.entries.extend([*inputs, *answer.outputs])
        conversation.meta["updated_at"] = now()
    return await _respond(call, conversation.id, answer, stream=bool(payload.get("stream")))


async def restart(call: Call) -> web.StreamResponse:
    """``POST /v1/conversations/{conversation_id}/restart``: branch off, then answer.

    The new conversation has the history up to ``from_entry_id`` (included) and the inputs.
    """
    original = _conversation(call)
    payload = await call.json(RESTART)
    entry_id = payload["from_entry_id"]
    index = next((i for i, e in enumerate(original.entries) if e["id"] == entry_id), None)
    if index is None:
        return call.not_found("Entry", entry_id)
    meta = copy.deepcopy(original.meta)
    stamp = now()
    meta.update(id=f"conv_{uuid.uuid4().hex}", created_at=stamp, updated_at=stamp)
    if "metadata" in payload:
        meta["metadata"] = payload["metadata"]
    if payload.get("agent_version") is not None and "agent_id" in meta:
        meta["agent_version"] = payload["agent_version"]
    speaker = _speaker(call, meta)
    history = copy.deepcopy(original.entries[: index + 1])
    inputs = _input_entries(payload.get("inputs"))
    answer = _answer(speaker, history, inputs, payload, call)
    conversation = StoredConversation(meta)
    if payload.get("store") is not False:
        conversation.entries = [*history, *inputs, *answer.outputs]
        call.state(ConversationsState).conversations[conversation.id] = conversation
    return await _respond(call, conversation.id, answer, stream=bool(payload.get("stream")))


async def list_conversations(call: Call) -> web.StreamResponse:
    """``GET /v1/conversations?page=0&page_size=100&metadata={...}``: a bare array."""
    query = call.validate_query(LIST)
    page, size = query.get("page", 0), query.get("page_size", 100)
    metadata = metadata_filter(call, query) or {}
    found = [
        c.meta
        for c in call.state(ConversationsState).conversations.values()
        if all((c.meta.get("metadata") or {}).get(k, object()) == v for k, v in metadata.items())
    ]
    return call.ok(found[page * size : (page + 1) * size] if page >= 0 and size > 0 else [])


async def get_conversation(call: Call) -> web.StreamResponse:
    """``GET /v1/conversations/{conversation_id}``."""
    return call.ok(_conversation(call).meta)


async def delete_conversation(call: Call) -> web.StreamResponse:
    """``DELETE /v1/conversations/{conversation_id}``."""
    del call.state(ConversationsState).conversations[_conversation(call).id]
    return call.empty()


async def history(call: Call) -> web.StreamResponse:
    """``GET /v1/conversations/{conversation_id}/history``."""
    conversation = _conversation(call)
    return call.ok(
        {
            "object": "conversation.history",
            "conversation_id": conversation.id,
            "entries": conversation.entries,
        }
    )


async def messages(call: Call) -> web.StreamResponse:
    """``GET /v1/conversations/{conversation_id}/messages``."""
    conversation = _conversation(call)
    kept = [e for e in conversation.entries if e["type"] in ("message.input", "message.output")]
    return call.ok(
        {
            "object": "conversation.messages",
            "conversation_id": conversation.id,
            "messages": kept,
        }
    )

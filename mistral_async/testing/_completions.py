"""Chat-completion replies shared by the chat, FIM and (future) agents endpoint groups.

:func:`chat_choices` builds the deterministic choices of a chat request (forced tool calls,
``n``, ``response_format``, ``max_tokens``/``stop``) and :func:`respond` answers with a
``chat.completion`` object or a ``chat.completion.chunk`` event stream ending with
``data: [DONE]``.

A ``json_schema`` response format is answered with a JSON text that fits the schema
(synthesized from it, ``$defs`` included). Tests that need specific content script it:
``fake.state(CompletionScript).add('{"name": "Paris"}')`` makes the next chat or agent
completion answer that text (then the deterministic replies resume).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ._app import Call
from ._generate import (
    apply_limits,
    chat_reply,
    count_tokens,
    format_reply,
    split_arguments,
    split_pieces,
    tool_arguments,
)
from ._schema import synthesize

__all__ = [
    "Choice",
    "CompletionScript",
    "ToolCall",
    "chat_choices",
    "forced_tool",
    "respond",
    "stream_events",
]


@dataclass(frozen=True)
class ToolCall:
    """A generated tool call."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Choice:
    """One generated completion choice."""

    content: str
    tool_call: ToolCall | None
    finish_reason: str

    @property
    def tokens(self) -> int:
        """Completion tokens used by this choice."""
        if self.tool_call is not None:
            return count_tokens(self.tool_call.name) + count_tokens(self.tool_call.arguments)
        return count_tokens(self.content)


class CompletionScript:
    """Scripted answers for the next chat and agent completions, in order.

    ``fake.state(CompletionScript).add(text)`` queues an answer (``finish_reason``
    ``"stop"`` unless given: ``"length"`` simulates a cut answer);
    ``add_tool_call(name, arguments)`` queues a call of tool ``name``. Each completion
    request takes the next one (for every choice it returns); when none is queued the
    deterministic replies apply. Thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: deque[Choice] = deque()

    def add(self, content: str, *, finish_reason: str = "stop") -> None:
        """Queue an answer: ``content`` as the assistant's text."""
        with self._lock:
            self._answers.append(Choice(content, None, finish_reason))

    def add_tool_call(self, name: str, arguments: str | Mapping[str, Any] = "{}") -> None:
        """Queue an answer calling tool ``name`` with ``arguments`` (JSON text or a dict)."""
        text = arguments if isinstance(arguments, str) else json.dumps(dict(arguments))
        call = ToolCall(id=f"call_{uuid.uuid4().hex[:8]}", name=name, arguments=text)
        with self._lock:
            self._answers.append(Choice("", call, "tool_calls"))

    def take(self) -> Choice | None:
        """The next scripted answer, or ``None`` (internal)."""
        with self._lock:
            return self._answers.popleft() if self._answers else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._answers)


def forced_tool(payload: Mapping[str, Any]) -> tuple[str, str] | None:
    """Return the (name, arguments) of the tool the reply must call, if any."""
    tools = [
        tool for tool in payload.get("tools") or () if tool.get("type", "function") == "function"
    ]
    choice = payload.get("tool_choice", "auto")
    if isinstance(choice, dict):
        name: str = choice["function"]["name"]
        tool = next((t for t in tools if t["function"]["name"] == name), None)
        return name, tool_arguments(tool)
    if choice in ("any", "required") and tools:
        return tools[0]["function"]["name"], tool_arguments(tools[0])
    return None


def _json_schema_reply(response_format: object) -> str | None:
    """A JSON text fitting a ``json_schema`` response format (``None`` for other formats)."""
    if not isinstance(response_format, Mapping) or response_format.get("type") != "json_schema":
        return None
    spec = response_format.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, Mapping) else None
    if not isinstance(schema, Mapping):
        return None
    try:
        return json.dumps(synthesize(schema, root=schema))
    except (ValueError, RecursionError, LookupError):
        return None


def chat_choices(
    payload: Mapping[str, Any], script: CompletionScript | None = None
) -> list[Choice]:
    """Build the choices answering a validated chat-completion-like request ``payload``.

    ``script``: the server's :class:`CompletionScript`, whose next answer wins when queued.
    """
    messages: list[dict[str, Any]] = payload["messages"]
    forced = forced_tool(payload)
    choices: list[Choice] = []
    scripted = script.take() if script is not None else None
    if scripted is not None:
        return [scripted] * (payload.get("n") or 1)
    schema_reply = _json_schema_reply(payload.get("response_format"))
    for index in range(payload.get("n") or 1):
        if forced is not None:
            name, arguments = forced
            call_id = f"call_{uuid.uuid4().hex[:8]}"
            choices.append(
                Choice("", ToolCall(id=call_id, name=name, arguments=arguments), "tool_calls")
            )
            continue
        if schema_reply is not None:
            text = schema_reply
        else:
            text = format_reply(chat_reply(messages, index), payload.get("response_format"))
        text, finish = apply_limits(text, payload.get("max_tokens"), payload.get("stop"))
        choices.append(Choice(text, None, finish))
    return choices


async def respond(
    call: Call, *, model: str, stream: bool, prompt_tokens: int, choices: Sequence[Choice]
) -> web.StreamResponse:
    """Answer a completion as a JSON ``chat.completion`` or as an SSE chunk stream.

    Charges the tokens used to the rate-limit counters.
    """
    completion_tokens = sum(choice.tokens for choice in choices)
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    call.charge_tokens(usage["total_tokens"])
    completion_id = uuid.uuid4().hex
    created = int(time.time())
    if stream:
        events = stream_events(completion_id, created, model, choices, usage)
        return await call.sse(((None, event) for event in events), terminator="[DONE]")
    body = {
        "id": completion_id,
        "object": "chat.completion",
        "model": model,
        "created": created,
        "usage": usage,
        "choices": [
            {
                "index": index,
                "message": {
                    "role": "assistant",
                    "content": choice.content,
                    "tool_calls": [_tool_call_json(choice.tool_call)] if choice.tool_call else None,
                },
                "finish_reason": choice.finish_reason,
            }
            for index, choice in enumerate(choices)
        ],
    }
    return call.ok(body)


def _tool_call_json(tool_call: ToolCall) -> dict[str, Any]:
    """Render a complete tool call."""
    return {
        "id": tool_call.id,
        "type": "function",
        "function": {"name": tool_call.name, "arguments": tool_call.arguments},
        "index": 0,
    }


def stream_events(
    completion_id: str,
    created: int,
    model: str,
    choices: Sequence[Choice],
    usage: Mapping[str, int],
) -> list[dict[str, Any]]:
    """Build the CompletionChunk objects of a streamed completion (``[DONE]`` excluded)."""
    deltas: list[tuple[int, dict[str, Any], str | None]] = []
    for index, choice in enumerate(choices):
        deltas.append((index, {"role": "assistant", "content": ""}, None))
        if choice.tool_call is not None:
            parts = split_arguments(choice.tool_call.arguments)
            for number, part in enumerate(parts):
                call: dict[str, Any] = {"index": 0, "function": {"arguments": part}}
                if number == 0:
                    call = {
                        "index": 0,
                        "id": choice.tool_call.id,
                        "type": "function",
                        "function": {"name": choice.tool_call.name, "arguments": part},
                    }
                last = number == len(parts) - 1
                deltas.append(
                    (index, {"tool_calls": [call]}, choice.finish_reason if last else None)
                )
            continue
        pieces = split_pieces(choice.content) or [""]
        for number, piece in enumerate(pieces):
            last = number == len(pieces) - 1
            deltas.append((index, {"content": piece}, choice.finish_reason if last else None))
    events: list[dict[str, Any]] = []
    for number, (index, delta, finish_reason) in enumerate(deltas):
        event: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": index, "delta": delta, "finish_reason": finish_reason}],
        }
        if number == len(deltas) - 1:
            event["usage"] = dict(usage)
        events.append(event)
    return events

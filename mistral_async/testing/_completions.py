"""Chat-completion replies shared by the chat, FIM and (future) agents endpoint groups.

:func:`chat_choices` builds the deterministic choices of a chat request (forced tool calls,
``n``, ``response_format``, ``max_tokens``/``stop``) and :func:`respond` answers with a
``chat.completion`` object or a ``chat.completion.chunk`` event stream ending with
``data: [DONE]``.
"""

from __future__ import annotations

import time
import uuid
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

__all__ = ["Choice", "ToolCall", "chat_choices", "forced_tool", "respond", "stream_events"]


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


def chat_choices(payload: Mapping[str, Any]) -> list[Choice]:
    """Build the choices answering a validated chat-completion-like request ``payload``."""
    messages: list[dict[str, Any]] = payload["messages"]
    forced = forced_tool(payload)
    choices: list[Choice] = []
    for index in range(payload.get("n") or 1):
        if forced is not None:
            name, arguments = forced
            call_id = f"call_{uuid.uuid4().hex[:8]}"
            choices.append(
                Choice("", ToolCall(id=call_id, name=name, arguments=arguments), "tool_calls")
            )
            continue
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

"""Structured outputs of conversations: ``beta.conversations.start/append(output_type=...)``.

Apart from :mod:`mistral_async.lib.parse` so that chat calls never load the conversation
types.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from ..types.conversations import ConversationResponse, MessageOutputEntry
from .parse import OutputSpec, _upgrade

__all__ = ["ParsedConversationResponse", "ParsedMessageOutputEntry", "parse_conversation"]

T = TypeVar("T")


class ParsedMessageOutputEntry(MessageOutputEntry, Generic[T]):
    """A conversation's :class:`MessageOutputEntry` with ``parsed``."""

    __slots__ = ("parsed",)
    parsed: T


class ParsedConversationResponse(ConversationResponse, Generic[T]):
    """A :class:`ConversationResponse` (every field kept) whose last message output is a
    :class:`ParsedMessageOutputEntry`; ``parsed`` is that entry's ``parsed``."""

    __slots__ = ("parsed",)
    parsed: T | None


def parse_conversation(response: ConversationResponse, spec: OutputSpec) -> Any:
    """``response`` as a :class:`ParsedConversationResponse`: its last message output parsed.

    ``parsed`` is ``None`` when the response has no message output (only function calls).
    """
    result = _upgrade(response, ParsedConversationResponse)
    outputs = list(response.outputs)
    result.parsed = None
    for i in range(len(outputs) - 1, -1, -1):
        entry = outputs[i]
        if type(entry) is MessageOutputEntry:
            parsed = _upgrade(entry, ParsedMessageOutputEntry)
            parsed.parsed = result.parsed = spec.parse(entry.text, response)
            outputs[i] = parsed
            break
    result.outputs = outputs
    return result

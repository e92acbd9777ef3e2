"""Fold the chunks of a streamed completion into one :class:`ChatCompletionResponse`.

Pure functions over the typed chunks, no I/O: content is joined, tool calls are
merged by their ``index`` (the id and name come with the first part, the arguments
arrive in pieces), and the last ``finish_reason`` and ``usage`` win.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..types.chat import (
    AssistantMessage,
    ChatCompletionChoice,
    ChatCompletionResponse,
    CompletionChunk,
    FunctionCall,
    TextChunk,
    ToolCall,
)
from ..types.shared import UsageInfo

__all__ = ["CompletionAccumulator"]


class _Choice:
    __slots__ = ("content", "finish_reason", "has_chunks", "tool_calls")

    def __init__(self) -> None:
        self.content: list[Any] = []
        self.tool_calls: dict[int, list[Any]] = {}
        self.finish_reason: str | None = None
        self.has_chunks = False


class CompletionAccumulator:
    """Collects stream chunks and builds the completion they add up to."""

    __slots__ = ("_choices", "created", "id", "model", "usage")

    def __init__(self) -> None:
        self.id = ""
        self.model = ""
        self.created = 0
        self.usage: UsageInfo | None = None
        self._choices: dict[int, _Choice] = {}

    def add(self, chunks: Iterable[CompletionChunk]) -> None:
        """Fold more chunks in, in stream order."""
        choices = self._choices
        for chunk in chunks:
            if chunk.id:
                self.id = chunk.id
            if chunk.model:
                self.model = chunk.model
            if chunk.created:
                self.created = chunk.created
            if chunk.usage is not None:
                self.usage = chunk.usage
            for choice in chunk.choices:
                state = choices.get(choice.index)
                if state is None:
                    state = choices[choice.index] = _Choice()
                delta = choice.delta
                content = delta.content
                if type(content) is str:
                    if content:
                        state.content.append(content)
                elif content:
                    state.has_chunks = True
                    state.content.extend(content)
                if delta.tool_calls:
                    _merge_tool_calls(state.tool_calls, delta.tool_calls)
                if choice.finish_reason is not None:
                    state.finish_reason = choice.finish_reason
        # Keep one string per choice rather than one per chunk: a 100,000-chunk stream
        # would otherwise hold 100,000 small strings until the end.
        for state in choices.values():
            if len(state.content) > 1 and not state.has_chunks:
                state.content[:] = ["".join(state.content)]

    def result(self) -> ChatCompletionResponse:
        """The completion the chunks so far add up to."""
        choices = []
        for index in sorted(self._choices):
            state = self._choices[index]
            tool_calls = [
                ToolCall(
                    id=parts[0],
                    type=parts[1],
                    function=FunctionCall(name=parts[2], arguments="".join(parts[3])),
                    index=i,
                )
                for i, parts in sorted(state.tool_calls.items())
            ]
            message = AssistantMessage(
                content=_content(state) if state.content or not tool_calls else None,
                tool_calls=tool_calls or None,
            )
            choices.append(
                ChatCompletionChoice(
                    index=index, message=message, finish_reason=state.finish_reason
                )
            )
        return ChatCompletionResponse(
            choices=choices,
            id=self.id,
            model=self.model,
            created=self.created,
            usage=self.usage,
        )


def _merge_tool_calls(merged: dict[int, list[Any]], calls: list[ToolCall]) -> None:
    for position, call in enumerate(calls):
        index = call.index if call.index is not None else position
        parts = merged.get(index)
        if parts is None:
            parts = merged[index] = [None, "function", None, []]
        if call.id and call.id != "null":
            parts[0] = call.id
        if call.type:
            parts[1] = call.type
        function = call.function
        if function.name:
            parts[2] = function.name
        arguments = function.arguments
        if isinstance(arguments, dict):
            import json

            arguments = json.dumps(arguments)
        if arguments:
            parts[3].append(arguments)


def _content(state: _Choice) -> Any:
    if not state.has_chunks:
        return "".join(state.content)
    # Mixed strings and chunks: keep the chunks, joining neighbouring text.
    result: list[Any] = []
    for piece in state.content:
        if isinstance(piece, str):
            piece = TextChunk(text=piece)
        if result and type(piece) is TextChunk and type(result[-1]) is TextChunk:
            result[-1] = TextChunk(text=result[-1].text + piece.text)
        else:
            result.append(piece)
    return result

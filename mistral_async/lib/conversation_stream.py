"""The stream of a conversation, with :meth:`~AsyncConversationStream.get_final_response`.

:class:`ConversationAccumulator` folds stream events into the
:class:`~mistral_async.types.conversations.ConversationResponse` the non-streaming call
would have returned; it is pure (events in, a response out) and usable on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .._streaming import AsyncStream
from ..types.chat import TextChunk
from ..types.conversations import (
    AgentHandoffDoneEvent,
    AgentHandoffEntry,
    AgentHandoffStartedEvent,
    ConversationEvent,
    ConversationResponse,
    ConversationUsageInfo,
    FunctionCallEntry,
    FunctionCallEvent,
    MessageOutputEntry,
    MessageOutputEvent,
    ResponseDoneEvent,
    ResponseErrorEvent,
    ResponseStartedEvent,
    ToolExecutionDeltaEvent,
    ToolExecutionDoneEvent,
    ToolExecutionEntry,
    ToolExecutionStartedEvent,
)

if TYPE_CHECKING:
    # Named by the generated blocking stub, which spells the event union out.
    from ..types.conversations import UnknownConversationEvent  # noqa: F401

__all__ = ["AsyncConversationStream", "ConversationAccumulator"]


class _Message:
    """A message output being assembled: text pieces joined once, at the end."""

    __slots__ = ("chunks", "entry", "text")

    def __init__(self, entry: MessageOutputEntry) -> None:
        self.entry = entry
        self.text: list[str] = []
        # Set once a non-text chunk arrives: the content becomes a list of chunks.
        self.chunks: list[Any] | None = None

    def add(self, content: Any) -> None:
        if type(content) is str:
            self.text.append(content)
            return
        if type(content) is TextChunk:
            self.text.append(content.text)
            return
        if self.chunks is None:
            self.chunks = []
        self._flush()
        self.chunks.append(content)

    def _flush(self) -> None:
        if self.text and self.chunks is not None:
            self.chunks.append(TextChunk("".join(self.text)))
            self.text = []

    def result(self) -> MessageOutputEntry:
        if self.chunks is None:
            self.entry.content = "".join(self.text)
        else:
            self._flush()
            self.entry.content = list(self.chunks)
        return self.entry


class _Arguments:
    """Function call or tool execution arguments being assembled from pieces."""

    __slots__ = ("entry", "pieces")

    def __init__(self, entry: FunctionCallEntry | ToolExecutionEntry) -> None:
        self.entry = entry
        self.pieces: list[str] = []

    def result(self) -> FunctionCallEntry | ToolExecutionEntry:
        self.entry.arguments = "".join(self.pieces)
        return self.entry


class ConversationAccumulator:
    """Folds conversation stream events into a :class:`ConversationResponse`.

    Outputs are keyed by ``output_index`` (a new ``id`` at the same index starts a new
    output), so message pieces, function call arguments and tool execution arguments are
    joined in order. Events of unknown types are ignored here (the stream still gives them).
    """

    def __init__(self) -> None:
        self.conversation_id = ""
        self.usage: ConversationUsageInfo | None = None
        self._outputs: dict[tuple[int, str], _Message | _Arguments | AgentHandoffEntry] = {}

    def add(self, events: Iterable[ConversationEvent]) -> None:
        """Fold more events in."""
        outputs = self._outputs
        for event in events:
            if type(event) is MessageOutputEvent:
                key = (event.output_index, event.id)
                message = outputs.get(key)
                if not isinstance(message, _Message):
                    message = outputs[key] = _Message(
                        MessageOutputEntry(
                            content="",
                            role=event.role,
                            id=event.id,
                            agent_id=event.agent_id,
                            model=event.model,
                            created_at=event.created_at,
                        )
                    )
                message.add(event.content)
            elif type(event) is FunctionCallEvent:
                key = (event.output_index, event.id)
                call = outputs.get(key)
                if not isinstance(call, _Arguments):
                    call = outputs[key] = _Arguments(
                        FunctionCallEntry(
                            tool_call_id=event.tool_call_id,
                            name=event.name,
                            arguments="",
                            id=event.id,
                            agent_id=event.agent_id,
                            model=event.model,
                            created_at=event.created_at,
                        )
                    )
                call.pieces.append(event.arguments)
                if event.confirmation_status is not None:
                    call.entry.confirmation_status = event.confirmation_status  # type: ignore[union-attr]
            elif type(event) is ToolExecutionStartedEvent:
                run = outputs[(event.output_index, event.id)] = _Arguments(
                    ToolExecutionEntry(
                        name=event.name,
                        arguments="",
                        id=event.id,
                        agent_id=event.agent_id,
                        model=event.model,
                        created_at=event.created_at,
                    )
                )
                run.pieces.append(event.arguments)
            elif type(event) is ToolExecutionDeltaEvent:
                self._tool_run(event.output_index, event.id, event.name).pieces.append(
                    event.arguments
                )
            elif type(event) is ToolExecutionDoneEvent:
                entry = self._tool_run(event.output_index, event.id, event.name).entry
                entry.info = event.info  # type: ignore[union-attr]
                entry.completed_at = event.created_at
            elif type(event) is AgentHandoffStartedEvent:
                handoff = self._handoff(event.output_index, event.id)
                handoff.previous_agent_id = event.previous_agent_id
                handoff.previous_agent_name = event.previous_agent_name
                handoff.created_at = event.created_at
            elif type(event) is AgentHandoffDoneEvent:
                handoff = self._handoff(event.output_index, event.id)
                handoff.next_agent_id = event.next_agent_id
                handoff.next_agent_name = event.next_agent_name
                handoff.completed_at = event.created_at
            elif type(event) is ResponseStartedEvent:
                self.conversation_id = event.conversation_id
            elif type(event) is ResponseDoneEvent:
                self.usage = event.usage

    def _tool_run(self, index: int, output_id: str, name: str) -> _Arguments:
        run = self._outputs.get((index, output_id))
        if not isinstance(run, _Arguments):
            entry = ToolExecutionEntry(name=name, arguments="", id=output_id)
            run = self._outputs[(index, output_id)] = _Arguments(entry)
        return run

    def _handoff(self, index: int, output_id: str) -> AgentHandoffEntry:
        handoff = self._outputs.get((index, output_id))
        if not isinstance(handoff, AgentHandoffEntry):
            handoff = self._outputs[(index, output_id)] = AgentHandoffEntry(
                previous_agent_id="",
                previous_agent_name="",
                next_agent_id="",
                next_agent_name="",
                id=output_id,
            )
        return handoff

    def result(self) -> ConversationResponse:
        """The response the events so far add up to."""
        outputs: list[Any] = []
        for _, output in sorted(self._outputs.items(), key=lambda item: item[0][0]):
            if isinstance(output, _Message | _Arguments):
                outputs.append(output.result())
            else:
                outputs.append(output)
        return ConversationResponse(
            conversation_id=self.conversation_id,
            outputs=outputs,
            usage=self.usage if self.usage is not None else ConversationUsageInfo(),
        )


class AsyncConversationStream(AsyncStream[ConversationEvent]):
    """An :class:`AsyncStream` of conversation events that can fold itself into a response.

    Each item is one of the event classes of :data:`ConversationEvent` (an
    :class:`~mistral_async.types.conversations.UnknownConversationEvent` for a type this SDK
    does not know). The stream ends with ``conversation.response.done``; a
    ``conversation.response.error`` event raises :class:`~mistral_async.APIStreamError`.
    ``await stream.get_final_response()`` reads what is left and returns the
    :class:`ConversationResponse`, including the events you already iterated over.
    """

    # Conversations end with their own done event, not ``data: [DONE]``.
    _final_event = staticmethod(lambda item: type(item) is ResponseDoneEvent)
    _error_event = staticmethod(lambda item: type(item) is ResponseErrorEvent)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fold_into(ConversationAccumulator())

    async def get_final_response(self) -> ConversationResponse:
        """Read the rest of the stream and return the whole response."""
        result: ConversationResponse = await self._fold_rest()
        return result

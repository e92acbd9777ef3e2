"""``client.beta.conversations``: start, continue and read conversations, whole or streamed."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from .._pagination import AsyncPaginator, by_page_number
from .._session import path_param
from .._types import NOT_GIVEN, NotGiven
from ..lib.conversation_stream import AsyncConversationStream
from ..types.beta_agents import AgentTool, CompletionArgs
from ..types.conversations import (
    AppendConversationRequest,
    Conversation,
    ConversationEntry,
    ConversationEvent,
    ConversationHistory,
    ConversationMessages,
    ConversationRequest,
    ConversationResponse,
    RestartConversationRequest,
    ToolCallConfirmation,
)
from ._base import AsyncResource, body_of, cast_to, params, split_options, stream_twin
from .beta_agents import _check_page, _metadata_query, _nothing

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import RequestOptions

__all__ = ["AsyncConversations"]

HandoffExecution = Literal["client", "server"]

_response = cast_to(ConversationResponse)
_conversation = cast_to(Conversation)
_conversations = cast_to(list[Conversation])
_history = cast_to(ConversationHistory)
_messages = cast_to(ConversationMessages)
_event = cast_to(ConversationEvent)


class AsyncConversations(AsyncResource):
    """Conversations with models and agents, kept by the API.

    :meth:`start` a conversation with ``inputs`` (a string, or a list of entries), then
    :meth:`append` to it by id; each call answers with the entries the model or agent added.
    The ``*_stream`` methods give the same answer as typed events.
    """

    __slots__ = ()

    async def start(
        self,
        *,
        inputs: str | Sequence[ConversationEntry | Mapping[str, Any]],
        store: bool | NotGiven | None = NOT_GIVEN,
        handoff_execution: HandoffExecution | NotGiven | None = NOT_GIVEN,
        instructions: str | NotGiven | None = NOT_GIVEN,
        tools: Sequence[AgentTool | Mapping[str, Any]] | NotGiven | None = NOT_GIVEN,
        completion_args: CompletionArgs | Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        guardrails: Sequence[Mapping[str, Any]] | NotGiven | None = NOT_GIVEN,
        name: str | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        agent_id: str | NotGiven | None = NOT_GIVEN,
        agent_version: int | str | NotGiven | None = NOT_GIVEN,
        model: str | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> ConversationResponse:
        """Start a conversation with a ``model`` or an ``agent_id``, and get its answer.

        ``inputs`` is the user's message as a string, or a list of entries
        (:class:`MessageInputEntry`, :class:`FunctionResultEntry`... or dicts such as
        ``{"role": "user", "content": "Hi"}``). With a model, ``instructions``, ``tools`` and
        ``completion_args`` set it up; an agent brings its own (``agent_version``: a number
        or an alias). ``store=False`` does not keep the conversation; ``handoff_execution``
        says who runs hand-overs between agents (``"server"`` or ``"client"``). Use the
        answer's ``conversation_id`` to :meth:`append`.
        """
        body = body_of(ConversationRequest.validated(**params(locals())))
        result: ConversationResponse = await self._request(
            "POST", "/v1/conversations", _response, options, body=body
        )
        return result

    def list(
        self,
        *,
        page: int | NotGiven = NOT_GIVEN,
        page_size: int | NotGiven = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[builtins.list[Conversation], Conversation]:
        """List conversations: ``await`` it for one page, ``async for`` for every one.

        Each is a :class:`ModelConversation` or an :class:`AgentConversation`. Pages are
        numbered from 0 (``page_size``: 100 by default); ``metadata`` matches a subset of
        the conversations' metadata.
        """
        query = _metadata_query(params(locals()))
        _check_page(query, "page", 0, None)
        _check_page(query, "page_size", 1, None)

        async def fetch(page_query: dict[str, Any]) -> builtins.list[Conversation]:
            result: builtins.list[Conversation] = await self._request(
                "GET", "/v1/conversations", _conversations, options, query=page_query, page=True
            )
            return result

        return AsyncPaginator(fetch, query, _same, by_page_number())

    async def get(self, conversation_id: str, **options: Unpack[RequestOptions]) -> Conversation:
        """Read a conversation's settings (not its entries: see :meth:`get_history`)."""
        result: Conversation = await self._request(
            "GET", _path(conversation_id), _conversation, options
        )
        return result

    async def delete(self, conversation_id: str, **options: Unpack[RequestOptions]) -> None:
        """Delete a conversation."""
        result: None = await self._request("DELETE", _path(conversation_id), _nothing, options)
        return result

    async def append(
        self,
        conversation_id: str,
        *,
        inputs: str | Sequence[ConversationEntry | Mapping[str, Any]] | NotGiven = NOT_GIVEN,
        store: bool | NotGiven = NOT_GIVEN,
        handoff_execution: HandoffExecution | NotGiven = NOT_GIVEN,
        completion_args: CompletionArgs | Mapping[str, Any] | NotGiven = NOT_GIVEN,
        tool_confirmations: Sequence[ToolCallConfirmation | Mapping[str, Any]]
        | NotGiven
        | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> ConversationResponse:
        """Add ``inputs`` to a conversation and get the answer.

        ``tool_confirmations`` allow or deny pending tool calls
        (``{"tool_call_id": ..., "confirmation": "allow"}``).
        """
        given = params(locals())
        path = _path(given.pop("conversation_id"))
        body = body_of(AppendConversationRequest.validated(**given))
        result: ConversationResponse = await self._request(
            "POST", path, _response, options, body=body
        )
        return result

    async def get_history(
        self, conversation_id: str, **options: Unpack[RequestOptions]
    ) -> ConversationHistory:
        """Every entry of a conversation (messages, function calls, tool runs...), in order."""
        path = f"{_path(conversation_id)}/history"
        result: ConversationHistory = await self._request("GET", path, _history, options)
        return result

    async def get_messages(
        self, conversation_id: str, **options: Unpack[RequestOptions]
    ) -> ConversationMessages:
        """The messages of a conversation, in and out, in order."""
        path = f"{_path(conversation_id)}/messages"
        result: ConversationMessages = await self._request("GET", path, _messages, options)
        return result

    async def restart(
        self,
        conversation_id: str,
        *,
        from_entry_id: str,
        inputs: str | Sequence[ConversationEntry | Mapping[str, Any]] | NotGiven = NOT_GIVEN,
        store: bool | NotGiven = NOT_GIVEN,
        handoff_execution: HandoffExecution | NotGiven = NOT_GIVEN,
        completion_args: CompletionArgs | Mapping[str, Any] | NotGiven = NOT_GIVEN,
        guardrails: Sequence[Mapping[str, Any]] | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        agent_version: int | str | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> ConversationResponse:
        """Branch a conversation off at one of its entries, add ``inputs`` and get the answer.

        The new conversation starts with the history up to ``from_entry_id`` (included);
        the original is left as it was. The answer carries the new conversation's id.
        """
        given = params(locals())
        path = f"{_path(given.pop('conversation_id'))}/restart"
        body = body_of(RestartConversationRequest.validated(**given))
        result: ConversationResponse = await self._request(
            "POST", path, _response, options, body=body
        )
        return result

    @stream_twin(start)
    def start_stream(self, **kwargs: Any) -> AsyncConversationStream:
        """Start a conversation and stream its answer: the same parameters as :meth:`start`.

        Use the result with ``async with`` (or read it with ``async for``); each item is an
        event (:class:`MessageOutputEvent` for a piece of text, ...).
        ``await stream.get_final_response()`` gives the whole :class:`ConversationResponse`.
        """
        options = split_options(kwargs)
        body = body_of(ConversationRequest.validated(**kwargs, stream=True))
        return self._conversation_stream("/v1/conversations", body, options)

    @stream_twin(append)
    def append_stream(self, conversation_id: str, **kwargs: Any) -> AsyncConversationStream:
        """Add inputs to a conversation and stream the answer: the parameters of :meth:`append`."""
        options = split_options(kwargs)
        body = body_of(AppendConversationRequest.validated(**kwargs, stream=True))
        return self._conversation_stream(_path(conversation_id), body, options)

    @stream_twin(restart)
    def restart_stream(self, conversation_id: str, **kwargs: Any) -> AsyncConversationStream:
        """Restart a conversation and stream the answer: the parameters of :meth:`restart`."""
        options = split_options(kwargs)
        body = body_of(RestartConversationRequest.validated(**kwargs, stream=True))
        return self._conversation_stream(f"{_path(conversation_id)}/restart", body, options)

    def _conversation_stream(
        self, path: str, body: dict[str, Any], options: dict[str, Any]
    ) -> AsyncConversationStream:
        stream: AsyncConversationStream = self._stream(
            AsyncConversationStream, path, _event, options, body=body
        )
        return stream


def _path(conversation_id: str) -> str:
    return f"/v1/conversations/{path_param('conversation_id', conversation_id)}"


def _same(page: list[Conversation]) -> list[Conversation]:
    return page

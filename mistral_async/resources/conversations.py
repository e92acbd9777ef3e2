"""``client.beta.conversations``: start, continue and read conversations, whole or streamed."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from .._errors import InvalidParameterError
from .._pagination import AsyncPaginator, by_page_number
from .._session import path_param
from .._types import NOT_GIVEN, REQUEST_OPTION_NAMES, NotGiven
from ..lib.conversation_stream import AsyncConversationStream
from ..lib.parse import OutputSpec, output_spec
from ..lib.parse_conversation import parse_conversation
from ..lib.tools import (
    DEFAULT_MAX_ITERATIONS,
    Approver,
    ConversationToolRunResult,
    FunctionTool,
    Toolbox,
    check_iterations,
    conversation_run,
)
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

ResponseT = TypeVar("ResponseT")

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
        output_type: type[Any] | Mapping[str, Any] | None = None,
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

        ``output_type`` (an attrs class, a dataclass, a ``TypedDict``, a pydantic model or a
        JSON schema dict) asks for a structured answer, as ``chat.parse`` does: it becomes
        ``completion_args.response_format``, and the answer is a
        :class:`~mistral_async.ParsedConversationResponse` whose ``parsed`` (and its last
        message output's ``parsed``) is that type.
        """
        given = params(locals())
        spec = _output(given, given.pop("output_type"))
        body = body_of(ConversationRequest.validated(**given))
        result: ConversationResponse = await self._request(
            "POST", "/v1/conversations", _response, options, body=body
        )
        return result if spec is None else _parsed(self, result, spec)

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
        output_type: type[Any] | Mapping[str, Any] | None = None,
        **options: Unpack[RequestOptions],
    ) -> ConversationResponse:
        """Add ``inputs`` to a conversation and get the answer.

        ``tool_confirmations`` allow or deny pending tool calls
        (``{"tool_call_id": ..., "confirmation": "allow"}``). ``output_type`` asks for a
        structured answer, as in :meth:`start`.
        """
        given = params(locals())
        path = _path(given.pop("conversation_id"))
        spec = _output(given, given.pop("output_type"))
        body = body_of(AppendConversationRequest.validated(**given))
        result: ConversationResponse = await self._request(
            "POST", path, _response, options, body=body
        )
        return result if spec is None else _parsed(self, result, spec)

    async def run_tools(
        self,
        *,
        inputs: str | Sequence[ConversationEntry | Mapping[str, Any]],
        tools: Sequence[FunctionTool[..., Any] | AgentTool | Mapping[str, Any] | Any],
        max_iterations: int = DEFAULT_MAX_ITERATIONS,
        approve: Approver | None = None,
        raise_tool_errors: bool = False,
        **kwargs: Any,
    ) -> ConversationToolRunResult:
        """Start a conversation and answer its function calls with Python functions.

        The tool runner of ``chat.run_tools`` over a conversation: :meth:`start` with
        ``inputs`` and the functions as function tools (built-in tools such as
        ``{"type": "web_search"}`` may be listed too; the API runs those), then
        :meth:`append` the results of each turn's function calls to the same
        conversation, until a response without any. ``result.final`` is that response,
        ``result.conversation_id`` the conversation (continue it with :meth:`append`).
        Other keyword arguments go to :meth:`start` (``model`` or ``agent_id``,
        ``instructions``, ``output_type``...); per-call options (``timeout``...) to every
        request. Errors and limits as in ``chat.run_tools``; the errors also carry
        ``conversation_id``.
        """
        if self._client._raw:
            raise InvalidParameterError(
                "with_raw_response", "the tool runner makes several requests; call it on the client"
            )
        check_iterations(max_iterations)
        if kwargs.get("store") is False:
            raise InvalidParameterError(
                "store", "the runner appends results to the conversation: it must be stored"
            )
        if "tools" in kwargs:
            raise InvalidParameterError("tools", "given twice")
        box = Toolbox(tools, approve=approve, raise_tool_errors=raise_tool_errors, passthrough=True)
        options = {k: v for k, v in kwargs.items() if k in REQUEST_OPTION_NAMES}
        output_type = kwargs.get("output_type")
        # Checked now, so that bad parameters raise before any request.
        _output(dict(kwargs), output_type)
        ConversationRequest.validated(
            inputs=inputs,
            tools=box.conversation_definitions(),
            **{
                k: v
                for k, v in kwargs.items()
                if k not in REQUEST_OPTION_NAMES and k != "output_type"
            },
        )

        async def start(definitions: builtins.list[Any]) -> ConversationResponse:
            return await self.start(inputs=inputs, tools=definitions, **kwargs)

        async def append(conversation_id: str, entries: builtins.list[Any]) -> ConversationResponse:
            return await self.append(
                conversation_id, inputs=entries, output_type=output_type, **options
            )

        return await conversation_run(start, append, box, max_iterations)

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


def _output(given: dict[str, Any], output_type: Any) -> OutputSpec | None:
    """Put ``output_type``'s response format into ``given["completion_args"]``."""
    if output_type is None:
        return None
    spec = output_spec(output_type)
    args = given.get("completion_args")
    if args is None or args is NOT_GIVEN:
        merged: dict[str, Any] = {}
    elif isinstance(args, Mapping):
        merged = dict(args)
    else:
        merged = {k: v for k, v in args.to_dict().items() if v is not None}
    if merged.get("response_format") is not None:
        raise InvalidParameterError(
            "output_type", "completion_args has a response_format already: give one of them"
        )
    merged["response_format"] = spec.response_format
    given["completion_args"] = merged
    return spec


def _parsed(resource: AsyncConversations, result: Any, spec: OutputSpec) -> Any:
    if resource._client._raw:
        from .._response import RawResponse

        raw = result
        return RawResponse(
            raw.status_code, raw.headers, raw.content, lambda: parse_conversation(raw.parse(), spec)
        )
    return parse_conversation(result, spec)


def _path(conversation_id: str) -> str:
    return f"/v1/conversations/{path_param('conversation_id', conversation_id)}"


def _same(page: list[Conversation]) -> list[Conversation]:
    return page

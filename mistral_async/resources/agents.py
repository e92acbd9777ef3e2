"""``client.agents``: completions from an agent, whole or streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from .._types import DEFAULT_TOOL_ITERATIONS, NOT_GIVEN, NotGiven
from ..lib.chat_stream import AsyncChatCompletionStream
from ..types.agents import AgentsCompletionRequest
from ..types.chat import (
    ChatCompletionResponse,
    CompletionChunk,
    MessageParam,
    Prediction,
    ResponseFormat,
    Tool,
    ToolChoice,
)
from ._base import AsyncResource, body_of, cast_to, params, recalled, split_options, stream_twin

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import RequestOptions
    from ..lib.parse import AsyncParsedChatCompletionStream, ParsedChatCompletion
    from ..lib.tools import Approver, FunctionTool, ToolRunEvent, ToolRunResult

__all__ = ["AsyncAgents"]

ResponseT = TypeVar("ResponseT")

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]

_PATH = "/v1/agents/completions"
_completion = cast_to(ChatCompletionResponse)
_chunk = cast_to(CompletionChunk)


class AsyncAgents(AsyncResource):
    """Agent completions: an agent (its model, instructions and tools) answers messages."""

    __slots__ = ()

    @recalled
    async def complete(
        self,
        *,
        agent_id: str,
        messages: Sequence[MessageParam],
        max_tokens: int | NotGiven | None = NOT_GIVEN,
        stop: str | Sequence[str] | NotGiven | None = NOT_GIVEN,
        random_seed: int | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        response_format: ResponseFormat | Mapping[str, Any] | NotGiven = NOT_GIVEN,
        tools: Sequence[Tool | Mapping[str, Any]] | NotGiven | None = NOT_GIVEN,
        tool_choice: ToolChoice
        | Literal["auto", "none", "any", "required"]
        | Mapping[str, Any]
        | NotGiven = NOT_GIVEN,
        presence_penalty: float | NotGiven | None = NOT_GIVEN,
        frequency_penalty: float | NotGiven | None = NOT_GIVEN,
        n: int | NotGiven | None = NOT_GIVEN,
        prediction: Prediction | Mapping[str, Any] | NotGiven = NOT_GIVEN,
        parallel_tool_calls: bool | NotGiven = NOT_GIVEN,
        reasoning_effort: ReasoningEffort | NotGiven | None = NOT_GIVEN,
        prompt_mode: Literal["reasoning"] | NotGiven | None = NOT_GIVEN,
        guardrails: Sequence[Mapping[str, Any]] | NotGiven | None = NOT_GIVEN,
        prompt_cache_key: str | NotGiven | None = NOT_GIVEN,
        service_tier: Literal["auto", "standard_only"] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> ChatCompletionResponse:
        """Ask an agent for a completion of ``messages``.

        The agent (created with ``client.beta.agents.create``) brings its model,
        instructions and tools; ``messages`` are chat messages, attrs objects or plain
        dicts. The answer is a chat completion. A parameter you leave out is not sent; an
        explicit ``None`` is sent as ``null``. See https://docs.mistral.ai/api/#tag/agents.
        """
        body = body_of(AgentsCompletionRequest.validated(**params(locals())))
        result: ChatCompletionResponse = await self._request(
            "POST", _PATH, _completion, options, body=body
        )
        return result

    @stream_twin(complete)
    def stream(self, **kwargs: Any) -> AsyncChatCompletionStream:
        """Stream an agent completion: the same parameters as :meth:`complete`.

        Use the result with ``async with`` (or read it with ``async for``); each item is a
        :class:`CompletionChunk`. ``await stream.get_final_completion()`` gives the whole
        completion.
        """
        options = split_options(kwargs)
        body = body_of(AgentsCompletionRequest.validated(**kwargs, stream=True))
        stream: AsyncChatCompletionStream = self._stream(
            AsyncChatCompletionStream, _PATH, _chunk, options, body=body
        )
        return stream

    async def parse(
        self,
        *,
        agent_id: str,
        messages: Sequence[MessageParam],
        response_format: type[ResponseT] | Mapping[str, Any],
        max_tokens: int | NotGiven | None = NOT_GIVEN,
        stop: str | Sequence[str] | NotGiven | None = NOT_GIVEN,
        random_seed: int | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        tools: Sequence[Tool | Mapping[str, Any]] | NotGiven | None = NOT_GIVEN,
        tool_choice: ToolChoice
        | Literal["auto", "none", "any", "required"]
        | Mapping[str, Any]
        | NotGiven = NOT_GIVEN,
        presence_penalty: float | NotGiven | None = NOT_GIVEN,
        frequency_penalty: float | NotGiven | None = NOT_GIVEN,
        n: int | NotGiven | None = NOT_GIVEN,
        prediction: Prediction | Mapping[str, Any] | NotGiven = NOT_GIVEN,
        parallel_tool_calls: bool | NotGiven = NOT_GIVEN,
        reasoning_effort: ReasoningEffort | NotGiven | None = NOT_GIVEN,
        prompt_mode: Literal["reasoning"] | NotGiven | None = NOT_GIVEN,
        guardrails: Sequence[Mapping[str, Any]] | NotGiven | None = NOT_GIVEN,
        prompt_cache_key: str | NotGiven | None = NOT_GIVEN,
        service_tier: Literal["auto", "standard_only"] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> ParsedChatCompletion[ResponseT]:
        """Ask an agent for an answer that is an instance of ``response_format``.

        As :meth:`AsyncChat.parse <mistral_async.resources.chat.AsyncChat.parse>`:
        ``response_format`` is an attrs class, a dataclass, a ``TypedDict``, a pydantic
        model or a JSON schema dict, and ``completion.choices[0].message.parsed`` the
        answer as that type. Raises :class:`~mistral_async.OutputTruncatedError` or
        :class:`~mistral_async.OutputParseError` when the answer does not parse.
        """
        given = params(locals())  # before the import below adds a local
        from ..lib.parse import request_parsed  # structured outputs load on first use

        result: ParsedChatCompletion[ResponseT] = await request_parsed(
            self, AgentsCompletionRequest, _PATH, _completion, given, options
        )
        return result

    @stream_twin(parse)
    def parse_stream(self, **kwargs: Any) -> AsyncParsedChatCompletionStream:
        """Stream an agent's structured output: the same parameters as :meth:`parse`.

        Events are :class:`~mistral_async.lib.parse.ParsedChunk`;
        ``await stream.get_final_completion()`` gives the :class:`ParsedChatCompletion`.
        """
        from ..lib.parse import open_parsed_stream

        return open_parsed_stream(self, AgentsCompletionRequest, _PATH, _chunk, kwargs)

    async def run_tools(
        self,
        /,
        *,
        agent_id: str,
        messages: Sequence[MessageParam],
        tools: Sequence[FunctionTool[..., Any] | Any],
        max_iterations: int = DEFAULT_TOOL_ITERATIONS,
        approve: Approver | None = None,
        raise_tool_errors: bool = False,
        **kwargs: Any,
    ) -> ToolRunResult:
        """Let an agent call ``tools`` (Python functions) until it answers.

        The runner of :meth:`AsyncChat.run_tools
        <mistral_async.resources.chat.AsyncChat.run_tools>` over agent completions: the
        same ``tools``, ``max_iterations``, ``approve`` and ``raise_tool_errors``; other
        keyword arguments go to each :meth:`complete`.
        """
        arguments = dict(locals())
        from ..lib.tools import completion_run  # loaded by tool runs only

        return await completion_run(self, "agent_id", arguments)(None)

    @stream_twin(run_tools)
    def run_tools_stream(self, **kwargs: Any) -> AsyncIterator[ToolRunEvent]:
        """:meth:`run_tools`, streamed: the events of :meth:`AsyncChat.run_tools_stream
        <mistral_async.resources.chat.AsyncChat.run_tools_stream>`, from an agent."""
        from ..lib.tools import completion_run, events_of

        return events_of(completion_run(self, "agent_id", kwargs, streaming=True))


def __getattr__(name: str) -> Any:
    # Structured outputs load on first use; their stream class is still found here.
    if name == "AsyncParsedChatCompletionStream":
        from ..lib.parse import AsyncParsedChatCompletionStream

        return AsyncParsedChatCompletionStream
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

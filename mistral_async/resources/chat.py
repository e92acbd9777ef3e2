"""``client.chat``: chat completions, whole or streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from .._types import DEFAULT_TOOL_ITERATIONS, NOT_GIVEN, NotGiven
from ..lib.chat_stream import AsyncChatCompletionStream
from ..types.chat import (
    ChatCompletionRequest,
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

__all__ = ["AsyncChat"]

ResponseT = TypeVar("ResponseT")

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]

_PATH = "/v1/chat/completions"
_completion = cast_to(ChatCompletionResponse)
_chunk = cast_to(CompletionChunk)


class AsyncChat(AsyncResource):
    """Chat completions: ``complete`` for the whole answer, ``stream`` for it as it comes."""

    __slots__ = ()

    @recalled
    async def complete(
        self,
        *,
        model: str,
        messages: Sequence[MessageParam],
        temperature: float | NotGiven | None = NOT_GIVEN,
        top_p: float | NotGiven | None = NOT_GIVEN,
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
        safe_prompt: bool | NotGiven = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> ChatCompletionResponse:
        """Create a chat completion.

        ``messages`` are attrs messages (:class:`UserMessage`, ...) or plain dicts such as
        ``{"role": "user", "content": "Hi"}``. A parameter you leave out is not sent; an
        explicit ``None`` is sent as ``null``. Every other parameter is the API's own, see
        https://docs.mistral.ai/api/#tag/chat. ``options`` are the per-call settings of
        :class:`~mistral_async.RequestOptions` (``timeout``, ``max_retries``, ...).
        """
        body = body_of(ChatCompletionRequest.validated(**params(locals())))
        result: ChatCompletionResponse = await self._request(
            "POST", _PATH, _completion, options, body=body
        )
        return result

    @stream_twin(complete)
    def stream(self, **kwargs: Any) -> AsyncChatCompletionStream:
        """Stream a chat completion: the same parameters as :meth:`complete`.

        Use the result with ``async with`` (or read it with ``async for``); each item is a
        :class:`CompletionChunk`. ``await stream.get_final_completion()`` gives the whole
        completion.
        """
        options = split_options(kwargs)
        body = body_of(ChatCompletionRequest.validated(**kwargs, stream=True))
        stream: AsyncChatCompletionStream = self._stream(
            AsyncChatCompletionStream, _PATH, _chunk, options, body=body
        )
        return stream

    async def parse(
        self,
        *,
        model: str,
        messages: Sequence[MessageParam],
        response_format: type[ResponseT] | Mapping[str, Any],
        temperature: float | NotGiven | None = NOT_GIVEN,
        top_p: float | NotGiven | None = NOT_GIVEN,
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
        safe_prompt: bool | NotGiven = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> ParsedChatCompletion[ResponseT]:
        """Create a chat completion whose answer is an instance of ``response_format``.

        ``response_format`` is an attrs class, a dataclass, a ``TypedDict``, a pydantic
        model or a JSON schema dict; its strict JSON schema is sent
        (:func:`~mistral_async.strict_json_schema` shows it) and each choice's message
        gets ``parsed``: ``completion.choices[0].message.parsed`` (the decoded JSON for a
        schema dict). Every field of the completion is kept. Other parameters are
        :meth:`complete`'s.

        Raises :class:`~mistral_async.OutputTruncatedError` when the answer stopped at the
        token limit, and :class:`~mistral_async.OutputParseError` (with the path of the bad
        value) when it is not JSON of the type; both keep the text. A type that cannot be
        described raises :class:`~mistral_async.InvalidParameterError` before sending.
        """
        given = params(locals())  # before the import below adds a local
        from ..lib.parse import request_parsed  # structured outputs load on first use

        result: ParsedChatCompletion[ResponseT] = await request_parsed(
            self, ChatCompletionRequest, _PATH, _completion, given, options
        )
        return result

    @stream_twin(parse)
    def parse_stream(self, **kwargs: Any) -> AsyncParsedChatCompletionStream:
        """Stream a structured output: the same parameters as :meth:`parse`.

        Each event is a :class:`~mistral_async.lib.parse.ParsedChunk`: the ``chunk``, the
        ``snapshot`` of the text so far and the ``partial`` object parsed from it.
        ``await stream.get_final_completion()`` gives the :class:`ParsedChatCompletion`.
        """
        from ..lib.parse import open_parsed_stream

        return open_parsed_stream(self, ChatCompletionRequest, _PATH, _chunk, kwargs)

    async def run_tools(
        self,
        /,
        *,
        model: str,
        messages: Sequence[MessageParam],
        tools: Sequence[FunctionTool[..., Any] | Any],
        max_iterations: int = DEFAULT_TOOL_ITERATIONS,
        approve: Approver | None = None,
        raise_tool_errors: bool = False,
        **kwargs: Any,
    ) -> ToolRunResult:
        """Let the model call ``tools`` (Python functions) until it answers.

        Each turn sends the transcript; the tool calls the model makes are checked against
        the functions' signatures and run (async ones awaited, plain ones in worker
        threads, the calls of one turn concurrently), and their results sent back, until an
        answer without tool calls: ``result.final``. ``result.messages`` is the whole
        transcript. ``tools`` are :func:`~mistral_async.tool` objects or plain functions.

        A tool the model names that does not exist, or arguments that do not fit, get an
        error result the model can correct. A tool that raises sends its error to the
        model, unless ``raise_tool_errors`` (then :class:`~mistral_async.ToolExecutionError`).
        ``approve(request)`` (plain or async) decides the calls of tools made with
        ``requires_approval=True``; a denied call gets a "denied" result.
        ``max_iterations`` model turns at most, then
        :class:`~mistral_async.ToolIterationLimitError` with the transcript so far.
        Other keyword arguments (``temperature``, ``tool_choice``, ``timeout``...) go to
        each :meth:`complete`.
        """
        arguments = dict(locals())
        from ..lib.tools import completion_run  # loaded by tool runs only

        return await completion_run(self, "model", arguments)(None)

    @stream_twin(run_tools)
    def run_tools_stream(self, **kwargs: Any) -> AsyncIterator[ToolRunEvent]:
        """:meth:`run_tools`, streamed: ``async for event in client.chat.run_tools_stream(...)``.

        Events, as they happen: :class:`~mistral_async.lib.tools.ToolRunChunk` (each chunk
        of the model's answers), ``ToolRunTurn`` (a whole answer), ``ToolCallStarted``,
        ``ToolResultEvent`` (as each call finishes), and last ``ToolRunDone`` with the
        :class:`ToolRunResult`. The run goes on in a task while you handle an event (use
        ``approve`` to stop a call before it runs); leaving the loop early stops the run
        (running async tools are cancelled; a thread finishes its call). The run's error,
        if any, is raised after the events before it.
        """
        from ..lib.tools import completion_run, events_of

        return events_of(completion_run(self, "model", kwargs, streaming=True))


def __getattr__(name: str) -> Any:
    # Structured outputs load on first use; their stream class is still found here.
    if name == "AsyncParsedChatCompletionStream":
        from ..lib.parse import AsyncParsedChatCompletionStream

        return AsyncParsedChatCompletionStream
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

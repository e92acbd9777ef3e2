"""``client.chat``: chat completions, whole or streamed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from .._types import NOT_GIVEN, NotGiven
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
from ._base import AsyncResource, body_of, cast_to, params, split_options, stream_twin

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import RequestOptions

__all__ = ["AsyncChat"]

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]

_PATH = "/v1/chat/completions"
_completion = cast_to(ChatCompletionResponse)
_chunk = cast_to(CompletionChunk)


class AsyncChat(AsyncResource):
    """Chat completions: ``complete`` for the whole answer, ``stream`` for it as it comes."""

    __slots__ = ()

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

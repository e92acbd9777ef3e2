"""``client.fim``: fill-in-the-middle code completions, whole or streamed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._types import NOT_GIVEN, NotGiven
from ..lib.chat_stream import AsyncChatCompletionStream
from ..types.chat import CompletionChunk, FIMCompletionRequest, FIMCompletionResponse
from ._base import AsyncResource, body_of, cast_to, params, recalled, split_options, stream_twin

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import RequestOptions

__all__ = ["AsyncFim"]

_PATH = "/v1/fim/completions"
_completion = cast_to(FIMCompletionResponse)
_chunk = cast_to(CompletionChunk)


class AsyncFim(AsyncResource):
    """Fill-in-the-middle: complete code between a ``prompt`` and an optional ``suffix``."""

    __slots__ = ()

    @recalled
    async def complete(
        self,
        *,
        model: str,
        prompt: str,
        suffix: str | NotGiven | None = NOT_GIVEN,
        temperature: float | NotGiven | None = NOT_GIVEN,
        top_p: float | NotGiven | None = NOT_GIVEN,
        max_tokens: int | NotGiven | None = NOT_GIVEN,
        min_tokens: int | NotGiven | None = NOT_GIVEN,
        stop: str | Sequence[str] | NotGiven | None = NOT_GIVEN,
        random_seed: int | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        prompt_cache_key: str | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> FIMCompletionResponse:
        """Create a FIM completion (for example with ``model="codestral-latest"``).

        A parameter you leave out is not sent; an explicit ``None`` is sent as ``null``.
        """
        body = body_of(FIMCompletionRequest.validated(**params(locals())))
        result: FIMCompletionResponse = await self._request(
            "POST", _PATH, _completion, options, body=body
        )
        return result

    @stream_twin(complete)
    def stream(self, **kwargs: Any) -> AsyncChatCompletionStream:
        """Stream a FIM completion: the same parameters as :meth:`complete`."""
        options = split_options(kwargs)
        body = body_of(FIMCompletionRequest.validated(**kwargs, stream=True))
        stream: AsyncChatCompletionStream = self._stream(
            AsyncChatCompletionStream, _PATH, _chunk, options, body=body
        )
        return stream

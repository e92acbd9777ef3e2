"""The stream of a chat or FIM completion, with :meth:`get_final_completion`."""

from __future__ import annotations

from typing import Any

from .._streaming import AsyncStream
from ..types.chat import ChatCompletionResponse, CompletionChunk
from .accumulate import CompletionAccumulator

__all__ = ["AsyncChatCompletionStream"]


class AsyncChatCompletionStream(AsyncStream[CompletionChunk]):
    """An :class:`AsyncStream` of :class:`CompletionChunk` that can fold itself into one completion.

    ``await stream.get_final_completion()`` reads what is left and returns the
    :class:`ChatCompletionResponse` the chunks add up to, including the chunks you
    already iterated over.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fold_into(CompletionAccumulator())

    async def get_final_completion(self) -> ChatCompletionResponse:
        """Read the rest of the stream and return the whole completion."""
        result: ChatCompletionResponse = await self._fold_rest()
        return result

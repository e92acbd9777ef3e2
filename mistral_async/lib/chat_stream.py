"""The stream of a chat or FIM completion, with :meth:`get_final_completion`."""

from __future__ import annotations

from typing import Any

from .._streaming import AsyncStream
from ..types.chat import ChatCompletionResponse, CompletionChunk
from .accumulate import CompletionAccumulator

__all__ = ["AsyncChatCompletionStream"]

_FOLD_EVERY = 4096


class AsyncChatCompletionStream(AsyncStream[CompletionChunk]):
    """An :class:`AsyncStream` of :class:`CompletionChunk` that can fold itself into one completion.

    ``await stream.get_final_completion()`` reads what is left and returns the
    :class:`ChatCompletionResponse` the chunks add up to, including the chunks you
    already iterated over.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._history = []
        self._accumulator = CompletionAccumulator()

    def _handle(self, events: list[Any], at_eof: bool = False) -> None:
        super()._handle(events, at_eof)
        history = self._history
        if history is not None and len(history) >= _FOLD_EVERY:
            self._accumulator.add(history)
            history.clear()

    async def get_final_completion(self) -> ChatCompletionResponse:
        """Read the rest of the stream and return the whole completion."""
        await self.until_done()
        if self._history:
            self._accumulator.add(self._history)
            self._history.clear()
        return self._accumulator.result()

"""The floor for blocking clients: raw aiohttp driven from a background event-loop thread.

Each blocking call submits the coroutine of :mod:`benchmarks.clients.raw_aiohttp` to a loop
running in a daemon thread with :func:`asyncio.run_coroutine_threadsafe` and waits for it. A
stream crosses threads once per network read and parses the events in the caller's thread,
which is the least a blocking iterator over an async transport has to do.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from benchmarks.clients.base import StreamTally, SyncAdapter
from benchmarks.clients.raw_aiohttp import RawAiohttp, SseCounter

T = TypeVar("T")


async def _read_piece(resp: Any) -> bytes:
    return await resp.content.readany()  # type: ignore[no-any-return]


async def _release(resp: Any) -> None:
    resp.release()


class RawAiohttpThread(SyncAdapter):
    """Blocking facade over :class:`RawAiohttp` running in a background loop thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bench-loop", daemon=True)
        self.inner = RawAiohttp()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def open(self, base_url: str) -> None:
        """Start the loop thread and open the session inside it."""
        self.thread.start()
        self._call(self.inner.open(base_url))

    def close(self) -> None:
        """Close the session, stop the loop and join the thread."""
        self._call(self.inner.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()

    def chat(self) -> str:
        """One blocking chat completion."""
        return self._call(self.inner.chat())

    def stream(self, n_chunks: int) -> StreamTally:
        """One blocking stream: one thread hop per network read, parsing in this thread."""
        resp = self._call(self.inner.open_stream(n_chunks))
        counter = SseCounter()
        try:
            while not counter.done:
                piece = self._call(_read_piece(resp))
                if not piece:
                    break
                counter.feed(piece)
        finally:
            self._call(_release(resp))
        return counter.tally()


def create() -> RawAiohttpThread:
    """Return a new, unopened adapter."""
    return RawAiohttpThread()

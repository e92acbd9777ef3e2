"""Adapter for this project's blocking client, :class:`mistral_async.Mistral`."""

from __future__ import annotations

from typing import Any

from benchmarks.clients.base import (
    API_KEY,
    CHAT_MODEL,
    MESSAGES,
    StreamTally,
    SyncAdapter,
    text_len,
)


class MistralSyncAdapter(SyncAdapter):
    """``Mistral`` (blocking) from this project, used as a context manager."""

    def __init__(self) -> None:
        self.manager: Any = None
        self.client: Any = None

    def open(self, base_url: str) -> None:
        """``with Mistral(api_key=..., server_url=..., max_retries=2) as client``."""
        from mistral_async import Mistral

        self.manager = Mistral(api_key=API_KEY, server_url=base_url, max_retries=2)
        self.client = self.manager.__enter__()

    def close(self) -> None:
        """Leave the ``with`` block."""
        if self.manager is not None:
            self.manager.__exit__(None, None, None)

    def chat(self) -> str:
        """``client.chat.complete(...)``."""
        res = self.client.chat.complete(model=CHAT_MODEL, messages=MESSAGES)
        return res.choices[0].message.content  # type: ignore[no-any-return]

    def stream(self, n_chunks: int) -> StreamTally:
        """``with client.chat.stream(...) as s: for chunk in s``."""
        chunks = 0
        size = 0
        with self.client.chat.stream(
            model=CHAT_MODEL, messages=MESSAGES, max_tokens=n_chunks
        ) as events:
            for chunk in events:
                chunks += 1
                size += text_len(chunk.choices[0].delta.content)
        return StreamTally(chunks, size)


def create() -> MistralSyncAdapter:
    """Return a new, unopened adapter."""
    return MistralSyncAdapter()

"""Adapter for the official ``mistralai`` SDK, blocking methods."""

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
from benchmarks.clients.mistralai_async import mistral_class


class MistralaiSyncAdapter(SyncAdapter):
    """``mistralai.client.Mistral`` with its blocking methods."""

    def __init__(self) -> None:
        self.client: Any = None

    def open(self, base_url: str) -> None:
        """``Mistral(api_key=..., server_url=...)`` with its default httpx client."""
        self.client = mistral_class()(api_key=API_KEY, server_url=base_url)

    def close(self) -> None:
        """Leave ``with client`` (closes the httpx client)."""
        if self.client is not None:
            self.client.__exit__(None, None, None)

    def chat(self) -> str:
        """``client.chat.complete(...)``."""
        res = self.client.chat.complete(model=CHAT_MODEL, messages=MESSAGES)
        return res.choices[0].message.content  # type: ignore[no-any-return]

    def stream(self, n_chunks: int) -> StreamTally:
        """``with client.chat.stream(...) as events``; each event's ``.data``."""
        chunks = 0
        size = 0
        with self.client.chat.stream(
            model=CHAT_MODEL, messages=MESSAGES, max_tokens=n_chunks
        ) as events:
            for event in events:
                chunks += 1
                size += text_len(event.data.choices[0].delta.content)
        return StreamTally(chunks, size)


def create() -> MistralaiSyncAdapter:
    """Return a new, unopened adapter."""
    return MistralaiSyncAdapter()

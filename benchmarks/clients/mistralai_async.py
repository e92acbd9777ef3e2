"""Adapter for the official ``mistralai`` SDK, async methods (``*_async``).

Written against ``mistralai`` 3.x, whose client lives in ``mistralai.client`` (older releases
exported ``Mistral`` from ``mistralai`` directly; both are tried). Streams yield
``CompletionEvent`` objects whose ``.data`` is the typed ``CompletionChunk``.
"""

from __future__ import annotations

from typing import Any

from benchmarks.clients.base import (
    API_KEY,
    CHAT_MODEL,
    EMBED_MODEL,
    MESSAGES,
    AsyncAdapter,
    EmbedTally,
    StreamTally,
    embed_tally,
    text_len,
)


def mistral_class() -> Any:
    """Return the official SDK's ``Mistral`` class, wherever this version keeps it."""
    try:
        from mistralai.client import Mistral
    except ImportError:
        from mistralai import Mistral  # type: ignore[attr-defined,no-redef]
    return Mistral


class MistralaiAsyncAdapter(AsyncAdapter):
    """``mistralai.client.Mistral`` with its ``*_async`` methods."""

    def __init__(self) -> None:
        self.client: Any = None

    async def open(self, base_url: str) -> None:
        """``Mistral(api_key=..., server_url=...)`` with its default httpx client."""
        self.client = mistral_class()(api_key=API_KEY, server_url=base_url)

    async def aclose(self) -> None:
        """Leave ``async with client`` (closes the async httpx client)."""
        if self.client is not None:
            await self.client.__aexit__(None, None, None)

    async def chat(self) -> str:
        """``await client.chat.complete_async(...)``."""
        res = await self.client.chat.complete_async(model=CHAT_MODEL, messages=MESSAGES)
        return res.choices[0].message.content  # type: ignore[no-any-return]

    async def stream(self, n_chunks: int) -> StreamTally:
        """``async with await client.chat.stream_async(...)``; each event's ``.data``."""
        chunks = 0
        size = 0
        events = await self.client.chat.stream_async(
            model=CHAT_MODEL, messages=MESSAGES, max_tokens=n_chunks
        )
        async with events:
            async for event in events:
                chunks += 1
                size += text_len(event.data.choices[0].delta.content)
        return StreamTally(chunks, size)

    async def embed(self, inputs: list[str]) -> EmbedTally:
        """``await client.embeddings.create_async(model=..., inputs=...)``."""
        res = await self.client.embeddings.create_async(model=EMBED_MODEL, inputs=inputs)
        return embed_tally(res.data, lambda item: item.embedding)

    async def upload(self, path: str) -> int:
        """``await client.files.upload_async(file={"file_name", "content": <file>})``."""
        with open(path, "rb") as fh:
            res = await self.client.files.upload_async(
                file={"file_name": "bench.bin", "content": fh}, purpose="batch"
            )
        return int(res.size_bytes)

    async def download(self, file_id: str, dest: str) -> int:
        """``await client.files.download_async(file_id=...)`` then ``aiter_bytes()``."""
        resp = await self.client.files.download_async(file_id=file_id)
        written = 0
        try:
            with open(dest, "wb") as out:
                async for piece in resp.aiter_bytes():
                    out.write(piece)
                    written += len(piece)
        finally:
            await resp.aclose()
        return written


def create() -> MistralaiAsyncAdapter:
    """Return a new, unopened adapter."""
    return MistralaiAsyncAdapter()

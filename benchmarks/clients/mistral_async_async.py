"""Adapter for this project's async client, :class:`mistral_async.AsyncMistral`."""

from __future__ import annotations

from typing import Any

from benchmarks.clients.base import (
    API_KEY,
    CHAT_MODEL,
    EMBED_MODEL,
    MESSAGES,
    AsyncAdapter,
    EmbedTally,
    FilesUnsupported,
    StreamTally,
    embed_tally,
    text_len,
)

DOWNLOAD_PIECE = 1024 * 1024


class MistralAsyncAdapter(AsyncAdapter):
    """``AsyncMistral`` from this project."""

    def __init__(self) -> None:
        self.client: Any = None

    async def open(self, base_url: str) -> None:
        """Create ``AsyncMistral(api_key=..., server_url=..., max_retries=2)``."""
        from mistral_async import AsyncMistral

        self.client = AsyncMistral(api_key=API_KEY, server_url=base_url, max_retries=2)

    async def aclose(self) -> None:
        """``await client.aclose()``."""
        if self.client is not None:
            await self.client.aclose()

    async def chat(self) -> str:
        """``await client.chat.complete(...)``."""
        res = await self.client.chat.complete(model=CHAT_MODEL, messages=MESSAGES)
        return res.choices[0].message.content  # type: ignore[no-any-return]

    async def stream(self, n_chunks: int) -> StreamTally:
        """``async with client.chat.stream(...) as s: async for chunk in s``."""
        chunks = 0
        size = 0
        async with self.client.chat.stream(
            model=CHAT_MODEL, messages=MESSAGES, max_tokens=n_chunks
        ) as events:
            async for chunk in events:
                chunks += 1
                size += text_len(chunk.choices[0].delta.content)
        return StreamTally(chunks, size)

    async def embed(self, inputs: list[str]) -> EmbedTally:
        """``await client.embeddings.create(model=..., inputs=...)``."""
        res = await self.client.embeddings.create(model=EMBED_MODEL, inputs=inputs)
        return embed_tally(res.data, lambda item: item.embedding)

    def _files(self) -> Any:
        files = getattr(self.client, "files", None)
        if files is None:
            raise FilesUnsupported("AsyncMistral has no files API yet")
        return files

    async def upload(self, path: str) -> int:
        """``await client.files.upload(file=<open binary file>, purpose="batch")``."""
        files = self._files()
        with open(path, "rb") as fh:
            res = await files.upload(file=fh, purpose="batch")
        return int(res.bytes)

    async def download(self, file_id: str, dest: str) -> int:
        """``async with await client.files.download(id) as body``, 1 MiB pieces to ``dest``."""
        written = 0
        async with await self._files().download(file_id) as body:
            with open(dest, "wb") as out:
                async for piece in body.iter_bytes(DOWNLOAD_PIECE):
                    out.write(piece)
                    written += len(piece)
        return written


def create() -> MistralAsyncAdapter:
    """Return a new, unopened adapter."""
    return MistralAsyncAdapter()

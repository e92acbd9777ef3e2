"""The floor: hand-written requests on one :class:`aiohttp.ClientSession`.

``json.dumps`` in, ``json.loads`` out; server-sent events are split by hand on ``b"\\n\\n"``
from ``resp.content.iter_any()`` pieces and each ``data:`` payload goes through ``json.loads``,
reading ``choices[0]["delta"]["content"]``. No models, no validation, no retries.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from benchmarks.clients.base import (
    API_KEY,
    CHAT_MODEL,
    EMBED_MODEL,
    MESSAGES,
    AsyncAdapter,
    EmbedTally,
    StreamTally,
)

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
SSE_HEADERS = {"Content-Type": "application/json", "Accept": "text/event-stream"}
DOWNLOAD_PIECE = 1024 * 1024


class SseCounter:
    """Incremental SSE splitter: feed network pieces, count chunks and their text."""

    __slots__ = ("chunks", "done", "rest", "text_len")

    def __init__(self) -> None:
        self.rest = b""
        self.chunks = 0
        self.text_len = 0
        self.done = False

    def feed(self, piece: bytes) -> None:
        """Parse every complete event in ``piece`` (plus what was left from the last one)."""
        events = (self.rest + piece).split(b"\n\n")
        self.rest = events.pop()
        for event in events:
            if not event.startswith(b"data:"):
                continue
            data = event[5:].strip()
            if data == b"[DONE]":
                self.done = True
                return
            chunk = json.loads(data)
            content = chunk["choices"][0]["delta"]["content"]
            self.chunks += 1
            if content:
                self.text_len += len(content)

    def tally(self) -> StreamTally:
        """Return what was counted so far."""
        return StreamTally(self.chunks, self.text_len)


def chat_body() -> bytes:
    """Return the request body of a chat completion."""
    return json.dumps({"model": CHAT_MODEL, "messages": MESSAGES}).encode()


def stream_body(n_chunks: int) -> bytes:
    """Return the request body of a streamed chat completion of ``n_chunks`` chunks."""
    return json.dumps(
        {"model": CHAT_MODEL, "messages": MESSAGES, "stream": True, "max_tokens": n_chunks}
    ).encode()


class RawAiohttp(AsyncAdapter):
    """Raw aiohttp adapter (the baseline every async client is compared with)."""

    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None
        self.base = ""

    async def open(self, base_url: str) -> None:
        """Create the session (unlimited connection pool: concurrency is set by the caller)."""
        self.base = base_url.rstrip("/")
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            headers={"Authorization": f"Bearer {API_KEY}"},
        )

    async def aclose(self) -> None:
        """Close the session."""
        if self.session is not None:
            await self.session.close()

    def _session(self) -> aiohttp.ClientSession:
        assert self.session is not None, "open() first"
        return self.session

    async def chat(self) -> str:
        """POST one chat completion and return ``choices[0].message.content``."""
        async with self._session().post(
            self.base + "/v1/chat/completions", data=chat_body(), headers=JSON_HEADERS
        ) as resp:
            resp.raise_for_status()
            payload: Any = json.loads(await resp.read())
        return payload["choices"][0]["message"]["content"]  # type: ignore[no-any-return]

    async def open_stream(self, n_chunks: int) -> aiohttp.ClientResponse:
        """Start a streamed chat completion and return the response, body unread."""
        resp = await self._session().post(
            self.base + "/v1/chat/completions", data=stream_body(n_chunks), headers=SSE_HEADERS
        )
        resp.raise_for_status()
        return resp

    async def stream(self, n_chunks: int) -> StreamTally:
        """Stream one completion, splitting events by hand."""
        counter = SseCounter()
        resp = await self.open_stream(n_chunks)
        try:
            async for piece in resp.content.iter_any():
                counter.feed(piece)
                if counter.done:
                    break
        finally:
            resp.release()
        return counter.tally()

    async def embed(self, inputs: list[str]) -> EmbedTally:
        """POST one embeddings request."""
        body = json.dumps({"model": EMBED_MODEL, "input": inputs}).encode()
        async with self._session().post(
            self.base + "/v1/embeddings", data=body, headers=JSON_HEADERS
        ) as resp:
            resp.raise_for_status()
            payload: Any = json.loads(await resp.read())
        data = payload["data"]
        floats = 0
        for item in data:
            floats += len(item["embedding"])
        return EmbedTally(len(data), floats, data[0]["embedding"][0])

    async def upload(self, path: str) -> int:
        """Upload ``path`` as multipart/form-data, streamed from disk by aiohttp."""
        with open(path, "rb") as fh:
            form = aiohttp.FormData()
            form.add_field("purpose", "batch")
            form.add_field(
                "file", fh, filename="bench.bin", content_type="application/octet-stream"
            )
            async with self._session().post(self.base + "/v1/files", data=form) as resp:
                resp.raise_for_status()
                payload: Any = json.loads(await resp.read())
        return int(payload["bytes"])

    async def download(self, file_id: str, dest: str) -> int:
        """Download ``file_id`` into ``dest`` one piece at a time."""
        written = 0
        async with self._session().get(f"{self.base}/v1/files/{file_id}/content") as resp:
            resp.raise_for_status()
            with open(dest, "wb") as out:
                async for piece in resp.content.iter_chunked(DOWNLOAD_PIECE):
                    out.write(piece)
                    written += len(piece)
        return written


def create() -> RawAiohttp:
    """Return a new, unopened adapter."""
    return RawAiohttp()

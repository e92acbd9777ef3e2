"""The interface every client adapter implements, and the small result types they return.

An adapter wraps one client library and performs *one* operation per call (one chat
completion, one stream, one embeddings request, one upload, one download). Concurrency,
repetition, warm-up and timing are driven by :mod:`benchmarks.worker`, identically for every
client, so the adapters stay small and the work is the same for all of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from benchmarks import wire

API_KEY = "bench-key"
MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "Hello"}]


@dataclass(frozen=True)
class StreamTally:
    """What one stream delivered: number of typed chunks and total characters of text."""

    chunks: int
    text_len: int


@dataclass(frozen=True)
class EmbedTally:
    """What one embeddings response held: vectors, floats in all vectors, first float seen."""

    vectors: int
    floats: int
    probe: float


class FilesUnsupported(Exception):
    """Raised by an adapter whose library has no files API (W8 is then reported as n/a)."""


def text_len(content: object) -> int:
    """Return the length of a ``content`` field that may be ``None``, a string or a list."""
    if content is None:
        return 0
    if isinstance(content, str):
        return len(content)
    if isinstance(content, list):
        total = 0
        for part in content:
            text = part.get("text") if isinstance(part, dict) else getattr(part, "text", None)
            total += len(text) if isinstance(text, str) else 0
        return total
    raise TypeError(f"unexpected content type {type(content).__name__}")


class AsyncAdapter(ABC):
    """One async client. ``open`` is called inside the event loop that runs the workload."""

    @abstractmethod
    async def open(self, base_url: str) -> None:
        """Create the client for the server at ``base_url`` (no ``/v1`` suffix)."""

    @abstractmethod
    async def aclose(self) -> None:
        """Close the client and its connections."""

    @abstractmethod
    async def chat(self) -> str:
        """Make one non-streamed chat completion and return the assistant's content."""

    @abstractmethod
    async def stream(self, n_chunks: int) -> StreamTally:
        """Stream one chat completion of ``n_chunks`` chunks, reading every chunk's text."""

    @abstractmethod
    async def embed(self, inputs: list[str]) -> EmbedTally:
        """Make one embeddings request for ``inputs``."""

    async def upload(self, path: str) -> int:
        """Upload the file at ``path``; return the size the server acknowledged."""
        raise FilesUnsupported("no files API")

    async def download(self, file_id: str, dest: str) -> int:
        """Download file ``file_id`` into ``dest`` chunk by chunk; return the bytes written."""
        raise FilesUnsupported("no files API")


class SyncAdapter(ABC):
    """One synchronous (blocking) client."""

    @abstractmethod
    def open(self, base_url: str) -> None:
        """Create the client for the server at ``base_url`` (no ``/v1`` suffix)."""

    @abstractmethod
    def close(self) -> None:
        """Close the client and its connections."""

    @abstractmethod
    def chat(self) -> str:
        """Make one non-streamed chat completion and return the assistant's content."""

    @abstractmethod
    def stream(self, n_chunks: int) -> StreamTally:
        """Stream one chat completion of ``n_chunks`` chunks, reading every chunk's text."""


def embed_tally(vectors: list[Any], get: Any) -> EmbedTally:
    """Build an :class:`EmbedTally` from response items, ``get(item)`` giving the float list."""
    floats = 0
    probe = float("nan")
    for i, item in enumerate(vectors):
        vec = get(item)
        floats += len(vec)
        if i == 0:
            probe = vec[0]
    return EmbedTally(len(vectors), floats, probe)


CHAT_MODEL = wire.CHAT_MODEL
EMBED_MODEL = wire.EMBED_MODEL

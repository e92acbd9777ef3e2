"""Response bodies read as they arrive, such as a downloaded file."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Self

import aiohttp

from ._response import request_id_of
from ._session import guarded
from ._types import Headers

__all__ = ["AsyncBinaryResponse"]

_FILENAME = re.compile(r"""filename\*?=(?:UTF-8'')?"?([^";]+)"?""", re.IGNORECASE)


class AsyncBinaryResponse:
    """A response body to stream: iterate its bytes, read it whole, or write it to a file.

    ::

        async with await client.files.download(file_id) as body:
            await body.write_to("results.jsonl")      # in constant memory

    The connection is given back once the body is read, or when the response is closed
    (``async with``, :meth:`aclose`) before that.
    """

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response: aiohttp.ClientResponse | None = response
        self._status = response.status
        self._headers = Headers(list(response.headers.items()))

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        return self._status

    @property
    def headers(self) -> Headers:
        """The response headers."""
        return self._headers

    @property
    def request_id(self) -> str | None:
        """The request id the API gave this response."""
        return request_id_of(self.headers)

    @property
    def content_type(self) -> str | None:
        """The body's media type."""
        return self.headers.get("content-type")

    @property
    def content_length(self) -> int | None:
        """The body's size in bytes, when the server said."""
        value = self.headers.get("content-length")
        return int(value) if value and value.isdigit() else None

    @property
    def filename(self) -> str | None:
        """The file name from ``Content-Disposition``, when the server gave one."""
        match = _FILENAME.search(self.headers.get("content-disposition", ""))
        return match.group(1) if match else None

    async def iter_bytes(self, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        """The body in chunks of at most ``chunk_size`` bytes, as they arrive."""
        resp = self._require()
        try:
            while True:
                chunk = await guarded(resp.content.read(chunk_size))
                if not chunk:
                    break
                yield chunk
        except BaseException:
            self._close()
            raise
        self._release()

    async def read(self) -> bytes:
        """The whole body (only for bodies that fit in memory)."""
        return b"".join([chunk async for chunk in self.iter_bytes()])

    async def write_to(self, path: str | os.PathLike[str]) -> int:
        """Write the body to ``path`` as it arrives, in constant memory; return the byte count."""
        written = 0
        with open(path, "wb") as file:  # noqa: ASYNC230 - writes go through a thread below
            async for chunk in self.iter_bytes(1024 * 1024):
                await asyncio.to_thread(file.write, chunk)
                written += len(chunk)
        return written

    async def aclose(self) -> None:
        """Close the response without reading the rest."""
        self._close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()

    def _require(self) -> aiohttp.ClientResponse:
        if self._response is None:
            raise RuntimeError("This response body was already read or closed")
        return self._response

    def _release(self) -> None:
        resp, self._response = self._response, None
        if resp is not None:
            resp.release()

    def _close(self) -> None:
        resp, self._response = self._response, None
        if resp is not None:
            resp.close()

    def __del__(self) -> None:
        resp = self._response
        if resp is not None and not resp.closed:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None and resp._loop is loop:
                resp.close()
            elif not resp._loop.is_closed():
                resp._loop.call_soon_threadsafe(resp.close)

    def __repr__(self) -> str:
        return f"<AsyncBinaryResponse [{self.status_code}] {self.content_type}>"

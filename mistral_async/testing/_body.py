"""Request bodies without full buffering: capture, blobs, uploaded files and multipart forms.

Everything here keeps memory bounded whatever the body size: the recorded copy of a body keeps
at most :data:`RECORD_LIMIT` bytes, and uploaded files stay in memory up to
:data:`MEMORY_LIMIT` bytes, then are spooled to a temporary file that is deleted once nothing
references it any more.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import threading
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping
from email.message import Message
from pathlib import Path
from typing import BinaryIO, Final

from aiohttp import StreamReader

__all__ = [
    "CHUNK_SIZE",
    "MEMORY_LIMIT",
    "RECORD_LIMIT",
    "Blob",
    "BlobWriter",
    "Form",
    "MultipartError",
    "UploadedFile",
]

RECORD_LIMIT: Final = 1 << 20
"""Bytes of each request body kept by the request recorder."""
MEMORY_LIMIT: Final = 1 << 20
"""Bytes of an uploaded file kept in memory before it is spooled to a temporary file."""
CHUNK_SIZE: Final = 256 * 1024
"""Size of the chunks read from blobs and files when streaming them."""

_MAX_FIELD_SIZE: Final = 1 << 20
_MAX_HEADER_SIZE: Final = 16 * 1024
_MAX_PARTS: Final = 1000


def _unlink(path: str) -> None:
    """Delete a spooled file, ignoring a file that is already gone."""
    with contextlib.suppress(OSError):
        os.unlink(path)


class Blob:
    """Immutable bytes kept in memory (small) or in a private temporary file (large).

    Build one with :meth:`from_bytes` or a :class:`BlobWriter`. A spooled blob's file is
    deleted when the blob is garbage-collected (or at interpreter exit), so keep a reference
    to the blob, not to its :attr:`path`, for as long as the data is needed.
    """

    def __init__(self, *, data: bytes | None = None, path: str | None = None, size: int) -> None:
        """Wrap in-memory ``data`` or take ownership of the file at ``path`` (internal)."""
        if (data is None) == (path is None):
            raise ValueError("exactly one of data and path must be given")
        self._data = data
        self._path = path
        self._size = size
        if path is not None:
            weakref.finalize(self, _unlink, path)

    @classmethod
    def from_bytes(cls, data: bytes) -> Blob:
        """Return an in-memory blob holding ``data``."""
        return cls(data=bytes(data), size=len(data))

    @property
    def size(self) -> int:
        """Number of bytes."""
        return self._size

    @property
    def path(self) -> Path | None:
        """The temporary file holding the bytes, or ``None`` when they are in memory."""
        return Path(self._path) if self._path is not None else None

    def read_bytes(self) -> bytes:
        """Return all the bytes (loads a spooled blob into memory: mind the size)."""
        if self._data is not None:
            return self._data
        assert self._path is not None
        return Path(self._path).read_bytes()

    def open(self) -> BinaryIO:
        """Open the bytes for reading as a binary file object (close it after use)."""
        if self._data is not None:
            return io.BytesIO(self._data)
        assert self._path is not None
        return open(self._path, "rb")

    def iter_chunks(self, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Yield the bytes in chunks of at most ``chunk_size``."""
        with self.open() as stream:
            while chunk := stream.read(chunk_size):
                yield chunk

    def __repr__(self) -> str:
        where = "memory" if self._path is None else self._path
        return f"<Blob {self._size} bytes in {where}>"


class BlobWriter:
    """Accumulate bytes into a :class:`Blob`, spooling to disk past ``memory_limit`` bytes."""

    def __init__(self, memory_limit: int = MEMORY_LIMIT) -> None:
        """Start an empty blob."""
        self._memory_limit = memory_limit
        self._buffer: io.BytesIO | None = io.BytesIO()
        self._file: BinaryIO | None = None
        self._path: str | None = None
        self._size = 0

    @property
    def size(self) -> int:
        """Bytes written so far."""
        return self._size

    def write(self, data: bytes) -> None:
        """Append ``data``."""
        if not data:
            return
        self._size += len(data)
        if self._file is not None:
            self._file.write(data)
            return
        assert self._buffer is not None
        self._buffer.write(data)
        if self._buffer.tell() > self._memory_limit:
            fd, path = tempfile.mkstemp(prefix="fake-mistral-")
            self._path = path
            self._file = os.fdopen(fd, "wb")
            self._file.write(self._buffer.getbuffer())
            self._buffer = None

    def finish(self) -> Blob:
        """Return the blob (the writer must not be used afterwards)."""
        if self._file is not None:
            self._file.close()
            self._file = None
            assert self._path is not None
            path, self._path = self._path, None
            return Blob(path=path, size=self._size)
        assert self._buffer is not None
        data = self._buffer.getvalue()
        self._buffer = None
        return Blob(data=data, size=self._size)

    def discard(self) -> None:
        """Drop what was written (and the temporary file, if any)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._path is not None:
            _unlink(self._path)
            self._path = None
        self._buffer = None


class UploadedFile:
    """A file received in a ``multipart/form-data`` body.

    The content is a :class:`Blob`: in memory up to 1 MiB, in a temporary file beyond. Keep
    ``upload.blob`` (e.g. in a store) to keep the content after the request.
    """

    def __init__(
        self,
        *,
        filename: str,
        content_type: str,
        blob: Blob,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Describe one uploaded file."""
        self.filename = filename
        self.content_type = content_type
        self.blob = blob
        self.headers: dict[str, str] = dict(headers or {})

    @property
    def size(self) -> int:
        """Size of the content in bytes."""
        return self.blob.size

    @property
    def path(self) -> Path | None:
        """The temporary file holding the content, or ``None`` when it is in memory."""
        return self.blob.path

    def read_bytes(self) -> bytes:
        """Return the whole content (loads a spooled file into memory: mind the size)."""
        return self.blob.read_bytes()

    def open(self) -> BinaryIO:
        """Open the content as a binary file object."""
        return self.blob.open()

    def iter_chunks(self, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """Yield the content in chunks."""
        return self.blob.iter_chunks(chunk_size)

    def __repr__(self) -> str:
        return (
            f"UploadedFile(filename={self.filename!r}, content_type={self.content_type!r}, "
            f"size={self.size})"
        )


FormValue = str | UploadedFile


class Form(Mapping[str, FormValue]):
    """The fields of a form body, in order; text fields are ``str``, files ``UploadedFile``.

    As a mapping, a repeated name gives its last value; :meth:`getall` gives every value.
    """

    def __init__(self, items: list[tuple[str, FormValue]] | None = None) -> None:
        """Wrap the ``(name, value)`` pairs of a form."""
        self.items_list: list[tuple[str, FormValue]] = list(items or [])

    def __getitem__(self, name: str) -> FormValue:
        for key, value in reversed(self.items_list):
            if key == name:
                return value
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(key for key, _ in self.items_list))

    def __len__(self) -> int:
        return len({key for key, _ in self.items_list})

    def getall(self, name: str) -> list[FormValue]:
        """Return every value given for ``name`` (possibly none)."""
        return [value for key, value in self.items_list if key == name]

    def text(self, name: str) -> str | None:
        """Return the last text value of ``name``, or ``None``."""
        value = self.get(name)
        return value if isinstance(value, str) else None

    def file(self, name: str) -> UploadedFile | None:
        """Return the last file given as ``name``, or ``None``."""
        value = self.get(name)
        return value if isinstance(value, UploadedFile) else None

    def __repr__(self) -> str:
        return f"Form({self.items_list!r})"


# ---------------------------------------------------------------------------- request bodies


class BodyCapture:
    """The recorded copy of a request body: its first ``limit`` bytes and its true size."""

    def __init__(self, limit: int = RECORD_LIMIT) -> None:
        """Start an empty capture."""
        self._limit = limit
        self._lock = threading.Lock()
        self._head = bytearray()
        self._size = 0

    def feed(self, data: bytes) -> None:
        """Account for ``data`` received from the client."""
        with self._lock:
            self._size += len(data)
            room = self._limit - len(self._head)
            if room > 0:
                self._head += data[:room]

    @property
    def head(self) -> bytes:
        """The bytes kept so far."""
        with self._lock:
            return bytes(self._head)

    @property
    def size(self) -> int:
        """The number of bytes received so far."""
        with self._lock:
            return self._size


class RequestBody:
    """Single-consumer reader of a request body that feeds a :class:`BodyCapture`.

    A small body can be prefetched (read at once on arrival); a large one is read chunk by
    chunk from the socket, so memory use stays bounded.
    """

    def __init__(self, content: StreamReader, capture: BodyCapture) -> None:
        """Read from ``content`` (the aiohttp request payload)."""
        self._content = content
        self._capture = capture
        self._pending: list[bytes] = []
        self._eof = False

    async def prefetch(self) -> None:
        """Read the whole remaining body now (only for bodies known to be small)."""
        data = await self._content.read()
        self._capture.feed(data)
        if data:
            self._pending.append(data)
        self._eof = True

    async def read_chunk(self) -> bytes:
        """Return the next chunk of the body, ``b""`` at the end."""
        if self._pending:
            return self._pending.pop(0)
        if self._eof:
            return b""
        data = await self._content.readany()
        if not data:
            self._eof = True
            return b""
        self._capture.feed(data)
        return data

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        """Yield the remaining chunks of the body."""
        while chunk := await self.read_chunk():
            yield chunk

    async def read_all(self) -> bytes:
        """Return the remaining body at once (in memory)."""
        return b"".join([chunk async for chunk in self.iter_chunks()])

    async def drain(self) -> None:
        """Read and discard whatever the handler left unread (it is still recorded)."""
        self._pending.clear()
        while await self.read_chunk():
            pass


# ---------------------------------------------------------------------------- multipart


class MultipartError(ValueError):
    """The body is not well-formed ``multipart/form-data``."""


def multipart_boundary(content_type: str) -> bytes | None:
    """Return the boundary of a ``multipart/form-data`` content type, else ``None``."""
    message = Message()
    message["content-type"] = content_type
    if message.get_content_type() != "multipart/form-data":
        return None
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not boundary or len(boundary) > 200:
        return None
    return boundary.encode("latin-1", "replace")


class _Buffered:
    """A byte buffer refilled from an async chunk source."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self.data = bytearray()
        self.eof = False

    async def fill(self) -> bool:
        """Append the next chunk; return False at the end of the source."""
        if self.eof:
            return False
        chunk = await anext(self._chunks, b"")
        if not chunk:
            self.eof = True
            return False
        self.data += chunk
        return True

    async def take_until(self, marker: bytes, limit: int) -> bytes:
        """Consume and return the bytes before ``marker`` (consumed too), within ``limit``."""
        while (index := self.data.find(marker)) < 0:
            if len(self.data) > limit or not await self.fill():
                raise MultipartError(f"expected {marker!r}")
        found = bytes(self.data[:index])
        del self.data[: index + len(marker)]
        return found

    async def take(self, count: int) -> bytes:
        """Consume and return exactly ``count`` bytes."""
        while len(self.data) < count:
            if not await self.fill():
                raise MultipartError("unexpected end of body")
        found = bytes(self.data[:count])
        del self.data[:count]
        return found


def _part_headers(raw: bytes) -> dict[str, str]:
    """Parse the header block of one part (names lower-cased)."""
    headers: dict[str, str] = {}
    for line in raw.decode("utf-8", "replace").split("\r\n"):
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise MultipartError(f"malformed part header {line!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


def _disposition(headers: Mapping[str, str]) -> tuple[str, str | None]:
    """Return the field name and the file name (``None`` for a text field) of a part."""
    value = headers.get("content-disposition")
    if value is None:
        raise MultipartError("part without Content-Disposition")
    message = Message()
    message["content-disposition"] = value
    name = message.get_param("name", header="content-disposition")
    if not isinstance(name, str):
        raise MultipartError("part without a name")
    filename = message.get_filename()
    return name, filename


async def parse_multipart(
    chunks: AsyncIterator[bytes], boundary: bytes, *, memory_limit: int = MEMORY_LIMIT
) -> Form:
    """Parse a ``multipart/form-data`` body streamed as ``chunks``.

    File parts are written to :class:`BlobWriter` objects as they arrive, so the body is never
    held in memory; text fields are limited to 1 MiB each. Raises :class:`MultipartError`.
    """
    buffer = _Buffered(chunks)
    dash = b"--" + boundary
    delimiter = b"\r\n" + dash
    items: list[tuple[str, FormValue]] = []
    # Preamble: skip to the first boundary (which may start the body without a CRLF).
    buffer.data += b"\r\n"
    await buffer.take_until(delimiter, _MAX_HEADER_SIZE)
    while True:
        ending = await buffer.take(2)
        if ending == b"--":
            break
        if ending != b"\r\n":
            raise MultipartError("malformed boundary line")
        if len(items) >= _MAX_PARTS:
            raise MultipartError("too many parts")
        raw_headers = await buffer.take_until(b"\r\n\r\n", _MAX_HEADER_SIZE)
        headers = _part_headers(raw_headers)
        name, filename = _disposition(headers)
        writer = BlobWriter(memory_limit if filename is not None else _MAX_FIELD_SIZE + 1)
        try:
            await _copy_part(buffer, delimiter, writer, filename is not None)
        except BaseException:
            writer.discard()
            raise
        blob = writer.finish()
        if filename is None:
            items.append((name, blob.read_bytes().decode("utf-8", "replace")))
        else:
            content_type = headers.get("content-type") or "application/octet-stream"
            items.append(
                (
                    name,
                    UploadedFile(
                        filename=filename, content_type=content_type, blob=blob, headers=headers
                    ),
                )
            )
    return Form(items)


async def _copy_part(
    buffer: _Buffered, delimiter: bytes, writer: BlobWriter, is_file: bool
) -> None:
    """Move the content of one part, up to ``delimiter`` (consumed), into ``writer``."""
    keep = len(delimiter) - 1
    while True:
        index = buffer.data.find(delimiter)
        if index >= 0:
            writer.write(bytes(buffer.data[:index]))
            del buffer.data[: index + len(delimiter)]
            break
        if len(buffer.data) > keep:
            cut = len(buffer.data) - keep
            writer.write(bytes(buffer.data[:cut]))
            del buffer.data[:cut]
        if not is_file and writer.size > _MAX_FIELD_SIZE:
            raise MultipartError("form field too large")
        if not await buffer.fill():
            raise MultipartError("unexpected end of body")
    if not is_file and writer.size > _MAX_FIELD_SIZE:
        raise MultipartError("form field too large")
    # Skip optional transport padding (spaces/tabs) until the CRLF or the closing "--".
    while True:
        while len(buffer.data) < 2:
            if not await buffer.fill():
                raise MultipartError("unexpected end of body")
        if buffer.data[0] in b" \t":
            del buffer.data[:1]
            continue
        return


async def single_chunk(data: bytes) -> AsyncIterator[bytes]:
    """Yield ``data`` as the only chunk."""
    yield data

"""Files to upload: paths, bytes, binary file objects or async iterators of bytes, streamed.

:func:`to_upload` turns what the caller passed into an :class:`Upload` that builds a
fresh aiohttp payload for every attempt, so a retried upload sends the whole file
again. Nothing is read into memory: a path is opened and read in chunks while it is
sent, a file object is read from its position (and rewound for a retry), and an async
iterator is forwarded chunk by chunk (it can be sent only once, so such an upload is
not retried).
"""

from __future__ import annotations

import io
import mimetypes
import os
from collections.abc import AsyncIterable, AsyncIterator
from typing import IO, Any, TypeAlias

import aiohttp

from ._errors import InvalidParameterError

__all__ = ["FileContent", "FileInput", "Upload", "to_upload"]

FileContent: TypeAlias = (
    "str | os.PathLike[str] | bytes | bytearray | IO[bytes] | AsyncIterable[bytes]"
)
FileInput: TypeAlias = "FileContent | tuple[str, FileContent] | tuple[str, FileContent, str]"
"""What an upload parameter accepts: the content, or ``(filename, content)``, or
``(filename, content, content_type)``. Content is a path, bytes, a binary file object or
an async iterator of bytes."""

_DEFAULT_TYPE = "application/octet-stream"


class Upload:
    """One file to send as a multipart part."""

    __slots__ = ("_content", "_start", "_used", "content_type", "filename")

    def __init__(self, filename: str, content: Any, content_type: str) -> None:
        self.filename = filename
        self.content_type = content_type
        self._content = content
        self._used = False
        self._start: int | None = None
        if _is_file(content):
            try:
                self._start = content.tell()
            except (OSError, ValueError):
                self._start = None

    @property
    def replayable(self) -> bool:
        """Whether the content can be sent again (for a retry)."""
        content = self._content
        if isinstance(content, bytes | bytearray | str | os.PathLike):
            return True
        return _is_file(content) and self._start is not None

    def payload(self) -> Any:
        """The content for one attempt, positioned at its start."""
        content = self._content
        if isinstance(content, bytes | bytearray):
            # A file-like view: aiohttp streams it in chunks (and warns about big raw bytes).
            return io.BytesIO(content)
        if isinstance(content, str | os.PathLike):
            return open(content, "rb")  # aiohttp closes it once sent
        if _is_file(content):
            if self._used and self._start is not None:
                content.seek(self._start)
            self._used = True
            return _Unclosable(content)
        if self._used:
            raise InvalidParameterError("file", "an async iterator can be uploaded only once")
        self._used = True
        return _forward(content)

    def __repr__(self) -> str:
        return f"Upload(filename={self.filename!r}, content_type={self.content_type!r})"


def _is_file(value: Any) -> bool:
    return hasattr(value, "read") and not isinstance(value, str | bytes | bytearray)


async def _forward(source: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    async for chunk in source:
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise InvalidParameterError(
                "file", f"an async iterator must yield bytes, not {type(chunk).__name__}"
            )
        yield bytes(chunk)


class _Unclosable(io.RawIOBase):
    """A view of the caller's file that aiohttp may 'close' without closing the real file."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        return size

    def read(self, size: int = -1) -> bytes:
        return self._raw.read(size)

    def seekable(self) -> bool:
        return False

    @property
    def name(self) -> str:
        return str(getattr(self._raw, "name", "upload"))


def to_upload(value: Any, param: str = "file") -> Upload:
    """Normalise an upload parameter; raises :class:`InvalidParameterError` for anything else."""
    filename: str | None = None
    content_type: str | None = None
    content = value
    if isinstance(value, tuple):
        if len(value) not in (2, 3) or not isinstance(value[0], str):
            raise InvalidParameterError(
                param, "a tuple must be (filename, content) or (filename, content, content_type)"
            )
        filename, content = value[0], value[1]
        if len(value) == 3:
            content_type = value[2]
            if not isinstance(content_type, str):
                raise InvalidParameterError(param, "the content type must be a string")
    if isinstance(content, str | os.PathLike):
        path = os.fspath(content)
        if not os.path.isfile(path):
            raise InvalidParameterError(param, f"no such file: {path!r}")
        filename = filename or os.path.basename(path)
    elif isinstance(content, bytes | bytearray):
        filename = filename or "upload"
    elif _is_file(content):
        filename = filename or os.path.basename(str(getattr(content, "name", "") or "")) or "upload"
        if isinstance(content, io.TextIOBase):
            raise InvalidParameterError(param, "open the file in binary mode ('rb')")
    elif isinstance(content, AsyncIterable):
        filename = filename or "upload"
    else:
        raise InvalidParameterError(
            param,
            "must be a path, bytes, a binary file object or an async iterator of bytes, "
            f"not {type(content).__name__}",
        )
    if content_type is None:
        content_type = mimetypes.guess_type(filename)[0] or _guess(filename)
    return Upload(filename, content, content_type)


def _guess(filename: str) -> str:
    if filename.endswith(".jsonl"):
        return "application/jsonl"
    return _DEFAULT_TYPE


def form_data(fields: list[tuple[str, Any]]) -> aiohttp.FormData:
    """A multipart body for one attempt: text fields and :class:`Upload` parts."""
    # Always multipart (the API's form endpoints accept nothing else), even with no file.
    form = aiohttp.FormData(quote_fields=False, default_to_multipart=True)
    for name, value in fields:
        if isinstance(value, Upload):
            form.add_field(
                name, value.payload(), filename=value.filename, content_type=value.content_type
            )
        else:
            form.add_field(name, value)
    return form

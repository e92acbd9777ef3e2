"""State shared by several endpoint groups: the files uploaded to the fake server.

The files group serves ``/v1/files`` over :class:`FilesState`; other groups (batch jobs,
fine-tuning, OCR, transcriptions, ...) look files up, or add their own output files, through
``call.state(FilesState)``. The bytes are kept as :class:`~._body.Blob` objects, so large files
live in temporary files, deleted when the state is reset.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ._body import Blob

__all__ = ["FilesState", "StoredFile"]


@dataclass
class StoredFile:
    """One file known to the fake server.

    ``extra`` holds whatever else the owning group wants to remember and render (e.g.
    ``sample_type``, ``source``, ``num_lines``, ``visibility``).
    """

    id: str
    filename: str
    purpose: str
    blob: Blob
    content_type: str = "application/octet-stream"
    created_at: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Size of the content in bytes."""
        return self.blob.size

    def read_bytes(self) -> bytes:
        """Return the whole content (mind the size)."""
        return self.blob.read_bytes()


class FilesState:
    """The files of one fake server, in upload order (a per-server state; see ``app.state``)."""

    def __init__(self) -> None:
        """Start with no file."""
        self._files: dict[str, StoredFile] = {}

    def add(
        self,
        blob: Blob | bytes,
        *,
        filename: str,
        purpose: str,
        content_type: str = "application/octet-stream",
        file_id: str | None = None,
        created_at: int | None = None,
        **extra: Any,
    ) -> StoredFile:
        """Store ``blob`` (or bytes) as a new file and return it; ``file_id`` defaults to a UUID."""
        if isinstance(blob, bytes):
            blob = Blob.from_bytes(blob)
        stored = StoredFile(
            id=file_id or str(uuid.uuid4()),
            filename=filename,
            purpose=purpose,
            blob=blob,
            content_type=content_type,
            created_at=int(time.time()) if created_at is None else created_at,
            extra=dict(extra),
        )
        self._files[stored.id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        """Return the file ``file_id``, or ``None``."""
        return self._files.get(file_id)

    def delete(self, file_id: str) -> StoredFile | None:
        """Remove the file ``file_id`` and return it (``None`` if unknown)."""
        return self._files.pop(file_id, None)

    def list(self) -> list[StoredFile]:
        """Return every file, oldest first."""
        return list(self._files.values())

    def __contains__(self, file_id: object) -> bool:
        return file_id in self._files

    def __iter__(self) -> Iterator[StoredFile]:
        return iter(list(self._files.values()))

    def __len__(self) -> int:
        return len(self._files)

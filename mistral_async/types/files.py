"""Types of the files API."""

from __future__ import annotations

import attrs

from .._converter import Model

__all__ = ["DeleteFileResponse", "FileObject", "FileSignedURL", "ListFilesResponse"]


@attrs.define(slots=True)
class FileObject(Model):
    """An uploaded file (the API's ``FileSchema``).

    ``sample_type`` is ``"pretrain"``, ``"instruct"``, ``"batch_request"``,
    ``"batch_result"`` or ``"batch_error"``; ``source`` is ``"upload"``, ``"repository"`` or
    ``"mistral"`` (files the API wrote, such as batch results); ``num_lines`` counts the
    lines of JSONL files.
    """

    id: str
    object: str = "file"
    bytes: int | None = None
    created_at: int | None = None
    filename: str = ""
    purpose: str | None = None
    """``"fine-tune"``, ``"batch"`` or ``"ocr"``."""
    sample_type: str | None = None
    source: str | None = None
    num_lines: int | None = None
    mimetype: str | None = None
    signature: str | None = None
    expires_at: int | None = None
    visibility: str | None = None
    """``"workspace"`` or ``"user"``."""
    deleted: bool | None = None
    """Set when the file was read with ``files.retrieve``."""


@attrs.define(slots=True)
class ListFilesResponse(Model):
    """One page of files; ``total`` counts every file matching the filters."""

    data: list[FileObject] = attrs.Factory(list)
    object: str = "list"
    total: int | None = None


@attrs.define(slots=True)
class DeleteFileResponse(Model):
    """The result of deleting a file."""

    id: str
    object: str = "file"
    deleted: bool = True


@attrs.define(slots=True)
class FileSignedURL(Model):
    """A temporary URL to download a file without the API key."""

    url: str

"""Fake ``/v1/files`` endpoints over the shared :class:`~.._store.FilesState`.

Uploads are streamed to a spooled blob (in memory up to 1 MiB, in a temporary file beyond)
and described as the API does (``CreateFileResponse``): ``bytes``, ``num_lines`` for JSONL
files, ``sample_type`` (``batch_request`` for batch files, ``instruct`` otherwise),
``source: "upload"``, the ``mimetype``, a content ``signature``, ``visibility`` and, with
``expiry`` (read as hours), ``expires_at``. Files other groups add to the state (batch
results, ...) are described from their ``extra`` fields: :func:`add_file` fills them.
Listing is newest first. Unknown ids give the API's 404.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import urllib.parse
from typing import Any

from aiohttp import web

from .._app import Abort, Call, FakeApp
from .._body import Blob
from .._store import FilesState, StoredFile
from .._validation import Array, Body, Bool, Int, Str, Upload, nullable

__all__ = ["add_file", "describe", "register"]

PURPOSES = ["fine-tune", "batch", "ocr"]
SAMPLE_TYPES = ["pretrain", "instruct", "batch_request", "batch_result", "batch_error"]
SOURCES = ["upload", "repository", "mistral"]
VISIBILITIES = ["workspace", "user"]

UPLOAD_FORM = Body(
    "MultiPartBodyParams",
    required={"file": Upload()},
    optional={
        "purpose": Str(enum=PURPOSES),
        "visibility": Str(enum=VISIBILITIES),
        "expiry": nullable(Int()),
    },
)
LIST_QUERY = Body(
    "ListFiles",
    optional={
        "page": Int(ge=0),
        "page_size": Int(ge=1),
        "include_total": Bool(),
        "sample_type": nullable(Array(Str(enum=SAMPLE_TYPES))),
        "source": nullable(Array(Str(enum=SOURCES))),
        "search": nullable(Str()),
        "purpose": nullable(Str(enum=PURPOSES)),
        "mimetypes": nullable(Array(Str())),
    },
)
SIGNED_URL_QUERY = Body("GetSignedUrl", optional={"expiry": Int(ge=1, le=168)})

_JSONL_TYPES = ("application/jsonl", "application/x-ndjson", "application/json-lines")


def register(app: FakeApp) -> None:
    """Add the files routes."""
    app.route("POST", "/v1/files", upload_file)
    app.route("GET", "/v1/files", list_files)
    app.route("GET", "/v1/files/{file_id}", retrieve_file)
    app.route("DELETE", "/v1/files/{file_id}", delete_file)
    app.route("GET", "/v1/files/{file_id}/content", download_file)
    app.route("GET", "/v1/files/{file_id}/url", signed_url)


# -- describing files ------------------------------------------------------------------------


def _scan(blob: Blob) -> tuple[int, str]:
    """The number of lines and a short content signature (one pass over the chunks)."""
    digest = hashlib.sha256()
    newlines = 0
    last = b""
    for chunk in blob.iter_chunks():
        digest.update(chunk)
        newlines += chunk.count(b"\n")
        last = chunk
    lines = newlines + (1 if last and not last.endswith(b"\n") else 0)
    return lines, digest.hexdigest()[:16]


def _is_jsonl(filename: str, content_type: str) -> bool:
    return filename.lower().endswith(".jsonl") or content_type.split(";")[0] in _JSONL_TYPES


def _mimetype(filename: str, content_type: str) -> str:
    if filename.lower().endswith(".jsonl") and content_type in ("application/octet-stream", ""):
        return "application/jsonl"
    return content_type or "application/octet-stream"


async def add_file(
    state: FilesState,
    blob: Blob | bytes,
    *,
    filename: str,
    purpose: str,
    content_type: str = "application/octet-stream",
    sample_type: str | None = None,
    source: str = "upload",
    visibility: str = "workspace",
    expires_at: int | None = None,
) -> StoredFile:
    """Store a file with everything the files API reports about it (for any group).

    The content is read once, in a thread, to count its lines and sign it; the state is
    changed on the event loop.
    """
    if isinstance(blob, bytes):
        blob = Blob.from_bytes(blob)
    lines, signature = await asyncio.to_thread(_scan, blob)
    mimetype = _mimetype(filename, content_type)
    return state.add(
        blob,
        filename=filename,
        purpose=purpose,
        content_type=mimetype,
        sample_type=sample_type or ("batch_request" if purpose == "batch" else "instruct"),
        source=source,
        num_lines=lines if _is_jsonl(filename, mimetype) else None,
        mimetype=mimetype,
        signature=signature,
        visibility=visibility,
        expires_at=expires_at,
    )


def describe(stored: StoredFile) -> dict[str, Any]:
    """The API's ``FileSchema`` of a stored file."""
    extra = stored.extra
    return {
        "id": stored.id,
        "object": "file",
        "bytes": stored.size,
        "created_at": stored.created_at,
        "filename": stored.filename,
        "purpose": stored.purpose,
        "sample_type": extra.get("sample_type")
        or ("batch_request" if stored.purpose == "batch" else "instruct"),
        "source": extra.get("source", "upload"),
        "num_lines": extra.get("num_lines"),
        "mimetype": extra.get("mimetype", stored.content_type),
        "signature": extra.get("signature"),
        "expires_at": extra.get("expires_at"),
        "visibility": extra.get("visibility", "workspace"),
    }


def _stored(call: Call) -> StoredFile:
    """The file named by the path, or stop with the API's 404."""
    file_id = call.params["file_id"]
    stored = call.state(FilesState).get(file_id)
    if stored is None:
        raise Abort(call.not_found("File", file_id))
    return stored


# -- handlers --------------------------------------------------------------------------------


async def upload_file(call: Call) -> web.StreamResponse:
    """``POST /v1/files`` (multipart: ``file``, ``purpose``, ``visibility``, ``expiry``)."""
    fields = call.validate_form(await call.form(), UPLOAD_FORM)
    upload = fields["file"]
    expiry = fields.get("expiry")
    now = int(time.time())
    stored = await add_file(
        call.state(FilesState),
        upload.blob,
        filename=upload.filename,
        purpose=fields.get("purpose", "fine-tune"),
        content_type=upload.content_type,
        visibility=fields.get("visibility", "workspace"),
        expires_at=None if expiry is None else now + expiry * 3600,
    )
    return call.ok(describe(stored))


async def list_files(call: Call) -> web.StreamResponse:
    """``GET /v1/files`` with paging and filters, newest first."""
    query = call.validate_query(LIST_QUERY)
    page, size = query.get("page", 0), query.get("page_size", 100)
    sample_types = query.get("sample_type")
    sources = query.get("source")
    search = (query.get("search") or "").lower()
    purpose = query.get("purpose")
    mimetypes = query.get("mimetypes")
    found = []
    for stored in reversed(call.state(FilesState).list()):
        data = describe(stored)
        if sample_types and data["sample_type"] not in sample_types:
            continue
        if sources and data["source"] not in sources:
            continue
        if search and search not in stored.filename.lower() and search != stored.id:
            continue
        if purpose and stored.purpose != purpose:
            continue
        if mimetypes and data["mimetype"] not in mimetypes:
            continue
        found.append(data)
    total = len(found) if query.get("include_total", True) else None
    return call.ok(
        {"data": found[page * size : (page + 1) * size], "object": "list", "total": total}
    )


async def retrieve_file(call: Call) -> web.StreamResponse:
    """``GET /v1/files/{file_id}``."""
    return call.ok({**describe(_stored(call)), "deleted": False})


async def delete_file(call: Call) -> web.StreamResponse:
    """``DELETE /v1/files/{file_id}``."""
    stored = _stored(call)
    call.state(FilesState).delete(stored.id)
    return call.ok({"id": stored.id, "object": "file", "deleted": True})


async def download_file(call: Call) -> web.StreamResponse:
    """``GET /v1/files/{file_id}/content``, streamed from the blob."""
    stored = _stored(call)
    mimetype = stored.extra.get("mimetype", stored.content_type)
    return await call.bytes_response(stored.blob, mimetype, stored.filename)


async def signed_url(call: Call) -> web.StreamResponse:
    """``GET /v1/files/{file_id}/url?expiry=24``: a fake signed URL, valid ``expiry`` hours.

    It points at this server's content endpoint, with a signature and expiry in the query
    string as a storage URL has them (the fake still wants the API key to serve it).
    """
    stored = _stored(call)
    hours = call.validate_query(SIGNED_URL_QUERY).get("expiry", 24)
    expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + hours * 3600))
    signature = hashlib.sha256(f"{stored.id}:{expires}".encode()).hexdigest()[:32]
    host = call.headers.get("Host", "127.0.0.1")
    query = urllib.parse.urlencode({"se": expires, "sp": "r", "sig": signature})
    file_id = urllib.parse.quote(stored.id, safe="")
    return call.ok({"url": f"http://{host}/v1/files/{file_id}/content?{query}"})

"""``/v1/libraries/{library_id}/documents...``: the documents of a library.

Documents live in :class:`~.libraries.LibrariesState`; their content is kept as the uploaded
:class:`~.._body.Blob` (a temporary file past 1 MiB, so big documents never sit in memory).
Uploading content the library already holds returns that document (200) instead of a new
one (201).

Processing is deterministic: a new (or reprocessed) document is ``todo``, and each read of
it (get, status, text content, signed URLs, a listing that shows it) moves it one step, to
``in_progress`` then ``done`` (``LibrariesState.processing_reads`` reads in all; 0 processes
it at once). Processing decodes the content as UTF-8 (a placeholder sentence describes
anything else) and cuts it into pages at form feeds (``\\f``), or else every
:data:`PAGE_LINES` lines; an empty document ends ``missing_content``. The text content is
there once processed (404 before); ``page_start``/``page_end`` select pages, numbered from 0,
``page_end`` included. Only the first :data:`TEXT_LIMIT` bytes of a document are read for
its text. A document whose ``expires_at`` has passed is deleted.
"""

from __future__ import annotations

import asyncio
import codecs
import hashlib
import json
import math
import mimetypes
import os
import uuid
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web

from .._app import Abort, Call, FakeApp
from .._body import Blob, UploadedFile
from .._validation import (
    Array,
    Body,
    Bool,
    Dict,
    ErrorDetail,
    Float,
    Int,
    Loc,
    Schema,
    Str,
    Union,
    Upload,
    nullable,
)
from .libraries import (
    FAKE_USER_ID,
    DocumentRecord,
    LibrariesState,
    LibraryRecord,
    get_library,
    iso,
    now,
    path_uuid,
)

__all__ = ["PAGE_LINES", "TEXT_LIMIT", "register"]

PAGE_LINES: Final = 40
"""Lines per page of a document without form feeds."""
TEXT_LIMIT: Final = 4 << 20
"""Bytes of a document read to extract its text."""

_SORT_FIELDS: Final = (
    "created_at",
    "name",
    "size",
    "last_processed_at",
    "number_of_pages",
    "process_status",
    "mime_type",
    "extension",
)
_LEGACY_STATUS: Final = {
    "todo": "Pending",
    "waiting_for_capacity": "Pending",
    "in_progress": "Running",
    "done": "Completed",
    "noop": "Completed",
    "self_managed": "Completed",
    "error": "Failed",
    "missing_content": "Failed",
}


class DateTime(Schema):
    """An ISO 8601 date-time string (``format: date-time``)."""

    label = "datetime"
    kinds = frozenset({"string"})

    def check(self, value: object, loc: Loc) -> list[ErrorDetail]:
        """Reject anything but a parseable date-time."""
        if isinstance(value, str):
            try:
                datetime.fromisoformat(value)
                return []
            except ValueError:
                pass
        error = "input is not a valid ISO 8601 date-time"
        return [
            {
                "type": "datetime_from_date_parsing",
                "loc": list(loc),
                "msg": f"Input should be a valid datetime or date, {error}",
                "input": value,
                "ctx": {"error": error},
            }
        ]


_ATTRIBUTE = Union(
    Bool(),
    Str(),
    Int(),
    Float(),
    Array(Str()),
    Array(Int()),
    Array(Float()),
    Array(Bool()),
)
LIST_DOCUMENTS = Body(
    "ListDocumentsQuery",
    optional={
        "search": nullable(Str()),
        "page_size": Int(ge=1, le=100),
        "page": Int(ge=0),
        "filters_attributes": nullable(Str()),
        "sort_by": Str(enum=list(_SORT_FIELDS)),
        "sort_order": Str(enum=["asc", "desc"]),
    },
)
DOCUMENT_UPLOAD = Body("DocumentUpload", required={"file": Upload()})
UPDATE_DOCUMENT = Body(
    "UpdateDocumentRequest",
    optional={
        "name": Str(),
        "attributes": nullable(Dict(_ATTRIBUTE)),
        "expires_at": nullable(DateTime()),
    },
)
TEXT_QUERY = Body(
    "TextContentQuery", optional={"page_start": nullable(Int()), "page_end": nullable(Int())}
)


def register(app: FakeApp) -> None:
    """Add the document routes."""
    base = "/v1/libraries/{library_id}/documents"
    one = base + "/{document_id}"
    app.route("GET", base, list_documents)
    app.route("POST", base, upload_document)
    app.route("GET", one, get_document_route)
    app.route("PATCH", one, update_document)
    app.route("PUT", one, update_document)
    app.route("DELETE", one, delete_document)
    app.route("GET", one + "/text_content", text_content)
    app.route("GET", one + "/status", document_status)
    app.route("GET", one + "/signed-url", signed_url)
    app.route("GET", one + "/extracted-text-signed-url", extracted_text_signed_url)
    app.route("POST", one + "/reprocess", reprocess)


# -- processing --------------------------------------------------------------------------------


def _extract(document: DocumentRecord) -> str:
    """The text of a document: its content as UTF-8, or a sentence describing it."""
    with document.blob.open() as stream:
        head = stream.read(TEXT_LIMIT)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        # A document cut at the limit may end inside a character: not final then.
        text = decoder.decode(head, final=document.size <= TEXT_LIMIT)
    except UnicodeDecodeError:
        text = None
    if text is None or "\x00" in text:
        kind = document.mime_type or "binary data"
        return f"[{document.name}: {document.size} bytes of {kind}, not UTF-8 text]\n"
    return text.removeprefix("\ufeff")


def _paginate(text: str) -> tuple[list[str], str]:
    """The pages of a text, and the separator that joins them back into it."""
    if not text:
        return [], ""
    if "\f" in text:
        return text.split("\f"), "\f"
    lines = text.splitlines(keepends=True)
    return ["".join(lines[i : i + PAGE_LINES]) for i in range(0, len(lines), PAGE_LINES)], ""


def _tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def _finish(call: Call, document: DocumentRecord) -> None:
    """Complete the processing of a document: text, pages, summary, token counts."""
    text = _extract(document) if document.size else ""
    document.text = text
    document.pages, document.page_separator = _paginate(text)
    first = next((line.strip() for line in text.splitlines() if line.strip()), None)
    document.summary = None if first is None else f"{document.name}: {first[:120]}"
    document.tokens_main = _tokens(text)
    document.tokens_summary = _tokens(document.summary or "")
    document.last_processed_at = now()
    document.process_status = "done" if document.size else "missing_content"
    call.charge_tokens(document.tokens_main + document.tokens_summary)


def _advance(call: Call, document: DocumentRecord) -> None:
    """One read of a document: its processing moves one step."""
    if document.process_status not in ("todo", "in_progress"):
        return
    document.reads_left -= 1
    if document.reads_left <= 0:
        _finish(call, document)
    else:
        document.process_status = "in_progress"


def _start_processing(call: Call, document: DocumentRecord) -> None:
    document.process_status = "todo"
    document.reads_left = call.state(LibrariesState).processing_reads
    document.text = None
    document.pages = []
    document.summary = None
    document.tokens_main = document.tokens_summary = None
    if document.reads_left <= 0:
        _finish(call, document)


def document_json(document: DocumentRecord) -> dict[str, Any]:
    """The document as the API renders it (``Document``)."""
    main, summary = document.tokens_main, document.tokens_summary
    processed = document.text is not None
    return {
        "id": document.id,
        "library_id": document.library_id,
        "hash": document.hash,
        "mime_type": document.mime_type,
        "extension": document.extension,
        "size": document.size,
        "name": document.name,
        "summary": document.summary,
        "created_at": iso(document.created_at),
        "last_processed_at": (
            None if document.last_processed_at is None else iso(document.last_processed_at)
        ),
        "number_of_pages": len(document.pages) if processed else None,
        "process_status": document.process_status,
        "uploaded_by_id": FAKE_USER_ID,
        "uploaded_by_type": "User",
        "tokens_processing_main_content": main,
        "tokens_processing_summary": summary,
        "url": None,
        "attributes": document.attributes,
        "expires_at": None if document.expires_at is None else iso(document.expires_at),
        "processing_status": _LEGACY_STATUS.get(document.process_status, "Pending"),
        "tokens_processing_total": (main or 0) + (summary or 0),
    }


# -- lookups -----------------------------------------------------------------------------------


def _editable_library(call: Call) -> LibraryRecord:
    library = get_library(call)
    if not call.state(LibrariesState).caller_can_edit(library):
        raise Abort(call.error(403, "You need the Editor role on this library to change it"))
    return library


def _document(call: Call, library: LibraryRecord, *, read: bool = True) -> DocumentRecord:
    """The document named by the path, in ``library``; a read moves its processing on."""
    document_id = path_uuid(call, "document_id")
    state = call.state(LibrariesState)
    state.purge_expired()
    document = state.documents.get(document_id)
    if document is None or document.library_id != library.id:
        raise Abort(call.not_found("Document", document_id))
    if read:
        _advance(call, document)
    return document


def _parse_moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# -- handlers ----------------------------------------------------------------------------------


def _sort_key(field: str) -> Any:
    if field == "created_at":
        return lambda d: (False, d.seq)
    if field == "size":
        return lambda d: (False, d.size)
    if field == "number_of_pages":
        return lambda d: (d.text is None, len(d.pages))

    def key(document: DocumentRecord) -> tuple[bool, Any]:
        value = getattr(document, field)
        return value is None, value if value is not None else ""

    return key


def _attribute_filter(call: Call, text: str) -> dict[str, Any]:
    try:
        wanted = json.loads(text)
    except ValueError:
        wanted = None
    if not isinstance(wanted, dict):
        error = "must be a JSON object of attribute values"
        detail = {
            "type": "value_error",
            "loc": ["query", "filters_attributes"],
            "msg": f"Value error, {error}",
            "input": text,
            "ctx": {"error": error},
        }
        raise Abort(call.validation_error([detail]))
    return wanted


async def list_documents(call: Call) -> web.StreamResponse:
    """``GET /v1/libraries/{library_id}/documents``."""
    library = get_library(call)
    query = call.validate_query(LIST_DOCUMENTS)
    state = call.state(LibrariesState)
    state.purge_expired()
    documents = list(state.documents_of(library.id))
    search = query.get("search")
    if search:
        documents = [d for d in documents if search.lower() in d.name.lower()]
    if query.get("filters_attributes"):
        wanted = _attribute_filter(call, query["filters_attributes"])
        documents = [
            d
            for d in documents
            if all((d.attributes or {}).get(k, object()) == v for k, v in wanted.items())
        ]
    documents.sort(
        key=_sort_key(query.get("sort_by", "created_at")),
        reverse=query.get("sort_order", "desc") == "desc",
    )
    size: int = query.get("page_size", 100)
    number: int = query.get("page", 0)
    page = documents[number * size : (number + 1) * size]
    for document in page:
        _advance(call, document)
    return call.ok(
        {
            "pagination": {
                "total_items": len(documents),
                "total_pages": -(-len(documents) // size),
                "current_page": number,
                "page_size": size,
                "has_more": (number + 1) * size < len(documents),
            },
            "data": [document_json(d) for d in page],
        }
    )


def _sha256(blob: Blob) -> str:
    digest = hashlib.sha256()
    for chunk in blob.iter_chunks():
        digest.update(chunk)
    return digest.hexdigest()


def _mime_type(upload: UploadedFile, name: str) -> str | None:
    given = upload.content_type.split(";")[0].strip().lower()
    if given and given != "application/octet-stream":
        return given
    return mimetypes.guess_type(name)[0] or (given or None)


async def upload_document(call: Call) -> web.StreamResponse:
    """``POST /v1/libraries/{library_id}/documents`` (multipart ``file``)."""
    library = _editable_library(call)
    upload: UploadedFile = call.validate_form(await call.form(), DOCUMENT_UPLOAD)["file"]
    state = call.state(LibrariesState)
    # Hashing a spooled upload reads it from disk: off the event loop.
    digest = await asyncio.to_thread(_sha256, upload.blob)
    for existing in state.documents_of(library.id):
        if existing.hash == digest:
            return call.ok(document_json(existing))
    name = os.path.basename(upload.filename or "") or "upload"
    extension = os.path.splitext(name)[1].lstrip(".").lower() or None
    document = DocumentRecord(
        id=str(uuid.uuid4()),
        library_id=library.id,
        name=name,
        blob=upload.blob,
        hash=digest,
        mime_type=_mime_type(upload, name),
        extension=extension,
        created_at=now(),
        seq=state.next_seq(),
    )
    state.documents[document.id] = document
    library.updated_at = document.created_at
    _start_processing(call, document)
    return call.ok(document_json(document), status=201)


async def get_document_route(call: Call) -> web.StreamResponse:
    """``GET /v1/libraries/{library_id}/documents/{document_id}``."""
    return call.ok(document_json(_document(call, get_library(call))))


async def update_document(call: Call) -> web.StreamResponse:
    """``PATCH`` (and the deprecated ``PUT``) of a document: name, attributes, expiry."""
    library = _editable_library(call)
    document = _document(call, library, read=False)
    payload = await call.json(UPDATE_DOCUMENT)
    if "name" in payload:
        document.name = payload["name"]
    if "attributes" in payload:
        document.attributes = payload["attributes"]
    if "expires_at" in payload:
        expires = payload["expires_at"]
        document.expires_at = None if expires is None else _parse_moment(expires)
    return call.ok(document_json(document))


async def delete_document(call: Call) -> web.StreamResponse:
    """``DELETE /v1/libraries/{library_id}/documents/{document_id}`` (204)."""
    library = _editable_library(call)
    document = _document(call, library, read=False)
    del call.state(LibrariesState).documents[document.id]
    library.updated_at = now()
    return call.empty()


async def text_content(call: Call) -> web.StreamResponse:
    """``GET .../text_content?page_start=&page_end=`` (pages from 0, ``page_end`` included)."""
    document = _document(call, get_library(call))
    query = call.validate_query(TEXT_QUERY)
    if document.text is None:
        return call.error(
            404,
            f"Text content not found for document {document.id}: "
            f"its processing is {document.process_status}",
        )
    start, end = query.get("page_start"), query.get("page_end")
    if start is None and end is None:
        return call.ok({"text": document.text})
    first = max(start or 0, 0)
    last = len(document.pages) if end is None else end + 1
    selected = document.pages[first : max(last, first)]
    return call.ok({"text": document.page_separator.join(selected)})


async def document_status(call: Call) -> web.StreamResponse:
    """``GET .../status``."""
    document = _document(call, get_library(call))
    status = document.process_status
    return call.ok(
        {
            "document_id": document.id,
            "process_status": status,
            "processing_status": _LEGACY_STATUS.get(status, "Pending"),
        }
    )


async def signed_url(call: Call) -> web.StreamResponse:
    """``GET .../signed-url``: a JSON string."""
    document = _document(call, get_library(call))
    return call.ok(call.state(LibrariesState).signed_url(document))


async def extracted_text_signed_url(call: Call) -> web.StreamResponse:
    """``GET .../extracted-text-signed-url``: a JSON string, once the document is processed."""
    document = _document(call, get_library(call))
    if document.text is None:
        return call.error(
            404,
            f"Extracted text not found for document {document.id}: "
            f"its processing is {document.process_status}",
        )
    return call.ok(call.state(LibrariesState).signed_url(document, extracted=True))


async def reprocess(call: Call) -> web.StreamResponse:
    """``POST .../reprocess`` (204): processing starts over."""
    library = _editable_library(call)
    _start_processing(call, _document(call, library, read=False))
    return call.empty()

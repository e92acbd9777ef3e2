"""``/v1/libraries`` and ``/v1/libraries/{library_id}/share`` (libraries and who may use them).

The state (:class:`LibrariesState`) holds the libraries and, for the documents group
(:mod:`.library_documents`), their documents. Every request comes from one identity, the
user :data:`FAKE_USER_ID` of workspace :data:`FAKE_WORKSPACE_ID` in organization
:data:`FAKE_ORG_ID`: libraries it creates are owned by that user (``owner_type="User"``) or
by its workspace (the default, ``"Workspace"``), and it is their owner. Seed libraries
created by someone else (shared with the caller) with :meth:`LibrariesState.add_library`.

Libraries are listed newest first. Without the deprecated ``page`` parameter, pages are
continued with an opaque ``next_page_token``; with it, the answer carries ``pagination``
and no token. Path ids must be UUIDs (else 422, like the API), unknown ones give 404.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import secrets
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from .._app import Abort, Call, FakeApp
from .._validation import Body, Bool, ErrorDetail, Int, Loc, Schema, Str, nullable

if TYPE_CHECKING:
    from .._body import Blob

__all__ = [
    "FAKE_ORG_ID",
    "FAKE_USER_ID",
    "FAKE_WORKSPACE_ID",
    "DocumentRecord",
    "LibrariesState",
    "LibraryRecord",
    "Uuid",
    "iso",
    "register",
]

FAKE_USER_ID: Final = "8d7a3f6e-5b1c-4e2d-9f80-1a2b3c4d5e6f"
"""The user every request of the fake server acts as."""
FAKE_WORKSPACE_ID: Final = "3c1f0e9d-7a6b-4c5d-8e2f-0a1b2c3d4e5f"
"""That user's workspace."""
FAKE_ORG_ID: Final = "b4e2d1c0-9f8e-4d7c-a6b5-c4d3e2f1a0b9"
"""That user's organization: libraries cannot be shared outside of it."""

_UUID_CHARS: Final = frozenset("0123456789abcdefABCDEF-")


def iso(moment: datetime) -> str:
    """A UTC timestamp as the API writes it (``2026-08-01T12:00:00.123456Z``)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def now() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


# -- state -----------------------------------------------------------------------------------


@dataclass
class LibraryRecord:
    """One library; ``accesses`` maps ``(share_with_type, share_with_uuid)`` to a level."""

    id: str
    name: str
    owner_type: str
    owner_id: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    seq: int
    description: str | None = None
    chunk_size: int | None = None
    accesses: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def owned_by_caller(self) -> bool:
        """Whether the fake server's identity created (and owns) the library."""
        return self.created_by == FAKE_USER_ID


@dataclass
class DocumentRecord:
    """One document of a library; the content stays in a :class:`Blob` (on disk when big).

    ``reads_left`` counts the reads before processing moves on a step (``todo`` ->
    ``in_progress`` -> ``done``); ``text`` is the extracted text, once processed.
    """

    id: str
    library_id: str
    name: str
    blob: Blob
    hash: str
    mime_type: str | None
    extension: str | None
    created_at: datetime
    seq: int
    process_status: str = "todo"
    reads_left: int = 0
    text: str | None = None
    pages: list[str] = field(default_factory=list)
    page_separator: str = ""
    summary: str | None = None
    last_processed_at: datetime | None = None
    tokens_main: int | None = None
    tokens_summary: int | None = None
    attributes: dict[str, Any] | None = None
    expires_at: datetime | None = None
    expires_at_text: str | None = None

    @property
    def size(self) -> int:
        """Bytes of content."""
        return self.blob.size


class LibrariesState:
    """The libraries and documents of one fake server (dropped by ``fake.reset()``).

    ``processing_reads`` is how many reads of a new (or reprocessed) document move its
    processing from ``todo`` to ``done`` (one step per read: ``in_progress`` first); set it
    to 0 to have documents processed as soon as they are uploaded.
    """

    def __init__(self) -> None:
        """Start empty."""
        self.libraries: dict[str, LibraryRecord] = {}
        self.documents: dict[str, DocumentRecord] = {}
        self.processing_reads = 2
        self._seq = itertools.count()
        self._secret = secrets.token_bytes(16)

    def next_seq(self) -> int:
        """A number that grows with every library and document created (for ordering)."""
        return next(self._seq)

    def add_library(
        self,
        name: str,
        *,
        owner_type: str = "Workspace",
        created_by: str = FAKE_USER_ID,
        owner_id: str | None = None,
        description: str | None = None,
        chunk_size: int | None = None,
        library_id: str | None = None,
    ) -> LibraryRecord:
        """Create a library directly (a test seeding one shared with the caller passes
        another ``created_by``)."""
        moment = now()
        if owner_id is None:
            owner_id = FAKE_WORKSPACE_ID if owner_type == "Workspace" else created_by
        record = LibraryRecord(
            id=library_id or str(uuid.uuid4()),
            name=name,
            owner_type=owner_type,
            owner_id=owner_id,
            created_by=created_by,
            created_at=moment,
            updated_at=moment,
            seq=self.next_seq(),
            description=description,
            chunk_size=chunk_size,
        )
        if not record.owned_by_caller:
            record.accesses[("User", FAKE_USER_ID)] = "Viewer"
        self.libraries[record.id] = record
        return record

    def caller_can_edit(self, record: LibraryRecord) -> bool:
        """Whether the caller may change the library's content (owner or editor)."""
        if record.owned_by_caller:
            return True
        mine = {("User", FAKE_USER_ID), ("Workspace", FAKE_WORKSPACE_ID), ("Org", FAKE_ORG_ID)}
        return any(record.accesses.get(entity) == "Editor" for entity in mine)

    def signed_url(self, document: DocumentRecord, *, extracted: bool = False) -> str:
        """A (fake) URL to the document's content, or to its extracted text, valid 30 min.

        Nothing serves it: read what it points at with :meth:`open_signed_url`.
        """
        expires = int(time.time()) + 30 * 60
        kind = "extracted" if extracted else "content"
        name = "extracted.txt" if extracted else urllib.parse.quote(document.name, safe="")
        signature = self._sign(kind, document.id, expires)
        return (
            f"https://storage.fake-mistral.invalid/libraries/{document.library_id}/"
            f"{document.id}/{kind}/{name}?expires={expires}&signature={signature}"
        )

    def open_signed_url(self, url: str) -> bytes:
        """What a URL of :meth:`signed_url` points at; ``ValueError`` if it is forged,
        expired or its document is gone."""
        parts = urllib.parse.urlsplit(url)
        segments = parts.path.split("/")
        query = dict(urllib.parse.parse_qsl(parts.query))
        if len(segments) != 6 or segments[1] != "libraries":
            raise ValueError(f"not a signed URL of this server: {url}")
        document_id, kind = segments[3], segments[4]
        expires = int(query.get("expires", "0"))
        expected = self._sign(kind, document_id, expires)
        if not hmac.compare_digest(expected, query.get("signature", "")):
            raise ValueError("bad signature")
        if expires < time.time():
            raise ValueError("the URL has expired")
        document = self.documents.get(document_id)
        if document is None:
            raise ValueError(f"document {document_id} is gone")
        if kind == "extracted":
            return (document.text or "").encode()
        return document.blob.read_bytes()

    def _sign(self, kind: str, document_id: str, expires: int) -> str:
        message = f"{kind}:{document_id}:{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def documents_of(self, library_id: str) -> Iterator[DocumentRecord]:
        """The documents of a library, oldest first."""
        return (d for d in list(self.documents.values()) if d.library_id == library_id)

    def purge_expired(self) -> None:
        """Delete the documents whose ``expires_at`` has passed (as the API does)."""
        moment = now()
        for document in list(self.documents.values()):
            if document.expires_at is not None and document.expires_at <= moment:
                del self.documents[document.id]

    def library_json(self, record: LibraryRecord) -> dict[str, Any]:
        """The library as the API renders it (``Library``)."""
        documents = list(self.documents_of(record.id))
        kinds = [kind for kind, _ in record.accesses]
        return {
            "id": record.id,
            "name": record.name,
            "created_at": iso(record.created_at),
            "updated_at": iso(record.updated_at),
            "owner_id": record.owner_id,
            "owner_type": record.owner_type,
            "total_size": sum(d.size for d in documents),
            "nb_documents": len(documents),
            "chunk_size": record.chunk_size,
            "emoji": None,
            "description": record.description,
            "generated_description": None,
            "explicit_user_members_count": kinds.count("User"),
            "explicit_workspace_members_count": kinds.count("Workspace"),
            "org_sharing_role": record.accesses.get(("Org", FAKE_ORG_ID)),
            "generated_name": None,
        }


def sharing_json(
    library_id: str, share_with_type: str, share_with_uuid: str, role: str
) -> dict[str, Any]:
    """One access as the API renders it (``Sharing``)."""
    return {
        "library_id": library_id,
        "user_id": share_with_uuid if share_with_type == "User" else None,
        "org_id": FAKE_ORG_ID,
        "role": role,
        "share_with_type": share_with_type,
        "share_with_uuid": share_with_uuid,
    }


# -- validation helpers ----------------------------------------------------------------------


def uuid_error(value: object, loc: Loc) -> ErrorDetail | None:
    """The pydantic error of a value that is not a UUID (``None`` when it is one)."""
    if not isinstance(value, str):
        return {
            "type": "uuid_type",
            "loc": list(loc),
            "msg": "UUID input should be a string, bytes or UUID object",
            "input": value,
        }
    try:
        uuid.UUID(value)
    except ValueError:
        bad = next(((i, c) for i, c in enumerate(value) if c not in _UUID_CHARS), None)
        if bad is not None:
            error = (
                "invalid character: expected an optional prefix of `urn:uuid:` followed by "
                f"[0-9a-fA-F-], found `{bad[1]}` at {bad[0] + 1}"
            )
        else:
            digits = len(value.replace("-", ""))
            error = f"invalid length: expected length 32 for simple format, found {digits}"
        return {
            "type": "uuid_parsing",
            "loc": list(loc),
            "msg": f"Input should be a valid UUID, {error}",
            "input": value,
            "ctx": {"error": error},
        }
    return None


class Uuid(Schema):
    """A UUID string (``format: uuid``)."""

    label = "uuid"
    kinds = frozenset({"string"})

    def check(self, value: object, loc: Loc) -> list[ErrorDetail]:
        """Reject anything but a UUID string."""
        error = uuid_error(value, loc)
        return [] if error is None else [error]


def path_uuid(call: Call, name: str) -> str:
    """The path parameter ``name`` as a canonical UUID string, or stop with the API's 422."""
    value = call.params[name]
    error = uuid_error(value, ("path", name))
    if error is not None:
        raise Abort(call.validation_error([error]))
    return str(uuid.UUID(value))


def get_library(call: Call) -> LibraryRecord:
    """The library named by the path, or stop with a 404 (422 for a malformed id)."""
    library_id = path_uuid(call, "library_id")
    record = call.state(LibrariesState).libraries.get(library_id)
    if record is None:
        raise Abort(call.not_found("Library", library_id))
    return record


# -- schemas -----------------------------------------------------------------------------------

_ENTITY_TYPE = Str(enum=["User", "Workspace", "Org"])
_LEVEL = Str(enum=["Viewer", "Editor"])

LIST_LIBRARIES = Body(
    "ListLibrariesQuery",
    optional={
        "page_size": Int(ge=1, le=100),
        "page_token": nullable(Str()),
        "page": Int(),
        "search": nullable(Str()),
        "filter_owned_by_me": nullable(Bool()),
    },
)
CREATE_LIBRARY = Body(
    "CreateLibraryRequest",
    required={"name": Str()},
    optional={
        "description": nullable(Str()),
        "chunk_size": nullable(Int(ge=256, le=32768)),
        "owner_type": nullable(Str(enum=["User", "Workspace"])),
    },
)
UPDATE_LIBRARY = Body(
    "UpdateLibraryRequest", optional={"name": Str(), "description": nullable(Str())}
)
SHARING_REQUEST = Body(
    "SharingRequest",
    required={"level": _LEVEL, "share_with_uuid": Uuid(), "share_with_type": _ENTITY_TYPE},
    optional={"org_id": nullable(Uuid())},
)
# The spec lists ``level`` among SharingDelete's required fields without defining it (a
# leftover of SharingRequest): accepted, never required.
SHARING_DELETE = Body(
    "SharingDelete",
    required={"share_with_uuid": Uuid(), "share_with_type": _ENTITY_TYPE},
    optional={"org_id": nullable(Uuid()), "level": _LEVEL},
)


# -- routes ------------------------------------------------------------------------------------


def register(app: FakeApp) -> None:
    """Add the library and sharing routes."""
    app.route("GET", "/v1/libraries", list_libraries)
    app.route("POST", "/v1/libraries", create_library)
    app.route("GET", "/v1/libraries/{library_id}", get_library_route)
    app.route("DELETE", "/v1/libraries/{library_id}", delete_library)
    app.route("PATCH", "/v1/libraries/{library_id}", update_library)
    app.route("PUT", "/v1/libraries/{library_id}", update_library)
    app.route("GET", "/v1/libraries/{library_id}/share", list_accesses)
    app.route("PUT", "/v1/libraries/{library_id}/share", share_library)
    app.route("DELETE", "/v1/libraries/{library_id}/share", unshare_library)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"libraries:{offset}".encode()).decode().rstrip("=")


def _offset(call: Call, token: str) -> int:
    """The offset a page token stands for, or stop with a 422."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix != "libraries" or not number.isdigit():
            raise ValueError(text)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        detail = {
            "type": "value_error",
            "loc": ["query", "page_token"],
            "msg": "Value error, invalid page token",
            "input": token,
            "ctx": {"error": "invalid page token"},
        }
        raise Abort(call.validation_error([detail])) from None


async def list_libraries(call: Call) -> web.StreamResponse:
    """``GET /v1/libraries``: newest first, by token (or by the deprecated page number)."""
    query = call.validate_query(LIST_LIBRARIES)
    state = call.state(LibrariesState)
    size: int = query.get("page_size", 100)
    records = sorted(state.libraries.values(), key=lambda r: r.seq, reverse=True)
    search = query.get("search")
    if search:
        records = [r for r in records if search.lower() in r.name.lower()]
    owned = query.get("filter_owned_by_me")
    if owned is not None:
        records = [r for r in records if r.owned_by_caller == owned]
    token = query.get("page_token")
    by_number = "page" in query and not token
    start = _offset(call, token) if token else query.get("page", 0) * size if by_number else 0
    start = max(start, 0)
    page = records[start : start + size]
    more = start + size < len(records)
    payload: dict[str, Any] = {
        "data": [state.library_json(r) for r in page],
        "next_page_token": _token(start + size) if more and not by_number else None,
    }
    if by_number:
        payload["pagination"] = {
            "total_items": len(records),
            "total_pages": -(-len(records) // size),
            "current_page": query.get("page", 0),
            "page_size": size,
            "has_more": more,
        }
    return call.ok(payload)


async def create_library(call: Call) -> web.StreamResponse:
    """``POST /v1/libraries``."""
    payload = await call.json(CREATE_LIBRARY)
    state = call.state(LibrariesState)
    record = state.add_library(
        payload["name"],
        owner_type=payload.get("owner_type") or "Workspace",
        description=payload.get("description"),
        chunk_size=payload.get("chunk_size"),
    )
    return call.ok(state.library_json(record), status=201)


async def get_library_route(call: Call) -> web.StreamResponse:
    """``GET /v1/libraries/{library_id}``."""
    record = get_library(call)
    state = call.state(LibrariesState)
    state.purge_expired()
    return call.ok(state.library_json(record))


async def delete_library(call: Call) -> web.StreamResponse:
    """``DELETE /v1/libraries/{library_id}``: the library and its documents (200, deprecated)."""
    record = get_library(call)
    state = call.state(LibrariesState)
    if not record.owned_by_caller:
        return call.error(403, "Only the owner of a library can delete it")
    rendered = state.library_json(record)
    for document in list(state.documents_of(record.id)):
        del state.documents[document.id]
    del state.libraries[record.id]
    return call.ok(rendered)


async def update_library(call: Call) -> web.StreamResponse:
    """``PATCH`` (and the deprecated ``PUT``) ``/v1/libraries/{library_id}``."""
    record = get_library(call)
    payload = await call.json(UPDATE_LIBRARY)
    if not call.state(LibrariesState).caller_can_edit(record):
        return call.error(403, "You need the Editor role on this library to change it")
    if "name" in payload:
        record.name = payload["name"]
    if "description" in payload:
        record.description = payload["description"]
    record.updated_at = now()
    return call.ok(call.state(LibrariesState).library_json(record))


async def list_accesses(call: Call) -> web.StreamResponse:
    """``GET /v1/libraries/{library_id}/share``: the owner first, then every access."""
    record = get_library(call)
    data = [sharing_json(record.id, record.owner_type, record.owner_id, "Owner")]
    data += [
        sharing_json(record.id, kind, entity, level)
        for (kind, entity), level in record.accesses.items()
    ]
    return call.ok({"data": data})


def _check_sharing(
    call: Call, record: LibraryRecord, payload: dict[str, Any], *, deleting: bool
) -> tuple[str, str]:
    """The access a share/unshare request names, after the API's rules (403 otherwise)."""
    if not record.owned_by_caller:
        raise Abort(call.error(403, "Only the owner of a library can change who may use it"))
    kind = payload["share_with_type"]
    entity = str(uuid.UUID(payload["share_with_uuid"]))
    org_id = payload.get("org_id")
    outside = (org_id is not None and str(uuid.UUID(org_id)) != FAKE_ORG_ID) or (
        kind == "Org" and entity != FAKE_ORG_ID
    )
    if outside:
        raise Abort(call.error(403, "A library cannot be shared outside of the organization"))
    if (kind, entity) in {(record.owner_type, record.owner_id), ("User", record.created_by)}:
        own = "delete their own access" if deleting else "change their own role"
        raise Abort(call.error(403, f"An owner cannot {own}"))
    return kind, entity


async def share_library(call: Call) -> web.StreamResponse:
    """``PUT /v1/libraries/{library_id}/share``: create or update an access level."""
    record = get_library(call)
    payload = await call.json(SHARING_REQUEST)
    kind, entity = _check_sharing(call, record, payload, deleting=False)
    record.accesses[(kind, entity)] = payload["level"]
    return call.ok(sharing_json(record.id, kind, entity, payload["level"]))


async def unshare_library(call: Call) -> web.StreamResponse:
    """``DELETE /v1/libraries/{library_id}/share``: remove an access (200, deprecated)."""
    record = get_library(call)
    payload = await call.json(SHARING_DELETE)
    kind, entity = _check_sharing(call, record, payload, deleting=True)
    level = record.accesses.pop((kind, entity), None)
    if level is None:
        return call.not_found("Sharing", f"{kind} {entity}")
    return call.ok(sharing_json(record.id, kind, entity, level))

"""Types of the libraries API (beta): libraries, their documents and who they are shared with.

Response classes are named like the API's schemas. Timestamps are the ISO 8601 strings the
API sends; enum-like fields (``process_status``, ``owner_type``, ``role``...) are plain
strings so that values the API adds later still parse. The request classes check what the
caller gave before anything is sent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from .._converter import Model
from .._errors import InvalidParameterError
from .._types import NOT_GIVEN, NotGiven
from . import _validate as v

__all__ = [
    "CreateLibraryRequest",
    "Document",
    "DocumentTextContent",
    "Library",
    "ListDocumentsResponse",
    "ListLibrariesResponse",
    "ListSharingResponse",
    "PaginationInfo",
    "ProcessingStatus",
    "Sharing",
    "SharingDelete",
    "SharingRequest",
    "UpdateDocumentRequest",
    "UpdateLibraryRequest",
]

PROCESSED_STATUSES = frozenset({"done", "noop", "self_managed", "missing_content", "error"})
"""Values of ``process_status`` after which a document's processing will not move on."""


# -- responses -----------------------------------------------------------------------------


@attrs.define(slots=True)
class Library(Model):
    """A document library."""

    id: str
    name: str = ""
    created_at: str = ""
    updated_at: str = ""
    owner_id: str | None = None
    owner_type: str = ""
    """``"User"``, ``"Workspace"`` or ``"Org"``."""
    total_size: int = 0
    """Bytes of every document in the library."""
    nb_documents: int = 0
    chunk_size: int | None = None
    emoji: str | None = None
    description: str | None = None
    generated_description: str | None = None
    explicit_user_members_count: int | None = None
    explicit_workspace_members_count: int | None = None
    org_sharing_role: str | None = None
    generated_name: str | None = None


@attrs.define(slots=True)
class PaginationInfo(Model):
    """Where a page sits among all the results (offset paging)."""

    total_items: int = 0
    total_pages: int = 0
    current_page: int = 0
    page_size: int = 0
    has_more: bool = False


@attrs.define(slots=True)
class ListLibrariesResponse(Model):
    """One page of libraries.

    ``next_page_token`` continues the listing (``None`` on the last page); ``pagination`` is
    only filled for the deprecated ``page`` parameter.
    """

    data: list[Library] = attrs.Factory(list)
    pagination: PaginationInfo | None = None
    next_page_token: str | None = None


@attrs.define(slots=True)
class Document(Model):
    """A document of a library, with the state of its processing."""

    id: str
    library_id: str = ""
    hash: str | None = None
    mime_type: str | None = None
    extension: str | None = None
    size: int | None = None
    name: str = ""
    summary: str | None = None
    created_at: str = ""
    last_processed_at: str | None = None
    number_of_pages: int | None = None
    process_status: str = ""
    """``"todo"``, ``"in_progress"``, ``"done"``, ``"error"``, ``"missing_content"``,
    ``"noop"``, ``"self_managed"`` or ``"waiting_for_capacity"``."""
    uploaded_by_id: str | None = None
    uploaded_by_type: str = ""
    tokens_processing_main_content: int | None = None
    tokens_processing_summary: int | None = None
    url: str | None = None
    attributes: dict[str, Any] | None = None
    expires_at: str | None = None
    processing_status: str = ""
    """Deprecated by the API: read ``process_status``."""
    tokens_processing_total: int = 0

    @property
    def processed(self) -> bool:
        """Whether processing has ended (successfully or not): see ``process_status``."""
        return self.process_status in PROCESSED_STATUSES


@attrs.define(slots=True)
class ListDocumentsResponse(Model):
    """One page of a library's documents."""

    data: list[Document] = attrs.Factory(list)
    pagination: PaginationInfo = attrs.Factory(PaginationInfo)


@attrs.define(slots=True)
class DocumentTextContent(Model):
    """The text of a document (extracted by OCR for PDFs, Word and PowerPoint files)."""

    text: str = ""


@attrs.define(slots=True)
class ProcessingStatus(Model):
    """How far the processing of a document has gone."""

    document_id: str
    process_status: str = ""
    """See :attr:`Document.process_status`."""
    processing_status: str = ""
    """Deprecated by the API: read ``process_status``."""

    @property
    def processed(self) -> bool:
        """Whether processing has ended (successfully or not)."""
        return self.process_status in PROCESSED_STATUSES


@attrs.define(slots=True)
class Sharing(Model):
    """One entity's access to a library."""

    library_id: str
    org_id: str = ""
    role: str = ""
    """``"Owner"``, ``"Editor"`` or ``"Viewer"``."""
    share_with_type: str = ""
    """``"User"``, ``"Workspace"`` or ``"Org"``."""
    share_with_uuid: str | None = None
    user_id: str | None = None


@attrs.define(slots=True)
class ListSharingResponse(Model):
    """Every access to a library."""

    data: list[Sharing] = attrs.Factory(list)


# -- requests ------------------------------------------------------------------------------


def _check_datetime(name: str, value: Any) -> None:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidParameterError(name, "a datetime must be timezone-aware")
    elif not isinstance(value, str):
        raise InvalidParameterError(
            name, f"must be a datetime or an ISO 8601 string, not {type(value).__name__}"
        )


def _check_expires_at(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, NotGiven) or value is None:
        return
    _check_datetime(attribute.name, value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if _is_number(value):
        return "number"
    return "str" if isinstance(value, str) else "other"


def _check_attribute(path: str, value: Any) -> None:
    if isinstance(value, bool | str):
        return
    if _is_number(value):
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidParameterError(path, f"must be finite, not {value!r}")
        return
    if isinstance(value, datetime):
        _check_datetime(path, value)
        return
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        kinds = {_kind(item) for item in value}
        if "other" in kinds or len(kinds) > 1:
            raise InvalidParameterError(
                path, "a list must hold only strings, only booleans or only numbers"
            )
        for index, item in enumerate(value):
            if isinstance(item, float) and not math.isfinite(item):
                raise InvalidParameterError(f"{path}[{index}]", f"must be finite, not {item!r}")
        return
    raise InvalidParameterError(
        path,
        "must be a bool, a string, a number, a datetime or a list of strings, numbers or "
        f"booleans, not {type(value).__name__}",
    )


def _check_attributes(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, NotGiven) or value is None:
        return
    if not isinstance(value, Mapping):
        raise InvalidParameterError(attribute.name, f"must be a dict, not {type(value).__name__}")
    for key, item in value.items():
        if not isinstance(key, str):
            raise InvalidParameterError(attribute.name, f"keys must be strings, not {key!r}")
        _check_attribute(f"{attribute.name}[{key!r}]", item)


def _wire_datetime(value: Any) -> Any:
    """A datetime as the ISO 8601 string the API reads; anything else as it is."""
    return value.isoformat() if isinstance(value, datetime) else value


def _wire_attributes(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    return {
        key: [*item] if isinstance(item, tuple) else _wire_datetime(item)
        for key, item in value.items()
    }


@attrs.define(slots=True, kw_only=True)
class CreateLibraryRequest(Model):
    """The body of a request creating a library."""

    name: str = attrs.field(metadata=v.check(v.string(nullable=False)))
    description: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.string())
    )
    chunk_size: int | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.number(ge=256, le=32768, integer=True))
    )
    owner_type: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.one_of("User", "Workspace"))
    )


@attrs.define(slots=True, kw_only=True)
class UpdateLibraryRequest(Model):
    """The body of a request changing a library's name or description."""

    name: str | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.string(nullable=False))
    )
    description: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.string())
    )


@attrs.define(slots=True, kw_only=True)
class UpdateDocumentRequest(Model):
    """The body of a request changing a document's name, attributes or expiry.

    ``attributes`` values may be booleans, strings, numbers, timezone-aware datetimes or
    lists of one kind of them; datetimes (also ``expires_at``) are sent as ISO 8601.
    """

    name: str | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.string(nullable=False))
    )
    attributes: dict[str, Any] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, converter=_wire_attributes, metadata=v.check(_check_attributes)
    )
    expires_at: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, converter=_wire_datetime, metadata=v.check(_check_expires_at)
    )


ENTITY_TYPES = ("User", "Workspace", "Org")
SHARE_LEVELS = ("Viewer", "Editor")


@attrs.define(slots=True, kw_only=True)
class SharingRequest(Model):
    """The body of a request giving an entity access to a library."""

    level: str = attrs.field(metadata=v.check(v.one_of(*SHARE_LEVELS, nullable=False)))
    share_with_uuid: str = attrs.field(metadata=v.check(v.string(nullable=False, non_empty=True)))
    share_with_type: str = attrs.field(metadata=v.check(v.one_of(*ENTITY_TYPES, nullable=False)))
    org_id: str | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=v.check(v.string()))


@attrs.define(slots=True, kw_only=True)
class SharingDelete(Model):
    """The body of a request removing an entity's access to a library."""

    share_with_uuid: str = attrs.field(metadata=v.check(v.string(nullable=False, non_empty=True)))
    share_with_type: str = attrs.field(metadata=v.check(v.one_of(*ENTITY_TYPES, nullable=False)))
    org_id: str | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=v.check(v.string()))
    level: str | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.one_of(*SHARE_LEVELS, nullable=False))
    )

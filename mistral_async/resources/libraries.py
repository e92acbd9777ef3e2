"""``client.beta.libraries`` (with ``.accesses`` and ``.documents``): document libraries.

Method names follow the official SDK (``documents.text_content``, ``documents.status``,
``documents.extracted_text_signed_url``, ``accesses.update_or_create``...). ``update`` sends
the ``PATCH`` the API recommends; ``replace`` sends the ``PUT`` it deprecated (same body,
same result).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from .._client import ResourceSlot
from .._errors import InvalidParameterError
from .._pagination import AsyncPaginator
from .._session import path_param
from .._types import NOT_GIVEN, NotGiven
from .._uploads import FileInput, to_upload
from ..types.libraries import (
    CreateLibraryRequest,
    Document,
    DocumentTextContent,
    Library,
    ListDocumentsResponse,
    ListLibrariesResponse,
    ListSharingResponse,
    ProcessingStatus,
    Sharing,
    SharingDelete,
    SharingRequest,
    UpdateDocumentRequest,
    UpdateLibraryRequest,
)
from ._base import AsyncResource, body_of, cast_to, params

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import RequestOptions

__all__ = ["AsyncLibraries", "AsyncLibraryAccesses", "AsyncLibraryDocuments"]

EntityType = Literal["User", "Workspace", "Org"]
ShareLevel = Literal["Viewer", "Editor"]

_library = cast_to(Library)
_libraries = cast_to(ListLibrariesResponse)
_document = cast_to(Document)
_documents = cast_to(ListDocumentsResponse)
_text = cast_to(DocumentTextContent)
_status = cast_to(ProcessingStatus)
_sharing = cast_to(Sharing)
_sharings = cast_to(ListSharingResponse)


def _url(data: Any) -> str:
    if not isinstance(data, str):
        raise TypeError(f"expected a URL string, got {type(data).__name__}")
    return data


def _identity(data: Any) -> Any:
    return data


def _library_path(library_id: str) -> str:
    return f"/v1/libraries/{path_param('library_id', library_id)}"


def _document_path(library_id: str, document_id: str) -> str:
    return f"{_library_path(library_id)}/documents/{path_param('document_id', document_id)}"


def _check_int(name: str, value: Any, *, ge: int | None = None, le: int | None = None) -> None:
    if value is None or isinstance(value, NotGiven):
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError(name, f"must be an integer, not {type(value).__name__}")
    if ge is not None and value < ge:
        raise InvalidParameterError(name, f"must be >= {ge}, got {value!r}")
    if le is not None and value > le:
        raise InvalidParameterError(name, f"must be <= {le}, got {value!r}")


def _check_str(name: str, value: Any) -> None:
    if value is None or isinstance(value, NotGiven):
        return
    if not isinstance(value, str):
        raise InvalidParameterError(name, f"must be a string, not {type(value).__name__}")


def _next_library_page(
    result: ListLibrariesResponse, query: dict[str, Any], count: int
) -> dict[str, Any] | None:
    """Follow ``next_page_token``; fall back on page numbers for the deprecated offset paging."""
    if count == 0:
        return None
    if result.next_page_token:
        following = {k: v for k, v in query.items() if k != "page"}
        return {**following, "page_token": result.next_page_token}
    pagination = result.pagination
    if pagination is not None and pagination.has_more:
        return {**query, "page": pagination.current_page + 1}
    return None


def _next_document_page(
    result: ListDocumentsResponse, query: dict[str, Any], count: int
) -> dict[str, Any] | None:
    if count == 0 or not result.pagination.has_more:
        return None
    return {**query, "page": result.pagination.current_page + 1}


class AsyncLibraryAccesses(AsyncResource):
    """Who may use a library: list, share and unshare."""

    __slots__ = ()

    async def list(self, library_id: str, **options: Unpack[RequestOptions]) -> ListSharingResponse:
        """Every entity (user, workspace, organization) with access to the library, and its role."""
        path = f"{_library_path(library_id)}/share"
        result: ListSharingResponse = await self._request("GET", path, _sharings, options)
        return result

    async def update_or_create(
        self,
        library_id: str,
        *,
        level: ShareLevel,
        share_with_uuid: str,
        share_with_type: EntityType,
        org_id: str | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Sharing:
        """Give an entity access to the library, or change its level.

        Only the library's owner may share it, never outside the organization, and an owner
        cannot change their own role. ``org_id`` is deprecated by the API.
        """
        request = SharingRequest.validated(
            **params(
                {
                    "level": level,
                    "share_with_uuid": share_with_uuid,
                    "share_with_type": share_with_type,
                    "org_id": org_id,
                }
            )
        )
        path = f"{_library_path(library_id)}/share"
        result: Sharing = await self._request("PUT", path, _sharing, options, body=body_of(request))
        return result

    async def delete(
        self,
        library_id: str,
        *,
        share_with_uuid: str,
        share_with_type: EntityType,
        org_id: str | NotGiven | None = NOT_GIVEN,
        level: ShareLevel | NotGiven = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Sharing | None:
        """Remove an entity's access to the library.

        Returns the removed access, or ``None`` once the API answers ``204 No Content`` (its
        announced behaviour). An owner cannot remove their own access. The spec lists
        ``level`` among the body's required fields without defining it: pass it if the API
        asks for it.
        """
        request = SharingDelete.validated(
            **params(
                {
                    "share_with_uuid": share_with_uuid,
                    "share_with_type": share_with_type,
                    "org_id": org_id,
                    "level": level,
                }
            )
        )
        path = f"{_library_path(library_id)}/share"
        result: Sharing | None = await self._request(
            "DELETE", path, _sharing, options, body=body_of(request)
        )
        return result


class AsyncLibraryDocuments(AsyncResource):
    """The documents of a library: upload, list, read their text, follow their processing."""

    __slots__ = ()

    def list(
        self,
        library_id: str,
        *,
        search: str | NotGiven | None = NOT_GIVEN,
        page_size: int | NotGiven = NOT_GIVEN,
        page: int | NotGiven = NOT_GIVEN,
        filters_attributes: str | NotGiven | None = NOT_GIVEN,
        sort_by: str | NotGiven = NOT_GIVEN,
        sort_order: str | NotGiven = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[ListDocumentsResponse, Document]:
        """List documents: ``await`` it for one page, or ``async for`` over every document.

        Pages are numbered from 0 and hold ``page_size`` (1-100, default 100) documents;
        ``search`` matches names; ``sort_by`` names a field (default ``"created_at"``),
        ``sort_order`` is ``"asc"`` or ``"desc"`` (the default). ``filters_attributes`` is
        deprecated by the API.
        """
        query = params(
            {
                "search": search,
                "page_size": page_size,
                "page": page,
                "filters_attributes": filters_attributes,
                "sort_by": sort_by,
                "sort_order": sort_order,
            }
        )
        _check_int("page_size", page_size, ge=1, le=100)
        _check_int("page", page, ge=0)
        for name in ("search", "filters_attributes", "sort_by", "sort_order"):
            _check_str(name, query.get(name))
        path = f"{_library_path(library_id)}/documents"

        async def fetch(page_query: dict[str, Any]) -> ListDocumentsResponse:
            result: ListDocumentsResponse = await self._request(
                "GET", path, _documents, options, query=page_query, page=True
            )
            return result

        return AsyncPaginator(fetch, query, lambda result: result.data, _next_document_page)

    async def upload(
        self, library_id: str, *, file: FileInput, **options: Unpack[RequestOptions]
    ) -> Document:
        """Upload a document, streamed from its source in constant memory.

        ``file`` is a path, bytes, a binary file object or an async iterator of bytes, or a
        tuple ``(filename, content)`` / ``(filename, content, content_type)``; see
        :meth:`AsyncFiles.upload <mistral_async.resources.files.AsyncFiles.upload>`. The
        document is then processed (``process_status``) before agents can search it. If the
        library already holds a document with the same content, that document is returned.
        """
        form: list[tuple[str, Any]] = [("file", to_upload(file))]
        path = f"{_library_path(library_id)}/documents"
        result: Document = await self._request("POST", path, _document, options, form=form)
        return result

    async def get(
        self, library_id: str, document_id: str, **options: Unpack[RequestOptions]
    ) -> Document:
        """A document's metadata."""
        path = _document_path(library_id, document_id)
        result: Document = await self._request("GET", path, _document, options)
        return result

    async def update(
        self,
        library_id: str,
        document_id: str,
        *,
        name: str | NotGiven = NOT_GIVEN,
        attributes: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        expires_at: str | datetime | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Document:
        """Change a document's name, attributes or expiry (only what you pass).

        ``attributes`` maps names to booleans, strings, numbers, timezone-aware datetimes
        or lists of one kind of them. The document is deleted after ``expires_at`` (a
        timezone-aware datetime or an ISO 8601 string); ``None`` clears it.
        """
        return await self._update("PATCH", library_id, document_id, params(locals()), options)

    async def replace(
        self,
        library_id: str,
        document_id: str,
        *,
        name: str | NotGiven = NOT_GIVEN,
        attributes: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        expires_at: str | datetime | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Document:
        """The ``PUT`` twin of :meth:`update`, deprecated by the API: use :meth:`update`."""
        return await self._update("PUT", library_id, document_id, params(locals()), options)

    async def _update(
        self,
        method: str,
        library_id: str,
        document_id: str,
        given: dict[str, Any],
        options: RequestOptions,
    ) -> Document:
        del given["library_id"], given["document_id"]
        request = UpdateDocumentRequest.validated(**given)
        path = _document_path(library_id, document_id)
        result: Document = await self._request(
            method, path, _document, options, body=body_of(request)
        )
        return result

    async def delete(
        self, library_id: str, document_id: str, **options: Unpack[RequestOptions]
    ) -> None:
        """Delete a document, from the library and from its search index."""
        path = _document_path(library_id, document_id)
        result: None = await self._request("DELETE", path, _identity, options)
        return result

    async def text_content(
        self,
        library_id: str,
        document_id: str,
        *,
        page_start: int | NotGiven | None = NOT_GIVEN,
        page_end: int | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> DocumentTextContent:
        """The text of a processed document, or of the pages from ``page_start`` to ``page_end``.

        For PDF, Word and PowerPoint files it is the text Mistral OCR extracted.
        """
        _check_int("page_start", page_start)
        _check_int("page_end", page_end)
        path = f"{_document_path(library_id, document_id)}/text_content"
        query = params({"page_start": page_start, "page_end": page_end}) or None
        result: DocumentTextContent = await self._request("GET", path, _text, options, query=query)
        return result

    async def status(
        self, library_id: str, document_id: str, **options: Unpack[RequestOptions]
    ) -> ProcessingStatus:
        """How far the document's processing has gone (``result.processed`` once it ended)."""
        path = f"{_document_path(library_id, document_id)}/status"
        result: ProcessingStatus = await self._request("GET", path, _status, options)
        return result

    async def get_signed_url(
        self, library_id: str, document_id: str, **options: Unpack[RequestOptions]
    ) -> str:
        """A URL to download the document without the key; anyone with it may, for 30 minutes."""
        path = f"{_document_path(library_id, document_id)}/signed-url"
        result: str = await self._request("GET", path, _url, options)
        return result

    async def extracted_text_signed_url(
        self, library_id: str, document_id: str, **options: Unpack[RequestOptions]
    ) -> str:
        """A URL to download the text extracted from the document (the OCR's result)."""
        path = f"{_document_path(library_id, document_id)}/extracted-text-signed-url"
        result: str = await self._request("GET", path, _url, options)
        return result

    async def reprocess(
        self, library_id: str, document_id: str, **options: Unpack[RequestOptions]
    ) -> None:
        """Process the document again (billed again); its ``process_status`` starts over."""
        path = f"{_document_path(library_id, document_id)}/reprocess"
        result: None = await self._request("POST", path, _identity, options)
        return result


class AsyncLibraries(AsyncResource):
    """Document libraries that agents can search."""

    __slots__ = ("__dict__",)

    accesses: ResourceSlot[AsyncLibraryAccesses] = ResourceSlot(
        ".resources.libraries:AsyncLibraryAccesses"
    )
    documents: ResourceSlot[AsyncLibraryDocuments] = ResourceSlot(
        ".resources.libraries:AsyncLibraryDocuments"
    )

    def list(
        self,
        *,
        page_size: int | NotGiven = NOT_GIVEN,
        page_token: str | NotGiven | None = NOT_GIVEN,
        page: int | NotGiven = NOT_GIVEN,
        search: str | NotGiven | None = NOT_GIVEN,
        filter_owned_by_me: bool | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[ListLibrariesResponse, Library]:
        """List the libraries you created or that were shared with you.

        ``await`` it for one page, or ``async for`` over every library: pages follow
        ``next_page_token`` (or the page numbers of the deprecated ``page`` parameter).
        ``page_size`` is 1-100 (default 100); ``search`` matches names, case-insensitively.
        ``filter_owned_by_me`` is deprecated by the API: ``True`` keeps the libraries you
        created, ``False`` those shared with you.
        """
        query = params(locals())
        _check_int("page_size", page_size, ge=1, le=100)
        _check_int("page", page)
        _check_str("page_token", page_token)
        _check_str("search", search)
        if not (filter_owned_by_me is None or isinstance(filter_owned_by_me, NotGiven | bool)):
            raise InvalidParameterError(
                "filter_owned_by_me", f"must be a bool, not {type(filter_owned_by_me).__name__}"
            )

        async def fetch(page_query: dict[str, Any]) -> ListLibrariesResponse:
            result: ListLibrariesResponse = await self._request(
                "GET", "/v1/libraries", _libraries, options, query=page_query, page=True
            )
            return result

        return AsyncPaginator(fetch, query, lambda result: result.data, _next_library_page)

    async def create(
        self,
        *,
        name: str,
        description: str | NotGiven | None = NOT_GIVEN,
        chunk_size: int | NotGiven | None = NOT_GIVEN,
        owner_type: Literal["User", "Workspace"] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Library:
        """Create a library; you are its owner, and only you can use it until you share it.

        ``owner_type`` ``"Workspace"`` (the API's default for API keys) shares it with your
        workspace; ``"User"`` keeps it private. ``chunk_size`` (256-32768 characters) is
        deprecated by the API.
        """
        request = CreateLibraryRequest.validated(**params(locals()))
        result: Library = await self._request(
            "POST", "/v1/libraries", _library, options, body=body_of(request)
        )
        return result

    async def get(self, library_id: str, **options: Unpack[RequestOptions]) -> Library:
        """A library's details."""
        result: Library = await self._request("GET", _library_path(library_id), _library, options)
        return result

    async def delete(self, library_id: str, **options: Unpack[RequestOptions]) -> Library | None:
        """Delete a library and every document in it.

        Returns the deleted library, or ``None`` once the API answers ``204 No Content`` (its
        announced behaviour).
        """
        result: Library | None = await self._request(
            "DELETE", _library_path(library_id), _library, options
        )
        return result

    async def update(
        self,
        library_id: str,
        *,
        name: str | NotGiven = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Library:
        """Change a library's name or description (only what you pass; ``None`` clears it)."""
        return await self._update("PATCH", library_id, name, description, options)

    async def replace(
        self,
        library_id: str,
        *,
        name: str | NotGiven = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Library:
        """The ``PUT`` twin of :meth:`update`, deprecated by the API: use :meth:`update`."""
        return await self._update("PUT", library_id, name, description, options)

    async def _update(
        self,
        method: str,
        library_id: str,
        name: str | NotGiven,
        description: str | NotGiven | None,
        options: RequestOptions,
    ) -> Library:
        request = UpdateLibraryRequest.validated(
            **params({"name": name, "description": description})
        )
        result: Library = await self._request(
            method, _library_path(library_id), _library, options, body=body_of(request)
        )
        return result

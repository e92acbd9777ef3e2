"""Cases of the ``beta.libraries.documents`` group.

The setups create a library and upload a document; :func:`processed` also waits, by reading
the status, until the fake server has processed it (text content and the extracted text's
URL exist only then). ``update`` is the API's ``PATCH``; ``replace`` its deprecated ``PUT``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mistral_async import AsyncMistral
from mistral_async.types.libraries import (
    Document,
    DocumentTextContent,
    ListDocumentsResponse,
    ProcessingStatus,
)

from ..case import Case

GUIDE = "".join(f"Line {n} of the onboarding guide.\n" for n in range(100)).encode()


async def library(client: AsyncMistral) -> str:
    """Create a library; its id."""
    created = await client.beta.libraries.create(name="Onboarding")
    return created.id


async def uploaded(client: AsyncMistral) -> dict[str, str]:
    """Create a library with a document; their ids."""
    library_id = await library(client)
    document = await client.beta.libraries.documents.upload(
        library_id, file=("guide.md", GUIDE, "text/markdown")
    )
    return {"library_id": library_id, "document_id": document.id}


async def processed(client: AsyncMistral) -> dict[str, str]:
    """Create a library with a document, and wait until the document is processed."""
    ids = await uploaded(client)
    documents = client.beta.libraries.documents
    while not (await documents.status(ids["library_id"], ids["document_id"])).processed:
        pass
    return ids


async def several(client: AsyncMistral) -> str:
    """A library with three documents; its id."""
    library_id = await library(client)
    for name in ("a.txt", "b.txt", "c.txt"):
        await client.beta.libraries.documents.upload(library_id, file=(name, name.encode()))
    return library_id


def ids(state: dict[str, str]) -> tuple[str, str]:
    """The positional arguments ``(library_id, document_id)``."""
    return state["library_id"], state["document_id"]


CASES: dict[str, Case] = {
    "libraries_documents_list_v1": Case(
        method="beta.libraries.documents.list",
        setup=several,
        args=lambda library_id: (library_id,),
        kwargs={
            "search": ".txt",
            "page_size": 2,
            "page": 1,
            "filters_attributes": "{}",
            "sort_by": "name",
            "sort_order": "asc",
        },
        returns="paginator",
        response_type=ListDocumentsResponse,
    ),
    "libraries_documents_list_v1:defaults": Case(
        method="beta.libraries.documents.list",
        setup=several,
        kwargs=lambda library_id: {"library_id": library_id, "search": None},
        returns="paginator",
        response_type=ListDocumentsResponse,
    ),
    "libraries_documents_upload_v1": Case(
        method="beta.libraries.documents.upload",
        setup=library,
        args=lambda library_id: (library_id,),
        kwargs={"file": ("guide.md", GUIDE, "text/markdown")},
        response_type=Document,
    ),
    "libraries_documents_upload_v1:bytes": Case(
        method="beta.libraries.documents.upload",
        setup=library,
        kwargs=lambda library_id: {"library_id": library_id, "file": b"plain bytes"},
        response_type=Document,
    ),
    "libraries_documents_get_v1": Case(
        method="beta.libraries.documents.get",
        setup=uploaded,
        args=ids,
        response_type=Document,
    ),
    "libraries_documents_patch_v1": Case(
        method="beta.libraries.documents.update",
        setup=uploaded,
        args=ids,
        kwargs={
            "name": "Onboarding guide.md",
            "attributes": {
                "team": "people",
                "year": 2026,
                "score": 0.5,
                "draft": False,
                "reviewed": datetime(2026, 8, 1, 9, 30, tzinfo=UTC),
                "tags": ["hr", "onboarding"],
                "pages": [1, 2],
                "weights": [0.5, 1.5],
                "flags": [True, False],
            },
            "expires_at": datetime(2030, 1, 1, tzinfo=UTC),
        },
        response_type=Document,
    ),
    "libraries_documents_patch_v1:clear": Case(
        method="beta.libraries.documents.update",
        setup=uploaded,
        kwargs=lambda state: {**state, "attributes": None, "expires_at": None},
        response_type=Document,
    ),
    "libraries_documents_update_v1": Case(
        method="beta.libraries.documents.replace",
        setup=uploaded,
        args=ids,
        kwargs={
            "name": "guide-v2.md",
            "attributes": {"team": "people"},
            "expires_at": "2030-01-01T00:00:00Z",
        },
        response_type=Document,
    ),
    "libraries_documents_delete_v1": Case(
        method="beta.libraries.documents.delete",
        setup=uploaded,
        args=ids,
    ),
    "libraries_documents_get_text_content_v1": Case(
        method="beta.libraries.documents.text_content",
        setup=processed,
        args=ids,
        kwargs={"page_start": 0, "page_end": 1},
        response_type=DocumentTextContent,
    ),
    "libraries_documents_get_text_content_v1:whole": Case(
        method="beta.libraries.documents.text_content",
        setup=processed,
        kwargs=lambda state: {**state, "page_start": None},
        response_type=DocumentTextContent,
    ),
    "libraries_documents_get_status_v1": Case(
        method="beta.libraries.documents.status",
        setup=uploaded,
        args=ids,
        response_type=ProcessingStatus,
    ),
    "libraries_documents_get_signed_url_v1": Case(
        method="beta.libraries.documents.get_signed_url",
        setup=uploaded,
        args=ids,
        response_type=str,
    ),
    "libraries_documents_get_extracted_text_signed_url_v1": Case(
        method="beta.libraries.documents.extracted_text_signed_url",
        setup=processed,
        args=ids,
        response_type=str,
    ),
    "libraries_documents_reprocess_v1": Case(
        method="beta.libraries.documents.reprocess",
        setup=processed,
        args=ids,
    ),
}

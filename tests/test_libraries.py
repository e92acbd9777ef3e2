"""``client.beta.libraries`` (and ``.accesses``, ``.documents``), async and blocking, over real
HTTP to the fake server: requests sent, results parsed, state changed, errors raised."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from mistral_async import (
    AsyncMistral,
    InvalidParameterError,
    Mistral,
    NotFoundError,
    PermissionDeniedError,
    RawResponse,
    UnprocessableEntityError,
)
from mistral_async.testing import Call, FakeMistral
from mistral_async.testing.groups.libraries import (
    FAKE_ORG_ID,
    FAKE_USER_ID,
    FAKE_WORKSPACE_ID,
    LibrariesState,
)
from mistral_async.testing.groups.library_documents import PAGE_LINES
from mistral_async.types.libraries import (
    Document,
    DocumentTextContent,
    Library,
    ListDocumentsResponse,
    ListLibrariesResponse,
    ListSharingResponse,
    ProcessingStatus,
    Sharing,
)

REPO = Path(__file__).resolve().parent.parent
COLLEAGUE = "0f8fad5b-d9cb-469f-a165-70867728950e"
STRANGER_ORG = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
GUIDE = "".join(f"Line {n} of the guide.\n" for n in range(PAGE_LINES * 2 + 5))


@pytest.fixture
def fake() -> Iterator[FakeMistral]:
    """A fake Mistral API in a background thread."""
    with FakeMistral() as server:
        yield server


def client_for(fake: FakeMistral, **kwargs: Any) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url, **kwargs)


def state_of(fake: FakeMistral) -> LibrariesState:
    return fake.state(LibrariesState)


def unknown() -> str:
    return str(uuid.uuid4())


async def processed(client: AsyncMistral, library_id: str, document_id: str) -> None:
    """Read the status until processing has ended (each read moves it on in the fake)."""
    for _ in range(10):
        if (await client.beta.libraries.documents.status(library_id, document_id)).processed:
            return
    raise AssertionError("the document was never processed")


# -- libraries -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_library_lifecycle(fake: FakeMistral) -> None:
    async with client_for(fake) as client:
        libraries = client.beta.libraries
        created = await libraries.create(name="Handbook", description="HR policies")
        assert isinstance(created, Library)
        assert (created.name, created.description) == ("Handbook", "HR policies")
        assert (created.owner_type, created.owner_id) == ("Workspace", FAKE_WORKSPACE_ID)
        assert (created.nb_documents, created.total_size) == (0, 0)
        sent = fake.last_request
        assert (sent.method, sent.path) == ("POST", "/v1/libraries")
        assert sent.json == {"name": "Handbook", "description": "HR policies"}

        got = await libraries.get(created.id)
        assert got == created

        patched = await libraries.update(created.id, name="Employee handbook")
        assert (patched.name, patched.description) == ("Employee handbook", "HR policies")
        assert fake.last_request.method == "PATCH"
        assert fake.last_request.json == {"name": "Employee handbook"}

        cleared = await libraries.update(created.id, description=None)
        assert cleared.description is None
        assert fake.last_request.json == {"description": None}

        replaced = await libraries.replace(created.id, name="v2", description="2026")
        assert (replaced.name, replaced.description) == ("v2", "2026")
        assert fake.last_request.method == "PUT"
        assert fake.last_request.path == f"/v1/libraries/{created.id}"

        deleted = await libraries.delete(created.id)
        assert isinstance(deleted, Library) and deleted.id == created.id
        assert fake.last_request.method == "DELETE"
        with pytest.raises(NotFoundError, match=f"Library not found: {created.id}"):
            await libraries.get(created.id)
    assert state_of(fake).libraries == {}


@pytest.mark.anyio
async def test_create_sends_every_parameter(fake: FakeMistral) -> None:
    async with client_for(fake) as client:
        private = await client.beta.libraries.create(
            name="Mine", description=None, chunk_size=4096, owner_type="User"
        )
    assert fake.last_request.json == {
        "name": "Mine",
        "description": None,
        "chunk_size": 4096,
        "owner_type": "User",
    }
    assert (private.owner_type, private.owner_id, private.chunk_size) == (
        "User",
        FAKE_USER_ID,
        4096,
    )


@pytest.mark.anyio
async def test_list_follows_the_page_token(fake: FakeMistral) -> None:
    async with client_for(fake) as client:
        for n in range(5):
            await client.beta.libraries.create(name=f"lib-{n}")
        fake.clear_requests()
        first = await client.beta.libraries.list(page_size=2)
        assert isinstance(first, ListLibrariesResponse)
        assert [lib.name for lib in first.data] == ["lib-4", "lib-3"]  # newest first
        assert first.next_page_token and first.pagination is None
        names = [lib.name async for lib in client.beta.libraries.list(page_size=2)]
        pages = [p async for p in client.beta.libraries.list(page_size=2).pages()]
    assert names == ["lib-4", "lib-3", "lib-2", "lib-1", "lib-0"]
    assert [len(p.data) for p in pages] == [2, 2, 1]
    assert pages[-1].next_page_token is None
    walked = fake.requests[1:4]
    assert [r.query.get("page_token") for r in walked] == [
        None,
        first.next_page_token,
        pages[1].next_page_token,
    ]
    assert all(r.query["page_size"] == "2" and "page" not in r.query for r in walked)


@pytest.mark.anyio
async def test_list_by_deprecated_page_numbers(fake: FakeMistral) -> None:
    async with client_for(fake) as client:
        for n in range(5):
            await client.beta.libraries.create(name=f"lib-{n}")
        fake.clear_requests()
        page = await client.beta.libraries.list(page=1, page_size=2)
        assert page.pagination is not None
        assert (page.pagination.total_items, page.pagination.total_pages) == (5, 3)
        assert page.pagination.has_more and page.next_page_token is None
        names = [lib.name async for lib in client.beta.libraries.list(page=0, page_size=2)]
    assert names == ["lib-4", "lib-3", "lib-2", "lib-1", "lib-0"]
    assert [r.query["page"] for r in fake.requests[1:]] == ["0", "1", "2"]


@pytest.mark.anyio
async def test_list_search_and_ownership_filter(fake: FakeMistral) -> None:
    state = state_of(fake)
    state.add_library("Team wiki", created_by=str(uuid.uuid4()))
    async with client_for(fake) as client:
        await client.beta.libraries.create(name="My wiki")
        await client.beta.libraries.create(name="Recipes")
        found = await client.beta.libraries.list(search="WIKI")
        mine = await client.beta.libraries.list(search="wiki", filter_owned_by_me=True)
        shared = await client.beta.libraries.list(filter_owned_by_me=False)
        everything = await client.beta.libraries.list(search=None)
    assert [lib.name for lib in found.data] == ["My wiki", "Team wiki"]
    assert [lib.name for lib in mine.data] == ["My wiki"]
    assert [lib.name for lib in shared.data] == ["Team wiki"]
    assert len(everything.data) == 3
    assert "search" not in fake.last_request.query  # None is not sent


@pytest.mark.anyio
async def test_delete_answering_204_gives_none(fake: FakeMistral) -> None:
    async def no_content(call: Call) -> web.StreamResponse:
        return call.empty()

    fake.app.route("DELETE", "/v1/libraries/{library_id}", no_content, replace=True)
    async with client_for(fake) as client:
        library = await client.beta.libraries.create(name="Soon gone")
        assert await client.beta.libraries.delete(library.id) is None
        raw = await client.with_raw_response.beta.libraries.delete(library.id)
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 204 and raw.request_id
    assert raw.parse() is None


@pytest.mark.anyio
async def test_raw_delete_keeps_the_parsed_library(fake: FakeMistral) -> None:
    async with client_for(fake) as client:
        library = await client.beta.libraries.create(name="Raw")
        raw = await client.with_raw_response.beta.libraries.delete(library.id)
    assert raw.status_code == 200
    parsed = raw.parse()
    assert isinstance(parsed, Library) and parsed.id == library.id


def test_libraries_blocking(fake: FakeMistral) -> None:
    with Mistral(api_key=fake.api_key, server_url=fake.url) as client:
        libraries = client.beta.libraries
        created = libraries.create(name="Sync", chunk_size=512)
        assert libraries.get(created.id).chunk_size == 512
        assert libraries.update(created.id, description="d").description == "d"
        assert libraries.replace(created.id, name="Sync 2").name == "Sync 2"
        libraries.create(name="Other")
        first = libraries.list(page_size=1).first_page()
        assert isinstance(first, ListLibrariesResponse) and len(first.data) == 1
        assert libraries.list(page_size=1).next_page_token == first.next_page_token
        assert [lib.name for lib in libraries.list(page_size=1)] == ["Other", "Sync 2"]
        deleted = libraries.delete(created.id)
        assert deleted is not None and deleted.name == "Sync 2"
        with pytest.raises(NotFoundError):
            libraries.get(created.id)


# -- accesses --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_share_and_unshare(fake: FakeMistral) -> None:
    async with client_for(fake) as client:
        library = await client.beta.libraries.create(name="Shared", owner_type="User")
        accesses = client.beta.libraries.accesses
        listed = await accesses.list(library.id)
        assert isinstance(listed, ListSharingResponse)
        assert [(s.role, s.share_with_type, s.share_with_uuid) for s in listed.data] == [
            ("Owner", "User", FAKE_USER_ID)
        ]

        shared = await accesses.update_or_create(
            library.id, level="Viewer", share_with_uuid=COLLEAGUE, share_with_type="User"
        )
        assert isinstance(shared, Sharing)
        assert (shared.role, shared.user_id, shared.org_id) == ("Viewer", COLLEAGUE, FAKE_ORG_ID)
        sent = fake.last_request
        assert (sent.method, sent.path) == ("PUT", f"/v1/libraries/{library.id}/share")
        assert sent.json == {
            "level": "Viewer",
            "share_with_uuid": COLLEAGUE,
            "share_with_type": "User",
        }
        promoted = await accesses.update_or_create(
            library.id,
            level="Editor",
            share_with_uuid=COLLEAGUE,
            share_with_type="User",
            org_id=FAKE_ORG_ID,
        )
        assert promoted.role == "Editor"
        await accesses.update_or_create(
            library.id, level="Viewer", share_with_uuid=FAKE_ORG_ID, share_with_type="Org"
        )
        assert (await client.beta.libraries.get(library.id)).org_sharing_role == "Viewer"
        roles = {(s.share_with_type, s.role) for s in (await accesses.list(library.id)).data}
        assert roles == {("User", "Owner"), ("User", "Editor"), ("Org", "Viewer")}

        removed = await accesses.delete(
            library.id, share_with_uuid=COLLEAGUE, share_with_type="User", level="Editor"
        )
        assert isinstance(removed, Sharing) and removed.role == "Editor"
        sent = fake.last_request
        assert (sent.method, sent.path) == ("DELETE", f"/v1/libraries/{library.id}/share")
        assert sent.json == {
            "share_with_uuid": COLLEAGUE,
            "share_with_type": "User",
            "level": "Editor",
        }
        after = await accesses.list(library.id)
        assert COLLEAGUE not in {s.share_with_uuid for s in after.data}
        with pytest.raises(NotFoundError, match="Sharing not found"):
            await accesses.delete(library.id, share_with_uuid=COLLEAGUE, share_with_type="User")


@pytest.mark.anyio
async def test_sharing_rules(fake: FakeMistral) -> None:
    async with client_for(fake) as client:
        library = await client.beta.libraries.create(name="Rules", owner_type="User")
        accesses = client.beta.libraries.accesses
        with pytest.raises(PermissionDeniedError, match="cannot change their own role"):
            await accesses.update_or_create(
                library.id, level="Viewer", share_with_uuid=FAKE_USER_ID, share_with_type="User"
            )
        with pytest.raises(PermissionDeniedError, match="outside of the organization"):
            await accesses.update_or_create(
                library.id, level="Viewer", share_with_uuid=STRANGER_ORG, share_with_type="Org"
            )
        with pytest.raises(PermissionDeniedError, match="cannot delete their own access"):
            await accesses.delete(library.id, share_with_uuid=FAKE_USER_ID, share_with_type="User")
        with pytest.raises(UnprocessableEntityError) as caught:
            await accesses.update_or_create(
                library.id, level="Viewer", share_with_uuid="bob", share_with_type="User"
            )
    detail = caught.value.detail
    assert detail[0]["type"] == "uuid_parsing"
    assert detail[0]["loc"] == ["body", "share_with_uuid"]


def test_accesses_blocking(fake: FakeMistral) -> None:
    with Mistral(api_key=fake.api_key, server_url=fake.url) as client:
        library = client.beta.libraries.create(name="Sync shared")
        accesses = client.beta.libraries.accesses
        shared = accesses.update_or_create(
            library.id, level="Editor", share_with_uuid=COLLEAGUE, share_with_type="Workspace"
        )
        assert shared.share_with_type == "Workspace" and shared.user_id is None
        assert len(accesses.list(library.id).data) == 2
        removed = accesses.delete(
            library.id, share_with_uuid=COLLEAGUE, share_with_type="Workspace"
        )
        assert removed is not None and removed.role == "Editor"
        assert len(accesses.list(library.id).data) == 1


# -- documents -------------------------------------------------------------------------------


async def chunks_of(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.anyio
async def test_upload_from_every_kind_of_source(fake: FakeMistral, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"from a path\n")
    async with client_for(fake) as client:
        library = await client.beta.libraries.create(name="Sources")
        upload = client.beta.libraries.documents.upload
        from_path = await upload(library.id, file=path)
        from_str_path = await upload(library.id, file=("renamed.md", str(path)))
        from_bytes = await upload(library.id, file=b"raw bytes")
        with io.BytesIO(b"--skipped--from a file object") as stream:
            stream.seek(len(b"--skipped--"))  # read from the current position
            from_file = await upload(library.id, file=stream)
        from_iterator = await upload(
            library.id, file=("stream.csv", chunks_of(b"a,b\n1,2\n"), "text/csv")
        )
    assert isinstance(from_path, Document)
    assert (from_path.name, from_path.extension, from_path.mime_type) == (
        "notes.txt",
        "txt",
        "text/plain",
    )
    assert from_path.size == len(b"from a path\n") and from_path.library_id == library.id
    assert (from_path.process_status, from_path.processing_status) == ("todo", "Pending")
    # Same content as from_path: the library's existing document comes back.
    assert from_str_path.id == from_path.id
    assert from_bytes.name == "upload" and from_bytes.size == 9
    assert from_file.size == len(b"from a file object")
    assert (from_iterator.name, from_iterator.mime_type) == ("stream.csv", "text/csv")
    stored = state_of(fake).documents
    assert stored[from_file.id].blob.read_bytes() == b"from a file object"
    assert stored[from_iterator.id].blob.read_bytes() == b"a,b\n1,2\n"
    assert len(stored) == 4
    sent = fake.requests[-1]
    assert sent.headers["content-type"].startswith("multipart/form-data")
    assert b'name="file"; filename="stream.csv"' in sent.body


@pytest.mark.anyio
async def test_big_upload_is_spooled_and_hashed(fake: FakeMistral, tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    line = b"0123456789abcdef" * 4 + b"\n"
    with path.open("wb") as out:
        for _ in range(3 * 1024 * 1024 // len(line) + 1):
            out.write(line)
    state_of(fake).processing_reads = 0
    async with client_for(fake) as client:
        library = await client.beta.libraries.create(name="Logs")
        document = await client.beta.libraries.documents.upload(library.id, file=path)
        assert document.size == path.stat().st_size
        assert document.process_status == "done"
        text = await client.beta.libraries.documents.text_content(
            library.id, document.id, page_start=0, page_end=0
        )
    record = state_of(fake).documents[document.id]
    assert record.blob.path is not None  # on disk, not in memory
    assert document.hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert text.text == line.decode() * PAGE_LINES


@pytest.mark.anyio
async def test_processing_and_text_content(fake: FakeMistral) -> None:
    async with client_for(fake) as client:
        library = await client.beta.libraries.create(name="Guides")
        documents = client.beta.libraries.documents
        document = await documents.upload(library.id, file=("guide.md", GUIDE.encode()))
        assert document.process_status == "todo" and not document.processed
        with pytest.raises(NotFoundError, match="processing is in_progress"):
            await documents.text_content(library.id, document.id)
        status = await documents.status(library.id, document.id)
        assert isinstance(status, ProcessingStatus)
        assert (status.document_id, status.process_status) == (document.id, "done")
        assert status.processing_status == "Completed" and status.processed
        whole = await documents.text_content(library.id, document.id)
        assert isinstance(whole, DocumentTextContent) and whole.text == GUIDE
        second = await documents.text_content(library.id, document.id, page_start=1, page_end=1)
        tail = await documents.text_content(library.id, document.id, page_start=2)
        assert fake.last_request.query == {"page_start": "2"}
        got = await documents.get(library.id, document.id)
        after = await client.beta.libraries.get(library.id)
    lines = GUIDE.splitlines(keepends=True)
    assert second.text == "".join(lines[PAGE_LINES : 2 * PAGE_LINES])
    assert tail.text == "".join(lines[2 * PAGE_LINES :])
    assert got.number_of_pages == 3
    assert got.summary == "guide.md: Line 0 of the guide."
    assert got.tokens_processing_total > 0 and got.last_processed_at
    assert (after.nb_documents, after.total_size) == (1, len(GUIDE))


@pytest.mark.anyio
async def test_form_feeds_make_pages_and_binary_gets_a_placeholder(fake: FakeMistral) -> None:
    state_of(fake).processing_reads = 0
    async with client_for(fake) as client:
        library = await client.beta.libraries.create(name="Pages")
        documents = client.beta.libraries.documents
        paged = await documents.upload(library.id, file=("p.txt", b"one\ftwo\fthree"))
        middle = await documents.text_content(library.id, paged.id, page_start=1, page_end=2)
        binary = await documents.upload(library.id, file=("x.bin", b"\xff\xfe\x00\x01"))
        empty = await documents.upload(library.id, file=("empty.txt", b""))
        placeholder = await documents.text_content(library.id, binary.id)
    assert paged.number_of_pages == 3
    assert middle.text == "two\fthree"
    assert "4 bytes" in placeholder.text and "not UTF-8" in placeholder.text
    assert empty.process_status == "missing_content" and empty.number_of_pages == 0


@pytest.mark.anyio
async def test_list_documents_across_pages(fake: FakeMistral) -> None:
    state_of(fake).processing_reads = 0
    async with client_for(fake) as client:
        library = await client.beta.libraries.create(name="Many")
        documents = client.beta.libraries.documents
        for name in ("e.txt", "b.txt", "d.md", "a.txt", "c.txt"):
            await documents.upload(library.id, file=(name, name.encode()))
        fake.clear_requests()
        first = await documents.list(library.id, page_size=2, sort_by="name", sort_order="asc")
        assert isinstance(first, ListDocumentsResponse)
        assert [d.name for d in first.data] == ["a.txt", "b.txt"]
        assert (first.pagination.total_items, first.pagination.has_more) == (5, True)
        names = [
            d.name
            async for d in documents.list(library.id, page_size=2, sort_by="name", sort_order="asc")
        ]
        newest = [d.name async for d in documents.list(library.id)]
        texts = [d.name async for d in documents.list(library.id, search=".TXT", page_size=3)]
    assert names == ["a.txt", "b.txt", "c.txt", "d.md", "e.txt"]
    assert [r.query.get("page") for r in fake.requests[1:4]] == [None, "1", "2"]
    assert fake.requests[1].query == {"page_size": "2", "sort_by": "name", "sort_order": "asc"}
    assert newest == ["c.txt", "a.txt", "d.md", "b.txt", "e.txt"]  # created_at desc by default
    assert sorted(texts) == ["a.txt", "b.txt", "c.txt", "e.txt"]


@pytest.mark.anyio
async def test_update_document_attributes_and_expiry(fake: FakeMistral) -> None:
    reviewed = datetime(2026, 8, 1, 9, 30, tzinfo=UTC)
    later = datetime.now(UTC) + timedelta(days=30)
    async with client_for(fake) as client:
        library = await client.beta.libraries.create(name="Meta")
        documents = client.beta.libraries.documents
        document = await documents.upload(library.id, file=("a.txt", b"a"))
        await documents.upload(library.id, file=("b.txt", b"b"))
        updated = await documents.update(
            library.id,
            document.id,
            name="A.txt",
            attributes={"team": "hr", "year": 2026, "reviewed": reviewed, "tags": ("x", "y")},
            expires_at=later,
        )
        sent = fake.last_request
        filtered = await documents.list(library.id, filters_attributes='{"team": "hr"}')
        replaced = await documents.replace(library.id, document.id, attributes=None)
        put = fake.last_request
        cleared = await documents.update(library.id, document.id, expires_at=None)
    assert (sent.method, sent.path) == (
        "PATCH",
        f"/v1/libraries/{library.id}/documents/{document.id}",
    )
    assert sent.json == {
        "name": "A.txt",
        "attributes": {
            "team": "hr",
            "year": 2026,
            "reviewed": "2026-08-01T09:30:00+00:00",
            "tags": ["x", "y"],
        },
        "expires_at": later.isoformat(),
    }
    assert updated.name == "A.txt" and updated.attributes is not None
    assert updated.attributes["reviewed"] == "2026-08-01T09:30:00+00:00"
    assert updated.expires_at is not None
    assert [d.name for d in filtered.data] == ["A.txt"]
    assert (put.method, put.json) == ("PUT", {"attributes": None})
    assert replaced.attributes is None
    assert cleared.expires_at is None


@pytest.mark.anyio
async def test_expired_documents_are_deleted(fake: FakeMistral) -> None:
    async with client_for(fake) as client:
        library = await client.beta.libraries.create(name="Ephemeral")
        documents = client.beta.libraries.documents
        document = await documents.upload(library.id, file=("tmp.txt", b"tmp"))
        past = datetime.now(UTC) - timedelta(seconds=1)
        await documents.update(library.id, document.id, expires_at=past.isoformat())
        with pytest.raises(NotFoundError, match=f"Document not found: {document.id}"):
            await documents.get(library.id, document.id)
        assert (await client.beta.libraries.get(library.id)).nb_documents == 0


@pytest.mark.anyio
async def test_delete_signed_urls_and_reprocess(fake: FakeMistral) -> None:
    state = state_of(fake)
    async with client_for(fake) as client:
        library = await client.beta.libraries.create(name="Urls")
        documents = client.beta.libraries.documents
        document = await documents.upload(library.id, file=("faq.md", b"# FAQ\nYes.\n"))
        url = await documents.get_signed_url(library.id, document.id)
        assert state.open_signed_url(url) == b"# FAQ\nYes.\n"
        assert url.startswith("https://") and document.id in url
        await processed(client, library.id, document.id)
        text_url = await documents.extracted_text_signed_url(library.id, document.id)
        assert state.open_signed_url(text_url) == b"# FAQ\nYes.\n"
        with pytest.raises(ValueError, match="signature"):
            state.open_signed_url(text_url.replace("signature=", "signature=0"))

        assert await documents.reprocess(library.id, document.id) is None
        assert (fake.last_request.method, fake.last_request.body) == ("POST", b"")
        assert state.documents[document.id].process_status == "todo"
        with pytest.raises(NotFoundError, match="Extracted text not found"):
            await documents.extracted_text_signed_url(library.id, document.id)
        await processed(client, library.id, document.id)

        assert await documents.delete(library.id, document.id) is None
        assert fake.last_request.method == "DELETE"
        raw = await client.with_raw_response.beta.libraries.documents.reprocess(
            library.id, (await documents.upload(library.id, file=b"again")).id
        )
        assert isinstance(raw, RawResponse) and raw.status_code == 204
        assert raw.parse() is None
        with pytest.raises(NotFoundError, match=f"Document not found: {document.id}"):
            await documents.status(library.id, document.id)
        with pytest.raises(ValueError, match="gone"):
            state.open_signed_url(url)


@pytest.mark.anyio
async def test_not_found_and_malformed_ids(fake: FakeMistral) -> None:
    missing = unknown()
    async with client_for(fake) as client:
        library = await client.beta.libraries.create(name="Here")
        other = await client.beta.libraries.create(name="There")
        documents = client.beta.libraries.documents
        document = await documents.upload(library.id, file=b"doc")
        library_calls: list[Callable[[], Awaitable[object]]] = [
            lambda: client.beta.libraries.get(missing),
            lambda: client.beta.libraries.update(missing, name="x"),
            lambda: client.beta.libraries.replace(missing, name="x"),
            lambda: client.beta.libraries.delete(missing),
            lambda: client.beta.libraries.accesses.list(missing),
            lambda: client.beta.libraries.accesses.update_or_create(
                missing, level="Viewer", share_with_uuid=COLLEAGUE, share_with_type="User"
            ),
            lambda: client.beta.libraries.accesses.delete(
                missing, share_with_uuid=COLLEAGUE, share_with_type="User"
            ),
            lambda: documents.list(missing).first_page(),
            lambda: documents.upload(missing, file=b"x"),
        ]
        for call in library_calls:
            with pytest.raises(NotFoundError, match=f"Library not found: {missing}"):
                await call()
        document_calls: list[Callable[[], Awaitable[object]]] = [
            lambda: documents.get(library.id, missing),
            lambda: documents.status(library.id, missing),
            lambda: documents.text_content(library.id, missing),
            lambda: documents.get_signed_url(library.id, missing),
            lambda: documents.extracted_text_signed_url(library.id, missing),
            lambda: documents.update(library.id, missing, name="x"),
            lambda: documents.replace(library.id, missing, name="x"),
            lambda: documents.delete(library.id, missing),
            lambda: documents.reprocess(library.id, missing),
        ]
        for call in document_calls:
            with pytest.raises(NotFoundError, match=f"Document not found: {missing}"):
                await call()
        # A document is found only in its own library.
        with pytest.raises(NotFoundError, match=f"Document not found: {document.id}"):
            await documents.get(other.id, document.id)
        # Upper-case ids are the same UUIDs.
        assert (await client.beta.libraries.get(library.id.upper())).id == library.id
        with pytest.raises(UnprocessableEntityError) as caught:
            await client.beta.libraries.get("not-a-uuid")
    detail = caught.value.detail[0]
    assert (detail["type"], detail["loc"]) == ("uuid_parsing", ["path", "library_id"])


@pytest.mark.anyio
async def test_server_side_validation(fake: FakeMistral) -> None:
    async with client_for(fake) as client:
        library = await client.beta.libraries.create(name="Checks")
        with pytest.raises(UnprocessableEntityError) as sort:
            await client.beta.libraries.documents.list(library.id, sort_by="colour")
        with pytest.raises(UnprocessableEntityError) as token:
            await client.beta.libraries.list(page_token="garbage!")
        with pytest.raises(UnprocessableEntityError) as extra:
            await client.beta.libraries.create(name="x", extra_body={"emoji": "📚"})
    assert sort.value.detail[0]["loc"] == ["query", "sort_by"]
    assert token.value.detail[0]["loc"] == ["query", "page_token"]
    assert extra.value.detail[0]["type"] == "extra_forbidden"


@pytest.mark.anyio
async def test_viewers_cannot_change_a_library(fake: FakeMistral) -> None:
    shared = state_of(fake).add_library("Not mine", created_by=str(uuid.uuid4()))
    async with client_for(fake) as client:
        with pytest.raises(PermissionDeniedError, match="Editor role"):
            await client.beta.libraries.documents.upload(shared.id, file=b"x")
        with pytest.raises(PermissionDeniedError, match="Editor role"):
            await client.beta.libraries.update(shared.id, name="Mine now")
        with pytest.raises(PermissionDeniedError, match="Only the owner"):
            await client.beta.libraries.delete(shared.id)
        with pytest.raises(PermissionDeniedError, match="Only the owner"):
            await client.beta.libraries.accesses.update_or_create(
                shared.id, level="Viewer", share_with_uuid=COLLEAGUE, share_with_type="User"
            )
        listed = await client.beta.libraries.accesses.list(shared.id)
        assert ("User", FAKE_USER_ID, "Viewer") in {
            (s.share_with_type, s.share_with_uuid, s.role) for s in listed.data
        }
        shared.accesses[("User", FAKE_USER_ID)] = "Editor"
        uploaded = await client.beta.libraries.documents.upload(shared.id, file=b"x")
        renamed = await client.beta.libraries.update(shared.id, name="Ours")
    assert uploaded.library_id == shared.id
    assert renamed.name == "Ours"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda c: c.beta.libraries.create(name=None), "name"),
        (lambda c: c.beta.libraries.create(name="x", chunk_size=100), "chunk_size"),
        (lambda c: c.beta.libraries.create(name="x", chunk_size=4096.0), "chunk_size"),
        (lambda c: c.beta.libraries.create(name="x", owner_type="Team"), "owner_type"),
        (lambda c: c.beta.libraries.get(""), "library_id"),
        (lambda c: c.beta.libraries.update(unknown(), name=None), "name"),
        (lambda c: c.beta.libraries.replace(unknown(), description=3), "description"),
        (lambda c: c.beta.libraries.list(page_size=0).first_page(), "page_size"),
        (lambda c: c.beta.libraries.list(page_size=101).first_page(), "page_size"),
        (lambda c: c.beta.libraries.list(page="1").first_page(), "page"),
        (
            lambda c: c.beta.libraries.list(filter_owned_by_me="yes").first_page(),
            "filter_owned_by_me",
        ),
        (lambda c: c.beta.libraries.documents.list(unknown(), page=-1).first_page(), "page"),
        (
            lambda c: c.beta.libraries.documents.list(unknown(), sort_order=1).first_page(),
            "sort_order",
        ),
        (lambda c: c.beta.libraries.documents.upload(unknown(), file=123), "file"),
        (lambda c: c.beta.libraries.documents.get(unknown(), None), "document_id"),
        (
            lambda c: c.beta.libraries.documents.update(unknown(), unknown(), attributes=[1]),
            "attributes",
        ),
        (
            lambda c: c.beta.libraries.documents.update(unknown(), unknown(), attributes={1: 2}),
            "attributes",
        ),
        (
            lambda c: c.beta.libraries.documents.update(
                unknown(), unknown(), attributes={"mixed": [1, "x"]}
            ),
            "attributes['mixed']",
        ),
        (
            lambda c: c.beta.libraries.documents.update(
                unknown(), unknown(), attributes={"bad": float("nan")}
            ),
            "attributes['bad']",
        ),
        (
            lambda c: c.beta.libraries.documents.replace(
                unknown(), unknown(), expires_at=datetime(2030, 1, 1)
            ),
            "expires_at",
        ),
        (
            lambda c: c.beta.libraries.documents.text_content(unknown(), unknown(), page_end="2"),
            "page_end",
        ),
        (
            lambda c: c.beta.libraries.accesses.update_or_create(
                unknown(), level="Owner", share_with_uuid=COLLEAGUE, share_with_type="User"
            ),
            "level",
        ),
        (
            lambda c: c.beta.libraries.accesses.update_or_create(
                unknown(), level="Viewer", share_with_uuid=COLLEAGUE, share_with_type="Group"
            ),
            "share_with_type",
        ),
        (
            lambda c: c.beta.libraries.accesses.delete(
                unknown(), share_with_uuid="", share_with_type="User"
            ),
            "share_with_uuid",
        ),
    ],
)
async def test_bad_parameters_fail_before_sending(fake: FakeMistral, call: Any, param: str) -> None:
    async with client_for(fake) as client:
        with pytest.raises(InvalidParameterError) as caught:
            await call(client)
    assert caught.value.param == param
    assert fake.requests == []


def test_documents_blocking(fake: FakeMistral, tmp_path: Path) -> None:
    path = tmp_path / "sync.txt"
    path.write_text(GUIDE)
    with Mistral(api_key=fake.api_key, server_url=fake.url) as client:
        library = client.beta.libraries.create(name="Blocking docs")
        documents = client.beta.libraries.documents
        document = documents.upload(library.id, file=path)
        other = documents.upload(library.id, file=("b.md", b"# B"))
        assert documents.get(library.id, document.id).process_status == "in_progress"
        assert documents.status(library.id, document.id).process_status == "done"
        assert documents.text_content(library.id, document.id).text == GUIDE
        assert documents.text_content(library.id, document.id, page_end=0).text == "".join(
            GUIDE.splitlines(keepends=True)[:PAGE_LINES]
        )
        assert document.id in documents.get_signed_url(library.id, document.id)
        assert document.id in documents.extracted_text_signed_url(library.id, document.id)
        assert documents.update(library.id, document.id, name="renamed.txt").name == "renamed.txt"
        assert documents.replace(library.id, document.id, attributes={"k": True}).attributes == {
            "k": True
        }
        assert documents.reprocess(library.id, document.id) is None
        page = documents.list(library.id, page_size=1).first_page()
        assert isinstance(page, ListDocumentsResponse) and page.pagination.total_pages == 2
        assert [d.id for d in documents.list(library.id, page_size=1)] == [other.id, document.id]
        assert documents.delete(library.id, other.id) is None
        with pytest.raises(NotFoundError):
            documents.get(library.id, other.id)
        assert client.beta.libraries.get(library.id).nb_documents == 1


# -- the example ------------------------------------------------------------------------------


def test_example_runs_against_the_fake(fake: FakeMistral) -> None:
    env = dict(os.environ)
    env.update(
        MISTRAL_API_KEY=fake.api_key,
        MISTRAL_SERVER_URL=fake.url,
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p),
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", str(REPO / "examples" / "libraries.py")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert "Created library 'Product docs'" in out
    assert "Uploaded faq.md: todo" in out
    assert "faq.md is processed: done" in out
    assert "Page 1 of faq.md: '## Support hours\\nSupport answers from 9:00" in out
    assert "Documents: faq.md, release-notes.txt" in out
    assert "Shared with 0f8fad5b-d9cb-469f-a165-70867728950e as Viewer" in out
    assert "Accesses: Owner, Viewer" in out
    assert "Accesses after unsharing: Owner" in out
    assert "Deleted the library" in out
    assert state_of(fake).libraries == {}
    library_id = re.search(r"Created library 'Product docs' \(([0-9a-f-]{36})\)", out)
    assert library_id is not None
    last = fake.requests[-1]
    assert (last.method, last.path) == ("DELETE", f"/v1/libraries/{library_id.group(1)}")
    assert json.loads(fake.requests[0].body) == {
        "name": "Product docs",
        "description": "FAQ and release notes",
    }

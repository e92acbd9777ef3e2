"""Uploads, downloads and pagination over real HTTP, against a server the test stands up."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

import mistral_async
from mistral_async import AsyncMistral, Mistral

pytestmark = pytest.mark.anyio


class FilesServer:
    """A minimal files API: multipart upload (hashed while streaming), download, pages."""

    def __init__(self) -> None:
        self.uploads: list[dict[str, Any]] = []
        self.fail_uploads = 0
        self.list_calls: list[dict[str, str]] = []
        self.files = [
            {"id": f"f{i}", "object": "file", "bytes": i, "filename": f"{i}.jsonl"}
            for i in range(7)
        ]
        app = web.Application()
        app.router.add_post("/v1/files", self.upload)
        app.router.add_get("/v1/files", self.list)
        app.router.add_get("/v1/files/{file_id}/content", self.download)
        self.runner = web.AppRunner(app)
        self.url = ""

    async def upload(self, request: web.Request) -> web.Response:
        reader = await request.multipart()
        fields: dict[str, Any] = {}
        async for part in reader:
            if part.filename:  # type: ignore[union-attr]
                digest, size = hashlib.sha256(), 0
                while chunk := await part.read_chunk(1 << 16):  # type: ignore[union-attr]
                    digest.update(chunk)
                    size += len(chunk)
                fields[part.name] = {  # type: ignore[index]
                    "filename": part.filename,  # type: ignore[union-attr]
                    "content_type": part.headers.get("Content-Type"),
                    "sha256": digest.hexdigest(),
                    "size": size,
                }
            else:
                fields[part.name] = await part.text()  # type: ignore[index, union-attr]
        self.uploads.append(fields)
        if self.fail_uploads:
            self.fail_uploads -= 1
            return web.json_response({"message": "busy"}, status=503, headers={"Retry-After": "0"})
        file = fields["file"]
        return web.json_response(
            {
                "id": "new",
                "object": "file",
                "bytes": file["size"],
                "filename": file["filename"],
                "purpose": fields.get("purpose"),
            }
        )

    async def list(self, request: web.Request) -> web.Response:
        self.list_calls.append(dict(request.query))
        page = int(request.query.get("page", 0))
        size = int(request.query.get("page_size", 100))
        data = self.files[page * size : (page + 1) * size]
        return web.json_response({"data": data, "object": "list", "total": len(self.files)})

    async def download(self, request: web.Request) -> web.StreamResponse:
        size = int(request.query.get("size", 3 * 1024 * 1024))
        resp = web.StreamResponse(
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Disposition": 'attachment; filename="data.bin"',
            }
        )
        resp.content_length = size
        await resp.prepare(request)
        block = bytes(range(256)) * 256
        sent = 0
        while sent < size:
            piece = block[: min(len(block), size - sent)]
            await resp.write(piece)
            sent += len(piece)
        return resp


@pytest.fixture
async def files_server() -> AsyncIterator[FilesServer]:
    server = FilesServer()
    await server.runner.setup()
    site = web.TCPSite(server.runner, "127.0.0.1", 0)
    await site.start()
    server.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    yield server
    await server.runner.cleanup()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def test_upload_from_every_kind_of_source(files_server: FilesServer, tmp_path: Path) -> None:
    data = os.urandom(300_000)
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(data), 50_000):
            yield data[i : i + 50_000]

    async with AsyncMistral(api_key="k", server_url=files_server.url) as client:
        from_path = await client.files.upload(file=path, purpose="fine-tune")
        await client.files.upload(file=data)
        with path.open("rb") as handle:
            await client.files.upload(file=handle, purpose="batch")
            assert not handle.closed  # the caller's file stays theirs
        await client.files.upload(file=("named.bin", chunks(), "application/x-test"))
        await client.files.upload(file=("custom.jsonl", io.BytesIO(data)))
    assert from_path.bytes == len(data) and from_path.filename == "train.jsonl"
    sent = [u["file"] for u in files_server.uploads]
    assert all(f["sha256"] == sha(data) for f in sent)
    assert [f["filename"] for f in sent] == [
        "train.jsonl",
        "upload",
        "train.jsonl",
        "named.bin",
        "custom.jsonl",
    ]
    assert sent[0]["content_type"] == "application/jsonl"
    assert sent[3]["content_type"] == "application/x-test"
    assert files_server.uploads[0]["purpose"] == "fine-tune"


async def test_retried_upload_sends_the_whole_file_again(
    files_server: FilesServer, tmp_path: Path, fast_retries: None
) -> None:
    data = os.urandom(100_000)
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    files_server.fail_uploads = 2
    async with AsyncMistral(api_key="k", server_url=files_server.url) as client:
        with path.open("rb") as handle:
            handle.read(10)  # uploads start where the file object stands
            await client.files.upload(file=handle)
    assert len(files_server.uploads) == 3
    assert {u["file"]["sha256"] for u in files_server.uploads} == {sha(data[10:])}


async def test_an_async_iterator_upload_is_not_retried(
    files_server: FilesServer, fast_retries: None
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"abc"

    files_server.fail_uploads = 1
    async with AsyncMistral(api_key="k", server_url=files_server.url) as client:
        with pytest.raises(mistral_async.InternalServerError):
            await client.files.upload(file=chunks())
    assert len(files_server.uploads) == 1


async def test_bad_upload_input_fails_before_sending(files_server: FilesServer) -> None:
    async with AsyncMistral(api_key="k", server_url=files_server.url) as client:
        with pytest.raises(mistral_async.InvalidParameterError, match="file"):
            await client.files.upload(file=12)  # type: ignore[arg-type]
        with pytest.raises(mistral_async.InvalidParameterError, match="no such file"):
            await client.files.upload(file="/does/not/exist.jsonl")
        with pytest.raises(mistral_async.InvalidParameterError, match="binary mode"):
            await client.files.upload(file=io.StringIO("text"))  # type: ignore[arg-type]
    assert files_server.uploads == []


async def test_download_streams_to_a_file(files_server: FilesServer, tmp_path: Path) -> None:
    async with AsyncMistral(api_key="k", server_url=files_server.url) as client:
        async with await client.files.download("f1", extra_query={"size": 5_000_000}) as body:
            assert body.status_code == 200
            assert body.filename == "data.bin"
            assert body.content_length == 5_000_000
            written = await body.write_to(tmp_path / "out.bin")
        body = await client.files.download("f1", extra_query={"size": 1000})
        chunks = [c async for c in body.iter_bytes(100)]
        # Leaving early closes the connection; the pool stays usable.
        early = await client.files.download("f1")
        async for _ in early.iter_bytes():
            break
        await early.aclose()
        assert (await client.files.list()).total == 7
    assert written == 5_000_000 == (tmp_path / "out.bin").stat().st_size
    assert all(len(c) <= 100 for c in chunks) and sum(map(len, chunks)) == 1000


async def test_pagination(files_server: FilesServer) -> None:
    async with AsyncMistral(api_key="k", server_url=files_server.url) as client:
        page = await client.files.list(page_size=3)
        assert [f.id for f in page.data] == ["f0", "f1", "f2"] and page.total == 7
        ids = [f.id async for f in client.files.list(page_size=3, purpose="batch")]
        pages = [p async for p in client.files.list(page_size=5).pages()]
    assert ids == [f"f{i}" for i in range(7)]
    assert [len(p.data) for p in pages] == [5, 2]
    assert files_server.list_calls[1:4] == [
        {"page_size": "3", "purpose": "batch"},
        {"page_size": "3", "purpose": "batch", "page": "1"},
        {"page_size": "3", "purpose": "batch", "page": "2"},
    ]


def test_blocking_transfers(files_server_url: str, tmp_path: Path) -> None:
    data = os.urandom(10_000)
    with Mistral(api_key="k", server_url=files_server_url) as client:
        assert client.files.upload(file=("a.jsonl", data)).bytes == len(data)
        assert [f.id for f in client.files.list(page_size=4)] == [f"f{i}" for i in range(7)]
        assert client.files.list(page_size=2).total == 7  # the first page's fields
        with client.files.download("x", extra_query={"size": 2048}) as body:
            assert sum(len(c) for c in body.iter_bytes(512)) == 2048
        assert client.files.download("x", extra_query={"size": 10}).read() == bytes(range(10))


@pytest.fixture
def files_server_url() -> Iterator[str]:
    """The same server in a thread of its own, for the blocking client."""
    import asyncio
    import threading

    ready: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        async def main() -> None:
            server = FilesServer()
            await server.runner.setup()
            site = web.TCPSite(server.runner, "127.0.0.1", 0)
            await site.start()
            ready.append(f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}")  # type: ignore[union-attr]
            while not stop.is_set():
                await asyncio.sleep(0.02)
            await server.runner.cleanup()

        asyncio.run(main())

    thread = threading.Thread(target=serve)
    thread.start()
    while not ready:
        stop.wait(0.01)
    yield ready[0]
    stop.set()
    thread.join()

"""``client.files`` against the fake server's files endpoints, async and blocking."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from mistral_async import AsyncMistral, InvalidParameterError, Mistral, NotFoundError
from mistral_async.testing import FakeMistral, FilesState
from mistral_async.types.files import FileObject, ListFilesResponse

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parent.parent
TRAINING = b'{"messages": [{"role": "user", "content": "Hi"}]}\n' * 3


def client_for(fake: FakeMistral) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url)


async def raw(fake: FakeMistral, method: str, path: str, **kwargs: object) -> tuple[int, object]:
    """A request to the fake without the SDK (to see what the fake itself answers)."""
    headers = {"Authorization": f"Bearer {fake.api_key}"}
    async with aiohttp.ClientSession() as session:
        async with session.request(method, fake.url + path, headers=headers, **kwargs) as resp:  # type: ignore[arg-type]
            return resp.status, await resp.json()


async def test_upload_from_a_path_describes_the_file(
    fake_mistral: FakeMistral, tmp_path: Path
) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(TRAINING)
    before = int(time.time())
    async with client_for(fake_mistral) as client:
        uploaded = await client.files.upload(file=path, purpose="fine-tune")
    assert isinstance(uploaded, FileObject)
    assert uploaded.filename == "train.jsonl"
    assert uploaded.bytes == len(TRAINING)
    assert uploaded.num_lines == 3
    assert uploaded.purpose == "fine-tune"
    assert uploaded.sample_type == "instruct"
    assert uploaded.source == "upload"
    assert uploaded.mimetype == "application/jsonl"
    assert uploaded.visibility == "workspace"
    assert uploaded.expires_at is None
    assert uploaded.created_at is not None and uploaded.created_at >= before
    assert uploaded.signature and len(uploaded.signature) == 16
    stored = fake_mistral.state(FilesState).get(uploaded.id)
    assert stored is not None and stored.read_bytes() == TRAINING
    sent = fake_mistral.last_request
    assert sent.headers["content-type"].startswith("multipart/form-data")


async def test_upload_from_bytes_file_object_and_async_iterator(fake_mistral: FakeMistral) -> None:
    big = b"x" * (3 << 20)  # spooled to disk by the fake

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 1 << 20):
            yield big[start : start + (1 << 20)]

    async with client_for(fake_mistral) as client:
        from_bytes = await client.files.upload(
            file=("batch.jsonl", b'{"body": {}}\n{"body": {}}'), purpose="batch"
        )
        from_file = await client.files.upload(file=io.BytesIO(b"plain"), purpose="ocr")
        streamed = await client.files.upload(
            file=("big.bin", chunks(), "application/x-test"), expiry=2, visibility="user"
        )
    assert from_bytes.sample_type == "batch_request"
    assert from_bytes.num_lines == 2  # the last line has no newline
    assert from_file.filename == "upload" and from_file.num_lines is None
    assert streamed.bytes == len(big)
    assert streamed.mimetype == "application/x-test"
    assert streamed.purpose == "fine-tune"  # the API's default
    assert streamed.visibility == "user"
    assert streamed.created_at is not None
    assert streamed.expires_at == streamed.created_at + 2 * 3600
    stored = fake_mistral.state(FilesState).get(streamed.id)
    assert stored is not None and stored.blob.path is not None  # on disk, not in memory
    assert stored.read_bytes() == big


async def test_bad_upload_parameters_fail_before_sending(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(InvalidParameterError, match="purpose"):
            await client.files.upload(file=b"x", purpose="training")  # type: ignore[arg-type]
        with pytest.raises(InvalidParameterError, match="visibility"):
            await client.files.upload(file=b"x", visibility="public")  # type: ignore[arg-type]
        with pytest.raises(InvalidParameterError, match="expiry"):
            await client.files.upload(file=b"x", expiry="soon")  # type: ignore[arg-type]
    assert fake_mistral.requests == []


async def test_the_fake_validates_uploads(fake_mistral: FakeMistral) -> None:
    form = aiohttp.FormData()
    form.add_field("purpose", "training")
    status, body = await raw(fake_mistral, "POST", "/v1/files", data=form)
    assert status == 422
    assert isinstance(body, dict)
    problems = {(d["type"], tuple(d["loc"])) for d in body["detail"]}
    assert ("missing", ("body", "file")) in problems
    assert ("enum", ("body", "purpose")) in problems


async def test_list_pages_filters_and_iterates(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        ids = [
            (await client.files.upload(file=(f"train-{i}.jsonl", TRAINING), purpose="fine-tune")).id
            for i in range(5)
        ]
        batch = await client.files.upload(file=("input.jsonl", TRAINING), purpose="batch")
        first = await client.files.list(page_size=2)
        assert isinstance(first, ListFilesResponse)
        assert first.total == 6
        assert [f.id for f in first.data] == [batch.id, ids[4]]  # newest first
        every = [f.id async for f in client.files.list(page_size=2)]
        assert every == [batch.id, *reversed(ids)]
        pages = [len(page.data) async for page in client.files.list(page_size=4).pages()]
        assert pages == [4, 2]
        tuned = await client.files.list(purpose="fine-tune", search="TRAIN-3")
        assert [f.id for f in tuned.data] == [ids[3]]
        by_type = await client.files.list(sample_type=["batch_request"], source=["upload"])
        assert [f.id for f in by_type.data] == [batch.id]
        assert (await client.files.list(source=["mistral"])).data == []
        assert len((await client.files.list(mimetypes=["application/jsonl"])).data) == 6
        assert (await client.files.list(include_total=False, page_size=1)).total is None
    sent = fake_mistral.requests[-1]
    assert sent.query == {"include_total": "false", "page_size": "1"}


async def test_list_rejects_bad_filters_before_sending(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(InvalidParameterError, match=r"sample_type\[0\]"):
            client.files.list(sample_type=["chat"])  # type: ignore[list-item]
        with pytest.raises(InvalidParameterError, match="source"):
            client.files.list(source="upload")  # type: ignore[arg-type]
        with pytest.raises(InvalidParameterError, match="page_size"):
            client.files.list(page_size=0)
        with pytest.raises(InvalidParameterError, match="purpose"):
            client.files.list(purpose="audio")  # type: ignore[arg-type]
    assert fake_mistral.requests == []
    status, body = await raw(fake_mistral, "GET", "/v1/files?page=x&source=nowhere")
    assert status == 422
    assert isinstance(body, dict)
    assert {d["type"] for d in body["detail"]} == {"int_parsing", "enum"}


async def test_retrieve_delete_and_unknown_ids(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        uploaded = await client.files.upload(file=("a.jsonl", TRAINING))
        found = await client.files.retrieve(uploaded.id)
        assert found.id == uploaded.id and found.deleted is False
        assert found.num_lines == 3
        deleted = await client.files.delete(uploaded.id)
        assert deleted.id == uploaded.id and deleted.deleted is True
        assert uploaded.id not in fake_mistral.state(FilesState)
        for call in (client.files.retrieve, client.files.delete, client.files.get_signed_url):
            with pytest.raises(NotFoundError) as caught:
                await call(uploaded.id)
            assert f"File not found: {uploaded.id}" in str(caught.value)
        with pytest.raises(NotFoundError):
            await client.files.download(uploaded.id)


async def test_download_to_a_path_and_by_chunks(fake_mistral: FakeMistral, tmp_path: Path) -> None:
    content = os.urandom(1 << 20) * 3
    source = tmp_path / "data.bin"
    source.write_bytes(content)
    async with client_for(fake_mistral) as client:
        uploaded = await client.files.upload(file=source)
        async with await client.files.download(uploaded.id) as body:
            # The answer the spec declares is octet-stream: ask for that, not JSON.
            assert fake_mistral.last_request.headers["accept"] == "application/octet-stream"
            assert body.filename == "data.bin"
            assert body.content_length == len(content)
            written = await body.write_to(tmp_path / "copy.bin")
        assert written == len(content)
        assert (tmp_path / "copy.bin").read_bytes() == content
        body = await client.files.download(uploaded.id)
        chunks = [chunk async for chunk in body.iter_bytes(64 * 1024)]
    assert len(chunks) > 1 and all(len(c) <= 64 * 1024 for c in chunks)
    assert b"".join(chunks) == content


async def test_signed_url(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        uploaded = await client.files.upload(file=("a.jsonl", TRAINING))
        signed = await client.files.get_signed_url(uploaded.id, expiry=48)
        assert fake_mistral.last_request.query == {"expiry": "48"}
        default = await client.files.get_signed_url(uploaded.id)
        with pytest.raises(InvalidParameterError, match="expiry"):
            await client.files.get_signed_url(uploaded.id, expiry=169)
    assert signed.url.startswith(f"{fake_mistral.url}/v1/files/{uploaded.id}/content?")
    assert "sig=" in signed.url and "se=" in signed.url
    assert signed.url != default.url  # another expiry, another signature
    status, body = await raw(fake_mistral, "GET", f"/v1/files/{uploaded.id}/url?expiry=0")
    assert status == 422
    assert isinstance(body, dict) and body["detail"][0]["loc"] == ["query", "expiry"]


def test_blocking_twins(fake_mistral: FakeMistral, tmp_path: Path) -> None:
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
        uploaded = client.files.upload(file=("b.jsonl", TRAINING), purpose="batch")
        assert uploaded.sample_type == "batch_request"
        client.files.upload(file=io.BytesIO(b"second"))
        assert [f.filename for f in client.files.list(page_size=1)] == ["upload", "b.jsonl"]
        assert client.files.list().total == 2
        assert client.files.retrieve(uploaded.id).num_lines == 3
        with client.files.download(uploaded.id) as body:
            assert body.write_to(tmp_path / "b.jsonl") == len(TRAINING)
        assert (tmp_path / "b.jsonl").read_bytes() == TRAINING
        assert uploaded.id in client.files.get_signed_url(uploaded.id, expiry=1).url
        assert client.files.delete(uploaded.id).deleted is True
        with pytest.raises(NotFoundError):
            client.files.retrieve(uploaded.id)


def test_the_example_runs(fake_mistral: FakeMistral) -> None:
    env = dict(
        os.environ,
        MISTRAL_API_KEY=fake_mistral.api_key,
        MISTRAL_SERVER_URL=fake_mistral.url,
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", str(REPO / "examples" / "files.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    uploaded = re.fullmatch(r"Uploaded training\.jsonl: (\d+) bytes, 3 lines", lines[0])
    assert uploaded is not None
    size = int(uploaded.group(1))
    assert "Uploaded requests.jsonl as batch_request" in lines
    assert "Found requests.jsonl (batch, application/jsonl)" in lines
    assert f"Downloaded {size} bytes, identical: True" in lines
    assert lines[-2:] == ["Deleted training.jsonl: True", "Deleted requests.jsonl: True"]
    assert len(fake_mistral.state(FilesState)) == 0

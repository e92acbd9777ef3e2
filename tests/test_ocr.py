"""``client.ocr.process`` over loopback against the fake server."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import mistral_async
from mistral_async import AsyncMistral, Mistral
from mistral_async.testing import FakeMistral
from mistral_async.testing._store import FilesState
from mistral_async.types import (
    DocumentURLChunk,
    FileChunk,
    ImageURL,
    ImageURLChunk,
    JsonSchema,
    ResponseFormat,
)
from mistral_async.types.ocr import (
    OCRHeaderBlock,
    OCRImageBlock,
    OCRImageObject,
    OCRPageObject,
    OCRResponse,
    OCRTableBlock,
    OCRTextBlock,
    OCRTitleBlock,
)

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parent.parent
MODEL = "mistral-ocr-latest"
URL = "https://example.com/report.pdf"
SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "pages": {"type": "integer"}},
    "required": ["title", "pages"],
}
BBOX_SCHEMA = {"type": "object", "properties": {"caption": {"type": "string"}}}


def pdf(pages: int) -> bytes:
    """A skeleton PDF with ``pages`` page objects (enough for the fake to count them)."""
    kids = " ".join(f"{n + 3} 0 R" for n in range(pages))
    objects = [
        "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj",
        f"2 0 obj << /Type /Pages /Kids [{kids}] /Count {pages} >> endobj",
        *(f"{n + 3} 0 obj << /Type /Page /Parent 2 0 R >> endobj" for n in range(pages)),
    ]
    return ("%PDF-1.4\n" + "\n".join(objects) + "\n%%EOF\n").encode()


def client_for(fake: FakeMistral) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url, max_retries=0)


def json_schema(name: str, schema: dict[str, Any]) -> ResponseFormat:
    return ResponseFormat(type="json_schema", json_schema=JsonSchema(name=name, schema=schema))


async def test_document_url_with_every_parameter(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        result = await client.ocr.process(
            model=MODEL,
            document=DocumentURLChunk(document_url=URL, document_name="report.pdf"),
            pages=[2, 0],
            include_image_base64=True,
            image_limit=5,
            image_min_size=50,
            bbox_annotation_format=json_schema("figure", BBOX_SCHEMA),
            document_annotation_format={
                "type": "json_schema",
                "json_schema": {"name": "report", "schema": SCHEMA, "strict": True},
            },
            document_annotation_prompt="Extract the title.",
            table_format="html",
            extract_header=True,
            extract_footer=False,
            include_blocks=True,
            confidence_scores_granularity="word",
        )
    sent = fake_mistral.last_request
    assert (sent.method, sent.path) == ("POST", "/v1/ocr")
    assert sent.json == {
        "model": MODEL,
        "document": {
            "type": "document_url",
            "document_url": URL,
            "document_name": "report.pdf",
        },
        "pages": [2, 0],
        "include_image_base64": True,
        "image_limit": 5,
        "image_min_size": 50,
        "bbox_annotation_format": {
            "type": "json_schema",
            "json_schema": {"name": "figure", "schema": BBOX_SCHEMA},
        },
        "document_annotation_format": {
            "type": "json_schema",
            "json_schema": {"name": "report", "schema": SCHEMA, "strict": True},
        },
        "document_annotation_prompt": "Extract the title.",
        "table_format": "html",
        "extract_header": True,
        "extract_footer": False,
        "include_blocks": True,
        "confidence_scores_granularity": "word",
    }

    assert isinstance(result, OCRResponse) and result.model == MODEL
    assert [p.index for p in result.pages] == [0, 2]
    assert result.usage_info.pages_processed == 2
    assert result.usage_info.doc_size_bytes is None  # a remote document: size unknown
    assert json.loads(result.document_annotation or "") == {"title": "report.pdf", "pages": 0}

    page = result.pages[0]
    assert isinstance(page, OCRPageObject)
    # The header is extracted out of the markdown; the footer stays in it.
    assert page.header == "report.pdf (header)" and page.footer is None
    assert page.markdown.startswith("# Page 1 of report.pdf\n\nFake OCR text of page 1.")
    assert page.markdown.endswith("Page 1 of 3")
    assert page.dimensions is not None and page.dimensions.width == 1700
    (image,) = page.images
    assert isinstance(image, OCRImageObject)
    assert f"![{image.id}]({image.id})" in page.markdown
    assert image.top_left_x is not None and image.bottom_right_x is not None
    assert image.bottom_right_x > image.top_left_x >= 0
    assert image.image_base64 is not None and image.image_base64.startswith("data:image/jpeg;")
    base64.b64decode(image.image_base64.partition(",")[2], validate=True)
    assert json.loads(image.image_annotation or "") == {"caption": image.id}
    (table,) = page.tables
    assert table.format == "html" and table.content.startswith("<table>")
    assert f"[{table.id}]({table.id})" in page.markdown
    assert table.word_confidence_scores
    scores = page.confidence_scores
    assert scores is not None and scores.word_confidence_scores
    for word in scores.word_confidence_scores:
        assert page.markdown[word.start_index :].startswith(word.text)
        assert scores.minimum_page_confidence_score <= word.confidence <= 1
    assert page.blocks is not None
    kinds = [type(block) for block in page.blocks]
    assert kinds[:3] == [OCRHeaderBlock, OCRTitleBlock, OCRTextBlock]
    image_block = next(b for b in page.blocks if isinstance(b, OCRImageBlock))
    assert image_block.image_id == image.id
    table_block = next(b for b in page.blocks if isinstance(b, OCRTableBlock))
    assert table_block.table_id == table.id


async def test_defaults_send_only_what_was_given(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        result = await client.ocr.process(
            model=MODEL, document={"type": "document_url", "document_url": URL}
        )
    assert fake_mistral.last_request.json == {
        "model": MODEL,
        "document": {"type": "document_url", "document_url": URL},
    }
    assert [p.index for p in result.pages] == [0, 1, 2]
    assert result.markdown.startswith(f"{URL} (header)\n\n# Page 1 of {URL}")
    assert result.document_annotation is None
    page = result.pages[0]
    assert page.images[0].image_base64 is None and page.images[0].image_annotation is None
    assert page.tables == [] and "| page | 1 |" in page.markdown  # tables stay inline
    assert page.header is None and page.confidence_scores is None
    assert page.blocks  # include_blocks defaults to true


async def test_model_may_be_null(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        result = await client.ocr.process(model=None, document={"document_url": URL})
    assert fake_mistral.last_request.json == {"model": None, "document": {"document_url": URL}}
    assert result.model == MODEL


async def test_uploaded_file_by_id(fake_mistral: FakeMistral) -> None:
    files = fake_mistral.state(FilesState)
    text = files.add(
        b"Invoice 42\nTotal: 12 EUR\fSee https://pay.example.com/42",
        filename="invoice.txt",
        purpose="ocr",
        content_type="text/plain",
    )
    paper = files.add(pdf(4), filename="paper.pdf", purpose="ocr", content_type="application/pdf")
    async with client_for(fake_mistral) as client:
        read = await client.ocr.process(model=MODEL, document=FileChunk(file_id=text.id))
        assert fake_mistral.last_request.json["document"] == {"type": "file", "file_id": text.id}
        second = await client.ocr.process(
            model=MODEL, document={"type": "file", "file_id": text.id}, pages="1"
        )
        pdf_pages = await client.ocr.process(
            model=MODEL, document=FileChunk(paper.id), pages="0,2-3", include_blocks=False
        )
    assert [p.index for p in read.pages] == [0, 1]
    assert "# Page 1 of invoice.txt\n\nInvoice 42\nTotal: 12 EUR" in read.pages[0].markdown
    assert read.pages[1].hyperlinks == ["https://pay.example.com/42"]
    assert read.pages[0].images == []
    assert read.usage_info.doc_size_bytes == text.size
    assert [p.index for p in second.pages] == [1]
    assert [p.index for p in pdf_pages.pages] == [0, 2, 3]
    assert pdf_pages.pages[0].markdown.startswith("paper.pdf (header)\n\n# Page 1 of paper.pdf")
    assert pdf_pages.pages[0].blocks is None
    assert pdf_pages.usage_info.pages_processed == 3


async def test_files_uploaded_for_ocr_are_read(fake_mistral: FakeMistral) -> None:
    """The documented flow: ``files.upload(purpose="ocr")``, then the file's id."""
    async with client_for(fake_mistral) as client:
        uploaded = await client.files.upload(file=("scan.pdf", pdf(3)), purpose="ocr")
        result = await client.ocr.process(
            model=MODEL, document={"type": "file", "file_id": uploaded.id}, pages=[2]
        )
    assert [p.index for p in result.pages] == [2]
    assert "# Page 3 of scan.pdf" in result.pages[0].markdown
    assert result.usage_info.doc_size_bytes == len(pdf(3))


async def test_a_page_without_dimensions_parses(fake_mistral: FakeMistral) -> None:
    """The API sends ``"dimensions": {}`` for some pages (see the spec's example)."""

    async def ocr(call: Any) -> Any:
        page = {"index": 0, "markdown": "...", "images": [], "dimensions": {}}
        return call.ok({"pages": [page], "model": MODEL, "usage_info": {"pages_processed": 1}})

    fake_mistral.app.route("POST", "/v1/ocr", ocr, replace=True)
    async with client_for(fake_mistral) as client:
        result = await client.ocr.process(model=MODEL, document={"document_url": URL})
    assert result.pages[0].dimensions is None


async def test_unknown_file_is_a_404(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(mistral_async.NotFoundError) as caught:
            await client.ocr.process(model=MODEL, document=FileChunk(file_id="nope"))
    assert caught.value.status_code == 404
    assert "File not found: nope" in str(caught.value)


async def test_images_and_data_urls(fake_mistral: FakeMistral) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    pdf_url = "data:application/pdf;base64," + base64.b64encode(pdf(2)).decode()
    async with client_for(fake_mistral) as client:
        remote = await client.ocr.process(
            model=MODEL, document=ImageURLChunk(image_url=ImageURL(url="https://e.com/a.png"))
        )
        assert fake_mistral.last_request.json["document"] == {
            "type": "image_url",
            "image_url": {"url": "https://e.com/a.png"},
        }
        inline = await client.ocr.process(
            model=MODEL, document={"type": "image_url", "image_url": data_url}
        )
        named = await client.ocr.process(
            model=MODEL,
            document=DocumentURLChunk(document_url=pdf_url, document_name="scan.pdf"),
        )
    assert len(remote.pages) == 1 and remote.pages[0].images == []
    assert remote.pages[0].markdown.startswith("https://e.com/a.png (header)")
    assert inline.usage_info.doc_size_bytes == len(png)
    assert [p.index for p in named.pages] == [0, 1]
    assert "# Page 2 of scan.pdf" in named.pages[1].markdown


async def test_image_limit_and_min_size(fake_mistral: FakeMistral) -> None:
    document = DocumentURLChunk(document_url=URL)
    async with client_for(fake_mistral) as client:
        limited = await client.ocr.process(model=MODEL, document=document, image_limit=1)
        too_small = await client.ocr.process(model=MODEL, document=document, image_min_size=10_000)
    assert [len(p.images) for p in limited.pages] == [1, 0, 0]
    assert "![img-1.jpeg]" not in limited.pages[1].markdown
    assert all(p.images == [] for p in too_small.pages)


async def test_page_and_block_confidence(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        by_page = await client.ocr.process(
            model=MODEL, document={"document_url": URL}, confidence_scores_granularity="page"
        )
        by_block = await client.ocr.process(
            model=MODEL, document={"document_url": URL}, confidence_scores_granularity="block"
        )
    scores = by_page.pages[0].confidence_scores
    assert scores is not None and scores.word_confidence_scores == []
    assert 0 < scores.minimum_page_confidence_score <= scores.average_page_confidence_score <= 1
    assert by_page.pages[0].blocks is not None
    for block in by_page.pages[0].blocks:
        assert not isinstance(block, dict) and block.confidence_scores is None
    blocks = by_block.pages[0].blocks
    assert blocks is not None
    for block in blocks:
        assert not isinstance(block, dict) and block.confidence_scores is not None
        assert 0 < (block.confidence_scores.block_type_confidence_score or 0) <= 1


@pytest.mark.parametrize(
    ("pages", "error"),
    [
        ([3], "Page 3 is out of range"),
        ("1-999999999", "Page 999999999 is out of range"),
        ("2-1", "Invalid page range 2-1"),
    ],
)
async def test_bad_pages_are_a_400(fake_mistral: FakeMistral, pages: Any, error: str) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(mistral_async.BadRequestError) as caught:
            await client.ocr.process(model=MODEL, document={"document_url": URL}, pages=pages)
    assert error in str(caught.value)


async def test_unknown_block_kinds_and_fields_are_kept(fake_mistral: FakeMistral) -> None:
    async def ocr(call: Any) -> Any:
        block = {"top_left_x": 0, "top_left_y": 0, "bottom_right_x": 1, "bottom_right_y": 1}
        page = {
            "index": 0,
            "markdown": "x",
            "images": [],
            "dimensions": None,
            "blocks": [
                {"type": "chart", "content": "a chart", **block},
                {"type": "code", "content": "print()", **block},
            ],
            "layout": "portrait",
        }
        return call.ok({"pages": [page], "model": MODEL, "usage_info": {"pages_processed": 1}})

    fake_mistral.app.route("POST", "/v1/ocr", ocr, replace=True)
    async with client_for(fake_mistral) as client:
        result = await client.ocr.process(model=MODEL, document={"document_url": URL})
    page = result.pages[0]
    assert page.blocks is not None
    unknown, code = page.blocks
    assert isinstance(unknown, dict) and unknown["type"] == "chart"
    assert not isinstance(code, dict) and code.type == "code" and code.content == "print()"
    assert page.layout == "portrait" and page.tables == [] and page.dimensions is None


BAD_CALLS = [
    ({"document": "https://e.com/a.pdf"}, "document"),
    ({"document": {"type": "text", "text": "hi"}}, "document.type"),
    ({"document": {"type": "file"}}, "document.file_id"),
    ({"document": {"name": "x"}}, "document"),
    ({"document": {"type": "document_url", "document_url": 3}}, "document.document_url"),
    ({"model": 5}, "model"),
    ({"pages": "first"}, "pages"),
    ({"pages": [0, "1"]}, "pages[1]"),
    ({"pages": 3}, "pages"),
    ({"include_image_base64": "yes"}, "include_image_base64"),
    ({"image_limit": 2.5}, "image_limit"),
    ({"image_min_size": True}, "image_min_size"),
    ({"table_format": "csv"}, "table_format"),
    ({"extract_header": None}, "extract_header"),
    ({"extract_footer": 1}, "extract_footer"),
    ({"include_blocks": "no"}, "include_blocks"),
    ({"confidence_scores_granularity": "token"}, "confidence_scores_granularity"),
    ({"bbox_annotation_format": {"type": "json_object"}}, "bbox_annotation_format.type"),
    (
        {"document_annotation_format": {"type": "json_schema"}},
        "document_annotation_format.json_schema",
    ),
    ({"document_annotation_format": "json"}, "document_annotation_format"),
    ({"document_annotation_prompt": "Summarise"}, "document_annotation_prompt"),
    ({"document_annotation_prompt": 3}, "document_annotation_prompt"),
]


@pytest.mark.parametrize(("kwargs", "param"), BAD_CALLS)
async def test_bad_input_is_refused_before_sending(
    fake_mistral: FakeMistral, kwargs: dict[str, Any], param: str
) -> None:
    call: dict[str, Any] = {"model": MODEL, "document": {"document_url": URL}, **kwargs}
    async with client_for(fake_mistral) as client:
        with pytest.raises(mistral_async.InvalidParameterError) as caught:
            await client.ocr.process(**call)
    assert caught.value.param == param
    assert fake_mistral.requests == []


@pytest.mark.parametrize(
    ("extra", "loc"),
    [
        ({"pages": "1-"}, ["body", "pages"]),
        ({"document_annotation_prompt": "x"}, ["body", "document_annotation_prompt"]),
        ({"bbox_annotation_format": {"type": "text"}}, ["body", "bbox_annotation_format"]),
        ({"table_format": "csv"}, ["body", "table_format"]),
        ({"id": "unknown"}, ["body", "id"]),
    ],
)
async def test_fake_answers_422_to_bad_bodies(
    fake_mistral: FakeMistral, extra: dict[str, Any], loc: list[str]
) -> None:
    body = {"model": MODEL, "document": {"document_url": URL}, **extra}
    headers = {"Authorization": f"Bearer {fake_mistral.api_key}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake_mistral.url}/v1/ocr", json=body, headers=headers) as response,
    ):
        assert response.status == 422
        detail = (await response.json())["detail"]
    assert [d["loc"] for d in detail] == [loc]


def test_blocking_process(fake_mistral: FakeMistral) -> None:
    stored = fake_mistral.state(FilesState).add(pdf(2), filename="a.pdf", purpose="ocr")
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
        result = client.ocr.process(
            model=MODEL, document=FileChunk(file_id=stored.id), pages=[1], extract_footer=True
        )
        with pytest.raises(mistral_async.NotFoundError):
            client.ocr.process(model=MODEL, document=FileChunk(file_id="missing"))
        with pytest.raises(mistral_async.InvalidParameterError):
            client.ocr.process(model=MODEL, document={"type": "video"})
    assert [p.index for p in result.pages] == [1]
    assert result.pages[0].footer == "Page 2 of 2"
    assert "Page 2 of 2" not in result.pages[0].markdown
    assert len(fake_mistral.requests) == 2


def run_example(fake: FakeMistral, *args: str) -> str:
    env = {
        **os.environ,
        "MISTRAL_API_KEY": fake.api_key,
        "MISTRAL_SERVER_URL": fake.url,
        "PYTHONPATH": str(REPO),
    }
    result = subprocess.run(
        [sys.executable, "-W", "error", str(REPO / "examples" / "ocr.py"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    return result.stdout


def test_ocr_example_reads_a_url(fake_mistral: FakeMistral) -> None:
    out = run_example(fake_mistral)
    assert "--- page 0 ---" in out and "--- page 1 ---" in out and "--- page 2" not in out
    assert "# Page 1 of https://arxiv.org/pdf/2201.04234" in out
    assert "[image img-0.jpeg at (200, 650, 800, 1150)," in out
    assert "Title: https://arxiv.org/pdf/2201.04234" in out
    assert "Pages processed: 2" in out
    assert fake_mistral.last_request.json["pages"] == [0, 1]


def test_ocr_example_uploads_a_file(fake_mistral: FakeMistral, tmp_path: Path) -> None:
    path = tmp_path / "two-pages.pdf"
    path.write_bytes(pdf(2))
    out = run_example(fake_mistral, str(path))
    assert "# Page 2 of two-pages.pdf" in out
    assert "Title: two-pages.pdf" in out and "Pages processed: 2" in out
    (stored,) = fake_mistral.state(FilesState).list()
    assert stored.purpose == "ocr" and stored.read_bytes() == pdf(2)
    assert fake_mistral.last_request.json["document"] == {"type": "file", "file_id": stored.id}

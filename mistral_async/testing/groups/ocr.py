"""``POST /v1/ocr``: deterministic pages for uploaded files, data URLs and remote URLs.

How the fake reads a document:

- An uploaded file (``{"type": "file", "file_id": ...}``, looked up in
  :class:`~.._store.FilesState`, 404 if unknown) or a ``data:`` URL is read for real: a PDF
  has one page per ``/Type /Page`` object, an image one page, anything else is text whose
  pages are separated by form feeds (``\\f``) and whose markdown carries that text.
- A remote ``document_url`` has :data:`REMOTE_DOCUMENT_PAGES` pages, a remote image one.

Each page's markdown is the header line, ``# Page <n> of <name>``, the page's text, an image
(PDFs and remote documents: ``![img-<i>.jpeg](img-<i>.jpeg)``), a table (inline, or a
``[tbl-<i>.md](tbl-<i>.md)`` link with ``table_format``) and the footer line. The request's
``pages``, ``include_image_base64``, ``image_limit``, ``image_min_size``, ``table_format``,
``extract_header``/``extract_footer``, ``include_blocks`` and
``confidence_scores_granularity`` are honoured. ``bbox_annotation_format`` and
``document_annotation_format`` give annotations that are trivially filled instances of
their JSON schemas (strings are the image id, or the document's name).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .._app import Abort, Call, FakeApp
from .._generate import example_from_schema
from .._store import FilesState
from .._validation import (
    _CONTENT_CHUNK,
    _RESPONSE_FORMAT,
    Array,
    Bool,
    Int,
    Model,
    Null,
    Str,
    Union,
    nullable,
)

__all__ = ["OCR_REQUEST", "REMOTE_DOCUMENT_PAGES", "register"]

DEFAULT_MODEL = "mistral-ocr-latest"
REMOTE_DOCUMENT_PAGES = 3
DIMENSIONS = {"dpi": 200, "height": 2200, "width": 1700}
# Where each region sits on every page: (top_left_x, top_left_y, bottom_right_x, bottom_right_y).
HEADER_BOX = (100, 40, 1600, 100)
TITLE_BOX = (100, 150, 1600, 250)
TEXT_BOX = (100, 280, 1600, 600)
IMAGE_BOX = (200, 650, 800, 1150)
TABLE_BOX = (100, 1200, 1600, 1500)
FOOTER_BOX = (100, 2100, 1600, 2160)
IMAGE_SIZE = min(IMAGE_BOX[2] - IMAGE_BOX[0], IMAGE_BOX[3] - IMAGE_BOX[1])

_ANNOTATION_FIELDS = ("bbox_annotation_format", "document_annotation_format")
OCR_REQUEST = Model(
    "OCRRequest",
    {
        "model": nullable(Str()),
        "document": Union(
            _CONTENT_CHUNK.mapping["file"],
            _CONTENT_CHUNK.mapping["document_url"],
            _CONTENT_CHUNK.mapping["image_url"],
        ),
        "pages": Union(Str(), Array(Int()), Null()),
        "include_image_base64": nullable(Bool()),
        "image_limit": nullable(Int()),
        "image_min_size": nullable(Int()),
        "bbox_annotation_format": nullable(_RESPONSE_FORMAT),
        "document_annotation_format": nullable(_RESPONSE_FORMAT),
        "document_annotation_prompt": nullable(Str()),
        "table_format": nullable(Str(enum=["markdown", "html"])),
        "extract_header": Bool(),
        "extract_footer": Bool(),
        "include_blocks": Bool(),
        "confidence_scores_granularity": nullable(Str(enum=["word", "page", "block"])),
    },
    required=["document", "model"],
    top_level=True,
)

_PAGES = re.compile(r"\s*\d+\s*(-\s*\d+\s*)?(,\s*\d+\s*(-\s*\d+\s*)?)*")
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_WORD = re.compile(r"\S+")
_LINK = re.compile(r"https?://[^\s)>\]]+")


@dataclass
class _Document:
    """What the fake knows of a document: its name, pages and kind."""

    name: str
    kind: str  # "document" (PDF or remote), "image" or "text"
    page_texts: list[str | None]
    size: int | None = None


@dataclass
class _Options:
    """The request's options, read once."""

    include_base64: bool
    image_limit: int | None
    image_min_size: int | None
    bbox_schema: Any
    table_format: str | None
    extract_header: bool
    extract_footer: bool
    include_blocks: bool
    granularity: str | None
    images_left: int | None = field(init=False)

    def __post_init__(self) -> None:
        self.images_left = None if self.image_limit is None else max(0, self.image_limit)


def register(app: FakeApp) -> None:
    """Add the OCR route."""
    app.route("POST", "/v1/ocr", ocr)


def _value_error(call: Call, loc: Sequence[str], message: str, value: Any) -> Abort:
    detail = {
        "type": "value_error",
        "loc": ["body", *loc],
        "msg": f"Value error, {message}",
        "input": value,
        "ctx": {"error": message},
    }
    return Abort(call.validation_error([detail]))


def _schema_of(response_format: Any) -> Any:
    spec = response_format.get("json_schema") if isinstance(response_format, Mapping) else None
    return spec.get("schema") if isinstance(spec, Mapping) else None


def _check(call: Call, payload: dict[str, Any]) -> None:
    """The rules the spec states in words: annotation formats, the prompt, page strings."""
    for name in _ANNOTATION_FIELDS:
        value = payload.get(name)
        if value is None:
            continue
        if value.get("type", "text") != "json_schema" or value.get("json_schema") is None:
            raise _value_error(call, [name], "only json_schema is valid for this field", value)
    if payload.get("document_annotation_prompt") is not None and not payload.get(
        "document_annotation_format"
    ):
        raise _value_error(
            call,
            ["document_annotation_prompt"],
            "a document_annotation_format must be provided",
            payload["document_annotation_prompt"],
        )
    pages = payload.get("pages")
    if isinstance(pages, str) and not _PAGES.fullmatch(pages):
        raise _value_error(call, ["pages"], "pages must be numbers and ranges like '0,2-4'", pages)


def _page_numbers(call: Call, pages: str | list[int] | None, count: int) -> list[int]:
    """The pages asked for, sorted and once each; a 400 names the first one out of range."""
    if pages is None:
        return list(range(count))
    spans: list[range] = []
    if isinstance(pages, list):
        spans = [range(page, page + 1) for page in pages]
    else:
        for part in pages.split(","):
            first, _, last = part.partition("-")
            spans.append(range(int(first), int(last or first) + 1))
    numbers: set[int] = set()
    for span in spans:
        if not span:
            message = f"Invalid page range {span.start}-{span.stop - 1}: it ends before it starts"
            raise Abort(call.error(400, message, param="pages"))
        # Ranges are checked by their ends so that "0-999999999" costs nothing.
        for number in (span.start, span.stop - 1):
            if not 0 <= number < count:
                message = f"Page {number} is out of range: the document has {count} page(s), from 0"
                raise Abort(call.error(400, message, param="pages"))
        numbers.update(span)
    return sorted(numbers)


def _from_bytes(data: bytes, name: str, content_type: str) -> _Document:
    """Read real content: a PDF's page count, an image, or text pages split on form feeds."""
    if data.startswith(b"%PDF") or content_type == "application/pdf":
        count = max(1, len(_PDF_PAGE.findall(data)))
        return _Document(name, "document", [None] * count, len(data))
    if content_type.startswith("image/") or data.startswith((b"\x89PNG", b"\xff\xd8\xff")):
        return _Document(name, "image", [None], len(data))
    text = data.decode("utf-8", errors="replace")
    return _Document(name, "text", [page.strip() for page in text.split("\f")], len(data))


def _data_url(call: Call, url: str) -> tuple[bytes, str]:
    """Decode a ``data:<type>;base64,<data>`` URL (400 if malformed)."""
    header, comma, data = url[5:].partition(",")
    if not comma:
        raise Abort(call.error(400, "Invalid data URL: no ',' before the data", param="document"))
    content_type = header.split(";")[0] or "text/plain"
    if header.endswith(";base64"):
        try:
            return base64.b64decode(data, validate=True), content_type
        except (binascii.Error, ValueError) as exc:
            raise Abort(
                call.error(400, f"Invalid base64 data URL: {exc}", param="document")
            ) from exc
    return urllib.parse.unquote_to_bytes(data), content_type


async def _document(call: Call, document: dict[str, Any]) -> _Document:
    if "file_id" in document:
        file_id = document["file_id"]
        stored = call.state(FilesState).get(file_id)
        if stored is None:
            raise Abort(call.not_found("File", file_id))
        # A spooled (large) file is read off the event loop.
        data = (
            await asyncio.to_thread(stored.read_bytes) if stored.blob.path else stored.read_bytes()
        )
        return _from_bytes(data, stored.filename, stored.content_type)
    if "document_url" in document:
        url: str = document["document_url"]
        name = document.get("document_name")
        if url.startswith("data:"):
            data, content_type = _data_url(call, url)
            return _from_bytes(data, name or "document", content_type)
        return _Document(name or url, "document", [None] * REMOTE_DOCUMENT_PAGES)
    image = document["image_url"]
    url = image if isinstance(image, str) else image["url"]
    if url.startswith("data:"):
        data, _ = _data_url(call, url)
        return _Document("image", "image", [None], len(data))
    return _Document(url, "image", [None])


def _confidence(word: str, start: int, salt: str) -> float:
    digest = hashlib.sha256(f"{salt}\x00{start}\x00{word}".encode()).digest()
    return round(0.75 + 0.25 * int.from_bytes(digest[:4], "big") / float(1 << 32), 4)


def _word_scores(text: str, salt: str) -> list[dict[str, Any]]:
    return [
        {
            "text": m.group(),
            "confidence": _confidence(m.group(), m.start(), salt),
            "start_index": m.start(),
        }
        for m in _WORD.finditer(text)
    ]


def _stats(scores: Sequence[Mapping[str, Any]]) -> tuple[float, float]:
    values = [s["confidence"] for s in scores] or [1.0]
    return round(sum(values) / len(values), 4), min(values)


def _box(box: tuple[int, int, int, int]) -> dict[str, int]:
    return dict(
        zip(("top_left_x", "top_left_y", "bottom_right_x", "bottom_right_y"), box, strict=True)
    )


def _fake_image(image_id: str) -> str:
    content = b"\xff\xd8\xff\xe0fake jpeg " + image_id.encode() + b"\xff\xd9"
    return "data:image/jpeg;base64," + base64.b64encode(content).decode("ascii")


def _image(index: int, options: _Options) -> dict[str, Any] | None:
    """The page's image, unless ``image_limit`` or ``image_min_size`` leaves it out."""
    if options.image_min_size is not None and options.image_min_size > IMAGE_SIZE:
        return None
    if options.images_left is not None:
        if options.images_left == 0:
            return None
        options.images_left -= 1
    image_id = f"img-{index}.jpeg"
    annotation = None
    if options.bbox_schema is not None:
        annotation = json.dumps(example_from_schema(options.bbox_schema, image_id))
    return {
        "id": image_id,
        **_box(IMAGE_BOX),
        "image_base64": _fake_image(image_id) if options.include_base64 else None,
        "image_annotation": annotation,
    }


def _table(index: int, table_format: str | None) -> tuple[str, dict[str, Any] | None]:
    """The page's table: its markdown (inline or a link) and its ``tables`` entry."""
    markdown = f"| Item | Value |\n| --- | --- |\n| page | {index + 1} |"
    if table_format is None:
        return markdown, None
    if table_format == "html":
        content = (
            "<table><tr><th>Item</th><th>Value</th></tr>"
            f"<tr><td>page</td><td>{index + 1}</td></tr></table>"
        )
        table_id = f"tbl-{index}.html"
    else:
        content, table_id = markdown, f"tbl-{index}.md"
    return f"[{table_id}]({table_id})", {"id": table_id, "content": content, "format": table_format}


def _page(doc: _Document, index: int, options: _Options) -> dict[str, Any]:
    count = len(doc.page_texts)
    header = f"{doc.name} (header)"
    footer = f"Page {index + 1} of {count}"
    title = f"# Page {index + 1} of {doc.name}"
    text = doc.page_texts[index]
    body = text if text is not None else f"Fake OCR text of page {index + 1}."
    image = _image(index, options) if doc.kind == "document" else None
    table_markdown, table = (
        _table(index, options.table_format) if doc.kind == "document" else ("", None)
    )
    regions: list[tuple[str, tuple[int, int, int, int], str]] = [
        ("header", HEADER_BOX, header),
        ("title", TITLE_BOX, title),
        ("text", TEXT_BOX, body),
    ]
    if image is not None:
        regions.append(("image", IMAGE_BOX, f"![{image['id']}]({image['id']})"))
    if table_markdown:
        regions.append(("table", TABLE_BOX, table_markdown if table is None else table["content"]))
    regions.append(("footer", FOOTER_BOX, footer))
    parts = [
        content if kind != "table" else table_markdown
        for kind, _, content in regions
        if not (kind == "header" and options.extract_header)
        and not (kind == "footer" and options.extract_footer)
    ]
    markdown = "\n\n".join(parts)
    page: dict[str, Any] = {
        "index": index,
        "markdown": markdown,
        "images": [image] if image is not None else [],
        "tables": [table] if table is not None else [],
        "hyperlinks": _LINK.findall(body),
        "header": header if options.extract_header else None,
        "footer": footer if options.extract_footer else None,
        "dimensions": dict(DIMENSIONS),
        "confidence_scores": None,
        "blocks": None,
    }
    salt = f"{doc.name}\x00{index}"
    if options.granularity is not None:
        words = _word_scores(markdown, salt)
        average, minimum = _stats(words)
        page["confidence_scores"] = {
            "average_page_confidence_score": average,
            "minimum_page_confidence_score": minimum,
            "word_confidence_scores": words if options.granularity == "word" else [],
        }
        if table is not None and options.granularity == "word":
            table["word_confidence_scores"] = _word_scores(table["content"], salt + "\x00table")
    if options.include_blocks:
        page["blocks"] = [
            _block(kind, box, content, image, table, options.granularity, salt)
            for kind, box, content in regions
        ]
    return page


def _block(
    kind: str,
    box: tuple[int, int, int, int],
    content: str,
    image: Mapping[str, Any] | None,
    table: Mapping[str, Any] | None,
    granularity: str | None,
    salt: str,
) -> dict[str, Any]:
    block: dict[str, Any] = {"type": kind, **_box(box), "content": content}
    if kind == "image" and image is not None:
        block["image_id"] = image["id"]
    if kind == "table":
        block["table_id"] = table["id"] if table is not None else None
    if granularity == "block":
        average, minimum = _stats(_word_scores(content, f"{salt}\x00{kind}"))
        block["confidence_scores"] = {
            "average_content_confidence_score": average,
            "minimum_content_confidence_score": minimum,
            "block_type_confidence_score": _confidence(kind, 0, salt),
        }
    else:
        block["confidence_scores"] = None
    return block


async def ocr(call: Call) -> web.StreamResponse:
    """``POST /v1/ocr``."""
    payload = await call.json(OCR_REQUEST)
    _check(call, payload)
    doc = await _document(call, payload["document"])
    numbers = _page_numbers(call, payload.get("pages"), len(doc.page_texts))
    options = _Options(
        include_base64=bool(payload.get("include_image_base64")),
        image_limit=payload.get("image_limit"),
        image_min_size=payload.get("image_min_size"),
        bbox_schema=_schema_of(payload.get("bbox_annotation_format")),
        table_format=payload.get("table_format"),
        extract_header=payload.get("extract_header", False),
        extract_footer=payload.get("extract_footer", False),
        include_blocks=payload.get("include_blocks", True),
        granularity=payload.get("confidence_scores_granularity"),
    )
    annotation_format = payload.get("document_annotation_format")
    annotation = None
    if annotation_format is not None:
        annotation = json.dumps(example_from_schema(_schema_of(annotation_format), doc.name))
    return call.ok(
        {
            "pages": [_page(doc, number, options) for number in numbers],
            "model": payload.get("model") or DEFAULT_MODEL,
            "document_annotation": annotation,
            "usage_info": {"pages_processed": len(numbers), "doc_size_bytes": doc.size},
        }
    )

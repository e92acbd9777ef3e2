"""Cases of the ``ocr`` group: a document by URL, an image, and an uploaded file."""

from __future__ import annotations

from mistral_async import AsyncMistral
from mistral_async.types import (
    DocumentURLChunk,
    FileChunk,
    ImageURL,
    ImageURLChunk,
    JsonSchema,
    ResponseFormat,
)
from mistral_async.types.ocr import OCRResponse

from ..case import Case

OP = "ocr_v1_ocr_post"
MODEL = "mistral-ocr-latest"
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n"
    b"4 0 obj << /Type /Page /Parent 2 0 R >> endobj\n%%EOF\n"
)
FIGURE = {
    "type": "object",
    "properties": {"kind": {"type": "string"}, "caption": {"type": "string"}},
    "required": ["kind", "caption"],
    "additionalProperties": False,
}
PAPER = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "authors": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["title", "authors"],
}


async def uploaded_pdf(client: AsyncMistral) -> str:
    """Upload a two-page PDF for OCR; its id."""
    created = await client.files.upload(file=("paper.pdf", PDF), purpose="ocr")
    return created.id


CASES: dict[str, Case] = {
    OP: Case(
        method="ocr.process",
        kwargs={
            "model": MODEL,
            "document": DocumentURLChunk(
                document_url="https://arxiv.org/pdf/2201.04234", document_name="atc.pdf"
            ),
            "pages": [0, 2],
            "include_image_base64": True,
            "image_limit": 4,
            "image_min_size": 32,
            "bbox_annotation_format": ResponseFormat(
                type="json_schema",
                json_schema=JsonSchema(name="figure", schema=FIGURE, strict=True),
            ),
            "document_annotation_format": {
                "type": "json_schema",
                "json_schema": {"name": "paper", "schema": PAPER, "description": "A paper"},
            },
            "document_annotation_prompt": "Extract the title and the authors.",
            "table_format": "html",
            "extract_header": True,
            "extract_footer": True,
            "include_blocks": True,
            "confidence_scores_granularity": "word",
        },
        response_type=OCRResponse,
    ),
    f"{OP}:image": Case(
        method="ocr.process",
        kwargs={
            "model": None,
            "document": ImageURLChunk(
                image_url=ImageURL(url="https://example.com/receipt.png", detail="high")
            ),
            "pages": "0",
            "include_image_base64": None,
            "image_limit": None,
            "image_min_size": None,
            "bbox_annotation_format": None,
            "document_annotation_format": None,
            "document_annotation_prompt": None,
            "table_format": None,
            "include_blocks": False,
            "confidence_scores_granularity": None,
        },
        response_type=OCRResponse,
        note="every nullable parameter sent as null; model too (the spec allows it)",
    ),
    f"{OP}:file": Case(
        method="ocr.process",
        setup=uploaded_pdf,
        kwargs=lambda file_id: {
            "model": MODEL,
            "document": FileChunk(file_id=file_id),
            "pages": "0-1",
            "table_format": "markdown",
            "confidence_scores_granularity": "block",
        },
        response_type=OCRResponse,
        note="a file uploaded with purpose='ocr', read by id",
    ),
    f"{OP}:dict": Case(
        method="ocr.process",
        kwargs={
            "model": MODEL,
            "document": {"type": "image_url", "image_url": "https://example.com/scan.jpg"},
            "confidence_scores_granularity": "page",
        },
        response_type=OCRResponse,
    ),
}

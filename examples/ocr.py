"""OCR: read a PDF into markdown, with its images and a structured annotation.

Run it with ``python examples/ocr.py`` to read a paper by URL, or
``python examples/ocr.py path/to/file.pdf`` to upload a local file and read that
(``MISTRAL_API_KEY`` and optionally ``MISTRAL_SERVER_URL`` set).
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from mistral_async import AsyncMistral
from mistral_async.types import DocumentURLChunk, FileChunk, JsonSchema, ResponseFormat

MODEL = "mistral-ocr-latest"
PAPER_URL = "https://arxiv.org/pdf/2201.04234"
# The document annotation follows this JSON schema: here, what a paper is about.
PAPER_SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "authors": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["title", "authors"],
    "additionalProperties": False,
}


async def main(path: str | None) -> None:
    async with AsyncMistral() as client:
        document: FileChunk | DocumentURLChunk
        options: dict[str, Any] = {}
        if path is None:
            document = DocumentURLChunk(document_url=PAPER_URL)
            options["pages"] = [0, 1]  # only the first two pages (numbered from 0)
        else:
            # A local file is uploaded first (purpose="ocr"), then read by its id.
            uploaded = await client.files.upload(file=path, purpose="ocr")
            document = FileChunk(file_id=uploaded.id)

        result = await client.ocr.process(
            model=MODEL,
            document=document,
            include_image_base64=True,
            document_annotation_format=ResponseFormat(
                type="json_schema", json_schema=JsonSchema(name="paper", schema=PAPER_SCHEMA)
            ),
            **options,
        )

    for page in result.pages:
        print(f"--- page {page.index} ---")
        print(page.markdown)
        # Images are referenced from the markdown by id; their bounding boxes are in pixels
        # of the page image (``page.dimensions``).
        for image in page.images:
            box = (image.top_left_x, image.top_left_y, image.bottom_right_x, image.bottom_right_y)
            size = len(image.image_base64 or "")
            print(f"[image {image.id} at {box}, {size} base64 characters]")

    if result.document_annotation is not None:
        paper = json.loads(result.document_annotation)  # a JSON string following the schema
        print("Title:", paper["title"])
        print("Authors:", ", ".join(paper["authors"]))
    print("Pages processed:", result.usage_info.pages_processed)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else None))

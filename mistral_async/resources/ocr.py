"""``client.ocr``: text and structure from documents and images."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from .._types import NOT_GIVEN, NotGiven
from ..types.chat import ResponseFormat
from ..types.ocr import OCRDocument, OCRRequest, OCRResponse
from ._base import AsyncResource, body_of, cast_to, params, recalled

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import RequestOptions

__all__ = ["AsyncOcr"]

_ocr = cast_to(OCRResponse)


class AsyncOcr(AsyncResource):
    """Optical character recognition."""

    __slots__ = ()

    @recalled
    async def process(
        self,
        *,
        model: str | None,
        document: OCRDocument | Mapping[str, Any],
        pages: str | Sequence[int] | NotGiven | None = NOT_GIVEN,
        include_image_base64: bool | NotGiven | None = NOT_GIVEN,
        image_limit: int | NotGiven | None = NOT_GIVEN,
        image_min_size: int | NotGiven | None = NOT_GIVEN,
        bbox_annotation_format: ResponseFormat | Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        document_annotation_format: ResponseFormat
        | Mapping[str, Any]
        | NotGiven
        | None = NOT_GIVEN,
        document_annotation_prompt: str | NotGiven | None = NOT_GIVEN,
        table_format: Literal["markdown", "html"] | NotGiven | None = NOT_GIVEN,
        extract_header: bool | NotGiven = NOT_GIVEN,
        extract_footer: bool | NotGiven = NOT_GIVEN,
        include_blocks: bool | NotGiven = NOT_GIVEN,
        confidence_scores_granularity: Literal["word", "page", "block"]
        | NotGiven
        | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> OCRResponse:
        """Read a document (PDF, image, ...) into markdown, page by page.

        ``model`` is an OCR model such as ``"mistral-ocr-latest"``. ``document`` is a
        :class:`~mistral_async.types.DocumentURLChunk`, an
        :class:`~mistral_async.types.ImageURLChunk` or a
        :class:`~mistral_async.types.FileChunk`, or the same as a dict:
        ``{"type": "document_url", "document_url": "https://.../paper.pdf"}``. For a local
        file, upload it with ``files.upload(file=path, purpose="ocr")`` and pass
        ``{"type": "file", "file_id": uploaded.id}``.

        ``pages`` picks pages (from 0): a list, or a string such as ``"0,2-4"``.
        ``bbox_annotation_format`` and ``document_annotation_format`` are JSON-schema
        response formats (``{"type": "json_schema", "json_schema": {...}}``): each image,
        and the whole document, then gets an annotation as a JSON string following it;
        ``document_annotation_prompt`` guides the document annotation. The other parameters
        are the API's own, see https://docs.mistral.ai/api/#tag/ocr.
        """
        body = body_of(OCRRequest.validated(**params(locals())))
        result: OCRResponse = await self._request("POST", "/v1/ocr", _ocr, options, body=body)
        return result

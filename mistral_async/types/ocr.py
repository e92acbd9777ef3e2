"""Types of the OCR API: the pages of a document as markdown, with images, tables and blocks.

The document to read is one of the chat content chunks: a
:class:`~mistral_async.types.DocumentURLChunk`, an :class:`~mistral_async.types.ImageURLChunk`
or a :class:`~mistral_async.types.FileChunk` (a file uploaded with ``purpose="ocr"``), or the
same as a plain dict.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import attrs

from .._converter import Model, converter, register_union, tagged_union
from .chat import DocumentURLChunk, FileChunk, ImageURLChunk, ResponseFormat

__all__ = [
    "OCRAsideTextBlock",
    "OCRBlock",
    "OCRBlockConfidenceScores",
    "OCRCaptionBlock",
    "OCRCodeBlock",
    "OCRConfidenceScore",
    "OCRDocument",
    "OCREquationBlock",
    "OCRFooterBlock",
    "OCRHeaderBlock",
    "OCRImageBlock",
    "OCRImageObject",
    "OCRListBlock",
    "OCRPageConfidenceScores",
    "OCRPageDimensions",
    "OCRPageObject",
    "OCRReferencesBlock",
    "OCRResponse",
    "OCRSignatureBlock",
    "OCRTableBlock",
    "OCRTableObject",
    "OCRTextBlock",
    "OCRTitleBlock",
    "OCRUsageInfo",
]

OCRDocument: TypeAlias = FileChunk | DocumentURLChunk | ImageURLChunk | dict[str, Any]
"""The document to read: ``{"type": "document_url", "document_url": "https://..."}``,
``{"type": "image_url", "image_url": "https://..."}`` or ``{"type": "file", "file_id": "..."}``
(or the attrs chunk classes)."""


@attrs.define(slots=True)
class OCRConfidenceScore(Model):
    """The confidence (0 to 1) of one word; ``start_index`` is its offset in the markdown."""

    text: str
    confidence: float
    start_index: int


@attrs.define(slots=True)
class OCRPageConfidenceScores(Model):
    """A page's confidence scores; ``word_confidence_scores`` only with word granularity."""

    average_page_confidence_score: float
    minimum_page_confidence_score: float
    word_confidence_scores: list[OCRConfidenceScore] = attrs.Factory(list)


@attrs.define(slots=True)
class OCRBlockConfidenceScores(Model):
    """A block's confidence scores; ``None`` where the block has no such signal."""

    average_content_confidence_score: float | None = None
    minimum_content_confidence_score: float | None = None
    block_type_confidence_score: float | None = None


@attrs.define(slots=True)
class OCRImageObject(Model):
    """An image found on a page: its bounding box, and its content and annotation if asked.

    ``image_base64`` is set with ``include_image_base64=True``; ``image_annotation`` is a
    JSON string following ``bbox_annotation_format``.
    """

    id: str
    top_left_x: int | None
    top_left_y: int | None
    bottom_right_x: int | None
    bottom_right_y: int | None
    image_base64: str | None = None
    image_annotation: str | None = None


@attrs.define(slots=True)
class OCRTableObject(Model):
    """A table extracted from a page (with ``table_format``), as markdown or HTML."""

    id: str
    content: str
    format: str
    """``"markdown"`` or ``"html"``."""
    word_confidence_scores: list[OCRConfidenceScore] | None = None


@attrs.define(slots=True)
class OCRPageDimensions(Model):
    """The size of a page's image, in pixels, and its resolution."""

    dpi: int
    height: int
    width: int


@attrs.define(slots=True)
class _OCRBlockBase(Model):
    """Fields every content block has: its bounding box, content and confidence."""

    top_left_x: int
    top_left_y: int
    bottom_right_x: int
    bottom_right_y: int
    content: str
    confidence_scores: OCRBlockConfidenceScores | None = None


@attrs.define(slots=True)
class OCRTextBlock(_OCRBlockBase):
    """A paragraph of text."""

    type: Literal["text"] = "text"


@attrs.define(slots=True)
class OCRListBlock(_OCRBlockBase):
    """A list."""

    type: Literal["list"] = "list"


@attrs.define(slots=True)
class OCRImageBlock(_OCRBlockBase):
    """An image; ``image_id`` is the id of its entry in the page's ``images``."""

    # Keyword-only: a required field cannot follow the base's defaulted ones positionally.
    image_id: str = attrs.field(kw_only=True)
    type: Literal["image"] = "image"


@attrs.define(slots=True)
class OCRTableBlock(_OCRBlockBase):
    """A table; ``table_id`` is the id of its entry in the page's ``tables``, if extracted."""

    table_id: str | None = None
    type: Literal["table"] = "table"


@attrs.define(slots=True)
class OCRTitleBlock(_OCRBlockBase):
    """A title or heading."""

    type: Literal["title"] = "title"


@attrs.define(slots=True)
class OCREquationBlock(_OCRBlockBase):
    """An equation."""

    type: Literal["equation"] = "equation"


@attrs.define(slots=True)
class OCRCaptionBlock(_OCRBlockBase):
    """A caption."""

    type: Literal["caption"] = "caption"


@attrs.define(slots=True)
class OCRCodeBlock(_OCRBlockBase):
    """A block of code."""

    type: Literal["code"] = "code"


@attrs.define(slots=True)
class OCRReferencesBlock(_OCRBlockBase):
    """References (a bibliography)."""

    type: Literal["references"] = "references"


@attrs.define(slots=True)
class OCRAsideTextBlock(_OCRBlockBase):
    """Text beside the main flow (a margin note, a sidebar)."""

    type: Literal["aside_text"] = "aside_text"


@attrs.define(slots=True)
class OCRHeaderBlock(_OCRBlockBase):
    """The page header."""

    type: Literal["header"] = "header"


@attrs.define(slots=True)
class OCRFooterBlock(_OCRBlockBase):
    """The page footer."""

    type: Literal["footer"] = "footer"


@attrs.define(slots=True)
class OCRSignatureBlock(_OCRBlockBase):
    """A signature; ``content`` is the transcribed name when legible, else ``""``."""

    type: Literal["signature"] = "signature"


OCRBlock: TypeAlias = (
    OCRTextBlock
    | OCRListBlock
    | OCRImageBlock
    | OCRTableBlock
    | OCRTitleBlock
    | OCREquationBlock
    | OCRCaptionBlock
    | OCRCodeBlock
    | OCRReferencesBlock
    | OCRAsideTextBlock
    | OCRHeaderBlock
    | OCRFooterBlock
    | OCRSignatureBlock
    | dict[str, Any]
)
"""A content block; blocks of a kind this SDK does not know arrive as plain dicts."""


@attrs.define(slots=True)
class OCRPageObject(Model):
    """One page: its markdown, and what was found on it.

    ``index`` counts from 0. ``images`` and ``tables`` are referenced from the markdown by
    their ids (``![img-0.jpeg](img-0.jpeg)``); ``tables`` is filled with ``table_format``.
    ``header``/``footer`` are set with ``extract_header``/``extract_footer``,
    ``confidence_scores`` with ``confidence_scores_granularity`` and ``blocks`` (the page's
    content blocks in reading order) with ``include_blocks``. ``dimensions`` is ``None``
    when the API sends none (``{}`` included).
    """

    index: int
    markdown: str
    images: list[OCRImageObject]
    dimensions: OCRPageDimensions | None
    tables: list[OCRTableObject] = attrs.Factory(list)
    hyperlinks: list[str] = attrs.Factory(list)
    header: str | None = None
    footer: str | None = None
    confidence_scores: OCRPageConfidenceScores | None = None
    blocks: list[OCRBlock] | None = None


@attrs.define(slots=True)
class OCRUsageInfo(Model):
    """How many pages were processed, and the document's size in bytes if known."""

    pages_processed: int
    doc_size_bytes: int | None = None


@attrs.define(slots=True)
class OCRResponse(Model):
    """The result of OCR: the pages read, in order.

    ``document_annotation`` is a JSON string following ``document_annotation_format``.
    """

    pages: list[OCRPageObject]
    model: str
    usage_info: OCRUsageInfo
    document_annotation: str | None = None

    @property
    def markdown(self) -> str:
        """The markdown of every page, joined by blank lines."""
        return "\n\n".join(page.markdown for page in self.pages)


_BLOCKS: dict[str, type[Any]] = {
    "text": OCRTextBlock,
    "list": OCRListBlock,
    "image": OCRImageBlock,
    "table": OCRTableBlock,
    "title": OCRTitleBlock,
    "equation": OCREquationBlock,
    "caption": OCRCaptionBlock,
    "code": OCRCodeBlock,
    "references": OCRReferencesBlock,
    "aside_text": OCRAsideTextBlock,
    "header": OCRHeaderBlock,
    "footer": OCRFooterBlock,
    "signature": OCRSignatureBlock,
}
register_union(OCRBlock, tagged_union("type", _BLOCKS))
_dimensions = converter.get_structure_hook(OCRPageDimensions)


def _structure_dimensions(value: Any, _: Any) -> Any:
    # The API sends ``{}`` for a page it has no image of (see the spec's example): that is
    # no dimensions, not dimensions with every required field missing.
    if type(value) is dict and not value:
        return None
    return _dimensions(value, OCRPageDimensions)


converter.register_structure_hook(OCRPageDimensions, _structure_dimensions)


# -- requests --------------------------------------------------------------------------------

import re  # noqa: E402 - kept beside the request types
from collections.abc import Mapping, Sequence  # noqa: E402

from .._errors import InvalidParameterError  # noqa: E402
from .._types import NOT_GIVEN, NotGiven  # noqa: E402
from . import _validate as v  # noqa: E402

_DOCUMENT_KEYS = {"file": "file_id", "document_url": "document_url", "image_url": "image_url"}
_PAGES = re.compile(r"\s*\d+\s*(-\s*\d+\s*)?(,\s*\d+\s*(-\s*\d+\s*)?)*")


def _check_document(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    name = attribute.name
    if isinstance(value, FileChunk | DocumentURLChunk | ImageURLChunk):
        return
    if not isinstance(value, Mapping):
        raise InvalidParameterError(
            name,
            "must be a FileChunk, DocumentURLChunk, ImageURLChunk or a dict, "
            f"not {type(value).__name__}",
        )
    kind = value.get("type")
    if kind is None:
        # The API's chunks default their ``type``: tell them apart by their main key.
        kind = next((k for k, key in _DOCUMENT_KEYS.items() if key in value), None)
        if kind is None:
            raise InvalidParameterError(
                name, "must have a 'type' ('document_url', 'image_url' or 'file')"
            )
    if kind not in _DOCUMENT_KEYS:
        raise InvalidParameterError(
            f"{name}.type", f"must be one of 'document_url', 'image_url', 'file'; got {kind!r}"
        )
    key = _DOCUMENT_KEYS[kind]
    if key not in value:
        raise InvalidParameterError(f"{name}.{key}", f"is required for a {kind!r} document")
    if kind != "image_url" and not isinstance(value[key], str):
        raise InvalidParameterError(
            f"{name}.{key}", f"must be a string, not {type(value[key]).__name__}"
        )


def _check_pages(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, NotGiven) or value is None:
        return
    if isinstance(value, str):
        if not _PAGES.fullmatch(value):
            raise InvalidParameterError(
                attribute.name,
                f"must be page numbers and ranges such as '0,2-4'; got {value!r}",
            )
        return
    if isinstance(value, Mapping | bytes) or not isinstance(value, Sequence):
        raise InvalidParameterError(
            attribute.name, f"must be a list of ints or a string, not {type(value).__name__}"
        )
    for i, page in enumerate(value):
        if isinstance(page, bool) or not isinstance(page, int):
            raise InvalidParameterError(
                f"{attribute.name}[{i}]", f"must be an integer, not {type(page).__name__}"
            )


def _check_annotation_format(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A ResponseFormat of type ``json_schema``: the only kind OCR annotations accept."""
    if isinstance(value, NotGiven) or value is None:
        return
    if isinstance(value, ResponseFormat):
        kind, schema = value.type, value.json_schema
    elif isinstance(value, Mapping):
        kind, schema = value.get("type", "text"), value.get("json_schema")
    else:
        raise InvalidParameterError(
            attribute.name, f"must be a ResponseFormat or a dict, not {type(value).__name__}"
        )
    if kind != "json_schema":
        raise InvalidParameterError(
            f"{attribute.name}.type", f"must be 'json_schema' for OCR annotations; got {kind!r}"
        )
    if schema is None:
        raise InvalidParameterError(
            f"{attribute.name}.json_schema", "is required (the schema annotations follow)"
        )


def _boolean(*, nullable: bool) -> v.Validator:
    def check(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, NotGiven) or (nullable and value is None):
            return
        if not isinstance(value, bool):
            raise InvalidParameterError(
                attribute.name, f"must be a bool, not {type(value).__name__}"
            )

    return check


_INT = v.check(v.number(integer=True))


@attrs.define(slots=True, kw_only=True)
class OCRRequest(Model):
    """The body of an OCR request."""

    model: str | None = attrs.field(metadata=v.check(v.string(non_empty=True)))
    document: OCRDocument = attrs.field(metadata=v.check(_check_document))
    pages: str | list[int] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_check_pages)
    )
    include_image_base64: bool | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_boolean(nullable=True))
    )
    image_limit: int | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=_INT)
    image_min_size: int | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=_INT)
    bbox_annotation_format: ResponseFormat | dict[str, Any] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_check_annotation_format)
    )
    document_annotation_format: ResponseFormat | dict[str, Any] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_check_annotation_format)
    )
    document_annotation_prompt: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.string())
    )
    table_format: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.one_of("markdown", "html"))
    )
    extract_header: bool | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_boolean(nullable=False))
    )
    extract_footer: bool | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_boolean(nullable=False))
    )
    include_blocks: bool | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_boolean(nullable=False))
    )
    confidence_scores_granularity: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.one_of("word", "page", "block"))
    )

    def __attrs_post_init__(self) -> None:
        # The API documents that the prompt only guides a document annotation.
        prompt, annotation = self.document_annotation_prompt, self.document_annotation_format
        if isinstance(prompt, str) and (isinstance(annotation, NotGiven) or annotation is None):
            raise InvalidParameterError(
                "document_annotation_prompt", "needs a document_annotation_format"
            )


__all__ += ["OCRRequest"]

"""Types of the embeddings API."""

from __future__ import annotations

import attrs

from .._converter import Model, register_union
from .shared import UsageInfo

__all__ = ["EmbeddingResponse", "EmbeddingResponseData"]


@attrs.define(slots=True)
class EmbeddingResponseData(Model):
    """One embedding: a list of floats, or a base64 string with ``encoding_format="base64"``."""

    embedding: list[float] | str
    index: int = 0
    object: str = "embedding"


@attrs.define(slots=True)
class EmbeddingResponse(Model):
    """Embeddings of the inputs, in input order."""

    data: list[EmbeddingResponseData]
    id: str = ""
    object: str = "list"
    model: str = ""
    usage: UsageInfo | None = None


# Vectors come out of the JSON decoder ready to use; walking them element by element
# would cost more than decoding them did.
register_union(list[float] | str, lambda value, _: value)


# -- requests --------------------------------------------------------------------------------

from typing import Any  # noqa: E402

from .._types import NOT_GIVEN, NotGiven  # noqa: E402
from . import _validate as v  # noqa: E402


@attrs.define(slots=True, kw_only=True)
class EmbeddingRequest(Model):
    """The body of an embeddings request."""

    model: str = attrs.field(metadata=v.check(v.string(nullable=False, non_empty=True)))
    input: str | list[str] = attrs.field(metadata=v.check(v.strings(nullable=False, min_items=1)))
    metadata: dict[str, Any] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.mapping())
    )
    output_dimension: int | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.number(gt=0, integer=True))
    )
    output_dtype: str | NotGiven = attrs.field(
        default=NOT_GIVEN,
        metadata=v.check(
            v.one_of("float", "int8", "uint8", "binary", "ubinary", nullable=False),
        ),
    )
    encoding_format: str | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.one_of("float", "base64", nullable=False))
    )


__all__ += ["EmbeddingRequest"]

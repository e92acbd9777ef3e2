"""``client.embeddings``: vector embeddings of texts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from .._types import NOT_GIVEN, NotGiven
from ..types.embeddings import EmbeddingRequest, EmbeddingResponse
from ._base import AsyncResource, body_of, cast_to, params, recalled

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import RequestOptions

__all__ = ["AsyncEmbeddings"]

_embeddings = cast_to(EmbeddingResponse)


class AsyncEmbeddings(AsyncResource):
    """Embeddings of one text or many."""

    __slots__ = ()

    @recalled
    async def create(
        self,
        *,
        model: str,
        inputs: str | Sequence[str],
        output_dimension: int | NotGiven | None = NOT_GIVEN,
        output_dtype: Literal["float", "int8", "uint8", "binary", "ubinary"] | NotGiven = NOT_GIVEN,
        encoding_format: Literal["float", "base64"] | NotGiven = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> EmbeddingResponse:
        """Embed ``inputs`` (sent as the API's ``input``) with ``model``, e.g. ``"mistral-embed"``.

        ``result.data[i].embedding`` is the vector of ``inputs[i]``.
        """
        given = params(locals())
        given["input"] = given.pop("inputs")
        request = EmbeddingRequest.validated({"input": "inputs"}, **given)
        result: EmbeddingResponse = await self._request(
            "POST", "/v1/embeddings", _embeddings, options, body=body_of(request)
        )
        return result

"""``client.models``: list, read, update, archive and delete models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._session import path_param
from .._types import NOT_GIVEN, NotGiven
from ..types.models import (
    ArchiveModelResponse,
    DeleteModelResponse,
    FineTunedModel,
    ModelCard,
    ModelList,
    UnarchiveModelResponse,
    UpdateModelRequest,
)
from ._base import AsyncResource, body_of, cast_to, params

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import RequestOptions

__all__ = ["AsyncModels"]

_list = cast_to(ModelList)
_card = cast_to(ModelCard)
_deleted = cast_to(DeleteModelResponse)
_fine_tuned = cast_to(FineTunedModel)
_archived = cast_to(ArchiveModelResponse)
_unarchived = cast_to(UnarchiveModelResponse)


class AsyncModels(AsyncResource):
    """The models available to you, and your fine-tuned models."""

    __slots__ = ()

    async def list(
        self,
        *,
        provider: str | NotGiven | None = NOT_GIVEN,
        model: str | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> ModelList:
        """List the models available to you (optionally filtered by ``provider`` / ``model``)."""
        query: dict[str, Any] = {}
        for name, value in (("provider", provider), ("model", model)):
            if not isinstance(value, NotGiven) and value is not None:
                if not isinstance(value, str):
                    from .._errors import InvalidParameterError

                    raise InvalidParameterError(name, f"must be a string, not {value!r}")
                query[name] = value
        result: ModelList = await self._request(
            "GET", "/v1/models", _list, options, query=query or None
        )
        return result

    async def retrieve(self, model_id: str, **options: Unpack[RequestOptions]) -> ModelCard:
        """Read one model (a :class:`BaseModelCard` or an :class:`FTModelCard`)."""
        path = f"/v1/models/{path_param('model_id', model_id)}"
        result: ModelCard = await self._request("GET", path, _card, options)
        return result

    async def delete(self, model_id: str, **options: Unpack[RequestOptions]) -> DeleteModelResponse:
        """Delete one of your fine-tuned models."""
        path = f"/v1/models/{path_param('model_id', model_id)}"
        result: DeleteModelResponse = await self._request("DELETE", path, _deleted, options)
        return result

    async def update(
        self,
        model_id: str,
        *,
        name: str | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> FineTunedModel:
        """Rename a fine-tuned model or change its description."""
        path = f"/v1/fine_tuning/models/{path_param('model_id', model_id)}"
        body = body_of(
            UpdateModelRequest.validated(**params({"name": name, "description": description}))
        )
        result: FineTunedModel = await self._request("PATCH", path, _fine_tuned, options, body=body)
        return result

    async def archive(
        self, model_id: str, **options: Unpack[RequestOptions]
    ) -> ArchiveModelResponse:
        """Archive a fine-tuned model."""
        path = f"/v1/fine_tuning/models/{path_param('model_id', model_id)}/archive"
        result: ArchiveModelResponse = await self._request("POST", path, _archived, options)
        return result

    async def unarchive(
        self, model_id: str, **options: Unpack[RequestOptions]
    ) -> UnarchiveModelResponse:
        """Unarchive a fine-tuned model."""
        path = f"/v1/fine_tuning/models/{path_param('model_id', model_id)}/archive"
        result: UnarchiveModelResponse = await self._request("DELETE", path, _unarchived, options)
        return result

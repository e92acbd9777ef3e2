"""``client.classifiers``: moderation and classification, of texts and of chats."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .._types import NOT_GIVEN, NotGiven
from ..types.chat import MessageParam
from ..types.classifiers import (
    ChatClassificationRequest,
    ChatModerationRequest,
    ClassificationRequest,
    ClassificationResponse,
    InstructParam,
    ModerationResponse,
)
from ._base import AsyncResource, body_of, cast_to, params, recalled

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import RequestOptions

__all__ = ["AsyncClassifiers"]

_moderation = cast_to(ModerationResponse)
_classification = cast_to(ClassificationResponse)
# The SDK's ``inputs=`` is the API's ``input``; errors name the parameter the caller used.
_ALIASES = {"input": "inputs"}


def _body(request_type: Any, given: dict[str, Any]) -> dict[str, Any]:
    given["input"] = given.pop("inputs")
    return body_of(request_type.validated(_ALIASES, **given))


class AsyncClassifiers(AsyncResource):
    """Moderation and classification."""

    __slots__ = ()

    @recalled
    async def moderate(
        self,
        *,
        model: str,
        inputs: str | Sequence[str],
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> ModerationResponse:
        """Moderate one text or several (``inputs``, sent as the API's ``input``).

        ``model`` is a moderation model such as ``"mistral-moderation-latest"``.
        ``result.results[i]`` is the moderation of ``inputs[i]``: its ``categories`` map each
        category name to whether the text is flagged, ``category_scores`` to a score from 0
        to 1.
        """
        body = _body(ClassificationRequest, params(locals()))
        result: ModerationResponse = await self._request(
            "POST", "/v1/moderations", _moderation, options, body=body
        )
        return result

    @recalled
    async def moderate_chat(
        self,
        *,
        model: str,
        inputs: Sequence[MessageParam] | Sequence[Sequence[MessageParam]],
        **options: Unpack[RequestOptions],
    ) -> ModerationResponse:
        """Moderate a conversation, or several (``inputs``, sent as the API's ``input``).

        ``inputs`` is a list of messages (attrs messages or dicts such as
        ``{"role": "user", "content": "..."}``), or a list of such lists; there is one
        result per conversation.
        """
        body = _body(ChatModerationRequest, params(locals()))
        result: ModerationResponse = await self._request(
            "POST", "/v1/chat/moderations", _moderation, options, body=body
        )
        return result

    @recalled
    async def classify(
        self,
        *,
        model: str,
        inputs: str | Sequence[str],
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> ClassificationResponse:
        """Classify one text or several with a classifier model (e.g. a fine-tuned one).

        ``result.results[i]`` is the classification of ``inputs[i]``: a dict from each of
        the model's targets to a ``ClassificationTargetResult`` whose ``scores`` map each
        label to its score (``.label`` is the best one).
        """
        body = _body(ClassificationRequest, params(locals()))
        result: ClassificationResponse = await self._request(
            "POST", "/v1/classifications", _classification, options, body=body
        )
        return result

    @recalled
    async def classify_chat(
        self,
        *,
        model: str,
        inputs: InstructParam | Sequence[InstructParam],
        **options: Unpack[RequestOptions],
    ) -> ClassificationResponse:
        """Classify one conversation or several with a classifier model.

        Each conversation is an :class:`~mistral_async.types.classifiers.InstructRequest`
        or a dict ``{"messages": [...]}``; there is one result per conversation.
        """
        body = _body(ChatClassificationRequest, params(locals()))
        result: ClassificationResponse = await self._request(
            "POST", "/v1/chat/classifications", _classification, options, body=body
        )
        return result

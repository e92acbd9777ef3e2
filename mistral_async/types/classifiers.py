"""Types of the classifiers API: moderation and classification, of texts and of chats.

Category and label names are open-ended (the API adds categories, and a fine-tuned
classifier has the targets and labels it was trained with), so results keep them as dicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import attrs

from .._converter import Model
from .chat import MessageParam

__all__ = [
    "ClassificationResponse",
    "ClassificationTargetResult",
    "InstructParam",
    "InstructRequest",
    "ModerationObject",
    "ModerationResponse",
]


@attrs.define(slots=True)
class ModerationObject(Model):
    """The moderation of one input: which categories it falls in, and how likely each is.

    ``categories["violence_and_threats"]`` is ``True`` when the input is flagged in that
    category; ``category_scores`` gives each category's score from 0 to 1.
    """

    categories: dict[str, bool] = attrs.Factory(dict)
    category_scores: dict[str, float] = attrs.Factory(dict)

    @property
    def flagged(self) -> bool:
        """Whether any category is flagged."""
        return any(self.categories.values())

    @property
    def flagged_categories(self) -> list[str]:
        """The names of the flagged categories, in the API's order."""
        return [name for name, flagged in self.categories.items() if flagged]


@attrs.define(slots=True)
class ModerationResponse(Model):
    """Moderation results, one per input (or per conversation), in input order."""

    id: str
    model: str
    results: list[ModerationObject] = attrs.Factory(list)


@attrs.define(slots=True)
class ClassificationTargetResult(Model):
    """The scores of one target's labels (e.g. ``{"positive": 0.9, "negative": 0.1}``)."""

    scores: dict[str, float]

    @property
    def label(self) -> str | None:
        """The label with the highest score (``None`` when there is no score)."""
        return max(self.scores, key=self.scores.__getitem__) if self.scores else None


@attrs.define(slots=True)
class ClassificationResponse(Model):
    """Classification results, one per input in input order: target name to its scores."""

    id: str
    model: str
    results: list[dict[str, ClassificationTargetResult]] = attrs.Factory(list)


@attrs.define(slots=True)
class InstructRequest(Model):
    """One conversation to classify with :meth:`~mistral_async.AsyncMistral` ``classify_chat``.

    ``messages`` are attrs messages (:class:`~mistral_async.types.UserMessage`, ...) or
    plain dicts such as ``{"role": "user", "content": "Hi"}``.
    """

    messages: list[MessageParam]


InstructParam: TypeAlias = InstructRequest | Mapping[str, Any]
"""A conversation to classify: an :class:`InstructRequest` or ``{"messages": [...]}``."""


# -- requests --------------------------------------------------------------------------------

from .._errors import InvalidParameterError  # noqa: E402 - kept beside the request types
from .._types import NOT_GIVEN, NotGiven  # noqa: E402
from . import _validate as v  # noqa: E402

_message = v.objects("message", "role", ("system", "user", "assistant", "tool"))


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes | Mapping)


def _check_conversation(path: str, value: Any) -> None:
    if not _is_list(value):
        raise InvalidParameterError(path, f"must be a list of messages, not {type(value).__name__}")
    if not value:
        raise InvalidParameterError(path, "must have at least 1 message")
    for i, message in enumerate(value):
        _message(f"{path}[{i}]", message)


def _check_conversations(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """One conversation (a list of messages) or a list of conversations."""
    name = attribute.name
    if not _is_list(value):
        raise InvalidParameterError(
            name, f"must be a list of messages or of conversations, not {type(value).__name__}"
        )
    if not value:
        raise InvalidParameterError(name, "must have at least 1 item")
    if _is_list(value[0]):
        for i, conversation in enumerate(value):
            _check_conversation(f"{name}[{i}]", conversation)
    else:
        _check_conversation(name, value)


def _check_instruct(path: str, value: Any) -> None:
    if isinstance(value, InstructRequest):
        _check_conversation(f"{path}.messages", value.messages)
        return
    if not isinstance(value, Mapping):
        raise InvalidParameterError(
            path, f"must be an InstructRequest or a dict, not {type(value).__name__}"
        )
    if "messages" not in value:
        raise InvalidParameterError(path, "must have 'messages' (a list of messages)")
    extra = sorted(set(value) - {"messages"})
    if extra:
        raise InvalidParameterError(path, f"unknown key(s) {', '.join(map(repr, extra))}")
    _check_conversation(f"{path}.messages", value["messages"])


def _check_instructs(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """One :class:`InstructRequest` (or dict) or a list of them."""
    name = attribute.name
    if isinstance(value, InstructRequest | Mapping):
        _check_instruct(name, value)
        return
    if not _is_list(value):
        raise InvalidParameterError(
            name,
            f"must be an InstructRequest, a dict or a list of them, not {type(value).__name__}",
        )
    if not value:
        raise InvalidParameterError(name, "must have at least 1 item")
    for i, item in enumerate(value):
        _check_instruct(f"{name}[{i}]", item)


_MODEL = v.check(v.string(nullable=False, non_empty=True))


@attrs.define(slots=True, kw_only=True)
class ClassificationRequest(Model):
    """The body of a moderation or classification request of texts."""

    model: str = attrs.field(metadata=_MODEL)
    input: str | list[str] = attrs.field(metadata=v.check(v.strings(nullable=False, min_items=1)))
    metadata: dict[str, Any] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.mapping())
    )


@attrs.define(slots=True, kw_only=True)
class ChatModerationRequest(Model):
    """The body of a chat moderation request: a conversation or a list of conversations."""

    model: str = attrs.field(metadata=_MODEL)
    input: list[MessageParam] | list[list[MessageParam]] = attrs.field(
        metadata=v.check(_check_conversations)
    )


@attrs.define(slots=True, kw_only=True)
class ChatClassificationRequest(Model):
    """The body of a chat classification request: one or several ``{"messages": [...]}``."""

    model: str = attrs.field(metadata=_MODEL)
    input: InstructRequest | dict[str, Any] | list[InstructRequest | dict[str, Any]] = attrs.field(
        metadata=v.check(_check_instructs)
    )


__all__ += ["ChatClassificationRequest", "ChatModerationRequest", "ClassificationRequest"]

"""Types of agent completions.

An agent completion takes chat messages and answers with a chat completion, so the
messages, tools and responses are the chat types (:mod:`mistral_async.types.chat`); only
the request differs: an ``agent_id`` in place of the model and its sampling settings.
"""

from __future__ import annotations

from typing import Any

import attrs

from .._converter import Model
from .._types import NOT_GIVEN, NotGiven
from . import _validate as v
from .chat import (
    MessageParam,
    Prediction,
    ResponseFormat,
    Tool,
    ToolChoice,
    _check_response_format,
    _check_tool_choice,
)

__all__ = ["AgentsCompletionRequest"]


def _check_prediction(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, NotGiven | Prediction):
        return
    v.objects("prediction", "type", ("content",))(attribute.name, value)


@attrs.define(slots=True, kw_only=True)
class AgentsCompletionRequest(Model):
    """The body of an agent completion request."""

    agent_id: str = attrs.field(metadata=v.check(v.string(nullable=False, non_empty=True)))
    messages: list[MessageParam] = attrs.field(metadata=v.check(v.messages))
    max_tokens: int | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.number(ge=0, integer=True))
    )
    stream: bool | NotGiven = NOT_GIVEN
    stop: str | list[str] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.strings())
    )
    random_seed: int | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.number(ge=0, integer=True))
    )
    metadata: dict[str, Any] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.mapping())
    )
    response_format: ResponseFormat | dict[str, Any] | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_check_response_format)
    )
    tools: list[Tool | dict[str, Any]] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.sequence(v.objects("tool", "type", None)))
    )
    tool_choice: ToolChoice | str | dict[str, Any] | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_check_tool_choice)
    )
    presence_penalty: float | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.number(ge=-2, le=2))
    )
    frequency_penalty: float | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.number(ge=-2, le=2))
    )
    n: int | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.number(ge=1, integer=True))
    )
    prediction: Prediction | dict[str, Any] | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_check_prediction)
    )
    parallel_tool_calls: bool | NotGiven = NOT_GIVEN
    reasoning_effort: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN,
        metadata=v.check(v.one_of("none", "minimal", "low", "medium", "high", "xhigh")),
    )
    prompt_mode: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.one_of("reasoning"))
    )
    guardrails: list[dict[str, Any]] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.sequence(v.objects("guardrail config", "", None)))
    )
    prompt_cache_key: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.string())
    )
    service_tier: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.one_of("auto", "standard_only"))
    )

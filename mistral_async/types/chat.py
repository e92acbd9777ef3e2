"""Types of chat and FIM completions: messages, content chunks, tools, responses, stream chunks.

Every class is an attrs class named and shaped like the API's schema. They serve
both ways: build messages with them (or pass plain dicts), and read responses.
Enum-like fields are plain strings so that values the API adds later parse.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import attrs

from .._converter import Model, converter, register_union, tagged_union
from .shared import UsageInfo

__all__ = [
    "AssistantMessage",
    "AudioChunk",
    "ChatCompletionChoice",
    "ChatCompletionResponse",
    "CompletionChunk",
    "CompletionResponseStreamChoice",
    "ContentChunk",
    "DeltaMessage",
    "DocumentURLChunk",
    "FIMCompletionResponse",
    "FileChunk",
    "Function",
    "FunctionCall",
    "FunctionName",
    "ImageURL",
    "ImageURLChunk",
    "JsonSchema",
    "Message",
    "MessageParam",
    "Prediction",
    "ReferenceChunk",
    "ResponseFormat",
    "SystemMessage",
    "TextChunk",
    "ThinkChunk",
    "Tool",
    "ToolCall",
    "ToolChoice",
    "ToolMessage",
    "ToolReferenceChunk",
    "UsageInfo",
    "UserMessage",
]


# -- content chunks ------------------------------------------------------------------


@attrs.define(slots=True)
class TextChunk(Model):
    """Plain text content."""

    text: str
    type: Literal["text"] = "text"


@attrs.define(slots=True)
class ImageURL(Model):
    """An image by URL (``https://...`` or ``data:image/...;base64,...``)."""

    url: str
    detail: str | None = None
    """``"low"``, ``"auto"`` or ``"high"``."""


@attrs.define(slots=True)
class ImageURLChunk(Model):
    """An image, as a URL string or an :class:`ImageURL`."""

    image_url: ImageURL | str
    type: Literal["image_url"] = "image_url"


@attrs.define(slots=True)
class DocumentURLChunk(Model):
    """A document by URL."""

    document_url: str
    document_name: str | None = None
    type: Literal["document_url"] = "document_url"


@attrs.define(slots=True)
class ReferenceChunk(Model):
    """References (ids) to sources the answer used."""

    reference_ids: list[int | str]
    type: Literal["reference"] = "reference"


@attrs.define(slots=True)
class FileChunk(Model):
    """A file uploaded through the files API, by id."""

    file_id: str
    type: Literal["file"] = "file"


@attrs.define(slots=True)
class AudioChunk(Model):
    """Audio input: base64 data or a URL."""

    input_audio: str
    type: Literal["input_audio"] = "input_audio"


@attrs.define(slots=True)
class ToolReferenceChunk(Model):
    """A reference to a result of a built-in tool (web search, ...)."""

    tool: str
    title: str
    url: str | None = None
    favicon: str | None = None
    description: str | None = None
    type: Literal["tool_reference"] = "tool_reference"


@attrs.define(slots=True)
class ThinkChunk(Model):
    """A reasoning model's thinking, itself a list of chunks."""

    thinking: list[TextChunk | ReferenceChunk | ToolReferenceChunk | dict[str, Any]]
    signature: str | None = None
    closed: bool | None = None
    type: Literal["thinking"] = "thinking"


ContentChunk: TypeAlias = (
    TextChunk
    | ImageURLChunk
    | DocumentURLChunk
    | ReferenceChunk
    | FileChunk
    | ThinkChunk
    | AudioChunk
    | ToolReferenceChunk
)
"""Any content chunk; chunks of a kind this SDK does not know arrive as plain dicts."""

Content: TypeAlias = str | list[ContentChunk | dict[str, Any]] | None


def text_of(content: Content) -> str:
    """The text of message content: the string itself, or its text chunks joined."""
    if content is None:
        return ""
    if type(content) is str:
        return content
    parts = []
    for chunk in content:
        if type(chunk) is TextChunk:
            parts.append(chunk.text)
        elif isinstance(chunk, dict) and chunk.get("type") == "text":
            parts.append(str(chunk.get("text", "")))
    return "".join(parts)


# -- tools ---------------------------------------------------------------------------


@attrs.define(slots=True)
class FunctionCall(Model):
    """The function a tool call invokes; ``arguments`` is usually a JSON string."""

    name: str | None = None
    arguments: str | dict[str, Any] = ""


@attrs.define(slots=True)
class ToolCall(Model):
    """A tool call made by the model."""

    function: FunctionCall
    id: str | None = None
    type: str | None = "function"
    index: int | None = None


@attrs.define(slots=True)
class Function(Model):
    """A function the model may call, described by a JSON schema of its parameters."""

    name: str
    parameters: dict[str, Any]
    description: str | None = None
    strict: bool | None = None


@attrs.define(slots=True)
class Tool(Model):
    """A tool the model may call."""

    function: Function
    type: str = "function"


@attrs.define(slots=True)
class FunctionName(Model):
    """Names one function, in :class:`ToolChoice`."""

    name: str


@attrs.define(slots=True)
class ToolChoice(Model):
    """Forces the model to call this function."""

    function: FunctionName
    type: str = "function"


@attrs.define(slots=True)
class JsonSchema(Model):
    """A JSON schema the model's output must follow."""

    name: str
    schema: dict[str, Any]
    description: str | None = None
    strict: bool | None = None


@attrs.define(slots=True)
class ResponseFormat(Model):
    """The output format: ``"text"``, ``"json_object"`` or ``"json_schema"``."""

    type: Literal["text", "json_object", "json_schema"] = "text"
    json_schema: JsonSchema | None = None


@attrs.define(slots=True)
class Prediction(Model):
    """Expected output, to speed up generation when much of it is known."""

    content: str = ""
    type: Literal["content"] = "content"


# -- messages --------------------------------------------------------------------------


@attrs.define(slots=True)
class SystemMessage(Model):
    """Instructions for the model."""

    content: str | list[TextChunk | ThinkChunk | dict[str, Any]]
    role: Literal["system"] = "system"

    @property
    def text(self) -> str:
        """The message's text (text chunks joined)."""
        return text_of(self.content)  # type: ignore[arg-type]


@attrs.define(slots=True)
class UserMessage(Model):
    """A message from the user: text, or a list of chunks (text, images, documents...)."""

    content: Content
    role: Literal["user"] = "user"

    @property
    def text(self) -> str:
        """The message's text (text chunks joined)."""
        return text_of(self.content)


@attrs.define(slots=True)
class AssistantMessage(Model):
    """A message from the model; append it to ``messages`` to continue the conversation.

    ``content`` is a string, or a list of chunks (text, thinking, ...) as reasoning
    models return it; :attr:`text` gives the text either way.
    """

    content: Content = None
    tool_calls: list[ToolCall] | None = None
    prefix: bool | None = None
    role: Literal["assistant"] = "assistant"

    @property
    def text(self) -> str:
        """The message's text (text chunks joined, thinking left out)."""
        return text_of(self.content)


@attrs.define(slots=True)
class ToolMessage(Model):
    """The result of a tool call, sent back to the model."""

    content: Content
    tool_call_id: str | None = None
    name: str | None = None
    role: Literal["tool"] = "tool"

    @property
    def text(self) -> str:
        """The message's text (text chunks joined)."""
        return text_of(self.content)


Message: TypeAlias = SystemMessage | UserMessage | AssistantMessage | ToolMessage
MessageParam: TypeAlias = Message | dict[str, Any]
"""A message as an attrs object or as a plain dict such as ``{"role": "user", "content": "Hi"}``."""


# -- responses ---------------------------------------------------------------------------


@attrs.define(slots=True)
class ChatCompletionChoice(Model):
    """One choice of a completion."""

    index: int
    message: AssistantMessage
    finish_reason: str | None = None
    """``"stop"``, ``"length"``, ``"model_length"``, ``"error"`` or ``"tool_calls"``."""


@attrs.define(slots=True)
class ChatCompletionResponse(Model):
    """A chat (or FIM) completion."""

    choices: list[ChatCompletionChoice]
    id: str = ""
    object: str = "chat.completion"
    model: str = ""
    created: int = 0
    usage: UsageInfo | None = None


FIMCompletionResponse = ChatCompletionResponse


@attrs.define(slots=True)
class DeltaMessage(Model):
    """The part of a message one stream chunk carries."""

    role: str | None = None
    content: Content = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    index: int | None = None
    metadata: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        """This delta's text ("" when it has none)."""
        content = self.content
        return content if type(content) is str else text_of(content)


@attrs.define(slots=True)
class CompletionResponseStreamChoice(Model):
    """One choice of a stream chunk."""

    index: int
    delta: DeltaMessage
    finish_reason: str | None = None


@attrs.define(slots=True)
class CompletionChunk(Model):
    """One event of a streamed chat or FIM completion."""

    choices: list[CompletionResponseStreamChoice]
    id: str = ""
    model: str = ""
    object: str | None = None
    created: int | None = None
    usage: UsageInfo | None = None


# -- hooks: tagged unions and passthrough unions, built once ---------------------------------

_CHUNKS: dict[str, type[Any]] = {
    "text": TextChunk,
    "image_url": ImageURLChunk,
    "document_url": DocumentURLChunk,
    "reference": ReferenceChunk,
    "file": FileChunk,
    "thinking": ThinkChunk,
    "input_audio": AudioChunk,
    "tool_reference": ToolReferenceChunk,
}
_chunk = tagged_union("type", _CHUNKS)


def _structure_content(value: Any, _: Any) -> Any:
    if value is None or type(value) is str:
        return value
    return [_chunk(item, None) for item in value]


def _structure_image_url(value: Any, _: Any) -> Any:
    return value if type(value) is str else converter.structure(value, ImageURL)


def _passthrough(value: Any, _: Any) -> Any:
    return value


register_union(Content, _structure_content)
register_union(str | list[TextChunk | ThinkChunk | dict[str, Any]], _structure_content)
register_union(TextChunk | ReferenceChunk | ToolReferenceChunk | dict[str, Any], _chunk)
register_union(ImageURL | str, _structure_image_url)
register_union(str | dict[str, Any], _passthrough)
register_union(int | str, _passthrough)


# -- requests --------------------------------------------------------------------------------

from .._types import NOT_GIVEN, NotGiven  # noqa: E402 - kept beside the request types
from . import _validate as v  # noqa: E402

_TOOL_CHOICES = ("auto", "none", "any", "required")


def _check_tool_choice(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, NotGiven | ToolChoice | dict):
        return
    v.one_of(*_TOOL_CHOICES, nullable=False)(_, attribute, value)


def _check_response_format(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, NotGiven | ResponseFormat):
        return
    v.objects("response format", "type", ("text", "json_object", "json_schema"))(
        attribute.name, value
    )


def _check_prediction(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, NotGiven | Prediction):
        return
    v.objects("prediction", "type", ("content",))(attribute.name, value)


_MODEL = v.check(v.string(nullable=False, non_empty=True))
_TEMPERATURE = v.check(v.number(ge=0, le=1.5))
_TOP_P = v.check(v.number(gt=0, le=1))


@attrs.define(slots=True, kw_only=True)
class _SamplingParams(Model):
    """Parameters chat, FIM and agent completions share."""

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
    prompt_cache_key: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.string())
    )


@attrs.define(slots=True, kw_only=True)
class _ChatParams(_SamplingParams):
    """Parameters chat and agent completions share: messages, tools, formats..."""

    messages: list[MessageParam] = attrs.field(metadata=v.check(v.messages))
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
    service_tier: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.one_of("auto", "standard_only"))
    )


@attrs.define(slots=True, kw_only=True)
class ChatCompletionRequest(_ChatParams):
    """The body of a chat completion request."""

    model: str = attrs.field(metadata=_MODEL)
    temperature: float | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=_TEMPERATURE)
    top_p: float | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=_TOP_P)
    safe_prompt: bool | NotGiven = NOT_GIVEN


@attrs.define(slots=True, kw_only=True)
class FIMCompletionRequest(_SamplingParams):
    """The body of a fill-in-the-middle completion request."""

    model: str = attrs.field(metadata=_MODEL)
    temperature: float | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=_TEMPERATURE)
    top_p: float | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=_TOP_P)
    prompt: str = attrs.field(metadata=v.check(v.string(nullable=False)))
    suffix: str | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=v.check(v.string()))
    min_tokens: int | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.number(ge=0, integer=True))
    )


__all__ += ["ChatCompletionRequest", "FIMCompletionRequest"]

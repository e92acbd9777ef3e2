"""Structured outputs: a Python type as ``response_format``, and the answer as that type.

``client.chat.parse(response_format=City, ...)`` sends the strict JSON schema of ``City``
(:func:`response_format_for` builds that parameter, :func:`strict_json_schema` the schema)
and returns a :class:`ParsedChatCompletion` whose messages carry ``.parsed``: a ``City``.
The types accepted are those of :mod:`mistral_async.lib._typeschema`: attrs classes,
dataclasses, ``TypedDict``, pydantic models, or a JSON schema dict (``parsed`` is then the
decoded JSON).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from .._errors import InvalidParameterError, OutputParseError, OutputTruncatedError
from .._streaming import AsyncStream
from ..types.chat import (
    AssistantMessage,
    ChatCompletionChoice,
    ChatCompletionResponse,
    CompletionChunk,
)
from ._typeschema import Invalid, converter_for, json_schema
from .accumulate import CompletionAccumulator

__all__ = [
    "AsyncParsedChatCompletionStream",
    "OutputSpec",
    "ParsedAssistantMessage",
    "ParsedChatCompletion",
    "ParsedChatCompletionChoice",
    "ParsedChunk",
    "output_spec",
    "parse_partial_json",
    "response_format_for",
    "strict_json_schema",
]

T = TypeVar("T")
ResponseT = TypeVar("ResponseT")


def strict_json_schema(tp: Any) -> dict[str, Any]:
    """The strict JSON schema sent for ``tp``: what ``chat.parse(response_format=tp)`` sends.

    ``tp`` is an attrs class, a dataclass, a ``TypedDict``, a pydantic model or a JSON
    schema dict (made strict: every property required, the optional ones nullable, no
    additional properties, definitions inlined except recursive ones, kept in ``$defs``).
    Raises :class:`~mistral_async.InvalidParameterError` for a type it cannot describe.
    """
    return output_spec(tp).schema


def response_format_for(tp: Any, *, name: str | None = None) -> dict[str, Any]:
    """The whole ``response_format`` parameter for ``tp``: a strict ``json_schema`` format.

    ``name`` defaults to the type's name (a schema dict's ``title``, else ``"response"``).
    Pass the result to ``chat.complete(response_format=...)`` to ask for the JSON yourself.
    """
    spec = output_spec(tp)
    return spec.response_format if name is None else spec.with_name(name)


_NAME = re.compile(r"[^A-Za-z0-9_-]+")


@attrs.frozen(slots=True)
class OutputSpec:
    """What an output type needs: its schema, its ``response_format``, its parser."""

    tp: Any
    schema: dict[str, Any]
    name: str
    convert: Any  # Callable[[Any], Any]; None: keep the decoded JSON

    @property
    def response_format(self) -> dict[str, Any]:
        """The ``response_format`` parameter asking for this type."""
        return self.with_name(self.name)

    def with_name(self, name: str) -> dict[str, Any]:
        """The ``response_format`` parameter under another schema name."""
        return {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": self.schema, "strict": True},
        }

    def parse(self, text: str, completion: Any = None) -> Any:
        """``text`` (the model's JSON) as the type; typed errors naming what is wrong."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            reason = f"the answer is not valid JSON: {exc}"
            raise OutputParseError("$", reason, text=text, completion=completion) from None
        if self.convert is None:
            return data
        try:
            return self.convert(data)
        except Invalid as exc:
            raise OutputParseError(
                exc.where(), exc.message, text=text, completion=completion
            ) from exc


_SPECS: dict[Any, OutputSpec] = {}


def output_spec(tp: Any) -> OutputSpec:
    """The :class:`OutputSpec` of a type (built once per type) or of a JSON schema dict."""
    if isinstance(tp, Mapping):
        return _make_spec(tp)
    try:
        found = _SPECS.get(tp)
    except TypeError:
        return _make_spec(tp)
    if found is None:
        found = _SPECS[tp] = _make_spec(tp)
    return found


def _make_spec(tp: Any) -> OutputSpec:
    if isinstance(tp, str | bytes) or tp is None:
        raise InvalidParameterError(
            "response_format", f"expected a type or a JSON schema dict, got {tp!r}"
        )
    if isinstance(tp, Mapping):
        if tp.get("type") in ("json_schema", "json_object", "text") and "schema" not in tp:
            raise InvalidParameterError(
                "response_format",
                "pass the schema itself (or a type), not a whole response_format; use "
                "chat.complete for a response_format of your own",
            )
        schema = json_schema(tp)
        title = tp.get("title")
        name = title if isinstance(title, str) and title else "response"
        convert = None
    else:
        schema = json_schema(tp)
        name = getattr(tp, "__name__", None) or "response"
        convert = converter_for(tp)
    if schema.get("type") != "object":
        raise InvalidParameterError(
            "response_format", f"the answer must be a JSON object; {tp!r} is not one"
        )
    return OutputSpec(tp, schema, _NAME.sub("_", name)[:64] or "response", convert)


# ------------------------------------------------------------------------------ parsed types


class ParsedAssistantMessage(AssistantMessage, Generic[T]):
    """An :class:`AssistantMessage` with ``parsed``: its content as the requested type.

    ``parsed`` is typed as the requested type; it is ``None`` only for a message with no
    text but tool calls (when you passed ``tools``). The message can go back into
    ``messages`` as it is (``parsed`` is not sent).
    """

    __slots__ = ("parsed",)
    parsed: T

    def __repr__(self) -> str:
        return f"{AssistantMessage.__repr__(self)[:-1]}, parsed={self.parsed!r})"


class ParsedChatCompletionChoice(ChatCompletionChoice, Generic[T]):
    """A choice whose ``message`` is a :class:`ParsedAssistantMessage`."""

    __slots__ = ()
    message: ParsedAssistantMessage[T]


class ParsedChatCompletion(ChatCompletionResponse, Generic[T]):
    """A :class:`ChatCompletionResponse` (every field kept) whose choices' messages carry
    ``parsed``: ``completion.choices[0].message.parsed``."""

    __slots__ = ()
    choices: list[ParsedChatCompletionChoice[T]]  # type: ignore[assignment]


def _upgrade(obj: Any, cls: type[Any]) -> Any:
    """A copy of attrs object ``obj`` as its subclass ``cls`` (fields shared, not copied)."""
    new = object.__new__(cls)
    for field in attrs.fields(type(obj)):
        object.__setattr__(new, field.name, getattr(obj, field.name))
    return new


def parse_completion(completion: ChatCompletionResponse, spec: OutputSpec) -> Any:
    """``completion`` as a :class:`ParsedChatCompletion`: each choice's text parsed.

    Raises :class:`OutputTruncatedError` for a choice cut at the token limit, and
    :class:`OutputParseError` for text that is not JSON of the type.
    """
    result = _upgrade(completion, ParsedChatCompletion)
    choices = []
    for choice in completion.choices:
        message = _upgrade(choice.message, ParsedAssistantMessage)
        text = message.text
        if choice.finish_reason in ("length", "model_length"):
            raise OutputTruncatedError(
                f"the answer was cut off at the token limit (finish_reason "
                f"{choice.finish_reason!r}) before its JSON was complete; nothing was parsed",
                text=text,
                completion=completion,
            )
        if not text and message.tool_calls:
            message.parsed = None  # the model called a tool instead of answering
        else:
            message.parsed = spec.parse(text, completion)
        parsed_choice = _upgrade(choice, ParsedChatCompletionChoice)
        parsed_choice.message = message
        choices.append(parsed_choice)
    result.choices = choices
    return result


# ------------------------------------------------------------------------------ streaming


class ParsedChunk:
    """One event of :meth:`~mistral_async.resources.chat.AsyncChat.parse_stream`.

    ``chunk`` is the :class:`CompletionChunk` as received; ``snapshot`` the text of its
    choice so far; ``partial`` that text parsed as far as it goes (a dict growing key by
    key; strings may be incomplete), ``None`` before the first ``{``.
    """

    __slots__ = ("_partial", "chunk", "snapshot")
    _UNSET: Any = object()

    def __init__(self, chunk: CompletionChunk, snapshot: str) -> None:
        self.chunk = chunk
        self.snapshot = snapshot
        self._partial: Any = ParsedChunk._UNSET

    @property
    def partial(self) -> Any:
        """The JSON received so far, parsed leniently (computed on first access)."""
        if self._partial is ParsedChunk._UNSET:
            try:
                self._partial = parse_partial_json(self.snapshot)
            except ValueError:
                self._partial = None
        return self._partial

    def __repr__(self) -> str:
        return f"ParsedChunk(snapshot={self.snapshot!r})"


class _ChunkFolder:
    """The completion accumulator, fed with :class:`ParsedChunk` events."""

    __slots__ = ("_inner",)

    def __init__(self) -> None:
        self._inner = CompletionAccumulator()

    def add(self, events: Iterable[ParsedChunk]) -> None:
        self._inner.add([e.chunk for e in events])

    def result(self) -> ChatCompletionResponse:
        return self._inner.result()


def chunk_events(cast: Any) -> Any:
    """A stream cast turning each chunk into a :class:`ParsedChunk` (texts kept per choice)."""
    texts: dict[int, str] = {}

    def to_event(data: Any) -> ParsedChunk:
        chunk: CompletionChunk = cast(data)
        first = None
        for choice in chunk.choices:
            piece = choice.delta.text
            text = texts.get(choice.index, "")
            if piece:
                text = texts[choice.index] = text + piece
            if first is None:
                first = text
        return ParsedChunk(chunk, first or "")

    return to_event


class AsyncParsedChatCompletionStream(AsyncStream[ParsedChunk]):
    """A streamed structured output: :class:`ParsedChunk` events, then the parsed whole.

    ``async for event in stream`` gives each chunk with the text so far and the partial
    object; ``await stream.get_final_completion()`` reads the rest and returns the
    :class:`ParsedChatCompletion` (raising :class:`OutputTruncatedError` or
    :class:`OutputParseError` as ``parse`` does).
    """

    _spec: OutputSpec

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fold_into(_ChunkFolder())

    async def get_final_completion(self) -> ParsedChatCompletion[Any]:
        """Read the rest of the stream and return the whole completion, parsed."""
        completion: ChatCompletionResponse = await self._fold_rest()
        result: ParsedChatCompletion[Any] = parse_completion(completion, self._spec)
        return result


# ------------------------------------------------------------------------------ partial JSON

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_MISSING: Any = object()
_LITERALS = {"true": True, "false": False, "null": None}


def parse_partial_json(text: str) -> Any:
    """Parse the beginning of a JSON text: what is complete, plus unfinished strings.

    Unfinished objects and arrays hold what they have so far; a key without its value, a
    number or a literal that may still grow are left out. Raises ``ValueError`` for text
    that is not the start of a JSON value.
    """
    parser = _Partial(text)
    parser.space()
    if parser.i >= len(text):
        return None
    value = parser.value()
    return None if value is _MISSING else value


class _Partial:
    __slots__ = ("i", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def space(self) -> None:
        text, i = self.text, self.i
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        self.i = i

    def at_end(self) -> bool:
        self.space()
        return self.i >= len(self.text)

    def value(self) -> Any:
        text = self.text
        c = text[self.i]
        if c == "{":
            return self.object()
        if c == "[":
            return self.array()
        if c == '"':
            return self.string()[0]
        for word, value in _LITERALS.items():
            rest = text[self.i : self.i + len(word)]
            if rest == word:
                self.i += len(word)
                return value
            if word.startswith(rest) and self.i + len(rest) >= len(text):
                self.i = len(text)
                return _MISSING
        match = _NUMBER.match(text, self.i)
        if match is None:
            if text[self.i :] == "-":
                self.i = len(text)
                return _MISSING
            raise ValueError(f"unexpected {c!r} at {self.i}")
        self.i = match.end()
        if self.i >= len(text):
            return _MISSING  # may go on
        return json.loads(match.group())

    def string(self) -> tuple[str, bool]:
        text = self.text
        i = self.i + 1
        while i < len(text):
            c = text[i]
            if c == "\\":
                i += 2
                continue
            if c == '"':
                raw = text[self.i : i + 1]
                self.i = i + 1
                return json.loads(raw), True
            i += 1
        body = text[self.i + 1 :]
        self.i = len(text)
        # Drop an escape cut in the middle (a lone backslash, a partial \\uXXXX).
        body = re.sub(r"\\(u[0-9a-fA-F]{0,3})?$", "", body)
        try:
            return json.loads(f'"{body}"'), False
        except ValueError:
            return "", False

    def object(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        self.i += 1
        while not self.at_end():
            c = self.text[self.i]
            if c == "}":
                self.i += 1
                return result
            if c == ",":
                self.i += 1
                continue
            if c != '"':
                raise ValueError(f"expected a key at {self.i}")
            key, done = self.string()
            if not done or self.at_end():
                return result
            if self.text[self.i] != ":":
                raise ValueError(f"expected ':' at {self.i}")
            self.i += 1
            if self.at_end():
                return result
            value = self.value()
            if value is not _MISSING:
                result[key] = value
        return result

    def array(self) -> list[Any]:
        result: list[Any] = []
        self.i += 1
        while not self.at_end():
            c = self.text[self.i]
            if c == "]":
                self.i += 1
                return result
            if c == ",":
                self.i += 1
                continue
            value = self.value()
            if value is not _MISSING:
                result.append(value)
        return result


def __getattr__(name: str) -> Any:
    # The conversation parts live apart, so that the chat resource does not load the
    # conversation types; they are still reachable from here.
    if name in ("ParsedConversationResponse", "ParsedMessageOutputEntry", "parse_conversation"):
        from . import parse_conversation as module

        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------------------------ resources


async def request_parsed(
    resource: Any, request_cls: Any, path: str, cast: Any, given: dict[str, Any], options: Any
) -> Any:
    """The ``parse`` of a completion resource (chat, agents): ``given`` are its parameters."""
    from .._response import RawResponse
    from ..resources._base import body_of

    spec = output_spec(given.pop("response_format"))
    given["response_format"] = spec.response_format
    body = body_of(request_cls.validated(**given))
    if resource._client._raw:
        raw = await resource._request("POST", path, cast, options, body=body)
        return RawResponse(
            raw.status_code,
            raw.headers,
            raw.content,
            lambda: parse_completion(raw.parse(), spec),
        )
    completion = await resource._request("POST", path, cast, options, body=body)
    return parse_completion(completion, spec)


def open_parsed_stream(
    resource: Any, request_cls: Any, path: str, chunk: Any, kwargs: dict[str, Any]
) -> AsyncParsedChatCompletionStream:
    """The ``parse_stream`` of a completion resource (chat, agents)."""
    from ..resources._base import body_of, split_options

    options = split_options(kwargs)
    if "response_format" not in kwargs:
        raise TypeError("parse_stream() missing required keyword argument 'response_format'")
    spec = output_spec(kwargs.pop("response_format"))
    body = body_of(
        request_cls.validated(**kwargs, response_format=spec.response_format, stream=True)
    )
    stream: AsyncParsedChatCompletionStream = resource._stream(
        AsyncParsedChatCompletionStream, path, chunk_events(chunk), options, body=body
    )
    stream._spec = spec
    return stream

"""Request validation producing FastAPI/pydantic-shaped 422 error details.

A tiny schema language describes request bodies: :class:`Str`, :func:`Int`, :func:`Float`,
:class:`Bool`, :class:`Null`, :class:`AnyValue`, :class:`Array`, :class:`FreeDict`,
:class:`Dict`, :class:`Model` (with :func:`Body` as a compact top-level form), :class:`Union`,
:func:`nullable`, :class:`Tagged` and :class:`Upload` (a multipart file). For example::

    CREATE_LIBRARY = Body(
        "LibraryIn",
        required={"name": Str(min_length=1)},
        optional={"description": nullable(Str()), "chunk_size": nullable(Int(ge=0))},
    )
    payload, errors = validate(decoded_json, CREATE_LIBRARY)

JSON validation is a little stricter than pydantic's lax mode (no string-to-number or
number-to-bool coercion) so that client bugs surface in tests instead of being silently
accepted. Query strings and form fields are text, so :func:`validate_params` first converts
their values to what the schema expects, as FastAPI does (``"2"`` to ``2``, ``"true"`` to
``True``), reporting ``int_parsing``/``float_parsing``/``bool_parsing`` errors.

The schemas at the bottom mirror the request schemas of the Mistral OpenAPI spec.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._body import UploadedFile

Loc = tuple[str | int, ...]
ErrorDetail = dict[str, Any]

_KIND_LABELS = {
    "null": "none",
    "boolean": "bool",
    "integer": "int",
    "number": "float",
    "string": "str",
    "array": "list",
    "object": "dict",
}


def _kind(value: object) -> str:
    """Return the JSON kind of a decoded JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _error(
    kind: str, loc: Loc, msg: str, value: object, ctx: Mapping[str, Any] | None = None
) -> ErrorDetail:
    """Build one pydantic-style error entry."""
    detail: ErrorDetail = {"type": kind, "loc": list(loc), "msg": msg, "input": value}
    if ctx is not None:
        detail["ctx"] = dict(ctx)
    return detail


def _quoted_choices(choices: Sequence[str]) -> str:
    """Render choices the way pydantic does: ``'a', 'b' or 'c'``."""
    quoted = [repr(c) for c in choices]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


class Schema:
    """Base class of the tiny schema language used to validate request bodies."""

    label = "any"
    kinds: frozenset[str] = frozenset(_KIND_LABELS)

    def check(self, value: object, loc: Loc) -> list[ErrorDetail]:
        """Return the validation errors of ``value`` located at ``loc``."""
        return []


class AnyValue(Schema):
    """Accepts any JSON value."""


class Null(Schema):
    """Accepts only ``null``."""

    label = "none"
    kinds = frozenset({"null"})

    def check(self, value: object, loc: Loc) -> list[ErrorDetail]:
        """Reject everything but ``None``."""
        if value is None:
            return []
        return [_error("none_required", loc, "Input should be None", value)]


class Bool(Schema):
    """A JSON boolean."""

    label = "bool"
    kinds = frozenset({"boolean"})

    def check(self, value: object, loc: Loc) -> list[ErrorDetail]:
        """Reject non-booleans."""
        if isinstance(value, bool):
            return []
        return [_error("bool_type", loc, "Input should be a valid boolean", value)]


class Str(Schema):
    """A JSON string, optionally restricted to an enum or a constant."""

    label = "str"
    kinds = frozenset({"string"})

    def __init__(
        self,
        *,
        enum: Sequence[str] | None = None,
        const: str | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
    ) -> None:
        self.enum = tuple(enum) if enum is not None else None
        self.const = const
        self.min_length = min_length
        self.max_length = max_length

    def check(self, value: object, loc: Loc) -> list[ErrorDetail]:
        """Reject non-strings, values of the wrong length and values outside the enum."""
        if not isinstance(value, str):
            return [_error("string_type", loc, "Input should be a valid string", value)]
        if self.min_length is not None and len(value) < self.min_length:
            plural = "" if self.min_length == 1 else "s"
            msg = f"String should have at least {self.min_length} character{plural}"
            return [_error("string_too_short", loc, msg, value, {"min_length": self.min_length})]
        if self.max_length is not None and len(value) > self.max_length:
            plural = "" if self.max_length == 1 else "s"
            msg = f"String should have at most {self.max_length} character{plural}"
            return [_error("string_too_long", loc, msg, value, {"max_length": self.max_length})]
        if self.const is not None and value != self.const:
            expected = repr(self.const)
            return [
                _error(
                    "literal_error",
                    loc,
                    f"Input should be {expected}",
                    value,
                    {"expected": expected},
                )
            ]
        if self.enum is not None and value not in self.enum:
            expected = _quoted_choices(self.enum)
            return [
                _error("enum", loc, f"Input should be {expected}", value, {"expected": expected})
            ]
        return []


class Number(Schema):
    """A JSON number (``integer=True`` for integers) with optional bounds."""

    def __init__(
        self,
        *,
        integer: bool = False,
        ge: float | None = None,
        gt: float | None = None,
        le: float | None = None,
        lt: float | None = None,
    ) -> None:
        self.integer = integer
        self.label = "int" if integer else "float"
        self.kinds = frozenset({"integer"} if integer else {"integer", "number"})
        candidates = (
            ("greater_than_equal", "ge", "greater than or equal to", ge, operator.ge),
            ("greater_than", "gt", "greater than", gt, operator.gt),
            ("less_than_equal", "le", "less than or equal to", le, operator.le),
            ("less_than", "lt", "less than", lt, operator.lt),
        )
        self.bounds: list[tuple[str, str, str, float, Callable[[float, float], bool]]] = [
            (kind, key, words, bound, op)
            for kind, key, words, bound, op in candidates
            if bound is not None
        ]

    def check(self, value: object, loc: Loc) -> list[ErrorDetail]:
        """Reject non-numbers, fractional integers and out-of-bounds values."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            if self.integer:
                return [_error("int_type", loc, "Input should be a valid integer", value)]
            return [_error("float_type", loc, "Input should be a valid number", value)]
        if self.integer and isinstance(value, float) and not value.is_integer():
            msg = "Input should be a valid integer, got a number with a fractional part"
            return [_error("int_from_float", loc, msg, value)]
        for kind, key, words, bound, holds in self.bounds:
            if not holds(value, bound):
                return [_error(kind, loc, f"Input should be {words} {bound}", value, {key: bound})]
        return []


def Int(
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
) -> Number:
    """A JSON integer with optional bounds."""
    return Number(integer=True, ge=ge, gt=gt, le=le, lt=lt)


def Float(
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
) -> Number:
    """A JSON number (integers accepted) with optional bounds."""
    return Number(ge=ge, gt=gt, le=le, lt=lt)


class Array(Schema):
    """A JSON array whose items all follow ``items``, with optional length bounds."""

    kinds = frozenset({"array"})

    def __init__(
        self, items: Schema, *, min_items: int | None = None, max_items: int | None = None
    ) -> None:
        self.items = items
        self.min_items = min_items
        self.max_items = max_items
        self.label = f"list[{items.label}]"

    def check(self, value: object, loc: Loc) -> list[ErrorDetail]:
        """Check the container then each item (item locations end with the index)."""
        if not isinstance(value, list):
            return [_error("list_type", loc, "Input should be a valid list", value)]
        if self.min_items is not None and len(value) < self.min_items:
            msg = (
                f"List should have at least {self.min_items} item after validation, "
                f"not {len(value)}"
            )
            ctx = {"field_type": "List", "min_length": self.min_items, "actual_length": len(value)}
            return [_error("too_short", loc, msg, value, ctx)]
        if self.max_items is not None and len(value) > self.max_items:
            plural = "" if self.max_items == 1 else "s"
            msg = (
                f"List should have at most {self.max_items} item{plural} after validation, "
                f"not {len(value)}"
            )
            ctx = {"field_type": "List", "max_length": self.max_items, "actual_length": len(value)}
            return [_error("too_long", loc, msg, value, ctx)]
        errors: list[ErrorDetail] = []
        for index, item in enumerate(value):
            errors.extend(self.items.check(item, (*loc, index)))
        return errors


class FreeDict(Schema):
    """A JSON object with arbitrary content."""

    label = "dict[str,any]"
    kinds = frozenset({"object"})

    def check(self, value: object, loc: Loc) -> list[ErrorDetail]:
        """Reject non-objects."""
        if isinstance(value, dict):
            return []
        return [_error("dict_type", loc, "Input should be a valid dictionary", value)]


class Dict(Schema):
    """A JSON object mapping arbitrary keys to values that all follow ``values``."""

    kinds = frozenset({"object"})

    def __init__(self, values: Schema) -> None:
        self.values = values
        self.label = f"dict[str,{values.label}]"

    def check(self, value: object, loc: Loc) -> list[ErrorDetail]:
        """Check the container then each value (value locations end with the key)."""
        if not isinstance(value, dict):
            return [_error("dict_type", loc, "Input should be a valid dictionary", value)]
        errors: list[ErrorDetail] = []
        for key, item in value.items():
            errors.extend(self.values.check(item, (*loc, key)))
        return errors


class Upload(Schema):
    """A file part of a ``multipart/form-data`` body (FastAPI's ``UploadFile``)."""

    label = "UploadFile"
    kinds = frozenset({"object"})

    def check(self, value: object, loc: Loc) -> list[ErrorDetail]:
        """Reject anything but an uploaded file."""
        if isinstance(value, UploadedFile):
            return []
        msg = f"Value error, Expected UploadFile, received: {type(value)}"
        return [_error("value_error", loc, msg, value, {"error": {}})]


class Model(Schema):
    """A JSON object with known properties (a pydantic model)."""

    kinds = frozenset({"object"})

    def __init__(
        self,
        name: str,
        properties: Mapping[str, Schema],
        *,
        required: Sequence[str] = (),
        forbid_extra: bool = True,
        top_level: bool = False,
    ) -> None:
        self.label = name
        self.properties = dict(properties)
        self.required = frozenset(required)
        self.forbid_extra = forbid_extra
        self.top_level = top_level

    def check(self, value: object, loc: Loc) -> list[ErrorDetail]:
        """Report field errors in declaration order, then missing and extra fields."""
        if not isinstance(value, dict):
            if self.top_level:
                msg = "Input should be a valid dictionary or object to extract fields from"
                return [_error("model_attributes_type", loc, msg, value)]
            msg = f"Input should be a valid dictionary or instance of {self.label}"
            return [_error("model_type", loc, msg, value, {"class_name": self.label})]
        errors: list[ErrorDetail] = []
        for name, schema in self.properties.items():
            if name in value:
                errors.extend(schema.check(value[name], (*loc, name)))
            elif name in self.required:
                errors.append(_error("missing", (*loc, name), "Field required", value))
        if self.forbid_extra:
            for name, item in value.items():
                if name not in self.properties:
                    msg = "Extra inputs are not permitted"
                    errors.append(_error("extra_forbidden", (*loc, name), msg, item))
        return errors


class Union(Schema):
    """Any of several schemas (``anyOf``); a ``Null`` member makes the value nullable."""

    def __init__(self, *members: Schema) -> None:
        self.members = members
        self.label = "union[" + ",".join(m.label for m in members) + "]"
        self.kinds = frozenset().union(*(m.kinds for m in members))

    def check(self, value: object, loc: Loc) -> list[ErrorDetail]:
        """Accept if one member accepts; otherwise report like pydantic's smart union."""
        results = [member.check(value, loc) for member in self.members]
        if any(not errors for errors in results):
            return []
        candidates = [
            (member, errors)
            for member, errors in zip(self.members, results, strict=True)
            if not isinstance(member, Null)
        ]
        if len(candidates) > 1:
            kind = _kind(value)
            matching = [c for c in candidates if kind in c[0].kinds]
            if len(matching) == 1:
                candidates = matching
        if len(candidates) == 1:
            return candidates[0][1]
        errors: list[ErrorDetail] = []
        for member, _ in candidates:
            errors.extend(member.check(value, (*loc, member.label)))
        return errors


class Tagged(Schema):
    """A discriminated union of models selected by the string property ``key``."""

    kinds = frozenset({"object"})

    def __init__(
        self, key: str, mapping: Mapping[str, Schema], *, default: str | None = None
    ) -> None:
        self.key = key
        self.mapping = dict(mapping)
        self.default = default
        self.label = "tagged-union[" + ",".join(m.label for m in self.mapping.values()) + "]"

    def check(self, value: object, loc: Loc) -> list[ErrorDetail]:
        """Dispatch on the tag; branch error locations include the tag like pydantic's."""
        if not isinstance(value, dict):
            msg = "Input should be a valid dictionary or object to extract fields from"
            return [_error("model_attributes_type", loc, msg, value)]
        discriminator = repr(self.key)
        tag = value.get(self.key, self.default)
        if tag is None:
            msg = f"Unable to extract tag using discriminator {discriminator}"
            return [
                _error("union_tag_not_found", loc, msg, value, {"discriminator": discriminator})
            ]
        if not isinstance(tag, str) or tag not in self.mapping:
            expected = ", ".join(repr(t) for t in self.mapping)
            msg = (
                f"Input tag {str(tag)!r} found using {discriminator} does not match any of the "
                f"expected tags: {expected}"
            )
            ctx = {"discriminator": discriminator, "tag": str(tag), "expected_tags": expected}
            return [_error("union_tag_invalid", loc, msg, value, ctx)]
        return self.mapping[tag].check(value, (*loc, tag))


def nullable(schema: Schema) -> Schema:
    """Return ``schema`` or ``null``."""
    return Union(schema, Null())


def Body(
    name: str,
    *,
    required: Mapping[str, Schema] | None = None,
    optional: Mapping[str, Schema] | None = None,
    forbid_extra: bool = True,
) -> Model:
    """A top-level request :class:`Model`, declared as required and optional fields.

    Fields are checked in the order required-then-optional; unknown fields are reported as
    ``extra_forbidden`` unless ``forbid_extra`` is false.
    """
    required = dict(required or {})
    return Model(
        name,
        {**required, **(optional or {})},
        required=list(required),
        forbid_extra=forbid_extra,
        top_level=True,
    )


def validate(value: object, schema: Schema, loc: Loc = ("body",)) -> list[ErrorDetail]:
    """Return the validation errors of an already-decoded ``value`` (empty when valid)."""
    return schema.check(value, loc)


_TRUE_WORDS = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE_WORDS = frozenset({"0", "off", "f", "false", "n", "no"})


def _scalar(schema: Schema) -> Schema:
    """Return the member of a nullable union a text value should be converted for."""
    if isinstance(schema, Union):
        members = [member for member in schema.members if not isinstance(member, Null)]
        if len(members) == 1:
            return _scalar(members[0])
    return schema


def _convert(text: object, schema: Schema, loc: Loc) -> tuple[object, ErrorDetail | None]:
    """Convert one text value (query or form) to what ``schema`` expects, like FastAPI."""
    target = _scalar(schema)
    if not isinstance(text, str):
        return text, None
    if isinstance(target, Number):
        try:
            return (int(text) if target.integer else float(text)), None
        except ValueError:
            if target.integer:
                msg = "Input should be a valid integer, unable to parse string as an integer"
                return text, _error("int_parsing", loc, msg, text)
            msg = "Input should be a valid number, unable to parse string as a number"
            return text, _error("float_parsing", loc, msg, text)
    if isinstance(target, Bool):
        word = text.strip().lower()
        if word in _TRUE_WORDS:
            return True, None
        if word in _FALSE_WORDS:
            return False, None
        msg = "Input should be a valid boolean, unable to interpret input"
        return text, _error("bool_parsing", loc, msg, text)
    return text, None


def validate_params(
    values: Mapping[str, Sequence[object]], schema: Model, root: str
) -> tuple[dict[str, Any], list[ErrorDetail]]:
    """Convert and validate query parameters (``root="query"``) or form fields (``"body"``).

    ``values`` maps each name to all the values received for it. Only the properties of
    ``schema`` are read (other names are ignored, as FastAPI does); an :class:`Array`
    property takes every value, any other the last one. Text is converted first (see the
    module docstring). Returns the converted values present and the errors; a missing
    required field is reported with ``"input": None`` like FastAPI.
    """
    result: dict[str, Any] = {}
    errors: list[ErrorDetail] = []
    for name, field in schema.properties.items():
        given = list(values.get(name) or ())
        loc: Loc = (root, name)
        if not given:
            if name in schema.required:
                errors.append(_error("missing", loc, "Field required", None))
            continue
        target = _scalar(field)
        if isinstance(target, Array):
            items: list[object] = []
            for index, text in enumerate(given):
                item, error = _convert(text, target.items, (*loc, index))
                if error is not None:
                    errors.append(error)
                items.append(item)
            value: object = items
        else:
            value, error = _convert(given[-1], field, loc)
            if error is not None:
                errors.append(error)
                continue
        found = field.check(value, loc)
        if found:
            errors.extend(found)
            continue
        result[name] = value
    return result, errors


# --------------------------------------------------------------------------------------------
# Schemas of the Mistral API requests (see the OpenAPI spec).
# --------------------------------------------------------------------------------------------

_STR = Str()
_NULLABLE_STR = nullable(Str())
_TOOL_TYPES = Str(enum=["function"])

_TEXT_CHUNK = Model("TextChunk", {"type": Str(const="text"), "text": _STR}, required=["text"])
_THINK_CHUNK = Model(
    "ThinkChunk",
    {
        "type": Str(const="thinking"),
        "thinking": Array(FreeDict()),
        "signature": _NULLABLE_STR,
        "closed": Bool(),
    },
    required=["thinking"],
)
_IMAGE_URL = Model(
    "ImageURL",
    {"url": _STR, "detail": nullable(Str(enum=["low", "auto", "high"]))},
    required=["url"],
)
_CONTENT_CHUNK = Tagged(
    "type",
    {
        "text": _TEXT_CHUNK,
        "image_url": Model(
            "ImageURLChunk",
            {"type": Str(const="image_url"), "image_url": Union(_IMAGE_URL, _STR)},
            required=["image_url"],
        ),
        "document_url": Model(
            "DocumentURLChunk",
            {
                "type": Str(const="document_url"),
                "document_url": _STR,
                "document_name": _NULLABLE_STR,
            },
            required=["document_url"],
        ),
        "reference": Model(
            "ReferenceChunk",
            {
                "type": Str(const="reference"),
                "reference_ids": Array(Union(Number(integer=True), _STR)),
            },
            required=["reference_ids"],
        ),
        "file": Model(
            "FileChunk", {"type": Str(const="file"), "file_id": _STR}, required=["file_id"]
        ),
        "thinking": _THINK_CHUNK,
        "input_audio": Model(
            "AudioChunk",
            {"type": Str(const="input_audio"), "input_audio": _STR},
            required=["input_audio"],
        ),
    },
)
_CONTENT = Union(_STR, Null(), Array(_CONTENT_CHUNK))
_TOOL_CALL = Model(
    "ToolCall",
    {
        "id": _STR,
        "type": _TOOL_TYPES,
        "function": Model(
            "FunctionCall",
            {"name": _STR, "arguments": Union(FreeDict(), _STR)},
            required=["name", "arguments"],
        ),
        "index": Number(integer=True),
    },
    required=["function"],
)
_MESSAGE = Tagged(
    "role",
    {
        "system": Model(
            "SystemMessage",
            {
                "role": Str(const="system"),
                "content": Union(
                    _STR, Array(Tagged("type", {"text": _TEXT_CHUNK, "thinking": _THINK_CHUNK}))
                ),
            },
            required=["content"],
        ),
        "user": Model(
            "UserMessage", {"role": Str(const="user"), "content": _CONTENT}, required=["content"]
        ),
        "assistant": Model(
            "AssistantMessage",
            {
                "role": Str(const="assistant"),
                "content": _CONTENT,
                "tool_calls": nullable(Array(_TOOL_CALL)),
                "prefix": Bool(),
            },
        ),
        "tool": Model(
            "ToolMessage",
            {
                "role": Str(const="tool"),
                "content": _CONTENT,
                "tool_call_id": _NULLABLE_STR,
                "name": _NULLABLE_STR,
            },
            required=["content"],
        ),
    },
)
_FUNCTION_TOOL = Model(
    "Tool",
    {
        "type": _TOOL_TYPES,
        "function": Model(
            "Function",
            {"name": _STR, "description": _STR, "strict": Bool(), "parameters": FreeDict()},
            required=["name", "parameters"],
        ),
    },
    required=["function"],
)


def _builtin_tool(name: str, tool_type: str, required: Sequence[str] = ()) -> Model:
    """Build a loosely-checked built-in (server-side) tool schema."""
    properties: dict[str, Schema] = {
        "type": Str(enum=[tool_type]),
        "tool_configuration": nullable(FreeDict()),
    }
    for field in required:
        properties[field] = AnyValue()
    return Model(name, properties, required=required, forbid_extra=False)


_TOOL = Tagged(
    "type",
    {
        "function": _FUNCTION_TOOL,
        "web_search": _builtin_tool("WebSearchTool", "web_search"),
        "web_search_premium": _builtin_tool("WebSearchPremiumTool", "web_search_premium"),
        "code_interpreter": _builtin_tool("CodeInterpreterTool", "code_interpreter"),
        "image_generation": _builtin_tool("ImageGenerationTool", "image_generation"),
        "document_library": _builtin_tool(
            "DocumentLibraryTool", "document_library", ["library_ids"]
        ),
        "connector": _builtin_tool("CustomConnector", "connector", ["connector_id"]),
    },
    default="function",
)
_TOOL_CHOICE = Union(
    Model(
        "ToolChoice",
        {
            "type": _TOOL_TYPES,
            "function": Model("FunctionName", {"name": _STR}, required=["name"]),
        },
        required=["function"],
    ),
    Str(enum=["auto", "none", "any", "required"]),
)
_RESPONSE_FORMAT = Model(
    "ResponseFormat",
    {
        "type": Str(enum=["text", "json_object", "json_schema"]),
        "json_schema": nullable(
            Model(
                "JsonSchema",
                {
                    "name": _STR,
                    "description": _NULLABLE_STR,
                    "schema": FreeDict(),
                    "strict": Bool(),
                },
                required=["name", "schema"],
            )
        ),
    },
)

_SAMPLING: dict[str, Schema] = {
    "model": _STR,
    "temperature": nullable(Number(ge=0, le=1.5)),
    "top_p": nullable(Number(gt=0, le=1)),
    "max_tokens": nullable(Number(integer=True, ge=0)),
    "stream": Bool(),
    "stop": Union(_STR, Array(_STR), Null()),
    "random_seed": nullable(Number(integer=True, ge=0)),
    "metadata": nullable(FreeDict()),
}

CHAT_REQUEST = Model(
    "ChatCompletionRequest",
    {
        **_SAMPLING,
        "messages": Array(_MESSAGE),
        "response_format": _RESPONSE_FORMAT,
        "tools": nullable(Array(_TOOL)),
        "tool_choice": _TOOL_CHOICE,
        "presence_penalty": nullable(Number(ge=-2, le=2)),
        "frequency_penalty": nullable(Number(ge=-2, le=2)),
        "n": nullable(Number(integer=True, ge=1)),
        "prediction": Model("Prediction", {"type": Str(const="content"), "content": _STR}),
        "parallel_tool_calls": Bool(),
        "reasoning_effort": nullable(
            Str(enum=["none", "minimal", "low", "medium", "high", "xhigh"])
        ),
        "prompt_mode": nullable(Str(enum=["reasoning"])),
        "guardrails": nullable(Array(Model("GuardrailConfig", {}, forbid_extra=False))),
        "prompt_cache_key": _NULLABLE_STR,
        "service_tier": nullable(Str(enum=["auto", "standard_only"])),
        "safe_prompt": Bool(),
    },
    required=["messages", "model"],
    top_level=True,
)

FIM_REQUEST = Model(
    "FIMCompletionRequest",
    {
        **_SAMPLING,
        "prompt": _STR,
        "suffix": _NULLABLE_STR,
        "min_tokens": nullable(Number(integer=True, ge=0)),
        "prompt_cache_key": _NULLABLE_STR,
    },
    required=["prompt", "model"],
    top_level=True,
)

EMBEDDING_REQUEST = Model(
    "EmbeddingRequest",
    {
        "model": _STR,
        "metadata": nullable(FreeDict()),
        "input": Union(_STR, Array(_STR)),
        "output_dimension": nullable(Number(integer=True, gt=0)),
        "output_dtype": Str(enum=["float", "int8", "uint8", "binary", "ubinary"]),
        "encoding_format": Str(enum=["float", "base64"]),
    },
    required=["input", "model"],
    top_level=True,
)

UPDATE_MODEL_REQUEST = Model(
    "UpdateModelRequest",
    {"name": _NULLABLE_STR, "description": _NULLABLE_STR},
    forbid_extra=False,
    top_level=True,
)


def parse_json_body(raw: bytes, schema: Schema) -> tuple[Any, list[ErrorDetail]]:
    """Decode and validate a JSON request body.

    Returns the decoded body and the list of errors (empty when valid). Error shapes follow
    FastAPI: an empty body is ``missing`` at ``["body"]``, undecodable JSON is ``json_invalid``
    at ``["body", <position>]``.
    """
    if not raw.strip():
        return None, [_error("missing", ("body",), "Field required", None)]
    try:
        text = raw.decode("utf-8")
        body = json.loads(text)
    except UnicodeDecodeError as exc:
        ctx = {"error": "invalid utf-8"}
        return None, [_error("json_invalid", ("body", exc.start), "JSON decode error", {}, ctx)]
    except json.JSONDecodeError as exc:
        ctx = {"error": exc.msg}
        return None, [_error("json_invalid", ("body", exc.pos), "JSON decode error", {}, ctx)]
    return body, schema.check(body, ("body",))

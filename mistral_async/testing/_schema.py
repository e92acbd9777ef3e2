"""A small JSON-Schema toolkit for the fake server: validate, coerce and synthesize.

It covers the subset of JSON Schema (2020-12, as written by OpenAPI 3.1 documents) that the
Mistral spec uses: ``$ref`` (JSON pointers into a *root* document, e.g. ``#/schemas/Name``),
``type`` (a name or a list, ``"null"`` included), ``properties``, ``required``,
``additionalProperties`` (bool or schema), ``propertyNames``, ``items``, ``prefixItems``,
``enum``, ``const``, ``anyOf``, ``oneOf`` (with OpenAPI's ``discriminator``: only the mapped
branch is checked), ``allOf``, ``minimum``/``maximum``/``exclusiveMinimum``/
``exclusiveMaximum``, ``minLength``/``maxLength``, ``minItems``/``maxItems``,
``uniqueItems``, ``pattern`` and OpenAPI 3.0's ``nullable``. ``format`` is not checked.

Everything here is pure (no I/O) and deterministic:

* :func:`validate` returns FastAPI/pydantic-style error details
  (``{"type", "loc", "msg", "input"}``, plus ``ctx`` where pydantic has one), located under
  the ``loc`` prefix given (``("body",)``, ``("query", "name")``, ``("path", "id")``).
  ``oneOf`` without a discriminator is checked like ``anyOf`` (one valid branch suffices),
  the way pydantic's unions accept input.
* :func:`coerce_text` / :func:`coerce_values` turn query-string text into what a schema
  expects (``"2"`` to ``2``, ``"true"`` to ``True``, repeated keys to a list), like FastAPI.
* :func:`synthesize` builds an instance the schema accepts: ``const``, else a valid
  ``default``, else the first ``enum`` value, else a value of the first non-null type
  (UUIDs for ``format: uuid``, ISO timestamps for ``date-time``, bounds and lengths
  respected, patterns matched), with every required property plus the optional ones whose
  value is simple.
"""

from __future__ import annotations

import functools
import json
import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

__all__ = [
    "ErrorDetail",
    "Loc",
    "coerce_text",
    "coerce_values",
    "is_valid",
    "json_kind",
    "object_properties",
    "resolve",
    "schema_types",
    "synthesize",
    "tag_mapping",
    "validate",
]

Loc = tuple[str | int, ...]
ErrorDetail = dict[str, Any]
Root = Mapping[str, Any]

_EMPTY_ROOT: Final[Mapping[str, Any]] = {}
_NAMESPACE: Final = uuid.UUID("6f1d3c2e-7a4b-4c59-9a2e-3b8f0e6d5a10")
SYNTH_TIMESTAMP: Final = "2026-08-01T12:00:00Z"
"""The ``date-time`` value :func:`synthesize` produces."""

_TRUE_WORDS: Final = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE_WORDS: Final = frozenset({"0", "off", "f", "false", "n", "no"})
_MAX_DEPTH: Final = 6


# ---------------------------------------------------------------------------- basics


def json_kind(value: object) -> str:
    """Return the JSON type name of a decoded JSON value (``"integer"`` for ints)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return "object"


def _fits(kind: str, expected: str) -> bool:
    return kind == expected or (expected == "number" and kind == "integer")


def _same(left: object, right: object) -> bool:
    """JSON equality (``True`` is not ``1``, ``1`` is ``1.0``)."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            _same(a, b) for a, b in zip(left, right, strict=True)
        )
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and left == right


def resolve(ref: str, root: Root) -> Any:
    """Return the target of a local reference (``#/schemas/Name``) in ``root``.

    Raises ``LookupError`` for a reference to nothing.
    """
    if not ref.startswith("#"):
        raise LookupError(f"only local references are supported: {ref!r}")
    node: Any = root
    for segment in ref[1:].split("/")[1:]:
        key = segment.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(key)] if isinstance(node, list) else node[key]
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise LookupError(f"reference to nothing: {ref!r}") from exc
    return node


def _deref(schema: Any, root: Root) -> Any:
    """Follow ``$ref`` chains of a schema that has nothing but the reference."""
    seen = 0
    while isinstance(schema, Mapping) and "$ref" in schema and len(schema) == 1:
        schema = resolve(schema["$ref"], root)
        seen += 1
        if seen > 64:
            raise LookupError("reference cycle")
    return schema


def schema_types(schema: Any, root: Root = _EMPTY_ROOT) -> set[str]:
    """The JSON types a schema may accept (``set()`` when unconstrained)."""
    schema = _deref(schema, root)
    if not isinstance(schema, Mapping):
        return set()
    kinds: set[str] = set()
    declared = schema.get("type")
    if isinstance(declared, str):
        kinds.add(declared)
    elif isinstance(declared, list):
        kinds.update(t for t in declared if isinstance(t, str))
    if "$ref" in schema:
        kinds |= schema_types(resolve(schema["$ref"], root), root)
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key) or ():
            found = schema_types(branch, root)
            if not found:
                return set()
            kinds |= found
    if "const" in schema:
        kinds.add(json_kind(schema["const"]))
    if "enum" in schema and not declared:
        kinds.update(json_kind(value) for value in schema["enum"])
    if schema.get("nullable") is True and kinds:
        kinds.add("null")
    return kinds


def object_properties(schema: Any, root: Root = _EMPTY_ROOT) -> tuple[dict[str, Any], set[str]]:
    """The properties and required names of an object schema (``allOf`` and ``$ref`` merged,
    nullable ``anyOf`` unwrapped)."""
    schema = _deref(schema, root)
    properties: dict[str, Any] = {}
    required: set[str] = set()
    if not isinstance(schema, Mapping):
        return properties, required
    if "$ref" in schema:
        properties, required = object_properties(resolve(schema["$ref"], root), root)
    for part in schema.get("allOf") or ():
        more, needed = object_properties(part, root)
        properties.update(more)
        required |= needed
    branches = [b for b in schema.get("anyOf") or () if schema_types(b, root) != {"null"}]
    if len(branches) == 1:
        more, needed = object_properties(branches[0], root)
        properties.update(more)
        required |= needed
    properties.update(schema.get("properties") or {})
    required.update(schema.get("required") or ())
    return properties, required


# ---------------------------------------------------------------------------- validation


def _error(
    kind: str, loc: Loc, msg: str, value: object, ctx: Mapping[str, Any] | None = None
) -> ErrorDetail:
    detail: ErrorDetail = {"type": kind, "loc": list(loc), "msg": msg, "input": value}
    if ctx is not None:
        detail["ctx"] = dict(ctx)
    return detail


def _choices(values: Sequence[Any]) -> str:
    quoted = [repr(v) for v in values]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


_TYPE_ERRORS: Final = {
    "string": ("string_type", "Input should be a valid string"),
    "integer": ("int_type", "Input should be a valid integer"),
    "number": ("float_type", "Input should be a valid number"),
    "boolean": ("bool_type", "Input should be a valid boolean"),
    "array": ("list_type", "Input should be a valid list"),
    "object": ("dict_type", "Input should be a valid dictionary"),
    "null": ("none_required", "Input should be None"),
}


@functools.lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def validate(
    instance: object, schema: Any, *, root: Root = _EMPTY_ROOT, loc: Loc = ("body",)
) -> list[ErrorDetail]:
    """Return the validation errors of ``instance`` (empty when ``schema`` accepts it).

    ``root`` is the document ``$ref`` pointers are resolved in; ``loc`` prefixes every
    error location.
    """
    return _Validator(root).check(instance, schema, loc)


def is_valid(instance: object, schema: Any, *, root: Root = _EMPTY_ROOT) -> bool:
    """Tell whether ``schema`` accepts ``instance``."""
    return not _Validator(root).check(instance, schema, ())


class _Validator:
    def __init__(self, root: Root) -> None:
        self.root = root

    def check(self, value: object, schema: Any, loc: Loc) -> list[ErrorDetail]:
        if schema is True or schema is None:
            return []
        if schema is False:
            return [_error("value_error", loc, "Value error, no value is allowed here", value)]
        if not isinstance(schema, Mapping):
            return []
        if schema.get("nullable") is True and value is None:
            return []
        errors: list[ErrorDetail] = []
        ref = schema.get("$ref")
        if isinstance(ref, str):
            errors = self.check(value, resolve(ref, self.root), loc)
            if errors:
                return errors
        type_errors = self._type(value, schema, loc)
        if type_errors:
            return type_errors
        if "const" in schema and not _same(value, schema["const"]):
            expected = repr(schema["const"])
            return [_error("literal_error", loc, f"Input should be {expected}", value,
                           {"expected": expected})]  # fmt: skip
        enum = schema.get("enum")
        if isinstance(enum, list) and not any(_same(value, option) for option in enum):
            expected = _choices(enum)
            return [
                _error("enum", loc, f"Input should be {expected}", value, {"expected": expected})
            ]
        if isinstance(value, str):
            errors.extend(self._string(value, schema, loc))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            errors.extend(self._number(value, schema, loc))
        elif isinstance(value, list):
            errors.extend(self._array(value, schema, loc))
        elif isinstance(value, dict):
            errors.extend(self._object(value, schema, loc))
        for part in schema.get("allOf") or ():
            errors.extend(self.check(value, part, loc))
        if "anyOf" in schema:
            errors.extend(self._union(value, schema["anyOf"], loc))
        if "oneOf" in schema:
            discriminator = schema.get("discriminator")
            if isinstance(discriminator, Mapping) and isinstance(value, dict):
                errors.extend(self._tagged(value, schema["oneOf"], discriminator, loc))
            else:
                errors.extend(self._union(value, schema["oneOf"], loc))
        return errors

    # -- keywords

    def _type(self, value: object, schema: Mapping[str, Any], loc: Loc) -> list[ErrorDetail]:
        declared = schema.get("type")
        if declared is None:
            return []
        expected = [declared] if isinstance(declared, str) else list(declared)
        kind = json_kind(value)
        if any(_fits(kind, t) for t in expected):
            return []
        main = next((t for t in expected if t != "null"), "null")
        if main == "integer" and isinstance(value, float):
            msg = "Input should be a valid integer, got a number with a fractional part"
            return [_error("int_from_float", loc, msg, value)]
        if main == "object" and "properties" in schema:
            msg = "Input should be a valid dictionary or object to extract fields from"
            return [_error("model_attributes_type", loc, msg, value)]
        error_type, msg = _TYPE_ERRORS.get(main, ("value_error", f"Input should be {main}"))
        return [_error(error_type, loc, msg, value)]

    @staticmethod
    def _string(value: str, schema: Mapping[str, Any], loc: Loc) -> list[ErrorDetail]:
        low, high = schema.get("minLength"), schema.get("maxLength")
        if isinstance(low, int) and len(value) < low:
            msg = f"String should have at least {low} character{'' if low == 1 else 's'}"
            return [_error("string_too_short", loc, msg, value, {"min_length": low})]
        if isinstance(high, int) and len(value) > high:
            msg = f"String should have at most {high} character{'' if high == 1 else 's'}"
            return [_error("string_too_long", loc, msg, value, {"max_length": high})]
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            compiled = _regex(pattern)
            if compiled is not None and compiled.search(value) is None:
                msg = f"String should match pattern '{pattern}'"
                return [_error("string_pattern_mismatch", loc, msg, value, {"pattern": pattern})]
        return []

    @staticmethod
    def _number(value: float, schema: Mapping[str, Any], loc: Loc) -> list[ErrorDetail]:
        bounds: list[tuple[str, str, str, Callable[[float, float], bool]]] = [
            ("minimum", "greater_than_equal", "greater than or equal to", lambda v, b: v >= b),
            ("exclusiveMinimum", "greater_than", "greater than", lambda v, b: v > b),
            ("maximum", "less_than_equal", "less than or equal to", lambda v, b: v <= b),
            ("exclusiveMaximum", "less_than", "less than", lambda v, b: v < b),
        ]
        keys = {
            "minimum": "ge",
            "exclusiveMinimum": "gt",
            "maximum": "le",
            "exclusiveMaximum": "lt",
        }
        for keyword, kind, words, holds in bounds:
            bound = schema.get(keyword)
            if isinstance(bound, bool) or not isinstance(bound, int | float):
                continue
            if not holds(value, bound):
                msg = f"Input should be {words} {bound}"
                return [_error(kind, loc, msg, value, {keys[keyword]: bound})]
        return []

    def _array(self, value: list[Any], schema: Mapping[str, Any], loc: Loc) -> list[ErrorDetail]:
        low, high = schema.get("minItems"), schema.get("maxItems")
        if isinstance(low, int) and len(value) < low:
            msg = f"List should have at least {low} item{'' if low == 1 else 's'} after validation, not {len(value)}"  # noqa: E501
            ctx = {"field_type": "List", "min_length": low, "actual_length": len(value)}
            return [_error("too_short", loc, msg, value, ctx)]
        if isinstance(high, int) and len(value) > high:
            msg = f"List should have at most {high} item{'' if high == 1 else 's'} after validation, not {len(value)}"  # noqa: E501
            ctx = {"field_type": "List", "max_length": high, "actual_length": len(value)}
            return [_error("too_long", loc, msg, value, ctx)]
        if schema.get("uniqueItems") is True:
            seen = [json.dumps(item, sort_keys=True) for item in value]
            if len(set(seen)) != len(seen):
                return [_error("value_error", loc, "Value error, items must be unique", value)]
        errors: list[ErrorDetail] = []
        prefix = schema.get("prefixItems") or []
        for index, item in enumerate(value):
            if index < len(prefix):
                errors.extend(self.check(item, prefix[index], (*loc, index)))
            elif "items" in schema:
                errors.extend(self.check(item, schema["items"], (*loc, index)))
        return errors

    def _object(
        self, value: dict[str, Any], schema: Mapping[str, Any], loc: Loc
    ) -> list[ErrorDetail]:
        errors: list[ErrorDetail] = []
        properties: Mapping[str, Any] = schema.get("properties") or {}
        required = schema.get("required") or ()
        for name, sub in properties.items():
            if name in value:
                errors.extend(self.check(value[name], sub, (*loc, name)))
        for name in required:
            if name not in value:
                errors.append(_error("missing", (*loc, name), "Field required", value))
        names = schema.get("propertyNames")
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if names is not None:
                errors.extend(self.check(name, names, (*loc, name)))
            if name in properties:
                continue
            if extra is False:
                errors.append(
                    _error("extra_forbidden", (*loc, name), "Extra inputs are not permitted", item)
                )
            elif isinstance(extra, Mapping):
                errors.extend(self.check(item, extra, (*loc, name)))
        return errors

    def _union(self, value: object, branches: Sequence[Any], loc: Loc) -> list[ErrorDetail]:
        results = [(branch, self.check(value, branch, loc)) for branch in branches]
        if any(not errors for _, errors in results):
            return []
        kind = json_kind(value)
        candidates = [r for r in results if schema_types(r[0], self.root) != {"null"}] or results

        def rank(item: tuple[Any, list[ErrorDetail]]) -> tuple[int, int, int]:
            branch, errors = item
            kinds = schema_types(branch, self.root)
            fits = not kinds or any(_fits(kind, t) for t in kinds)
            depth = max(len(e["loc"]) for e in errors)
            return (0 if fits else 1, -depth, len(errors))

        return min(candidates, key=rank)[1]

    def _tagged(
        self,
        value: dict[str, Any],
        branches: Sequence[Any],
        discriminator: Mapping[str, Any],
        loc: Loc,
    ) -> list[ErrorDetail]:
        prop = discriminator.get("propertyName")
        if not isinstance(prop, str):
            return self._union(value, branches, loc)
        mapping = tag_mapping(branches, discriminator, self.root)
        tag = value.get(prop)
        if tag is None:
            if not self._union(value, branches, loc):
                return []  # the tag has a default
            msg = f"Unable to extract tag using discriminator {prop!r}"
            return [_error("union_tag_not_found", loc, msg, value, {"discriminator": repr(prop)})]
        branch = mapping.get(tag) if isinstance(tag, str) else None
        if branch is None:
            expected = ", ".join(repr(t) for t in mapping)
            msg = (
                f"Input tag {str(tag)!r} found using {prop!r} does not match any of the "
                f"expected tags: {expected}"
            )
            ctx = {"discriminator": repr(prop), "tag": str(tag), "expected_tags": expected}
            return [_error("union_tag_invalid", loc, msg, value, ctx)]
        return self.check(value, branch, (*loc, tag))


def tag_mapping(
    branches: Sequence[Any], discriminator: Mapping[str, Any], root: Root
) -> dict[str, Any]:
    """Map each discriminator value to its branch: the explicit ``mapping``, then the
    ``const``/single ``enum``/``default`` of each branch's tag property."""
    prop = discriminator.get("propertyName")
    found: dict[str, Any] = {}
    explicit = discriminator.get("mapping") or {}
    for tag, ref in explicit.items():
        found[str(tag)] = {"$ref": ref}
    for branch in branches:
        properties, _ = object_properties(branch, root)
        sub = _deref(properties.get(str(prop)), root)
        if not isinstance(sub, Mapping):
            continue
        tags: list[Any] = []
        if "const" in sub:
            tags = [sub["const"]]
        elif isinstance(sub.get("enum"), list):
            tags = list(sub["enum"])
        elif "default" in sub:
            tags = [sub["default"]]
        for tag in tags:
            if isinstance(tag, str):
                found.setdefault(tag, branch)
    return found


# ---------------------------------------------------------------------------- coercion


def _scalar_types(schema: Any, root: Root) -> set[str]:
    kinds = schema_types(schema, root)
    return kinds - {"null"}


def coerce_text(text: str, schema: Any, root: Root = _EMPTY_ROOT) -> object:
    """Convert one query/header text value to what ``schema`` expects, as FastAPI would.

    Values that do not convert are returned unchanged (validation then reports them).
    """
    kinds = _scalar_types(schema, root)
    if not kinds or kinds <= {"string", "array", "object"}:
        return text
    if "integer" in kinds:
        try:
            return int(text)
        except ValueError:
            pass
    if "number" in kinds:
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            if math.isfinite(number):
                return number
    if "boolean" in kinds:
        word = text.strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    if "null" in schema_types(schema, root) and text == "":
        return None
    return text


def _parse_error(text: str, schema: Any, root: Root, loc: Loc) -> ErrorDetail | None:
    """The ``*_parsing`` error FastAPI reports for text that does not convert."""
    kinds = _scalar_types(schema, root)
    if "string" in kinds:
        return None
    if kinds == {"integer"}:
        msg = "Input should be a valid integer, unable to parse string as an integer"
        return _error("int_parsing", loc, msg, text)
    if kinds <= {"integer", "number"} and kinds:
        msg = "Input should be a valid number, unable to parse string as a number"
        return _error("float_parsing", loc, msg, text)
    if kinds == {"boolean"}:
        msg = "Input should be a valid boolean, unable to interpret input"
        return _error("bool_parsing", loc, msg, text)
    return None


def _array_items(schema: Any, root: Root) -> Any | None:
    """The ``items`` schema if ``schema`` is (a nullable) array, else ``None``."""
    schema = _deref(schema, root)
    if not isinstance(schema, Mapping):
        return None
    if schema.get("type") == "array" or (
        isinstance(schema.get("type"), list) and "array" in schema["type"]
    ):
        return schema.get("items", True)
    if "$ref" in schema:
        return _array_items(resolve(schema["$ref"], root), root)
    for key in ("anyOf", "oneOf"):
        for branch in schema.get(key) or ():
            found = _array_items(branch, root)
            if found is not None:
                return found
    return None


def coerce_values(
    values: Sequence[str], schema: Any, root: Root = _EMPTY_ROOT, loc: Loc = ("query",)
) -> tuple[object, list[ErrorDetail]]:
    """Convert every text value received for one parameter and validate the result.

    An array schema takes every value (``?tag=a&tag=b``), any other the last one. Returns
    the converted value and the errors (parse errors first, then schema errors).
    """
    items = _array_items(schema, root)
    if items is not None and ("string" not in _scalar_types(schema, root) or len(values) != 1):
        converted: list[object] = []
        errors: list[ErrorDetail] = []
        for index, text in enumerate(values):
            item = coerce_text(text, items, root)
            if item is text and (error := _parse_error(text, items, root, (*loc, index))):
                errors.append(error)
            converted.append(item)
        if errors:
            return converted, errors
        return converted, validate(converted, schema, root=root, loc=loc)
    text = values[-1]
    value = coerce_text(text, schema, root)
    if value is text and (error := _parse_error(text, schema, root, loc)):
        return text, [error]
    return value, validate(value, schema, root=root, loc=loc)


# ---------------------------------------------------------------------------- synthesis


def synthesize(schema: Any, *, root: Root = _EMPTY_ROOT, seed: str = "") -> Any:
    """Build a deterministic instance that ``schema`` accepts.

    ``seed`` varies the generated UUIDs (they are derived from it and the location).
    Raises ``ValueError`` when no instance could be built.
    """
    return _Synth(root, seed).build(schema, "$", 0)


class _Synth:
    def __init__(self, root: Root, seed: str) -> None:
        self.root = root
        self.seed = seed
        self.validator = _Validator(root)

    def ok(self, value: object, schema: Any) -> bool:
        return not self.validator.check(value, schema, ())

    def build(self, schema: Any, where: str, depth: int) -> Any:
        if schema is True or schema is None or schema == {}:
            return {} if depth == 0 else "value"
        if not isinstance(schema, Mapping):
            raise ValueError(f"cannot synthesize an instance of {schema!r}")
        if "const" in schema:
            return schema["const"]
        default = schema.get("default")
        if default is not None and self.ok(default, schema):
            return default
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return next((v for v in enum if v is not None and self.ok(v, schema)), enum[0])
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = resolve(ref, self.root)
            value = self.build(target, where, depth)
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            if not rest or self.ok(value, rest):
                return value
        if "allOf" in schema and "type" not in schema and "properties" not in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                piece = self.build(part, where, depth)
                if not isinstance(piece, dict):
                    return piece
                merged.update(piece)
            return merged
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self._union(schema, key, where, depth)
        kinds = schema.get("type")
        if isinstance(kinds, list):
            kind = next((k for k in kinds if k != "null"), "null")
        elif isinstance(kinds, str):
            kind = kinds
        elif "properties" in schema or "additionalProperties" in schema:
            kind = "object"
        elif "items" in schema or "prefixItems" in schema:
            kind = "array"
        else:
            return "value"
        return self._typed(kind, schema, where, depth)

    def _union(self, schema: Mapping[str, Any], key: str, where: str, depth: int) -> Any:
        branches = list(schema[key])
        discriminator = schema.get("discriminator")
        if isinstance(discriminator, Mapping):
            mapped = list(tag_mapping(branches, discriminator, self.root).values())
            branches = mapped + [b for b in branches if b not in mapped]
        nulls = [b for b in branches if schema_types(b, self.root) == {"null"}]
        others = [b for b in branches if b not in nulls]
        order = (nulls + others) if depth > _MAX_DEPTH else (others + nulls)
        fallback: Any = None
        found = False
        for branch in order:
            try:
                value = self.build(branch, where, depth)
            except (ValueError, RecursionError, LookupError):
                continue
            if not found:
                fallback, found = value, True
            if self.ok(value, schema):
                return value
        if found:
            return fallback
        raise ValueError(f"cannot synthesize an instance at {where}")

    def _typed(self, kind: str, schema: Mapping[str, Any], where: str, depth: int) -> Any:
        if kind == "null":
            return None
        if kind == "boolean":
            return False
        if kind in ("integer", "number"):
            return self._number(kind, schema)
        if kind == "string":
            return self._string(schema, where)
        if kind == "array":
            return self._array(schema, where, depth)
        return self._object(schema, where, depth)

    @staticmethod
    def _number(kind: str, schema: Mapping[str, Any]) -> int | float:
        value: float = 0
        low, high = schema.get("minimum"), schema.get("maximum")
        above, below = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if isinstance(low, int | float) and value < low:
            value = low
        if isinstance(above, int | float) and value <= above:
            value = above + 1 if kind == "integer" else above + (1 if below is None else 0)
            if isinstance(below, int | float) and value >= below:
                value = (above + below) / 2
        if isinstance(high, int | float) and value > high:
            value = high
        if isinstance(below, int | float) and value >= below:
            value = below - 1 if kind == "integer" else below / 2 if below > 0 else below - 1
        if kind == "integer":
            return math.ceil(value) if isinstance(low, int | float) else int(value)
        return float(value)

    def _string(self, schema: Mapping[str, Any], where: str) -> str:
        fmt = schema.get("format")
        value = {
            "uuid": str(uuid.uuid5(_NAMESPACE, f"{self.seed}{where}")),
            "date-time": SYNTH_TIMESTAMP,
            "date": SYNTH_TIMESTAMP[:10],
            "time": SYNTH_TIMESTAMP[11:19],
            "duration": "PT1S",
            "email": "user@example.com",
            "uri": "https://example.com/",
            "url": "https://example.com/",
            "binary": "",
            "byte": "",
            "password": "password",
        }.get(fmt if isinstance(fmt, str) else "", "string")
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            value = _matching(pattern, value)
        low, high = schema.get("minLength"), schema.get("maxLength")
        if isinstance(low, int) and len(value) < low:
            value = (value or "x") * (low // max(1, len(value)) + 1)
            value = value[: max(low, 1)]
        if isinstance(high, int) and len(value) > high:
            value = value[:high]
        return value

    def _array(self, schema: Mapping[str, Any], where: str, depth: int) -> list[Any]:
        prefix = schema.get("prefixItems") or []
        items = schema.get("items", True)
        low = schema.get("minItems")
        count = low if isinstance(low, int) else 0
        if count == 0 and depth < 2 and items is not True and prefix == []:
            count = 1
        high = schema.get("maxItems")
        if isinstance(high, int):
            count = min(count, high)
        result = [self.build(sub, f"{where}[{i}]", depth + 1) for i, sub in enumerate(prefix)]
        while len(result) < count:
            try:
                result.append(self.build(items, f"{where}[{len(result)}]", depth + 1))
            except (ValueError, RecursionError, LookupError):
                if isinstance(low, int) and len(result) < low:
                    raise
                break
        if schema.get("uniqueItems") is True and len(result) > 1:
            result = result[:1]
        if result and not self.ok(result, schema) and not (isinstance(low, int) and low > 0):
            return []
        return result

    def _object(self, schema: Mapping[str, Any], where: str, depth: int) -> dict[str, Any]:
        properties: Mapping[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        result: dict[str, Any] = {}
        for name, sub in properties.items():
            if name in required:
                result[name] = self.build(sub, f"{where}.{name}", depth + 1)
            elif depth <= _MAX_DEPTH and _simple(sub, self.root):
                try:
                    value = self.build(sub, f"{where}.{name}", depth + 1)
                except (ValueError, RecursionError, LookupError):
                    continue
                if self.ok(value, sub):
                    result[name] = value
        for name in sorted(required - set(result)):
            result[name] = "value"
        return result


def _simple(schema: Any, root: Root) -> bool:
    """Whether an optional property gets a value: scalars (nullable or not), enums, consts."""
    schema = _deref(schema, root)
    if not isinstance(schema, Mapping):
        return False
    if "const" in schema or "enum" in schema:
        return True
    kinds = schema_types(schema, root)
    return bool(kinds) and kinds <= {"string", "integer", "number", "boolean", "null"}


# ---------------------------------------------------------------------------- patterns


_PATTERN_GUESSES: Final = (
    "string",
    "en",
    "0",
    "1",
    "a",
    "abc",
    "key:value",
    "0123456789abcdef0123456789abcdef",
    "0123456789abcdef",
)


def _matching(pattern: str, preferred: str) -> str:
    """A string that ``pattern`` matches: ``preferred`` if it does, else a guess or one
    generated from the pattern."""
    compiled = _regex(pattern)
    if compiled is None or compiled.search(preferred):
        return preferred
    for guess in (*_PATTERN_GUESSES, _generate(pattern)):
        if guess is not None and compiled.search(guess):
            return guess
    return preferred


def _generate(pattern: str) -> str | None:
    """Generate a short string from a simple regular expression (``None`` if too complex)."""
    try:
        text, _ = _sequence(pattern.removeprefix("^").removesuffix("$"), 0)
    except (IndexError, ValueError):
        return None
    return text


def _sequence(pattern: str, pos: int) -> tuple[str, int]:
    out: list[str] = []
    while pos < len(pattern) and pattern[pos] not in "|)":
        atom, pos = _atom(pattern, pos)
        low, pos = _quantifier(pattern, pos)
        out.append(atom * low)
    if pos < len(pattern) and pattern[pos] == "|":  # keep the first alternative
        depth = 0
        while pos < len(pattern) and not (pattern[pos] == ")" and depth == 0):
            depth += {"(": 1, ")": -1}.get(pattern[pos], 0)
            pos += 1
    return "".join(out), pos


def _atom(pattern: str, pos: int) -> tuple[str, int]:
    char = pattern[pos]
    if char == "(":
        pos += 1
        if pattern.startswith("?:", pos):
            pos += 2
        text, pos = _sequence(pattern, pos)
        return text, pos + 1
    if char == "[":
        end = pattern.index("]", pos + 2)
        return _class_char(pattern[pos + 1 : end]), end + 1
    if char == "\\":
        code = pattern[pos + 1]
        return {"d": "0", "w": "a", "s": " ", "D": "a", "W": "-", "S": "a"}.get(code, code), pos + 2
    if char == ".":
        return "a", pos + 1
    return char, pos + 1


def _class_char(body: str) -> str:
    negated = body.startswith("^")
    if negated:
        banned = set(body[1:])
        return next(c for c in "a0_-x" if c not in banned and not (c == " " and "\\s" in body))
    if body.startswith("\\"):
        return {"d": "0", "w": "a", "s": " "}.get(body[1], body[1])
    return body[0]


def _quantifier(pattern: str, pos: int) -> tuple[int, int]:
    if pos >= len(pattern):
        return 1, pos
    char = pattern[pos]
    if char in "*?":
        return 0, pos + 1
    if char == "+":
        return 1, pos + 1
    if char == "{":
        end = pattern.index("}", pos)
        low = pattern[pos + 1 : end].split(",")[0]
        return int(low or 0), end + 1
    return 1, pos

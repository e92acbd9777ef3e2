"""A small, deterministic generator of JSON instances that validate against a spec schema.

:meth:`Synth.value` builds one value for a schema (a :class:`~conformance.spec.SchemaRef`):
``const`` and ``enum`` (first value), ``type`` (the first that is not ``null``), formats
(``uuid``, ``date-time``, ``date``, ``uri``, ``duration``...), ``pattern`` (from a few
candidates), ``minLength``/``maxLength``, ``minimum``/``maximum`` (exclusive too),
``minItems``/``maxItems``, ``prefixItems``, ``required``, ``propertyNames``,
``additionalProperties``, ``$ref``, ``allOf`` (merged), ``anyOf``/``oneOf`` (the first branch
that is not ``null`` and gives a value valid against the whole schema), nested objects and
arrays. Objects get every property down to :data:`FULL_DEPTH`, only the required ones
below it, and never a property that would recurse into a schema being built.

The same schema and seed always give the same value. A value that does not validate is a
bug of this generator: :meth:`Synth.checked` says so.
"""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from collections.abc import Mapping
from typing import Any, Final

from .spec import SchemaRef, Spec

__all__ = ["FULL_DEPTH", "Synth", "plain_string"]

FULL_DEPTH: Final = 3
"""Objects nested deeper than this get their required properties only."""

_NAMESPACE: Final = uuid.UUID("6f1c1c1e-2b9a-4c3e-9a55-0d1c3b8f2a10")
_SCALARS: Final = ("string", "integer", "number", "boolean", "object", "array")


def plain_string(spec: Spec, schema: SchemaRef) -> bool:
    """Whether ``schema`` admits any string (a branch of type string with no format,
    pattern, enum or const): a path parameter that may carry characters needing encoding."""
    for branch in spec.branches(schema):
        contents = branch.contents
        if not isinstance(contents, Mapping) or contents.get("type") != "string":
            continue
        if not any(k in contents for k in ("format", "pattern", "enum", "const", "maxLength")):
            return True
    return False


class Synth:
    """Instances of a spec's schemas (see the module's docstring)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    # -- entry points --------------------------------------------------------------------

    def value(self, schema: SchemaRef, seed: str = "x") -> Any:
        """A value valid against ``schema`` (best effort; see :meth:`checked`)."""
        return self._value(schema, seed, 0, ())

    def checked(self, schema: SchemaRef, seed: str, where: str) -> tuple[Any, list[str]]:
        """A value for ``schema`` and, when it does not validate, why (a generator bug)."""
        value = self.value(schema, seed)
        errors = self.spec.errors(schema, value, where)
        return value, [f"synth: {e} (the conformance instance generator's fault)" for e in errors]

    # -- the walk ------------------------------------------------------------------------

    def _valid(self, schema: SchemaRef, value: Any) -> bool:
        if not schema.uri:
            return True
        try:
            return bool(self.spec.validator(schema).is_valid(value))
        except Exception:
            return False

    def _value(self, schema: SchemaRef, seed: str, depth: int, stack: tuple[str, ...]) -> Any:
        if schema.uri and schema.uri in stack:
            return None
        resolved = self.spec.resolve(schema) if schema.uri else schema
        contents = resolved.contents
        if contents is True or not isinstance(contents, Mapping):
            return seed
        stack = (*stack, schema.uri, resolved.uri)
        if "const" in contents:
            return contents["const"]
        if "enum" in contents:
            values = [v for v in contents["enum"] if v is not None]
            return values[0] if values else None
        for keyword in ("oneOf", "anyOf"):
            if keyword in contents:
                return self._choice(resolved, keyword, seed, depth, stack)
        if "allOf" in contents:
            return self._all_of(resolved, seed, depth, stack)
        declared = contents.get("type")
        types = [declared] if isinstance(declared, str) else list(declared or [])
        kind = next((t for t in types if t != "null"), None)
        if kind is None:
            if types == ["null"]:
                return None
            if "properties" in contents or "additionalProperties" in contents:
                kind = "object"
            elif "items" in contents or "prefixItems" in contents:
                kind = "array"
            else:
                return seed  # any value will do
        if kind == "object":
            return self._object(resolved, seed, depth, stack)
        if kind == "array":
            return self._array(resolved, seed, depth, stack)
        if kind == "string":
            return self._string(contents, seed)
        if kind == "integer":
            return int(self._number(contents, integer=True))
        if kind == "number":
            return self._number(contents, integer=False)
        if kind == "boolean":
            return True
        return None

    def _choice(
        self, schema: SchemaRef, keyword: str, seed: str, depth: int, stack: tuple[str, ...]
    ) -> Any:
        branches = schema.contents[keyword]
        order = sorted(range(len(branches)), key=lambda i: self._is_null(schema.child(keyword, i)))
        first: Any = None
        for count, index in enumerate(order):
            candidate = self._value(schema.child(keyword, index), seed, depth, stack)
            if count == 0:
                first = candidate
            if self._valid(schema, candidate):
                return candidate
        return first

    def _is_null(self, schema: SchemaRef) -> bool:
        contents = self.spec.resolve(schema).contents
        return isinstance(contents, Mapping) and contents.get("type") == "null"

    def _all_of(self, schema: SchemaRef, seed: str, depth: int, stack: tuple[str, ...]) -> Any:
        properties, _ = self.spec.properties(schema)
        if properties:
            return self._object(schema, seed, depth, stack)
        branches = schema.contents["allOf"]
        value: Any = None
        for index in range(len(branches)):
            value = self._value(schema.child("allOf", index), seed, depth, stack)
        return value

    def _object(
        self, schema: SchemaRef, seed: str, depth: int, stack: tuple[str, ...]
    ) -> dict[str, Any]:
        properties, required = self.spec.properties(schema)
        result: dict[str, Any] = {}
        for name, prop in properties.items():
            if name not in required and (depth >= FULL_DEPTH or self._recurses(prop, stack)):
                continue
            if name not in required and self.spec.is_binary(prop):
                continue
            value = self._value(prop, name, depth + 1, stack)
            if name in required or self._valid(prop, value):
                result[name] = value  # an optional one no value satisfies is left out
        for name in sorted(required - properties.keys()):
            result[name] = name  # required, but not declared (SharingDelete's "level")
        contents = schema.contents
        extra = contents.get("additionalProperties")
        if not properties and (extra is True or isinstance(extra, Mapping)):
            key = "key"
            names = contents.get("propertyNames")
            if isinstance(names, Mapping):
                key = str(self._value(schema.child("propertyNames"), "key", depth + 1, stack))
            if extra is True:
                result[key] = key
            else:
                entry = schema.child("additionalProperties")
                value = self._value(entry, key, depth + 1, stack)
                if contents.get("minProperties") or self._valid(entry, value):
                    result[key] = value
        return result

    def _recurses(self, schema: SchemaRef, stack: tuple[str, ...]) -> bool:
        """Whether building ``schema`` would enter a schema already being built."""
        seen: set[str] = set()
        pending = [schema]
        while pending:
            current = pending.pop()
            if not current.uri or current.uri in seen:
                continue
            seen.add(current.uri)
            if current.uri in stack:
                return True
            contents = current.contents
            if not isinstance(contents, Mapping):
                continue
            if "$ref" in contents:
                resolved = self.spec.resolve(current)
                if resolved.uri in stack:
                    return True
                pending.append(resolved)
                continue
            for keyword in ("anyOf", "oneOf", "allOf"):
                for index in range(len(contents.get(keyword, ()))):
                    pending.append(current.child(keyword, index))
            if isinstance(contents.get("items"), Mapping):
                pending.append(current.child("items"))
        return False

    def _array(self, schema: SchemaRef, seed: str, depth: int, stack: tuple[str, ...]) -> list[Any]:
        contents = schema.contents
        prefix = contents.get("prefixItems")
        if isinstance(prefix, list):
            return [
                self._value(schema.child("prefixItems", i), f"{seed}{i}", depth + 1, stack)
                for i in range(len(prefix))
            ]
        count = max(int(contents.get("minItems", 1)), 1)
        if "maxItems" in contents:
            count = min(count, int(contents["maxItems"]))
        items = schema.child("items") if isinstance(contents.get("items"), Mapping) else None
        if items is None:
            return [f"{seed}{i}" for i in range(count)]
        if count and self._recurses(items, stack) and not contents.get("minItems"):
            return []
        values = [self._value(items, seed, depth + 1, stack) for _ in range(count)]
        if contents.get("uniqueItems") and count > 1:
            values = [self._value(items, f"{seed}{i}", depth + 1, stack) for i in range(count)]
        return values

    def _string(self, contents: Mapping[str, Any], seed: str) -> str:
        fmt = contents.get("format")
        digest = hashlib.sha256(seed.encode()).hexdigest()
        if fmt == "uuid":
            return str(uuid.uuid5(_NAMESPACE, seed))
        formatted = {
            "date-time": "2026-08-01T12:00:00Z",
            "date": "2026-08-01",
            "time": "12:00:00Z",
            "duration": "PT1H",
            "uri": "https://example.com/" + _slug(seed),
            "url": "https://example.com/" + _slug(seed),
            "email": "someone@example.com",
            "byte": "aGVsbG8=",
            "base64": "aGVsbG8=",
            "binary": "binary",
        }.get(str(fmt))
        candidates = [formatted] if formatted is not None else []
        candidates += [
            _slug(seed) or "value",
            "abc",
            "ab",
            "a:b",
            digest[:32],
            digest[:16],
            "12",
        ]
        pattern = contents.get("pattern")
        minimum = int(contents.get("minLength", 0))
        maximum = contents.get("maxLength")
        for text in candidates:
            if len(text) < minimum:
                text = text + "x" * (minimum - len(text))
            if maximum is not None and len(text) > int(maximum):
                text = text[: int(maximum)]
            if pattern is None or re.search(pattern, text):
                return text
        return candidates[0]

    @staticmethod
    def _number(contents: Mapping[str, Any], *, integer: bool) -> float:
        low = contents.get("minimum")
        high = contents.get("maximum")
        exclusive_low = contents.get("exclusiveMinimum")
        exclusive_high = contents.get("exclusiveMaximum")
        step = 1 if integer else 0.5
        if exclusive_low is not None:
            low = exclusive_low + (1 if integer else min(step, _gap(exclusive_low, high)))
        if exclusive_high is not None:
            high = exclusive_high - (1 if integer else min(step, _gap(low, exclusive_high)))
        value: float
        if low is not None:
            value = low if not integer else math.ceil(low)
        elif high is not None:
            value = min(1 if integer else 0.5, high)
            if integer:
                value = math.floor(value)
        else:
            value = 1 if integer else 0.5
        multiple = contents.get("multipleOf")
        if multiple:
            value = math.ceil(value / multiple) * multiple
        return value


def _gap(low: float | None, high: float | None) -> float:
    if low is None or high is None:
        return 0.5
    return (high - low) / 2


def _slug(seed: str) -> str:
    return re.sub(r"[^0-9A-Za-z_-]+", "-", seed).strip("-")

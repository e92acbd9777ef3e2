"""Python types as JSON schemas, and decoded JSON back into those types.

One module serves structured outputs (``chat.parse``: the schema of ``response_format``,
then the model's JSON turned into that type) and the tool runner (a function's parameters
as a schema, then the model's arguments checked and converted before the call).

Supported types: ``str``, ``int``, ``float``, ``bool``, ``None``, ``Any``; ``list``,
``Sequence``, ``set``, ``frozenset``, ``tuple`` (``tuple[int, ...]`` and fixed ones);
``dict[str, T]``; ``Literal``; :class:`enum.Enum` subclasses; unions and ``Optional``;
``Annotated[T, "description"]``; ``datetime``, ``date``, ``time``, ``UUID``; and
structures: attrs classes, dataclasses, ``TypedDict`` and pydantic models (pydantic is
never imported here: a model is recognised by its ``model_json_schema`` and
``model_validate`` methods). Structures may nest and refer to themselves.

A *strict* schema has every property required (an optional one, a field with a default
or a ``NotRequired`` key, is nullable instead: ``null`` then means "use the default"), no
other properties (``additionalProperties: false``), and the definitions inlined except
for recursive ones, which stay under ``$defs``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import inspect
import json
import re
import types
import typing
import uuid
from collections.abc import Callable, Iterable, Mapping, MutableSequence, Sequence
from typing import Any, Literal, NotRequired, Required

import attrs

from .._errors import InvalidParameterError

__all__ = [
    "Docstring",
    "Field",
    "Invalid",
    "converter_for",
    "fields_converter",
    "format_path",
    "json_schema",
    "object_schema",
    "parse_docstring",
    "to_jsonable",
]

_NONE = type(None)
_UNIONS = (typing.Union, types.UnionType)
_SEQUENCES = (list, Sequence, MutableSequence, Iterable)
_FORMATS: dict[Any, str] = {
    dt.datetime: "date-time",
    dt.date: "date",
    dt.time: "time",
    uuid.UUID: "uuid",
}


# ------------------------------------------------------------------------------ docstrings


@dataclasses.dataclass(frozen=True)
class Docstring:
    """What a docstring says: its ``description`` and one description per parameter."""

    description: str
    params: dict[str, str]


_GOOGLE_PARAMS = frozenset(
    {
        "args",
        "arguments",
        "parameters",
        "params",
        "keyword args",
        "keyword arguments",
        "attributes",
        "other parameters",
    }
)
_GOOGLE_SECTIONS = _GOOGLE_PARAMS | {
    "returns",
    "return",
    "yields",
    "yield",
    "raises",
    "example",
    "examples",
    "note",
    "notes",
    "see also",
    "warning",
    "warnings",
    "todo",
    "references",
}
_GOOGLE_HEADER = re.compile(r"^([A-Za-z][A-Za-z ]*):\s*$")
_GOOGLE_ITEM = re.compile(r"^\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_NUMPY_ITEM = re.compile(r"^\*{0,2}(\w+)\s*(?::.*)?$")
_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")
_REST_FIELD = re.compile(r"^:(\w+)((?:\s+[^:]+?)?)\s*:\s*(.*)$")


def parse_docstring(doc: str | None) -> Docstring:
    """Read a Google, NumPy or reST docstring: the description and the parameters'.

    The description is the text before the first section or field; ``Args:`` /
    ``Parameters`` / ``:param x:`` (and ``Attributes``) give the parameters' descriptions.
    """
    if not doc:
        return Docstring("", {})
    lines = inspect.cleandoc(doc).splitlines()
    params: dict[str, str] = {}
    description: list[str] = []
    i = 0
    end_of_description = False
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        header = _GOOGLE_HEADER.match(stripped)
        underlined = i + 1 < len(lines) and _UNDERLINE.match(lines[i + 1])
        if underlined and stripped.lower() in _GOOGLE_SECTIONS:  # NumPy
            end_of_description = True
            i = _numpy_section(lines, i + 2, stripped.lower() in _GOOGLE_PARAMS, params)
            continue
        if header and header.group(1).lower() in _GOOGLE_SECTIONS and not line[:1].isspace():
            end_of_description = True
            i = _google_section(lines, i + 1, header.group(1).lower() in _GOOGLE_PARAMS, params)
            continue
        field = _REST_FIELD.match(stripped)
        if field:
            end_of_description = True
            i = _rest_field(lines, i, field, params)
            continue
        if not end_of_description:
            description.append(line)
        i += 1
    return Docstring("\n".join(description).strip(), params)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _google_section(lines: list[str], i: int, keep: bool, params: dict[str, str]) -> int:
    base: int | None = None
    name: str | None = None
    while i < len(lines):
        line = lines[i]
        if line.strip() and _indent(line) == 0:
            break
        if not line.strip():
            i += 1
            continue
        if base is None:
            base = _indent(line)
        if _indent(line) <= base:
            item = _GOOGLE_ITEM.match(line.strip())
            name = item.group(1) if item else None
            if keep and item:
                params[name or ""] = item.group(2).strip()
        elif keep and name is not None:
            params[name] = f"{params[name]} {line.strip()}".strip()
        i += 1
    return i


def _numpy_section(lines: list[str], i: int, keep: bool, params: dict[str, str]) -> int:
    name: str | None = None
    while i < len(lines):
        line = lines[i]
        if i + 1 < len(lines) and _UNDERLINE.match(lines[i + 1]) and line.strip():
            break
        if not line.strip():
            i += 1
            continue
        if _indent(line) == 0:
            item = _NUMPY_ITEM.match(line.strip())
            name = item.group(1) if item else None
            if keep and name:
                params[name] = ""
        elif keep and name is not None:
            params[name] = f"{params[name]} {line.strip()}".strip()
        i += 1
    return i


def _rest_field(lines: list[str], i: int, field: re.Match[str], params: dict[str, str]) -> int:
    kind, arg, text = field.group(1), field.group(2).split(), field.group(3).strip()
    i += 1
    while i < len(lines) and lines[i][:1].isspace() and lines[i].strip():
        text = f"{text} {lines[i].strip()}"
        i += 1
    if kind in ("param", "parameter", "arg", "argument", "key", "keyword", "ivar", "var") and arg:
        params[arg[-1].lstrip("*")] = text
    return i


# ------------------------------------------------------------------------------ type helpers


def _unwrap(tp: Any) -> tuple[Any, str | None, bool | None]:
    """``tp`` without ``Annotated``, ``Required`` or ``NotRequired``; its description; and
    whether it is required (``None``: not said)."""
    description = None
    required: bool | None = None
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            args = typing.get_args(tp)
            tp = args[0]
            for meta in args[1:]:
                if isinstance(meta, str):
                    description = meta
                elif isinstance(getattr(meta, "description", None), str):
                    description = meta.description
        elif origin is Required or origin is NotRequired:
            required = origin is Required
            tp = typing.get_args(tp)[0]
        else:
            return tp, description, required


def _accepts_none(tp: Any) -> bool:
    tp = _unwrap(tp)[0]
    if tp is None or tp is _NONE or tp is Any or tp is object:
        return True
    if typing.get_origin(tp) in _UNIONS:
        return any(_accepts_none(a) for a in typing.get_args(tp))
    if typing.get_origin(tp) is Literal:
        return None in typing.get_args(tp)
    return False


def _is_pydantic(tp: Any) -> bool:
    return (
        isinstance(tp, type)
        and callable(getattr(tp, "model_json_schema", None))
        and callable(getattr(tp, "model_validate", None))
    )


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and (
        attrs.has(tp) or dataclasses.is_dataclass(tp) or typing.is_typeddict(tp) or _is_pydantic(tp)
    )


def _type_name(tp: Any) -> str:
    name = getattr(tp, "__name__", None)
    return name if isinstance(name, str) else repr(tp)


@dataclasses.dataclass(frozen=True)
class Field:
    """One property of an object: a structure's field or a function's parameter."""

    key: str  # the JSON property
    kwarg: str  # the constructor's keyword
    tp: Any
    has_default: bool
    description: str | None


def _hints(tp: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(tp, include_extras=True)
    except NameError as exc:
        raise InvalidParameterError(
            _type_name(tp),
            f"cannot resolve the type hints of {_type_name(tp)} ({exc}); define the types "
            "it uses at module level",
        ) from None


def _fields(tp: Any) -> list[Field]:
    """The fields of an attrs class, a dataclass or a TypedDict."""
    hints = _hints(tp)
    documented = parse_docstring(tp.__doc__ if _own_doc(tp) else None).params
    result = []
    if attrs.has(tp):
        for a in attrs.fields(tp):
            if not a.init:
                continue
            given = a.metadata.get("description")
            result.append(
                Field(
                    a.name,
                    a.alias or a.name,
                    hints.get(a.name, Any),
                    a.default is not attrs.NOTHING,
                    given if isinstance(given, str) else documented.get(a.name),
                )
            )
    elif dataclasses.is_dataclass(tp):
        for f in dataclasses.fields(tp):
            if not f.init:
                continue
            given = f.metadata.get("description")
            has_default = (
                f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            )
            result.append(
                Field(
                    f.name,
                    f.name,
                    hints.get(f.name, Any),
                    has_default,
                    given if isinstance(given, str) else documented.get(f.name),
                )
            )
    else:  # TypedDict
        required_keys = tp.__required_keys__
        for name, hint in hints.items():
            _, _, said = _unwrap(hint)
            required = said if said is not None else name in required_keys
            result.append(Field(name, name, hint, not required, documented.get(name)))
    return result


def _own_doc(tp: Any) -> bool:
    """Whether ``tp.__doc__`` was written by someone (dataclasses invent one)."""
    doc = tp.__doc__
    if not doc:
        return False
    if dataclasses.is_dataclass(tp) and doc.startswith(f"{_type_name(tp)}("):
        return False
    return not (typing.is_typeddict(tp) and doc.startswith("dict() ->"))


# ------------------------------------------------------------------------------ schemas


def json_schema(tp: Any, *, strict: bool = True) -> dict[str, Any]:
    """The JSON schema of the Python type ``tp`` (a JSON schema dict is made strict).

    Raises :class:`~mistral_async.InvalidParameterError` for a type it cannot describe.
    """
    if isinstance(tp, Mapping):
        schema = _inline_refs(dict(tp))
        return _strict_dict(schema, "$") if strict else schema
    builder = _Schemas(strict)
    try:
        schema = builder.of(tp, "$")
    except RecursionError:
        raise InvalidParameterError(_type_name(tp), "the type nests too deeply") from None
    if "$ref" in schema and builder.defs:  # the root type is recursive: describe it here
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = dict(builder.defs[name])
    if builder.defs:
        schema["$defs"] = builder.defs
    return schema


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or ``null``."""
    if not schema or _takes_null(schema):
        return schema
    branches = schema.get("anyOf")
    if list(schema) == ["anyOf"] and isinstance(branches, list):
        return {"anyOf": [*branches, {"type": "null"}]}
    described: dict[str, Any] = {k: schema[k] for k in ("description", "title") if k in schema}
    rest = {k: v for k, v in schema.items() if k not in described}
    return {**described, "anyOf": [rest, {"type": "null"}]}


def _takes_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    branches = schema.get("anyOf") or schema.get("oneOf")
    return isinstance(branches, list) and any(
        isinstance(b, dict) and _takes_null(b) for b in branches
    )


class _Schemas:
    """Builds one schema; recursive structures end up in ``defs``."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.defs: dict[str, Any] = {}
        self.names: dict[Any, str] = {}
        self.building: set[Any] = set()
        self.recursive: set[Any] = set()

    def of(self, tp: Any, where: str) -> dict[str, Any]:
        tp, description, _ = _unwrap(tp)
        schema = self._of(tp, where)
        if description:
            schema = {**schema, "description": description}
        return schema

    def _of(self, tp: Any, where: str) -> dict[str, Any]:
        if tp is Any or tp is object:
            return {}
        if tp is None or tp is _NONE:
            return {"type": "null"}
        if tp is bool:
            return {"type": "boolean"}
        if tp is int:
            return {"type": "integer"}
        if tp is float:
            return {"type": "number"}
        if tp is str:
            return {"type": "string"}
        if tp in _FORMATS:
            return {"type": "string", "format": _FORMATS[tp]}
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return _enum_schema([m.value for m in tp])
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is Literal:
            return _enum_schema(list(args))
        if origin in _UNIONS:
            branches = [a for a in args if a is not _NONE]
            if len(branches) == 1:
                schema = self.of(branches[0], where)
            else:
                schema = {"anyOf": [self.of(a, where) for a in branches]}
            return nullable(schema) if len(branches) < len(args) else schema
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return {"type": "array", "items": self.of(args[0], f"{where}[]")}
            items = [self.of(a, f"{where}[{i}]") for i, a in enumerate(args)]
            return {
                "type": "array",
                "prefixItems": items,
                "minItems": len(items),
                "maxItems": len(items),
            }
        if tp in (list, set, frozenset, tuple) or origin in (*_SEQUENCES, set, frozenset):
            item = self.of(args[0], f"{where}[]") if args else {}
            schema = {"type": "array", "items": item}
            if origin in (set, frozenset) or tp in (set, frozenset):
                schema["uniqueItems"] = True
            return schema
        if tp is dict or origin in (dict, Mapping):
            if args and _unwrap(args[0])[0] is not str:
                raise InvalidParameterError(where, f"JSON object keys are strings, not {args[0]}")
            value = self.of(args[1], f"{where}{{}}") if args else {}
            return {"type": "object", "additionalProperties": value}
        if _is_struct(tp):
            return self._named(tp, where)
        raise InvalidParameterError(where, f"cannot describe {tp!r} as a JSON schema")

    def _name(self, tp: Any) -> str:
        name = self.names.get(tp)
        if name is None:
            name = _type_name(tp)
            taken = set(self.names.values())
            n = 2
            while name in taken:
                name = f"{_type_name(tp)}{n}"
                n += 1
            self.names[tp] = name
        return name

    def _named(self, tp: Any, where: str) -> dict[str, Any]:
        ref = {"$ref": f"#/$defs/{self._name(tp)}"}
        if tp in self.building:
            self.recursive.add(tp)
            return ref
        if tp in self.recursive and self._name(tp) in self.defs:
            return ref
        self.building.add(tp)
        try:
            schema = self._struct(tp, where)
        finally:
            self.building.discard(tp)
        if tp in self.recursive:
            self.defs[self._name(tp)] = schema
            return ref
        return schema

    def _struct(self, tp: Any, where: str) -> dict[str, Any]:
        if _is_pydantic(tp):
            return self._adopt(tp.model_json_schema(), where)
        description = parse_docstring(tp.__doc__).description if _own_doc(tp) else ""
        return self.object(_fields(tp), where, description)

    def object(self, fields: list[Field], where: str, description: str = "") -> dict[str, Any]:
        """The schema of an object with these fields."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        for field in fields:
            schema = self.of(field.tp, f"{where}.{field.key}")
            if field.description and "description" not in schema:
                schema = {**schema, "description": field.description}
            if not field.has_default:
                required.append(field.key)
            elif self.strict:
                required.append(field.key)
                if not _accepts_none(field.tp):
                    schema = nullable(schema)
            properties[field.key] = schema
        result: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            result["required"] = required
        result["additionalProperties"] = False
        if description:
            result["description"] = description
        return result

    def _adopt(self, schema: dict[str, Any], where: str) -> dict[str, Any]:
        """A schema made elsewhere (pydantic's): inlined, made strict, recursive defs kept."""
        inlined = _inline_refs(schema)
        defs = inlined.pop("$defs", {})
        for name, sub in defs.items():
            self.defs[name] = _strict_dict(sub, f"{where}:{name}") if self.strict else sub
        return _strict_dict(inlined, where) if self.strict else inlined


def _enum_schema(values: list[Any]) -> dict[str, Any]:
    kinds = {_json_type(v) for v in values}
    if len(values) == 1:
        schema: dict[str, Any] = {"const": values[0]}
    else:
        schema = {"enum": values}
    if len(kinds) == 1:
        (kind,) = kinds
        schema = {"type": kind, **schema}
    return schema


def _json_type(value: Any) -> str:
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
    raise InvalidParameterError("Literal", f"{value!r} is not a JSON scalar")


_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = ("items", "additionalProperties", "not", "contains", "if", "then", "else")
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")


def _children(schema: dict[str, Any], fn: Callable[[Any, str], Any], where: str) -> dict[str, Any]:
    """``schema`` with ``fn`` applied to each of its sub-schemas."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [fn(v, where) for v in value]
        elif key in _SCHEMA_ONE and isinstance(value, dict):
            out[key] = fn(value, where + ("[]" if key == "items" else ""))
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {k: fn(v, f"{where}.{k}") for k, v in value.items()}
        else:
            out[key] = value
    return out


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace local ``$ref`` s by what they point to, except in cycles (kept in ``$defs``)."""
    defs: dict[str, Any] = {}
    for key in ("$defs", "definitions"):
        found = schema.get(key)
        if isinstance(found, dict):
            defs.update({f"#/{key}/{name}": (name, sub) for name, sub in found.items()})
    if not defs:
        return schema
    kept: dict[str, Any] = {}
    stack: list[str] = []

    def expand(node: Any, where: str) -> Any:
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in defs:
            name, target = defs[ref]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            if ref in stack:
                kept[name] = None
                return {"$ref": f"#/$defs/{name}", **rest}
            stack.append(ref)
            try:
                resolved = expand(target, where)
            finally:
                stack.pop()
            if name in kept and kept[name] is None:
                kept[name] = resolved
            return {**resolved, **rest} if isinstance(resolved, dict) else resolved
        # allOf with one $ref, as some generators write a described reference.
        all_of = node.get("allOf")
        if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
            rest = {k: v for k, v in node.items() if k != "allOf"}
            return {**expand(all_of[0], where), **rest}
        return _children(node, expand, where)

    root = {k: v for k, v in schema.items() if k not in ("$defs", "definitions")}
    result: dict[str, Any] = expand(root, "$")
    # A definition first met inside its own cycle is filled in by the outermost expansion.
    for name in list(kept):
        if kept[name] is None:
            ref = next(r for r, (n, _) in defs.items() if n == name)
            stack.append(ref)
            kept[name] = expand(defs[ref][1], "$")
            stack.pop()
    if kept:
        result["$defs"] = kept
    return result


def _strict_dict(schema: Any, where: str) -> Any:
    """A JSON schema made strict: every property required (optional ones nullable), and
    no additional properties on objects that list theirs."""
    if not isinstance(schema, dict):
        return schema
    out = _children(schema, _strict_dict, where)
    properties = out.get("properties")
    if isinstance(properties, dict):
        extra = out.get("additionalProperties", False)
        if extra is not False:
            raise InvalidParameterError(
                "response_format",
                f"a strict schema allows no additional properties, but the object at {where} "
                "does (additionalProperties)",
            )
        required = set(out.get("required") or ())
        out["properties"] = {k: v if k in required else nullable(v) for k, v in properties.items()}
        out["required"] = list(properties)
        out["additionalProperties"] = False
    return out


# ------------------------------------------------------------------------------ conversion


class Invalid(Exception):
    """A value does not fit its type; ``path`` is filled in as the error goes up."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.path: list[str | int] = []  # innermost first

    def where(self) -> str:
        """The JSON path of the bad value: ``$.cities[2].population``."""
        return format_path(reversed(self.path))


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def format_path(parts: Iterable[str | int]) -> str:
    """``$`` followed by ``.key`` and ``[index]`` parts."""
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENT.match(part):
            text += f".{part}"
        else:
            text += f"[{json.dumps(part)}]"
    return text


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({json.dumps(value)})"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


Convert = Callable[[Any], Any]
_CACHE: dict[Any, Convert] = {}


def converter_for(tp: Any) -> Convert:
    """The function turning decoded JSON into a value of ``tp`` (raising :class:`Invalid`).

    Built once per type. Values are checked, not coerced: ``"3"`` is not an ``int``, but
    an integer is a ``float``.
    """
    try:
        found = _CACHE.get(tp)
    except TypeError:  # an unhashable annotation
        return _compile(tp)
    if found is None:
        found = _CACHE[tp] = _compile(tp)
    return found


def _expect(test: Callable[[Any], bool], what: str) -> Convert:
    def convert(value: Any) -> Any:
        if test(value):
            return value
        raise Invalid(f"expected {what}, got {_kind(value)}")

    return convert


def _float(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        return value
    if kind is int:
        return float(value)
    raise Invalid(f"expected a number, got {_kind(value)}")


def _parse_format(tp: Any) -> Convert:
    def convert(value: Any) -> Any:
        if type(value) is not str:
            raise Invalid(f"expected a string ({_FORMATS[tp]}), got {_kind(value)}")
        try:
            return tp(value) if tp is uuid.UUID else tp.fromisoformat(value)
        except ValueError:
            raise Invalid(f"expected a {_FORMATS[tp]} string, got {_kind(value)}") from None

    return convert


def _compile(tp: Any) -> Convert:
    tp = _unwrap(tp)[0]
    if tp is Any or tp is object:
        return _identity
    if tp is None or tp is _NONE:
        return _expect(lambda v: v is None, "null")
    if tp is str:
        return _expect(lambda v: type(v) is str, "a string")
    if tp is bool:
        return _expect(lambda v: type(v) is bool, "a boolean")
    if tp is int:
        return _expect(lambda v: type(v) is int, "an integer")
    if tp is float:
        return _float
    if tp in _FORMATS:
        return _parse_format(tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum(tp)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Literal:
        allowed = [(type(a), a) for a in args]
        shown = ", ".join(json.dumps(a) for a in args)

        def literal(value: Any) -> Any:
            if (type(value), value) in allowed:
                return value
            raise Invalid(f"expected one of {shown}, got {_kind(value)}")

        return literal
    if origin in _UNIONS:
        return _union(args)
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        return _fixed_tuple(args)
    if tp in (list, set, frozenset, tuple) or origin in (*_SEQUENCES, set, frozenset, tuple):
        item = converter_for(args[0]) if args else _identity
        make: Callable[[list[Any]], Any] = list
        if origin in (set, frozenset, tuple) or tp in (set, frozenset, tuple):
            make = origin or tp
        return _array(item, make)
    if tp is dict or origin in (dict, Mapping):
        value = converter_for(args[1]) if args else _identity
        return _object(value)
    if _is_pydantic(tp):
        return _pydantic(tp)
    if _is_struct(tp):
        return _struct(tp)
    raise InvalidParameterError(_type_name(tp), f"cannot convert JSON into {tp!r}")


def _identity(value: Any) -> Any:
    return value


def _enum(tp: type[enum.Enum]) -> Convert:
    shown = ", ".join(json.dumps(m.value) for m in tp)

    def convert(value: Any) -> Any:
        try:
            return tp(value)
        except ValueError:
            raise Invalid(f"expected one of {shown}, got {_kind(value)}") from None

    return convert


def _union(args: tuple[Any, ...]) -> Convert:
    none_ok = _NONE in args
    branches = [converter_for(a) for a in args if a is not _NONE]
    names = " | ".join(_type_name(_unwrap(a)[0]) for a in args)

    def convert(value: Any) -> Any:
        if value is None and none_ok:
            return None
        best: Invalid | None = None
        for branch in branches:
            try:
                return branch(value)
            except Invalid as exc:
                if best is None or len(exc.path) > len(best.path):
                    best = exc
        if best is not None and (len(branches) == 1 or best.path):
            raise best
        raise Invalid(f"expected {names}, got {_kind(value)}")

    return convert


def _array(item: Convert, make: Callable[[list[Any]], Any]) -> Convert:
    def convert(value: Any) -> Any:
        if type(value) is not list:
            raise Invalid(f"expected an array, got {_kind(value)}")
        if item is _identity:
            return make(value) if make is not list else value
        out = []
        for i, x in enumerate(value):
            try:
                out.append(item(x))
            except Invalid as exc:
                exc.path.append(i)
                raise
        return out if make is list else make(out)

    return convert


def _fixed_tuple(args: tuple[Any, ...]) -> Convert:
    items = [converter_for(a) for a in args]

    def convert(value: Any) -> Any:
        if type(value) is not list or len(value) != len(items):
            raise Invalid(f"expected an array of {len(items)} items, got {_kind(value)}")
        out = []
        for i, (fn, x) in enumerate(zip(items, value, strict=True)):
            try:
                out.append(fn(x))
            except Invalid as exc:
                exc.path.append(i)
                raise
        return tuple(out)

    return convert


def _object(item: Convert) -> Convert:
    def convert(value: Any) -> Any:
        if type(value) is not dict:
            raise Invalid(f"expected an object, got {_kind(value)}")
        if item is _identity:
            return value
        out = {}
        for k, x in value.items():
            try:
                out[k] = item(x)
            except Invalid as exc:
                exc.path.append(k)
                raise
        return out

    return convert


def _struct(tp: Any) -> Convert:
    """Convert an object into an attrs class, a dataclass or a TypedDict.

    The fields are read on first use, so that a structure may contain itself.
    """
    convert: Convert | None = None
    make: Callable[..., Any] = (lambda **kw: kw) if typing.is_typeddict(tp) else tp

    def lazy(value: Any) -> Any:
        nonlocal convert
        if convert is None:
            convert = fields_converter(_fields(tp), _type_name(tp), make)
        return convert(value)

    return lazy


def fields_converter(fields: list[Field], name: str, make: Callable[..., Any]) -> Convert:
    """Convert an object with these fields: checked, then ``make(**values)``.

    A missing field without a default, an unknown field or a value that does not fit
    raises :class:`Invalid`; ``null`` for a field with a default that does not take
    ``None`` means the default (a strict schema sends it for an omitted value).
    """
    plan = [
        (f.key, f.kwarg, converter_for(f.tp), f.has_default, _accepts_none(f.tp), _as_is(f.tp))
        for f in fields
    ]
    known = frozenset(f.key for f in fields)

    def convert(value: Any) -> Any:
        if type(value) is not dict:
            raise Invalid(f"expected an object ({name}), got {_kind(value)}")
        if not value.keys() <= known:
            extra = sorted(value.keys() - known)
            raise Invalid(f"unexpected field{'s' if len(extra) > 1 else ''} {', '.join(extra)}")
        kwargs: dict[str, Any] = {}
        for key, kwarg, fn, has_default, none_ok, as_is in plan:
            if key in value:
                x = value[key]
                if x is None and has_default and not none_ok:
                    continue  # a strict schema's null: the default applies
                if x.__class__ in as_is:  # a JSON scalar the type takes unchanged
                    kwargs[kwarg] = x
                    continue
                try:
                    kwargs[kwarg] = fn(x)
                except Invalid as exc:
                    exc.path.append(key)
                    raise
            elif not has_default:
                raise Invalid(f"missing required field {key!r}")
        try:
            return make(**kwargs)
        except (TypeError, ValueError) as exc:  # the class's own validators
            raise Invalid(f"{name}: {exc}") from exc

    return convert


_AS_IS: dict[Any, frozenset[type]] = {
    str: frozenset({str}),
    int: frozenset({int}),
    bool: frozenset({bool}),
    float: frozenset({float}),
    _NONE: frozenset({_NONE}),
    None: frozenset({_NONE}),
}


def _as_is(tp: Any) -> frozenset[type]:
    """The classes of JSON values that ``tp`` takes unchanged (a fast path of the checks)."""
    tp = _unwrap(tp)[0]
    try:
        found = _AS_IS.get(tp)
    except TypeError:
        return frozenset()
    if found is not None:
        return found
    if typing.get_origin(tp) in _UNIONS:
        parts = [_AS_IS.get(_unwrap(a)[0]) for a in typing.get_args(tp)]
        if all(p is not None for p in parts):
            return frozenset().union(*parts)  # type: ignore[arg-type]
    return frozenset()


def object_schema(fields: list[Field], *, strict: bool, description: str = "") -> dict[str, Any]:
    """The JSON schema of an object with these fields (a function's parameters...)."""
    builder = _Schemas(strict)
    schema = builder.object(fields, "$", description)
    if builder.defs:
        schema["$defs"] = builder.defs
    return schema


def _pydantic_nulls(tp: Any) -> Callable[[Any], Any]:
    """Drop the ``null`` s a strict schema made the model send for fields with defaults
    that do not take ``None`` (pydantic would refuse them), at any depth of models."""
    fields = getattr(tp, "model_fields", {})
    plan: list[tuple[str, bool, list[Any]]] = []
    for name, info in fields.items():
        key = getattr(info, "alias", None) or name
        annotation = getattr(info, "annotation", Any)
        drop = not info.is_required() and not _accepts_none(annotation)
        plan.append((key, drop, _models_in(annotation)))

    def clean(value: Any) -> Any:
        if type(value) is not dict:
            return value
        out = dict(value)
        for key, drop, models in plan:
            if key not in out:
                continue
            if out[key] is None and drop:
                del out[key]
            elif models:
                out[key] = _clean_nested(out[key], models)
        return out

    return clean


def _models_in(annotation: Any) -> list[Any]:
    annotation = _unwrap(annotation)[0]
    if _is_pydantic(annotation):
        return [annotation]
    found = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def _clean_nested(value: Any, models: list[Any]) -> Any:
    if type(value) is list:
        return [_clean_nested(v, models) for v in value]
    if type(value) is dict and len(models) == 1:
        return _pydantic_nulls(models[0])(value)
    return value


def _pydantic(tp: Any) -> Convert:
    clean: Callable[[Any], Any] | None = None

    def convert(value: Any) -> Any:
        nonlocal clean
        if clean is None:
            clean = _pydantic_nulls(tp)
        try:
            return tp.model_validate(clean(value))
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            errors = getattr(exc, "errors", None)
            details = errors() if callable(errors) else []
            if not details:
                raise Invalid(str(exc)) from exc
            first = details[0]
            error = Invalid(str(first.get("msg", exc)))
            error.path.extend(reversed([p for p in first.get("loc", ()) if p != "__root__"]))
            raise error from exc

    return convert


# ------------------------------------------------------------------------------ back to JSON


def to_jsonable(value: Any) -> Any:
    """A value made of JSON types: attrs, dataclasses, pydantic models, enums, dates..."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if attrs.has(type(value)):
        return to_jsonable(attrs.asdict(value, recurse=False))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    return str(value)

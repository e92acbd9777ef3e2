"""The Mistral OpenAPI spec, as the conformance tests see it.

:func:`load_spec` reads the two spec copies beside this file (``mistral-openapi.yaml``, the
August 2026 edition, and ``mistral-openapi-2026-07.yaml`` for the five fine-tuning job
operations the August edition dropped), fixes the known quirks (see ``SPEC-README.md``),
registers each document as one JSON-Schema resource and lists every operation (its group is
its first tag: ``chat``, ``beta.admin.users``...), with their ``$ref``s (parameters, request
bodies, responses, examples) resolved.

Schemas are validated with ``jsonschema``'s Draft 2020-12 validator over a ``referencing``
registry, so a schema anywhere in a document (``#/components/schemas/X``, or an inline
schema under ``#/paths/...``) is validated in place, its ``$ref``s resolved against its own
document. OpenAPI's ``discriminator`` is honoured: when an instance carries a mapped
discriminator value, only the mapped schema is checked (a clearer error than "not valid
under any of the given schemas"); otherwise ``oneOf``/``anyOf`` apply as usual.

Parsing 1.7 MB of YAML takes seconds (tens of seconds without libyaml), so the parsed
documents are cached as JSON in the temporary directory, keyed by the files' SHA-256.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Final
from urllib.parse import quote, unquote

import referencing
import referencing.jsonschema
import yaml
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

__all__ = [
    "MediaType",
    "Operation",
    "Parameter",
    "SchemaRef",
    "Spec",
    "load_spec",
]

HERE: Final = Path(__file__).parent

FINE_TUNING_JOBS: Final = "fine_tuning.jobs"
"""The group of the July edition's fine-tuning job operations."""

AUGUST: Final = "2026-08"
JULY: Final = "2026-07"
DOCUMENTS: Final = {AUGUST: "mistral-openapi.yaml", JULY: "mistral-openapi-2026-07.yaml"}
FINE_TUNING_JOBS_PREFIX: Final = "/v1/fine_tuning/jobs"
"""Operations under this path come from the July edition, as group :data:`FINE_TUNING_JOBS`."""

SUCCESS: Final = ("200", "201", "202", "203", "204", "206")
"""The success statuses whose responses the SDK parses."""
_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def document_uri(document: str) -> str:
    """The URI a spec document is registered under."""
    return f"urn:mistral-openapi:{document}"


def pointer(*parts: str | int) -> str:
    """A URI fragment (JSON pointer, percent-encoded) for ``parts``: ``#/paths/~1v1~1files``."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "#" + "".join("/" + quote(segment, safe="") for segment in escaped)


# -- schemas -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaRef:
    """A schema at a place of a spec document: its absolute URI and its raw contents."""

    uri: str
    contents: Any = field(repr=False, compare=False)

    @property
    def document(self) -> str:
        """The URI of the document the schema lives in."""
        return self.uri.partition("#")[0]

    def child(self, *parts: str | int) -> SchemaRef:
        """The sub-schema at ``parts`` below this one (``child("properties", "file")``)."""
        contents = self.contents
        for part in parts:
            contents = contents[part]
        return SchemaRef(self.uri + pointer(*parts)[1:], contents)


@dataclass(frozen=True)
class Parameter:
    """A parameter of an operation (``$ref`` resolved)."""

    name: str
    location: str
    """``path``, ``query``, ``header`` or ``cookie``."""
    required: bool
    schema: SchemaRef
    json_encoded: bool = False
    """Declared with ``content: application/json``: the value is JSON text."""


@dataclass(frozen=True)
class MediaType:
    """One content type of a request body or a response."""

    content_type: str
    schema: SchemaRef | None
    examples: Mapping[str, Any]
    """Example values by name (``examples`` entries, ``$ref``s resolved; ``example`` too)."""


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, as the SDK must serve it."""

    operation_id: str
    method: str
    """Upper-case HTTP method."""
    path: str
    """The request path template, without the ``#stream`` fragment: ``/v1/files/{file_id}``."""
    spec_path: str
    """The path as filed in the spec (``/v1/conversations#stream``)."""
    group: str
    document: str
    parameters: tuple[Parameter, ...]
    request_body: Mapping[str, MediaType]
    """Content type -> media type; empty when the operation takes no body."""
    body_required: bool
    responses: Mapping[str, Mapping[str, MediaType]]
    """Status -> content type -> media type."""
    security: tuple[str, ...]
    """The security schemes the operation accepts."""

    @property
    def stream_twin(self) -> bool:
        """Whether this is a ``#stream`` twin (the same path, ``"stream": true``)."""
        return self.spec_path.endswith("#stream")

    @property
    def success(self) -> Mapping[str, MediaType]:
        """The media types of the success (2xx) responses, by content type."""
        media: dict[str, MediaType] = {}
        for status in SUCCESS:
            for content_type, item in self.responses.get(status, {}).items():
                media.setdefault(content_type, item)
        return media

    @property
    def streams(self) -> bool:
        """Whether a success response is a server-sent event stream."""
        return "text/event-stream" in self.success or self.stream_twin

    @property
    def json_and_sse(self) -> bool:
        """Whether one operation answers JSON or SSE (chat and FIM: two SDK methods)."""
        success = self.success
        return "application/json" in success and "text/event-stream" in success

    def params(self, location: str) -> dict[str, Parameter]:
        """The parameters in ``location`` (``query``, ``path``...), by name."""
        return {p.name: p for p in self.parameters if p.location == location}

    def examples(self) -> Iterator[tuple[str, MediaType, str, Any]]:
        """``(status, media, name, value)`` of every example of the success responses."""
        for status in SUCCESS:
            for media in self.responses.get(status, {}).values():
                for name, value in media.examples.items():
                    yield status, media, name, value

    def __str__(self) -> str:
        return f"{self.operation_id} ({self.method} {self.spec_path}, {self.group})"


def _discriminated(keyword: str) -> Callable[..., Iterator[ValidationError]]:
    """``oneOf``/``anyOf`` that follow an OpenAPI ``discriminator`` mapping when they can."""
    plain = Draft202012Validator.VALIDATORS[keyword]

    def check(
        validator: Any, subschemas: Any, instance: Any, schema: Mapping[str, Any]
    ) -> Iterator[ValidationError]:
        discriminator = schema.get("discriminator")
        if isinstance(discriminator, Mapping) and validator.is_type(instance, "object"):
            value = instance.get(discriminator.get("propertyName"))
            target = (discriminator.get("mapping") or {}).get(value)
            if isinstance(value, str) and isinstance(target, str):
                yield from validator.descend(instance, {"$ref": target})
                return
        yield from plain(validator, subschemas, instance, schema)

    return check


OpenAPIValidator: Final = validators.extend(
    Draft202012Validator,
    {"oneOf": _discriminated("oneOf"), "anyOf": _discriminated("anyOf")},
)
"""Draft 2020-12 plus OpenAPI's ``discriminator``."""


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The causes of ``error``: itself, or every error of the ``anyOf``/``oneOf`` branch
    that matches best (``best_match``'s choice), recursively."""
    chosen = best_match([error])
    if not error.context or chosen is error:
        yield error
        return
    while chosen.parent is not None and chosen.parent is not error:
        chosen = chosen.parent
    branch = chosen.relative_schema_path[0] if chosen.relative_schema_path else None
    for cause in error.context:
        if (
            cause.parent is error
            and (cause.relative_schema_path[0] if cause.relative_schema_path else None) == branch
        ):
            yield from _leaves(cause)


def describe(error: ValidationError, where: str) -> list[str]:
    """Lines for a validation error, at its deepest causes in the best-matching branch."""
    lines = []
    for leaf in _leaves(error):
        path = leaf.json_path[1:]  # "$.messages[0]" -> ".messages[0]"
        message = leaf.message if len(leaf.message) <= 300 else leaf.message[:297] + "..."
        lines.append(f"{where}{path}: {message}")
    return lines


class Spec:
    """The spec documents, their schema registry, and every operation."""

    def __init__(
        self, documents: Mapping[str, Any], operations: Mapping[str, Operation], fixes: list[str]
    ) -> None:
        self.documents = dict(documents)
        self.operations = dict(operations)
        self.fixes = fixes
        """The quirks :func:`load_spec` fixed, one line each."""
        self.registry: referencing.Registry[Any] = referencing.Registry().with_resources(
            (
                document_uri(name),
                referencing.jsonschema.DRAFT202012.create_resource(doc),
            )
            for name, doc in self.documents.items()
        )
        self._validators: dict[tuple[str, bool], Any] = {}

    # -- validation ----------------------------------------------------------------------

    def validator(self, schema: SchemaRef, *, formats: bool = True) -> Any:
        """A (cached) validator of ``schema``; ``formats``: check ``format`` (uuid,
        date-time...) too."""
        key = (schema.uri, formats)
        found = self._validators.get(key)
        if found is None:
            found = self._validators[key] = OpenAPIValidator(
                {"$ref": schema.uri},
                registry=self.registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER if formats else None,
            )
        return found

    def errors(
        self, schema: SchemaRef, instance: Any, where: str = "", *, formats: bool = True
    ) -> list[str]:
        """Why ``instance`` does not validate against ``schema`` (empty when it does)."""
        found = self.validator(schema, formats=formats).iter_errors(instance)
        lines = []
        for error in sorted(found, key=lambda e: list(map(str, e.path))):
            lines += [line for line in describe(error, where) if line not in lines]
        return lines

    # -- walking schemas -----------------------------------------------------------------

    def resolve(self, schema: SchemaRef) -> SchemaRef:
        """``schema`` with its top-level ``$ref`` chain followed."""
        seen: set[str] = set()
        while isinstance(schema.contents, Mapping) and "$ref" in schema.contents:
            if schema.uri in seen:
                raise ValueError(f"$ref cycle at {schema.uri}")
            seen.add(schema.uri)
            ref = schema.contents["$ref"]
            uri = ref if ref.startswith("urn:") else schema.document + ref
            resolved = self.registry.resolver().lookup(uri)
            schema = SchemaRef(uri, resolved.contents)
        return schema

    def branches(self, schema: SchemaRef) -> Iterator[SchemaRef]:
        """``schema`` and, recursively, its ``anyOf``/``oneOf``/``allOf`` branches (resolved)."""
        schema = self.resolve(schema)
        yield schema
        if isinstance(schema.contents, Mapping):
            for keyword in ("anyOf", "oneOf", "allOf"):
                for index in range(len(schema.contents.get(keyword, ()))):
                    yield from self.branches(schema.child(keyword, index))

    def types(self, schema: SchemaRef) -> set[str]:
        """The JSON types ``schema`` admits (``"any"`` when it does not say)."""
        found: set[str] = set()
        for branch in self.branches(schema):
            contents = branch.contents
            if not isinstance(contents, Mapping):
                continue
            declared = contents.get("type")
            if isinstance(declared, str):
                found.add(declared)
            elif isinstance(declared, list):
                found.update(declared)
            values = list(contents.get("enum", ()))
            if "const" in contents:
                values.append(contents["const"])
            found.update(_json_type(v) for v in values)
        return found or {"any"}

    def array_items(self, schema: SchemaRef) -> SchemaRef | None:
        """The ``items`` schema of the array branch of ``schema``, if it has one."""
        for branch in self.branches(schema):
            contents = branch.contents
            if isinstance(contents, Mapping) and contents.get("type") == "array":
                return branch.child("items") if "items" in contents else SchemaRef("", {})
        return None

    def properties(self, schema: SchemaRef) -> tuple[dict[str, SchemaRef], set[str]]:
        """The properties of an object schema (through ``$ref`` and ``allOf``), and the
        required ones."""
        schema = self.resolve(schema)
        contents = schema.contents
        props: dict[str, SchemaRef] = {}
        required: set[str] = set()
        if not isinstance(contents, Mapping):
            return props, required
        for name in contents.get("properties", {}):
            props[name] = schema.child("properties", name)
        required.update(contents.get("required", ()))
        for index in range(len(contents.get("allOf", ()))):
            more, more_required = self.properties(schema.child("allOf", index))
            props.update(more)
            required |= more_required
        return props, required

    def is_binary(self, schema: SchemaRef) -> bool:
        """Whether ``schema`` admits a file (a ``format: binary`` string)."""
        return any(
            isinstance(b.contents, Mapping) and b.contents.get("format") == "binary"
            for b in self.branches(schema)
        )


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
    return "array" if isinstance(value, list) else "object"


# -- loading -----------------------------------------------------------------------------------


_YAMLLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _JSONLoader(_YAMLLoader):  # type: ignore[misc]
    """A safe YAML loader (libyaml's when there) that leaves timestamps as strings, as JSON
    would."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if not tag.endswith(":timestamp")]
        for first, resolvers in _YAMLLoader.yaml_implicit_resolvers.items()
    }


# YAML 1.1 wants a dot in a float, so ``minimum: 1e-08`` (a learning-rate bound of the July
# spec) would load as a string, as JSON never would.
_JSONLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)
_LOADER_VERSION = 2  # part of the cache key: bump when the loading rules change


def _read(path: Path) -> Any:
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()[:24]
    name = f"mistral-async-conformance-{digest}-v{_LOADER_VERSION}.json"
    cache = Path(tempfile.gettempdir()) / name
    try:
        return json.loads(cache.read_bytes())
    except (OSError, ValueError):
        pass
    doc = yaml.load(raw, Loader=_JSONLoader)  # a SafeLoader subclass
    try:
        partial = cache.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(doc))
        os.replace(partial, cache)
    except OSError:
        pass  # no cache: slower, not wrong
    return doc


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _lookup(doc: Any, ref: str) -> Any:
    """The target of a local ``#/a/b`` reference in ``doc`` (raises ``LookupError``)."""
    node = doc
    if ref == "#":
        return node
    for segment in unquote(ref).removeprefix("#/").split("/"):
        key = segment.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def _walk_paths(
    node: Any, path: tuple[str, ...] = (), scopes: tuple[tuple[str, ...], ...] = ()
) -> Iterator[tuple[dict[str, Any], tuple[str, ...], tuple[tuple[str, ...], ...]]]:
    """Every object of ``node`` with its path and the paths of the enclosing objects that
    carry a ``$defs`` block (innermost last)."""
    if isinstance(node, dict):
        if isinstance(node.get("$defs"), dict):
            scopes = (*scopes, path)
        yield node, path, scopes
        for key, value in node.items():
            yield from _walk_paths(value, (*path, str(key)), scopes)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk_paths(value, (*path, str(index)), scopes)


def fix_quirks(doc: dict[str, Any], name: str) -> list[str]:
    """Fix a document's known quirks in place; return what was fixed.

    * ``#/$defs/Name`` references (there is no top-level ``$defs``): they point at the
      ``$defs`` block of an enclosing schema when one defines ``Name`` (schemas generated
      with their own ``$defs``), else at ``#/components/schemas/Name``.
    * Duplicate ``enum`` values (``StaticWorkspaceRoles``) are dropped.

    Raises ``LookupError`` when a local reference still points nowhere afterwards: a new
    quirk to teach this function.
    """
    fixes: list[str] = []
    to_components = to_nested = 0
    schemas = doc.get("components", {}).get("schemas", {})

    def retarget(ref: str, scopes: tuple[tuple[str, ...], ...]) -> str:
        nonlocal to_components, to_nested
        target = ref.removeprefix("#/$defs/")
        for scope in reversed(scopes):
            if target in _lookup(doc, pointer(*scope)).get("$defs", {}):
                to_nested += 1
                return pointer(*scope, "$defs", target)
        if target in schemas:
            to_components += 1
            return pointer("components", "schemas", target)
        return ref

    for node, _, scopes in _walk_paths(doc):
        if "$defs" in doc:
            break  # a top-level $defs: the refs are right
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            node["$ref"] = retarget(ref, scopes)
        discriminator = node.get("discriminator")
        mapping = discriminator.get("mapping") if isinstance(discriminator, dict) else None
        if isinstance(mapping, dict):
            for key, ref in mapping.items():
                if isinstance(ref, str) and ref.startswith("#/$defs/"):
                    mapping[key] = retarget(ref, scopes)
        enum = node.get("enum")
        if isinstance(enum, list) and len(enum) != len({json.dumps(v) for v in enum}):
            node["enum"] = list({json.dumps(v): v for v in enum}.values())
            fixes.append(f"{name}: dropped duplicate enum values of {node.get('title', '?')}")
    if to_components or to_nested:
        fixes.append(
            f"{name}: '#/$defs/' refs fixed: {to_components} to components/schemas, "
            f"{to_nested} to an enclosing schema's $defs"
        )
    broken = []
    for node in _walk(doc):
        refs = [node.get("$ref")]
        if isinstance(node.get("discriminator"), dict):
            refs.extend((node["discriminator"].get("mapping") or {}).values())
        for ref in refs:
            if isinstance(ref, str) and ref.startswith("#"):
                try:
                    _lookup(doc, ref)
                except (LookupError, ValueError, TypeError):
                    broken.append(ref)
    if broken:
        raise LookupError(f"{name}: references to nothing: {sorted(set(broken))}")
    return fixes


def _resolve(doc: Any, node: Any, where: tuple[str | int, ...]) -> tuple[Any, tuple[Any, ...]]:
    """Follow a ``$ref`` object (parameters, bodies, responses, examples) to its target."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        segments = unquote(ref).removeprefix("#/").split("/")
        where = tuple(s.replace("~1", "/").replace("~0", "~") for s in segments)
        node = _lookup(doc, ref)
    return node, where


def _media(doc: Any, document: str, content: Any, where: tuple[Any, ...]) -> dict[str, MediaType]:
    uri = document_uri(document)
    media: dict[str, MediaType] = {}
    for content_type, item in (content or {}).items():
        schema = None
        if "schema" in item:
            schema = SchemaRef(uri + pointer(*where, content_type, "schema"), item["schema"])
        examples: dict[str, Any] = {}
        for name, example in (item.get("examples") or {}).items():
            resolved, _ = _resolve(doc, example, ())
            if isinstance(resolved, dict) and "value" in resolved:
                examples[name] = resolved["value"]
        if "example" in item:
            examples["example"] = item["example"]
        media[content_type] = MediaType(content_type, schema, examples)
    return media


def _operation(doc: Any, document: str, spec_path: str, method: str, group: str) -> Operation:
    item = doc["paths"][spec_path]
    op = item[method]
    uri = document_uri(document)
    parameters: dict[tuple[str, str], Parameter] = {}
    for base, raw in [
        (("paths", spec_path, "parameters"), item.get("parameters") or []),
        (
            ("paths", spec_path, method, "parameters"),
            op.get("parameters") or [],
        ),
    ]:
        for index, param in enumerate(raw):
            param, where = _resolve(doc, param, (*base, index))
            json_encoded = False
            if "schema" not in param and param.get("content"):
                # A parameter may carry its schema under ``content`` (a JSON-encoded value).
                media, content = next(iter(param["content"].items()))
                json_encoded = media == "application/json"
                schema = SchemaRef(
                    uri + pointer(*where, "content", media, "schema"), content.get("schema", {})
                )
            else:
                schema = SchemaRef(uri + pointer(*where, "schema"), param.get("schema", {}))
            parameters[(param["in"], param["name"])] = Parameter(
                param["name"], param["in"], bool(param.get("required")), schema, json_encoded
            )
    body, body_where = _resolve(
        doc, op.get("requestBody") or {}, ("paths", spec_path, method, "requestBody")
    )
    request_body = _media(doc, document, body.get("content"), (*body_where, "content"))
    responses: dict[str, dict[str, MediaType]] = {}
    for status, response in (op.get("responses") or {}).items():
        where = ("paths", spec_path, method, "responses", str(status))
        response, where = _resolve(doc, response, where)
        responses[str(status)] = _media(doc, document, response.get("content"), (*where, "content"))
    security = op.get("security", doc.get("security") or [])
    return Operation(
        operation_id=op["operationId"],
        method=method.upper(),
        path=spec_path.partition("#")[0],
        spec_path=spec_path,
        group=group,
        document=document,
        parameters=tuple(parameters.values()),
        request_body=request_body,
        body_required=bool(body.get("required")),
        responses=responses,
        security=tuple(name for requirement in security for name in requirement),
    )


def _operations(
    doc: Any, document: str, group_of: Callable[[str, dict[str, Any]], str | None]
) -> Iterator[Operation]:
    for spec_path, item in doc["paths"].items():
        for method, op in item.items():
            if method in _METHODS and isinstance(op, dict):
                group = group_of(spec_path, op)
                if group is not None:
                    yield _operation(doc, document, spec_path, method, group)


def _august_group(spec_path: str, op: dict[str, Any]) -> str | None:
    if spec_path.startswith(FINE_TUNING_JOBS_PREFIX):
        return None  # taken from the July edition
    tags = op.get("tags") or ()
    if not tags:
        raise ValueError(f"{op.get('operationId')}: no tag, so no group")
    return str(tags[0])


def _july_group(spec_path: str, op: dict[str, Any]) -> str | None:
    return FINE_TUNING_JOBS if spec_path.startswith(FINE_TUNING_JOBS_PREFIX) else None


@functools.cache
def load_spec() -> Spec:
    """The spec (loaded once per process)."""
    documents = {name: _read(HERE / filename) for name, filename in DOCUMENTS.items()}
    fixes = [fix for name, doc in documents.items() for fix in fix_quirks(doc, name)]
    operations: dict[str, Operation] = {}
    found = [
        *_operations(documents[AUGUST], AUGUST, _august_group),
        *_operations(documents[JULY], JULY, _july_group),
    ]
    for op in found:
        if op.operation_id in operations:
            raise ValueError(f"operationId {op.operation_id} is listed twice")
        operations[op.operation_id] = op
    return Spec(documents, operations, fixes)

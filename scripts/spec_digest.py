"""Digest the Mistral OpenAPI spec into ``mistral_async/testing/_spec_ops.json``.

The fake server (:mod:`mistral_async.testing.groups.spec_ops`) answers every operation of
``scripts/operations.tsv`` whose ``source`` is ``gen`` from this digest, with no YAML parser
or JSON-Schema library at run time. The digest is a JSON object::

    {
      "format": 1,
      "spec": {"file": "mistral-openapi.yaml", "sha256": "...", "version": "..."},
      "operations": {"<operation_id>": {...}, ...},   # one operation per line
      "schemas": {"<Name>": {...}, ...}                # one schema per line
    }

Each operation holds ``operation_id``, ``name`` (the SDK method path), ``tag``, ``method``,
``path`` (without the spec's ``#fragment``), ``spec_path`` (with it), ``route`` (a regular
expression with one named group per path parameter), ``auth`` (``"bearer"``, ``"admin"`` for
the ``AdminApiKey`` scheme, ``"x-api-key"`` for ``DashboardUserContextAuth``),
``parameters`` (``[{"name", "in", "required", "schema"}]`` for path, query and header
parameters), ``body`` (``{"media_type", "required", "schema"}`` or ``null``), ``status`` (the
success status), ``media_types`` (of the success response), ``response`` (its JSON schema or
``null``), ``sse`` (``{"schema", "data", "events"}`` for a ``text/event-stream`` response, else
``null``), ``examples`` (the spec's response examples that validate against ``response``),
``errors`` (the other declared statuses), ``pagination`` (the spec's
``x-speakeasy-pagination`` or ``null``) and ``deprecated``.

Schemas are cleaned (``title``, ``description``, ``example(s)``, ``deprecated`` and ``x-*``
keywords dropped) and every ``$ref`` points into the digest: ``#/schemas/<Name>``. The
``schemas`` table holds only the component schemas reachable from the operations, plus the
``$defs`` of inline schemas hoisted under their own name (``<Title>.<Name>`` when that name is
taken by a different component). The spec's ``#/$defs/Name`` quirk is fixed on the way: such a
reference means the enclosing schema's ``$defs`` entry when there is one, else the component.

    python scripts/spec_digest.py           # rewrite the digest
    python scripts/spec_digest.py --check   # exit 1 if the committed digest is out of date

``build(spec_dir, operations_tsv)`` returns the digest as a dict (importable without side
effects; pyyaml is needed at build time only).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "tests" / "conformance" / "spec"
OPERATIONS_TSV = ROOT / "scripts" / "operations.tsv"
OUTPUT = ROOT / "mistral_async" / "testing" / "_spec_ops.json"
SPEC_FILE = "mistral-openapi.yaml"
FORMAT = 1

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_DROP = frozenset({"title", "description", "example", "examples", "deprecated", "$comment"})
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_ONE = (
    "items",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
)
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_COMPONENT = "#/components/schemas/"
_AUTH = {"AdminApiKey": "admin", "DashboardUserContextAuth": "x-api-key", "ApiKey": "bearer"}
_MAX_EXAMPLE_BYTES = 8192


# ---------------------------------------------------------------------------- loading


def _load_yaml(path: Path) -> Any:
    """Parse a YAML document the way JSON would see it (timestamps stay strings)."""
    import yaml  # type: ignore[import-untyped,unused-ignore]  # build-time only

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc]
        yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {
            first: [(tag, rx) for tag, rx in resolvers if not tag.endswith(":timestamp")]
            for first, resolvers in base.yaml_implicit_resolvers.items()
        }

    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?[eE][-+]?[0-9]+$"),
        list("-+0123456789"),
    )
    return yaml.load(path.read_bytes(), Loader=Loader)  # noqa: S506 - a SafeLoader subclass


def _schema_module() -> ModuleType:
    """Load ``mistral_async/testing/_schema.py`` by path (no package import, no aiohttp)."""
    path = ROOT / "mistral_async" / "testing" / "_schema.py"
    spec = importlib.util.spec_from_file_location("_mistral_fake_schema", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read_operations(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream, delimiter="\t"))


def _lookup(doc: Any, ref: str) -> Any:
    node = doc
    for segment in ref.removeprefix("#/").split("/"):
        key = segment.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def _follow(doc: Any, node: Any) -> Any:
    """Follow a ``$ref`` object (parameters, bodies, responses, examples)."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = _lookup(doc, node["$ref"])
    return node


# ---------------------------------------------------------------------------- cleaning


class _Cleaner:
    """Copy schemas without documentation keywords, pointing every ``$ref`` at the digest."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.components: Mapping[str, Any] = doc.get("components", {}).get("schemas", {})
        self.schemas: dict[str, Any] = {}
        self._pending: list[str] = []
        self._queued: set[str] = set()

    def component(self, name: str) -> str:
        """Queue the component ``name``; return its digest reference."""
        if name not in self.components:
            raise LookupError(f"reference to a missing component schema: {name}")
        if name not in self._queued:
            self._queued.add(name)
            self._pending.append(name)
        return f"#/schemas/{name}"

    def drain(self) -> None:
        """Clean every queued component (and whatever they reference)."""
        while self._pending:
            name = self._pending.pop()
            self.schemas[name] = self.clean(self.components[name], (), owner=name)

    def clean(self, schema: Any, scopes: tuple[dict[str, str], ...], owner: str) -> Any:
        """A cleaned copy of ``schema``; ``scopes`` map enclosing ``$defs`` names to their
        hoisted names (innermost last)."""
        if not isinstance(schema, dict):
            return schema
        defs = schema.get("$defs")
        if isinstance(defs, dict) and defs:
            scope = self._hoist(defs, scopes, str(schema.get("title") or owner))
            scopes = (*scopes, scope)
            for name, sub in defs.items():
                self.schemas[scope[name]] = self.clean(sub, scopes, owner)
        result: dict[str, Any] = {}
        for key, value in schema.items():
            if key in _DROP or key.startswith("x-") or key == "$defs":
                continue
            if key == "$ref":
                result[key] = self._ref(value, scopes)
            elif key in _SCHEMA_MAPS:
                result[key] = {k: self.clean(v, scopes, owner) for k, v in value.items()}
            elif key in _SCHEMA_ONE:
                result[key] = self.clean(value, scopes, owner)
            elif key in _SCHEMA_LISTS:
                result[key] = [self.clean(v, scopes, owner) for v in value]
            elif key == "discriminator":
                result[key] = self._discriminator(value, scopes)
            elif key == "enum" and isinstance(value, list):
                unique = {json.dumps(v, sort_keys=True): v for v in value}  # a duplicate quirk
                result[key] = list(unique.values())
            else:
                result[key] = value
        return result

    def _discriminator(self, value: Any, scopes: tuple[dict[str, str], ...]) -> Any:
        if not isinstance(value, dict):
            return value
        cleaned = {k: v for k, v in value.items() if not k.startswith("x-")}
        mapping = value.get("mapping")
        if isinstance(mapping, dict):
            cleaned["mapping"] = {tag: self._ref(ref, scopes) for tag, ref in mapping.items()}
        return cleaned

    def _ref(self, ref: str, scopes: tuple[dict[str, str], ...]) -> str:
        if ref.startswith(_COMPONENT):
            return self.component(ref.removeprefix(_COMPONENT))
        if ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            for scope in reversed(scopes):
                if name in scope:
                    return f"#/schemas/{scope[name]}"
            return self.component(name)  # the quirk: a component, not a $defs entry
        raise LookupError(f"unsupported reference {ref!r}")

    def _hoist(
        self, defs: dict[str, Any], scopes: tuple[dict[str, str], ...], title: str
    ) -> dict[str, str]:
        """Name the ``$defs`` entries of one schema in the digest's ``schemas`` table."""
        scope: dict[str, str] = {}
        for name in defs:
            taken = name in self.components or name in self.schemas
            scope[name] = f"{title}.{name}" if taken else name
        return scope


# ---------------------------------------------------------------------------- operations


def _route(path: str) -> str:
    """A regular expression matching ``path`` (one named group per parameter)."""
    parts = re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*\})", path)
    regex = "".join(
        f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts
    )
    return f"^{regex}$"


def _auth(op: Mapping[str, Any], doc: Mapping[str, Any]) -> str:
    security = op.get("security")
    if security is None:
        security = doc.get("security") or []
    names = [name for requirement in security for name in requirement]
    if not names:
        return "bearer"
    kinds = {_AUTH.get(name, "bearer") for name in names}
    if len(kinds) != 1:
        raise ValueError(f"{op.get('operationId')}: mixed security schemes {names}")
    return kinds.pop()


def _examples(media: Mapping[str, Any], doc: Mapping[str, Any]) -> Iterator[Any]:
    for example in (media.get("examples") or {}).values():
        resolved = _follow(doc, example)
        if isinstance(resolved, dict) and "value" in resolved:
            yield resolved["value"]
    if "example" in media:
        yield media["example"]


def _operation(
    row: Mapping[str, str],
    doc: Mapping[str, Any],
    cleaner: _Cleaner,
    examples: dict[str, list[Any]],
) -> dict[str, Any]:
    spec_path, method = row["path"], row["method"].lower()
    item = doc["paths"][spec_path]
    op = item[method]
    if op.get("operationId") != row["operation_id"]:
        raise ValueError(f"{row['operation_id']}: the spec names it {op.get('operationId')}")
    owner = row["operation_id"]
    clean: Callable[[Any], Any] = lambda schema: cleaner.clean(schema, (), owner)  # noqa: E731
    parameters: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*(item.get("parameters") or []), *(op.get("parameters") or [])]:
        param = _follow(doc, raw)
        if param["in"] == "cookie":
            continue
        if "schema" in param:
            schema = param["schema"]
        else:  # a JSON-encoded parameter carries its schema under content
            media: dict[str, Any] = next(iter((param.get("content") or {}).values()), {})
            schema = media.get("schema", {})
        parameters[(param["in"], param["name"])] = {
            "name": param["name"],
            "in": param["in"],
            "required": bool(param.get("required")) or param["in"] == "path",
            "schema": clean(schema),
        }
    body = None
    request = _follow(doc, op.get("requestBody"))
    if isinstance(request, dict) and request.get("content"):
        media_type, media = next(
            ((k, v) for k, v in request["content"].items() if "json" in k),
            next(iter(request["content"].items())),
        )
        body = {
            "media_type": media_type,
            "required": bool(request.get("required")),
            "schema": clean(media.get("schema", {})),
        }
    responses = {str(k): _follow(doc, v) for k, v in (op.get("responses") or {}).items()}
    success = sorted(s for s in responses if s.startswith("2"))
    if not success:
        raise ValueError(f"{owner}: no success response")
    status = success[0]
    content: Mapping[str, Any] = responses[status].get("content") or {}
    response = None
    sse = None
    if "application/json" in content:
        response = clean(content["application/json"].get("schema", {}))
        found = list(_examples(content["application/json"], doc))
        if found:
            examples[owner] = found
    if "text/event-stream" in content:
        schema = clean(content["text/event-stream"].get("schema", {}))
        properties = schema.get("properties") or {}
        sse = {"schema": schema, "data": properties.get("data", {}), "events": None}
    return {
        "operation_id": owner,
        "name": row["name"],
        "tag": row["tag"],
        "method": method.upper(),
        "path": spec_path.partition("#")[0],
        "spec_path": spec_path,
        "route": _route(spec_path.partition("#")[0]),
        "auth": _auth(op, doc),
        "parameters": sorted(parameters.values(), key=_param_order),
        "body": body,
        "status": int(status),
        "media_types": sorted(content),
        "response": response,
        "sse": sse,
        "examples": [],
        "errors": sorted(int(s) for s in responses if s not in success and s.isdigit()),
        "pagination": op.get("x-speakeasy-pagination"),
        "deprecated": bool(op.get("deprecated")),
    }


def _param_order(param: Mapping[str, Any]) -> tuple[int, str]:
    return ({"path": 0, "query": 1, "header": 2}.get(param["in"], 3), param["name"])


def build(spec_dir: Path = SPEC_DIR, operations_tsv: Path = OPERATIONS_TSV) -> dict[str, Any]:
    """Build the digest of every ``gen`` operation of ``operations_tsv`` (see the module doc)."""
    spec_file = Path(spec_dir) / SPEC_FILE
    raw = spec_file.read_bytes()
    doc = _load_yaml(spec_file)
    cleaner = _Cleaner(doc)
    examples: dict[str, list[Any]] = {}
    operations: dict[str, dict[str, Any]] = {}
    for row in _read_operations(Path(operations_tsv)):
        if row["source"] != "gen":
            continue
        op = _operation(row, doc, cleaner, examples)
        if op["operation_id"] in operations:
            raise ValueError(f"operation {op['operation_id']} is listed twice")
        operations[op["operation_id"]] = op
    cleaner.drain()
    schemas = dict(sorted(cleaner.schemas.items()))
    digest: dict[str, Any] = {
        "format": FORMAT,
        "spec": {
            "file": SPEC_FILE,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "version": str(doc.get("info", {}).get("version", "")),
        },
        "operations": dict(sorted(operations.items())),
        "schemas": schemas,
    }
    check = _schema_module()
    for op in operations.values():
        if op["sse"] is not None:
            event = (op["sse"]["schema"].get("properties") or {}).get("event") or {}
            while isinstance(event.get("$ref"), str):
                event = check.resolve(event["$ref"], digest)
            op["sse"]["events"] = event.get("enum")
    for name, values in examples.items():
        op = operations[name]
        valid = [
            value
            for value in values
            if len(json.dumps(value)) <= _MAX_EXAMPLE_BYTES
            and check.is_valid(value, op["response"], root=digest)
        ]
        op["examples"] = valid
    _verify_refs(digest)
    return digest


def _verify_refs(digest: Mapping[str, Any]) -> None:
    """Raise ``LookupError`` if a ``$ref`` of the digest points nowhere."""
    schemas = digest["schemas"]
    broken: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str):
                    if value.removeprefix("#/schemas/") not in schemas:
                        broken.add(value)
                elif key == "mapping" and isinstance(value, dict):
                    broken.update(
                        v for v in value.values() if v.removeprefix("#/schemas/") not in schemas
                    )
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(digest)
    if broken:
        raise LookupError(f"digest references to nothing: {sorted(broken)}")


def dumps(digest: Mapping[str, Any]) -> str:
    """Serialize the digest deterministically, one operation / schema per line."""

    def one(value: Any) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    lines = ["{"]
    keys = sorted(digest)
    for index, key in enumerate(keys):
        comma = "," if index < len(keys) - 1 else ""
        value = digest[key]
        if key in ("operations", "schemas") and isinstance(value, dict):
            lines.append(f"{one(key)}:{{")
            names = sorted(value)
            for position, name in enumerate(names):
                tail = "," if position < len(names) - 1 else ""
                lines.append(f"{one(name)}:{one(value[name])}{tail}")
            lines.append(f"}}{comma}")
        else:
            lines.append(f"{one(key)}:{one(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the digest, or with ``--check`` tell whether the committed one is current."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the digest is stale")
    parser.add_argument("--spec-dir", type=Path, default=SPEC_DIR)
    parser.add_argument("--operations", type=Path, default=OPERATIONS_TSV)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = dumps(build(args.spec_dir, args.operations))
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run python scripts/spec_digest.py")
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Drift between the spec and the hand-written methods (``source`` ``hand`` in operations.tsv).

Generated methods follow the spec by construction; hand-written ones only as far as someone
kept them up to date. For each hand-written operation:

- every query parameter the spec declares, and every top-level property of its JSON body
  (or field of its multipart form), is a parameter of each of its methods, by name, or by
  the name :data:`ALIASES` gives it (``input`` is ``inputs``);
- every top-level property of its success response schema is a field of the SDK type the
  cases parse it into (``response_type``; the event type for streams, whose spec schema is
  the event's ``data``), each branch of a spec union checked against the member of an SDK
  union it matches (same name, else the most shared fields).

A new parameter or response field in the spec fails here, naming the operation and the
field. :data:`DELIBERATE` lists today's deliberate differences, each with its reason; it is
asserted exact, so an entry that no longer excuses anything fails too.
"""

from __future__ import annotations

import builtins
import dataclasses
import inspect
import typing
from collections.abc import Iterator, Mapping
from typing import Any, Final

import attrs
import pytest

from mistral_async import AsyncMistral
from mistral_async._converter import WIRE

from .case import operation_of
from .harness import resolve_method
from .names import Row, rows_by_operation
from .spec import Operation, Parameter, SchemaRef, load_spec
from .test_conformance import CASES

SPEC = load_spec()
ROWS = rows_by_operation()

ALIASES: Final[dict[tuple[str, str], str]] = {
    ("embeddings_v1_embeddings_post", "input"): "inputs",
    ("classifications_v1_classifications_post", "input"): "inputs",
    ("chat_classifications_v1_chat_classifications_post", "input"): "inputs",
    ("moderations_v1_moderations_post", "input"): "inputs",
    ("chat_moderations_v1_chat_moderations_post", "input"): "inputs",
}
"""``(operationId, wire name)`` -> the Python parameter that carries it."""

DELIBERATE: Final[dict[tuple[str, str, str], str]] = {}
"""``(operationId, "param" | "response", wire name)`` -> why the hand-written code does not
know it. Asserted exact."""

STREAM_FLAG: Final = "stream"
"""The body's ``stream`` flag is never a parameter: which method is called sets it
(``chat.complete``/``chat.stream``, ``beta.conversations.start``/``start_stream``,
``agents.complete``/``agents.stream``)."""


def _hand_rows() -> list[Row]:
    return sorted(
        (row for row in ROWS.values() if row.source == "hand"), key=lambda r: r.operation_id
    )


def _client() -> AsyncMistral:
    return AsyncMistral(api_key="drift", server_url="http://127.0.0.1:9")


# -- requests ------------------------------------------------------------------------------------


def _body_fields(op: Operation) -> dict[str, str]:
    """Top-level request body fields -> the content type declaring them."""
    fields: dict[str, str] = {}
    for content_type, media in op.request_body.items():
        if media.schema is None:
            continue
        for branch in SPEC.branches(media.schema):
            properties, _ = SPEC.properties(branch)
            for name in properties:
                fields.setdefault(name, content_type)
    return fields


def request_drift(
    row: Row, client: AsyncMistral, used: set[tuple[str, ...]], op: Operation | None = None
) -> list[str]:
    """What the spec's request declares that a hand-written method of ``row`` lacks."""
    op = op or SPEC.operations[row.operation_id]
    problems = []
    wanted = dict.fromkeys(op.params("query"), "query parameter")
    for name, content_type in _body_fields(op).items():
        kind = "form field" if "form" in content_type else "body property"
        wanted.setdefault(name, kind)
    wanted.pop(STREAM_FLAG, None)
    for method_name in row.names:
        try:
            method = resolve_method(client, method_name)
        except AttributeError as exc:
            problems.append(f"{row.operation_id}: {exc}")
            continue
        parameters = inspect.signature(method).parameters
        for wire, kind in sorted(wanted.items()):
            python = ALIASES.get((row.operation_id, wire), wire)
            if (row.operation_id, wire) in ALIASES:
                used.add(("alias", row.operation_id, wire))
            if python in parameters:
                continue
            excuse = (row.operation_id, "param", wire)
            if excuse in DELIBERATE:
                used.add(excuse)
                continue
            problems.append(
                f"{row.operation_id}: the spec's {kind} {wire!r} is not a parameter of "
                f"{method_name}"
            )
    return problems


# -- responses -----------------------------------------------------------------------------------


def _members(tp: Any) -> list[type]:
    """The attrs classes of an SDK type, unions, ``Annotated`` and lists followed."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _members(typing.get_args(tp)[0])
    if origin is not None:
        found: list[type] = []
        for arg in typing.get_args(tp):
            found += [m for m in _members(arg) if m not in found]
        return found
    if isinstance(tp, type) and attrs.has(tp):
        found = [tp]  # and its subclasses: a base class whose events are told apart by type
        for sub in tp.__subclasses__():
            found += [m for m in _members(sub) if m not in found]
        return found
    return []


def _returned(method: Any) -> Any:
    """The return annotation of a method, resolved (``Any`` when it cannot be)."""
    annotation = inspect.signature(method).return_annotation
    if not isinstance(annotation, str):
        return annotation
    func = inspect.unwrap(getattr(method, "__func__", method))
    try:
        return eval(annotation, {**func.__globals__, "builtins": builtins})
    except Exception:
        return Any


def _fields(cls: type) -> set[str]:
    return {a.metadata.get(WIRE, a.name) for a in attrs.fields(cls)}


def _schema_name(schema: SchemaRef) -> str:
    return schema.uri.rpartition("/")[2]


def _spec_objects(schema: SchemaRef) -> list[tuple[str, set[str]]]:
    """The object branches of a response schema: (name, property names)."""
    found = []
    for branch in SPEC.branches(schema):
        contents = branch.contents
        if not isinstance(contents, Mapping):
            continue
        if contents.get("type") == "array" and isinstance(contents.get("items"), Mapping):
            found += _spec_objects(branch.child("items"))
        if "properties" not in contents:
            continue
        properties, _ = SPEC.properties(branch)
        found.append((_schema_name(branch), set(properties)))
    return found


def _response_schema(op: Operation, streamed: bool) -> SchemaRef | None:
    media = op.success.get("text/event-stream" if streamed else "application/json")
    if media is None or media.schema is None:
        return None
    if streamed:
        envelope, _ = SPEC.properties(media.schema)
        return envelope.get("data", media.schema)
    return media.schema


def response_drift(row: Row, used: set[tuple[str, ...]], op: Operation | None = None) -> list[str]:
    """What the spec's success response declares that the SDK type does not know."""
    op = op or SPEC.operations[row.operation_id]
    problems: list[str] = []
    cases = {k: s.case for k, s in CASES.items() if operation_of(k) == row.operation_id}
    pools: dict[bool, list[type]] = {}
    client = _client()
    for key, case in sorted(cases.items()):
        if case.returns == "binary" or case.response_type is None:
            continue
        schema = _response_schema(op, case.returns == "stream")
        if schema is None or not _spec_objects(schema):
            continue  # a string, a bare array of strings...: no fields to compare
        members = _members(case.response_type)
        if not members:  # a bare ``list``: the method's annotation says of what
            members = _members(_returned(resolve_method(client, case.method)))
        if not members:
            problems.append(f"{row.operation_id}: case {key!r}: no SDK class to compare")
        pool = pools.setdefault(case.returns == "stream", [])
        pool += [m for m in members if m not in pool]
    for streamed, members in sorted(pools.items()):
        schema = _response_schema(op, streamed)
        if schema is None or not members:
            continue
        for name, properties in _spec_objects(schema):
            by_name = [m for m in members if m.__name__ == name]
            target = (
                by_name[0] if by_name else max(members, key=lambda m: len(_fields(m) & properties))
            )
            for prop in sorted(properties - _fields(target)):
                excuse = (row.operation_id, "response", prop)
                if excuse in DELIBERATE:
                    used.add(excuse)
                    continue
                problems.append(
                    f"{row.operation_id}: the spec's response property {prop!r} (of {name}) "
                    f"is not a field of {target.__name__}"
                )
    return problems


# -- the tests -----------------------------------------------------------------------------------


def _params() -> Iterator[str]:
    for row in _hand_rows():
        if row.operation_id in SPEC.operations:
            yield row.operation_id


@pytest.mark.parametrize("operation_id", list(_params()))
def test_no_drift(operation_id: str) -> None:
    """The hand-written methods know every request field and response field of the spec."""
    row = ROWS[operation_id]
    used: set[tuple[str, ...]] = set()
    problems = request_drift(row, _client(), used) + response_drift(row, used)
    assert not problems, "\n".join(problems)


def test_tables_are_exact() -> None:
    """Every ALIASES and DELIBERATE entry is still needed."""
    used: set[tuple[str, ...]] = set()
    client = _client()
    for row in _hand_rows():
        if row.operation_id in SPEC.operations:
            request_drift(row, client, used)
            response_drift(row, used)
    stale = [f"ALIASES[{k!r}]" for k in ALIASES if ("alias", *k) not in used]
    stale += [f"DELIBERATE[{k!r}]" for k in DELIBERATE if k not in used]
    assert not stale, "excuse nothing now, remove: " + ", ".join(stale)


def test_drift_is_caught() -> None:
    """A query parameter, a body property or a response property the spec gains fails."""
    op = SPEC.operations["files_api_routes_list_files"]
    extra = Parameter("colour", "query", False, SchemaRef("", {"type": "string"}))
    grown = dataclasses.replace(op, parameters=(*op.parameters, extra))
    row = ROWS[op.operation_id]
    assert request_drift(row, _client(), set(), grown) == [
        "files_api_routes_list_files: the spec's query parameter 'colour' is not a parameter "
        "of files.list"
    ]
    op = SPEC.operations["embeddings_v1_embeddings_post"]
    body = op.request_body["application/json"]
    assert body.schema is not None
    schema = SchemaRef(
        body.schema.uri + "/grown",
        {"allOf": [body.schema.contents], "properties": {"truncate": {"type": "boolean"}}},
    )
    grown = dataclasses.replace(
        op, request_body={"application/json": dataclasses.replace(body, schema=schema)}
    )
    found = request_drift(ROWS[op.operation_id], _client(), set(), grown)
    assert found == [
        "embeddings_v1_embeddings_post: the spec's body property 'truncate' is not a parameter "
        "of embeddings.create"
    ]
    op = SPEC.operations["files_api_routes_retrieve_file"]
    media = op.success["application/json"]
    assert media.schema is not None
    schema = SchemaRef(
        media.schema.uri + "/grown",
        {"type": "object", "properties": {"id": {}, "bytes": {}, "checksum": {}}},
    )
    grown = dataclasses.replace(
        op, responses={"200": {"application/json": dataclasses.replace(media, schema=schema)}}
    )
    found = response_drift(ROWS[op.operation_id], set(), grown)
    assert len(found) == 1
    assert "the spec's response property 'checksum'" in found[0], found

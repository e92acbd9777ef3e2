"""Every operation of the Mistral spec that has no hand-written endpoint, answered from the spec.

The operations come from the spec digest ``mistral_async/testing/_spec_ops.json`` (built by
``scripts/spec_digest.py`` from ``tests/conformance/spec/mistral-openapi.yaml``); one generic
handler serves them all. Routes are registered with ``fallback=True``: a hand-written route
for the same method and path, registered before or after, wins.

Every request goes through the same steps:

* **Authentication** (by the server, before the handler): ``bearer`` operations want
  ``Authorization: Bearer <fake.api_key>``, the admin ones (``/v1/admin/...``, the spec's
  ``AdminApiKey``) ``Authorization: Bearer <fake.admin_api_key>`` and refuse the ordinary
  key, the ``/v1/users/me*`` ones (``DashboardUserContextAuth``) ``x-api-key: <fake.api_key>``.
* **Validation** against the spec: path, query and header parameters (query text is
  converted first: ``"2"`` to ``2``, ``"true"`` to ``True``, repeated keys to a list, an
  object parameter from its exploded properties) and the JSON body. Every error is reported
  at once, as FastAPI's 422 ``{"detail": [{"type", "loc", "msg", "input"}, ...]}``; a
  missing required body is ``missing`` at ``["body"]``.
* **Content negotiation**: a request whose ``Accept`` header does not allow the media type
  the operation answers with (``application/json``, ``text/event-stream`` or ``audio/wav``)
  gets a 406.
* **The answer**, valid against the operation's response schema: synthesized from the
  schema (see :func:`mistral_async.testing._schema.synthesize`), overlaid with what the
  store knows.

The store (:class:`SpecStore`, ``fake.state(SpecStore)``) gives the CRUD operations a
memory. A collection is a path whose child ``{id}`` path is an operation (``/v2/prompts``
and ``/v2/prompts/{prompt_id}``); its id field is the child's parameter name, ``id`` or
``uuid``, whichever the schemas have. A ``POST`` (or ``PUT``) on the collection that answers
an object with that field creates a record (the id is the request's value for the field,
else a new UUID, or the next integer for integer ids) holding the request's fields; ``GET``
on the child answers it, ``PATCH``/``PUT`` merge the request into it, ``DELETE`` removes it
(later requests for it, or under it, get a 404) and ``GET`` on the collection lists the
records. An id never created is answered as if it existed (a synthesized object carrying
that id), so every operation can be called without setup.

Lists honour ``page``/``page_size``, ``offset``/``limit`` and cursors (``cursor``,
``pageToken``, ``next_page_token`` with ``limit``/``page_size``/``pageSize``): the next
cursor (``next_cursor``, ``next_page_token``, ``nextPageToken``, ``next``) is set while items
remain and is null (or absent) on the last page, so a client walking pages terminates.

Event streams (``GET /v1/workflows/executions/{id}/stream``,
``/v1/workflows/executions/{id}/logs/stream``, ``/v1/workflows/deployments/{name}/logs/stream``,
``/v1/workflows/events/stream`` and ``POST /v1/audio/speech`` with ``"stream": true``) send
:attr:`SpecStore.stream_events` schema-valid events (speech: ``speech.audio.delta`` events
carrying base64 WAV chunks, then ``speech.audio.done``) with SSE ids ``1``, ``2``, ... and end
cleanly. A ``Last-Event-ID`` header (or the ``last_event_id`` query parameter) resumes after
that id; ``fake.cut_stream_after(k)`` drops the connection after ``k`` events and
``fake.stream_delay`` paces them. ``GET /v1/audio/voices/{voice_id}/sample`` answers real WAV
bytes (``audio/wav``).

Workflow executions: ``POST /v1/workflows/{workflow_identifier}/execute`` (and
``/v1/workflows/registrations/{id}/execute``) start an execution answered ``RUNNING``;
``GET /v1/workflows/executions/{execution_id}`` then reports ``RUNNING`` for
:attr:`SpecStore.execution_polls` polls (default 2) and then
:attr:`SpecStore.execution_status` (default ``"COMPLETED"``, with ``result``
:attr:`SpecStore.execution_result`, by default ``{"input": <the execution's input>}``; a
``FAILED`` execution has no result). One execution can override them with a ``"_fake"``
object in its input: ``{"input": {"_fake": {"polls": 0, "status": "FAILED", "result": ...}}}``.
``wait_for_result: true`` answers the final result at once; ``.../cancel`` and
``.../terminate`` end an execution ``CANCELED`` / ``TERMINATED``.
"""

from __future__ import annotations

import base64
import functools
import importlib.resources
import io
import json
import math
import re
import struct
import uuid
import wave
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from aiohttp import web

from .._app import Call, FakeApp, Handler
from .._schema import (
    SYNTH_TIMESTAMP,
    ErrorDetail,
    coerce_values,
    is_valid,
    object_properties,
    resolve,
    schema_types,
    synthesize,
    tag_mapping,
    validate,
)
from .._validation import AnyValue, parse_json_body

__all__ = ["SpecStore", "load_digest", "register", "wav_bytes"]

DIGEST_FILE: Final = "_spec_ops.json"
EXECUTIONS: Final = ("v1", "workflows", "executions")
_CURSOR_PARAMS: Final = ("cursor", "pageToken", "page_token", "next_page_token")
_SIZE_PARAMS: Final = ("page_size", "pageSize", "limit", "per_page", "size")
_NEXT_FIELDS: Final = ("next_cursor", "next_page_token", "nextPageToken", "next")
_TERMINAL: Final = frozenset(
    {"COMPLETED", "FAILED", "CANCELED", "TERMINATED", "CONTINUED_AS_NEW", "TIMED_OUT"}
)
_PARAM: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SPEECH_PATH: Final = "/v1/audio/speech"


@functools.cache
def load_digest() -> dict[str, Any]:
    """The spec digest (``_spec_ops.json``), parsed once per process."""
    text = (
        importlib.resources.files("mistral_async.testing")
        .joinpath(DIGEST_FILE)
        .read_text(encoding="utf-8")
    )
    digest: dict[str, Any] = json.loads(text)
    return digest


@functools.cache
def wav_bytes(seconds: float = 0.25, rate: int = 8000) -> bytes:
    """A small, valid WAV file: a 440 Hz tone, 16-bit mono PCM."""
    frames = int(seconds * rate)
    samples = (int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(frames))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return buffer.getvalue()


# ---------------------------------------------------------------------------- state


@dataclass
class _Execution:
    """The progress of one workflow execution."""

    polls_left: int
    final_status: str
    result: Any


class SpecStore:
    """The memory of the spec-driven endpoints (a per-server state; ``fake.reset()`` drops it).

    Knobs (set them between requests: ``fake.state(SpecStore).execution_polls = 0``):
    ``execution_polls``, ``execution_status``, ``execution_result`` (see the module
    documentation) and ``stream_events`` (events per workflow stream, default 4).
    """

    def __init__(self) -> None:
        """Start empty, with the default knobs."""
        self.records: dict[tuple[str, ...], dict[str, dict[str, Any]]] = {}
        """Collection path (its decoded segments) -> id -> record."""
        self.deleted: set[tuple[tuple[str, ...], str]] = set()
        self.executions: dict[str, _Execution] = {}
        self.execution_polls = 2
        self.execution_status = "COMPLETED"
        self.execution_result: Any = None
        self.stream_events = 4

    def collection(self, key: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        """The records of one collection (created empty)."""
        return self.records.setdefault(key, {})

    def find(self, key: tuple[str, ...], item_id: str) -> dict[str, Any] | None:
        """The record ``item_id`` of a collection, also found by its ``name``."""
        records = self.records.get(key, {})
        found = records.get(item_id)
        if found is None:
            found = next((r for r in records.values() if r.get("name") == item_id), None)
        return found

    def execution(self, execution_id: str) -> _Execution:
        """The progress of an execution, started with the default knobs if unknown."""
        found = self.executions.get(execution_id)
        if found is None:
            found = self.executions[execution_id] = _Execution(
                self.execution_polls, self.execution_status, self.execution_result
            )
        return found


# ---------------------------------------------------------------------------- plans


@dataclass(frozen=True)
class _Plan:
    """How one operation is answered (worked out once, at registration)."""

    op: Mapping[str, Any]
    kind: str
    segments: tuple[str, ...]
    collection: int | None = None  # the number of leading segments naming the collection
    id_field: str | None = None
    id_schema: Any = None
    items_path: tuple[str, ...] | None = None
    item_schema: Any = None
    linked: bool = False  # a list of the store's records
    store_key: tuple[str, ...] | None = None  # a fixed collection (linked by schema)
    filters: tuple[str, ...] = ()  # path parameters a linked list's records must match
    resource_path: tuple[str, ...] = ()
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def path_params(self) -> list[str]:
        return [m.group(1) for s in self.segments if (m := _PARAM.fullmatch(s))]


def _segments(path: str) -> tuple[str, ...]:
    return tuple(path.strip("/").split("/"))


def _is_param(segment: str) -> bool:
    return _PARAM.fullmatch(segment) is not None


def _shape(segments: Sequence[str]) -> tuple[str, ...]:
    return tuple("{}" if _is_param(s) else s for s in segments)


def _props(schema: Any, digest: Mapping[str, Any]) -> dict[str, Any]:
    if schema is None:
        return {}
    return object_properties(schema, digest)[0]


def _find_arrays(
    schema: Any, digest: Mapping[str, Any], depth: int = 0
) -> list[tuple[tuple[str, ...], Any]]:
    """The arrays of a response (the response itself, or properties up to two levels down)."""
    if schema is None:
        return []
    kinds = schema_types(schema, digest)
    if "array" in kinds and depth == 0:
        items = _array_items(schema, digest)
        return [((), items)] if items is not None else []
    found: list[tuple[tuple[str, ...], Any]] = []
    for name, sub in _props(schema, digest).items():
        sub_kinds = schema_types(sub, digest)
        if "array" in sub_kinds:
            items = _array_items(sub, digest)
            if items is not None:
                found.append(((name,), items))
        elif "object" in sub_kinds and depth < 1:
            found.extend(((name, *path), items) for path, items in _find_arrays(sub, digest, 1))
    return found


def _array_items(schema: Any, digest: Mapping[str, Any]) -> Any | None:
    node = schema
    while isinstance(node, Mapping) and "$ref" in node:
        node = resolve(node["$ref"], digest)
    if not isinstance(node, Mapping):
        return None
    if node.get("type") == "array":
        return node.get("items", {})
    for key in ("anyOf", "oneOf"):
        for branch in node.get(key) or ():
            found = _array_items(branch, digest)
            if found is not None:
                return found
    return None


@functools.cache
def _all_plans() -> tuple[_Plan, ...]:
    """The plans of the digest's operations (worked out once per process)."""
    return tuple(_plans(load_digest()))


def _plans(digest: Mapping[str, Any]) -> list[_Plan]:
    """Work out how to answer every operation of the digest."""
    ops: list[Mapping[str, Any]] = list(digest["operations"].values())
    by_shape: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for op in ops:
        by_shape.setdefault(_shape(_segments(op["path"])), []).append(op)
    # Collections: shapes whose child "{id}" shape holds operations.
    collections: dict[tuple[str, ...], tuple[str, Any]] = {}
    for shape, members in by_shape.items():
        if shape[-1] != "{}":
            continue
        parent = shape[:-1]
        param = _segments(members[0]["path"])[-1][1:-1]
        related = [*members, *by_shape.get(parent, [])]
        props: dict[str, Any] = {}
        for op in related:
            props.update(_props(op["response"], digest))
            for _, items in _find_arrays(op["response"], digest):
                props.update(_props(items, digest))
        id_field = next((n for n in (param, "id", "uuid") if n in props), param)
        collections[parent] = (id_field, props.get(id_field, {"type": "string"}))
    plans = [_plan(op, digest, collections) for op in ops]
    creatable = {_shape(p.segments) for p in plans if p.kind == "create"}
    # Resources by schema: a top-level collection's object schema (``$ref``) links the
    # operations elsewhere that create or list objects of the same schema.
    by_ref: dict[str, tuple[tuple[str, ...], str, Any]] = {}
    for plan in plans:
        ref = (plan.op["response"] or {}).get("$ref")
        shape = _shape(plan.segments)[: plan.collection]
        if plan.kind in ("get", "create") and ref and "{}" not in shape:
            assert plan.id_field is not None
            by_ref.setdefault(
                ref, (plan.segments[: plan.collection], plan.id_field, plan.id_schema)
            )
    plans = [_link_create(plan, by_ref, digest) for plan in plans]
    creatable |= {p.store_key for p in plans if p.kind == "create" and p.store_key is not None}
    linked = []
    for plan in plans:
        if plan.kind == "list" and _shape(plan.segments) not in creatable:
            plan = replace(plan, linked=False)
        linked.append(_link_list(plan, by_ref, creatable))
    return linked


def _link_create(
    plan: _Plan, by_ref: Mapping[str, tuple[tuple[str, ...], str, Any]], digest: Mapping[str, Any]
) -> _Plan:
    """A ``POST`` answering an object of a collection's schema creates one there (unless it
    acts on an item of that collection, like ``.../deployments/{name}/restart``)."""
    if plan.kind != "action" or plan.op["method"] != "POST":
        return plan
    found = by_ref.get((plan.op["response"] or {}).get("$ref", ""))
    if found is None or found[1] not in _props(plan.op["response"], digest):
        return plan
    key, id_field, id_schema = found
    if plan.segments[: len(key)] == key:
        return plan
    return replace(
        plan,
        kind="create",
        collection=len(plan.segments),
        id_field=id_field,
        id_schema=id_schema,
        store_key=key,
    )


def _link_list(
    plan: _Plan,
    by_ref: Mapping[str, tuple[tuple[str, ...], str, Any]],
    creatable: set[tuple[str, ...]],
) -> _Plan:
    """A ``GET`` listing objects of a collection's schema lists that collection's records
    (those matching its path parameters)."""
    if plan.op["path"] == "/v1/workflows/runs":
        return replace(
            plan, kind="list", linked=True, store_key=EXECUTIONS, id_field="execution_id"
        )
    if plan.kind in ("list", "action") and plan.op["method"] == "GET" and not plan.linked:
        ref = plan.item_schema.get("$ref") if isinstance(plan.item_schema, Mapping) else None
        found = by_ref.get(ref or "")
        if found is not None and found[0] in creatable:
            key, id_field, id_schema = found
            return replace(
                plan,
                kind="list",
                linked=True,
                store_key=key,
                id_field=id_field,
                id_schema=id_schema,
                filters=tuple(plan.path_params),
                collection=len(plan.segments),
            )
    return plan


def _plan(
    op: Mapping[str, Any],
    digest: Mapping[str, Any],
    collections: Mapping[tuple[str, ...], tuple[str, Any]],
) -> _Plan:
    segments = _segments(op["path"])
    shape = _shape(segments)
    method = op["method"]
    params = {p["name"]: p for p in op["parameters"]}
    common: dict[str, Any] = {"op": op, "segments": segments, "params": params}
    arrays = _find_arrays(op["response"], digest)
    if op["path"] == _SPEECH_PATH:
        return _Plan(kind="speech", **common)
    if op["sse"] is not None:
        return _Plan(kind="stream", **common)
    if op["media_types"] and "application/json" not in op["media_types"]:
        return _Plan(kind="binary", **common)
    if segments[:2] == ("v1", "workflows") and segments[-1] == "execute" and method == "POST":
        return _Plan(kind="execute", **common)
    if segments[:3] == EXECUTIONS and len(segments) == 4 and method == "GET":
        return _Plan(kind="execution", **common)
    if segments[:3] == EXECUTIONS and len(segments) == 5 and segments[4] in ("cancel", "terminate"):
        return _Plan(kind="stop", **common)
    if shape[-1] == "{}" and shape[:-1] in collections:
        id_field, id_schema = collections[shape[:-1]]
        return _Plan(
            kind={"GET": "get", "DELETE": "delete"}.get(method, "update"),
            collection=len(segments) - 1,
            id_field=id_field,
            id_schema=id_schema,
            resource_path=_resource_path(op["response"], id_field, digest),
            **common,
        )
    if shape in collections:
        id_field, id_schema = collections[shape]
        linked: dict[str, Any] = {
            "collection": len(segments),
            "id_field": id_field,
            "id_schema": id_schema,
        }
        resource = _resource_path(op["response"], id_field, digest)
        creates = (
            id_field in _props(op["response"], digest)
            or resource != ()
            or (
                op["response"] is None
                and (
                    op["status"] == 201
                    or id_field in _props((op["body"] or {}).get("schema"), digest)
                )
            )
        )
        if method in ("POST", "PUT") and creates:
            return _Plan(kind="create", resource_path=resource, **linked, **common)
        if method == "GET" and arrays:
            path, items = _pick_array(op, arrays, id_field, digest)
            return _Plan(
                kind="list", items_path=path, item_schema=items, linked=True, **linked, **common
            )
        if method == "DELETE":
            return _Plan(kind="clear", collection=len(segments), **common)
    if arrays:
        path, items = _pick_array(op, arrays, None, digest)
        return _Plan(kind="action", items_path=path, item_schema=items, **common)
    return _Plan(kind="action", **common)


def _resource_path(schema: Any, id_field: str, digest: Mapping[str, Any]) -> tuple[str, ...]:
    """Where the resource object sits in a response: ``()`` or ``(property,)``."""
    props = _props(schema, digest)
    if not props or id_field in props:
        return ()
    for name, sub in props.items():
        if id_field in _props(sub, digest) and "object" in schema_types(sub, digest):
            return (name,)
    return ()


def _pick_array(
    op: Mapping[str, Any],
    arrays: list[tuple[tuple[str, ...], Any]],
    id_field: str | None,
    digest: Mapping[str, Any],
) -> tuple[tuple[str, ...], Any]:
    pagination = op.get("pagination") or {}
    results = str((pagination.get("outputs") or {}).get("results", ""))
    if results.startswith("$."):
        wanted = tuple(results[2:].split("."))
        for path, items in arrays:
            if path == wanted:
                return path, items
    if id_field is not None:
        for path, items in arrays:
            if id_field in _props(items, digest):
                return path, items
    return arrays[0]


# ---------------------------------------------------------------------------- registration


def register(app: FakeApp) -> None:
    """Add a fallback route for every operation of the digest."""
    for plan in _all_plans():
        op = plan.op
        app.route(
            op["method"],
            op["path"],
            _handler(plan),
            auth=op["auth"],
            fallback=True,
        )


def _handler(plan: _Plan) -> Handler:
    async def handle(call: Call) -> web.StreamResponse:
        return await _Answer(call, plan).respond()

    handle.__name__ = plan.op["operation_id"]
    handle.__qualname__ = f"spec_ops.{plan.op['operation_id']}"
    return handle


# ---------------------------------------------------------------------------- answering


class _Answer:
    """Answer one request of one operation."""

    def __init__(self, call: Call, plan: _Plan) -> None:
        self.call = call
        self.plan = plan
        self.op = plan.op
        self.digest = load_digest()
        self.store = call.state(SpecStore)
        self.path: dict[str, Any] = {}
        self.query: dict[str, Any] = {}
        self.body: Any = None
        self.concrete: tuple[str, ...] = ()

    # -- the pipeline

    async def respond(self) -> web.StreamResponse:
        errors = self._parameters()
        errors.extend(await self._body())
        if errors:
            return self.call.validation_error(errors)
        self.concrete = tuple(
            str(self.call.params[s[1:-1]]) if _is_param(s) else s for s in self.plan.segments
        )
        missing = self._deleted()
        if missing is not None:
            return missing
        media = self._media_type()
        if media is not None and not accepts(self.call.headers.getall("Accept", []), media):
            message = f"Not acceptable: this operation answers {media}"
            return self.call.error(406, message, type="invalid_request_error")
        answer = getattr(self, f"_{self.plan.kind}")
        response: web.StreamResponse = await answer()
        return response

    def _parameters(self) -> list[ErrorDetail]:
        errors: list[ErrorDetail] = []
        call = self.call
        for name, param in self.plan.params.items():
            where, schema = param["in"], param["schema"]
            if where == "path":
                text = call.params.get(name, "")
                value, found = coerce_values([text], schema, self.digest, ("path", name))
                errors.extend(found)
                self.path[name] = value
            elif where == "query":
                values, exploded = self._query_values(name, schema)
                if exploded is not None:
                    found = validate(exploded, schema, root=self.digest, loc=("query", name))
                    errors.extend(found)
                    self.query[name] = exploded
                elif values:
                    value, found = coerce_values(values, schema, self.digest, ("query", name))
                    errors.extend(found)
                    self.query[name] = value
                elif param["required"]:
                    errors.append(_missing(("query", name)))
            elif where == "header":
                given = call.headers.getall(name, [])
                if given:
                    value, found = coerce_values(given, schema, self.digest, ("header", name))
                    errors.extend(found)
                elif param["required"]:
                    errors.append(_missing(("header", name)))
        return errors

    def _query_values(self, name: str, schema: Any) -> tuple[list[str], dict[str, Any] | None]:
        """The text values of a query parameter; an object parameter comes back decoded
        (a JSON value, ``name[key]=value`` pairs or its exploded properties)."""
        query = self.call.query
        values = list(query.getall(name, []))
        if "object" not in schema_types(schema, self.digest) or (
            "string" in schema_types(schema, self.digest)
        ):
            return values, None
        if values:
            try:
                decoded = json.loads(values[-1])
            except ValueError:
                return values, None
            return values, decoded if isinstance(decoded, dict) else None
        found: dict[str, Any] = {}
        prefix = f"{name}["
        for key in query:
            if key.startswith(prefix) and key.endswith("]"):
                found[key[len(prefix) : -1]] = query.getall(key)[-1]
        for prop, sub in _props(schema, self.digest).items():
            if prop in query:
                found[prop] = coerce_values(list(query.getall(prop)), sub, self.digest)[0]
        return [], (found or None)

    async def _body(self) -> list[ErrorDetail]:
        spec = self.op["body"]
        if spec is None:
            return []
        raw = await self.call.body()
        if not raw.strip():
            return [_missing(("body",))] if spec["required"] else []
        payload, errors = parse_json_body(raw, AnyValue())
        if errors:
            return errors
        self.body = payload
        return validate(payload, spec["schema"], root=self.digest, loc=("body",))

    def _deleted(self) -> web.StreamResponse | None:
        """A 404 when the request names a deleted item (or something under one)."""
        for index, segment in enumerate(self.plan.segments):
            if not _is_param(segment):
                continue
            key = (self.concrete[:index], self.concrete[index])
            if key in self.store.deleted:
                label = _label(self.plan.segments[index - 1] if index else segment)
                return self.call.not_found(label, self.concrete[index])
        return None

    def _media_type(self) -> str | None:
        if self.op["status"] == 204 or not self.op["media_types"]:
            return None
        if self.plan.kind == "speech":
            streams = isinstance(self.body, dict) and self.body.get("stream") is True
            return "text/event-stream" if streams else "application/json"
        return str(self.op["media_types"][0])

    # -- helpers

    def _seed(self, *parts: object) -> str:
        return ":".join([self.op["operation_id"], *map(str, parts)])

    def _path_record(self) -> dict[str, Any]:
        """The path parameters as record fields (the last one also as the id field)."""
        record = dict(self.path)
        plan = self.plan
        item_route = plan.collection is not None and len(plan.segments) > plan.collection
        if plan.id_field is not None and plan.collection is not None and item_route:
            last = plan.segments[plan.collection][1:-1]
            record[plan.id_field] = self.path.get(last)
        return record

    def _render(self, schema: Any, record: Mapping[str, Any], seed: str) -> Any:
        """An instance of ``schema`` carrying the fields of ``record`` that fit."""
        base = synthesize(schema, root=self.digest, seed=seed)
        return overlay(base, schema, record, self.digest)

    def _render_resource(self, record: Mapping[str, Any], seed: str) -> Any:
        schema = self.op["response"]
        value = synthesize(schema, root=self.digest, seed=seed)
        path = self.plan.resource_path
        if path and isinstance(value, dict):
            sub = _props(schema, self.digest)[path[0]]
            value[path[0]] = overlay(value[path[0]], sub, record, self.digest)
            return overlay(value, schema, record, self.digest, keep=path[0])
        return overlay(value, schema, record, self.digest)

    def _json(self, payload: Any) -> web.StreamResponse:
        return self.call.ok(
            _end_cursors(payload, self.op["response"], self.digest), self.op["status"]
        )

    def _no_content_or(self, payload: Any) -> web.StreamResponse:
        if self.op["response"] is None:
            return self.call.empty(self.op["status"])
        return self._json(payload)

    def _body_fields(self) -> dict[str, Any]:
        return dict(self.body) if isinstance(self.body, dict) else {}

    def _collection_key(self) -> tuple[str, ...]:
        if self.plan.store_key is not None:
            return self.plan.store_key
        assert self.plan.collection is not None
        return self.concrete[: self.plan.collection]

    # -- kinds

    async def _action(self) -> web.StreamResponse:
        if self.op["response"] is None:
            return self.call.empty(self.op["status"])
        record = {**self._body_fields(), **self._path_record()}
        payload = self._render(self.op["response"], record, self._seed(*self.concrete))
        if self.plan.items_path is not None and self._pages():
            items = _get(payload, self.plan.items_path)
            payload = self._paginate(payload, items if isinstance(items, list) else [])
        return self._json(payload)

    async def _create(self) -> web.StreamResponse:
        plan = self.plan
        assert plan.id_field is not None
        key = self._collection_key()
        records = self.store.collection(key)
        fields = self._body_fields()
        given = fields.get(plan.id_field)
        if isinstance(given, str | int) and not isinstance(given, bool) and given != "":
            item_id: Any = given
        elif "integer" in schema_types(plan.id_schema, self.digest):
            numbers = [r.get(plan.id_field) for r in records.values()]
            item_id = max([n for n in numbers if isinstance(n, int)] + [0]) + 1
        else:
            item_id = str(uuid.uuid4())
        record = {**fields, **self._path_record(), plan.id_field: item_id}
        if self.op["response"] is not None:
            rendered = self._render_resource(record, self._seed(item_id))
            resource = _get(rendered, plan.resource_path)
            if isinstance(resource, dict):
                record = {**record, **resource}
        else:
            rendered = None
        records[str(item_id)] = record
        self.store.deleted.discard((key, str(item_id)))
        return self._no_content_or(rendered)

    def _current(self) -> tuple[str, dict[str, Any] | None]:
        item_id = self.concrete[-1]
        return item_id, self.store.find(self._collection_key(), item_id)

    async def _get(self) -> web.StreamResponse:
        item_id, record = self._current()
        merged = {**self._path_record(), **(record or {})}
        return self._json(self._render_resource(merged, self._seed(item_id)))

    async def _update(self) -> web.StreamResponse:
        item_id, record = self._current()
        records = self.store.collection(self._collection_key())
        stored_id = next((k for k, v in records.items() if v is record), item_id)
        merged = {**self._path_record(), **(record or {}), **self._body_fields()}
        assert self.plan.id_field is not None
        if record is not None and self.plan.id_field in record:
            merged[self.plan.id_field] = record[self.plan.id_field]  # the id does not change
        records[stored_id] = merged
        if self.op["response"] is None:
            return self.call.empty(self.op["status"])
        return self._json(self._render_resource(merged, self._seed(item_id)))

    async def _delete(self) -> web.StreamResponse:
        item_id, record = self._current()
        key = self._collection_key()
        records = self.store.collection(key)
        merged = {**self._path_record(), **(record or {})}
        if record is not None:
            stored_id = next(k for k, v in records.items() if v is record)
            del records[stored_id]
            self.store.deleted.add((key, stored_id))
        self.store.deleted.add((key, item_id))
        if self.op["response"] is None:
            return self.call.empty(self.op["status"])
        return self._json(self._render_resource(merged, self._seed(item_id)))

    async def _clear(self) -> web.StreamResponse:
        key = self._collection_key()
        for item_id in self.store.records.pop(key, {}):
            self.store.deleted.add((key, item_id))
        return await self._action()

    async def _list(self) -> web.StreamResponse:
        plan = self.plan
        assert plan.items_path is not None
        payload = synthesize(self.op["response"], root=self.digest, seed=self._seed("list"))
        if not plan.linked:
            found = _get(payload, plan.items_path) if plan.items_path else payload
            return self._json(self._paginate(payload, found if isinstance(found, list) else []))
        records = [
            record
            for record in self.store.records.get(self._collection_key(), {}).values()
            if all(str(record.get(name, value)) == str(value) for name, value in self._filters())
        ]
        items = [
            self._render(plan.item_schema, record, self._seed(record.get(plan.id_field or "")))
            for record in records
        ]
        return self._json(self._paginate(payload, items))

    def _filters(self) -> list[tuple[str, Any]]:
        """The path parameters a linked list's records must carry (when they have them)."""
        return [(name, self.path[name]) for name in self.plan.filters if name in self.path]

    def _pages(self) -> bool:
        """Whether the operation takes paging parameters."""
        names = {*_CURSOR_PARAMS, *_SIZE_PARAMS, "offset", "page"}
        return not names.isdisjoint(self.plan.params)

    def _paginate(self, payload: Any, items: list[Any]) -> Any:
        """Put one page of ``items`` in the list response, with its paging fields."""
        query, params = self.query, self.plan.params
        size_name = next((n for n in _SIZE_PARAMS if n in params), None)
        size = query.get(size_name) if size_name else None
        if size is None and size_name is not None:
            size = params[size_name]["schema"].get("default")
        size = size if isinstance(size, int) and size > 0 else None
        start = 0
        cursor_name = next((n for n in _CURSOR_PARAMS if n in params), None)
        page: int | None = None
        if cursor_name is not None and isinstance(query.get(cursor_name), str):
            start = _parse_cursor(query[cursor_name])
        elif "offset" in params:
            offset = query.get("offset", 0)
            start = offset if isinstance(offset, int) and offset > 0 else 0
        elif "page" in params:
            base = _page_base(params["page"]["schema"])
            requested = query.get("page", base)
            page = requested if isinstance(requested, int) else base
            start = max(0, page - base) * (size or len(items) or 1)
        end = len(items) if size is None else start + size
        chunk = items[start:end]
        more = end < len(items)
        if page is not None:
            token: str | None = str(page + 1) if more else None
        else:
            token = str(end) if more else None
        path = self.plan.items_path or ()
        schema = self.op["response"]
        if not path:
            return chunk
        _put(payload, path, chunk)
        containers = [path[:-1]]
        if path[:-1] == ():
            containers.append(("pagination",))
        facts: dict[str, Any] = {
            "total": len(items),
            "count": len(items),
            "has_more": more,
            "page_size": size if size is not None else len(items),
            "total_pages": math.ceil(len(items) / size) if size else 1,
            "previous": None,
            "cursor": None,
        }
        if page is not None:
            facts["page"] = page
        for where in containers:
            box = _get(payload, where)
            box_schema = _schema_at(schema, where, self.digest)
            if not isinstance(box, dict) or box_schema is None:
                continue
            props = _props(box_schema, self.digest)
            for name in _NEXT_FIELDS:
                if name in props:
                    _set_field(box, name, token, props[name], self.digest)
            for name, value in facts.items():
                if name in props:
                    _set_field(box, name, value, props[name], self.digest, optional_only=False)
        return payload

    # -- binary, speech, streams

    async def _binary(self) -> web.StreamResponse:
        media = str(self.op["media_types"][0])
        return await self.call.bytes_response(wav_bytes(), media, status=self.op["status"])

    async def _speech(self) -> web.StreamResponse:
        audio = wav_bytes()
        if not (isinstance(self.body, dict) and self.body.get("stream") is True):
            payload = {"audio_data": base64.b64encode(audio).decode()}
            return self.call.ok(payload, self.op["status"])
        sse = self.op["sse"]
        union = _deref(sse["data"], self.digest)
        mapping = tag_mapping(
            union.get("oneOf") or [], union.get("discriminator") or {}, self.digest
        )
        size = math.ceil(len(audio) / 3)
        events: list[tuple[str | None, Any]] = []
        for index in range(0, len(audio), size):
            chunk = base64.b64encode(audio[index : index + size]).decode()
            delta = self._render(mapping["speech.audio.delta"], {"audio_data": chunk}, "delta")
            events.append(("speech.audio.delta", delta))
        done = self._render(mapping["speech.audio.done"], {}, "done")
        usage = {"prompt_tokens": len(str(self.body.get("input", "")).split()), "total_tokens": 0}
        if isinstance(done.get("usage"), dict):
            done["usage"] = overlay(
                done["usage"],
                _props(mapping["speech.audio.done"], self.digest)["usage"],
                usage,
                self.digest,
            )
        events.append(("speech.audio.done", done))
        return await self._send(events)

    async def _stream(self) -> web.StreamResponse:
        path = self.op["path"]
        if path.endswith("/logs/stream"):
            events = self._log_events()
        else:
            execution_id = self.path.get("execution_id")
            if execution_id is None:
                wanted = self.query.get("workflow_exec_id")
                execution_id = wanted if isinstance(wanted, str) and wanted != "*" else None
            events = self._workflow_events(
                str(execution_id or uuid.uuid5(uuid.NAMESPACE_URL, path))
            )
            start_seq = self.query.get("start_seq")
            if isinstance(start_seq, int) and start_seq > 0:
                events = events[start_seq:]
        return await self._send(events)

    def _log_events(self) -> list[tuple[str | None, Any]]:
        data = _deref(self.op["sse"]["data"], self.digest)
        branch = (data.get("oneOf") or [data])[0]
        events: list[tuple[str | None, Any]] = []
        for index in range(self.store.stream_events):
            record = {
                "body": f"log line {index + 1}",
                "timestamp": _timestamp(index),
                "severity_text": "INFO",
            }
            events.append(("log", self._render(branch, record, self._seed("log", index))))
        return events

    def _workflow_events(self, execution_id: str) -> list[tuple[str | None, Any]]:
        data = _deref(self.op["sse"]["data"], self.digest)
        payload_schema = next(
            (b for b in data.get("oneOf") or [data] if "broker_sequence" in _props(b, self.digest)),
            (data.get("oneOf") or [data])[0],
        )
        inner_schema = _props(payload_schema, self.digest).get("data", {})
        inner = _deref(inner_schema, self.digest)
        by_type = tag_mapping(inner.get("oneOf") or [], {"propertyName": "event_type"}, self.digest)
        known = self.store.executions.get(execution_id)
        final = known.final_status if known is not None else self.store.execution_status
        last = {
            "FAILED": "WORKFLOW_EXECUTION_FAILED",
            "CANCELED": "WORKFLOW_EXECUTION_CANCELED",
            "TERMINATED": "WORKFLOW_EXECUTION_CANCELED",
        }.get(final, "WORKFLOW_EXECUTION_COMPLETED")
        count = max(2, self.store.stream_events)
        middle = ["ACTIVITY_TASK_STARTED", "ACTIVITY_TASK_COMPLETED"]
        kinds = ["WORKFLOW_EXECUTION_STARTED"]
        kinds += [middle[i % 2] for i in range(count - 2)]
        kinds.append(last)
        record = self.store.find(EXECUTIONS, execution_id) or {}
        workflow_name = str(record.get("workflow_name", "workflow"))
        ids = {
            "workflow_exec_id": execution_id,
            "root_workflow_exec_id": execution_id,
            "workflow_name": workflow_name,
        }
        events: list[tuple[str | None, Any]] = []
        for index, kind in enumerate(kinds):
            seed = self._seed(execution_id, index)
            branch = by_type.get(kind) or next(iter(by_type.values()), inner_schema)
            event = self._render(
                branch,
                {**ids, "event_id": str(index + 1), "event_timestamp": 1_785_000_000 + index},
                seed,
            )
            payload = self._render(
                payload_schema,
                {"broker_sequence": index, "timestamp": _timestamp(index), "stream": "events"},
                seed,
            )
            payload["data"] = event
            if isinstance(payload.get("workflow_context"), dict):
                context_schema = _props(payload_schema, self.digest)["workflow_context"]
                payload["workflow_context"] = overlay(
                    payload["workflow_context"], context_schema, ids, self.digest
                )
            events.append((None, payload))
        return events

    async def _send(self, events: list[tuple[str | None, Any]]) -> web.StreamResponse:
        """Stream ``events`` with SSE ids, from after the client's ``Last-Event-ID``."""
        call = self.call
        resume = call.headers.get("Last-Event-ID") or self.call.query.get("last_event_id")
        start = _parse_cursor(resume) if resume else 0
        cut = call.app.take_cut()
        headers = {
            **call.app.headers(call.request_id),
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
        }
        response = web.StreamResponse(status=200, headers=headers)
        await response.prepare(call.request)
        sent = 0
        try:
            for index in range(start, len(events)):
                if cut is not None and sent >= cut:
                    return _drop(call, response)
                if sent and await call.app.pause(call.app.stream_delay):
                    return _drop(call, response)
                name, payload = events[index]
                await response.write(_sse(name, payload, str(index + 1)))
                sent += 1
            if cut is not None:
                return _drop(call, response)
            await response.write_eof()
        except ConnectionError:
            pass  # the client went away
        return response

    # -- workflow executions

    def _input(self) -> tuple[Any, dict[str, Any]]:
        body = self._body_fields()
        given = body.get("input")
        knobs = given.get("_fake") if isinstance(given, dict) else None
        return given, knobs if isinstance(knobs, dict) else {}

    async def _execute(self) -> web.StreamResponse:
        body = self._body_fields()
        given, knobs = self._input()
        execution_id = body.get("execution_id") or str(uuid.uuid4())
        store = self.store
        result = knobs.get("result", store.execution_result)
        if result is None:
            result = {"input": given}
        polls = knobs.get("polls", store.execution_polls)
        status = str(knobs.get("status", store.execution_status)).upper()
        store.executions[execution_id] = _Execution(
            polls if isinstance(polls, int) else store.execution_polls, status, result
        )
        workflow = self.path.get("workflow_identifier") or self.path.get("workflow_registration_id")
        record = {
            "execution_id": execution_id,
            "root_execution_id": execution_id,
            "workflow_name": str(workflow),
            "deployment_name": body.get("deployment_name"),
            "run_id": str(uuid.uuid4()),
            "status": "RUNNING",
            "start_time": SYNTH_TIMESTAMP,
            "end_time": None,
            "result": None,
            "parent_execution_id": None,
            "total_duration_ms": None,
        }
        store.collection(EXECUTIONS)[execution_id] = record
        schema = self.op["response"]
        branches = _deref(schema, self.digest).get("anyOf") or [schema]
        if body.get("wait_for_result") is True:
            execution = store.executions[execution_id]
            execution.polls_left = 0
            self._advance(execution_id, record)
            sync = next(
                (b for b in branches if "status" not in _props(b, self.digest)), branches[-1]
            )
            payload = self._render(sync, record, self._seed(execution_id))
        else:
            full = next((b for b in branches if "status" in _props(b, self.digest)), branches[0])
            payload = self._render(full, record, self._seed(execution_id))
        return self._json(payload)

    def _advance(self, execution_id: str, record: dict[str, Any]) -> None:
        """Count one poll; finish the execution once its polls are used up."""
        execution = self.store.execution(execution_id)
        if record.get("status") in _TERMINAL:
            return
        if execution.polls_left > 0:
            execution.polls_left -= 1
            record["status"] = "RUNNING"
            return
        record["status"] = execution.final_status
        record["end_time"] = SYNTH_TIMESTAMP
        record["total_duration_ms"] = 1000
        record["result"] = execution.result if execution.final_status == "COMPLETED" else None

    async def _execution(self) -> web.StreamResponse:
        execution_id = str(self.path["execution_id"])
        records = self.store.collection(EXECUTIONS)
        record = records.get(execution_id)
        if record is None:
            record = records[execution_id] = {
                "execution_id": execution_id,
                "root_execution_id": execution_id,
                "status": "RUNNING",
                "end_time": None,
                "result": None,
            }
        self._advance(execution_id, record)
        return self._json(self._render(self.op["response"], record, self._seed(execution_id)))

    async def _stop(self) -> web.StreamResponse:
        execution_id = str(self.path["execution_id"])
        records = self.store.collection(EXECUTIONS)
        record = records.setdefault(execution_id, {"execution_id": execution_id})
        status = "CANCELED" if self.plan.segments[-1] == "cancel" else "TERMINATED"
        if record.get("status") not in _TERMINAL:
            record.update(status=status, end_time=SYNTH_TIMESTAMP, result=None)
            self.store.execution(execution_id).final_status = status
        return await self._action()


# ---------------------------------------------------------------------------- helpers


def overlay(
    value: Any,
    schema: Any,
    record: Mapping[str, Any],
    digest: Mapping[str, Any],
    keep: str | None = None,
) -> Any:
    """``value`` (an instance of ``schema``) with the fields of ``record`` that fit in it.

    Only properties of the schema are taken, and only values the property's schema accepts;
    the result stays valid (a field that would break it is left out). ``keep`` names a
    property never overwritten.
    """
    if not isinstance(value, dict):
        return value
    node = _deref(schema, digest)
    branches = node.get("anyOf") or node.get("oneOf") if isinstance(node, Mapping) else None
    if branches and not _props(node, digest):
        for branch in branches:
            if is_valid(value, branch, root=digest):
                return overlay(value, branch, record, digest, keep)
        return value
    props = _props(schema, digest)
    fitting = {
        name: item
        for name, item in record.items()
        if name in props and name != keep and is_valid(item, props[name], root=digest)
    }
    merged = {**value, **fitting}
    if is_valid(merged, schema, root=digest):
        return merged
    result = dict(value)
    for name, item in fitting.items():
        trial = {**result, name: item}
        if is_valid(trial, schema, root=digest):
            result = trial
    return result


def accepts(values: Iterable[str], media_type: str) -> bool:
    """Whether ``Accept`` header values allow ``media_type`` (no header allows anything)."""
    ranges = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if not ranges:
        return True
    kind, _, sub = media_type.lower().partition("/")
    for item in ranges:
        name, *options = [p.strip() for p in item.split(";")]
        quality = 1.0
        for option in options:
            key, _, number = option.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(number)
                except ValueError:
                    quality = 1.0
        if quality <= 0:
            continue
        want_kind, _, want_sub = name.lower().partition("/")
        if want_kind == "*" or (want_kind == kind and want_sub in ("*", sub)):
            return True
    return False


def _deref(schema: Any, digest: Mapping[str, Any]) -> Any:
    node = schema
    while isinstance(node, Mapping) and "$ref" in node and len(node) == 1:
        node = resolve(node["$ref"], digest)
    if isinstance(node, Mapping) and "$ref" in node:
        return resolve(node["$ref"], digest)
    return node if isinstance(node, Mapping) else {}


def _missing(loc: tuple[str, ...]) -> ErrorDetail:
    return {"type": "missing", "loc": list(loc), "msg": "Field required", "input": None}


def _label(segment: str) -> str:
    """A resource name for a 404 message: ``user-groups`` -> ``User group``."""
    words = segment.strip("{}").replace("-", " ").replace("_", " ")
    words = words.removesuffix(" id").removesuffix(" uuid")
    if words.endswith("s") and not words.endswith("ss"):
        words = words[:-1]
    return words[:1].upper() + words[1:]


def _page_base(schema: Mapping[str, Any]) -> int:
    """1 for 1-based ``page`` parameters (default or minimum 1), else 0."""
    if schema.get("default") == 1 or schema.get("minimum") == 1:
        return 1
    return 1 if schema.get("exclusiveMinimum") == 0 else 0


def _parse_cursor(text: object) -> int:
    try:
        return max(0, int(str(text)))
    except ValueError:
        return 0


def _timestamp(index: int) -> str:
    return f"{SYNTH_TIMESTAMP[:17]}{index % 60:02d}Z"


def _get(value: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _put(value: Any, path: Sequence[str], item: Any) -> None:
    """Set the value at ``path`` if its container exists."""
    box = _get(value, path[:-1])
    if isinstance(box, dict):
        box[path[-1]] = item


def _schema_at(schema: Any, path: Sequence[str], digest: Mapping[str, Any]) -> Any:
    for key in path:
        props = _props(schema, digest)
        if key not in props:
            return None
        schema = props[key]
    return schema


def _set_field(
    box: dict[str, Any],
    name: str,
    value: Any,
    schema: Any,
    digest: Mapping[str, Any],
    *,
    optional_only: bool = True,
) -> None:
    """Set ``box[name]`` to ``value`` when the schema accepts it; a ``None`` that does not fit
    removes the field (or leaves an empty string)."""
    if is_valid(value, schema, root=digest):
        box[name] = value
    elif value is None and optional_only:
        if is_valid("", schema, root=digest):
            box[name] = ""
        else:
            box.pop(name, None)


def _end_cursors(payload: Any, schema: Any, digest: Mapping[str, Any]) -> Any:
    """Null the next-page cursors a synthesized response would carry (two levels deep)."""
    if not isinstance(payload, dict) or schema is None:
        return payload
    props = _props(schema, digest)
    for name, sub in props.items():
        if name in _NEXT_FIELDS and name in payload and isinstance(payload[name], str):
            if payload[name] in ("", "string"):
                _set_field(payload, name, None, sub, digest)
        elif isinstance(payload.get(name), dict):
            _end_cursors(payload[name], sub, digest)
    return payload


def _sse(name: str | None, payload: Any, event_id: str) -> bytes:
    data = json.dumps(payload, separators=(",", ":"))
    head = f"event: {name}\n" if name is not None else ""
    return f"id: {event_id}\n{head}data: {data}\n\n".encode()


def _drop(call: Call, response: web.StreamResponse) -> web.StreamResponse:
    """Close the connection mid-stream."""
    transport = call.request.transport
    if transport is not None:
        transport.close()
    return response

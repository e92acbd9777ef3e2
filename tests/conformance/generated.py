"""Cases of the generated operations, synthesized from the spec and the names table.

For each ``gen`` row of ``scripts/operations.tsv`` the SDK method named there is found on
the client, and its :class:`~mistral_async._operation.Operation` is read from its module (the
module-level object its body passes to ``_call``/``_page``/``_open``). The call's arguments
are built from the spec, each parameter under the Python name the Operation gives it:

- path parameters get an id: a uuid where the schema wants one, otherwise a text with a
  space and a ``/`` (``"voice_id a/b"``) so the test proves the SDK percent-encodes it;
- every query and header parameter, and every property of the JSON body, gets a value
  :class:`~conformance.synth.Synth` builds from its schema.

What the Operation says about the answer gives the case's ``returns`` (``binary``,
``stream``, ``paginator`` or ``value``) and its ``response_type`` (``Operation.returns``).
An operation answering JSON or an event stream (``audio.speech``) gets a second case, of
its streaming method, keyed ``"<operationId>:stream"``.

Everything that keeps a case from being faithful (a spec parameter without a Python
parameter, a Python parameter the spec does not declare, a value the generator could not
make valid) is listed in :attr:`Synthesized.problems`, and fails the case's tests.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from mistral_async import AsyncMistral
from mistral_async._operation import Operation as SdkOperation

from .case import Case, Returns
from .harness import resolve_method
from .names import Row, load_names
from .spec import Operation, SchemaRef, Spec
from .synth import Synth, plain_string

__all__ = ["SDK_OWNS", "Synthesized", "generated_cases", "sdk_operation"]

_RESUME = (
    "the stream's resume cursor: the SDK sends Last-Event-ID itself when it reconnects after "
    "a drop (Operation kind sse-resume); the start cursor is the query parameter last_event_id, "
    "whose Python name the header's would clash with"
)

SDK_OWNS: Final[dict[tuple[str, str, str], str]] = {
    ("stream_deployment_logs", "header", "Last-Event-ID"): _RESUME,
    ("stream_workflow_execution_logs", "header", "Last-Event-ID"): _RESUME,
}
"""Spec parameters a generated method deliberately has no Python parameter for, as
``(operationId, location, name)``: reason. Asserted exact by the tests: an entry that no
longer excuses a missing parameter fails."""


@dataclass(frozen=True)
class Synthesized:
    """A synthesized case, and what keeps it from being faithful to the spec."""

    case: Case
    sdk_operation: SdkOperation[Any] | None
    problems: tuple[str, ...] = ()
    excused: frozenset[tuple[str, str, str]] = field(default_factory=frozenset)
    """The :data:`SDK_OWNS` entries this case used."""


def sdk_operation(method: Callable[..., Any]) -> SdkOperation[Any] | None:
    """The module-level Operation a generated method describes itself with, if any."""
    func = getattr(method, "__func__", method)
    func = inspect.unwrap(func)
    code = getattr(func, "__code__", None)
    if code is None:
        return None
    found = [
        value
        for name in code.co_names
        if isinstance(value := func.__globals__.get(name), SdkOperation)
    ]
    return found[0] if len(found) == 1 else None


def returns_of(op: SdkOperation[Any]) -> Returns:
    """How the method's result is consumed."""
    if op.kind == "binary":
        return "binary"
    if op.kind.startswith("sse"):
        return "stream"
    if op.items is not None or op.next_params is not None:
        return "paginator"
    return "value"


def path_value(spec: Spec, wire: str, schema: SchemaRef, synth: Synth) -> Any:
    """An id for a path parameter: one that needs percent-encoding when the schema allows."""
    if plain_string(spec, schema):
        return f"{wire} a/b"
    return synth.value(schema, wire)


def _stream_sibling(client: AsyncMistral, row: Row, plain: SdkOperation[Any]) -> str | None:
    """The streaming method beside the plain one (same HTTP method and path), by name."""
    if len(row.names) > 1:
        return row.names[1]
    owner_path = row.name.rpartition(".")[0]
    owner = resolve_owner(client, owner_path)
    if owner is None:
        return None
    for attr in sorted(dir(type(owner))):
        if attr.startswith("_"):
            continue
        candidate = getattr(owner, attr, None)
        if not callable(candidate):
            continue
        op = sdk_operation(candidate)
        if (
            op is not None
            and op is not plain
            and op.kind.startswith("sse")
            and (op.method, op.path) == (plain.method, plain.path)
        ):
            return f"{owner_path}.{attr}"
    return None


def object_properties(spec: Spec, schema: SchemaRef) -> dict[str, SchemaRef]:
    """The properties of an object body, through ``anyOf``/``oneOf`` (``[X, null]``)."""
    for branch in spec.branches(schema):
        properties, _ = spec.properties(branch)
        if properties:
            return properties
    return {}


def resolve_owner(client: Any, dotted: str) -> Any:
    target = client
    for part in dotted.split("."):
        target = getattr(target, part, None)
        if target is None:
            return None
    return target


def synthesize(
    spec: Spec, op: Operation, method_name: str, client: AsyncMistral, synth: Synth
) -> Synthesized:
    """The case of one generated method of ``op``."""
    try:
        method = resolve_method(client, method_name)
    except AttributeError as exc:
        return Synthesized(Case(method=method_name), None, (f"no SDK method: {exc}",))
    sdk_op = sdk_operation(method)
    if sdk_op is None:
        return Synthesized(
            Case(method=method_name),
            None,
            (f"{method_name}: no module-level Operation found in its body",),
        )
    problems: list[str] = []
    excused: set[tuple[str, str, str]] = set()
    kwargs: dict[str, Any] = {}
    path_params: dict[str, Any] = {}
    if (sdk_op.method, sdk_op.path) != (op.method, op.path):
        problems.append(
            f"Operation: {sdk_op.method} {sdk_op.path}, the spec says {op.method} {op.path}"
        )
    body_schema = op.request_body.get("application/json")
    body_props: dict[str, SchemaRef] = {}
    if body_schema is not None and body_schema.schema is not None:
        body_props = object_properties(spec, body_schema.schema)
    covered: set[tuple[str, str]] = set()
    for python, wire, where, _kind in sdk_op.params:
        schema: SchemaRef | None = None
        if where in ("path", "query", "header"):
            param = op.params(where).get(wire)
            if param is None and where == "header":
                param = {k.lower(): v for k, v in op.params(where).items()}.get(wire.lower())
            schema = None if param is None else param.schema
            if param is not None:
                covered.add((where, param.name))
        elif where == "body":
            schema = body_props.get(wire)
            covered.add(("body", wire))
        elif where == "json":
            schema = None if body_schema is None else body_schema.schema
            covered.update(("body", name) for name in body_props)
        if schema is None:
            problems.append(
                f"Operation param {python!r} (wire {wire!r}, in {where}) is not declared by "
                "the spec"
            )
            continue
        seed = f"{op.operation_id}.{wire}"
        if where == "path":
            value = path_value(spec, wire, schema, synth)
            path_params[wire] = value
            errors = spec.errors(schema, value, f"path {{{wire}}}")
        else:
            value = synth.value(schema, wire if where != "json" else seed)
            errors = spec.errors(schema, value, f"{where} {wire}")
        problems += [f"synth: {e} (the conformance instance generator's fault)" for e in errors]
        kwargs[python] = value
    for param in op.parameters:
        if param.location == "cookie" or (param.location, param.name) in covered:
            continue
        key = (op.operation_id, param.location, param.name)
        if key in SDK_OWNS:
            excused.add(key)
            continue
        problems.append(
            f"the spec's {param.location} parameter {param.name!r} has no Python parameter "
            f"on {method_name}"
        )
    fixed = set(sdk_op.fixed or ())
    if op.json_and_sse:
        fixed.add("stream")  # which method is called says it (chat.complete / chat.stream)
    for name in body_props:
        if ("body", name) not in covered and name not in fixed:
            problems.append(
                f"the spec's body property {name!r} has no Python parameter on {method_name}"
            )
    for content_type in op.request_body:
        if content_type != "application/json":
            problems.append(
                f"the spec's request body is {content_type}; the Operation sends JSON only"
            )
    returns = returns_of(sdk_op)
    case = Case(
        method=method_name,
        kwargs=kwargs,
        returns=returns,
        response_type=None
        if returns == "binary"
        else (type(None) if sdk_op.returns is None else sdk_op.returns),
        path_params=path_params,
        note="synthesized from the spec by conformance.generated",
    )
    return Synthesized(case, sdk_op, tuple(problems), frozenset(excused))


@functools.cache
def generated_cases(spec: Spec) -> dict[str, Synthesized]:
    """Every ``gen`` operation's synthesized case(s), by case key (built once)."""
    client = AsyncMistral(api_key="conformance", server_url="http://127.0.0.1:9")
    synth = Synth(spec)
    cases: dict[str, Synthesized] = {}
    for row in load_names()[1]:
        if row.source != "gen":
            continue
        op = spec.operations.get(row.operation_id)
        if op is None:
            continue  # test_operations_table reports it
        plain = synthesize(spec, op, row.name, client, synth)
        cases[row.operation_id] = plain
        if op.json_and_sse and plain.sdk_operation is not None:
            stream_name = _stream_sibling(client, row, plain.sdk_operation)
            if stream_name is None:
                cases[f"{row.operation_id}:stream"] = Synthesized(
                    Case(method=f"{row.name.rpartition('.')[0]}.stream", returns="stream"),
                    None,
                    (f"{op}: answers JSON or an event stream, but no streaming method found",),
                )
            else:
                cases[f"{row.operation_id}:stream"] = synthesize(
                    spec, op, stream_name, client, synth
                )
    return cases

"""Spec conformance: every operation of the spec has a method, and the request each method
sends validates against the spec, with the async and the blocking client; what it answers is
an instance of its declared type; the spec's response examples parse into the SDK's types.
See ``tests/conformance/README.md``.

Hand-written methods have hand-written cases (``cases/<group>.py``); generated methods get a
case synthesized from the spec and ``scripts/operations.tsv`` (``generated.py``).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest

from mistral_async import AsyncMistral, Mistral

from .case import Case, operation_of
from .cases import load_cases, module_for_group
from .checks import check_request
from .generated import SDK_OWNS, Synthesized, generated_cases
from .harness import MODES, Mode, RecordingFake, client_options, resolve_method, run_case
from .names import rows_by_operation
from .spec import Operation, load_spec
from .synth import Synth
from .typecheck import type_name

# -- what is not tested, and why: numbers to drive to zero ---------------------------------------

SKIPPED: dict[str, str] = {}
"""Operations that have no case yet, and why. Asserted to be exactly the operations lacking
a case: add a case, then remove its line here."""

BAD_EXAMPLES: dict[str, str] = {
    "list_models_v1_models_get": "the example is a bare array of model cards; the schema "
    "(ModelList) is an object with a data array",
}
"""Operations whose success response examples the SDK cannot parse because the example is
wrong: it breaks its own response schema (see SPEC-README.md). Asserted exact: an entry
must excuse a failing example, and an example that matches its schema is never excused."""

SPEC = load_spec()
TABLE = load_cases()
ROWS = rows_by_operation()
GENERATED: dict[str, Synthesized] = generated_cases(SPEC)


def _all_cases() -> dict[str, Synthesized]:
    cases = {key: Synthesized(case, None) for key, case in TABLE.cases.items()}
    for key, synthesized in GENERATED.items():
        cases.setdefault(key, synthesized)
    return cases


CASES = _all_cases()


def _cases_of(operation_id: str) -> dict[str, Case]:
    return {k: s.case for k, s in CASES.items() if operation_of(k) == operation_id}


def _request_params() -> Iterator[Any]:
    """Every case key with each client, and every operation without a case."""
    covered = {operation_of(key) for key in CASES}
    for key in sorted(set(CASES) | (SPEC.operations.keys() - covered)):
        for mode in MODES:
            yield pytest.param(key, mode, id=f"{key}-{mode}")


def _example_params() -> Iterator[str]:
    for operation_id, op in sorted(SPEC.operations.items()):
        if any(True for _ in op.examples()):
            yield operation_id


# -- fixtures: one fake server and one blocking client per module ----------------------------------


@pytest.fixture(scope="module")
def fake() -> Iterator[RecordingFake]:
    with RecordingFake() as server:
        yield server


@pytest.fixture(scope="module")
def blocking(fake: RecordingFake) -> Iterator[Mistral]:
    with Mistral(**client_options(fake)) as client:
        yield client


# -- the tests -------------------------------------------------------------------------------------


def test_case_modules_load() -> None:
    """Every case module imports and exports ``CASES: dict[str, Case]``."""
    assert not TABLE.errors, "\n".join(f"cases/{m}.py: {e}" for m, e in TABLE.errors.items())


def test_spec_quirks_fixed() -> None:
    """The loader fixed the quirks SPEC-README.md describes, and only those."""
    assert SPEC.fixes == [
        "2026-08: dropped duplicate enum values of StaticWorkspaceRoles",
        "2026-08: '#/$defs/' refs fixed: 0 to components/schemas, "
        "11 to an enclosing schema's $defs",
    ]
    assert len(SPEC.operations) == 293


def test_clients_take_the_admin_key() -> None:
    """The conformance clients carry the admin key, or every admin operation fails with 401."""
    assert "admin_api_key" in inspect.signature(AsyncMistral).parameters, (
        "AsyncMistral(admin_api_key=...) does not exist yet: the admin operations "
        "(AdminApiKey security) cannot authenticate"
    )


def test_every_operation_has_a_method(capsys: pytest.CaptureFixture[str]) -> None:
    """Each operation has a case (hand-written for ``hand`` rows of operations.tsv,
    synthesized for ``gen`` ones) whose method exists on AsyncMistral and Mistral, or sits
    in SKIPPED with a reason; SKIPPED is exactly the operations without a case."""
    operations = SPEC.operations
    covered = {operation_of(key) for key in CASES}
    missing = operations.keys() - covered
    with capsys.disabled():
        hand = sum(1 for o in operations if ROWS.get(o) and ROWS[o].source == "hand")
        print(
            f"\nconformance: {len(operations)} operations ({hand} hand-written, "
            f"{len(operations) - hand} generated), {len(CASES)} cases, "
            f"{len(SKIPPED)} skipped"
        )
        for operation_id, reason in sorted(SKIPPED.items(), key=lambda kv: (kv[1], kv[0])):
            print(f"  SKIPPED {operation_id}: {reason}")
    problems = [
        f"case {k!r}: no operation {operation_of(k)!r} in the spec"
        for k in sorted(CASES)
        if operation_of(k) not in operations
    ]
    problems += [
        f"{operations[o]}: no case, and not in SKIPPED" for o in sorted(missing - SKIPPED.keys())
    ]
    problems += [
        f"SKIPPED[{o!r}]: it has a case now, remove it from SKIPPED"
        for o in sorted(SKIPPED.keys() & covered)
    ]
    problems += [
        f"SKIPPED[{o!r}]: not an operation of the spec"
        for o in sorted(SKIPPED.keys() - operations.keys())
    ]
    problems += _source_problems()
    with Mistral(api_key="conformance", server_url="http://127.0.0.1:9") as blocking_client:
        clients: list[object] = [
            AsyncMistral(api_key="conformance", server_url="http://127.0.0.1:9"),
            blocking_client,
        ]
        for key, synthesized in sorted(CASES.items()):
            op = operations.get(operation_of(key))
            if op is None:
                continue
            problems += _case_problems(key, synthesized.case, op, clients)
    for operation_id in sorted(covered & operations.keys()):
        op = operations[operation_id]
        kinds = {c.returns == "stream" for c in _cases_of(operation_id).values()}
        if op.json_and_sse and kinds != {True, False}:
            problems.append(
                f"{op}: answers JSON or an event stream; it needs a case of the plain method "
                "and one of the streaming method (key '<operationId>:stream')"
            )
    assert not problems, "\n".join(problems)


def _source_problems() -> list[str]:
    """Hand-written cases exactly for the ``hand`` rows, and every name of a ``hand`` row
    called by one of its cases; SDK_OWNS exact."""
    problems = []
    for operation_id in sorted(SPEC.operations):
        row = ROWS.get(operation_id)
        if row is None:
            problems.append(f"{operation_id}: not in scripts/operations.tsv")
            continue
        hand = {k: c for k, c in TABLE.cases.items() if operation_of(k) == operation_id}
        if row.source == "gen" and hand:
            problems.append(
                f"{operation_id}: generated (source gen), but cases/ has {sorted(hand)}; "
                "its case is synthesized"
            )
        if row.source == "hand":
            called = {c.method for c in hand.values()}
            for name in row.names:
                if hand and name not in called:
                    problems.append(
                        f"{operation_id}: operations.tsv names {name}, no case calls it "
                        f"(they call {sorted(called)})"
                    )
    used = frozenset().union(*(s.excused for s in GENERATED.values()))
    problems += [
        f"SDK_OWNS[{key!r}]: excuses nothing now, remove it"
        for key in sorted(SDK_OWNS.keys() - used)
    ]
    return problems


def _case_problems(key: str, case: Case, op: Operation, clients: list[object]) -> list[str]:
    problems = []
    module = TABLE.modules.get(key)
    if module is not None and module != module_for_group(op.group):
        problems.append(
            f"case {key!r} is in cases/{module}.py; group {op.group!r} belongs in "
            f"cases/{module_for_group(op.group)}.py"
        )
    for client in clients:
        try:
            resolve_method(client, case.method)
        except AttributeError as exc:
            problems.append(f"case {key!r}: {exc}")
    if case.returns == "stream" and not op.streams:
        problems.append(f"case {key!r} streams; {op} declares no event stream")
    if op.stream_twin and case.returns != "stream":
        problems.append(f"case {key!r}: {op} is a #stream twin; the case must stream")
    json_response = "application/json" in op.success
    if (
        case.returns != "binary"
        and json_response
        and case.response_type is None
        and case.parse is None
    ):
        problems.append(f"case {key!r}: {op} answers JSON; the case needs a response_type")
    return problems


@pytest.mark.anyio
@pytest.mark.parametrize(("key", "mode"), list(_request_params()))
async def test_request_conforms(
    key: str, mode: Mode, fake: RecordingFake, blocking: Mistral
) -> None:
    """The request the case's call sends validates against the spec's operation, and the
    answer is what the method declares."""
    operation_id = operation_of(key)
    op = SPEC.operations.get(operation_id)
    if op is None:
        pytest.fail(f"case {key!r}: no operation {operation_id!r} in the spec")
    synthesized = CASES.get(key)
    if synthesized is None:
        if operation_id in SKIPPED:
            pytest.skip(f"{operation_id}: {SKIPPED[operation_id]}")
        pytest.fail(f"{op}: no case, and not in SKIPPED")
    case = synthesized.case
    problems: list[str] = list(synthesized.problems)
    path_names = list(op.params("path"))
    outcome = await run_case(case, path_names, fake, mode, blocking)
    if outcome.sent:
        problems += check_request(
            SPEC,
            op,
            case,
            outcome.sent[0],
            outcome.path_values,
            api_key=fake.api_key,
            admin_api_key=fake.admin_api_key,
        )
        if len(outcome.sent) > 1:
            problems.append(f"the call made {len(outcome.sent)} requests; the first is checked")
    elif not any(p.startswith(("setup failed", "no SDK method")) for p in outcome.problems):
        problems.append("the call sent no request")
    problems += outcome.problems
    assert not problems, f"{op} via {case.method} ({mode}):\n  - " + "\n  - ".join(problems)


@pytest.mark.parametrize("operation_id", list(_example_params()))
def test_response_examples_parse(operation_id: str) -> None:
    """Each success example of the operation parses into its cases' response types.

    An example that does not parse fails the test unless the operation is in BAD_EXAMPLES,
    which it may only be when the example also breaks its own response schema (the spec's
    fault, not the SDK's); an entry whose examples all parse must go.
    """
    op = SPEC.operations[operation_id]
    cases = _cases_of(operation_id)
    if not cases:
        pytest.fail(f"{operation_id}: no case")
    problems: list[str] = []
    excused = 0
    for status, media, name, value in op.examples():
        label = f"{status} {media.content_type} example {name!r}"
        streamed = media.content_type == "text/event-stream"
        parsers = {k: c for k, c in cases.items() if (c.returns == "stream") == streamed}
        if not parsers:
            problems.append(f"{label}: no case to parse it with")
        failures = []
        for key, case in sorted(parsers.items()):
            try:
                case.parse_example(value)
            except Exception as exc:
                failures.append(f"case {key!r}: {type(exc).__name__}: {exc}")
        if not failures:
            continue
        errors = (
            []
            if media.schema is None
            else SPEC.errors(media.schema, value, "example", formats=False)
        )
        if operation_id in BAD_EXAMPLES and errors:
            excused += 1
            continue
        verdict = (
            f"it breaks its own schema too ({'; '.join(errors[:2])}): if the spec is wrong, "
            "add the operation to BAD_EXAMPLES"
            if errors
            else "it matches its schema: the SDK must parse it"
        )
        problems.append(f"{label} does not parse ({'; '.join(failures)}); {verdict}")
    if operation_id in BAD_EXAMPLES and not excused and not problems:
        problems.append("every example parses now: remove the operation from BAD_EXAMPLES")
    assert not problems, f"{op}:\n  - " + "\n  - ".join(problems)


def test_bad_examples_are_operations() -> None:
    """BAD_EXAMPLES names operations of the spec that have examples."""
    with_examples = set(_example_params())
    assert not BAD_EXAMPLES.keys() - with_examples


def _generated_response_params() -> Iterator[str]:
    for key, synthesized in sorted(GENERATED.items()):
        case = synthesized.case
        if case.returns != "binary" and synthesized.sdk_operation is not None:
            yield key


@pytest.mark.parametrize("key", list(_generated_response_params()))
def test_generated_type_parses_its_schema(key: str) -> None:
    """A full instance of the success response schema (every property, synthesized) parses
    into the generated method's return type: the spec has no response examples for the
    generated operations, so the generator's types are checked against made-up ones."""
    from mistral_async._converter import structure

    op = SPEC.operations[operation_of(key)]
    case = GENERATED[key].case
    content_type = "text/event-stream" if case.returns == "stream" else "application/json"
    media = op.success.get(content_type)
    if media is None or media.schema is None:
        assert case.response_type in (None, type(None)), (
            f"{op}: no {content_type} success schema, but {case.method} returns "
            f"{type_name(case.response_type)}"
        )
        return
    schema = media.schema
    if content_type == "text/event-stream":
        envelope, _ = SPEC.properties(schema)
        schema = envelope.get("data", schema)
    value, errors = Synth(SPEC).checked(schema, "response", "response")
    assert not errors, "\n".join(errors)
    try:
        structure(value, case.response_type)
    except Exception as exc:
        message = (
            f"{op} via {case.method}: a schema-valid response does not parse into "
            f"{type_name(case.response_type)}: {type(exc).__name__}: {exc}\n  value: {value!r}"
        )
        pytest.fail(message[:3000])

"""The spec-driven endpoints of the fake server (``groups/spec_ops.py``) and their toolkit.

Loopback tests with a plain aiohttp client (the SDK methods of these operations come later):
every ``gen`` operation of ``scripts/operations.tsv`` answers a valid request with its
declared status and a body its response schema accepts (checked with ``jsonschema``), bad
input gets FastAPI's 422, the three auth schemes, the generic store, pagination, content
negotiation, event streams and workflow executions. Then unit tests of ``_schema.py`` and a
check that the committed digest is current.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import importlib.util
import io
import json
import sys
import wave
from collections.abc import Coroutine, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mistral_async.testing import DEFAULT_ADMIN_API_KEY, FakeMistral, SpecStore
from mistral_async.testing import _schema as schema_mod
from mistral_async.testing._schema import (
    coerce_values,
    is_valid,
    synthesize,
    tag_mapping,
    validate,
)
from mistral_async.testing.groups.spec_ops import accepts, load_digest, wav_bytes

ROOT = Path(__file__).resolve().parent.parent
DIGEST = load_digest()
OPERATIONS = DIGEST["operations"]
T = TypeVar("T")

_REGISTRY: Registry[Any] = Registry().with_resource(
    "urn:digest", Resource.from_contents(DIGEST, default_specification=DRAFT202012)
)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def strict_errors(instance: Any, schema: Any) -> list[str]:
    """Errors of ``instance`` by jsonschema's Draft 2020-12 validator (``oneOf`` is strict)."""
    text = json.dumps(schema).replace('"#/schemas/', '"urn:digest#/schemas/')
    validator = Draft202012Validator(json.loads(text), registry=_REGISTRY)
    return [f"{list(e.absolute_path)}: {e.message[:300]}" for e in validator.iter_errors(instance)]


def credentials(fake: FakeMistral, op: Mapping[str, Any]) -> dict[str, str]:
    if op["auth"] == "admin":
        return {"Authorization": f"Bearer {fake.admin_api_key}"}
    if op["auth"] == "x-api-key":
        return {"x-api-key": fake.api_key}
    return {"Authorization": f"Bearer {fake.api_key}"}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def valid_request(
    op: Mapping[str, Any],
) -> tuple[str, list[tuple[str, str]], dict[str, str], Any]:
    """A request the operation accepts: its path, query, extra headers and JSON body."""
    path = op["path"]
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    for param in op["parameters"]:
        value = synthesize(param["schema"], root=DIGEST, seed=op["operation_id"])
        unique = f"{param['name']}-{op['operation_id']}"
        if param["in"] == "path" and is_valid(unique, param["schema"], root=DIGEST):
            value = unique  # no two operations touch the same (possibly deleted) item
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", quote(_text(value), safe=""))
        elif param["required"] and param["in"] == "query":
            values = value if isinstance(value, list) else [value]
            query.extend((param["name"], _text(v)) for v in values)
        elif param["required"] and param["in"] == "header":
            headers[param["name"]] = _text(value)
    body = synthesize(op["body"]["schema"], root=DIGEST) if op["body"] else None
    return path, query, headers, body


class Reply:
    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    def events(self) -> list[dict[str, Any]]:
        """The server-sent events: ``{"id", "event", "data"}`` each."""
        found = []
        for block in self.body.decode().split("\n\n"):
            if not block.strip():
                continue
            event: dict[str, Any] = {"id": None, "event": None, "data": None}
            for line in block.splitlines():
                key, _, value = line.partition(": ")
                event[key] = json.loads(value) if key == "data" else value
            found.append(event)
        return found


async def request(
    fake: FakeMistral,
    method: str,
    path: str,
    *,
    op: Mapping[str, Any] | None = None,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
    params: Any = None,
    auth: bool = True,
) -> Reply:
    sent: dict[str, str] = {}
    if auth:
        sent.update(credentials(fake, op or {"auth": "bearer"}))
    sent.update(headers or {})
    data = None if json_body is None else json.dumps(json_body).encode()
    if data is not None:
        sent.setdefault("Content-Type", "application/json")
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, fake.url + path, data=data, headers=sent, params=params) as resp,
    ):
        return Reply(resp.status, resp.headers, await resp.read())


def op_for(method: str, path: str) -> dict[str, Any]:
    return next(o for o in OPERATIONS.values() if o["method"] == method and o["path"] == path)


@pytest.fixture(scope="module")
def shared_fake() -> Iterator[FakeMistral]:
    with FakeMistral() as fake:
        yield fake


@pytest.fixture
def fake() -> Iterator[FakeMistral]:
    with FakeMistral() as started:
        yield started


# ---------------------------------------------------------------------------- every operation


def _gen_rows() -> list[dict[str, str]]:
    with (ROOT / "scripts" / "operations.tsv").open(newline="", encoding="utf-8") as stream:
        return [row for row in csv.DictReader(stream, delimiter="\t") if row["source"] == "gen"]


def test_the_digest_holds_every_gen_operation() -> None:
    rows = _gen_rows()
    assert sorted(row["operation_id"] for row in rows) == sorted(OPERATIONS)
    assert len(OPERATIONS) == 217
    for row in rows:
        op = OPERATIONS[row["operation_id"]]
        assert (op["method"], op["spec_path"], op["name"]) == (
            row["method"],
            row["path"],
            row["name"],
        )
        assert "#" not in op["path"]


def test_every_gen_operation_has_a_route_with_its_auth(shared_fake: FakeMistral) -> None:
    routes = set(shared_fake.app.routes())
    for op in OPERATIONS.values():
        match = shared_fake.app.match(op["method"], op["path"].replace("{", "x").replace("}", ""))
        assert match.endpoint is not None, op["operation_id"]
        assert match.endpoint.auth == op["auth"]
        assert (op["method"], match.endpoint.pattern) in routes


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_every_operation_answers_a_valid_request(
    shared_fake: FakeMistral, operation_id: str
) -> None:
    op = OPERATIONS[operation_id]
    path, query, headers, body = valid_request(op)
    reply = run(
        request(
            shared_fake,
            op["method"],
            path,
            op=op,
            json_body=body,
            headers=headers,
            params=query or None,
        )
    )
    assert reply.status == op["status"], reply.body[:500]
    if op["status"] == 204 or (op["response"] is None and not op["media_types"]):
        assert reply.body == b""
        return
    content_type = reply.headers["Content-Type"]
    if content_type.startswith("text/event-stream"):
        events = reply.events()
        assert events
        assert [e["id"] for e in events] == [str(i) for i in range(1, len(events) + 1)]
        for event in events:
            assert not strict_errors(event["data"], op["sse"]["data"])
            if op["sse"]["events"]:
                assert event["event"] in op["sse"]["events"]
    elif content_type.startswith("audio/wav"):
        assert reply.body.startswith(b"RIFF")
    else:
        assert content_type.startswith("application/json")
        assert not strict_errors(reply.json(), op["response"])


@pytest.mark.parametrize(
    "operation_id",
    [
        *sorted(o for o, op in OPERATIONS.items() if op["auth"] != "bearer"),
        "prompts_list",
        "speech_v1_audio_speech_post",
    ],
)
def test_wrong_or_missing_credentials_are_401(shared_fake: FakeMistral, operation_id: str) -> None:
    op = OPERATIONS[operation_id]
    path, query, headers, body = valid_request(op)
    ordinary = {"Authorization": f"Bearer {shared_fake.api_key}"}
    admin = {"Authorization": f"Bearer {shared_fake.admin_api_key}"}
    wrong = {
        "bearer": [{}, admin, {"x-api-key": shared_fake.api_key}],
        "admin": [{}, ordinary, {"x-api-key": shared_fake.admin_api_key}],
        "x-api-key": [{}, ordinary, {"x-api-key": "nope"}],
    }[op["auth"]]

    async def scenario() -> list[Reply]:
        return [
            await request(
                shared_fake,
                op["method"],
                path,
                json_body=body,
                headers={**headers, **creds},
                params=query or None,
                auth=False,
            )
            for creds in wrong
        ]

    for reply in run(scenario()):
        assert reply.status == 401
        assert reply.json()["type"] == "authentication_error"


def test_admin_key_is_configurable() -> None:
    assert DEFAULT_ADMIN_API_KEY == "fake-admin-key"
    with FakeMistral(api_key="k", admin_api_key="boss") as fake:
        assert fake.admin_api_key == "boss"
        ok = run(request(fake, "GET", "/v1/admin/roles", headers={"Authorization": "Bearer boss"}))
        refused = run(
            request(fake, "GET", "/v1/admin/roles", headers={"Authorization": "Bearer k"})
        )
    assert (ok.status, refused.status) == (200, 401)


# ---------------------------------------------------------------------------- validation


def _required_body_fields() -> list[tuple[str, str]]:
    found = []
    for operation_id, op in sorted(OPERATIONS.items()):
        if op["body"] is None:
            continue
        _, required = schema_mod.object_properties(op["body"]["schema"], DIGEST)
        if required:
            found.append((operation_id, sorted(required)[0]))
    return found


@pytest.mark.parametrize(("operation_id", "field"), _required_body_fields())
def test_a_body_without_a_required_field_is_422_naming_it(
    shared_fake: FakeMistral, operation_id: str, field: str
) -> None:
    op = OPERATIONS[operation_id]
    path, query, headers, body = valid_request(op)
    del body[field]
    reply = run(
        request(
            shared_fake,
            op["method"],
            path,
            op=op,
            json_body=body,
            headers=headers,
            params=query or None,
        )
    )
    assert reply.status == 422
    detail = reply.json()["detail"]
    assert {"type": "missing", "loc": ["body", field], "msg": "Field required"}.items() <= (
        detail[0].items()
    )


def test_bad_bodies_and_parameters_are_422(shared_fake: FakeMistral) -> None:
    create = op_for("POST", "/v2/prompts")
    voices = op_for("GET", "/v1/audio/voices")

    async def scenario() -> list[Reply]:
        return [
            await request(shared_fake, "POST", "/v2/prompts"),  # no body
            await request(
                shared_fake, "POST", "/v2/prompts", headers={"Content-Type": "application/json"}
            ),
            await request(
                shared_fake,
                "POST",
                "/v2/prompts",
                json_body={"name": 3, "definition": {"content": "x"}, "bogus": 1},
            ),
            await request(shared_fake, "GET", "/v1/audio/voices", params={"limit": "many"}),
            await request(shared_fake, "GET", "/v1/audio/voices", params={"limit": "0"}),
            await request(shared_fake, "GET", "/v2/prompts/p/versions/notanumber"),
            await request(
                shared_fake, "GET", "/v1/workflows/runs", params={"status": "NOT_A_STATUS"}
            ),
        ]

    no_body, empty, wrong, unparsable, too_small, bad_path, bad_enum = run(scenario())
    assert create["body"]["required"] and voices["parameters"]
    for reply in (no_body, empty):
        assert reply.status == 422
        assert reply.json()["detail"] == [
            {"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}
        ]
    assert wrong.status == 422
    assert [(d["type"], d["loc"]) for d in wrong.json()["detail"]] == [
        ("string_type", ["body", "name"]),
        ("extra_forbidden", ["body", "bogus"]),
    ]
    assert unparsable.json()["detail"][0]["type"] == "int_parsing"
    assert unparsable.json()["detail"][0]["loc"] == ["query", "limit"]
    assert too_small.json()["detail"][0]["type"] == "greater_than_equal"
    assert bad_path.json()["detail"][0]["loc"] == ["path", "version"]
    assert bad_enum.status == 422
    assert bad_enum.json()["detail"][0]["loc"][:2] == ["query", "status"]


def test_query_values_are_converted(shared_fake: FakeMistral) -> None:
    async def scenario() -> list[Reply]:
        return [
            await request(
                shared_fake,
                "GET",
                "/v1/workflows/runs",
                params=[("status", "RUNNING"), ("status", "FAILED"), ("page_size", "3")],
            ),
            await request(
                shared_fake,
                "GET",
                "/v1/connectors",
                params={"active": "true", "page_size": "10"},
            ),
            await request(shared_fake, "GET", "/v1/connectors", params={"active": "maybe"}),
            await request(
                shared_fake,
                "GET",
                "/v1/observability/judges",
                params=[("type_filter", "NOPE"), ("page", "1")],
            ),
        ]

    statuses, exploded, bad_exploded, bad_item = run(scenario())
    assert statuses.status == 200
    assert exploded.status == 200
    assert bad_exploded.status == 422
    assert bad_exploded.json()["detail"][0]["loc"] == ["query", "query_filters", "active"]
    assert bad_exploded.json()["detail"][0]["type"] == "bool_type"
    assert bad_item.status == 422
    assert bad_item.json()["detail"][0]["loc"] == ["query", "type_filter", 0]


# ---------------------------------------------------------------------------- content types


def test_accept_header_is_honoured(shared_fake: FakeMistral) -> None:
    sample = "/v1/audio/voices/any-voice/sample"

    async def scenario() -> list[Reply]:
        return [
            await request(shared_fake, "GET", sample),
            await request(shared_fake, "GET", sample, headers={"Accept": "audio/*"}),
            await request(shared_fake, "GET", sample, headers={"Accept": "application/json"}),
            await request(shared_fake, "GET", "/v2/prompts", headers={"Accept": "audio/wav"}),
            await request(
                shared_fake,
                "GET",
                "/v2/prompts",
                headers={"Accept": "application/json;q=0, text/html"},
            ),
            await request(
                shared_fake,
                "POST",
                "/v1/audio/speech",
                json_body={"input": "hi", "stream": True},
                headers={"Accept": "application/json"},
            ),
            await request(
                shared_fake,
                "POST",
                "/v1/audio/speech",
                json_body={"input": "hi"},
                headers={"Accept": "application/json"},
            ),
        ]

    plain, ranged, json_only, prompts_wav, refused, speech_sse, speech_json = run(scenario())
    for reply in (plain, ranged):
        assert reply.status == 200
        assert reply.headers["Content-Type"] == "audio/wav"
        with wave.open(io.BytesIO(reply.body)) as audio:
            assert (audio.getnchannels(), audio.getsampwidth()) == (1, 2)
            assert audio.getnframes() > 0
    for reply in (json_only, prompts_wav, refused, speech_sse):
        assert reply.status == 406
        assert reply.json()["code"] == "406"
    assert speech_json.status == 200
    assert base64.b64decode(speech_json.json()["audio_data"]) == wav_bytes()


def test_accepts() -> None:
    assert accepts([], "audio/wav")
    assert accepts(["*/*"], "audio/wav")
    assert accepts(["text/html, audio/*;q=0.5"], "audio/wav")
    assert not accepts(["application/json"], "audio/wav")
    assert not accepts(["audio/wav;q=0"], "audio/wav")
    assert accepts(["text/event-stream"], "text/event-stream")


# ---------------------------------------------------------------------------- the store


def test_store_round_trip(fake: FakeMistral) -> None:
    body = {"name": "greeting", "definition": {"content": "Hello {{name}}"}, "title": "Hi"}

    async def scenario() -> dict[str, Reply]:
        created = await request(fake, "POST", "/v2/prompts", json_body=body)
        prompt_id = created.json()["id"]
        replies = {"created": created}
        replies["got"] = await request(fake, "GET", f"/v2/prompts/{prompt_id}")
        replies["patched"] = await request(
            fake, "PATCH", f"/v2/prompts/{prompt_id}", json_body={"title": "Hello"}
        )
        replies["listed"] = await request(fake, "GET", "/v2/prompts")
        replies["deleted"] = await request(fake, "DELETE", f"/v2/prompts/{prompt_id}")
        replies["gone"] = await request(fake, "GET", f"/v2/prompts/{prompt_id}")
        replies["gone_versions"] = await request(fake, "GET", f"/v2/prompts/{prompt_id}/versions")
        replies["deleted_again"] = await request(fake, "DELETE", f"/v2/prompts/{prompt_id}")
        replies["listed_after"] = await request(fake, "GET", "/v2/prompts")
        replies["never"] = await request(fake, "GET", "/v2/prompts/never-created")
        return replies

    r = run(scenario())
    created = r["created"].json()
    assert r["created"].status == 200
    assert created["name"] == "greeting"
    assert created["definition"]["content"] == "Hello {{name}}"
    get_op = op_for("GET", "/v2/prompts/{prompt_id}")
    got = r["got"].json()
    assert got == created
    assert not strict_errors(got, get_op["response"])
    patched = r["patched"].json()
    assert (patched["id"], patched["title"], patched["name"]) == (
        created["id"],
        "Hello",
        "greeting",
    )
    listed = r["listed"].json()
    assert [p["id"] for p in listed["data"]] == [created["id"]]
    assert listed["data"][0]["title"] == "Hello"
    assert r["deleted"].status == 200
    for gone in (r["gone"], r["gone_versions"], r["deleted_again"]):
        assert gone.status == 404
        assert gone.json()["message"] == f"Prompt not found: {created['id']}"
    assert r["listed_after"].json()["data"] == []
    never = r["never"].json()
    assert r["never"].status == 200
    assert never["id"] == "never-created"
    assert not strict_errors(never, get_op["response"])
    assert set(fake.state(SpecStore).records) == {("v2", "prompts")}


def test_ids_come_from_the_request_or_count_up(fake: FakeMistral) -> None:
    async def scenario() -> list[Reply]:
        deployment = synthesize(
            op_for("POST", "/v1/workflows/deployments")["body"]["schema"], root=DIGEST
        )
        deployment["name"] = "my-deployment"
        version = {"definition": {"content": "v"}}
        return [
            await request(fake, "POST", "/v1/workflows/deployments", json_body=deployment),
            await request(fake, "GET", "/v1/workflows/deployments/my-deployment"),
            await request(fake, "POST", "/v2/prompts/p1/versions", json_body=version),
            await request(fake, "POST", "/v2/prompts/p1/versions", json_body=version),
            await request(fake, "GET", "/v2/prompts/p1/versions"),
        ]

    created, got, first, second, versions = run(scenario())
    assert created.status == 202
    assert created.json()["name"] == got.json()["name"] == "my-deployment"
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert versions.status == 200


def test_connectors_are_found_by_id_or_name(fake: FakeMistral) -> None:
    op = op_for("POST", "/v1/connectors")
    body = synthesize(op["body"]["schema"], root=DIGEST)
    body["name"] = "my_connector"

    async def scenario() -> list[Reply]:
        created = await request(fake, "POST", "/v1/connectors", json_body=body)
        connector_id = created.json()["id"]
        return [
            created,
            await request(fake, "GET", f"/v1/connectors/{connector_id}"),
            await request(fake, "GET", "/v1/connectors/my_connector"),
            await request(fake, "DELETE", f"/v1/connectors/{connector_id}"),
            await request(fake, "GET", f"/v1/connectors/{connector_id}"),
        ]

    created, by_id, by_name, deleted, gone = run(scenario())
    assert created.status == 201
    assert by_id.json()["id"] == by_name.json()["id"] == created.json()["id"]
    assert by_name.json()["name"] == "my_connector"
    assert deleted.status == 200
    assert gone.status == 404


def test_objects_of_a_collection_schema_are_linked(fake: FakeMistral) -> None:
    record_op = op_for("POST", "/v1/observability/datasets/{dataset_id}/records")
    body = synthesize(record_op["body"]["schema"], root=DIGEST)

    async def scenario() -> list[Reply]:
        created = await request(
            fake, "POST", "/v1/observability/datasets/ds-1/records", json_body=body
        )
        record_id = created.json()["id"]
        started = await request(fake, "POST", "/v1/workflows/flow/execute", json_body={})
        return [
            created,
            await request(fake, "GET", f"/v1/observability/dataset-records/{record_id}"),
            await request(fake, "GET", "/v1/observability/datasets/ds-1/records"),
            await request(fake, "GET", "/v1/observability/datasets/ds-2/records"),
            await request(fake, "DELETE", f"/v1/observability/dataset-records/{record_id}"),
            await request(fake, "GET", f"/v1/observability/dataset-records/{record_id}"),
            started,
            await request(fake, "GET", "/v1/workflows/runs"),
        ]

    created, got, listed, other, deleted, gone, started, runs = run(scenario())
    assert created.status == 201
    assert created.json()["dataset_id"] == "ds-1"
    assert got.json() == created.json()
    assert [r["id"] for r in listed.json()["records"]["results"]] == [created.json()["id"]]
    assert other.json()["records"]["results"] == []
    assert (deleted.status, gone.status) == (204, 404)
    executions = runs.json()["executions"]
    assert [e["execution_id"] for e in executions] == [started.json()["execution_id"]]
    assert not strict_errors(runs.json(), op_for("GET", "/v1/workflows/runs")["response"])


# ---------------------------------------------------------------------------- pagination


async def _walk(
    fake: FakeMistral, path: str, params: dict[str, Any], next_page: Any
) -> list[list[Any]]:
    pages: list[list[Any]] = []
    while len(pages) < 20:
        reply = await request(fake, "GET", path, params=params)
        assert reply.status == 200, reply.body
        items, params = next_page(reply.json(), params)
        pages.append(items)
        if params is None:
            return pages
    raise AssertionError("pagination does not terminate")


def test_pagination_terminates(fake: FakeMistral) -> None:
    async def scenario() -> dict[str, list[list[Any]]]:
        created = []
        for index in range(5):
            prompt = {"name": f"p{index}", "definition": {"content": "x"}}
            created.append(await request(fake, "POST", "/v2/prompts", json_body=prompt))
            dataset = {"name": f"set-{index}", "description": "a dataset"}
            created.append(
                await request(fake, "POST", "/v1/observability/datasets", json_body=dataset)
            )
        voice = synthesize(op_for("POST", "/v1/audio/voices")["body"]["schema"], root=DIGEST)
        for _ in range(3):
            created.append(await request(fake, "POST", "/v1/audio/voices", json_body=voice))
        assert {reply.status for reply in created} == {200, 201}

        def by_token(page: Any, params: dict[str, Any]) -> tuple[list[Any], Any]:
            token = page.get("nextPageToken")
            return page["data"], ({**params, "pageToken": token} if token else None)

        def by_offset(page: Any, params: dict[str, Any]) -> tuple[list[Any], Any]:
            offset = params["offset"] + params["limit"]
            return page["items"], ({**params, "offset": offset} if page["items"] else None)

        def by_page(page: Any, params: dict[str, Any]) -> tuple[list[Any], Any]:
            box = page["datasets"]
            more = box.get("next") is not None
            return box["results"], ({**params, "page": params["page"] + 1} if more else None)

        def by_cursor(page: Any, params: dict[str, Any]) -> tuple[list[Any], Any]:
            cursor = page.get("next_cursor")
            return page["workflows"], ({**params, "cursor": cursor} if cursor else None)

        return {
            "token": await _walk(fake, "/v2/prompts", {"pageSize": 2}, by_token),
            "offset": await _walk(fake, "/v1/audio/voices", {"offset": 0, "limit": 2}, by_offset),
            "page": await _walk(
                fake, "/v1/observability/datasets", {"page": 1, "page_size": 2}, by_page
            ),
            "cursor": await _walk(fake, "/v1/workflows", {"limit": 2}, by_cursor),
        }

    walked = run(scenario())
    assert [len(p) for p in walked["token"]] == [2, 2, 1]
    assert len({p["id"] for page in walked["token"] for p in page}) == 5
    assert [len(p) for p in walked["offset"]] == [2, 1, 0]
    assert [len(p) for p in walked["page"]] == [2, 2, 1]
    assert [[d["name"] for d in p] for p in walked["page"]] == [
        ["set-0", "set-1"],
        ["set-2", "set-3"],
        ["set-4"],
    ]
    assert len(walked["cursor"]) == 1  # a synthesized list: one page


def test_list_paging_fields(fake: FakeMistral) -> None:
    async def scenario() -> Reply:
        voice = synthesize(op_for("POST", "/v1/audio/voices")["body"]["schema"], root=DIGEST)
        for _ in range(3):
            await request(fake, "POST", "/v1/audio/voices", json_body=voice)
        return await request(fake, "GET", "/v1/audio/voices", params={"limit": 2, "offset": 2})

    page = run(scenario()).json()
    assert len(page["items"]) == 1
    assert page["total"] == 3
    assert not strict_errors(page, op_for("GET", "/v1/audio/voices")["response"])


# ---------------------------------------------------------------------------- event streams


STREAM = "/v1/workflows/executions/exec-1/stream"


def test_streams_carry_ids_and_resume(fake: FakeMistral) -> None:
    fake.state(SpecStore).stream_events = 5

    async def scenario() -> list[Reply]:
        return [
            await request(fake, "GET", STREAM),
            await request(fake, "GET", STREAM, headers={"Last-Event-ID": "2"}),
            await request(fake, "GET", STREAM, params={"last_event_id": "4"}),
            await request(
                fake,
                "GET",
                STREAM,
                params={"last_event_id": "1"},
                headers={"Last-Event-ID": "3"},
            ),
            await request(fake, "GET", "/v1/workflows/executions/exec-1/logs/stream"),
            await request(
                fake,
                "GET",
                "/v1/workflows/deployments/d/logs/stream",
                headers={"Last-Event-ID": "3"},
            ),
            await request(fake, "GET", "/v1/workflows/events/stream", params={"start_seq": 1}),
        ]

    full, after_2, after_4, header_wins, logs, deployment_logs, events = run(scenario())
    assert [e["id"] for e in full.events()] == ["1", "2", "3", "4", "5"]
    types = [e["data"]["data"]["event_type"] for e in full.events()]
    assert types[0] == "WORKFLOW_EXECUTION_STARTED"
    assert types[-1] == "WORKFLOW_EXECUTION_COMPLETED"
    assert {e["data"]["data"]["workflow_exec_id"] for e in full.events()} == {"exec-1"}
    assert [e["data"]["broker_sequence"] for e in full.events()] == [0, 1, 2, 3, 4]
    assert [e["id"] for e in after_2.events()] == ["3", "4", "5"]
    assert after_2.events() == full.events()[2:]
    assert [e["id"] for e in after_4.events()] == ["5"]
    assert [e["id"] for e in header_wins.events()] == ["4", "5"]
    assert [(e["event"], e["data"]["body"]) for e in logs.events()][:2] == [
        ("log", "log line 1"),
        ("log", "log line 2"),
    ]
    assert [e["id"] for e in deployment_logs.events()] == ["4", "5"]
    assert len(events.events()) == 4
    op = op_for("GET", "/v1/workflows/executions/{execution_id}/logs/stream")
    for event in logs.events():
        assert not strict_errors(event["data"], op["sse"]["data"])


@pytest.mark.anyio
async def test_a_cut_stream_drops_the_connection_after_n_events() -> None:
    async with FakeMistral() as fake, aiohttp.ClientSession() as session:
        fake.cut_stream_after(2)
        seen: list[str] = []
        auth = {"Authorization": f"Bearer {fake.api_key}"}
        with pytest.raises(aiohttp.ClientPayloadError):
            async with session.get(fake.url + STREAM, headers=auth) as resp:
                async for line in resp.content:
                    if line.startswith(b"id: "):
                        seen.append(line[4:].strip().decode())
        assert seen == ["1", "2"]
        resumed = await request(fake, "GET", STREAM, headers={"Last-Event-ID": seen[-1]})
        assert [e["id"] for e in resumed.events()] == ["3", "4"]


def test_speech_streams_wav_chunks(shared_fake: FakeMistral) -> None:
    op = op_for("POST", "/v1/audio/speech")
    reply = run(
        request(shared_fake, "POST", "/v1/audio/speech", json_body={"input": "a b", "stream": True})
    )
    events = reply.events()
    assert reply.headers["Content-Type"] == "text/event-stream"
    assert [e["event"] for e in events] == [*["speech.audio.delta"] * 3, "speech.audio.done"]
    assert [e["id"] for e in events] == ["1", "2", "3", "4"]
    audio = b"".join(base64.b64decode(e["data"]["audio_data"]) for e in events[:-1])
    assert audio == wav_bytes()
    assert events[-1]["data"]["type"] == "speech.audio.done"
    assert events[-1]["data"]["usage"]["prompt_tokens"] == 2
    for event in events:
        assert not strict_errors(event["data"], op["sse"]["data"])


# ---------------------------------------------------------------------------- workflows


async def _execute(fake: FakeMistral, body: dict[str, Any]) -> tuple[Reply, list[Reply]]:
    started = await request(fake, "POST", "/v1/workflows/my-flow/execute", json_body=body)
    execution_id = started.json()["execution_id"]
    polls = []
    for _ in range(4):
        polls.append(await request(fake, "GET", f"/v1/workflows/executions/{execution_id}"))
    return started, polls


def test_workflow_execution_progresses(fake: FakeMistral) -> None:
    started, polls = run(_execute(fake, {"input": {"question": "why?"}}))
    assert started.status == 200
    assert started.json()["status"] == "RUNNING"
    assert started.json()["workflow_name"] == "my-flow"
    statuses = [p.json()["status"] for p in polls]
    assert statuses == ["RUNNING", "RUNNING", "COMPLETED", "COMPLETED"]
    assert polls[2].json()["result"] == {"input": {"question": "why?"}}
    assert polls[2].json()["end_time"] is not None
    op = op_for("GET", "/v1/workflows/executions/{execution_id}")
    for poll in polls:
        assert not strict_errors(poll.json(), op["response"])


def test_workflow_execution_knobs(fake: FakeMistral) -> None:
    store = fake.state(SpecStore)
    store.execution_polls = 0
    store.execution_result = {"answer": 42}

    async def scenario() -> list[Any]:
        default = await _execute(fake, {"input": {}})
        failed = await _execute(fake, {"input": {"_fake": {"polls": 1, "status": "FAILED"}}})
        waited = await request(
            fake,
            "POST",
            "/v1/workflows/my-flow/execute",
            json_body={"input": {"x": 1}, "wait_for_result": True},
        )
        running = await request(
            fake, "POST", "/v1/workflows/my-flow/execute", json_body={"execution_id": "e-9"}
        )
        cancel = await request(fake, "POST", "/v1/workflows/executions/e-9/cancel")
        after_cancel = await request(fake, "GET", "/v1/workflows/executions/e-9")
        stream = await request(fake, "GET", "/v1/workflows/executions/e-9/stream")
        unknown = [
            await request(fake, "GET", "/v1/workflows/executions/never-started") for _ in range(2)
        ]
        return [default, failed, waited, running, cancel, after_cancel, stream, unknown]

    default, failed, waited, running, cancel, after_cancel, stream, unknown = run(scenario())
    assert [p.json()["status"] for p in default[1]][:2] == ["COMPLETED", "COMPLETED"]
    assert default[1][0].json()["result"] == {"answer": 42}
    assert [p.json()["status"] for p in failed[1]][:3] == ["RUNNING", "FAILED", "FAILED"]
    assert failed[1][1].json()["result"] is None
    assert waited.json()["result"] == {"answer": 42}
    assert "status" not in waited.json()
    assert running.json()["execution_id"] == "e-9"
    assert cancel.status == 204
    assert after_cancel.json()["status"] == "CANCELED"
    last = stream.events()[-1]["data"]["data"]["event_type"]
    assert last == "WORKFLOW_EXECUTION_CANCELED"
    assert [u.json()["status"] for u in unknown] == ["COMPLETED", "COMPLETED"]
    fake.reset()
    assert fake.state(SpecStore).execution_polls == 2


# ---------------------------------------------------------------------------- routing


def test_hand_written_routes_win_over_spec_routes() -> None:
    async def mine(call: Any) -> Any:
        return call.ok({"mine": True})

    def register(app: Any) -> None:
        app.route("GET", "/v2/prompts", mine)

    with FakeMistral(extra_groups=[register]) as fake:
        reply = run(request(fake, "GET", "/v2/prompts"))
        assert reply.json() == {"mine": True}
        assert fake.app.match("GET", "/v2/prompts").endpoint.auth == "bearer"


def test_fallback_and_auth_registration_rules() -> None:
    async def mine(call: Any) -> Any:
        return call.ok({"mine": True})

    async def other(call: Any) -> Any:
        return call.ok({"other": True})

    fake = FakeMistral()
    app = fake.app
    app.route("GET", "/v1/open", mine, auth="none")
    app.route("GET", "/v1/open", other, fallback=True)  # ignored: a real route is there
    app.route("GET", "/v1/spare", other, fallback=True)
    with pytest.raises(ValueError, match="already registered"):
        app.route("GET", "/v1/spare", mine, fallback=True)
    with pytest.raises(ValueError, match="auth must be one of"):
        app.route("GET", "/v1/other", mine, auth="cookie")
    with fake:
        assert run(request(fake, "GET", "/v1/open", auth=False)).json() == {"mine": True}
        assert run(request(fake, "GET", "/v1/spare", auth=False)).status == 401
        assert run(request(fake, "GET", "/v1/spare")).json() == {"other": True}


# ---------------------------------------------------------------------------- _schema.py


ROOT_DOC: dict[str, Any] = {
    "schemas": {
        "Pet": {
            "type": "object",
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "name": {"type": "string", "minLength": 1, "maxLength": 5},
                "age": {"type": "integer", "minimum": 1, "maximum": 30},
                "kind": {"enum": ["cat", "dog"]},
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
            "required": ["id", "name", "kind"],
            "additionalProperties": False,
        },
        "Cat": {
            "type": "object",
            "properties": {"type": {"const": "cat"}, "lives": {"type": "integer"}},
            "required": ["type", "lives"],
        },
        "Dog": {
            "type": "object",
            "properties": {"type": {"const": "dog"}, "good": {"type": "boolean"}},
            "required": ["type", "good"],
        },
        "Animal": {
            "oneOf": [{"$ref": "#/schemas/Cat"}, {"$ref": "#/schemas/Dog"}],
            "discriminator": {"propertyName": "type"},
        },
    }
}
PET = {"$ref": "#/schemas/Pet"}


def errors_of(instance: Any, schema: Any, loc: tuple[str | int, ...] = ("body",)) -> list[Any]:
    return [(e["type"], e["loc"]) for e in validate(instance, schema, root=ROOT_DOC, loc=loc)]


def test_validate_reports_fastapi_details() -> None:
    good = {"id": "x", "name": "Tom", "kind": "cat", "tags": ["a"], "note": None}
    assert validate(good, PET, root=ROOT_DOC) == []
    assert errors_of({"name": "", "kind": "cow", "extra": 1, "age": 0}, PET) == [
        ("string_too_short", ["body", "name"]),
        ("greater_than_equal", ["body", "age"]),
        ("enum", ["body", "kind"]),
        ("missing", ["body", "id"]),
        ("extra_forbidden", ["body", "extra"]),
    ]
    detail = validate({"id": "x", "kind": "cat"}, PET, root=ROOT_DOC)[0]
    assert detail == {
        "type": "missing",
        "loc": ["body", "name"],
        "msg": "Field required",
        "input": {"id": "x", "kind": "cat"},
    }
    assert errors_of({**good, "tags": ["a", 2]}, PET) == [("string_type", ["body", "tags", 1])]
    assert errors_of({**good, "tags": ["a", "b", "c"]}, PET) == [("too_long", ["body", "tags"])]
    assert errors_of({**good, "name": "toolong"}, PET) == [("string_too_long", ["body", "name"])]
    assert errors_of({**good, "age": 2.5}, PET) == [("int_from_float", ["body", "age"])]
    assert errors_of({**good, "age": True}, PET) == [("int_type", ["body", "age"])]
    assert errors_of({**good, "note": 3}, PET) == [("string_type", ["body", "note"])]
    assert errors_of([], PET) == [("model_attributes_type", ["body"])]
    assert errors_of("x", {"type": "integer"}, ("query", "n")) == [("int_type", ["query", "n"])]


def test_validate_keywords() -> None:
    assert errors_of("b", {"const": "a"}) == [("literal_error", ["body"])]
    assert errors_of(5, {"type": "number", "exclusiveMaximum": 5}) == [("less_than", ["body"])]
    assert errors_of(0, {"type": "number", "exclusiveMinimum": 0}) == [("greater_than", ["body"])]
    assert errors_of(9, {"maximum": 3}) == [("less_than_equal", ["body"])]
    assert errors_of("ab1", {"type": "string", "pattern": "^[a-z]+$"}) == [
        ("string_pattern_mismatch", ["body"])
    ]
    assert errors_of([], {"type": "array", "minItems": 1}) == [("too_short", ["body"])]
    assert errors_of(None, {"type": ["string", "null"]}) == []
    assert errors_of(None, {"type": "string", "nullable": True}) == []
    assert errors_of(1, {"type": "null"}) == [("none_required", ["body"])]
    tuple_schema = {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}
    assert errors_of(["a", "b"], tuple_schema) == [("int_type", ["body", 1])]
    assert errors_of({"a": 1}, {"additionalProperties": {"type": "string"}}) == [
        ("string_type", ["body", "a"])
    ]
    both = {"allOf": [{"required": ["a"]}, {"required": ["b"]}]}
    assert errors_of({}, both) == [("missing", ["body", "a"]), ("missing", ["body", "b"])]
    assert errors_of(True, {"enum": [1]}) == [("enum", ["body"])]  # True is not 1
    assert errors_of(1.0, {"type": "integer"}) == []


def test_validate_unions_and_discriminators() -> None:
    animal = {"$ref": "#/schemas/Animal"}
    assert errors_of({"type": "cat", "lives": 9}, animal) == []
    assert errors_of({"type": "dog", "lives": 9}, animal) == [("missing", ["body", "dog", "good"])]
    assert errors_of({"type": "cow"}, animal) == [("union_tag_invalid", ["body"])]
    assert errors_of({"lives": 9}, animal) == [("union_tag_not_found", ["body"])]
    nullable_int = {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    assert errors_of("x", nullable_int) == [("int_type", ["body"])]
    either = {"anyOf": [{"type": "string"}, {"$ref": "#/schemas/Cat"}]}
    assert errors_of({"type": "cat"}, either) == [("missing", ["body", "lives"])]
    mapping = tag_mapping(
        ROOT_DOC["schemas"]["Animal"]["oneOf"], {"propertyName": "type"}, ROOT_DOC
    )
    assert sorted(mapping) == ["cat", "dog"]


def test_coerce_values() -> None:
    assert coerce_values(["2"], {"type": "integer"}) == (2, [])
    assert coerce_values(["1.5"], {"type": "number"}) == (1.5, [])
    assert coerce_values(["true"], {"anyOf": [{"type": "boolean"}, {"type": "null"}]}) == (
        True,
        [],
    )
    assert coerce_values(["a", "b"], {"type": "array", "items": {"type": "string"}}) == (
        ["a", "b"],
        [],
    )
    assert coerce_values(["1", "x"], {"type": "array", "items": {"type": "integer"}})[1][0][
        "loc"
    ] == ["query", 1]
    value, errors = coerce_values(["x"], {"type": "integer"}, loc=("query", "n"))
    assert value == "x"
    assert errors[0]["type"] == "int_parsing"
    assert errors[0]["loc"] == ["query", "n"]
    assert coerce_values(["maybe"], {"type": "boolean"})[1][0]["type"] == "bool_parsing"
    assert coerce_values(["007"], {"type": "string"}) == ("007", [])


def test_synthesize_builds_valid_deterministic_instances() -> None:
    pet = synthesize(PET, root=ROOT_DOC)
    assert validate(pet, PET, root=ROOT_DOC) == []
    assert pet == synthesize(PET, root=ROOT_DOC)
    assert pet["kind"] == "cat"
    assert len(pet["id"]) == 36
    assert pet["age"] == 1
    assert pet["note"] == "string"  # the first non-null branch
    assert synthesize(PET, root=ROOT_DOC, seed="other")["id"] != pet["id"]
    assert synthesize({"type": "string", "format": "date-time"}).endswith("Z")
    assert synthesize({"type": "integer", "exclusiveMinimum": 0}) == 1
    assert synthesize({"type": "number", "minimum": 0.5, "maximum": 1}) == 0.5
    assert synthesize({"type": "string", "minLength": 12}).__len__() == 12
    for pattern in ("^[0-9a-f]{32}$", r"^\d+$", r"^\w{2}$", "^[^:]+:.+$", "^[A-Z]{3}-[0-9]{2}$"):
        assert is_valid(synthesize({"type": "string", "pattern": pattern}), {"pattern": pattern})
    assert synthesize({"const": 3}) == 3
    assert synthesize({"type": "string", "default": "mp3"}) == "mp3"
    assert synthesize({"anyOf": [{"type": "null"}, {"type": "boolean"}]}) is False
    animal = synthesize({"$ref": "#/schemas/Animal"}, root=ROOT_DOC)
    assert animal == {"type": "cat", "lives": 0}
    optional = {"type": "object", "properties": {"a": {"type": "object"}, "b": {"type": "integer"}}}
    assert synthesize(optional) == {"b": 0}  # optional objects are left out, scalars kept


def test_synthesize_covers_every_schema_of_the_digest() -> None:
    for op in OPERATIONS.values():
        schemas = [p["schema"] for p in op["parameters"]]
        schemas += [op["body"]["schema"]] if op["body"] else []
        schemas += [op["response"]] if op["response"] is not None else []
        schemas += [op["sse"]["data"]] if op["sse"] else []
        for schema in schemas:
            instance = synthesize(schema, root=DIGEST)
            assert validate(instance, schema, root=DIGEST) == [], op["operation_id"]
            assert not strict_errors(instance, schema), op["operation_id"]


# ---------------------------------------------------------------------------- the digest


def _digest_script() -> Any:
    path = ROOT / "scripts" / "spec_digest.py"
    spec = importlib.util.spec_from_file_location("spec_digest_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    """A fresh build of the digest (parsing the YAML spec takes most of a second)."""
    spec_dir = ROOT / "tests" / "conformance" / "spec"
    return _digest_script().build(spec_dir, ROOT / "scripts" / "operations.tsv")


def test_the_committed_digest_is_current(built: dict[str, Any]) -> None:
    script = _digest_script()
    committed = (ROOT / "mistral_async" / "testing" / "_spec_ops.json").read_text(encoding="utf-8")
    assert script.dumps(built) == committed, "run python scripts/spec_digest.py"
    assert len(committed.encode()) < 600_000
    refs = {
        ref
        for ref in _refs(built)
        if ref.startswith("#/schemas/") and ref.removeprefix("#/schemas/") in built["schemas"]
    }
    assert refs == set(_refs(built))  # every $ref resolves inside the digest
    speech = built["operations"]["speech_v1_audio_speech_post"]
    assert speech["sse"]["events"] == ["speech.audio.delta", "speech.audio.done"]
    assert "SpeechStreamEvents.UsageInfo" in built["schemas"]  # a hoisted, renamed $defs entry
    users = built["operations"]["users_api_get_identity"]
    assert users["auth"] == "x-api-key"
    connector = built["operations"]["connector_get_v1"]
    assert (connector["path"], connector["spec_path"]) == (
        "/v1/connectors/{connector_id_or_name}",
        "/v1/connectors/{connector_id_or_name}#idOrName",
    )


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key == "mapping" and isinstance(value, dict):
                yield from (v for v in value.values() if isinstance(v, str))
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_the_digest_check_mode(
    tmp_path: Path, built: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = _digest_script()
    monkeypatch.setattr(script, "build", lambda *_: built)
    stale = tmp_path / "digest.json"
    stale.write_text("{}\n")
    assert script.main(["--check", "--output", str(stale)]) == 1
    assert script.main(["--output", str(stale)]) == 0
    assert script.main(["--check", "--output", str(stale)]) == 0

"""Self-tests of the conformance checks: each kind of non-conforming request is caught.

The requests here are made up (no server); the operations are the spec's own.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Literal

import pytest

from .case import Case, Returns
from .checks import Sent, check_request, parse_multipart
from .generated import path_value
from .spec import load_spec
from .synth import Synth
from .typecheck import mismatch

SPEC = load_spec()
KEY = "fake-key"
ADMIN_KEY = "fake-admin-key"
FILE_ID = "6f1c1c1e-2b9a-4c3e-9a55-0d1c3b8f2a10"
CHAT = "chat_completion_v1_chat_completions_post"
HI = [{"role": "user", "content": "Hi"}]
JSON_HEADERS = {
    "authorization": f"Bearer {KEY}",
    "content-type": "application/json",
    "accept": "application/json",
}


def problems(
    operation_id: str,
    *,
    method: str | None = None,
    path: str | None = None,
    query: str = "",
    headers: dict[str, str] | None = None,
    body: bytes | dict[str, Any] = b"",
    path_values: dict[str, Any] | None = None,
    returns: Returns = "value",
) -> list[str]:
    op = SPEC.operations[operation_id]
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    sent = Sent(
        method or op.method,
        path or op.path,
        query,
        {"authorization": f"Bearer {KEY}"} if headers is None else headers,
        raw,
    )
    case = Case(method="x", returns=returns)
    return check_request(SPEC, op, case, sent, path_values or {}, KEY, ADMIN_KEY)


def multipart(*parts: tuple[str, str | None, bytes]) -> tuple[dict[str, str], bytes]:
    boundary = "b0undary"
    chunks = []
    for name, filename, value in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        chunks.append(
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"
        )
    body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
    headers = {
        "authorization": f"Bearer {KEY}",
        "content-type": f"multipart/form-data; boundary={boundary}",
    }
    return headers, body


def test_a_conforming_request_has_no_problem() -> None:
    assert problems(CHAT, headers=JSON_HEADERS, body={"model": "m", "messages": HI}) == []
    query = "page=0&page_size=5&include_total=true&sample_type=instruct&sample_type=pretrain"
    assert problems("files_api_routes_list_files", query=query) == []


def test_method_and_path() -> None:
    op = "files_api_routes_retrieve_file"
    assert problems(
        op, method="POST", path=f"/v1/files/{FILE_ID}", path_values={"file_id": FILE_ID}
    )
    assert problems(op, path="/v1/files/", path_values={"file_id": ""})
    assert problems(op, path=f"/v1/file/{FILE_ID}", path_values={"file_id": FILE_ID})
    assert problems(op, path=f"/v1/files/{FILE_ID}/x", path_values={"file_id": FILE_ID})
    wrong = problems(op, path="/v1/files/other", path_values={"file_id": FILE_ID})
    assert any("the call passed" in p for p in wrong)
    not_uuid = problems(op, path="/v1/files/abc", path_values={"file_id": "abc"})
    assert any("uuid" in p for p in not_uuid)
    assert not problems(op, path=f"/v1/files/{FILE_ID}", path_values={"file_id": FILE_ID})


def test_percent_encoded_path_values_are_decoded() -> None:
    op = "retrieve_model_v1_models__model_id__get"
    assert not problems(op, path="/v1/models/ft%3Aa%2Fb", path_values={"model_id": "ft:a/b"})
    assert problems(op, path="/v1/models/ft%3Aa%2Fb", path_values={"model_id": "ft:a"})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("page=abc", "query page"),
        ("include_total=True", "query include_total"),
        ("nope=1", "not a parameter"),
        ("search=a&search=b", "query search"),
        ("sample_type=instruct&sample_type=nope", "query sample_type"),
        ("purpose=training", "query purpose"),
    ],
)
def test_query(query: str, expected: str) -> None:
    found = problems("files_api_routes_list_files", query=query)
    assert any(expected in p for p in found), found


def test_required_query_parameters() -> None:
    # files.list requires no query parameter: make page_size required.
    op = SPEC.operations["files_api_routes_list_files"]
    params = tuple(
        dataclasses.replace(p, required=True) if p.name == "page_size" else p for p in op.parameters
    )
    strict = dataclasses.replace(op, parameters=params)
    sent = Sent("GET", "/v1/files", "page=1", {"authorization": f"Bearer {KEY}"}, b"")
    found = check_request(SPEC, strict, Case(method="x"), sent, {}, KEY)
    assert found == ["query page_size: required by the spec, not sent"]


def test_authorization() -> None:
    assert problems("list_models_v1_models_get", headers={})
    assert problems("list_models_v1_models_get", headers={"authorization": "Bearer other"})
    admin = {"authorization": f"Bearer {ADMIN_KEY}"}
    assert problems("list_models_v1_models_get", headers=admin)


def test_admin_key() -> None:
    """``AdminApiKey`` operations want the admin key as the bearer token, not the API key."""
    op = "users_api_admin_users_get_users"
    assert not problems(op, headers={"authorization": f"Bearer {ADMIN_KEY}"})
    found = problems(op)  # the ordinary key
    assert any("header auth" in p and "<admin key>" in p for p in found), found
    assert KEY not in "".join(found)  # keys are named, not shown


def test_x_api_key() -> None:
    """``DashboardUserContextAuth`` operations want the API key in ``x-api-key``, and no
    bearer token."""
    op = "users_api_get_identity"
    assert not problems(op, headers={"x-api-key": KEY})
    found = problems(op)  # a bearer token instead
    assert any("header auth" in p for p in found), found
    assert any("takes no bearer token" in p for p in found), found
    found = problems(op, headers={"x-api-key": KEY, "authorization": f"Bearer {KEY}"})
    assert found == [
        "header Authorization: sent 'Bearer <api key>', but the operation's security "
        "(DashboardUserContextAuth) takes no bearer token"
    ]
    found = problems(
        "list_models_v1_models_get", headers={"authorization": f"Bearer {KEY}", "x-api-key": KEY}
    )
    assert any("x-api-key" in p for p in found), found


def test_exploded_object_query() -> None:
    """An object query parameter goes as one key per property (``form`` style, exploded)."""
    op = "connector_list_v1"  # query_filters: {active: bool | null}
    assert not problems(op, query="active=true&page_size=5")
    found = problems(op, query="active=maybe")
    assert any("query query_filters (exploded).active" in p for p in found), found
    found = problems(op, query="inactive=true")
    assert any("query inactive: not a parameter" in p for p in found), found


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"model": "m", "messages": HI, "temprature": 0.5}, "Additional properties"),
        ({"messages": HI}, "'model' is a required property"),
        ({"model": "m", "messages": HI, "temperature": 3}, "body.temperature"),
        ({"model": "m", "messages": [{"role": "user", "content": 1}]}, "body.messages[0]"),
        ({"model": "m", "messages": [{"role": "user", "content": "x", "name": "n"}]}, "name"),
        ({"model": "m", "messages": HI, "tools": [{"type": "web_search", "x": 1}]}, "'x'"),
        ({"model": "m", "messages": HI, "tool_choice": "sometimes"}, "body.tool_choice"),
        (
            {"model": "m", "messages": [{"role": "user", "content": [{"type": "file"}]}]},
            "'file_id' is a required property",
        ),
    ],
)
def test_json_body(body: dict[str, Any], expected: str) -> None:
    found = problems(CHAT, headers=JSON_HEADERS, body=body)
    assert any(expected in p for p in found), found


def test_body_presence_and_type() -> None:
    assert problems(CHAT, headers=JSON_HEADERS)  # required body missing
    assert problems(CHAT, headers={**JSON_HEADERS, "content-type": "text/plain"}, body=b"{}")
    assert problems("list_models_v1_models_get", headers=JSON_HEADERS, body={"a": 1})
    assert problems(CHAT, headers=JSON_HEADERS, body=b"{not json")


def test_streaming() -> None:
    stream_headers = {**JSON_HEADERS, "accept": "text/event-stream"}
    body = {"model": "m", "messages": HI, "stream": True}
    assert not problems(CHAT, headers=stream_headers, body=body, returns="stream")
    found = problems(CHAT, headers=JSON_HEADERS, body=body, returns="stream")
    assert any("header Accept" in p for p in found), found
    found = problems(CHAT, headers=stream_headers, body={**body, "stream": False}, returns="stream")
    assert any("body.stream" in p for p in found), found
    found = problems(CHAT, headers=JSON_HEADERS, body=body)  # a plain call asking for a stream
    assert any("body.stream" in p for p in found), found
    found = problems("list_models_v1_models_get", returns="stream")
    assert any("declares no event stream" in p for p in found), found


def test_stream_twins_need_a_stream() -> None:
    body = {"inputs": "Hi", "stream": True}
    found = problems("agents_api_v1_conversations_start_stream", headers=JSON_HEADERS, body=body)
    assert any("#stream" in p for p in found), found
    headers = {**JSON_HEADERS, "accept": "text/event-stream"}
    found = problems(
        "agents_api_v1_conversations_start_stream", headers=headers, body=body, returns="stream"
    )
    assert not found


def test_multipart() -> None:
    op = "files_api_routes_upload_file"
    headers, body = multipart(("file", "a.jsonl", b"{}\n"), ("purpose", None, b"batch"))
    assert not problems(op, headers=headers, body=body)
    headers, body = multipart(("file", "a.jsonl", b"{}\n"), ("expiry", None, b"24"))
    assert not problems(op, headers=headers, body=body)
    for parts, expected in [
        ((("file", "a.jsonl", b"{}"), ("colour", None, b"red")), "form colour"),
        ((("purpose", None, b"batch"),), "'file' is a required property"),
        ((("file", "a.jsonl", b"{}"), ("purpose", None, b"training")), "form.purpose"),
        ((("file", "a.jsonl", b"{}"), ("expiry", None, b"soon")), "form.expiry"),
        ((("file", "a.jsonl", b"{}"), ("purpose", "p.txt", b"batch")), "form purpose"),
        ((("file", "a.jsonl", b"{}"), ("file", "b.jsonl", b"{}")), "form file"),
    ]:
        headers, body = multipart(*parts)
        found = problems(op, headers=headers, body=body)
        assert any(expected in p for p in found), (parts, found)
    found = problems(op, headers=JSON_HEADERS, body={"purpose": "batch"})
    assert any("Content-Type" in p for p in found), found


def test_parse_multipart_reports_malformed_bodies() -> None:
    _, defects = parse_multipart(b"--x\r\nContent-Disposition: form-data", "multipart/form-data")
    assert defects


def test_synth_builds_valid_instances() -> None:
    """The instance generator gives a valid value for every parameter and request body of
    the spec (what the synthesized cases send)."""
    synth = Synth(SPEC)
    found = []
    for op in SPEC.operations.values():
        for param in op.parameters:
            found += synth.checked(param.schema, param.name, f"{op.operation_id} {param.name}")[1]
        for media in op.request_body.values():
            if media.schema is not None:
                found += synth.checked(media.schema, "body", f"{op.operation_id} body")[1]
    assert not found, "\n".join(found)


def test_path_values_need_encoding() -> None:
    """Free-form string path parameters get an id with a space and a slash."""
    op = SPEC.operations["get_voice_v1_audio_voices__voice_id__get"]
    schema = op.params("path")["voice_id"].schema
    assert path_value(SPEC, "voice_id", schema, Synth(SPEC)) == "voice_id a/b"
    uuid_schema = SPEC.operations["files_api_routes_retrieve_file"].params("path")["file_id"]
    assert "/" not in str(path_value(SPEC, "file_id", uuid_schema.schema, Synth(SPEC)))


@pytest.mark.parametrize(
    ("value", "tp", "ok"),
    [
        (None, type(None), True),
        (1, type(None), False),
        ([1, 2], list[int], True),
        ([1, "a"], list[int], False),
        ({"a": 1}, dict[str, int], True),
        ("x", int | str, True),
        (1.5, int | str, False),
        ("a", Literal["a", "b"], True),
        ("c", Literal["a", "b"], False),
        (1, float, True),
    ],
)
def test_mismatch(value: Any, tp: Any, ok: bool) -> None:
    assert (mismatch(value, tp) is None) is ok

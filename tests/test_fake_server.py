"""Loopback tests of the fake Mistral server, driven by a plain aiohttp client."""

from __future__ import annotations

import asyncio
import base64
import gc
import hashlib
import io
import json
import math
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import types
import urllib.request
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from aiohttp import web

from mistral_async.testing import (
    Abort,
    Call,
    FakeApp,
    FakeMistral,
    FilesState,
    Form,
    pytest_plugin,
)
from mistral_async.testing import _app as app_module
from mistral_async.testing._app import GroupError, discover_groups
from mistral_async.testing._body import parse_multipart
from mistral_async.testing._validation import Body, Bool, Int, Str, Upload, nullable

# Bring the plugin's fixture into scope whether or not the pytest11 entry point is installed.
fake_mistral = pytest_plugin.fake_mistral

T = TypeVar("T")

FT_MODEL = "ft:open-mistral-7b:fake:20240101:abc12345"
USER_MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather of a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
    },
}


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine in a fresh event loop."""
    return asyncio.run(coro)


def auth(fake: FakeMistral) -> dict[str, str]:
    """Headers authenticating with ``fake``."""
    return {"Authorization": f"Bearer {fake.api_key}"}


class Reply:
    """A fully read HTTP response."""

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        """Decode the body."""
        return json.loads(self.body)


async def call(
    fake: FakeMistral,
    method: str,
    path: str,
    *,
    json_body: Any = None,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> Reply:
    """Send one request on a new session and read the whole response."""
    sent = dict(auth(fake) if headers is None else headers)
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, fake.url + path, json=json_body, data=data, headers=sent, params=params
        ) as response,
    ):
        return Reply(response.status, response.headers, await response.read())


def sse_events(body: bytes) -> list[str]:
    """Split an SSE body into its ``data:`` payloads."""
    text = body.decode()
    assert text.endswith("\n\n")
    events = []
    for block in text.split("\n\n")[:-1]:
        assert block.startswith("data: "), block
        events.append(block[len("data: ") :])
    return events


def chat_body(**extra: Any) -> dict[str, Any]:
    """A valid chat request body."""
    return {"model": "mistral-small-latest", "messages": USER_MESSAGES, **extra}


# ---------------------------------------------------------------------------- auth / headers


def test_missing_or_wrong_key_is_401(fake_mistral: FakeMistral) -> None:
    async def scenario() -> list[Reply]:
        return [
            await call(fake_mistral, "GET", "/v1/models", headers={}),
            await call(fake_mistral, "GET", "/v1/models", headers={"Authorization": "Bearer nope"}),
            await call(
                fake_mistral,
                "POST",
                "/v1/chat/completions",
                json_body=chat_body(),
                headers={"Authorization": fake_mistral.api_key},
            ),
        ]

    for reply in run(scenario()):
        assert reply.status == 401
        assert reply.json() == {
            "object": "error",
            "message": "Unauthorized",
            "type": "authentication_error",
            "param": None,
            "code": "401",
        }
        assert reply.headers["x-request-id"]


def test_every_response_has_request_id_and_rate_limit_headers(fake_mistral: FakeMistral) -> None:
    async def scenario() -> list[Reply]:
        return [
            await call(fake_mistral, "POST", "/v1/chat/completions", json_body=chat_body()),
            await call(fake_mistral, "GET", "/v1/models"),
            await call(fake_mistral, "GET", "/v1/nope"),
        ]

    replies = run(scenario())
    ids = [reply.headers["x-request-id"] for reply in replies]
    assert len(set(ids)) == 3
    assert all(re.fullmatch(r"[0-9a-f]{32}", request_id) for request_id in ids)
    remaining = [int(reply.headers["x-ratelimit-remaining-req-minute"]) for reply in replies]
    assert remaining[0] > remaining[1] > remaining[2]
    for reply in replies:
        for window in ("req-minute", "tokens-minute", "tokens-month"):
            limit = int(reply.headers[f"x-ratelimit-limit-{window}"])
            assert 0 <= int(reply.headers[f"x-ratelimit-remaining-{window}"]) <= limit
    tokens = [int(reply.headers["x-ratelimit-remaining-tokens-month"]) for reply in replies]
    used = replies[0].json()["usage"]["total_tokens"]
    assert tokens[0] == int(replies[0].headers["x-ratelimit-limit-tokens-month"]) - used


def test_unknown_path_and_wrong_method(fake_mistral: FakeMistral) -> None:
    async def scenario() -> tuple[Reply, Reply]:
        return (
            await call(fake_mistral, "GET", "/v1/unknown/thing"),
            await call(fake_mistral, "GET", "/v1/chat/completions"),
        )

    missing, wrong_method = run(scenario())
    assert missing.status == 404
    assert missing.json()["object"] == "error"
    assert wrong_method.status == 405
    assert wrong_method.headers["Allow"] == "POST"


# ---------------------------------------------------------------------------- chat


def test_chat_completion_shape(fake_mistral: FakeMistral) -> None:
    reply = run(call(fake_mistral, "POST", "/v1/chat/completions", json_body=chat_body()))
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    body = reply.json()
    assert set(body) == {"id", "object", "model", "created", "usage", "choices"}
    assert body["object"] == "chat.completion"
    assert body["model"] == "mistral-small-latest"
    assert isinstance(body["created"], int)
    message = body["choices"][0]["message"]
    assert message == {
        "role": "assistant",
        "content": "Hello! You said: What is the capital of France?. "
        "This reply comes from the fake Mistral server.",
        "tool_calls": None,
    }
    assert body["choices"][0]["finish_reason"] == "stop"
    usage = body["usage"]
    assert usage["prompt_tokens"] > 0
    assert usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_chat_is_deterministic_and_honours_n_and_max_tokens(fake_mistral: FakeMistral) -> None:
    async def scenario() -> list[Any]:
        bodies = [chat_body(), chat_body(), chat_body(n=3), chat_body(max_tokens=3)]
        replies = [
            await call(fake_mistral, "POST", "/v1/chat/completions", json_body=body)
            for body in bodies
        ]
        return [reply.json() for reply in replies]

    first, second, three, short = run(scenario())
    assert first["choices"] == second["choices"]
    assert first["id"] != second["id"]
    assert [choice["index"] for choice in three["choices"]] == [0, 1, 2]
    assert len({choice["message"]["content"] for choice in three["choices"]}) == 3
    assert short["choices"][0]["message"]["content"] == "Hello! You"
    assert short["choices"][0]["finish_reason"] == "length"
    assert short["usage"]["completion_tokens"] == 3


def test_chat_stream(fake_mistral: FakeMistral) -> None:
    async def scenario() -> tuple[Reply, Any]:
        streamed = await call(
            fake_mistral, "POST", "/v1/chat/completions", json_body=chat_body(stream=True)
        )
        plain = await call(fake_mistral, "POST", "/v1/chat/completions", json_body=chat_body())
        return streamed, plain.json()

    streamed, plain = run(scenario())
    assert streamed.status == 200
    assert streamed.headers["Content-Type"] == "text/event-stream"
    events = sse_events(streamed.body)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert len(chunks) >= 10
    assert len({chunk["id"] for chunk in chunks}) == 1
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(chunk["choices"][0]["finish_reason"] is None for chunk in chunks[:-1])
    assert all("usage" not in chunk for chunk in chunks[:-1])
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"] == plain["usage"]
    text = "".join(chunk["choices"][0]["delta"]["content"] for chunk in chunks)
    assert text == plain["choices"][0]["message"]["content"]


def test_chat_stream_arrives_in_many_network_chunks() -> None:
    async def scenario() -> int:
        async with (
            FakeMistral(stream_delay=0.002) as fake,
            aiohttp.ClientSession() as session,
            session.post(
                fake.url + "/v1/chat/completions", json=chat_body(stream=True), headers=auth(fake)
            ) as response,
        ):
            return len([chunk async for chunk in response.content.iter_any()])

    assert run(scenario()) >= 10


def test_tool_call_json(fake_mistral: FakeMistral) -> None:
    async def scenario() -> list[Any]:
        bodies = [
            chat_body(tools=[WEATHER_TOOL], tool_choice="any"),
            chat_body(tools=[WEATHER_TOOL], tool_choice="required"),
            chat_body(
                tools=[WEATHER_TOOL],
                tool_choice={"type": "function", "function": {"name": "get_weather"}},
            ),
            chat_body(tools=[WEATHER_TOOL], tool_choice="auto"),
        ]
        return [
            (await call(fake_mistral, "POST", "/v1/chat/completions", json_body=body)).json()
            for body in bodies
        ]

    *forced, auto = run(scenario())
    for body in forced:
        choice = body["choices"][0]
        assert choice["finish_reason"] == "tool_calls"
        (tool_call,) = choice["message"]["tool_calls"]
        assert re.fullmatch(r"call_[0-9a-f]{8}", tool_call["id"])
        assert tool_call["type"] == "function"
        assert tool_call["function"]["name"] == "get_weather"
        assert json.loads(tool_call["function"]["arguments"]) == {"city": "example", "days": 0}
    assert auto["choices"][0]["message"]["tool_calls"] is None
    assert auto["choices"][0]["finish_reason"] == "stop"


def test_tool_call_stream_splits_arguments(fake_mistral: FakeMistral) -> None:
    body = chat_body(tools=[WEATHER_TOOL], tool_choice="any", stream=True)
    reply = run(call(fake_mistral, "POST", "/v1/chat/completions", json_body=body))
    events = sse_events(reply.body)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    parts = [
        delta_call
        for chunk in chunks
        for delta_call in chunk["choices"][0]["delta"].get("tool_calls") or []
    ]
    assert len(parts) >= 2
    assert all(part["index"] == 0 for part in parts)
    assert re.fullmatch(r"call_[0-9a-f]{8}", parts[0]["id"])
    assert parts[0]["function"]["name"] == "get_weather"
    assert all("id" not in part and "name" not in part["function"] for part in parts[1:])
    arguments = "".join(part["function"]["arguments"] for part in parts)
    assert json.loads(arguments) == {"city": "example", "days": 0}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["usage"]["total_tokens"] > 0


def test_fim(fake_mistral: FakeMistral) -> None:
    body = {"model": "codestral-latest", "prompt": "def add(a, b):", "suffix": "return c"}

    async def scenario() -> tuple[Reply, Reply]:
        plain = await call(fake_mistral, "POST", "/v1/fim/completions", json_body=body)
        streamed = await call(
            fake_mistral, "POST", "/v1/fim/completions", json_body={**body, "stream": True}
        )
        return plain, streamed

    plain, streamed = run(scenario())
    content = plain.json()["choices"][0]["message"]["content"]
    assert "'def add(a, b):'" in content
    assert "'return c'" in content
    chunks = [json.loads(event) for event in sse_events(streamed.body)[:-1]]
    assert len(chunks) >= 10
    assert "".join(chunk["choices"][0]["delta"]["content"] for chunk in chunks) == content
    assert chunks[-1]["usage"] == plain.json()["usage"]


# ---------------------------------------------------------------------------- embeddings


def test_embeddings(fake_mistral: FakeMistral) -> None:
    async def scenario() -> list[Any]:
        bodies: list[dict[str, Any]] = [
            {"model": "mistral-embed", "input": ["first text", "second text"]},
            {"model": "mistral-embed", "input": "first text"},
            {"model": "mistral-embed", "input": "first text", "output_dimension": 256},
        ]
        return [
            (await call(fake_mistral, "POST", "/v1/embeddings", json_body=body)).json()
            for body in bodies
        ]

    pair, single, small = run(scenario())
    assert pair["object"] == "list"
    assert pair["model"] == "mistral-embed"
    assert [item["index"] for item in pair["data"]] == [0, 1]
    first, second = (item["embedding"] for item in pair["data"])
    assert len(first) == len(second) == 1024
    assert math.isclose(math.fsum(x * x for x in first), 1.0, rel_tol=1e-9)
    assert first != second
    assert single["data"][0]["embedding"] == first
    assert single["data"][0]["object"] == "embedding"
    assert len(small["data"][0]["embedding"]) == 256
    assert pair["usage"]["prompt_tokens"] == 4
    assert pair["usage"]["total_tokens"] == 4


def test_embedding_dtypes_and_base64(fake_mistral: FakeMistral) -> None:
    async def scenario() -> list[Any]:
        bodies: list[dict[str, Any]] = [
            {"model": "mistral-embed", "input": "x", "encoding_format": "base64"},
            {"model": "mistral-embed", "input": "x", "output_dtype": "int8"},
            {"model": "mistral-embed", "input": "x", "output_dtype": "ubinary"},
        ]
        return [
            (await call(fake_mistral, "POST", "/v1/embeddings", json_body=body)).json()
            for body in bodies
        ]

    as_base64, as_int8, as_ubinary = (body["data"][0]["embedding"] for body in run(scenario()))
    assert len(base64.b64decode(as_base64)) == 1024 * 4
    assert len(as_int8) == 1024
    assert all(-128 <= value <= 127 for value in as_int8)
    assert len(as_ubinary) == 1024 // 8
    assert all(0 <= value <= 255 for value in as_ubinary)


# ---------------------------------------------------------------------------- models


def test_models_list_and_retrieve(fake_mistral: FakeMistral) -> None:
    async def scenario() -> list[Reply]:
        return [
            await call(fake_mistral, "GET", "/v1/models"),
            await call(fake_mistral, "GET", "/v1/models", params={"model": "codestral-latest"}),
            await call(fake_mistral, "GET", "/v1/models/mistral-large-latest"),
            await call(fake_mistral, "GET", f"/v1/models/{FT_MODEL}"),
            await call(
                fake_mistral, "GET", "/v1/models/ft%3Aopen-mistral-7b%3Afake%3A20240101%3Aabc12345"
            ),
            await call(fake_mistral, "GET", "/v1/models/no-such-model"),
            await call(fake_mistral, "GET", "/v1/models/mistral-large-latest/extra"),
        ]

    listed, filtered, base, tuned, encoded, unknown, extra = run(scenario())
    ids = [card["id"] for card in listed.json()["data"]]
    assert listed.json()["object"] == "list"
    assert {
        "mistral-small-latest",
        "mistral-large-latest",
        "mistral-medium-latest",
        "codestral-latest",
        "mistral-embed",
        FT_MODEL,
    } <= set(ids)
    assert [card["id"] for card in filtered.json()["data"]] == ["codestral-latest"]
    assert base.json()["type"] == "base"
    assert base.json()["capabilities"]["completion_chat"] is True
    assert tuned.json()["type"] == "fine-tuned"
    assert tuned.json()["root"] == "open-mistral-7b"
    assert tuned.json()["archived"] is False
    assert encoded.json() == tuned.json()
    assert unknown.status == 404
    assert unknown.json() == {
        "object": "error",
        "message": "Model not found: no-such-model",
        "type": "invalid_request_error",
        "param": None,
        "code": "404",
    }
    assert extra.status == 404


def test_fine_tuned_model_lifecycle(fake_mistral: FakeMistral) -> None:
    async def scenario() -> list[Reply]:
        return [
            await call(
                fake_mistral,
                "PATCH",
                f"/v1/fine_tuning/models/{FT_MODEL}",
                json_body={"name": "my-model", "description": "tuned"},
            ),
            await call(fake_mistral, "POST", f"/v1/fine_tuning/models/{FT_MODEL}/archive"),
            await call(fake_mistral, "GET", f"/v1/models/{FT_MODEL}"),
            await call(fake_mistral, "DELETE", f"/v1/fine_tuning/models/{FT_MODEL}/archive"),
            await call(fake_mistral, "DELETE", "/v1/models/mistral-small-latest"),
            await call(fake_mistral, "DELETE", f"/v1/models/{FT_MODEL}"),
            await call(fake_mistral, "GET", f"/v1/models/{FT_MODEL}"),
            await call(fake_mistral, "POST", "/v1/fine_tuning/models/mistral-small-latest/archive"),
            await call(
                fake_mistral, "PATCH", "/v1/fine_tuning/models/nope", json_body={"name": "x"}
            ),
        ]

    updated, archived, after, unarchived, base_delete, deleted, gone, base_archive, bad_patch = run(
        scenario()
    )
    assert updated.status == 200
    assert updated.json()["name"] == "my-model"
    assert updated.json()["description"] == "tuned"
    assert updated.json()["model_type"] == "completion"
    assert archived.json() == {"id": FT_MODEL, "object": "model", "archived": True}
    assert after.json()["archived"] is True
    assert after.json()["name"] == "my-model"
    assert unarchived.json() == {"id": FT_MODEL, "object": "model", "archived": False}
    assert base_delete.status == 403
    assert deleted.json() == {"id": FT_MODEL, "object": "model", "deleted": True}
    assert gone.status == 404
    assert base_archive.status == 404
    assert bad_patch.status == 404


def test_model_state_is_per_server_and_reset_restores_it() -> None:
    with FakeMistral() as first, FakeMistral() as second:
        run(call(first, "DELETE", f"/v1/models/{FT_MODEL}"))
        assert run(call(first, "GET", f"/v1/models/{FT_MODEL}")).status == 404
        assert run(call(second, "GET", f"/v1/models/{FT_MODEL}")).status == 200
        first.fail_next()
        first.reset()
        assert first.requests == []
        assert run(call(first, "GET", f"/v1/models/{FT_MODEL}")).status == 200


# ---------------------------------------------------------------------------- validation


def test_missing_model_is_422(fake_mistral: FakeMistral) -> None:
    body = {"messages": USER_MESSAGES}
    reply = run(call(fake_mistral, "POST", "/v1/chat/completions", json_body=body))
    assert reply.status == 422
    assert reply.json() == {
        "detail": [
            {"type": "missing", "loc": ["body", "model"], "msg": "Field required", "input": body}
        ]
    }


def test_extra_key_is_422(fake_mistral: FakeMistral) -> None:
    body = chat_body(temprature=0.5)
    reply = run(call(fake_mistral, "POST", "/v1/chat/completions", json_body=body))
    assert reply.status == 422
    assert reply.json()["detail"] == [
        {
            "type": "extra_forbidden",
            "loc": ["body", "temprature"],
            "msg": "Extra inputs are not permitted",
            "input": 0.5,
        }
    ]


def test_out_of_range_values_are_422(fake_mistral: FakeMistral) -> None:
    body = chat_body(temperature=2, top_p=0, n=0, max_tokens=-1)
    reply = run(call(fake_mistral, "POST", "/v1/chat/completions", json_body=body))
    assert reply.status == 422
    detail = {tuple(error["loc"]): error for error in reply.json()["detail"]}
    assert detail[("body", "temperature")] == {
        "type": "less_than_equal",
        "loc": ["body", "temperature"],
        "msg": "Input should be less than or equal to 1.5",
        "input": 2,
        "ctx": {"le": 1.5},
    }
    assert detail[("body", "top_p")]["type"] == "greater_than"
    assert detail[("body", "n")]["type"] == "greater_than_equal"
    assert detail[("body", "max_tokens")]["type"] == "greater_than_equal"
    assert len(detail) == 4


def test_invalid_json_is_422(fake_mistral: FakeMistral) -> None:
    headers = {**auth(fake_mistral), "Content-Type": "application/json"}
    reply = run(
        call(fake_mistral, "POST", "/v1/chat/completions", data=b'{"model": ', headers=headers)
    )
    assert reply.status == 422
    (error,) = reply.json()["detail"]
    assert error["type"] == "json_invalid"
    assert error["loc"] == ["body", 10]
    assert error["msg"] == "JSON decode error"


def test_types_messages_and_nulls_are_validated(fake_mistral: FakeMistral) -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "robot", "content": "hi"},
            {"content": "no role"},
            {"role": "user"},
            {"role": "system", "content": None},
            {"role": "assistant", "content": None, "tool_calls": [{"function": {"name": 1}}]},
            "not an object",
        ],
        "stream": None,
        "temperature": None,
        "random_seed": "7",
        "safe_prompt": "yes",
        "tool_choice": "maybe",
    }
    reply = run(call(fake_mistral, "POST", "/v1/chat/completions", json_body=body))
    assert reply.status == 422
    errors = {(error["type"], tuple(error["loc"])) for error in reply.json()["detail"]}
    assert errors == {
        ("union_tag_invalid", ("body", "messages", 0)),
        ("union_tag_not_found", ("body", "messages", 1)),
        ("missing", ("body", "messages", 2, "user", "content")),
        ("string_type", ("body", "messages", 3, "system", "content", "str")),
        (
            "list_type",
            (
                "body",
                "messages",
                3,
                "system",
                "content",
                "list[tagged-union[TextChunk,ThinkChunk]]",
            ),
        ),
        ("string_type", ("body", "messages", 4, "assistant", "tool_calls", 0, "function", "name")),
        ("missing", ("body", "messages", 4, "assistant", "tool_calls", 0, "function", "arguments")),
        ("model_attributes_type", ("body", "messages", 5)),
        ("bool_type", ("body", "stream")),
        ("int_type", ("body", "random_seed")),
        ("bool_type", ("body", "safe_prompt")),
        ("enum", ("body", "tool_choice")),
    }


def test_valid_rich_request_is_accepted(fake_mistral: FakeMistral) -> None:
    body = chat_body(
        messages=[
            {"role": "system", "content": [{"type": "text", "text": "Be brief."}]},
            {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "function": {"name": "get_weather", "arguments": {"city": "Paris"}},
                    }
                ],
            },
            {"role": "tool", "content": "sunny", "tool_call_id": "call_1", "name": "get_weather"},
        ],
        temperature=None,
        top_p=1,
        max_tokens=100,
        stop=["\n\n"],
        random_seed=1,
        response_format={"type": "json_object"},
        tools=[WEATHER_TOOL],
        tool_choice="none",
        presence_penalty=0.5,
        frequency_penalty=-0.5,
        n=None,
        prediction={"type": "content", "content": ""},
        parallel_tool_calls=False,
        safe_prompt=False,
        metadata=None,
    )
    reply = run(call(fake_mistral, "POST", "/v1/chat/completions", json_body=body))
    assert reply.status == 200, reply.json()
    content = reply.json()["choices"][0]["message"]["content"]
    assert json.loads(content) == {
        "reply": "Hello! You said: Weather?. This reply comes from the fake Mistral server."
    }


def test_embeddings_and_fim_are_validated(fake_mistral: FakeMistral) -> None:
    async def scenario() -> tuple[Reply, Reply]:
        return (
            await call(
                fake_mistral, "POST", "/v1/embeddings", json_body={"input": [1], "model": "e"}
            ),
            await call(fake_mistral, "POST", "/v1/fim/completions", json_body={"model": "c"}),
        )

    embeddings, fim = run(scenario())
    assert embeddings.status == fim.status == 422
    assert [e["loc"] for e in embeddings.json()["detail"]] == [["body", "input", 0]]
    assert [e["loc"] for e in fim.json()["detail"]] == [["body", "prompt"]]


# ---------------------------------------------------------------------------- faults


def test_fail_next(fake_mistral: FakeMistral) -> None:
    fake_mistral.fail_next(2, status=503, headers={"Retry-After": "0"})
    fake_mistral.fail_next(status=429, body={"message": "slow down"})
    fake_mistral.fail_next(status=500, body="oops")

    async def scenario() -> list[Reply]:
        return [
            await call(fake_mistral, "POST", "/v1/chat/completions", json_body=chat_body())
            for _ in range(5)
        ]

    replies = run(scenario())
    assert [reply.status for reply in replies] == [503, 503, 429, 500, 200]
    assert replies[0].headers["Retry-After"] == "0"
    assert replies[0].headers["x-request-id"]
    assert replies[0].json() == {
        "object": "error",
        "message": "Service unavailable",
        "type": "service_unavailable",
        "param": None,
        "code": "503",
    }
    assert "Retry-After" not in replies[2].headers
    assert replies[2].json() == {"message": "slow down"}
    assert replies[3].body == b"oops"
    assert replies[3].headers["Content-Type"] == "text/plain"
    assert len(fake_mistral.requests) == 5


def test_delay_next(fake_mistral: FakeMistral) -> None:
    fake_mistral.delay_next(0.3)

    async def scenario() -> list[float]:
        durations = []
        for _ in range(2):
            started = time.monotonic()
            await call(fake_mistral, "GET", "/v1/models")
            durations.append(time.monotonic() - started)
        return durations

    delayed, normal = run(scenario())
    assert delayed >= 0.3
    assert normal < 0.3


def test_delay_lets_client_timeout(fake_mistral: FakeMistral) -> None:
    fake_mistral.delay_next(5)

    async def scenario() -> None:
        timeout = aiohttp.ClientTimeout(total=0.2)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            with pytest.raises(asyncio.TimeoutError):
                async with session.get(fake_mistral.url + "/v1/models", headers=auth(fake_mistral)):
                    pass
        await fake_mistral.wait_for_open_connections(0)

    run(scenario())


def test_cut_stream_after(fake_mistral: FakeMistral) -> None:
    fake_mistral.cut_stream_after(3)

    async def read_into(response: aiohttp.ClientResponse, sink: list[bytes]) -> None:
        async for chunk in response.content.iter_any():
            sink.append(chunk)

    async def scenario() -> tuple[bytes, Reply]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                fake_mistral.url + "/v1/chat/completions",
                json=chat_body(stream=True),
                headers=auth(fake_mistral),
            ) as response,
        ):
            assert response.status == 200
            received: list[bytes] = []
            with pytest.raises(aiohttp.ClientPayloadError):
                await read_into(response, received)
        after = await call(
            fake_mistral, "POST", "/v1/chat/completions", json_body=chat_body(stream=True)
        )
        return b"".join(received), after

    received, after = run(scenario())
    events = sse_events(received)
    assert len(events) == 3
    assert "[DONE]" not in events
    assert sse_events(after.body)[-1] == "[DONE]"


def test_cut_applies_only_to_streams(fake_mistral: FakeMistral) -> None:
    fake_mistral.cut_stream_after(0)

    async def scenario() -> Reply:
        plain = await call(fake_mistral, "POST", "/v1/chat/completions", json_body=chat_body())
        assert plain.status == 200
        with pytest.raises(aiohttp.ClientPayloadError):
            await call(
                fake_mistral, "POST", "/v1/chat/completions", json_body=chat_body(stream=True)
            )
        return await call(
            fake_mistral, "POST", "/v1/chat/completions", json_body=chat_body(stream=True)
        )

    assert run(scenario()).status == 200


def test_drop_next(fake_mistral: FakeMistral) -> None:
    fake_mistral.drop_next(2)

    async def scenario() -> Reply:
        for _ in range(2):
            with pytest.raises(aiohttp.ServerDisconnectedError):
                await call(fake_mistral, "POST", "/v1/chat/completions", json_body=chat_body())
        return await call(fake_mistral, "POST", "/v1/chat/completions", json_body=chat_body())

    assert run(scenario()).status == 200
    assert len(fake_mistral.requests) == 3


def test_reset_faults(fake_mistral: FakeMistral) -> None:
    fake_mistral.fail_next(3)
    fake_mistral.delay_next(5, n=3)
    fake_mistral.cut_stream_after(1, n=3)
    fake_mistral.drop_next(3)
    fake_mistral.reset_faults()
    reply = run(
        call(fake_mistral, "POST", "/v1/chat/completions", json_body=chat_body(stream=True))
    )
    assert reply.status == 200
    assert sse_events(reply.body)[-1] == "[DONE]"


def test_fault_arguments_are_checked() -> None:
    fake = FakeMistral()
    with pytest.raises(ValueError, match="status"):
        fake.fail_next(status=99)
    with pytest.raises(ValueError, match="n must be"):
        fake.drop_next(-1)
    with pytest.raises(ValueError, match="seconds must be"):
        fake.delay_next(-1)
    with pytest.raises(ValueError, match="k must be"):
        fake.cut_stream_after(-1)


# ---------------------------------------------------------------------------- recording


def test_requests_are_recorded(fake_mistral: FakeMistral) -> None:
    with pytest.raises(LookupError):
        _ = fake_mistral.last_request

    async def scenario() -> None:
        await call(fake_mistral, "GET", "/v1/models", params={"provider": "mistralai"})
        await call(
            fake_mistral,
            "POST",
            "/v1/chat/completions",
            json_body=chat_body(),
            headers={**auth(fake_mistral), "X-Custom": "yes"},
        )

    run(scenario())
    first, second = fake_mistral.requests
    assert (first.method, first.path, first.query) == (
        "GET",
        "/v1/models",
        {"provider": "mistralai"},
    )
    assert first.body == b""
    assert first.json is None
    assert second is fake_mistral.last_request
    assert second.method == "POST"
    assert second.headers["x-custom"] == "yes"
    assert second.headers["X-CUSTOM"] == "yes"
    assert "authorization" in second.headers
    assert second.json == chat_body()
    fake_mistral.clear_requests()
    assert fake_mistral.requests == []


# ---------------------------------------------------------------------------- connections


def test_open_connections_track_client_sessions() -> None:
    async def scenario() -> None:
        async with FakeMistral() as fake:
            assert fake.open_connections == 0
            first = aiohttp.ClientSession()
            second = aiohttp.ClientSession()
            try:
                for session in (first, second):
                    async with session.get(fake.url + "/v1/models", headers=auth(fake)) as r:
                        await r.read()
                await fake.wait_for_open_connections(2)
                await first.close()
                await fake.wait_for_open_connections(1)
            finally:
                await first.close()
                await second.close()
            await fake.wait_for_open_connections(0)
            assert fake.total_connections == 2

    run(scenario())


def test_open_connections_drop_when_a_stream_is_abandoned() -> None:
    async def scenario() -> None:
        async with FakeMistral(stream_delay=0.01) as fake, aiohttp.ClientSession() as session:
            response = await session.post(
                fake.url + "/v1/chat/completions", json=chat_body(stream=True), headers=auth(fake)
            )
            await response.content.readuntil(b"\n\n")
            assert fake.open_connections == 1
            response.close()  # abandon the stream mid-way: the connection must go away
            await fake.wait_for_open_connections(0, timeout=2)

    run(scenario())


def test_open_connections_with_cancelled_stream_task(fake_mistral: FakeMistral) -> None:
    fake_mistral.stream_delay = 0.01

    async def consume(session: aiohttp.ClientSession, started: asyncio.Event) -> None:
        async with session.post(
            fake_mistral.url + "/v1/chat/completions",
            json=chat_body(stream=True),
            headers=auth(fake_mistral),
        ) as response:
            async for _ in response.content.iter_any():
                started.set()

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            started = asyncio.Event()
            task = asyncio.create_task(consume(session, started))
            await started.wait()
            assert fake_mistral.open_connections == 1
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await fake_mistral.wait_for_open_connections(0, timeout=2)

    run(scenario())


# ---------------------------------------------------------------------------- lifecycle


def test_async_mode_url_and_clean_stop() -> None:
    async def scenario() -> None:
        fake = FakeMistral(api_key="secret")
        assert not fake.running
        async with fake:
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+", fake.url)
            assert fake.api_key == "secret"
            reply = await call(fake, "GET", "/v1/models")
            assert reply.status == 200
        assert not fake.running
        with pytest.raises(RuntimeError):
            _ = fake.url

    run(scenario())


def test_stop_does_not_wait_for_delayed_requests() -> None:
    async def scenario() -> float:
        fake = FakeMistral()
        await fake.astart()
        fake.delay_next(30)
        # POST: aiohttp retries idempotent requests once after a disconnection.
        task = asyncio.create_task(
            call(fake, "POST", "/v1/chat/completions", json_body=chat_body())
        )
        while not fake.requests:
            await asyncio.sleep(0.005)
        started = time.monotonic()
        await fake.astop()
        elapsed = time.monotonic() - started
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await task
        return elapsed

    assert run(scenario()) < 1.0


def test_thread_mode_start_stop_and_restart() -> None:
    fake = FakeMistral()
    with fake:
        thread_names = [t.name for t in threading.enumerate()]
        assert "FakeMistral" in thread_names
        assert run(call(fake, "GET", "/v1/models")).status == 200
        with pytest.raises(RuntimeError):
            fake.start()
    assert not fake.running
    assert "FakeMistral" not in [t.name for t in threading.enumerate()]
    fake.start()
    try:
        assert run(call(fake, "GET", "/v1/models")).status == 200
    finally:
        fake.stop()


def test_thread_mode_serves_a_blocking_caller(fake_mistral: FakeMistral) -> None:
    request = urllib.request.Request(
        fake_mistral.url + "/v1/chat/completions",
        data=json.dumps(chat_body()).encode(),
        headers={**auth(fake_mistral), "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        body = json.loads(response.read())
    assert body["object"] == "chat.completion"
    fake_mistral.wait_for_open_connections_sync(0)


def test_command_line_server() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    process = subprocess.Popen(
        [sys.executable, "-m", "mistral_async.testing", "--port", "0", "--api-key", "k"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", first_line)
        assert match, first_line
        assert "API key: k" in process.stdout.readline()

        async def scenario() -> int:
            async with (
                aiohttp.ClientSession() as session,
                session.get(
                    match.group(1) + "/v1/models", headers={"Authorization": "Bearer k"}
                ) as response,
            ):
                return response.status

        assert run(scenario()) == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr


# ---------------------------------------------------------------------------- extension API
# The "shelves" group below is the worked example of mistral_async/testing/_app.py.

CREATE_SHELF = Body(
    "ShelfIn",
    required={"name": Str(min_length=1)},
    optional={"description": nullable(Str())},
)
LIST_QUERY = Body("ListShelves", optional={"page": Int(ge=0), "page_size": Int(ge=1)})
UPLOAD_BOOK = Body(
    "BookUpload", required={"file": Upload()}, optional={"title": Str(), "public": Bool()}
)


class ShelvesState:
    """The shelves of one server (dropped by ``fake.reset()``)."""

    def __init__(self) -> None:
        self.shelves: dict[str, dict[str, Any]] = {}
        self.books: dict[str, dict[str, str]] = {}


def register_shelves(app: FakeApp) -> None:
    """Add the shelves routes."""
    app.route("POST", "/v1/shelves", create_shelf)
    app.route("GET", "/v1/shelves", list_shelves)
    app.route("GET", "/v1/shelves/{shelf_id}", get_shelf)
    app.route("DELETE", "/v1/shelves/{shelf_id}", delete_shelf)
    app.route("POST", "/v1/shelves/{shelf_id}/books", upload_book)
    app.route("GET", "/v1/shelves/{shelf_id}/books/{book_id}/content", download_book)
    app.route("GET", "/v1/shelves/{shelf_id}/events", shelf_events)


def _shelf(call: Call) -> dict[str, Any]:
    shelf_id = call.params["shelf_id"]
    shelf = call.state(ShelvesState).shelves.get(shelf_id)
    if shelf is None:
        raise Abort(call.not_found("Shelf", shelf_id))
    return shelf


async def create_shelf(call: Call) -> web.StreamResponse:
    payload = await call.json(CREATE_SHELF)
    shelf = {"id": str(uuid.uuid4()), "object": "shelf", "description": None, **payload}
    call.state(ShelvesState).shelves[shelf["id"]] = shelf
    return call.ok(shelf, status=201)


async def list_shelves(call: Call) -> web.StreamResponse:
    query = call.validate_query(LIST_QUERY)
    page, size = query.get("page", 0), query.get("page_size", 100)
    shelves = list(call.state(ShelvesState).shelves.values())
    data = shelves[page * size : (page + 1) * size]
    return call.ok({"object": "list", "data": data, "total": len(shelves)})


async def get_shelf(call: Call) -> web.StreamResponse:
    return call.ok(_shelf(call))


async def delete_shelf(call: Call) -> web.StreamResponse:
    del call.state(ShelvesState).shelves[_shelf(call)["id"]]
    return call.empty()


async def upload_book(call: Call) -> web.StreamResponse:
    shelf = _shelf(call)
    fields = call.validate_form(await call.form(), UPLOAD_BOOK)
    upload = fields["file"]
    stored = call.state(FilesState).add(
        upload.blob, filename=upload.filename, purpose="shelf", content_type=upload.content_type
    )
    book_id = str(uuid.uuid4())
    call.state(ShelvesState).books[book_id] = {"shelf_id": shelf["id"], "file_id": stored.id}
    title = fields.get("title", upload.filename)
    body = {"id": book_id, "title": title, "file_id": stored.id, "size": stored.size}
    return call.ok({**body, "public": fields.get("public", False)})


async def download_book(call: Call) -> web.StreamResponse:
    shelf, book_id = _shelf(call), call.params["book_id"]
    book = call.state(ShelvesState).books.get(book_id)
    stored = call.state(FilesState).get(book["file_id"]) if book else None
    if book is None or book["shelf_id"] != shelf["id"] or stored is None:
        return call.not_found("Book", book_id)
    return await call.bytes_response(stored.blob, stored.content_type, stored.filename)


async def shelf_events(call: Call) -> web.StreamResponse:
    shelf = _shelf(call)

    async def events() -> AsyncIterator[tuple[str | None, Any]]:
        yield "shelf.started", {"shelf_id": shelf["id"]}
        for book_id, book in list(call.state(ShelvesState).books.items()):
            if book["shelf_id"] == shelf["id"]:
                yield "shelf.book", {"book_id": book_id}
        yield "shelf.done", {"shelf_id": shelf["id"]}

    return await call.sse(events(), terminator=None)


# A second tiny group exercising routing and the other response helpers.


async def echo_params(call: Call) -> web.StreamResponse:
    return call.ok({"route": "params", "params": call.params, "query": dict(call.query)})


async def echo_literal(call: Call) -> web.StreamResponse:
    return call.ok({"route": "literal"})


async def ticks(call: Call) -> web.StreamResponse:
    count = int(call.query.get("n", "5"))
    done = call.query.get("done") == "1"
    events = [("tick" if i % 2 else None, {"i": i}) for i in range(count)]
    return await call.sse(events, terminator="[DONE]" if done else None)


async def generated_download(call: Call) -> web.StreamResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for index in range(64):
            yield bytes([index]) * 65536

    return await call.bytes_response(chunks(), "application/x-test", filename="données.bin")


async def raw_upload(call: Call) -> web.StreamResponse:
    blob = await call.spool_body()
    digest = hashlib.sha256()
    for chunk in blob.iter_chunks():
        digest.update(chunk)
    spooled = blob.path is not None
    return call.ok({"size": blob.size, "sha256": digest.hexdigest(), "spooled": spooled})


async def broken(call: Call) -> web.StreamResponse:
    raise RuntimeError("boom")


async def teapot(call: Call) -> web.StreamResponse:
    return call.error(418, "short and stout", type="teapot_error", code="tea_1", param="pot")


def register_misc(app: FakeApp) -> None:
    """Add the routes of the routing and helper tests."""
    app.route("GET", "/v1/things/{thing_id}/parts/{part_id}", echo_params)
    app.route("DELETE", "/v1/things/{thing_id}/parts/{part_id}", echo_params)
    app.route("PUT", "/v1/things/special/parts/{part_id}", echo_literal)
    app.route("GET", "/v1/ticks", ticks)
    app.route("GET", "/v1/download", generated_download)
    app.route("POST", "/v1/raw", raw_upload)
    app.route("GET", "/v1/broken", broken)
    app.route("GET", "/v1/teapot", teapot)


@pytest.fixture
def ext_fake() -> Iterator[FakeMistral]:
    """A started server with the example groups added."""
    with FakeMistral(extra_groups=[register_shelves, register_misc]) as fake:
        yield fake


def test_builtin_groups_are_discovered_in_sorted_order() -> None:
    names = [name for name, _ in discover_groups()]
    assert names == sorted(names)
    assert {"chat", "embeddings", "models"} <= set(names)
    routes = FakeMistral().app.routes()
    assert ("POST", "/v1/chat/completions") in routes
    assert ("GET", "/v1/models/{model_id}") in routes


def test_broken_or_incomplete_group_fails_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "fake_groups_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "_helper.py").write_text("raise RuntimeError('helpers are not groups')\n")
    (package / "a_good.py").write_text("def register(app):\n    pass\n")
    (package / "b_broken.py").write_text("import no_such_module_here\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(GroupError, match="b_broken") as raised:
        discover_groups("fake_groups_pkg")
    assert isinstance(raised.value.__cause__, ImportError)
    (package / "b_broken.py").write_text("REGISTER = None\n")
    monkeypatch.delitem(sys.modules, "fake_groups_pkg.b_broken", raising=False)
    with pytest.raises(GroupError, match="has no register"):
        discover_groups("fake_groups_pkg")


def test_route_registration_is_checked() -> None:
    def duplicate(app: FakeApp) -> None:
        app.route("GET", "/v1/models/{other_name}", echo_params)

    with pytest.raises(ValueError, match="already registered") as raised:
        FakeMistral(extra_groups=[duplicate])
    assert any("duplicate" in note for note in raised.value.__notes__)
    app = FakeMistral().app
    for pattern in ("v1/x", "/v1//x", "/v1/x{id}", "/v1/{id}/{id}", "/"):
        with pytest.raises(ValueError, match=r"pattern|segment|parameter"):
            app.route("GET", pattern, echo_params)
    with pytest.raises(ValueError, match="method"):
        app.route("get", "/v1/x", echo_params)
    app.route("GET", "/v1/models/{model_id}", echo_params, replace=True)


def test_multi_param_routes_and_percent_decoding(ext_fake: FakeMistral) -> None:
    async def scenario() -> list[Reply]:
        return [
            await call(ext_fake, "GET", "/v1/things/a%2Fb/parts/c%20d%3F", params={"x": "1"}),
            await call(ext_fake, "DELETE", "/v1/things/t1/parts/p1"),
            await call(ext_fake, "PUT", "/v1/things/special/parts/p1"),
            await call(ext_fake, "GET", "/v1/things/special/parts/p1"),
            await call(ext_fake, "PUT", "/v1/things/other/parts/p1"),
            await call(ext_fake, "GET", "/v1/things//parts/p1"),
            await call(ext_fake, "GET", "/v1/things/t1/parts/p1/"),
            await call(ext_fake, "GET", "/v1/things/t1/parts"),
        ]

    encoded, deleted, literal, param_get, wrong, empty, trailing, short = run(scenario())
    assert encoded.status == 200
    assert encoded.json() == {
        "route": "params",
        "params": {"thing_id": "a/b", "part_id": "c d?"},
        "query": {"x": "1"},
    }
    assert ext_fake.last_request.path == "/v1/things/t1/parts"
    assert deleted.json()["params"] == {"thing_id": "t1", "part_id": "p1"}
    assert literal.json() == {"route": "literal"}
    assert param_get.json()["params"] == {"thing_id": "special", "part_id": "p1"}
    assert wrong.status == 405
    assert wrong.headers["Allow"] == "DELETE, GET"
    assert wrong.json()["code"] == "405"
    for reply in (empty, trailing, short):
        assert reply.status == 404
        assert reply.json()["object"] == "error"
        assert reply.headers["x-request-id"]


def test_example_group_json_state_and_errors(ext_fake: FakeMistral) -> None:
    async def scenario() -> list[Reply]:
        created = await call(ext_fake, "POST", "/v1/shelves", json_body={"name": "novels"})
        shelf_id = created.json()["id"]
        return [
            created,
            await call(ext_fake, "GET", f"/v1/shelves/{shelf_id}"),
            await call(ext_fake, "GET", "/v1/shelves", params={"page": "0", "page_size": "1"}),
            await call(ext_fake, "GET", "/v1/shelves", params={"page": "x", "page_size": "0"}),
            await call(ext_fake, "POST", "/v1/shelves", json_body={"name": "", "colour": 1}),
            await call(
                ext_fake,
                "POST",
                "/v1/shelves",
                data=b"{",
                headers={**auth(ext_fake), "Content-Type": "application/json"},
            ),
            await call(ext_fake, "GET", "/v1/shelves/nope"),
            await call(ext_fake, "DELETE", f"/v1/shelves/{shelf_id}"),
            await call(ext_fake, "GET", f"/v1/shelves/{shelf_id}"),
            await call(ext_fake, "GET", "/v1/broken"),
            await call(ext_fake, "GET", "/v1/teapot"),
        ]

    (created, got, listed, bad_query, bad_body, bad_json, missing, deleted, gone, broke, tea) = run(
        scenario()
    )
    assert created.status == 201
    assert created.json() == {**got.json(), "name": "novels"}
    assert listed.json()["data"] == [got.json()]
    assert bad_query.status == 422
    assert bad_query.json()["detail"] == [
        {
            "type": "int_parsing",
            "loc": ["query", "page"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "x",
        },
        {
            "type": "greater_than_equal",
            "loc": ["query", "page_size"],
            "msg": "Input should be greater than or equal to 1",
            "input": 0,
            "ctx": {"ge": 1},
        },
    ]
    assert [(e["type"], e["loc"]) for e in bad_body.json()["detail"]] == [
        ("string_too_short", ["body", "name"]),
        ("extra_forbidden", ["body", "colour"]),
    ]
    assert bad_json.status == 422
    assert bad_json.json()["detail"][0]["type"] == "json_invalid"
    assert missing.status == 404
    assert missing.json() == {
        "object": "error",
        "message": "Shelf not found: nope",
        "type": "invalid_request_error",
        "param": None,
        "code": "404",
    }
    assert deleted.status == 204
    assert deleted.body == b""
    assert deleted.headers["x-request-id"]
    assert gone.status == 404
    assert broke.status == 500
    assert "boom" in broke.json()["message"]
    assert tea.status == 418
    assert tea.json() == {
        "object": "error",
        "message": "short and stout",
        "type": "teapot_error",
        "param": "pot",
        "code": "tea_1",
    }


async def _upload(
    fake: FakeMistral, path: str, form: aiohttp.FormData | bytes, content_type: str | None = None
) -> Reply:
    """POST a form or raw bytes (big bytes go through BytesIO, as aiohttp wants)."""
    headers = auth(fake)
    if content_type is not None:
        headers["Content-Type"] = content_type
    data: aiohttp.FormData | bytes | io.BytesIO = form
    if isinstance(form, bytes) and len(form) > 1 << 20:
        data = io.BytesIO(form)
    async with (
        aiohttp.ClientSession() as session,
        session.post(fake.url + path, data=data, headers=headers) as response,
    ):
        return Reply(response.status, response.headers, await response.read())


def test_multipart_upload_is_streamed_and_recorded_truncated(ext_fake: FakeMistral) -> None:
    content = os.urandom(1 << 20) * 20 + b"tail"

    async def scenario() -> tuple[Reply, bytes, Reply]:
        # Return digests, not big bytes: a task's result may get repr()'d.
        shelf = await call(ext_fake, "POST", "/v1/shelves", json_body={"name": "big"})
        shelf_id = shelf.json()["id"]
        form = aiohttp.FormData()
        form.add_field("title", "Big book")
        form.add_field("public", "true")
        form.add_field(
            "file", io.BytesIO(content), filename="big.bin", content_type="application/x-big"
        )
        uploaded = await _upload(ext_fake, f"/v1/shelves/{shelf_id}/books", form)
        book_id = uploaded.json()["id"]
        async with (
            aiohttp.ClientSession() as session,
            session.get(
                f"{ext_fake.url}/v1/shelves/{shelf_id}/books/{book_id}/content",
                headers=auth(ext_fake),
            ) as response,
        ):
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/x-big"
            assert response.headers["Content-Disposition"] == 'attachment; filename="big.bin"'
            assert response.headers["x-request-id"]
            digest = hashlib.sha256()
            async for piece in response.content.iter_chunked(1 << 20):
                digest.update(piece)
        events = await call(ext_fake, "GET", f"/v1/shelves/{shelf_id}/events")
        return uploaded, digest.digest(), events

    uploaded, downloaded_digest, events = run(scenario())
    assert uploaded.status == 200, uploaded.body
    body = uploaded.json()
    assert (body["title"], body["size"], body["public"]) == ("Big book", len(content), True)
    record = ext_fake.requests[1]
    assert record.body_truncated
    assert len(record.body) == 1 << 20
    assert record.body_size > len(content)
    assert record.json is None
    stored = ext_fake.state(FilesState).get(body["file_id"])
    assert stored is not None
    assert stored.filename == "big.bin"
    assert stored.blob.path is not None  # spooled to disk, not held in memory
    assert downloaded_digest == hashlib.sha256(content).digest()
    assert sse_blocks(events.body) == [
        ("shelf.started", {"shelf_id": record.path.split("/")[3]}),
        ("shelf.book", {"book_id": body["id"]}),
        ("shelf.done", {"shelf_id": record.path.split("/")[3]}),
    ]
    spooled = stored.blob.path
    ext_fake.reset()
    assert len(ext_fake.state(FilesState)) == 0
    del stored
    gc.collect()
    assert not spooled.exists()


def test_form_validation_and_malformed_multipart(ext_fake: FakeMistral) -> None:
    async def scenario() -> list[Reply]:
        shelf = await call(ext_fake, "POST", "/v1/shelves", json_body={"name": "s"})
        path = f"/v1/shelves/{shelf.json()['id']}/books"
        form = aiohttp.FormData()
        form.add_field("file", "not a file")
        form.add_field("public", "maybe")
        bad_boundary = "multipart/form-data; boundary=xyz"
        return [
            await _upload(ext_fake, path, form),
            await call(ext_fake, "POST", path, json_body={"title": "t"}),
            await _upload(ext_fake, path, b"--xyz\r\nno-headers", bad_boundary),
            await _upload(
                ext_fake,
                path,
                b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
                b"\r\nhello\r\n--xyz--\r\n",
                bad_boundary,
            ),
        ]

    wrong_types, not_a_form, malformed, minimal = run(scenario())
    assert wrong_types.status == 422
    assert [(e["type"], e["loc"]) for e in wrong_types.json()["detail"]] == [
        ("value_error", ["body", "file"]),
        ("bool_parsing", ["body", "public"]),
    ]
    assert not_a_form.json()["detail"] == [
        {"type": "missing", "loc": ["body", "file"], "msg": "Field required", "input": None}
    ]
    assert malformed.status == 400
    assert malformed.json()["type"] == "invalid_request_error"
    assert minimal.status == 200, minimal.body
    assert minimal.json()["title"] == "a.txt"
    assert minimal.json()["size"] == 5


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_multipart_parser_handles_boundaries_split_across_chunks() -> None:
    boundary = b"----b0undary"
    body = (
        b"preamble\r\n------b0undary\r\n"
        b'Content-Disposition: form-data; name="a"\r\n\r\n'
        b"first\r\nline\r\n------b0undary  \r\n"
        b"Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt\r\n"
        b"Content-Type: text/plain\r\n\r\n" + b"x\r\n--" * 1000 + b"\r\n------b0undary\r\n"
        b'Content-Disposition: form-data; name="a"\r\n\r\n'
        b"second\r\n------b0undary--\r\nepilogue"
    )

    async def scenario() -> list[Form]:
        return [
            await parse_multipart(_chunks(body, size), boundary, memory_limit=1024)
            for size in (1, 7, 4096)
        ]

    for form in run(scenario()):
        assert form.getall("a") == ["first\r\nline", "second"]
        upload = form.file("f")
        assert upload is not None
        assert upload.filename == "résumé.txt"
        assert upload.content_type == "text/plain"
        assert upload.read_bytes() == b"x\r\n--" * 1000
        assert upload.path is not None  # 5000 bytes > memory_limit


def test_raw_upload_and_generated_download(ext_fake: FakeMistral) -> None:
    content = os.urandom(3 << 20)

    async def scenario() -> tuple[Reply, Reply, int]:
        spooled = await _upload(ext_fake, "/v1/raw", content, "application/octet-stream")
        async with aiohttp.ClientSession() as session:
            chunked = await session.post(
                ext_fake.url + "/v1/raw", data=_chunks(content, 50_000), headers=auth(ext_fake)
            )
            chunked_reply = Reply(chunked.status, chunked.headers, await chunked.read())
            async with session.get(ext_fake.url + "/v1/download", headers=auth(ext_fake)) as r:
                assert r.headers["Transfer-Encoding"] == "chunked"
                assert r.headers["Content-Disposition"] == (
                    "attachment; filename=\"donn?es.bin\"; filename*=UTF-8''donn%C3%A9es.bin"
                )
                size = len(await r.read())
        return spooled, chunked_reply, size

    spooled, chunked, size = run(scenario())
    expected = {
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "spooled": True,
    }
    assert spooled.json() == expected
    assert chunked.json() == expected
    assert size == 64 * 65536
    first, second = ext_fake.requests[:2]
    assert first.body_size == second.body_size == len(content)
    assert first.body_truncated and second.body_truncated
    assert first.body == content[: 1 << 20]


def sse_blocks(body: bytes) -> list[tuple[str | None, Any]]:
    """Split an SSE body into (event name, decoded data) pairs."""
    blocks = []
    for block in body.decode().split("\n\n")[:-1]:
        name = None
        data = ""
        for line in block.split("\n"):
            field_name, _, value = line.partition(": ")
            if field_name == "event":
                name = value
            else:
                assert field_name == "data", line
                data = value
        blocks.append((name, data if data == "[DONE]" else json.loads(data)))
    return blocks


def test_sse_with_and_without_done_and_faults(ext_fake: FakeMistral) -> None:
    ext_fake.cut_stream_after(2)

    async def scenario() -> tuple[bytes, Reply, Reply]:
        async with aiohttp.ClientSession() as session:
            received: list[bytes] = []
            with pytest.raises(aiohttp.ClientPayloadError):
                async with session.get(
                    ext_fake.url + "/v1/ticks", params={"done": "1"}, headers=auth(ext_fake)
                ) as response:
                    async for chunk in response.content.iter_any():
                        received.append(chunk)
        with_done = await call(ext_fake, "GET", "/v1/ticks", params={"n": "3", "done": "1"})
        without = await call(ext_fake, "GET", "/v1/ticks", params={"n": "3"})
        return b"".join(received), with_done, without

    cut, with_done, without = run(scenario())
    assert sse_blocks(cut) == [(None, {"i": 0}), ("tick", {"i": 1})]
    assert with_done.headers["Content-Type"] == "text/event-stream"
    assert with_done.body == (
        b'data: {"i":0}\n\nevent: tick\ndata: {"i":1}\n\ndata: {"i":2}\n\ndata: [DONE]\n\n'
    )
    assert sse_blocks(without.body) == [(None, {"i": 0}), ("tick", {"i": 1}), (None, {"i": 2})]


def test_sse_honours_stream_delay() -> None:
    async def scenario() -> float:
        async with FakeMistral(stream_delay=0.05, extra_groups=[register_misc]) as fake:
            started = time.monotonic()
            reply = await call(fake, "GET", "/v1/ticks", params={"n": "5"})
            assert len(sse_blocks(reply.body)) == 5
            return time.monotonic() - started

    assert run(scenario()) >= 0.2


def test_faults_auth_and_headers_apply_to_new_routes(ext_fake: FakeMistral) -> None:
    ext_fake.fail_next(status=429, headers={"Retry-After": "1"})

    async def scenario() -> list[Reply]:
        replies = [await call(ext_fake, "POST", "/v1/shelves", json_body={"name": "a"})]
        ext_fake.drop_next()
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await call(ext_fake, "POST", "/v1/shelves", json_body={"name": "b"})
        replies.append(await call(ext_fake, "GET", "/v1/shelves", headers={}))
        replies.append(await _upload(ext_fake, "/v1/raw", b"x" * (2 << 20)))
        replies.append(await call(ext_fake, "GET", "/v1/shelves"))
        return replies

    failed, unauthorized, raw, listed = run(scenario())
    assert failed.status == 429
    assert failed.headers["Retry-After"] == "1"
    assert failed.json()["type"] == "rate_limited"
    assert unauthorized.status == 401
    assert raw.status == 200
    assert listed.json()["total"] == 0  # neither faulted POST reached the handler
    assert [r.json for r in ext_fake.requests[:2]] == [{"name": "a"}, {"name": "b"}]
    for reply in (failed, unauthorized, raw, listed):
        assert re.fullmatch(r"[0-9a-f]{32}", reply.headers["x-request-id"])
        assert int(reply.headers["x-ratelimit-remaining-req-minute"]) > 0
    ext_fake.delay_next(0.2)
    started = time.monotonic()
    assert run(call(ext_fake, "GET", "/v1/shelves")).status == 200
    assert time.monotonic() - started >= 0.2
    ext_fake.wait_for_open_connections_sync(0)


def test_faulted_big_upload_is_drained_and_recorded(ext_fake: FakeMistral) -> None:
    ext_fake.fail_next(status=503)
    content = b"y" * (5 << 20)
    reply = run(_upload(ext_fake, "/v1/raw", content, "application/octet-stream"))
    assert reply.status == 503
    assert ext_fake.last_request.body_size == len(content)
    assert ext_fake.last_request.body_truncated


def _docstring_example() -> types.ModuleType:
    """Build a module from the worked example in the docstring of ``testing._app``."""
    doc = app_module.__doc__ or ""
    start = doc.index("groups/shelves.py``::\n") + len("groups/shelves.py``::\n")
    lines = []
    for line in doc[start:].splitlines():
        if line and not line.startswith("    "):
            break
        lines.append(line)
    module = types.ModuleType("mistral_async.testing.groups.shelves_example")
    module.__package__ = "mistral_async.testing.groups"
    exec(compile(textwrap.dedent("\n".join(lines)), "<_app docstring>", "exec"), vars(module))
    return module


def test_docstring_worked_example_runs() -> None:
    example = _docstring_example()

    async def scenario() -> tuple[str, list[Any]]:
        async with FakeMistral(extra_groups=[example]) as fake:
            created = await call(fake, "POST", "/v1/shelves", json_body={"name": "a"})
            shelf_id = created.json()["id"]
            form = aiohttp.FormData()
            form.add_field("file", b"hello", filename="hi.txt", content_type="text/plain")
            book = (await _upload(fake, f"/v1/shelves/{shelf_id}/books", form)).json()
            content = await call(fake, "GET", f"/v1/shelves/{shelf_id}/books/{book['id']}/content")
            events = await call(fake, "GET", f"/v1/shelves/{shelf_id}/events")
            return shelf_id, [
                created.status,
                (await call(fake, "GET", "/v1/shelves", params={"page": "x"})).status,
                book["size"],
                content.body,
                content.headers["Content-Disposition"],
                [name for name, _ in sse_blocks(events.body)],
                (await call(fake, "DELETE", f"/v1/shelves/{shelf_id}")).status,
                (await call(fake, "GET", f"/v1/shelves/{shelf_id}")).json()["message"],
            ]

    shelf_id, results = run(scenario())
    assert results == [
        201,
        422,
        5,
        b"hello",
        'attachment; filename="hi.txt"',
        ["shelf.started", "shelf.book", "shelf.done"],
        204,
        f"Shelf not found: {shelf_id}",
    ]

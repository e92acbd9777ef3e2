"""Loopback tests of the fake Mistral server, driven by a plain aiohttp client."""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest

from mistral_async.testing import FakeMistral, pytest_plugin

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

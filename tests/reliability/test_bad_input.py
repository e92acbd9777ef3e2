"""Scenario 8: bad arguments are refused locally, before any request is sent.

What users rely on: a wrong type, an out-of-range value (the API spec's bounds), a missing
required argument or an unknown keyword raises at once (``InvalidParameterError``, or
``TypeError`` for missing / unknown arguments; ``InvalidParameterError`` is a ``TypeError``
and a ``ValueError`` too), with a message naming the parameter, and the server sees no
request at all.
"""

from __future__ import annotations

from typing import Any

import pytest

from mistral_async import AsyncMistral, InvalidParameterError

from .conftest import CHAT, MakeClient
from .faultserver import FaultServer

pytestmark = pytest.mark.anyio

MESSAGES = CHAT["messages"]

# (arguments replacing / extending CHAT, parameter the error must name)
CHAT_CASES: list[tuple[dict[str, Any], str]] = [
    ({"temperature": "hot"}, "temperature"),
    ({"temperature": float("nan")}, "temperature"),
    ({"temperature": 2}, "temperature"),
    ({"temperature": -0.1}, "temperature"),
    ({"top_p": 0}, "top_p"),
    ({"top_p": 1.5}, "top_p"),
    ({"max_tokens": 1.5}, "max_tokens"),
    ({"max_tokens": True}, "max_tokens"),
    ({"max_tokens": -1}, "max_tokens"),
    ({"n": 0}, "n"),
    ({"presence_penalty": 3}, "presence_penalty"),
    ({"frequency_penalty": -3}, "frequency_penalty"),
    ({"random_seed": -1}, "random_seed"),
    ({"random_seed": "42"}, "random_seed"),
    ({"messages": "hi"}, "messages"),
    ({"messages": []}, "messages"),
    ({"messages": [1]}, "messages[0]"),
    ({"messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role"),
    ({"model": ""}, "model"),
    ({"model": None}, "model"),
    ({"model": 7}, "model"),
    ({"stop": 5}, "stop"),
    ({"tool_choice": "maybe"}, "tool_choice"),
    ({"response_format": {"type": "yaml"}}, "response_format.type"),
    ({"reasoning_effort": "extreme"}, "reasoning_effort"),
    ({"metadata": ["not", "a", "dict"]}, "metadata"),
]


def _ids(cases: list[tuple[dict[str, Any], str]]) -> list[str]:
    return [f"{param}={next(iter(args.values()))!r}"[:40] for args, param in cases]


@pytest.mark.parametrize(("args", "param"), CHAT_CASES, ids=_ids(CHAT_CASES))
async def test_chat_complete_refuses_bad_values(
    server: FaultServer, make_client: MakeClient, args: dict[str, Any], param: str
) -> None:
    """chat.complete raises InvalidParameterError naming the parameter; nothing is sent."""
    client = make_client(server)
    with pytest.raises(InvalidParameterError) as info:
        await client.chat.complete(**{**CHAT, **args})
    assert info.value.param == param
    assert param in str(info.value)
    assert server.request_count == 0


@pytest.mark.parametrize(("args", "param"), CHAT_CASES, ids=_ids(CHAT_CASES))
async def test_chat_stream_refuses_bad_values(
    server: FaultServer, make_client: MakeClient, args: dict[str, Any], param: str
) -> None:
    """chat.stream refuses the same values, when it is called; nothing is sent."""
    client = make_client(server)
    with pytest.raises(InvalidParameterError) as info:
        client.chat.stream(**{**CHAT, **args})
    assert info.value.param == param
    assert server.request_count == 0


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda c: c.chat.complete(messages=MESSAGES), "model"),
        (lambda c: c.chat.complete(model="m"), "messages"),
        (lambda c: c.chat.complete(**CHAT, foo=1), "foo"),
        (lambda c: c.chat.complete(**CHAT, temprature=0.5), "temprature"),
        (lambda c: c.fim.complete(model="codestral-latest"), "prompt"),
        (lambda c: c.embeddings.create(model="mistral-embed"), "inputs"),
        (lambda c: c.models.retrieve(), "model_id"),
    ],
    ids=[
        "complete-no-model",
        "complete-no-messages",
        "complete-unknown-foo",
        "complete-typo",
        "fim-no-prompt",
        "embeddings-no-inputs",
        "retrieve-no-id",
    ],
)
async def test_missing_or_unknown_arguments(
    server: FaultServer, make_client: MakeClient, call: Any, name: str
) -> None:
    """A missing required argument or an unknown keyword is a TypeError naming it."""
    client = make_client(server)
    with pytest.raises(TypeError) as info:
        await call(client)
    assert repr(name) in str(info.value) or name in str(info.value)
    assert server.request_count == 0


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"messages": MESSAGES}, "model"),
        ({"model": "m"}, "messages"),
        ({**CHAT, "foo": 1}, "foo"),
    ],
    ids=["no-model", "no-messages", "unknown-foo"],
)
async def test_stream_missing_or_unknown_arguments(
    server: FaultServer, make_client: MakeClient, kwargs: dict[str, Any], name: str
) -> None:
    """chat.stream refuses missing and unknown arguments the same way, when called."""
    client = make_client(server)
    with pytest.raises(TypeError) as info:
        client.chat.stream(**kwargs)
    assert name in str(info.value)
    assert server.request_count == 0


OTHER_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("embeddings", {"output_dimension": 0}, "output_dimension"),
    ("embeddings", {"output_dimension": 1.5}, "output_dimension"),
    ("embeddings", {"output_dtype": "float64"}, "output_dtype"),
    ("embeddings", {"inputs": []}, "inputs"),
    ("embeddings", {"inputs": 5}, "inputs"),
    ("embeddings", {"inputs": ["ok", 5]}, "inputs[1]"),
    ("fim", {"temperature": 2}, "temperature"),
    ("fim", {"prompt": 5}, "prompt"),
    ("fim", {"min_tokens": -1}, "min_tokens"),
    ("retrieve", {"model_id": ""}, "model_id"),
    ("retrieve", {"model_id": 5}, "model_id"),
    ("retrieve", {"model_id": "\ud800"}, "model_id"),
    ("list", {"provider": 5}, "provider"),
    ("options", {"max_retries": -1}, "max_retries"),
    ("options", {"stream_timeout": 0}, "stream_timeout"),
]


async def _call_other(client: AsyncMistral, kind: str, args: dict[str, Any]) -> Any:
    if kind == "embeddings":
        return await client.embeddings.create(**{"model": "mistral-embed", "inputs": "x", **args})
    if kind == "fim":
        return await client.fim.complete(**{"model": "codestral-latest", "prompt": "x", **args})
    if kind == "retrieve":
        return await client.models.retrieve(**args)
    if kind == "list":
        return await client.models.list(**args)
    return await client.chat.complete(**CHAT, **args)


@pytest.mark.parametrize(
    ("kind", "args", "param"),
    OTHER_CASES,
    ids=[f"{k}-{p}={next(iter(a.values()))!r}"[:40] for k, a, p in OTHER_CASES],
)
async def test_other_endpoints_refuse_bad_values(
    server: FaultServer, make_client: MakeClient, kind: str, args: dict[str, Any], param: str
) -> None:
    """Embeddings, FIM, models and per-call options refuse bad values with
    InvalidParameterError naming the parameter as the caller spelled it; nothing is sent."""
    client = make_client(server)
    with pytest.raises(InvalidParameterError) as info:
        await _call_other(client, kind, args)
    assert info.value.param == param
    assert server.request_count == 0


def test_sync_client_refuses_bad_values(thread_server: FaultServer, make_sync_client: Any) -> None:
    """The blocking client refuses bad values the same way, before sending anything."""
    client = make_sync_client(thread_server)
    with pytest.raises(InvalidParameterError) as info:
        client.chat.complete(**CHAT, temperature="hot")
    assert info.value.param == "temperature"
    with pytest.raises(TypeError, match="foo"):
        client.chat.complete(**CHAT, foo=1)
    with pytest.raises(TypeError, match="foo"):
        client.chat.stream(**CHAT, foo=1)
    assert thread_server.request_count == 0

"""Client configuration: keys, servers, options per call and per copy, raw responses, secrecy."""

from __future__ import annotations

import logging

import pytest

import mistral_async
from mistral_async import AsyncMistral, Timeout
from mistral_async.testing import FakeMistral

pytestmark = pytest.mark.anyio

HI = [{"role": "user", "content": "Hi"}]


def client_for(fake: FakeMistral, **kwargs: object) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url, **kwargs)  # type: ignore[arg-type]


async def test_key_and_server_from_the_environment(
    fake_mistral: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MISTRAL_API_KEY", fake_mistral.api_key)
    monkeypatch.setenv("MISTRAL_SERVER_URL", fake_mistral.url)
    async with AsyncMistral() as client:
        assert client.base_url == fake_mistral.url
        assert (await client.models.list()).data


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    with pytest.raises(mistral_async.InvalidParameterError, match="MISTRAL_API_KEY"):
        AsyncMistral()


def test_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MISTRAL_SERVER_URL", raising=False)
    assert AsyncMistral(api_key="k").base_url == "https://api.mistral.ai"
    assert AsyncMistral(api_key="k", server="eu").base_url == "https://api.eu.mistral.ai"
    assert AsyncMistral(api_key="k", server="us").base_url == "https://api.us.mistral.ai"
    with pytest.raises(mistral_async.InvalidParameterError, match="server"):
        AsyncMistral(api_key="k", server="mars")  # type: ignore[arg-type]
    with pytest.raises(mistral_async.InvalidParameterError, match="server_url"):
        AsyncMistral(api_key="k", server_url="ftp://x")


async def test_api_key_callables_are_read_per_request(fake_mistral: FakeMistral) -> None:
    calls = 0

    def key() -> str:
        nonlocal calls
        calls += 1
        return fake_mistral.api_key

    async def async_key() -> str:
        return fake_mistral.api_key

    async with AsyncMistral(api_key=key, server_url=fake_mistral.url) as client:
        await client.models.list()
        await client.models.list()
    assert calls == 2
    async with AsyncMistral(api_key=async_key, server_url=fake_mistral.url) as client:
        assert (await client.models.list()).data


async def test_per_call_options(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral, default_headers={"X-App": "demo"}) as client:
        await client.chat.complete(
            model="m",
            messages=HI,
            extra_headers={"X-Trace": "t1"},
            extra_query={"debug": "1"},
            extra_body={"safe_prompt": True},
            timeout=30,
        )
        sent = fake_mistral.last_request
        assert sent.headers["x-app"] == "demo"
        assert sent.headers["x-trace"] == "t1"
        assert sent.query == {"debug": "1"}
        assert sent.json["safe_prompt"] is True
        with pytest.raises(mistral_async.AuthenticationError):
            await client.models.list(api_key="another-key")
        assert fake_mistral.last_request.headers["authorization"] == "Bearer another-key"


async def test_unknown_keyword_arguments_are_refused(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(TypeError, match="temprature"):
            await client.chat.complete(model="m", messages=HI, temprature=0.5)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="colour"):
            client.chat.stream(model="m", messages=HI, colour="red")  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="model"):
            await client.chat.complete(messages=HI)  # type: ignore[call-arg]
    assert fake_mistral.requests == []


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"temperature": 2}, "temperature"),
        ({"temperature": "hot"}, "temperature"),
        ({"top_p": 0}, "top_p"),
        ({"max_tokens": 1.5}, "max_tokens"),
        ({"n": 0}, "n"),
        ({"presence_penalty": 3}, "presence_penalty"),
        ({"random_seed": -1}, "random_seed"),
        ({"messages": "hi"}, "messages"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "bot", "content": "x"}]}, "messages[0].role"),
        ({"tool_choice": "sometimes"}, "tool_choice"),
        ({"model": ""}, "model"),
    ],
)
async def test_bad_values_fail_before_sending(
    fake_mistral: FakeMistral, kwargs: dict[str, object], param: str
) -> None:
    arguments: dict[str, object] = {"model": "m", "messages": HI, **kwargs}
    async with client_for(fake_mistral) as client:
        with pytest.raises(mistral_async.InvalidParameterError) as caught:
            await client.chat.complete(**arguments)  # type: ignore[arg-type]
    assert caught.value.param == param
    assert str(caught.value).startswith(param)
    assert fake_mistral.requests == []


async def test_with_options_shares_the_pool(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral, max_retries=2) as client:
        other = client.with_options(max_retries=0, default_headers={"X-Copy": "1"})
        assert other.max_retries == 0 and client.max_retries == 2
        await client.models.list()
        await other.models.list()
        assert other._core is client._core
        assert fake_mistral.last_request.headers["x-copy"] == "1"
        assert fake_mistral.total_connections == 1  # the copy reused the connection


async def test_raw_response(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        raw = await client.with_raw_response.chat.complete(model="m", messages=HI)
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("application/json")
    assert raw.request_id == raw.headers["x-request-id"]
    window = raw.rate_limit["tokens-minute"]
    assert window.limit and window.remaining is not None and window.remaining < window.limit
    assert raw.parse().choices[0].message.content
    assert raw.parse() is raw.parse()


async def test_unknown_fields_are_kept(fake_mistral: FakeMistral) -> None:
    from mistral_async._converter import structure
    from mistral_async.types import ChatCompletionResponse

    data = {
        "id": "x",
        "brand_new": {"a": 1},
        "choices": [
            {
                "index": 0,
                "finish_reason": "a_new_reason",
                "message": {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": [{"type": "text", "text": "hmm"}]},
                        {"type": "text", "text": "Hi"},
                        {"type": "hologram", "x": 1},
                    ],
                },
            }
        ],
    }
    parsed = structure(data, ChatCompletionResponse)
    assert parsed.brand_new == {"a": 1}
    assert parsed.extra_fields == {"brand_new": {"a": 1}}
    assert parsed.choices[0].finish_reason == "a_new_reason"
    assert parsed.choices[0].message.text == "Hi"
    assert parsed.choices[0].message.content[2] == {"type": "hologram", "x": 1}  # type: ignore[index]
    assert parsed.to_dict()["brand_new"] == {"a": 1}


async def test_timeouts_are_validated() -> None:
    with pytest.raises(ValueError, match="connect"):
        Timeout(connect=-1)
    assert Timeout.coerce(5).total == 5
    assert Timeout.coerce(None).total is None


async def test_the_key_never_shows(
    fake_mistral: FakeMistral, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "sk-super-secret-0123456789"
    fake_mistral.fail_next(3, status=503)
    client = AsyncMistral(api_key=secret, server_url=fake_mistral.url, max_retries=1)
    texts = [repr(client), repr(client.chat), repr(client._config)]
    with pytest.raises(mistral_async.APIStatusError) as caught:
        await client.chat.complete(model="m", messages=HI)
    with pytest.raises(mistral_async.APIConnectionError) as refused:
        await client.with_options(server_url="http://127.0.0.1:1").models.list()
    stream = client.chat.stream(model="m", messages=HI)
    texts += [repr(stream), str(caught.value), repr(caught.value), str(refused.value)]
    texts += [repr(caught.value.args), repr(caught.value.__dict__)]
    texts += [r.getMessage() for r in caplog.records]
    await client.aclose()
    for text in texts:
        assert secret not in text
    assert all(secret not in r.path for r in fake_mistral.requests)


async def test_your_own_session_is_used_and_left_open(fake_mistral: FakeMistral) -> None:
    import aiohttp

    async with aiohttp.ClientSession(headers={"X-Mine": "1"}) as session:
        client = AsyncMistral(
            api_key=fake_mistral.api_key, server_url=fake_mistral.url, http_session=session
        )
        async with client:
            assert (await client.models.list()).data
        assert fake_mistral.last_request.headers["x-mine"] == "1"
        assert not session.closed  # the client never closes a session it did not create
        async with session.get(f"{fake_mistral.url}/v1/models") as resp:
            assert resp.status == 401  # still usable (no key: the fake server refuses)

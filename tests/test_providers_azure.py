"""``AsyncMistralAzure`` / ``MistralAzure`` against the fake server's Azure shapes, over real HTTP.

Azure host names (``*.services.ai.azure.com``, ``*.models.ai.azure.com``) are resolved to
the loopback fake by the resolver of the ``http_session`` the tests pass, so the family is
told from the real host shape and the user's own session is exercised at the same time.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

import mistral_async
from mistral_async import (
    AsyncMistralAzure,
    AuthenticationError,
    EndpointNotFoundError,
    InvalidParameterError,
    MistralAzure,
    NotFoundError,
    RateLimitError,
)
from mistral_async.providers.azure import DEFAULT_AZURE_API_VERSION, parse_endpoint
from mistral_async.testing import (
    AZURE_SERVERLESS_PREFIX,
    DEFAULT_AZURE_API_KEY,
    DEFAULT_AZURE_TOKEN,
    CloudAuth,
    FakeMistral,
)

pytestmark = pytest.mark.anyio

HI = [{"role": "user", "content": "Hi"}]
DOC = {"type": "document_url", "document_url": "https://example.com/paper.pdf"}
KEY = DEFAULT_AZURE_API_KEY


class LoopbackResolver(AbstractResolver):
    """Resolves every host name to 127.0.0.1 (aiohttp's public resolver interface)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        pass


@pytest.fixture
async def loopback_session() -> AsyncIterator[aiohttp.ClientSession]:
    """The user's own session: any host name leads to this machine."""
    connector = aiohttp.TCPConnector(resolver=LoopbackResolver())
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session


def azure_for(fake: FakeMistral, **kwargs: Any) -> AsyncMistralAzure:
    kwargs.setdefault("api_key", KEY)
    kwargs.setdefault("endpoint", fake.url)
    kwargs.setdefault("api_family", "foundry")
    return AsyncMistralAzure(**kwargs)


FOUNDRY = ("/models/chat/completions", "/providers/mistral/azure/ocr")
SERVERLESS = (
    f"{AZURE_SERVERLESS_PREFIX}/v1/chat/completions",
    f"{AZURE_SERVERLESS_PREFIX}/v1/ocr",
)


@pytest.mark.parametrize(
    ("endpoint", "family", "paths"),
    [
        ("http://my-res.services.ai.azure.com:{port}", "foundry", FOUNDRY),
        ("http://my-res.services.ai.azure.com:{port}/", "foundry", FOUNDRY),
        ("http://my-res.services.ai.azure.com:{port}/models", "foundry", FOUNDRY),
        ("http://my-res.services.ai.azure.com:{port}/models/chat/completions", "foundry", FOUNDRY),
        (
            "http://my-res.services.ai.azure.com:{port}/models/chat/completions"
            "?api-version=2024-05-01-preview",
            "foundry",
            FOUNDRY,
        ),
        (
            "http://my-res.services.ai.azure.com:{port}/providers/mistral/azure/ocr",
            "foundry",
            FOUNDRY,
        ),
        ("http://my-res.cognitiveservices.azure.com:{port}", "foundry", FOUNDRY),
        ("http://my-res.openai.azure.com:{port}/models/", "foundry", FOUNDRY),
        (
            "http://dep.eastus2.models.ai.azure.com:{port}/azure-serverless",
            "serverless",
            SERVERLESS,
        ),
        (
            "http://dep.eastus2.models.ai.azure.com:{port}/azure-serverless/v1",
            "serverless",
            SERVERLESS,
        ),
        (
            "http://dep.eastus2.models.ai.azure.com:{port}/azure-serverless/v1/chat/completions",
            "serverless",
            SERVERLESS,
        ),
        (
            "http://dep.eastus2.models.ai.azure.com:{port}/azure-serverless/v1/ocr",
            "serverless",
            SERVERLESS,
        ),
        (
            "http://dep.eastus2.models.ai.azure.com:{port}/azure-serverless/v1/ocr/",
            "serverless",
            SERVERLESS,
        ),
    ],
)
async def test_url_families_and_pasted_target_uris_land_on_the_right_paths(
    fake_mistral: FakeMistral,
    loopback_session: aiohttp.ClientSession,
    endpoint: str,
    family: str,
    paths: tuple[str, str],
) -> None:
    url = endpoint.format(port=fake_mistral.port)
    async with AsyncMistralAzure(endpoint=url, api_key=KEY, http_session=loopback_session) as az:
        assert az.api_family == family
        reply = await az.chat.complete(model="mistral-medium-2505", messages=HI)
        assert reply.choices[0].message.text
        chat = fake_mistral.last_request
        await az.ocr.process(model="mistral-ocr-2505", document=DOC)
        ocr = fake_mistral.last_request
    assert (chat.path, ocr.path) == paths
    for request in (chat, ocr):
        assert request.query == {"api-version": DEFAULT_AZURE_API_VERSION}
        if family == "foundry":
            assert request.headers["api-key"] == KEY
            assert "authorization" not in request.headers
        else:
            assert request.headers["authorization"] == f"Bearer {KEY}"
            assert "api-key" not in request.headers
    assert not loopback_session.closed  # the user's session is theirs to close


async def test_api_version_is_sent_with_the_users_session_and_extra_query(
    fake_mistral: FakeMistral, loopback_session: aiohttp.ClientSession
) -> None:
    async with azure_for(
        fake_mistral, api_version="2025-04-01", http_session=loopback_session
    ) as az:
        await az.chat.complete(model="m", messages=HI, extra_query={"trace": "on"})
        assert fake_mistral.last_request.query == {"api-version": "2025-04-01", "trace": "on"}
        async with az.chat.stream(model="m", messages=HI) as stream:
            chunks = [chunk async for chunk in stream]
        assert chunks and fake_mistral.last_request.query == {"api-version": "2025-04-01"}
        assert fake_mistral.last_request.path == "/models/chat/completions"


async def test_a_version_in_the_target_uri_is_used(fake_mistral: FakeMistral) -> None:
    endpoint = f"{fake_mistral.url}/models/chat/completions?api-version=2024-10-01"
    async with azure_for(fake_mistral, endpoint=endpoint) as az:
        assert az.api_version == "2024-10-01"
        await az.chat.complete(model="m", messages=HI)
    assert fake_mistral.last_request.query == {"api-version": "2024-10-01"}


def test_endpoint_parsing() -> None:
    base, family, version = parse_endpoint(
        "https://r.services.ai.azure.com/models/chat/completions?api-version=v1", None
    )
    assert (base, family, version) == ("https://r.services.ai.azure.com", "foundry", "v1")
    assert parse_endpoint("https://d.swedencentral.models.ai.azure.com/v1/ocr", None)[:2] == (
        "https://d.swedencentral.models.ai.azure.com",
        "serverless",
    )
    # No /ocr/ocr: the operation is stripped, whatever the family.
    assert parse_endpoint("https://gw.example.com/proxy/v1/ocr", None)[:2] == (
        "https://gw.example.com/proxy",
        "serverless",
    )
    assert parse_endpoint("https://gw.example.com/proxy/models", None)[1] == "foundry"
    # The explicit family wins over the host.
    assert parse_endpoint("https://r.services.ai.azure.com", "serverless")[1] == "serverless"


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"endpoint": "https://gw.example.com"}, "api_family"),
        ({"endpoint": "ftp://r.services.ai.azure.com"}, "endpoint"),
        ({"endpoint": "https://user:pw@r.services.ai.azure.com"}, "endpoint"),
        ({"endpoint": "https://r.services.ai.azure.com/?foo=1"}, "endpoint"),
        ({"endpoint": "https://r.services.ai.azure.com", "api_family": "classic"}, "api_family"),
        ({"endpoint": "https://r.services.ai.azure.com", "api_version": "a b"}, "api_version"),
        (
            {
                "endpoint": "https://r.services.ai.azure.com/models?api-version=1",
                "api_version": "2",
            },
            "api_version",
        ),
        (
            {"endpoint": "https://r.services.ai.azure.com", "azure_ad_token_provider": lambda: "t"},
            "azure_ad_token_provider",
        ),
        (
            {
                "endpoint": "https://r.services.ai.azure.com",
                "api_key": None,
                "azure_ad_token_provider": "not callable",
            },
            "azure_ad_token_provider",
        ),
    ],
)
def test_bad_configuration_is_refused_before_any_request(
    kwargs: dict[str, Any], param: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AZURE_API_KEY", raising=False)
    kwargs.setdefault("api_key", "secret-key-123")
    with pytest.raises(InvalidParameterError) as caught:
        AsyncMistralAzure(**kwargs)
    assert caught.value.param == param
    assert "secret-key-123" not in str(caught.value)


def test_missing_endpoint_and_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_ENDPOINT", raising=False)
    monkeypatch.delenv("AZURE_API_KEY", raising=False)
    with pytest.raises(InvalidParameterError, match="AZURE_ENDPOINT"):
        AsyncMistralAzure(api_key="k")
    with pytest.raises(InvalidParameterError, match="AZURE_API_KEY"):
        AsyncMistralAzure(endpoint="https://r.services.ai.azure.com")


async def test_endpoint_and_key_from_the_environment(
    fake_mistral: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_ENDPOINT", f"{fake_mistral.url}/models")
    monkeypatch.setenv("AZURE_API_KEY", KEY)
    async with AsyncMistralAzure() as az:
        assert az.api_family == "foundry"
        await az.chat.complete(model="m", messages=HI)
    assert fake_mistral.last_request.headers["api-key"] == KEY


@pytest.mark.parametrize("family", ["foundry", "serverless"])
async def test_entra_id_token_providers_sync_and_async(
    fake_mistral: FakeMistral, family: str
) -> None:
    calls: list[str] = []

    def sync_provider() -> str:
        calls.append("sync")
        return DEFAULT_AZURE_TOKEN

    async def async_provider() -> str:
        calls.append("async")
        return "rotated-token"

    fake_mistral.state(CloudAuth).azure_tokens.add("rotated-token")
    prefix = AZURE_SERVERLESS_PREFIX if family == "serverless" else ""
    for provider, token in (
        (sync_provider, DEFAULT_AZURE_TOKEN),
        (async_provider, "rotated-token"),
    ):
        async with AsyncMistralAzure(
            endpoint=fake_mistral.url + prefix,
            api_family=family,  # type: ignore[arg-type]
            azure_ad_token_provider=provider,
        ) as az:
            await az.chat.complete(model="m", messages=HI)
            await az.ocr.process(model="mistral-ocr-2505", document=DOC)
            request = fake_mistral.last_request
            assert request.headers["authorization"] == f"Bearer {token}"
            assert "api-key" not in request.headers
            assert request.query == {"api-version": DEFAULT_AZURE_API_VERSION}
            assert token not in repr(az)
    assert calls == ["sync", "sync", "async", "async"]  # called per request


async def test_a_wrong_key_is_a_typed_401(fake_mistral: FakeMistral) -> None:
    async with azure_for(fake_mistral, api_key="wrong-secret-key") as az:
        with pytest.raises(AuthenticationError) as caught:
            await az.chat.complete(model="m", messages=HI)
    assert "wrong-secret-key" not in str(caught.value) + repr(caught.value)


async def test_retries_rate_limits_and_streams(
    fake_mistral: FakeMistral, fast_retries: None
) -> None:
    async with azure_for(fake_mistral) as az:
        fake_mistral.fail_next(2, status=503)
        reply = await az.chat.complete(model="m", messages=HI)
        assert reply.choices[0].message.text
        assert [r.path for r in fake_mistral.requests][-3:] == ["/models/chat/completions"] * 3
        fake_mistral.fail_next(status=429, headers={"Retry-After": "0"})
        with pytest.raises(RateLimitError):
            await az.chat.complete(model="m", messages=HI, max_retries=0)
        fake_mistral.fail_next(status=503)
        async with az.chat.stream(model="m", messages=HI, temperature=0.2) as stream:
            text = "".join([chunk.choices[0].delta.text async for chunk in stream])
            final = await stream.get_final_completion()
        assert text and final.choices[0].message.text == text
        assert fake_mistral.last_request.json["stream"] is True
    await fake_mistral.wait_for_open_connections(0)


async def test_raw_responses_and_per_call_options(fake_mistral: FakeMistral) -> None:
    async with azure_for(fake_mistral) as az:
        raw = await az.with_raw_response.chat.complete(model="m", messages=HI)
        assert raw.status_code == 200 and raw.request_id
        assert raw.parse().choices[0].message.text
        await az.chat.complete(model="m", messages=HI, extra_headers={"x-trace": "1"})
        assert fake_mistral.last_request.headers["x-trace"] == "1"
        assert fake_mistral.last_request.headers["api-key"] == KEY
        copy = az.with_options(max_retries=0, default_headers={"x-team": "a"})
        await copy.ocr.process(model="mistral-ocr-2505", document=DOC)
        assert fake_mistral.last_request.headers["x-team"] == "a"
        assert fake_mistral.last_request.query == {"api-version": DEFAULT_AZURE_API_VERSION}
        with pytest.raises(InvalidParameterError, match="server_url"):
            az.with_options(server_url="https://elsewhere.services.ai.azure.com")


@pytest.fixture
async def azure_404() -> AsyncIterator[tuple[str, list[web.BaseRequest]]]:
    """An aiohttp server answering every request as Azure does a wrong path: 404."""
    seen: list[web.BaseRequest] = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        seen.append(request)
        await request.read()
        body = {"error": {"code": "404", "message": "Resource not found"}}
        return web.json_response(body, status=404)

    server = web.Server(handler)
    runner = web.ServerRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def test_a_404_names_the_url_tried_and_no_secret(
    azure_404: tuple[str, list[web.BaseRequest]],
) -> None:
    url, seen = azure_404
    async with AsyncMistralAzure(
        endpoint=f"{url}/wrong-place/models", api_key=KEY, max_retries=0
    ) as az:
        with pytest.raises(EndpointNotFoundError) as caught:
            await az.chat.complete(model="m", messages=HI)
        error = caught.value
        assert isinstance(error, NotFoundError) and error.status_code == 404
        expected = (
            f"{url}/wrong-place/models/chat/completions?api-version={DEFAULT_AZURE_API_VERSION}"
        )
        assert error.url == expected and error.method == "POST"
        assert expected in str(error) and "foundry" in str(error)
        assert "Resource not found" in str(error)
        assert KEY not in str(error) + repr(error) + repr(error.__cause__)
        assert seen[-1].headers["api-key"] == KEY
        # Streams too.
        with pytest.raises(EndpointNotFoundError, match="wrong-place"):
            async with az.chat.stream(model="m", messages=HI) as stream:
                async for _ in stream:
                    pass
        # request() reaches other paths of the endpoint, /v1/... becoming /models/...
        with pytest.raises(EndpointNotFoundError) as other:
            await az.request("POST", "/v1/embeddings", body={"model": "e", "input": ["x"]})
        assert other.value.url == (
            f"{url}/wrong-place/models/embeddings?api-version={DEFAULT_AZURE_API_VERSION}"
        )
        assert seen[-1].path == "/wrong-place/models/embeddings"


async def test_keys_stay_out_of_reprs_and_urls(fake_mistral: FakeMistral) -> None:
    async with azure_for(fake_mistral, api_key=KEY) as az:
        await az.chat.complete(model="m", messages=HI)
        text = repr(az) + repr(az.chat) + repr(az._config)
        assert KEY not in text
        assert KEY not in fake_mistral.last_request.path
        assert KEY not in str(fake_mistral.last_request.query)


def test_only_the_operations_azure_serves_exist() -> None:
    az = AsyncMistralAzure(endpoint="https://r.services.ai.azure.com", api_key="k")
    for absent in ("embeddings", "models", "files", "fim", "agents", "beta", "batch"):
        assert not hasattr(az, absent), absent
    assert type(az.chat) is type(mistral_async.AsyncMistral(api_key="k").chat)
    assert not hasattr(MistralAzure, "fim") and not hasattr(MistralAzure, "embeddings")


def test_the_blocking_twin(fake_mistral: FakeMistral) -> None:
    with MistralAzure(endpoint=fake_mistral.url, api_key=KEY, api_family="foundry") as az:
        assert repr(az).startswith("<MistralAzure base_url=")
        assert az.api_family == "foundry"
        reply = az.chat.complete(model="m", messages=HI)
        assert reply.choices[0].message.text
        with az.chat.stream(model="m", messages=HI) as stream:
            assert [chunk.choices[0].delta.text for chunk in stream]
        page = az.ocr.process(model="mistral-ocr-2505", document=DOC)
        assert page.pages
        assert fake_mistral.last_request.path == "/providers/mistral/azure/ocr"
        raw = az.with_raw_response.chat.complete(model="m", messages=HI)
        assert raw.status_code == 200
        assert az.with_options(max_retries=0).chat.complete(model="m", messages=HI).choices
    fake_mistral.wait_for_open_connections_sync(0)


async def test_the_fake_server_checks_the_provider_shapes(fake_mistral: FakeMistral) -> None:
    """The provider routes want what the real services want (plain aiohttp requests)."""
    body = {"model": "m", "messages": HI}
    url = fake_mistral.url
    vertex = f"{url}/v1/projects/p/locations/global/publishers/mistralai/models/m"
    cases: list[tuple[str, dict[str, str], dict[str, Any], int]] = [
        (f"{url}/models/chat/completions", {"api-key": KEY}, body, 400),  # no api-version
        (f"{url}/models/chat/completions?api-version=1", {}, body, 401),
        (f"{url}/models/chat/completions?api-version=1", {"api-key": "nope"}, body, 401),
        (f"{url}/models/chat/completions?api-version=1", {"api-key": KEY}, body, 200),
        (
            f"{url}{AZURE_SERVERLESS_PREFIX}/v1/chat/completions?api-version=1",
            {"Authorization": f"Bearer {DEFAULT_AZURE_TOKEN}"},
            body,
            200,
        ),
        (f"{vertex}:rawPredict", {"Authorization": f"Bearer {KEY}"}, body, 401),
        (f"{vertex}:rawPredict", {"Authorization": "Bearer fake-gcp-token"}, body, 200),
        (f"{vertex}:predict", {"Authorization": "Bearer fake-gcp-token"}, body, 404),
        (
            f"{vertex}:rawPredict",
            {"Authorization": "Bearer fake-gcp-token"},
            {**body, "stream": True},
            400,
        ),
        (
            f"{vertex}:rawPredict",
            {"Authorization": "Bearer fake-gcp-token"},
            {**body, "model": "other"},
            400,
        ),
    ]
    async with aiohttp.ClientSession() as session:
        for target, headers, payload, status in cases:
            async with session.post(target, json=payload, headers=headers) as resp:
                assert resp.status == status, (target, headers, await resp.text())

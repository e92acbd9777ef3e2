"""``AsyncMistralGCP`` / ``MistralGCP`` and Google tokens, against the fake server's Vertex shapes.

Credentials are real ``google.auth.credentials.Credentials`` subclasses whose ``refresh``
sleeps in its thread and sets a token and an expiry: no network, no mocks of aiohttp.
"""

from __future__ import annotations

import asyncio
import datetime
import itertools
import subprocess
import sys
import threading
import time
from typing import Any

# google-auth is a test dependency (the gcp extra): these imports fail loudly without it.
import google.auth as google_auth
import pytest
from google.auth import credentials as ga_credentials
from google.auth import exceptions as ga_exceptions

from mistral_async import (
    AsyncMistralGCP,
    AuthenticationError,
    CredentialsError,
    EndpointNotFoundError,
    InvalidParameterError,
    MistralGCP,
)
from mistral_async.providers.gcp import GoogleTokenSource, vertex_base_url
from mistral_async.testing import DEFAULT_GCP_TOKEN, CloudAuth, FakeMistral

CredentialsBase: Any = ga_credentials.Credentials

pytestmark = pytest.mark.anyio

HI = [{"role": "user", "content": "Hi"}]
DOC = {"type": "document_url", "document_url": "https://example.com/paper.pdf"}
PROJECT = "my-project-123"
PREFIX = f"/v1/projects/{PROJECT}/locations/europe-west4/publishers/mistralai/models"


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class SlowCredentials(CredentialsBase):  # type: ignore[misc]
    """Credentials whose refresh takes ``delay`` seconds (sleeping in its thread) and gives
    ``fake-gcp-token-<n>`` valid for ``lifetime`` seconds."""

    def __init__(
        self, *, delay: float = 0.0, lifetime: float = 3600.0, project_id: str | None = None
    ) -> None:
        super().__init__()
        self.delay = delay
        self.lifetime = lifetime
        self.project_id = project_id
        self.count = 0
        self.threads: list[threading.Thread] = []
        self.fail_with: Exception | None = None

    def refresh(self, request: Any) -> None:
        self.threads.append(threading.current_thread())
        time.sleep(self.delay)
        if self.fail_with is not None:
            raise self.fail_with
        self.count += 1
        self.token = f"{DEFAULT_GCP_TOKEN}-{self.count}"
        self.expiry = utcnow() + datetime.timedelta(seconds=self.lifetime)


@pytest.fixture
def fake(fake_mistral: FakeMistral) -> FakeMistral:
    """The fake server, accepting the tokens SlowCredentials hands out."""
    fake_mistral.state(CloudAuth).gcp_tokens.update(f"{DEFAULT_GCP_TOKEN}-{n}" for n in range(9))
    return fake_mistral


def gcp_for(fake: FakeMistral, **kwargs: Any) -> AsyncMistralGCP:
    kwargs.setdefault("project_id", PROJECT)
    kwargs.setdefault("region", "europe-west4")
    if "credentials" not in kwargs:
        kwargs.setdefault("access_token", DEFAULT_GCP_TOKEN)
    return AsyncMistralGCP(server_url=fake.url, **kwargs)


# -- URLs ------------------------------------------------------------------------------------


def test_hosts_per_region() -> None:
    assert vertex_base_url("europe-west4") == "https://europe-west4-aiplatform.googleapis.com"
    assert vertex_base_url("global") == "https://aiplatform.googleapis.com"
    client = AsyncMistralGCP(project_id=PROJECT, region="us-central1", access_token="t")
    assert client.base_url == "https://us-central1-aiplatform.googleapis.com"
    client = AsyncMistralGCP(project_id=PROJECT, region="global", access_token="t")
    assert client.base_url == "https://aiplatform.googleapis.com"


@pytest.mark.parametrize("region", ["europe-west4", "us-central1", "global"])
async def test_every_operation_goes_to_the_models_raw_predict(
    fake: FakeMistral, region: str
) -> None:
    prefix = f"/v1/projects/{PROJECT}/locations/{region}/publishers/mistralai/models"
    async with gcp_for(fake, region=region) as gcp:
        reply = await gcp.chat.complete(model="mistral-small-2503", messages=HI)
        assert reply.choices[0].message.text
        assert fake.last_request.path == f"{prefix}/mistral-small-2503:rawPredict"
        fim = await gcp.fim.complete(model="codestral-2501", prompt="def fib(n):")
        assert fim.choices[0].message.text
        assert fake.last_request.path == f"{prefix}/codestral-2501:rawPredict"
        ocr = await gcp.ocr.process(model="mistral-ocr-2505", document=DOC)
        assert ocr.pages
        assert fake.last_request.path == f"{prefix}/mistral-ocr-2505:rawPredict"
        async with gcp.chat.stream(model="mistral-small-2503", messages=HI) as stream:
            assert [chunk async for chunk in stream]
        assert fake.last_request.path == f"{prefix}/mistral-small-2503:streamRawPredict"
        async with gcp.fim.stream(model="codestral-2501", prompt="x = ") as fim_stream:
            assert [chunk async for chunk in fim_stream]
        assert fake.last_request.path == f"{prefix}/codestral-2501:streamRawPredict"
        assert fake.last_request.headers["authorization"] == f"Bearer {DEFAULT_GCP_TOKEN}"
        assert fake.last_request.query == {}


async def test_the_model_is_encoded_so_it_cannot_change_the_route(fake: FakeMistral) -> None:
    async with gcp_for(fake) as gcp:
        model = "../x/y:streamRawPredict?a=1#f"
        await gcp.chat.complete(model=model, messages=HI)
    assert fake.last_request.path == (
        f"{PREFIX}/..%2Fx%2Fy%3AstreamRawPredict%3Fa%3D1%23f:rawPredict"
    )
    assert fake.last_request.query == {}
    assert fake.last_request.json["model"] == model


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"region": "Europe West", "access_token": "t"}, "region"),
        ({"region": "europe-west4/../x", "access_token": "t"}, "region"),
        ({"region": None, "access_token": "t"}, "region"),
        ({"project_id": "My Project", "access_token": "t"}, "project_id"),
        ({"project_id": None, "access_token": "t"}, "project_id"),
        ({"credentials": object()}, "credentials"),
        ({"access_token": "t", "credentials": object()}, "credentials"),
    ],
)
def test_bad_configuration_is_refused_before_any_request(
    fake_mistral: FakeMistral,
    monkeypatch: pytest.MonkeyPatch,
    kwargs: dict[str, Any],
    param: str,
) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.delenv("GOOGLE_CLOUD_REGION", raising=False)
    kwargs = {"project_id": PROJECT, "region": "europe-west4", **kwargs}
    with pytest.raises(InvalidParameterError) as caught:
        AsyncMistralGCP(server_url=fake_mistral.url, **kwargs)
    assert caught.value.param == param
    assert fake_mistral.requests == []


def test_project_and_region_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    monkeypatch.setenv("GOOGLE_CLOUD_REGION", "us-east5")
    client = AsyncMistralGCP(access_token="t")
    assert (client.project_id, client.region) == ("env-project", "us-east5")
    assert client.base_url == "https://us-east5-aiplatform.googleapis.com"


async def test_operations_vertex_does_not_serve_are_absent_or_refused(fake: FakeMistral) -> None:
    async with gcp_for(fake) as gcp:
        for absent in ("embeddings", "models", "files", "agents", "beta", "batch"):
            assert not hasattr(gcp, absent), absent
        with pytest.raises(InvalidParameterError, match="rawPredict"):
            await gcp.request("GET", "/v1/models")
        with pytest.raises(InvalidParameterError, match="model"):
            await gcp.ocr.process(model=None, document=DOC)
    assert fake.requests == []


# -- access tokens ---------------------------------------------------------------------------


async def test_access_token_callables_sync_and_async(fake: FakeMistral) -> None:
    seen: list[str] = []

    def sync_token() -> str:
        seen.append("sync")
        return DEFAULT_GCP_TOKEN

    async def async_token() -> str:
        seen.append("async")
        return f"{DEFAULT_GCP_TOKEN}-7"

    for source, token in ((sync_token, DEFAULT_GCP_TOKEN), (async_token, f"{DEFAULT_GCP_TOKEN}-7")):
        async with gcp_for(fake, access_token=source) as gcp:
            await gcp.chat.complete(model="m", messages=HI)
            await gcp.fim.complete(model="codestral-2501", prompt="x")
        assert fake.last_request.headers["authorization"] == f"Bearer {token}"
    assert seen == ["sync", "sync", "async", "async"]


async def test_credentials_are_not_touched_by_the_constructor(fake: FakeMistral) -> None:
    creds = SlowCredentials(project_id="creds-project")
    gcp = AsyncMistralGCP(region="europe-west4", credentials=creds, server_url=fake.url)
    assert gcp.project_id == "creds-project"  # read from the credentials, not by a refresh
    assert creds.count == 0 and not creds.threads
    async with gcp:
        await gcp.chat.complete(model="m", messages=HI)
    assert creds.count == 1
    assert creds.threads[0] is not threading.main_thread()
    assert "/projects/creds-project/" in fake.last_request.path


async def test_the_token_is_renewed_ahead_of_expiry(fake: FakeMistral) -> None:
    creds = SlowCredentials(lifetime=3600)
    async with gcp_for(fake, credentials=creds) as gcp:
        await gcp.chat.complete(model="m", messages=HI)
        await gcp.chat.complete(model="m", messages=HI)
        assert creds.count == 1  # still valid for an hour: reused
        assert fake.last_request.headers["authorization"] == f"Bearer {DEFAULT_GCP_TOKEN}-1"
        # Four minutes left, less than the five-minute margin: renewed before it expires.
        creds.expiry = utcnow() + datetime.timedelta(minutes=4)
        await gcp.chat.complete(model="m", messages=HI)
        assert creds.count == 2
        assert fake.last_request.headers["authorization"] == f"Bearer {DEFAULT_GCP_TOKEN}-2"
        # A token that came back already close to expiry is renewed each time, never kept.
        creds.lifetime = 60
        creds.expiry = utcnow()
        await gcp.chat.complete(model="m", messages=HI)
        await gcp.chat.complete(model="m", messages=HI)
        assert creds.count == 4
    assert gcp.token_source is not None and gcp.token_source.refreshes == 4


async def test_one_refresh_for_a_hundred_concurrent_calls(fake: FakeMistral) -> None:
    creds = SlowCredentials(delay=0.2)
    async with gcp_for(fake, credentials=creds, connection_limit=20) as gcp:
        replies = await asyncio.gather(
            *(gcp.chat.complete(model="m", messages=HI) for _ in range(100))
        )
    assert len(replies) == 100 and all(r.choices for r in replies)
    assert creds.count == 1 and len(creds.threads) == 1
    tokens = {r.headers["authorization"] for r in fake.requests}
    assert tokens == {f"Bearer {DEFAULT_GCP_TOKEN}-1"}


async def test_a_slow_refresh_never_blocks_the_event_loop(fake: FakeMistral) -> None:
    creds = SlowCredentials(delay=0.5)
    ticks: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    async with gcp_for(fake, credentials=creds) as gcp:
        task = asyncio.create_task(ticker())
        started = time.monotonic()
        await gcp.chat.complete(model="m", messages=HI)
        elapsed = time.monotonic() - started
        done.set()
        await task
    assert elapsed >= 0.5  # the call did wait for the refresh...
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) >= 25  # ...while the ticker kept running
    assert max(gaps) < 0.2, max(gaps)


async def test_a_cancelled_caller_does_not_start_a_second_refresh(fake: FakeMistral) -> None:
    creds = SlowCredentials(delay=0.3)
    source = GoogleTokenSource(creds)
    first = asyncio.create_task(source())
    await asyncio.sleep(0.05)
    first.cancel()
    token = await source()
    assert token == f"{DEFAULT_GCP_TOKEN}-1" and creds.count == 1


async def test_refresh_failures_are_credentials_errors_and_are_retried_next_time(
    fake: FakeMistral,
) -> None:
    creds = SlowCredentials()
    creds.fail_with = ga_exceptions.RefreshError("invalid_grant: account disabled")
    async with gcp_for(fake, credentials=creds) as gcp:
        with pytest.raises(CredentialsError, match="invalid_grant"):
            await gcp.chat.complete(model="m", messages=HI)
        assert fake.requests == []  # nothing was sent without a token
        creds.fail_with = None
        await gcp.chat.complete(model="m", messages=HI)
    assert creds.count == 1


async def test_application_default_credentials(
    fake: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = SlowCredentials(delay=0.05)
    calls: list[tuple[str, ...]] = []

    def default(scopes: Any = None, **kwargs: Any) -> tuple[Any, str]:
        calls.append(tuple(scopes or ()))
        assert threading.current_thread() is not threading.main_thread()
        return creds, "adc-project"

    monkeypatch.setattr(google_auth, "default", default)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    gcp = AsyncMistralGCP(region="europe-west4", server_url=fake.url)
    assert calls == [] and gcp.project_id is None  # nothing loaded by the constructor
    async with gcp:
        # A stream first: its URL is made before the credentials name the project.
        async with gcp.chat.stream(model="mistral-small-2503", messages=HI) as stream:
            assert [chunk async for chunk in stream]
        assert fake.last_request.path == (
            "/v1/projects/adc-project/locations/europe-west4/publishers/mistralai/models/"
            "mistral-small-2503:streamRawPredict"
        )
        await gcp.fim.complete(model="codestral-2501", prompt="x")
        assert "/projects/adc-project/" in fake.last_request.path
    assert gcp.project_id == "adc-project"
    assert calls == [("https://www.googleapis.com/auth/cloud-platform",)]
    assert creds.count == 1


async def test_adc_without_a_project_or_credentials(
    fake: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.setattr(google_auth, "default", lambda scopes=None, **kw: (SlowCredentials(), None))
    async with AsyncMistralGCP(region="europe-west4", server_url=fake.url) as gcp:
        with pytest.raises(InvalidParameterError, match="project"):
            await gcp.chat.complete(model="m", messages=HI)

    def missing(scopes: Any = None, **kwargs: Any) -> Any:
        raise ga_exceptions.DefaultCredentialsError("Your default credentials were not found")

    monkeypatch.setattr(google_auth, "default", missing)
    async with AsyncMistralGCP(region="europe-west4", server_url=fake.url) as gcp:
        with pytest.raises(CredentialsError, match="default credentials were not found"):
            await gcp.chat.complete(model="m", messages=HI)
    assert fake.requests == []


def test_google_auth_is_imported_only_when_credentials_are_used() -> None:
    code = (
        "import sys\n"
        "from mistral_async import AsyncMistral\n"
        "assert not any('provider' in m for m in sys.modules), 'providers imported'\n"
        "from mistral_async import AsyncMistralGCP\n"
        "AsyncMistralGCP(project_id='p-123456', region='europe-west4')\n"
        "assert 'google.auth' not in sys.modules, 'google.auth imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)


# -- the shared machinery --------------------------------------------------------------------


async def test_retries_typed_errors_and_raw_responses(
    fake: FakeMistral, fast_retries: None
) -> None:
    async with gcp_for(fake) as gcp:
        fake.fail_next(2, status=503)
        assert (await gcp.chat.complete(model="m", messages=HI)).choices
        assert len(fake.requests) == 3
        fake.fail_next(status=503)
        async with gcp.fim.stream(model="codestral-2501", prompt="x") as stream:
            assert [chunk async for chunk in stream]
        raw = await gcp.with_raw_response.ocr.process(model="mistral-ocr-2505", document=DOC)
        assert raw.status_code == 200 and raw.parse().pages
        fake.fail_next(status=404)
        with pytest.raises(EndpointNotFoundError) as caught:
            await gcp.chat.complete(model="mistral-tiny", messages=HI)
        assert caught.value.url.endswith(f"{PREFIX}/mistral-tiny:rawPredict")
        assert "Model Garden" in str(caught.value)
    async with gcp_for(fake, access_token="not-a-known-token-secret") as gcp:
        with pytest.raises(AuthenticationError) as auth:
            await gcp.chat.complete(model="m", messages=HI)
        assert "not-a-known-token-secret" not in str(auth.value) + repr(gcp)
    await fake.wait_for_open_connections(0)


async def test_tokens_stay_out_of_reprs(fake: FakeMistral) -> None:
    creds = SlowCredentials()
    async with gcp_for(fake, credentials=creds) as gcp:
        await gcp.chat.complete(model="m", messages=HI)
        text = repr(gcp) + repr(gcp.token_source) + repr(gcp._config) + repr(gcp.chat)
    assert creds.token not in text and "fake-gcp-token" not in text


def test_the_blocking_twin(fake: FakeMistral) -> None:
    creds = SlowCredentials(delay=0.05)
    with MistralGCP(
        project_id=PROJECT, region="europe-west4", credentials=creds, server_url=fake.url
    ) as gcp:
        assert repr(gcp).startswith("<MistralGCP base_url=")
        assert gcp.chat.complete(model="m", messages=HI).choices
        assert list(gcp.fim.stream(model="codestral-2501", prompt="x"))
        assert fake.last_request.path == f"{PREFIX}/codestral-2501:streamRawPredict"
        assert gcp.ocr.process(model="mistral-ocr-2505", document=DOC).pages
        assert gcp.with_raw_response.chat.complete(model="m", messages=HI).status_code == 200
        assert gcp.project_id == PROJECT and gcp.region == "europe-west4"
    assert creds.count == 1
    fake.wait_for_open_connections_sync(0)

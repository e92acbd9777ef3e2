"""``client.request()``: any endpoint, with the SDK's auth, retries, timeouts and errors.

Ordinary calls go to the embedded fake API (:class:`~mistral_async.testing.FakeMistral`);
endpoints it does not have (a 204, a DELETE with a body, an echo of the query) to an
``aiohttp.web`` server on loopback that records each request as received.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web

from mistral_async import (
    APITimeoutError,
    AsyncMistral,
    BadRequestError,
    InternalServerError,
    InvalidParameterError,
    Mistral,
    NotFoundError,
    RawResponse,
    ResponseValidationError,
    UnprocessableEntityError,
)
from mistral_async.testing import FakeMistral
from mistral_async.types.models import ModelCard, ModelList

KEY = "sk-raw-request-KEY"

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


class Recorded:
    def __init__(self, request: web.BaseRequest, body: bytes) -> None:
        self.method = request.method
        self.path = request.raw_path.split("?", 1)[0]
        self.query = request.raw_path.split("?", 1)[1] if "?" in request.raw_path else ""
        self.headers = request.headers.copy()
        self.body = body


class Echo:
    """Records requests; answers 204 on ``/v1/empty``, a status given by ``?status=`` on
    ``/v1/status``, and otherwise echoes what it received as JSON."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.statuses: list[int] = []
        self.delay = 0.0
        self._runner: web.ServerRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        body = await request.read()
        seen = Recorded(request, body)
        self.requests.append(seen)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.statuses:
            status = self.statuses.pop(0)
            if status >= 400:
                detail: Any = {"message": f"status {status}", "type": "test"}
                if status == 422:
                    detail = {"detail": [{"loc": ["body", "x"], "msg": "bad x"}]}
                return web.json_response(detail, status=status, headers={"Retry-After": "0"})
        if request.path == "/v1/empty":
            return web.Response(status=204)
        if request.path == "/v1/shape":
            return web.json_response({"unexpected": True})
        return web.json_response(
            {
                "method": seen.method,
                "path": seen.path,
                "query": parse_qsl(seen.query, keep_blank_values=True),
                "json": json.loads(body) if body else None,
                "content_type": request.headers.get("Content-Type"),
                "x_trace": request.headers.get("X-Trace"),
                "authorization": request.headers.get("Authorization"),
            }
        )

    async def __aenter__(self) -> Echo:
        self._runner = web.ServerRunner(web.Server(self._handle, access_log=None))
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.fixture
async def echo() -> AsyncIterator[Echo]:
    async with Echo() as srv:
        yield srv


@pytest.fixture
async def client(echo: Echo) -> AsyncIterator[AsyncMistral]:
    c = AsyncMistral(api_key=KEY, server_url=echo.url, max_retries=0, timeout=5)
    yield c
    await c.aclose()


@pytest.fixture
async def fake() -> AsyncIterator[FakeMistral]:
    async with FakeMistral() as f:
        yield f


# -- against the fake API ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_get_returns_the_decoded_json(fake: FakeMistral) -> None:
    async with AsyncMistral(api_key=fake.api_key, server_url=fake.url) as client:
        listed = await client.request("GET", "/v1/models")
        typed = await client.models.list()
    assert isinstance(listed, dict)
    assert listed["object"] == "list"
    assert [m["id"] for m in listed["data"]] == [m.id for m in typed.data]
    assert fake.last_request.headers["authorization"] == f"Bearer {fake.api_key}"


@pytest.mark.anyio
async def test_cast_to_gives_the_sdk_type(fake: FakeMistral) -> None:
    async with AsyncMistral(api_key=fake.api_key, server_url=fake.url) as client:
        models = await client.request("GET", "/v1/models", cast_to=ModelList)
        card = await client.request("GET", "/v1/models/mistral-small-latest", cast_to=ModelCard)
    assert isinstance(models, ModelList)
    assert models.data and all(isinstance(m, ModelCard) for m in models.data)
    assert isinstance(card, ModelCard)
    assert card.id == "mistral-small-latest"


@pytest.mark.anyio
async def test_error_statuses_are_typed(fake: FakeMistral) -> None:
    async with AsyncMistral(api_key=fake.api_key, server_url=fake.url, max_retries=0) as client:
        with pytest.raises(NotFoundError) as info:
            await client.request("GET", "/v1/models/no-such-model")
        assert info.value.status_code == 404
        assert info.value.request_id
        with pytest.raises(NotFoundError):
            await client.request("DELETE", "/v1/models/ft:no-such-model")


@pytest.mark.anyio
async def test_raw_response(fake: FakeMistral) -> None:
    async with AsyncMistral(api_key=fake.api_key, server_url=fake.url) as client:
        raw = await client.with_raw_response.request("GET", "/v1/models", cast_to=ModelList)
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.request_id
    assert isinstance(raw.parse(), ModelList)
    assert json.loads(raw.content)["object"] == "list"


def test_blocking_request(fake_mistral: FakeMistral) -> None:
    """The blocking client's request() comes from the generated sync layer."""
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url, max_retries=0) as c:
        assert c.request("GET", "/v1/models")["object"] == "list"
        assert isinstance(c.request("GET", "/v1/models", cast_to=ModelList), ModelList)
        raw = c.with_raw_response.request("GET", "/v1/models")
        assert isinstance(raw, RawResponse) and raw.status_code == 200
        with pytest.raises(NotFoundError):
            c.request("GET", "/v1/models/no-such-model")
        with pytest.raises(InvalidParameterError):
            c.request("GET", "https://example.com/v1/models")
        assert c.with_options(max_retries=1).request("GET", "/v1/models")["object"] == "list"


def test_blocking_request_is_generated_not_written() -> None:
    from mistral_async._sync import _MistralBase

    assert "request" not in vars(_MistralBase)
    assert Mistral.request.__wrapped__ is AsyncMistral.request
    blocking = inspect.signature(Mistral.request).parameters
    assert blocking == inspect.signature(AsyncMistral.request).parameters


# -- bodies, methods, queries -------------------------------------------------------------------


@pytest.mark.anyio
async def test_post_delete_and_get_bodies(echo: Echo, client: AsyncMistral) -> None:
    posted = await client.request("POST", "/v1/things", body={"name": "a", "tags": ["x"]})
    assert posted["method"] == "POST"
    assert posted["json"] == {"name": "a", "tags": ["x"]}
    assert posted["content_type"] == "application/json"

    deleted = await client.request("delete", "/v1/things/batch", body={"ids": ["a", "b"]})
    assert deleted["method"] == "DELETE"
    assert deleted["json"] == {"ids": ["a", "b"]}
    assert deleted["content_type"] == "application/json"

    got = await client.request("GET", "/v1/things")
    assert (got["method"], got["json"], got["content_type"]) == ("GET", None, None)
    assert echo.requests[-1].body == b""

    listed = await client.request("PUT", "/v1/things/order", body=[3, 1, 2])
    assert listed["json"] == [3, 1, 2]
    assert got["authorization"] == f"Bearer {KEY}"


@pytest.mark.anyio
async def test_query_is_encoded_like_the_sdk(echo: Echo, client: AsyncMistral) -> None:
    result = await client.request(
        "GET",
        "/v1/search",
        query={"ids": ["a", "b"], "on": True, "off": False, "skip": None, "n": 3, "q": "x y&z"},
    )
    assert result["query"] == [
        ["ids", "a"],
        ["ids", "b"],
        ["on", "true"],
        ["off", "false"],
        ["n", "3"],
        ["q", "x y&z"],
    ]
    # A query in the path is kept, the query= pairs come after it.
    result = await client.request("GET", "/v1/search?page=2", query={"n": 1})
    assert result["query"] == [["page", "2"], ["n", "1"]]


@pytest.mark.anyio
async def test_no_content_is_none(echo: Echo, client: AsyncMistral) -> None:
    assert await client.request("DELETE", "/v1/empty") is None
    raw = await client.with_raw_response.request("DELETE", "/v1/empty")
    assert raw.status_code == 204
    assert raw.parse() is None


@pytest.mark.anyio
async def test_paths_are_sent_encoded(echo: Echo, client: AsyncMistral) -> None:
    await client.request("GET", "/v1/files/a%2Fb/content")
    await client.request("GET", "/v1/libraries/café")
    await client.request("GET", "/v1/models/ft:open-mistral:abc@x")
    assert [r.path for r in echo.requests] == [
        "/v1/files/a%2Fb/content",
        "/v1/libraries/caf%C3%A9",
        "/v1/models/ft:open-mistral:abc@x",
    ]


@pytest.mark.anyio
async def test_cast_to_mismatch_is_a_validation_error(echo: Echo, client: AsyncMistral) -> None:
    with pytest.raises(ResponseValidationError) as info:
        await client.request("GET", "/v1/shape", cast_to=ModelCard)
    assert info.value.status_code == 200
    assert json.loads(info.value.raw_body) == {"unexpected": True}


# -- errors, retries, per-call options ----------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "error"),
    [(400, BadRequestError), (422, UnprocessableEntityError), (500, InternalServerError)],
)
async def test_statuses_raise_typed_errors(
    echo: Echo, client: AsyncMistral, status: int, error: type[Exception]
) -> None:
    echo.statuses = [status]
    with pytest.raises(error) as info:
        await client.request("POST", "/v1/things", body={})
    assert info.value.status_code == status  # type: ignore[attr-defined]
    if status == 422:
        assert "x: bad x" in str(info.value)


@pytest.mark.anyio
@pytest.mark.usefixtures("fast_retries")
async def test_retries_and_per_call_options(echo: Echo, client: AsyncMistral) -> None:
    echo.statuses = [503, 502]
    result = await client.request("POST", "/v1/things", body={"a": 1}, max_retries=2)
    assert result["json"] == {"a": 1}
    assert len(echo.requests) == 3
    assert all(r.body == b'{"a":1}' for r in echo.requests)

    echo.statuses = [503]
    with pytest.raises(InternalServerError) as info:
        await client.request("GET", "/v1/things")  # the client's max_retries=0
    assert info.value.attempts == 1

    result = await client.request(
        "GET",
        "/v1/things",
        extra_headers={"X-Trace": "t-1"},
        extra_query={"debug": True},
        api_key="sk-per-call",
    )
    assert result["x_trace"] == "t-1"
    assert result["query"] == [["debug", "true"]]
    assert result["authorization"] == "Bearer sk-per-call"

    result = await client.request("POST", "/v1/things", body={"a": 1}, extra_body={"b": 2})
    assert result["json"] == {"a": 1, "b": 2}

    echo.delay = 1.0
    with pytest.raises(APITimeoutError):
        await client.request("GET", "/v1/slow", timeout=0.2)


@pytest.mark.anyio
async def test_admin_operation(echo: Echo) -> None:
    async with AsyncMistral(api_key=KEY, admin_api_key="sk-admin", server_url=echo.url) as c:
        result = await c.request("GET", "/v1/admin/users", auth="admin")
    assert result["authorization"] == "Bearer sk-admin"


# -- refused before anything is sent ------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    "path",
    [
        "https://evil.example/v1/models",
        "http://127.0.0.1:9/v1/models",
        "//evil.example/v1/models",
        "v1/models",
        "",
        "/v1/models\r\nX-Evil: 1",
        "/v1/models\nX-Evil: 1",
        "/v1/models\x00",
        "/v1/a b",
        "/v1/models#frag",
        42,
        None,
    ],
)
async def test_bad_paths_are_refused(echo: Echo, client: AsyncMistral, path: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        await client.request("GET", path)
    assert info.value.param == "path"
    assert echo.requests == []


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["", "GET /x", "G\r\nET", "PO ST", None])
async def test_bad_methods_are_refused(echo: Echo, client: AsyncMistral, method: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        await client.request(method, "/v1/models")
    assert info.value.param == "method"
    assert echo.requests == []


@pytest.mark.anyio
async def test_bad_bodies_and_options_are_refused(echo: Echo, client: AsyncMistral) -> None:
    with pytest.raises(InvalidParameterError) as info:
        await client.request("POST", "/v1/x", body={"a": object()})
    assert info.value.param == "body"
    with pytest.raises(InvalidParameterError) as info:
        await client.request("POST", "/v1/x", body=[1], extra_body={"b": 2})
    assert info.value.param == "extra_body"
    with pytest.raises(InvalidParameterError) as info:
        await client.request("GET", "/v1/x", query=[("a", 1)])  # type: ignore[call-overload]
    assert info.value.param == "query"
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        await client.request("GET", "/v1/x", bogus=1)  # type: ignore[call-overload]
    assert echo.requests == []

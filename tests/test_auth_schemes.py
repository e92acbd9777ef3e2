"""Auth schemes per operation, per-operation headers and Accept, GET streams, redirects.

Every test talks to real HTTP servers on loopback (``aiohttp.web``) that record each
request exactly as received, so the assertions are about the bytes on the wire: which
key went to which operation, in which header, and what followed a redirect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from mistral_async import (
    APIStreamError,
    AsyncMistral,
    AuthenticationError,
    InvalidParameterError,
    Mistral,
)
from mistral_async._session import AUTH_SCHEMES

KEY = "sk-ordinary-KEY-111"
ADMIN = "sk-admin-ADMIN-999"
SECRETS = (KEY, ADMIN)

# Headers every request has whatever its auth; the rest is what the auth scheme added.
TRANSPORT = {"host", "accept-encoding", "user-agent", "accept", "content-length", "content-type"}

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


class Seen:
    """One request as the server received it."""

    def __init__(self, request: web.BaseRequest, body: bytes) -> None:
        self.method = request.method
        self.path_qs = request.raw_path
        self.headers = list(request.headers.items())
        self.body = body

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def names(self) -> set[str]:
        return {k.lower() for k, _ in self.headers}


async def _ok(request: web.BaseRequest) -> web.StreamResponse:
    return web.json_response({"ok": True, "path": request.path})


class Loopback:
    """An ``aiohttp.web`` server on loopback recording every request (head and body)."""

    def __init__(self, handler: Handler = _ok, host: str = "127.0.0.1") -> None:
        self.handler = handler
        self.host = host
        self.requests: list[Seen] = []
        self._runner: web.ServerRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        self.requests.append(Seen(request, await request.read()))
        return await self.handler(request)

    async def __aenter__(self) -> Loopback:
        self._runner = web.ServerRunner(web.Server(self._handle, access_log=None))
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


@pytest.fixture
async def server() -> AsyncIterator[Loopback]:
    async with Loopback() as srv:
        yield srv


@pytest.fixture(autouse=True)
def _no_env_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    monkeypatch.delenv("MISTRAL_ADMIN_API_KEY", raising=False)


@pytest.fixture
async def clients() -> AsyncIterator[list[AsyncMistral]]:
    made: list[AsyncMistral] = []
    yield made
    for client in made:
        await client.aclose()


def make(clients: list[AsyncMistral], url: str, **kwargs: Any) -> AsyncMistral:
    kwargs.setdefault("max_retries", 0)
    client = AsyncMistral(server_url=url, **kwargs)
    clients.append(client)
    return client


def auth_headers(seen: Seen) -> dict[str, list[str]]:
    """The headers a request carried beyond the transport's own, with every value."""
    return {name: seen.all(name) for name in sorted(seen.names - TRANSPORT)}


def assert_no_secret_except(seen: Seen, allowed: str | None) -> None:
    for secret in SECRETS:
        if secret == allowed:
            continue
        assert all(secret not in value for _, value in seen.headers), seen.headers
        assert secret not in seen.path_qs
        assert secret.encode() not in seen.body


EXPECTED = {
    "bearer": ({"authorization": [f"Bearer {KEY}"]}, KEY),
    "admin": ({"authorization": [f"Bearer {ADMIN}"]}, ADMIN),
    "x-api-key": ({"x-api-key": [KEY]}, KEY),
}


# -- which key goes where ---------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("auth", sorted(AUTH_SCHEMES))
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_each_scheme_sends_exactly_its_key(
    server: Loopback, clients: list[AsyncMistral], auth: str, method: str
) -> None:
    """Bearer ops get only the ordinary key, admin ops only the admin key (as Bearer),
    x-api-key ops only the ordinary key in x-api-key and no Authorization at all."""
    client = make(clients, server.url, api_key=KEY, admin_api_key=ADMIN)
    body = {"a": 1} if method == "POST" else None
    result = await client.request(method, "/v1/op", body=body, auth=auth)  # type: ignore[call-overload]
    assert result == {"ok": True, "path": "/v1/op"}
    (seen,) = server.requests
    expected, allowed = EXPECTED[auth]
    assert auth_headers(seen) == expected
    assert_no_secret_except(seen, allowed)
    assert seen.header("Accept") == "application/json"
    assert seen.header("Content-Type") == ("application/json" if body else None)


@pytest.mark.anyio
@pytest.mark.parametrize("auth", sorted(AUTH_SCHEMES))
async def test_each_scheme_on_streams(clients: list[AsyncMistral], auth: str) -> None:
    """Streams send the same headers per scheme (and Accept: text/event-stream)."""

    async def events(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b'data: {"n": 1}\n\ndata: [DONE]\n\n')
        await resp.write_eof()
        return resp

    async with Loopback(events) as srv:
        client = make(clients, srv.url, api_key=KEY, admin_api_key=ADMIN)
        stream = client._core.stream(
            client._config, "POST", "/v1/events", lambda d: d, body={"x": 1}, auth=auth
        )
        async with stream:
            assert [e async for e in stream] == [{"n": 1}]
        (seen,) = srv.requests
        expected, allowed = EXPECTED[auth]
        assert auth_headers(seen) == expected
        assert_no_secret_except(seen, allowed)
        assert seen.header("Accept") == "text/event-stream"


@pytest.mark.anyio
async def test_key_functions_per_scheme(server: Loopback, clients: list[AsyncMistral]) -> None:
    """Key callables (plain and async) are called per request, each for its scheme."""
    calls: list[str] = []

    def ordinary() -> str:
        calls.append("ordinary")
        return KEY

    async def admin() -> str:
        calls.append("admin")
        return ADMIN

    client = make(clients, server.url, api_key=ordinary, admin_api_key=admin)
    await client.request("GET", "/v1/a", auth="admin")
    await client.request("GET", "/v1/b")
    await client.request("GET", "/v1/c", auth="x-api-key")
    assert calls == ["admin", "ordinary", "ordinary"]
    assert [auth_headers(s) for s in server.requests] == [
        {"authorization": [f"Bearer {ADMIN}"]},
        {"authorization": [f"Bearer {KEY}"]},
        {"x-api-key": [KEY]},
    ]


@pytest.mark.anyio
async def test_x_api_key_drops_an_authorization_default_header(
    server: Loopback, clients: list[AsyncMistral]
) -> None:
    """An Authorization in default_headers is not sent to an x-api-key operation."""
    client = make(clients, server.url, api_key=KEY, default_headers={"authorization": "Basic abc"})
    await client.request("GET", "/v1/x", auth="x-api-key")
    await client.request("GET", "/v1/y")
    assert auth_headers(server.requests[0]) == {"x-api-key": [KEY]}
    # A bearer operation replaces it (one Authorization header, whatever its case).
    assert auth_headers(server.requests[1]) == {"authorization": [f"Bearer {KEY}"]}


# -- missing keys -----------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["request", "stream"])
async def test_missing_admin_key_is_refused_before_sending(
    server: Loopback, clients: list[AsyncMistral], kind: str
) -> None:
    client = make(clients, server.url, api_key=KEY)
    with pytest.raises(InvalidParameterError) as info:
        if kind == "request":
            await client.request("GET", "/v1/admin/users", auth="admin")
        else:
            client._core.stream(client._config, "GET", "/v1/admin/x", lambda d: d, auth="admin")
    assert info.value.param == "admin_api_key"
    assert "admin_api_key=" in str(info.value)
    assert "MISTRAL_ADMIN_API_KEY" in str(info.value)
    assert KEY not in str(info.value)
    assert server.requests == []


@pytest.mark.anyio
async def test_admin_only_client(server: Loopback, clients: list[AsyncMistral]) -> None:
    """A client with only an admin key makes admin calls; ordinary ones name api_key."""
    client = make(clients, server.url, admin_api_key=ADMIN)
    await client.request("GET", "/v1/admin/users", auth="admin")
    for auth in ("bearer", "x-api-key"):
        with pytest.raises(InvalidParameterError) as info:
            await client.request("GET", "/v1/models", auth=auth)
        assert info.value.param == "api_key"
        assert ADMIN not in str(info.value)
    with pytest.raises(InvalidParameterError) as stream_info:
        client._core.stream(client._config, "POST", "/v1/chat", lambda d: d, body={})
    assert stream_info.value.param == "api_key"
    assert len(server.requests) == 1
    assert auth_headers(server.requests[0]) == {"authorization": [f"Bearer {ADMIN}"]}
    # A per-call ordinary key makes an ordinary call possible, and still not the admin key.
    await client.request("GET", "/v1/models", api_key="per-call")
    assert auth_headers(server.requests[1]) == {"authorization": ["Bearer per-call"]}


def test_no_key_at_all_is_refused() -> None:
    with pytest.raises(InvalidParameterError) as info:
        AsyncMistral(server_url="http://127.0.0.1:9")
    assert info.value.param == "api_key"
    assert "MISTRAL_API_KEY" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"api_key": KEY, "admin_api_key": ""}, "admin_api_key"),
        ({"api_key": KEY, "admin_api_key": "a\r\nX-Evil: 1"}, "admin_api_key"),
        ({"api_key": KEY, "admin_api_key": 42}, "admin_api_key"),
        ({"admin_api_key": ADMIN, "api_key": "k\nX: 1"}, "api_key"),
    ],
)
def test_bad_admin_key_is_refused_at_construction(kwargs: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        AsyncMistral(server_url="http://127.0.0.1:9", **kwargs)
    assert info.value.param == param


@pytest.mark.anyio
async def test_admin_key_function_returning_crlf_is_refused(
    server: Loopback, clients: list[AsyncMistral]
) -> None:
    client = make(clients, server.url, api_key=KEY, admin_api_key=lambda: "a\r\nX-Evil: 1")
    with pytest.raises(InvalidParameterError) as info:
        await client.request("GET", "/v1/admin/x", auth="admin")
    assert "admin_api_key" in info.value.param
    assert server.requests == []


# -- per call, with_options, environment ------------------------------------------------------


@pytest.mark.anyio
async def test_per_call_admin_key(server: Loopback, clients: list[AsyncMistral]) -> None:
    client = make(clients, server.url, api_key=KEY, admin_api_key=ADMIN)
    await client.request("GET", "/v1/admin/a", auth="admin", admin_api_key="sk-per-call")
    # Given to an ordinary operation, the admin key of the call is not sent.
    await client.request("GET", "/v1/models", admin_api_key="sk-per-call")
    # A per-call ordinary key does not reach an admin operation.
    await client.request("GET", "/v1/admin/b", auth="admin", api_key="sk-other")
    assert [auth_headers(s) for s in server.requests] == [
        {"authorization": ["Bearer sk-per-call"]},
        {"authorization": [f"Bearer {KEY}"]},
        {"authorization": [f"Bearer {ADMIN}"]},
    ]
    # A client without an admin key accepts one per call.
    bare = make(clients, server.url, api_key=KEY)
    await bare.request("GET", "/v1/admin/c", auth="admin", admin_api_key="sk-only-now")
    assert auth_headers(server.requests[-1]) == {"authorization": ["Bearer sk-only-now"]}
    with pytest.raises(InvalidParameterError):
        await bare.request("GET", "/v1/admin/c", auth="admin", admin_api_key="a\nb")
    assert len(server.requests) == 4


@pytest.mark.anyio
async def test_with_options_admin_key(server: Loopback, clients: list[AsyncMistral]) -> None:
    client = make(clients, server.url, api_key=KEY)
    admin = client.with_options(admin_api_key=ADMIN)
    await admin.request("GET", "/v1/admin/a", auth="admin")
    with pytest.raises(InvalidParameterError):
        await client.request("GET", "/v1/admin/a", auth="admin")  # the original has none
    other = admin.with_options(max_retries=1)  # keeps the admin key
    await other.request("GET", "/v1/admin/b", auth="admin", timeout=5)
    # A call whose options rebuild the settings keeps the admin key too.
    await admin.request("GET", "/v1/admin/c", auth="admin", max_retries=3)
    assert [auth_headers(s) for s in server.requests] == [
        {"authorization": [f"Bearer {ADMIN}"]}
    ] * 3
    with pytest.raises(InvalidParameterError):
        client.with_options(admin_api_key="x\r\ny")


@pytest.mark.anyio
async def test_admin_key_from_environment(
    server: Loopback, clients: list[AsyncMistral], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MISTRAL_ADMIN_API_KEY", ADMIN)
    client = make(clients, server.url)  # no key given at all: the admin key from the env
    await client.request("GET", "/v1/admin/a", auth="admin")
    with pytest.raises(InvalidParameterError) as info:
        await client.request("GET", "/v1/models")
    assert info.value.param == "api_key"
    monkeypatch.setenv("MISTRAL_API_KEY", KEY)
    both = make(clients, server.url)
    await both.request("GET", "/v1/models")
    explicit = make(clients, server.url, admin_api_key="sk-explicit")
    await explicit.request("GET", "/v1/admin/b", auth="admin")
    assert [auth_headers(s) for s in server.requests] == [
        {"authorization": [f"Bearer {ADMIN}"]},
        {"authorization": [f"Bearer {KEY}"]},
        {"authorization": ["Bearer sk-explicit"]},
    ]


def test_blocking_client_admin_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The blocking client takes admin_api_key too (same constructor, same request())."""

    async def serve(ready: asyncio.Future[str], stop: asyncio.Event, seen: list[Seen]) -> None:
        async with Loopback() as srv:
            srv.requests = seen
            ready.set_result(srv.url)
            await stop.wait()

    import threading

    seen: list[Seen] = []
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready: asyncio.Future[str] = loop.create_future()
    thread = threading.Thread(target=loop.run_until_complete, args=(serve(ready, stop, seen),))
    thread.start()
    try:
        url = asyncio.run_coroutine_threadsafe(asyncio.wait_for(_wait(ready), 5), loop).result()
        with Mistral(admin_api_key=ADMIN, server_url=url, max_retries=0) as client:
            assert client.request("GET", "/v1/admin/users", auth="admin") == {
                "ok": True,
                "path": "/v1/admin/users",
            }
            with pytest.raises(InvalidParameterError):
                client.request("GET", "/v1/models")
            clone = client.with_options(admin_api_key="sk-clone")
            clone.request("GET", "/v1/admin/x", auth="admin")
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join()
        loop.close()
    assert [auth_headers(s) for s in seen] == [
        {"authorization": [f"Bearer {ADMIN}"]},
        {"authorization": ["Bearer sk-clone"]},
    ]


async def _wait(future: asyncio.Future[str]) -> str:
    return await future


# -- the admin key stays secret ---------------------------------------------------------------


@pytest.mark.anyio
async def test_admin_key_not_in_reprs_errors_or_logs(
    clients: list[AsyncMistral], caplog: pytest.LogCaptureFixture
) -> None:
    async def unauthorized(request: web.BaseRequest) -> web.StreamResponse:
        return web.json_response({"message": "Unauthorized"}, status=401)

    caplog.set_level(logging.DEBUG)
    async with Loopback(unauthorized) as srv:
        client = make(clients, srv.url, api_key=KEY, admin_api_key=ADMIN, max_retries=1)
        with pytest.raises(AuthenticationError) as info:
            await client.request("GET", "/v1/admin/users", auth="admin")
        with pytest.raises(InvalidParameterError) as missing:
            await make(clients, srv.url, api_key=KEY).request("GET", "/v1/admin/x", auth="admin")
        objects: list[Any] = [
            client,
            client.with_options(max_retries=2),
            client.with_raw_response,
            client._config,
            client._core,
            info.value,
            missing.value,
        ]
        for obj in objects:
            for secret in SECRETS:
                assert secret not in repr(obj)
                assert secret not in str(obj)
        for error in (info.value, missing.value):
            assert all(ADMIN not in repr(arg) for arg in error.args)
            assert ADMIN not in repr(vars(error))
        for record in caplog.records:
            assert all(secret not in record.getMessage() for secret in SECRETS)
        assert all(secret not in s.path_qs for s in srv.requests for secret in SECRETS)


# -- Accept, per-operation headers ------------------------------------------------------------


@pytest.mark.anyio
async def test_accept_per_call(clients: list[AsyncMistral]) -> None:
    async def audio(request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/v1/audio":
            return web.Response(body=b"RIFF....WAVE", content_type="audio/wav")
        return web.json_response({"ok": True})

    async with Loopback(audio) as srv:
        client = make(clients, srv.url, api_key=KEY)
        core, config = client._core, client._config
        async with await core.request(
            config, "GET", "/v1/audio", lambda d: d, binary=True, accept="audio/wav"
        ) as download:
            assert await download.read() == b"RIFF....WAVE"
        await core.request(
            config, "POST", "/v1/json", lambda d: d, body={"a": 1}, accept="application/x-ndjson"
        )
        await core.request(config, "GET", "/v1/plain", lambda d: d)
        await core.request(
            config,
            "GET",
            "/v1/admin",
            lambda d: d,
            accept="text/csv",
            auth="admin",
            options={"admin_api_key": ADMIN},
        )
        accepts = [s.all("Accept") for s in srv.requests]
        assert accepts == [
            ["audio/wav"],
            ["application/x-ndjson"],
            ["application/json"],
            ["text/csv"],
        ]
        assert srv.requests[1].header("Content-Type") == "application/json"
        assert auth_headers(srv.requests[3]) == {"authorization": [f"Bearer {ADMIN}"]}
        with pytest.raises(InvalidParameterError) as info:
            await core.request(config, "GET", "/v1/x", lambda d: d, accept="a\r\nX-Evil: 1")
        assert info.value.param == "accept"
        assert len(srv.requests) == 4


@pytest.mark.anyio
async def test_operation_headers(server: Loopback, clients: list[AsyncMistral]) -> None:
    client = make(clients, server.url, api_key=KEY)
    core, config = client._core, client._config
    await core.request(config, "GET", "/v1/a", lambda d: d, headers={"Last-Event-ID": "42"})
    # extra_headers of the call override the operation's (whatever the case of the name).
    await core.request(
        config,
        "GET",
        "/v1/b",
        lambda d: d,
        headers={"X-Op": "op"},
        options={"extra_headers": {"x-op": "user"}},
    )
    assert server.requests[0].all("Last-Event-ID") == ["42"]
    assert server.requests[1].all("X-Op") == ["user"]
    for bad in ({"X-Op": "a\r\nX-Evil: 1"}, {"X-Op\nEvil": "1"}, {"X-Op": 3}):
        with pytest.raises(InvalidParameterError) as info:
            await core.request(config, "GET", "/v1/c", lambda d: d, headers=bad)  # type: ignore[arg-type]
        assert "headers" in info.value.param
        with pytest.raises(InvalidParameterError):
            core.stream(config, "GET", "/v1/c", lambda d: d, headers=bad)  # type: ignore[arg-type]
    assert len(server.requests) == 2


# -- GET streams, query on streams ------------------------------------------------------------


@pytest.mark.anyio
async def test_get_stream_sends_no_body_and_its_query(clients: list[AsyncMistral]) -> None:
    async def events(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b'data: {"n": 1}\n\ndata: [DONE]\n\n')
        await resp.write_eof()
        return resp

    async with Loopback(events) as srv:
        client = make(clients, srv.url, api_key=KEY)
        stream = client._core.stream(
            client._config,
            "GET",
            "/v1/workflows/events",
            lambda d: d,
            query={"ids": ["a", "b"], "live": True, "skip": None, "n": 3},
            headers={"Last-Event-ID": "7"},
            options={"extra_query": {"extra": "1"}},
        )
        assert srv.requests == []  # sent when entered
        async with stream:
            assert [e async for e in stream] == [{"n": 1}]
        (seen,) = srv.requests
        assert seen.method == "GET"
        assert seen.path_qs == "/v1/workflows/events?ids=a&ids=b&live=true&n=3&extra=1"
        assert seen.body == b""
        assert seen.header("Content-Type") is None
        assert seen.header("Content-Length") in (None, "0")
        assert seen.all("Last-Event-ID") == ["7"]
        assert seen.header("Accept") == "text/event-stream"


# -- redirects never carry a key to another origin --------------------------------------------


def redirect_to(target: str, status: int = 307) -> Handler:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.path.startswith("/v1/hop"):
            return web.Response(status=status, headers={"Location": target})
        return web.json_response({"ok": True, "path": request.path})

    return handler


@pytest.mark.anyio
@pytest.mark.parametrize("auth", sorted(AUTH_SCHEMES))
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_cross_origin_redirect_sends_no_key(
    clients: list[AsyncMistral], auth: str, status: int
) -> None:
    """Redirected to another host (localhost vs 127.0.0.1, another port), no key follows:
    neither Authorization nor x-api-key."""
    async with Loopback() as other:
        target = f"http://localhost:{other.port}/v1/landed?x=1"
        async with Loopback(redirect_to(target, status)) as origin:
            client = make(clients, origin.url, api_key=KEY, admin_api_key=ADMIN)
            result = await client.request("POST", "/v1/hop", body={"a": 1}, auth=auth)  # type: ignore[call-overload]
            assert result == {"ok": True, "path": "/v1/landed"}
            expected, _ = EXPECTED[auth]
            assert auth_headers(origin.requests[0]) == expected
        (landed,) = other.requests
        assert landed.path_qs == "/v1/landed?x=1"
        assert auth_headers(landed) == {}
        assert_no_secret_except(landed, None)
        # 303 (and 301/302 after a POST) become a GET without the body; 307/308 keep both.
        if status in (307, 308):
            assert (landed.method, landed.body) == ("POST", b'{"a":1}')
            assert landed.header("Content-Type") == "application/json"
        else:
            assert (landed.method, landed.body) == ("GET", b"")


@pytest.mark.anyio
@pytest.mark.parametrize("auth", sorted(AUTH_SCHEMES))
async def test_same_origin_redirect_keeps_the_key(clients: list[AsyncMistral], auth: str) -> None:
    async with Loopback(redirect_to("/v1/landed", 307)) as origin:
        client = make(clients, origin.url, api_key=KEY, admin_api_key=ADMIN)
        assert await client.request("GET", "/v1/hop", auth=auth) == {  # type: ignore[call-overload]
            "ok": True,
            "path": "/v1/landed",
        }
        expected, _ = EXPECTED[auth]
        assert [auth_headers(s) for s in origin.requests] == [expected, expected]


@pytest.mark.anyio
async def test_x_api_key_not_restored_after_leaving_the_origin(
    clients: list[AsyncMistral],
) -> None:
    """A -> B -> A: once the request left its origin, the key is not sent again (as aiohttp
    does for Authorization)."""
    async with Loopback() as first:
        async with Loopback(redirect_to(f"{first.url}/v1/back")) as second:
            first.handler = redirect_to(f"http://localhost:{second.port}/v1/hop2")
            client = make(clients, first.url, api_key=KEY)
            assert await client.request("GET", "/v1/hop", auth="x-api-key") == {
                "ok": True,
                "path": "/v1/back",
            }
        assert [auth_headers(s) for s in first.requests] == [{"x-api-key": [KEY]}, {}]
        assert [auth_headers(s) for s in second.requests] == [{}]


@pytest.mark.anyio
async def test_redirect_loop_ends(clients: list[AsyncMistral]) -> None:
    async def loop(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(status=302, headers={"Location": "/v1/again"})

    async with Loopback(loop) as srv:
        client = make(clients, srv.url, api_key=KEY)
        from mistral_async import APIConnectionError

        with pytest.raises(APIConnectionError, match="redirects"):
            await client.request("GET", "/v1/hop", auth="x-api-key")
        assert 5 <= len(srv.requests) <= 11


@pytest.mark.anyio
async def test_cross_origin_redirect_of_an_x_api_key_stream(clients: list[AsyncMistral]) -> None:
    async def events(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b'id: 1\ndata: {"n": 1}\n\n')
        await resp.write_eof()
        return resp

    async with Loopback(events) as other:
        target = f"http://localhost:{other.port}/v1/stream"
        async with Loopback(redirect_to(target, 307)) as origin:
            client = make(clients, origin.url, api_key=KEY)
            stream = client._core.stream(
                client._config, "GET", "/v1/hop", lambda d: d, auth="x-api-key", resume=True
            )
            async with stream:
                assert [e async for e in stream] == [{"n": 1}]
            assert auth_headers(origin.requests[0]) == {"x-api-key": [KEY]}
        assert auth_headers(other.requests[0]) == {}


@pytest.mark.anyio
async def test_unknown_auth_scheme_is_refused(
    server: Loopback, clients: list[AsyncMistral]
) -> None:
    client = make(clients, server.url, api_key=KEY)
    with pytest.raises(InvalidParameterError) as info:
        await client.request("GET", "/v1/x", auth="basic")  # type: ignore[call-overload]
    assert info.value.param == "auth"
    with pytest.raises(InvalidParameterError):
        client._core.stream(client._config, "GET", "/v1/x", lambda d: d, auth="basic")
    assert server.requests == []


@pytest.mark.anyio
async def test_error_event_still_raises_on_admin_stream(clients: list[AsyncMistral]) -> None:
    async def events(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b'event: error\ndata: {"message": "boom", "code": "E1"}\n\n')
        await resp.write_eof()
        return resp

    async with Loopback(events) as srv:
        client = make(clients, srv.url, admin_api_key=ADMIN)
        stream = client._core.stream(client._config, "GET", "/v1/x", lambda d: d, auth="admin")
        with pytest.raises(APIStreamError) as info:
            async with stream:
                await stream.until_done()
        assert info.value.code == "E1"

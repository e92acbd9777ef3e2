"""Scenario 7: the API key stays secret, redirects do not carry it away, ids cannot change
the route, header injection is refused, and plain http to a remote host is flagged.

What users rely on: the key never shows up in an exception (str, repr, args, attributes,
the ``__cause__`` / ``__context__`` chain, a formatted traceback), in the repr of any client,
resource, stream or response object, in any log record (DEBUG included), or in a URL; a
redirect to another origin does not send the Authorization header; a model id is always
one path segment under its route; CR / LF in a key or header is refused before anything is
sent; and a client that would send the key over plain ``http://`` off this machine says so,
once.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from mistral_async import (
    APIConnectionError,
    APIError,
    AsyncMistral,
    InvalidParameterError,
    Mistral,
    Timeout,
)
from mistral_async import _session as session_module
from mistral_async._session import path_param

from .conftest import CHAT, SECRET, MakeClient, loop_threads
from .faultserver import (
    CHAT_OK,
    DONE,
    HANG,
    MODEL_OK,
    RESET,
    Behaviour,
    Exchange,
    FaultServer,
    chunk_event,
    event,
    hang,
    json_response,
    reset,
    reset_mid_body,
    respond,
    sse,
    stall_after_head,
    unused_port,
)

pytestmark = pytest.mark.usefixtures("fast_retries")


# -- the key in exceptions --------------------------------------------------------------------


def key_leaks(exc: BaseException) -> list[str]:
    """Where the key shows in ``exc`` or in any exception chained to it."""
    found = []
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        name = type(current).__name__
        views = {
            "str": str(current),
            "repr": repr(current),
            "args": repr(current.args),
            "attributes": repr(getattr(current, "__dict__", {})),
        }
        found += [f"{name}.{view}" for view, text in views.items() if SECRET in text]
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]
    if SECRET in "".join(traceback.format_exception(exc)):
        found.append("formatted traceback")
    return found


async def _garbage_status(ex: Exchange) -> None:
    await ex.write(b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n")
    await ex.close()


async def _header_without_colon(ex: Exchange) -> None:
    await ex.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nthis is not a header\r\n\r\n{}")
    await ex.close()


REQUEST_FAULTS: dict[str, tuple[Behaviour, dict[str, Any]]] = {
    "reset": (reset(), {}),
    "reset-mid-body": (reset_mid_body(b'{"choices": []}' * 4, 10), {}),
    "401": (respond(401, b'{"message":"Unauthorized","type":"authentication_error"}'), {}),
    "429": (respond(429, b'{"message":"slow down"}', {"Retry-After": "0"}), {}),
    "html-502": (respond(502, b"<title>502 Bad Gateway</title>"), {}),
    "invalid-json": (respond(200, b"{nope"), {}),
    "wrong-shape": (respond(200, b'{"choices": 5}'), {}),
    "garbage-status-line": (_garbage_status, {}),
    "unparsable-content-length": (
        respond(200, b"{}", {"Content-Length": "twelve"}, content_length=None),
        {},
    ),
    "header-without-colon": (_header_without_colon, {}),
    "read-timeout": (stall_after_head(), {"timeout": Timeout(read=0.1)}),
    "total-timeout": (hang(), {"timeout": 0.1}),
}


@pytest.mark.anyio
@pytest.mark.parametrize("fault", list(REQUEST_FAULTS))
async def test_key_not_in_request_exceptions(
    server: FaultServer, make_client: MakeClient, fault: str
) -> None:
    """Whatever a request fails with, no view of the error or its chain shows the key."""
    behaviour, options = REQUEST_FAULTS[fault]
    server.default = behaviour
    client = make_client(server, max_retries=1, **options)
    with pytest.raises(APIError) as info:
        await client.chat.complete(**CHAT)
    assert key_leaks(info.value) == []


STREAM_FAULTS: dict[str, Behaviour] = {
    "reset-after-event": sse(chunk_event("a"), 0.02, RESET),
    "error-event": sse(chunk_event("a"), event({"message": "boom"}, name="error"), DONE),
    "wrong-shape": sse(b'data: {"choices": 5}\n\n', DONE),
    "idle-timeout": sse(chunk_event("a"), HANG),
    "garbage-status-line": _garbage_status,
}


@pytest.mark.anyio
@pytest.mark.parametrize("fault", list(STREAM_FAULTS))
async def test_key_not_in_stream_exceptions(
    server: FaultServer, make_client: MakeClient, fault: str
) -> None:
    """Whatever a stream fails with, no view of the error or its chain shows the key."""
    server.default = STREAM_FAULTS[fault]
    client = make_client(server, stream_timeout=0.1)
    with pytest.raises(APIError) as info:
        async with client.chat.stream(**CHAT) as stream:
            await stream.until_done()
    assert key_leaks(info.value) == []


@pytest.mark.anyio
async def test_key_not_in_connection_refused(make_client: MakeClient) -> None:
    """A refused connection's error shows no key."""
    client = make_client(f"http://127.0.0.1:{unused_port()}", max_retries=1)
    with pytest.raises(APIConnectionError) as info:
        await client.chat.complete(**CHAT)
    assert key_leaks(info.value) == []


# -- the key in reprs, logs and URLs -----------------------------------------------------------


@pytest.mark.anyio
async def test_key_not_in_any_repr(server: FaultServer, make_client: MakeClient) -> None:
    """repr() and str() of clients, resources, streams and responses never show the key."""
    server.queue(json_response(CHAT_OK), sse(chunk_event("a"), DONE))
    client = make_client(server)
    objects: list[Any] = [
        client,
        client.chat,
        client.models,
        client.embeddings,
        client.fim,
        client.with_options(max_retries=3),
        client.with_raw_response,
        client._config,
        client._core,
        client.timeout,
        make_client(server, api_key=lambda: SECRET),
    ]
    raw = await client.with_raw_response.chat.complete(**CHAT)
    objects += [raw, raw.headers, raw.parse(), raw.parse().choices[0].message]
    stream = client.chat.stream(**CHAT)
    objects.append(repr(stream))  # before it is opened
    async with stream:
        objects += [repr(stream), stream.headers]
        async for chunk in stream:
            objects.append(chunk)
    objects.append(stream)
    for obj in objects:
        assert SECRET not in repr(obj), repr(obj)
        assert SECRET not in str(obj), str(obj)


def test_key_not_in_sync_reprs(thread_server: FaultServer) -> None:
    """The blocking client, its resources and its streams show no key either."""
    thread_server.queue(sse(chunk_event("a"), DONE))
    with Mistral(api_key=SECRET, server_url=thread_server.url) as client:
        stream = client.chat.stream(**CHAT)
        for obj in (client, client.chat, client.models, client.with_raw_response, stream):
            assert SECRET not in repr(obj)
            assert SECRET not in str(obj)
        with stream:
            assert [c.choices[0].delta.text for c in stream] == ["a"]
        assert SECRET not in repr(stream)
    assert loop_threads() == []


@pytest.mark.anyio
async def test_key_not_in_debug_logs_nor_urls(
    server: FaultServer, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    """With every logger at DEBUG, across successes, retries, failures and streams, no log
    record carries the key, and the server never sees it outside the Authorization header."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="mistral_async")
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    server.queue(
        json_response(CHAT_OK),
        respond(503, b'{"message":"busy"}', {"Retry-After": "0"}),
        json_response(CHAT_OK),
        reset(),
        reset(),
        sse(chunk_event("a"), DONE),
        respond(401, b'{"message":"Unauthorized"}'),
        _garbage_status,
        _garbage_status,
    )
    client = make_client(server, max_retries=1)
    await client.chat.complete(**CHAT)
    await client.chat.complete(**CHAT)
    with pytest.raises(APIConnectionError):
        await client.chat.complete(**CHAT)
    async with client.chat.stream(**CHAT) as stream:
        await stream.until_done()
    with pytest.raises(APIError):
        await client.models.list(extra_query={"q": "1"})
    with pytest.raises(APIConnectionError) as info:
        await client.chat.complete(**CHAT)
    logging.getLogger("mistral_async").exception("user code logs the error", exc_info=info.value)
    assert any(r.getMessage().startswith("Retrying") for r in caplog.records)
    formatter = logging.Formatter()
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        assert SECRET not in repr(record.args)
        assert SECRET not in formatter.format(record), record.getMessage()
    assert SECRET not in caplog.text
    assert server.request_count == 9
    for seen in server.requests:
        assert SECRET not in seen.target
        assert seen.header("Authorization") == f"Bearer {SECRET}"
        others = [v for k, v in seen.headers if k.lower() != "authorization"]
        assert not any(SECRET in value for value in others)
        assert SECRET.encode() not in seen.body


# -- redirects ------------------------------------------------------------------------------------


def _other_origin(kind: str, origin: FaultServer) -> tuple[str, int, str]:
    """(host to listen on, port, host to put in Location) for a cross-origin target."""
    if kind == "other-ip-same-port":
        return "127.0.0.2", origin.port, "127.0.0.2"
    if kind == "same-ip-other-port":
        return "127.0.0.1", 0, "127.0.0.1"
    return "127.0.0.1", 0, "localhost"


@pytest.mark.anyio
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize(
    "kind", ["other-ip-same-port", "same-ip-other-port", "localhost-other-port"]
)
async def test_cross_origin_redirect_drops_the_key(
    server: FaultServer, make_client: MakeClient, status: int, kind: str
) -> None:
    """A redirect to another origin (host or port) is followed without Authorization."""
    host, port, location_host = _other_origin(kind, server)
    async with FaultServer(host, port) as other:
        location = f"http://{location_host}:{other.port}/v1/chat/completions"
        server.queue(respond(status, b"", {"Location": location}))
        client = make_client(server)
        result = await client.chat.complete(**CHAT)
        assert result.choices[0].message.content == "hello"
        assert server.requests[0].header("Authorization") == f"Bearer {SECRET}"
        assert other.request_count == 1
        assert other.requests[0].header("Authorization") is None
        assert all(SECRET not in value for _, value in other.requests[0].headers)


@pytest.mark.anyio
async def test_cross_origin_redirect_of_a_stream_drops_the_key(
    server: FaultServer, make_client: MakeClient
) -> None:
    """A stream redirected to another host does not carry the key there either."""
    async with FaultServer("127.0.0.2", server.port) as other:
        other.default = sse(chunk_event("a"), DONE)
        server.queue(respond(307, b"", {"Location": f"{other.url}/v1/chat/completions"}))
        client = make_client(server)
        async with client.chat.stream(**CHAT) as stream:
            assert [c.choices[0].delta.text async for c in stream] == ["a"]
        assert other.requests[0].header("Authorization") is None


@pytest.mark.anyio
@pytest.mark.parametrize("status", [302, 307])
async def test_same_origin_redirect_keeps_the_key(
    server: FaultServer, make_client: MakeClient, status: int
) -> None:
    """A redirect within the same origin may (and does) keep the Authorization header."""
    server.queue(respond(status, b"", {"Location": "/v1/chat/completions?hop=2"}))
    client = make_client(server)
    result = await client.chat.complete(**CHAT)
    assert result.choices[0].message.content == "hello"
    assert server.request_count == 2
    assert server.requests[1].target == "/v1/chat/completions?hop=2"
    assert server.requests[1].header("Authorization") == f"Bearer {SECRET}"


# -- ids in paths -------------------------------------------------------------------------------

NASTY_IDS = [
    "a/b",
    "..",
    ".",
    "...",
    "../..",
    "../../v1/chat/completions",
    "a/../../b",
    "x?y=1",
    "x#frag",
    "100%",
    "%2F",
    "%2e%2e",
    "a b",
    " ",
    "mødel-ü",
    "模型",
    "🙂",
    "a\\b",
    ";x=1",
    "a\r\nX-Injected: 1",
    "ft:open-mistral-7b:abc:20240101:x",
]

Call = Callable[[AsyncMistral, str], Awaitable[Any]]
OPERATIONS: dict[str, tuple[str, list[str], list[str], Call]] = {
    "retrieve": ("GET", ["v1", "models"], [], lambda c, i: c.models.retrieve(i)),
    "delete": ("DELETE", ["v1", "models"], [], lambda c, i: c.models.delete(i)),
    "update": (
        "PATCH",
        ["v1", "fine_tuning", "models"],
        [],
        lambda c, i: c.models.update(i, name="n"),
    ),
    "archive": (
        "POST",
        ["v1", "fine_tuning", "models"],
        ["archive"],
        lambda c, i: c.models.archive(i),
    ),
    "unarchive": (
        "DELETE",
        ["v1", "fine_tuning", "models"],
        ["archive"],
        lambda c, i: c.models.unarchive(i),
    ),
}


@pytest.mark.anyio
@pytest.mark.parametrize("operation", list(OPERATIONS))
async def test_ids_stay_one_path_segment(
    server: FaultServer, make_client: MakeClient, operation: str
) -> None:
    """Every id, however nasty, reaches the server as exactly one encoded segment under the
    operation's route, decoding back to the id; no query or fragment appears."""
    method, prefix, suffix, call = OPERATIONS[operation]
    server.default = json_response(MODEL_OK)
    client = make_client(server)
    for model_id in NASTY_IDS:
        await call(client, model_id)
    assert server.request_count == len(NASTY_IDS)
    for model_id, seen in zip(NASTY_IDS, server.requests, strict=True):
        assert seen.method == method
        assert "?" not in seen.target and "#" not in seen.target, seen.target
        segments = seen.target.split("/")
        assert segments[0] == ""
        assert segments[1 : 1 + len(prefix)] == prefix, seen.target
        rest = segments[1 + len(prefix) :]
        assert len(rest) == 1 + len(suffix), seen.target
        assert rest[1:] == suffix
        assert rest[0] not in ("", ".", ".."), seen.target
        assert unquote(rest[0]) == model_id


@given(st.text(min_size=1, max_size=30))
def test_path_param_is_always_one_segment(model_id: str) -> None:
    """For any text id, the encoded URL path has exactly one segment for it."""
    url = URL("http://127.0.0.1/v1/models/" + path_param("model_id", model_id), encoded=True)
    segments = url.raw_path.split("/")
    assert len(segments) == 4, url.raw_path
    assert segments[3] not in ("", ".", "..")
    assert "?" not in str(url) and "#" not in str(url)
    assert unquote(segments[3]) == model_id


# -- header injection ----------------------------------------------------------------------------

CRLF_VALUES = ["sk\r\nX-Evil: 1", "sk\nX-Evil: 1", "sk\rX-Evil: 1", "sk\x00"]


@pytest.mark.parametrize("value", CRLF_VALUES)
def test_key_with_crlf_is_refused_at_construction(value: str) -> None:
    """An API key containing CR, LF or NUL is refused when the client is built."""
    with pytest.raises(InvalidParameterError) as info:
        AsyncMistral(api_key=value, server_url="http://127.0.0.1:9")
    assert info.value.param == "api_key"
    assert value not in str(info.value)


@pytest.mark.parametrize(
    "headers",
    [{"X-Trace": "a\r\nX-Evil: 1"}, {"X-Trace\r\nX-Evil": "1"}, {"X-Trace": "a\nb"}],
    ids=["value-crlf", "name-crlf", "value-lf"],
)
def test_default_headers_with_crlf_are_refused_at_construction(headers: dict[str, str]) -> None:
    """default_headers with CR / LF in a name or value are refused when the client is built."""
    with pytest.raises(InvalidParameterError) as info:
        AsyncMistral(api_key=SECRET, server_url="http://127.0.0.1:9", default_headers=headers)
    assert "default_headers" in info.value.param


def test_sync_client_with_crlf_key_starts_no_thread() -> None:
    """The blocking client refuses the key before starting its event-loop thread."""
    before = len(loop_threads())
    with pytest.raises(InvalidParameterError):
        Mistral(api_key="sk\r\nX-Evil: 1", server_url="http://127.0.0.1:9")
    assert len(loop_threads()) == before


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("options", "param"),
    [
        ({"extra_headers": {"X-Trace": "a\r\nX-Evil: 1"}}, "extra_headers"),
        ({"extra_headers": {"X-Trace\r\nX-Evil": "1"}}, "extra_headers"),
        ({"api_key": "sk\r\nX-Evil: 1"}, "api_key"),
    ],
    ids=["extra-header-value", "extra-header-name", "per-call-key"],
)
@pytest.mark.parametrize("kind", ["complete", "stream"])
async def test_per_call_crlf_is_refused_before_sending(
    server: FaultServer, make_client: MakeClient, options: dict[str, Any], param: str, kind: str
) -> None:
    """Per-call headers or key with CR / LF raise InvalidParameterError; nothing is sent."""
    client = make_client(server)
    with pytest.raises(InvalidParameterError) as info:
        if kind == "complete":
            await client.chat.complete(**CHAT, **options)
        else:
            async with client.chat.stream(**CHAT, **options) as stream:
                await stream.until_done()
    assert param in info.value.param
    assert server.request_count == 0


@pytest.mark.anyio
@pytest.mark.parametrize(
    "options",
    [{"api_key": "sk\r\nX-Evil: 1"}, {"default_headers": {"X-A": "1\r\n2"}}],
    ids=["key", "default-headers"],
)
async def test_with_options_crlf_is_refused(
    server: FaultServer, make_client: MakeClient, options: dict[str, Any]
) -> None:
    """with_options() refuses CR / LF as the constructor does."""
    client = make_client(server)
    with pytest.raises(InvalidParameterError):
        client.with_options(**options)
    assert server.request_count == 0


@pytest.mark.anyio
async def test_key_callable_returning_crlf_is_refused_before_sending(
    server: FaultServer, make_client: MakeClient
) -> None:
    """A key function returning CR / LF is refused per call, before anything is sent."""
    client = make_client(server, api_key=lambda: "sk\r\nX-Evil: 1")
    with pytest.raises(InvalidParameterError) as info:
        await client.chat.complete(**CHAT)
    assert "api_key" in info.value.param
    assert server.request_count == 0


# -- plain http -------------------------------------------------------------------------------


@pytest.fixture
def fresh_http_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget which URLs were already warned about."""
    monkeypatch.setattr(session_module, "_warned_plain_http", set())


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.usefixtures("fresh_http_warnings")
def test_plain_http_to_a_remote_host_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    """A client that would send the key over http:// to another machine logs exactly one
    warning naming the host (without the key), even if built twice."""
    caplog.set_level(logging.DEBUG, logger="mistral_async")
    AsyncMistral(api_key=SECRET, server_url="http://example.invalid")
    AsyncMistral(api_key=SECRET, server_url="http://example.invalid")
    records = _warnings(caplog)
    assert len(records) == 1
    assert records[0].name == "mistral_async"
    assert "example.invalid" in records[0].getMessage()
    assert "http://" in records[0].getMessage()
    assert SECRET not in records[0].getMessage()


@pytest.mark.usefixtures("fresh_http_warnings")
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "http://127.0.0.2",
        "http://localhost:8000",
        "http://LOCALHOST",
        "http://[::1]:8000",
        "https://example.invalid",
    ],
)
def test_loopback_or_https_does_not_warn(caplog: pytest.LogCaptureFixture, url: str) -> None:
    """http:// to this machine, or https:// anywhere, logs no warning."""
    caplog.set_level(logging.DEBUG, logger="mistral_async")
    AsyncMistral(api_key=SECRET, server_url=url)
    assert _warnings(caplog) == []

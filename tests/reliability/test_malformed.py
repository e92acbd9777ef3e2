"""Scenario 4: malformed responses, whole and streamed.

What users rely on: whatever bytes come back, the SDK raises one of its typed errors, never
a bare ``KeyError`` / ``TypeError`` / ``JSONDecodeError`` / ``UnicodeDecodeError``; the error
carries the HTTP status, the request id (``x-request-id``) and, where there is one, the raw
body as received. Each test checks the exact error class (``type(err) is ...``).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp.http_parser import HttpResponseParser

from mistral_async import (
    APIConnectionError,
    APIStreamError,
    BadRequestError,
    InternalServerError,
    ResponseValidationError,
)

from .conftest import CHAT, MakeClient
from .faultserver import (
    CHAT_OK,
    CLOSE,
    DONE,
    END,
    RESET,
    Exchange,
    FaultServer,
    chunk_event,
    event,
    json_response,
    respond,
    sse,
)

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("fast_retries")]

HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
ERROR_EVENT = {
    "object": "error",
    "message": "Model overloaded, try again later",
    "type": "service_unavailable",
    "code": "3505",
}


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b'{"id": "x", "choices": [', "is not valid JSON"),
        (b"<html>oops</html>", "is not valid JSON"),
        (b"", "is not valid JSON"),
        (b'{"choices": 5}', "does not fit the expected type"),
        (b'{"choices": [{"index": 0}]}', "does not fit the expected type"),
        (b'{"choices": [{"index": 0, "message": 7}]}', "does not fit the expected type"),
        (b"[1, 2, 3]", "does not fit the expected type"),
        (b"null", "does not fit the expected type"),
        (b'"just a string"', "does not fit the expected type"),
        (b'{"id": "caf\xe9", "choices": []}', "is not valid JSON"),
    ],
    ids=[
        "truncated-json",
        "html-with-200",
        "empty-200",
        "choices-is-an-int",
        "choice-without-message",
        "message-is-an-int",
        "list",
        "null",
        "string",
        "invalid-utf8",
    ],
)
async def test_bad_200_bodies_raise_response_validation_error(
    server: FaultServer, make_client: MakeClient, body: bytes, what: str
) -> None:
    """A 200 whose body is not the expected JSON raises ResponseValidationError with the
    status, the request id and the raw body; it is not retried."""
    server.default = respond(200, body, {"Content-Type": "application/json"})
    client = make_client(server, max_retries=2)
    with pytest.raises(ResponseValidationError) as info:
        await client.chat.complete(**CHAT)
    err = info.value
    assert type(err) is ResponseValidationError
    assert err.status_code == 200
    assert err.request_id == "req-1"
    assert err.raw_body == body
    assert what in err.message
    assert err.attempts == 1
    assert server.request_count == 1


async def test_raw_response_parse_raises_response_validation_error(
    server: FaultServer, make_client: MakeClient
) -> None:
    """with_raw_response gives the bytes; .parse() of a bad body raises the same typed error."""
    server.default = respond(200, b'{"choices": 5}')
    client = make_client(server)
    raw = await client.with_raw_response.chat.complete(**CHAT)
    assert raw.content == b'{"choices": 5}'
    assert raw.request_id == "req-1"
    with pytest.raises(ResponseValidationError) as info:
        raw.parse()
    assert info.value.request_id == "req-1"
    assert info.value.status_code == 200


async def test_html_502_page(server: FaultServer, make_client: MakeClient) -> None:
    """An HTML 502 from a proxy is an InternalServerError whose message is the page title."""
    server.default = respond(502, HTML_502, {"Content-Type": "text/html"})
    client = make_client(server)
    with pytest.raises(InternalServerError) as info:
        await client.chat.complete(**CHAT)
    err = info.value
    assert type(err) is InternalServerError
    assert err.status_code == 502
    assert err.request_id == "req-1"
    assert err.raw_body == HTML_502
    assert err.message == "502 Bad Gateway"
    assert err.headers["content-type"] == "text/html"


async def test_html_502_page_is_retried(server: FaultServer, make_client: MakeClient) -> None:
    """A 502 is transient: retried, then raised with the attempt count and last request id."""
    server.default = respond(502, HTML_502, {"Content-Type": "text/html"})
    client = make_client(server, max_retries=2)
    with pytest.raises(InternalServerError) as info:
        await client.chat.complete(**CHAT)
    assert info.value.attempts == 3
    assert info.value.request_id == "req-3"
    assert server.request_count == 3


async def test_empty_error_body(server: FaultServer, make_client: MakeClient) -> None:
    """An error status with no body at all still gives a typed error with a message."""
    server.default = respond(503, b"")
    client = make_client(server)
    with pytest.raises(InternalServerError) as info:
        await client.chat.complete(**CHAT)
    assert info.value.status_code == 503
    assert info.value.raw_body == b""
    assert info.value.message == "Service Unavailable"


async def test_invalid_utf8_error_body(server: FaultServer, make_client: MakeClient) -> None:
    """An error body with invalid UTF-8 is decoded leniently into the error message."""
    body = b'{"object":"error","message":"bad caf\xe9","type":"invalid_request_error"}'
    server.default = respond(400, body, {"Content-Type": "application/json"})
    client = make_client(server)
    with pytest.raises(BadRequestError) as info:
        await client.chat.complete(**CHAT)
    assert info.value.raw_body == body
    assert info.value.message == "bad caf\ufffd"
    assert info.value.type == "invalid_request_error"


def _c_http_parser() -> bool:
    """Whether aiohttp parses responses with its C extension (llhttp)."""
    return HttpResponseParser.__module__ == "aiohttp._http_parser"


async def test_body_longer_than_content_length(
    server: FaultServer, make_client: MakeClient
) -> None:
    """Bytes beyond Content-Length, sent with the body, give a typed error and do not
    poison the next request on the same client.

    Which error depends on aiohttp's parser, not on the SDK: the C parser (llhttp) rejects
    the whole segment (APIConnectionError); the pure-Python one keeps the announced prefix,
    which is not valid JSON here (ResponseValidationError carrying it).
    """
    body = json.dumps(CHAT_OK).encode()
    server.queue(respond(200, body, content_length=12))
    client = make_client(server)
    expected = APIConnectionError if _c_http_parser() else ResponseValidationError
    with pytest.raises(expected) as info:
        await client.chat.complete(**CHAT)
    assert type(info.value) is expected
    if expected is ResponseValidationError:
        assert info.value.raw_body == body[:12]
        assert info.value.request_id == "req-1"
    result = await client.chat.complete(**CHAT)
    assert result.choices[0].message.content == "hello"


async def test_body_longer_than_content_length_excess_arriving_later(
    server: FaultServer, make_client: MakeClient
) -> None:
    """When the bytes beyond Content-Length arrive after the announced body, the call
    raises ResponseValidationError with the announced prefix, and the connection that got
    the extra bytes is not reused: the next call gets its own answer."""
    body = json.dumps(CHAT_OK).encode()

    async def excess_later(ex: Exchange) -> None:
        await ex.write(ex.head(200, content_length=12) + body[:12])
        await asyncio.sleep(0.02)
        await ex.write(body[12:])

    server.queue(excess_later)
    client = make_client(server)
    with pytest.raises(ResponseValidationError) as info:
        await client.chat.complete(**CHAT)
    assert info.value.raw_body == body[:12]
    assert info.value.request_id == "req-1"
    await asyncio.sleep(0.05)
    result = await client.chat.complete(**CHAT)
    assert result.choices[0].message.content == "hello"


async def test_unsolicited_response_on_an_idle_connection_is_not_handed_to_the_next_request(
    server: FaultServer, make_client: MakeClient
) -> None:
    """Bytes that arrive on a pooled connection while no request is outstanding (here a
    whole extra HTTP response, 50 ms after the real one) must never be taken as the answer
    to the next request."""
    smuggled = json.dumps(
        {"choices": [{"index": 0, "message": {"role": "assistant", "content": "SMUGGLED"}}]}
    ).encode()

    async def answer_then_smuggle(ex: Exchange) -> None:
        await ex.respond(200, json.dumps(CHAT_OK).encode())
        await asyncio.sleep(0.05)
        await ex.write(ex.head(200, content_length=len(smuggled)) + smuggled)

    server.queue(answer_then_smuggle)
    client = make_client(server)
    first = await client.chat.complete(**CHAT)
    assert first.choices[0].message.content == "hello"
    await asyncio.sleep(0.1)
    second = await client.chat.complete(**CHAT)
    assert second.choices[0].message.content == "hello"


async def test_unparsable_content_length(server: FaultServer, make_client: MakeClient) -> None:
    """A response whose Content-Length is not a number is a connection-level error."""
    server.default = respond(200, b"{}", {"Content-Length": "twelve"}, content_length=None)
    client = make_client(server)
    with pytest.raises(APIConnectionError) as info:
        await client.chat.complete(**CHAT)
    assert type(info.value) is APIConnectionError


async def test_garbage_status_line(server: FaultServer, make_client: MakeClient) -> None:
    """A response that is not HTTP at all is a connection-level error."""

    async def garbage(ex: Exchange) -> None:
        await ex.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await ex.close()

    server.default = garbage
    client = make_client(server)
    with pytest.raises(APIConnectionError) as info:
        await client.chat.complete(**CHAT)
    assert type(info.value) is APIConnectionError


# -- streams -------------------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "close-delimited"])
@pytest.mark.parametrize(
    "final",
    [b"data: [DONE]", b"data: [DONE]\n", b"data: [DONE]\r\n", b"data:[DONE]"],
    ids=["no-newline", "one-lf", "one-crlf", "no-space"],
)
async def test_stream_without_trailing_blank_line_completes(
    server: FaultServer, make_client: MakeClient, final: bytes, chunked: bool
) -> None:
    """A final ``data: [DONE]`` without its blank line still ends the stream normally."""
    server.default = sse(chunk_event("Hel"), chunk_event("lo"), final, END, chunked=chunked)
    client = make_client(server)
    async with client.chat.stream(**CHAT) as stream:
        completion = await stream.get_final_completion()
    assert completion.choices[0].message.content == "Hello"
    assert server.request_count == 1


@pytest.mark.parametrize("how", [RESET, CLOSE], ids=["reset", "fin"])
async def test_stream_cut_inside_an_event_chunked(
    server: FaultServer, make_client: MakeClient, how: object
) -> None:
    """A chunked stream cut in the middle of an event is a connection error (not retried
    once an event was delivered)."""
    server.default = sse(chunk_event("Hel"), b'data: {"id":"c","choi', 0.05, how)  # type: ignore[arg-type]
    client = make_client(server, max_retries=2)
    received = []
    with pytest.raises(APIConnectionError) as info:
        async with client.chat.stream(**CHAT) as stream:
            async for chunk in stream:
                received.append(chunk.choices[0].delta.text)
    assert type(info.value) is APIConnectionError
    assert received == ["Hel"]
    assert info.value.request_id == "req-1"
    assert server.request_count == 1


async def test_stream_cut_inside_an_event_close_delimited(
    server: FaultServer, make_client: MakeClient
) -> None:
    """A close-delimited stream that ends in the middle of an event was cut off: a
    connection error, not a complaint about the half event's JSON."""
    server.default = sse(chunk_event("Hel"), b'data: {"id":"c","choi', END, chunked=False)
    client = make_client(server, max_retries=2)
    received = []
    with pytest.raises(APIConnectionError) as info:
        async with client.chat.stream(**CHAT) as stream:
            async for chunk in stream:
                received.append(chunk.choices[0].delta.text)
    assert type(info.value) is APIConnectionError
    assert received == ["Hel"]
    assert server.request_count == 1


async def test_stream_cut_inside_the_first_event_is_retried(
    server: FaultServer, make_client: MakeClient
) -> None:
    """Cut inside the first event, nothing was delivered yet: the stream is retried."""
    server.queue(sse(b'data: {"id":"c","choi', END, chunked=False))
    server.default = sse(chunk_event("ok"), DONE)
    client = make_client(server, max_retries=2)
    async with client.chat.stream(**CHAT) as stream:
        texts = [chunk.choices[0].delta.text async for chunk in stream]
    assert texts == ["ok"]
    assert server.request_count == 2


@pytest.mark.parametrize(
    "payload",
    [
        event(ERROR_EVENT, name="error"),
        event(ERROR_EVENT),
        event({"error": ERROR_EVENT}, name="error"),
    ],
    ids=["event-error", "data-object-error", "nested-error"],
)
async def test_stream_error_event_mid_stream(
    server: FaultServer, make_client: MakeClient, payload: bytes
) -> None:
    """An error event after some chunks raises APIStreamError with the server's message,
    type, code and request id; it is not retried."""
    server.default = sse(chunk_event("Hel"), payload, DONE)
    client = make_client(server, max_retries=2)
    received = []
    with pytest.raises(APIStreamError) as info:
        async with client.chat.stream(**CHAT) as stream:
            async for chunk in stream:
                received.append(chunk.choices[0].delta.text)
    err = info.value
    assert received == ["Hel"]
    assert err.message == "Model overloaded, try again later"
    assert err.type == "service_unavailable"
    assert err.code == "3505"
    assert err.request_id == "req-1"
    assert err.attempts == 1
    assert server.request_count == 1


async def test_stream_error_event_first(server: FaultServer, make_client: MakeClient) -> None:
    """An error event before any chunk raises APIStreamError when the stream is entered,
    carrying the parsed payload, and is not retried."""
    server.default = sse(event(ERROR_EVENT, name="error"), DONE)
    client = make_client(server, max_retries=2)
    with pytest.raises(APIStreamError) as info:
        async with client.chat.stream(**CHAT):
            pass
    assert info.value.body == ERROR_EVENT
    assert info.value.request_id == "req-1"
    assert server.request_count == 1


async def test_stream_error_event_with_plain_text_data(
    server: FaultServer, make_client: MakeClient
) -> None:
    """An ``event: error`` whose data is plain text is still an APIStreamError with that
    text as its message (the server said it is an error)."""
    server.default = sse(chunk_event("Hel"), b"event: error\ndata: upstream overloaded\n\n", DONE)
    client = make_client(server)
    with pytest.raises(APIStreamError) as info:
        async with client.chat.stream(**CHAT) as stream:
            await stream.until_done()
    assert info.value.message == "upstream overloaded"
    assert info.value.request_id == "req-1"


@pytest.mark.parametrize(
    "data",
    [b"{oops", b'{"choices": 5}', b"[1, 2]", b'"text"'],
    ids=["invalid-json", "wrong-shape", "list", "string"],
)
async def test_stream_event_of_the_wrong_shape(
    server: FaultServer, make_client: MakeClient, data: bytes
) -> None:
    """A stream event that is not a valid chunk raises ResponseValidationError with the
    event's raw data, status and request id."""
    server.default = sse(chunk_event("Hel"), b"data: " + data + b"\n\n", DONE)
    client = make_client(server)
    with pytest.raises(ResponseValidationError) as info:
        async with client.chat.stream(**CHAT) as stream:
            await stream.until_done()
    err = info.value
    assert type(err) is ResponseValidationError
    assert err.raw_body == data
    assert err.status_code == 200
    assert err.request_id == "req-1"


async def test_stream_invalid_utf8_is_replaced(
    server: FaultServer, make_client: MakeClient
) -> None:
    """Invalid UTF-8 inside a stream event is decoded with U+FFFD replacements (the event
    stays usable) rather than raising UnicodeDecodeError."""
    bad = b'data: {"choices":[{"index":0,"delta":{"content":"caf\xe9"}}]}\n\n'
    server.default = sse(bad, DONE)
    client = make_client(server)
    async with client.chat.stream(**CHAT) as stream:
        texts = [chunk.choices[0].delta.text async for chunk in stream]
    assert texts == ["caf\ufffd"]


@pytest.mark.parametrize(
    ("behaviour", "error", "status"),
    [
        (respond(502, HTML_502, {"Content-Type": "text/html"}), InternalServerError, 502),
        (json_response(ERROR_EVENT, status=400), BadRequestError, 400),
    ],
    ids=["html-502", "json-400"],
)
async def test_stream_error_status(
    server: FaultServer,
    make_client: MakeClient,
    behaviour: object,
    error: type[Exception],
    status: int,
) -> None:
    """A stream answered with an error status raises the typed status error on entry."""
    server.default = behaviour  # type: ignore[assignment]
    client = make_client(server)
    with pytest.raises(error) as info:
        async with client.chat.stream(**CHAT):
            pass
    assert type(info.value) is error
    assert info.value.status_code == status  # type: ignore[attr-defined]
    assert info.value.request_id == "req-1"  # type: ignore[attr-defined]
    await client.aclose()
    await server.wait_for_open(0)

"""Error bodies of every shape the API (or a proxy) sends become the same typed errors."""

from __future__ import annotations

import pytest

import mistral_async
from mistral_async._errors import make_status_error
from mistral_async._types import Headers


def error(status: int, body: bytes, **headers: str) -> mistral_async.APIStatusError:
    return make_status_error(status, "Reason", Headers(list(headers.items())), body, "req-1")


def test_fastapi_validation_detail() -> None:
    body = (
        b'{"detail":[{"type":"missing","loc":["body","model"],"msg":"Field required","input":{}}]}'
    )
    err = error(422, body)
    assert isinstance(err, mistral_async.UnprocessableEntityError)
    assert err.message == "model: Field required"
    assert err.detail[0]["type"] == "missing"
    assert err.raw_body == body
    assert err.request_id == "req-1"


def test_mistral_error_object() -> None:
    err = error(
        401,
        b'{"object":"error","message":"Unauthorized","type":"invalid_request_error","code":1}',
    )
    assert isinstance(err, mistral_async.AuthenticationError)
    assert (err.message, err.type, err.code) == ("Unauthorized", "invalid_request_error", "1")


def test_bare_message_plain_text_and_html() -> None:
    assert error(400, b'{"message":"bad"}').message == "bad"
    assert error(503, b"upstream connect error").message == "upstream connect error"
    html = error(502, b"<html><head><title>502 Bad Gateway</title></head><body>x</body></html>")
    assert isinstance(html, mistral_async.InternalServerError)
    assert html.message == "502 Bad Gateway"
    assert html.body.startswith("<html>")


def test_empty_body_uses_reason_and_detail_string() -> None:
    assert error(404, b"").message == "Reason"
    assert error(404, b'{"detail":"Not Found"}').message == "Not Found"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, mistral_async.BadRequestError),
        (401, mistral_async.AuthenticationError),
        (403, mistral_async.PermissionDeniedError),
        (404, mistral_async.NotFoundError),
        (409, mistral_async.ConflictError),
        (422, mistral_async.UnprocessableEntityError),
        (429, mistral_async.RateLimitError),
        (500, mistral_async.InternalServerError),
        (529, mistral_async.InternalServerError),
        (418, mistral_async.APIStatusError),
    ],
)
def test_status_families(status: int, cls: type[Exception]) -> None:
    err = error(status, b"{}")
    assert type(err) is cls
    assert err.status_code == status
    assert isinstance(err, mistral_async.APIError)
    assert isinstance(err, mistral_async.MistralError)
    assert f"Error code: {status}" in str(err)


def test_long_messages_are_shortened() -> None:
    assert len(error(500, b"x" * 10_000).message) <= 500

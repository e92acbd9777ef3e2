"""Debug logging of requests, responses and streams, with every credential redacted.

Everything goes to the ``mistral_async`` logger; nothing touches the root logger. Turn
it on with the standard ``logging`` configuration of that logger, with
:func:`configure_logging`, or with the ``MISTRAL_LOG`` environment variable (``debug``
or ``info``), read when the first client is created::

    MISTRAL_LOG=debug python app.py

At INFO: retries. At DEBUG, besides: one line per request sent and per response
received (method, URL, status, elapsed time, request id, attempt), the headers with
credentials redacted, bodies cut to :data:`body_limit` characters, and each stream's
opening and end with its event count. When DEBUG is off, no line is formatted and no
body is looked at.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any, Final

from ._types import CREDENTIAL_HEADERS

__all__ = ["configure_logging"]

log: Final = logging.getLogger("mistral_async")

REDACTED: Final = "<redacted>"
# The credential headers a request sends, and the ones a response may carry.
_CREDENTIALS: Final = CREDENTIAL_HEADERS | {"set-cookie", "ocp-apim-subscription-key"}
# Any other header whose name has one of these words (``x-goog-api-key``,
# ``x-amz-security-token``...), but not ``x-ratelimit-remaining-tokens-minute``.
_SECRET_NAME: Final = re.compile(
    r"(?:^|[-_])(?:key|token|secret|password|passwd|credentials?|signature|auth|session)(?:[-_]|$)"
)

_settings: dict[str, Any] = {"body_limit": 1024}
_our_handler: list[logging.Handler] = []


def body_limit() -> int:
    """How many characters of a body a DEBUG line shows."""
    limit: int = _settings["body_limit"]
    return limit


def configure_logging(
    level: int | str = logging.DEBUG,
    *,
    body_limit: int | None = None,
    handler: logging.Handler | None = None,
) -> None:
    """Set the ``mistral_async`` logger's level and give it a handler (stderr by default).

    Only this library's logger is touched, never the root logger; calling it again
    replaces the handler it added before. ``body_limit``: characters of each body
    shown at DEBUG (default 1,024; 0 shows none).
    """
    if isinstance(level, str):
        name = level.strip().upper()
        number = logging.getLevelName(name)
        if not isinstance(number, int):
            from ._errors import InvalidParameterError

            raise InvalidParameterError("level", f"unknown logging level {level!r}")
        level = number
    if body_limit is not None:
        if isinstance(body_limit, bool) or not isinstance(body_limit, int) or body_limit < 0:
            from ._errors import InvalidParameterError

            raise InvalidParameterError("body_limit", f"must be an int >= 0, not {body_limit!r}")
        _settings["body_limit"] = body_limit
    log.setLevel(level)
    for old in _our_handler:
        log.removeHandler(old)
    _our_handler.clear()
    if handler is None:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    _our_handler.append(handler)


def configure_from_env(value: str) -> None:
    """Apply ``MISTRAL_LOG`` (``debug`` / ``info``; anything else is reported and ignored)."""
    name = value.strip().lower()
    if name not in ("debug", "info"):
        log.warning("MISTRAL_LOG=%r is not 'debug' or 'info'; ignored", value)
        return
    limit = os.environ.get("MISTRAL_LOG_BODY_LIMIT")
    body = int(limit) if limit and limit.isdigit() else None
    configure_logging(name, body_limit=body)


def _is_credential(lowered: str) -> bool:
    return lowered in _CREDENTIALS or _SECRET_NAME.search(lowered) is not None


def redacted(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers fit for a log: credential-bearing values replaced."""
    out = {}
    for name, value in headers.items():
        lowered = name.lower()
        if _is_credential(lowered):
            out[name] = REDACTED
        else:
            out[name] = value
    return out


def secrets_of(headers: Mapping[str, str]) -> list[str]:
    """The credentials in request headers (``Bearer`` taken off), to keep out of bodies."""
    found = []
    for name, value in headers.items():
        lowered = name.lower()
        if _is_credential(lowered):
            secret = value.split(" ", 1)[1] if value[:7].lower() == "bearer " else value
            if len(secret) >= 4:
                found.append(secret)
    return found


def shorten(data: Any, secrets: list[str] | None = None) -> str:
    """A body for a log line, cut to :func:`body_limit` characters; any of ``secrets``
    in it (a server echoing a header back...) is redacted before the cut, so no part
    of one shows."""
    limit = body_limit()
    if data is None:
        return "-"
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        size = len(raw)
        if limit == 0:
            return f"<{size} bytes>"
        # Enough bytes for ``limit`` characters, and for a secret that starts before the cut.
        text = raw[: limit * 4 + 1024].decode("utf-8", "replace")
    elif isinstance(data, str):
        text, size = data, len(data)
        if limit == 0:
            return f"<{size} characters>"
    else:
        return f"<{type(data).__name__}>"  # a multipart form or a streamed body
    for secret in secrets or ():
        if secret in text:
            text = text.replace(secret, REDACTED)
    if len(text) > limit:
        return f"{text[:limit]}... <{size} bytes>"
    return text


def request_sent(
    method: str, url: Any, headers: Mapping[str, str], data: Any, attempt: int
) -> None:
    """The DEBUG line of a request (the caller checked DEBUG is on)."""
    log.debug(
        "Request %s %s (attempt %d) headers=%s body=%s",
        method,
        url,
        attempt,
        redacted(headers),
        shorten(data, secrets_of(headers)),
    )


def response_received(
    method: str,
    url: Any,
    status: int,
    elapsed: float,
    headers: Mapping[str, str],
    attempt: int,
) -> None:
    """The DEBUG line of a response's status and headers."""
    from ._response import request_id_of

    log.debug(
        "Response %s %s -> %d in %.1f ms (attempt %d, request id %s) headers=%s",
        method,
        url,
        status,
        elapsed * 1000,
        attempt,
        request_id_of(headers),
        redacted(headers),
    )


def response_failed(
    method: str, url: Any, elapsed: float, error: BaseException, attempt: int
) -> None:
    """The DEBUG line of an attempt that got no response."""
    log.debug(
        "Request %s %s failed after %.1f ms (attempt %d): %s",
        method,
        url,
        elapsed * 1000,
        attempt,
        type(error).__name__,
    )


def body_received(method: str, url: Any, content: bytes, sent: Mapping[str, str]) -> None:
    """The DEBUG line of a response body (``sent``: the request's headers, whose
    credentials are redacted from it too)."""
    log.debug("Response body %s %s: %s", method, url, shorten(content, secrets_of(sent)))


class StreamLog:
    """Logs a stream's opening and end, counting its events."""

    __slots__ = ("count", "what")

    def __init__(self, what: str) -> None:
        self.what = what
        self.count = 0

    def starting(self) -> None:
        """The stream sends its request."""

    def on_retry(self, attempt: int, delay: float, error: BaseException) -> None:
        """Retries are logged by the retry policy."""

    def opened(self, status: int, request_id: str | None) -> None:
        log.debug("Stream %s opened: status %d, request id %s", self.what, status, request_id)

    def events(self, items: list[Any]) -> None:
        self.count += len(items)

    def closed(self, done: bool, error: BaseException | None) -> None:
        how = "ended" if done else "closed early"
        if error is not None:
            how = f"failed ({type(error).__name__})"
        log.debug("Stream %s %s after %d events", self.what, how, self.count)

"""``client.audio.realtime``: realtime transcription over a WebSocket, and
``client.realtime.sessions``: the short-lived tokens browser apps connect with."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from yarl import URL

from .._errors import InvalidParameterError
from .._resource_slot import ResourceSlot
from .._session import CallSettings, _drop, _headers, _put, check_header_value, flat_pairs
from ..lib.realtime import (
    AsyncRealtimeTranscriptionSession,
    AudioFormat,
    RealtimeClientSession,
    prepare_audio,
    session_payload,
)
from ._base import AsyncResource, cast_to

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import RequestOptions

__all__ = [
    "DEFAULT_REALTIME_PATH",
    "AsyncRealtime",
    "AsyncRealtimeSessions",
    "AsyncRealtimeTranscription",
]

DEFAULT_REALTIME_PATH: Final = "/v1/audio/transcriptions/realtime"
"""Where the API serves realtime transcription (``path=`` changes it, for self-hosted servers)."""

_SESSIONS_PATH: Final = "/v1/client/sessions"
_SUBPROTOCOL: Final = "realtime"
_UNSAFE_PATH: Final = re.compile(r"[\x00-\x20\x7f#?]")
_TOKEN: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP token (RFC 9110)
_NOT_OPTIONS: Final = ("cache", "admin_api_key")
_client_session = cast_to(RealtimeClientSession)


class AsyncRealtimeTranscription(AsyncResource):
    """Realtime transcription: stream audio over a WebSocket, get the text as it is spoken."""

    __slots__ = ()

    def transcribe(
        self,
        *,
        model: str,
        audio_format: AudioFormat | Mapping[str, Any] | None = None,
        target_streaming_delay_ms: int | None = None,
        token: str | None = None,
        path: str = DEFAULT_REALTIME_PATH,
        raise_on_error: bool = True,
        heartbeat: float | None = 30.0,
        **options: Unpack[RequestOptions],
    ) -> AsyncRealtimeTranscriptionSession:
        """Open a realtime transcription session (when entered with ``async with``).

        ::

            async with client.audio.realtime.transcribe(
                model="voxtral-mini-transcribe-realtime-2602",
                audio_format={"encoding": "pcm_s16le", "sample_rate": 16000},
            ) as session:
                await session.send_audio(pcm_bytes)
                await session.end()
                async for event in session:
                    ...

        Args:
            model: The realtime model (``voxtral-mini-transcribe-realtime-2602``).
            audio_format: The audio's ``encoding`` (``pcm_s16le``, ``pcm_s32le``,
                ``pcm_f16le``, ``pcm_f32le``, ``pcm_mulaw``, ``pcm_alaw``) and
                ``sample_rate`` in Hz, as an :class:`AudioFormat` or a dict; sent in a
                ``session.update`` once the session is created. Left out: the server's
                default.
            target_streaming_delay_ms: How far behind the audio the transcript may lag
                (sent in the same ``session.update``).
            token: A short-lived token from ``client.realtime.sessions.create`` to connect
                with instead of the API key (sent, as the API documents for browsers, in
                the ``Sec-WebSocket-Protocol`` header: ``realtime, <token>``; the API key
                is then not sent at all).
            path: The WebSocket's path on the client's server (for self-hosted servers);
                the URL is the client's base URL with ``http`` -> ``ws``, ``https`` ->
                ``wss``, and ``?model=...``.
            raise_on_error: ``True`` (default): an ``error`` message from the server raises
                :class:`~mistral_async.RealtimeError` and closes the socket. ``False``: it
                is delivered as a :class:`RealtimeErrorEvent` and the session goes on.
            heartbeat: Seconds between WebSocket pings that detect a dead connection
                (``None``: no pings).

        Per-call options: ``stream_timeout`` bounds the opening (handshake and
        ``session.created``; default: the client's, 60 s); ``max_retries`` retries a failed
        opening (429, 5xx, connection errors) but never once it is open; ``api_key``,
        ``extra_headers`` and ``extra_query`` apply to the handshake; ``extra_body`` fields
        are added to the ``session.update``. A refused handshake raises the status's
        error (401 :class:`~mistral_async.AuthenticationError`, 403
        :class:`~mistral_async.PermissionDeniedError`, 429
        :class:`~mistral_async.RateLimitError`...).
        """
        return self._session(
            model,
            audio_format,
            target_streaming_delay_ms,
            token,
            path,
            raise_on_error,
            heartbeat,
            dict(options),
            audio=None,
        )

    def transcribe_stream(
        self,
        audio: str
        | os.PathLike[str]
        | bytes
        | bytearray
        | memoryview
        | AsyncIterable[bytes]
        | Iterable[bytes],
        *,
        model: str,
        audio_format: AudioFormat | Mapping[str, Any] | None = None,
        target_streaming_delay_ms: int | None = None,
        token: str | None = None,
        path: str = DEFAULT_REALTIME_PATH,
        raise_on_error: bool = True,
        heartbeat: float | None = 30.0,
        **options: Unpack[RequestOptions],
    ) -> AsyncRealtimeTranscriptionSession:
        """Transcribe a whole audio source in one call: iterate the result for its events.

        ::

            async with client.audio.realtime.transcribe_stream(
                "call.wav", model="voxtral-mini-transcribe-realtime-2602"
            ) as events:
                async for event in events:
                    ...
            # or: text = (await client.audio.realtime.transcribe_stream(...)
            #             .get_final_transcription()).text

        ``audio`` is a path to a WAV file (its header gives the format: mono, one of the
        realtime encodings; ``audio_format``, when given, must match it, else
        :class:`~mistral_async.InvalidParameterError` is raised before connecting) or to a
        raw PCM file (in ``audio_format``), bytes (WAV or raw PCM), or an async or plain
        iterable of audio chunks (a live source). The audio is sent in the background,
        about 100 ms per message, then ``input_audio.end``; the events end with
        ``transcription.done``. Other parameters are those of :meth:`transcribe`. An
        error raised by the audio source is raised to the reader and closes the session.
        """
        fmt = None if audio_format is None else AudioFormat.coerce(audio_format)
        chunks, fmt = prepare_audio(audio, fmt)
        return self._session(
            model,
            fmt,
            target_streaming_delay_ms,
            token,
            path,
            raise_on_error,
            heartbeat,
            dict(options),
            audio=chunks,
        )

    def _session(
        self,
        model: str,
        audio_format: AudioFormat | Mapping[str, Any] | None,
        delay: int | None,
        token: str | None,
        path: str,
        raise_on_error: bool,
        heartbeat: float | None,
        options: dict[str, Any],
        *,
        audio: AsyncIterable[bytes] | Iterable[bytes] | None,
    ) -> AsyncRealtimeTranscriptionSession:
        """Check everything the caller gave (before connecting) and build the session."""
        for name in _NOT_OPTIONS:
            if name in options:
                raise InvalidParameterError(name, "is not an option of realtime transcription")
        if not isinstance(model, str) or not model:
            raise InvalidParameterError("model", f"must be a non-empty string, not {model!r}")
        if not isinstance(raise_on_error, bool):
            raise InvalidParameterError("raise_on_error", "must be True or False")
        if heartbeat is not None and (
            isinstance(heartbeat, bool)
            or not isinstance(heartbeat, int | float)
            or not heartbeat > 0
        ):
            raise InvalidParameterError(
                "heartbeat", f"must be a positive number of seconds or None, not {heartbeat!r}"
            )
        _check_path(path)
        extra_body = options.pop("extra_body", None)
        if extra_body is not None and not isinstance(extra_body, Mapping):
            raise InvalidParameterError("extra_body", "must be a mapping of session settings")
        payload = session_payload(audio_format, delay, extra_body)
        client = self._client
        config = client._config
        settings = CallSettings(config, options) if options else None  # type: ignore[arg-type]
        if settings is not None:
            config = settings.config
        if config.route is not None:
            raise InvalidParameterError(
                "transcribe", "realtime transcription is not available through this client"
            )
        query: dict[str, Any] = {"model": model}
        if settings is not None and settings.query:
            query.update(settings.query)
        base = URL(config.base_url + path, encoded=True)
        url = base.with_scheme("wss" if base.scheme == "https" else "ws").with_query(
            flat_pairs(query)
        )
        protocols: tuple[str, ...] = ()
        if token is None:
            config.require_key("bearer", settings)
            bearer_config = config

            async def headers() -> dict[str, str]:
                return dict(await _headers(bearer_config, settings, "bearer", json_body=False))

        else:
            _check_token(token)
            protocols = (_SUBPROTOCOL, token)
            plain = dict(config.base_headers)
            if settings is not None:
                for name, value in settings.headers_override.items():
                    _put(plain, name, value)
            for secret in ("authorization", "x-api-key", config.key_header.lower()):
                _drop(plain, secret)

            async def headers() -> dict[str, str]:
                return plain

        return AsyncRealtimeTranscriptionSession(
            client._core,
            url,
            headers,
            protocols=protocols,
            session_update=payload,
            retry=config.retry,
            open_timeout=config.stream_timeout,
            heartbeat=None if heartbeat is None else float(heartbeat),
            raise_on_error=raise_on_error,
            audio=audio,
            model=model,
        )


def _check_path(path: Any) -> None:
    if (
        not isinstance(path, str)
        or not path.startswith("/")
        or path.startswith("//")
        or _UNSAFE_PATH.search(path)
    ):
        raise InvalidParameterError(
            "path",
            "must be a path starting with '/' (not a URL), without spaces, control "
            f"characters, '?' or '#'; got {path!r}",
        )


def _check_token(token: Any) -> None:
    if not isinstance(token, str) or not token:
        raise InvalidParameterError("token", "must be a non-empty string (a realtime token)")
    check_header_value("token", token)
    if not _TOKEN.fullmatch(token):
        raise InvalidParameterError(
            "token", "must be a realtime token (letters, digits and -._~ ...), not this text"
        )


class AsyncRealtimeSessions(AsyncResource):
    """Client sessions: short-lived realtime tokens for apps that must not hold the API key."""

    __slots__ = ()

    async def create(
        self,
        *,
        model: str,
        purpose: str = "realtime",
        **options: Unpack[RequestOptions],
    ) -> RealtimeClientSession:
        """Mint a short-lived token (``rt_...``) scoped to ``model`` (``POST /v1/client/sessions``).

        Call it on your server with your API key and hand ``result.token`` (that is,
        ``result.client_secret.value``) to the browser, which opens the realtime WebSocket
        with it in ``Sec-WebSocket-Protocol`` (``realtime, <token>``); or pass it to
        ``client.audio.realtime.transcribe(token=...)``. ``expires_at`` says until when
        it may open a session. Fields of the answer this SDK does not know are kept.
        """
        if not isinstance(model, str) or not model:
            raise InvalidParameterError("model", f"must be a non-empty string, not {model!r}")
        if not isinstance(purpose, str) or not purpose:
            raise InvalidParameterError("purpose", f"must be a non-empty string, not {purpose!r}")
        result: RealtimeClientSession = await self._request(
            "POST",
            _SESSIONS_PATH,
            _client_session,
            options,
            body={"purpose": purpose, "model": model},
        )
        return result


class AsyncRealtime(AsyncResource):
    """Realtime: ``sessions`` mints the short-lived tokens of browser apps."""

    __slots__ = ("__dict__",)

    sessions: ResourceSlot[AsyncRealtimeSessions] = ResourceSlot(
        ".resources.realtime:AsyncRealtimeSessions"
    )

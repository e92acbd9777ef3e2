"""Realtime transcription over a WebSocket: the session, its typed events and audio sources.

:class:`AsyncRealtimeTranscriptionSession` is what ``client.audio.realtime.transcribe``
returns: an async context manager and an async iterator of events, with methods that
send audio. It runs over aiohttp's own WebSocket client, on the client's aiohttp session
(so its proxy, TLS and connection settings apply).

The protocol (JSON text messages both ways)::

    client -> server   session.update         {"session": {"audio_format": {...}, ...}}
                       input_audio.append     {"audio": "<base64 audio>"}
                       input_audio.flush      transcribe what was sent so far
                       input_audio.end        no more audio: finish the transcription
    server -> client   session.created        first message: the session's settings
                       session.updated        after a session.update
                       transcription.language / transcription.text.delta /
                       transcription.segment  as the audio is transcribed
                       transcription.done     the whole transcription, last
                       error                  {"error": {"message": ..., "code": ...}}
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import struct
from collections import deque
from collections.abc import AsyncIterable, Callable, Iterable, Iterator, Mapping
from http import HTTPStatus
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Literal, Self, TypeAlias

import aiohttp
import attrs

from .._converter import Model, converter, json_default
from .._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    InvalidParameterError,
    MistralError,
    RealtimeError,
    make_status_error,
)
from .._json import dumps, loads
from .._response import request_id_of
from .._retry import RetryPolicy, call_with_retries
from .._session import CLIENT_ERRORS, map_exception
from .._streaming import AsyncStream
from .._types import Headers
from ..types.audio import (
    TranscriptionResponse,
    TranscriptionSegmentChunk,
    TranscriptionStreamDone,
    TranscriptionStreamEvent,
    TranscriptionStreamLanguage,
    TranscriptionStreamSegmentDelta,
    TranscriptionStreamTextDelta,
)

if TYPE_CHECKING:
    from yarl import URL

    from .._session import SessionCore

__all__ = [
    "AUDIO_ENCODINGS",
    "AsyncRealtimeTranscriptionSession",
    "AudioEncoding",
    "AudioFormat",
    "RealtimeClientSecret",
    "RealtimeClientSession",
    "RealtimeErrorDetail",
    "RealtimeErrorEvent",
    "RealtimeEvent",
    "RealtimeSessionCreated",
    "RealtimeSessionInfo",
    "RealtimeSessionUpdated",
    "UnknownRealtimeEvent",
]

log: Final = logging.getLogger("mistral_async")

AudioEncoding: TypeAlias = Literal[
    "pcm_s16le", "pcm_s32le", "pcm_f16le", "pcm_f32le", "pcm_mulaw", "pcm_alaw"
]
"""The audio encodings of realtime transcription (raw samples, little-endian)."""

AUDIO_ENCODINGS: Final[Mapping[str, int]] = {
    "pcm_s16le": 2,
    "pcm_s32le": 4,
    "pcm_f16le": 2,
    "pcm_f32le": 4,
    "pcm_mulaw": 1,
    "pcm_alaw": 1,
}
"""Bytes per sample of each encoding realtime transcription takes (mono audio)."""


# -- types -------------------------------------------------------------------------------------


@attrs.define(slots=True)
class AudioFormat(Model):
    """The format of the audio sent: an encoding (``"pcm_s16le"``...) and a sample rate (Hz)."""

    encoding: str
    sample_rate: int

    @classmethod
    def coerce(cls, value: Any, name: str = "audio_format") -> AudioFormat:
        """An :class:`AudioFormat` from itself or a dict, checked; raises
        :class:`InvalidParameterError` naming what is wrong."""
        if isinstance(value, AudioFormat):
            encoding, rate = value.encoding, value.sample_rate
        elif isinstance(value, Mapping):
            unknown = sorted(set(value) - {"encoding", "sample_rate"})
            if unknown:
                raise InvalidParameterError(name, f"unknown field {unknown[0]!r}")
            for key in ("encoding", "sample_rate"):
                if key not in value:
                    raise InvalidParameterError(f"{name}.{key}", "is required")
            encoding, rate = value["encoding"], value["sample_rate"]
        else:
            raise InvalidParameterError(
                name,
                "must be an AudioFormat or a dict like "
                f"{{'encoding': 'pcm_s16le', 'sample_rate': 16000}}, not {type(value).__name__}",
            )
        if encoding not in AUDIO_ENCODINGS:
            raise InvalidParameterError(
                f"{name}.encoding",
                f"must be one of {', '.join(AUDIO_ENCODINGS)}, not {encoding!r}",
            )
        if isinstance(rate, bool) or not isinstance(rate, int) or not 1 <= rate <= 1_000_000:
            raise InvalidParameterError(
                f"{name}.sample_rate", f"must be a positive int (Hz), not {rate!r}"
            )
        return cls(encoding, rate)

    def describe(self) -> str:
        """``"pcm_s16le at 16000 Hz"``."""
        return f"{self.encoding} at {self.sample_rate} Hz"


@attrs.define(slots=True)
class RealtimeSessionInfo(Model):
    """The settings of a realtime session, as the server reports them."""

    request_id: str | None = None
    model: str | None = None
    audio_format: AudioFormat | None = None
    target_streaming_delay_ms: int | None = None


@attrs.define(slots=True)
class RealtimeSessionCreated(TranscriptionStreamEvent):
    """The first event of a session: the session's settings (``session``)."""

    session: RealtimeSessionInfo = attrs.Factory(RealtimeSessionInfo)
    type: Literal["session.created"] = "session.created"


@attrs.define(slots=True)
class RealtimeSessionUpdated(TranscriptionStreamEvent):
    """The server took a ``session.update``: the session's new settings (``session``)."""

    session: RealtimeSessionInfo = attrs.Factory(RealtimeSessionInfo)
    type: Literal["session.updated"] = "session.updated"


@attrs.define(slots=True)
class RealtimeErrorDetail(Model):
    """What went wrong: a ``message`` (text, or an object) and the server's ``code``."""

    message: Any = None
    code: int | str | None = None


@attrs.define(slots=True)
class RealtimeErrorEvent(TranscriptionStreamEvent):
    """An ``error`` message of the server (delivered with ``raise_on_error=False``)."""

    error: RealtimeErrorDetail = attrs.Factory(RealtimeErrorDetail)
    type: Literal["error"] = "error"

    @property
    def text(self) -> str:
        """The error's message as text."""
        return _error_text(self.error.message)


@attrs.define(slots=True)
class UnknownRealtimeEvent(TranscriptionStreamEvent):
    """A message this version of the SDK does not know, kept as received.

    Its fields are attributes (and :attr:`extra_fields`, :meth:`to_dict`). A message
    that is not a JSON object has ``type`` None and its text in ``raw``.
    """

    raw: str | None = None


RealtimeEvent: TypeAlias = (
    RealtimeSessionCreated
    | RealtimeSessionUpdated
    | TranscriptionStreamLanguage
    | TranscriptionStreamTextDelta
    | TranscriptionStreamSegmentDelta
    | TranscriptionStreamDone
    | RealtimeErrorEvent
    | UnknownRealtimeEvent
)
"""Any event of a realtime transcription session; tell them apart with ``isinstance``."""


@attrs.define(slots=True)
class RealtimeClientSecret(Model):
    """A short-lived realtime token (``rt_...``): ``value`` is the secret, kept out of reprs."""

    value: str = attrs.field(repr=False)
    expires_at: str | None = None


@attrs.define(slots=True)
class RealtimeClientSession(Model):
    """A minted client session: ``client_secret.value`` is the token a browser connects with."""

    client_secret: RealtimeClientSecret
    object: str = "client.session"
    purpose: str = "realtime"
    expires_at: str | None = None

    @property
    def token(self) -> str:
        """The token (``client_secret.value``), for ``transcribe(token=...)`` or a browser."""
        return self.client_secret.value


_EVENTS: Final[dict[str, type[Any]]] = {
    "session.created": RealtimeSessionCreated,
    "session.updated": RealtimeSessionUpdated,
    "transcription.language": TranscriptionStreamLanguage,
    "transcription.text.delta": TranscriptionStreamTextDelta,
    "transcription.segment": TranscriptionStreamSegmentDelta,
    "transcription.done": TranscriptionStreamDone,
    "error": RealtimeErrorEvent,
}
_hooks: dict[str, Callable[[Any, Any], Any]] = {}


def _unknown(payload: Any, raw: str | None) -> UnknownRealtimeEvent:
    if type(payload) is dict:
        data = dict(payload)
        if not isinstance(data.get("type"), str | None):
            data["_type"] = data.pop("type")
        event: UnknownRealtimeEvent = converter.structure(data, UnknownRealtimeEvent)
        return event
    return UnknownRealtimeEvent(None, raw)


def parse_event(payload: Any, raw: str | None = None) -> RealtimeEvent:
    """The typed event of a decoded server message; never fails (unknown or malformed
    messages become :class:`UnknownRealtimeEvent`, their fields kept)."""
    if type(payload) is not dict:
        return _unknown(payload, raw)
    tag = payload.get("type")
    hook = _hooks.get(tag)  # type: ignore[arg-type]
    if hook is None:
        cls = _EVENTS.get(tag)  # type: ignore[arg-type]
        if cls is None:
            return _unknown(payload, raw)
        hook = _hooks[tag] = converter.get_structure_hook(cls)  # type: ignore[index]
    try:
        event: RealtimeEvent = hook(payload, None)
    except Exception:  # noqa: BLE001 - a message that does not fit is passed through
        return _unknown(payload, raw)
    return event


def _error_text(message: Any) -> str:
    if isinstance(message, str) and message:
        return message
    if isinstance(message, dict):
        for key in ("detail", "message"):
            if isinstance(message.get(key), str):
                return str(message[key])
    if message:
        return str(message)
    return "realtime transcription error"


# -- audio sources -----------------------------------------------------------------------------

AudioSource = (
    str | os.PathLike[str] | bytes | bytearray | memoryview | AsyncIterable[bytes] | Iterable[bytes]
)
"""What the one-call form transcribes: a WAV or raw PCM file (path), bytes, or chunks."""

_WAV_FORMATS: Final[Mapping[tuple[int, int], str]] = {
    (1, 16): "pcm_s16le",
    (1, 32): "pcm_s32le",
    (3, 16): "pcm_f16le",
    (3, 32): "pcm_f32le",
    (6, 8): "pcm_alaw",
    (7, 8): "pcm_mulaw",
}
_EXTENSIBLE: Final = 0xFFFE
_DEFAULT_CHUNK: Final = 3200


class WavInfo:
    """What a WAV header says: the audio's format and where its samples are."""

    __slots__ = ("channels", "data_offset", "data_size", "format")

    def __init__(self, fmt: AudioFormat, channels: int, data_offset: int, data_size: int) -> None:
        self.format = fmt
        self.channels = channels
        self.data_offset = data_offset
        self.data_size = data_size


def is_wav(head: bytes) -> bool:
    """Whether ``head`` (the first 12 bytes or more) starts a RIFF/WAVE file."""
    return len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE"


def read_wav_header(read: Callable[[int], bytes], where: str) -> WavInfo:
    """Parse a WAV header from ``read(n)`` (a file's or a buffer's); the reader is left at
    the start of the samples. Raises :class:`InvalidParameterError` (``audio``) when the
    file is not a WAV this API takes."""

    def bad(reason: str) -> InvalidParameterError:
        return InvalidParameterError("audio", f"{where}: {reason}")

    riff = read(12)
    if not is_wav(riff):
        raise bad("not a RIFF/WAVE file")
    offset = 12
    fmt: tuple[int, int, int, int] | None = None
    while True:
        head = read(8)
        if len(head) < 8:
            raise bad("no 'data' chunk")
        chunk_id, size = head[:4], struct.unpack("<I", head[4:])[0]
        offset += 8
        if chunk_id == b"fmt ":
            body = read(size + (size & 1))
            if len(body) < 16:
                raise bad("the 'fmt ' chunk is too short")
            tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == _EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack("<H", body[24:26])[0]  # the sub-format GUID's first bytes
            fmt = (tag, channels, rate, bits)
            offset += size + (size & 1)
        elif chunk_id == b"data":
            if fmt is None:
                raise bad("the 'data' chunk comes before the 'fmt ' chunk")
            tag, channels, rate, bits = fmt
            encoding = _WAV_FORMATS.get((tag, bits))
            if encoding is None:
                raise bad(
                    f"its samples (format tag {tag}, {bits} bits) are not one of the realtime "
                    f"encodings ({', '.join(AUDIO_ENCODINGS)})"
                )
            if channels != 1:
                raise bad(f"it has {channels} channels; realtime transcription takes mono audio")
            return WavInfo(AudioFormat(encoding, rate), channels, offset, size)
        else:
            skipped = read(size + (size & 1))
            if len(skipped) < size:
                raise bad("it ends inside a chunk")
            offset += size + (size & 1)


def _file_chunks(path: str, start: int, size: int | None, chunk: int) -> Iterator[bytes]:
    with open(path, "rb") as f:
        f.seek(start)
        left = size
        while left is None or left > 0:
            data = f.read(chunk if left is None else min(chunk, left))
            if not data:
                return
            if left is not None:
                left -= len(data)
            yield data


def _buffer_chunks(data: bytes, chunk: int) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(view), chunk):
        yield bytes(view[start : start + chunk])


def prepare_audio(
    audio: Any, audio_format: AudioFormat | None
) -> tuple[AsyncIterable[bytes] | Iterable[bytes], AudioFormat | None]:
    """Check an audio source and the format given with it, before anything is sent.

    A WAV (file or bytes) gives its own format, which must match ``audio_format`` when that
    is given; raw PCM takes ``audio_format`` as it is (or the server's default). Returns
    the chunks to send and the format to put in ``session.update``.
    """
    if isinstance(audio, str | os.PathLike):
        path = os.fspath(audio)
        if not os.path.isfile(path):
            raise InvalidParameterError("audio", f"no such file: {path!r}")
        with open(path, "rb") as f:
            head = f.read(12)
            if is_wav(head):
                f.seek(0)
                info = read_wav_header(f.read, path)
                fmt = _match(info.format, audio_format, "the WAV file")
                return _file_chunks(path, info.data_offset, info.data_size, _chunk(fmt)), fmt
        return _file_chunks(path, 0, None, _chunk(audio_format)), audio_format
    if isinstance(audio, bytes | bytearray | memoryview):
        data = bytes(audio)
        if is_wav(data[:12]):
            pos = [0]

            def read(n: int) -> bytes:
                piece = data[pos[0] : pos[0] + n]
                pos[0] += len(piece)
                return piece

            info = read_wav_header(read, "the WAV bytes")
            fmt = _match(info.format, audio_format, "the WAV bytes")
            end = info.data_offset + info.data_size
            return _buffer_chunks(data[info.data_offset : end], _chunk(fmt)), fmt
        return _buffer_chunks(data, _chunk(audio_format)), audio_format
    if isinstance(audio, AsyncIterable | Iterable):
        return audio, audio_format
    raise InvalidParameterError(
        "audio",
        "must be a path to a WAV or raw PCM file, bytes, or an (async) iterable of bytes, "
        f"not {type(audio).__name__}",
    )


def _match(found: AudioFormat, given: AudioFormat | None, what: str) -> AudioFormat:
    if given is not None and (given.encoding, given.sample_rate) != (
        found.encoding,
        found.sample_rate,
    ):
        raise InvalidParameterError(
            "audio_format",
            f"{given.describe()} does not match {what}, which is {found.describe()}",
        )
    return found


def _chunk(fmt: AudioFormat | None) -> int:
    """About 100 ms of audio per message."""
    if fmt is None:
        return _DEFAULT_CHUNK
    return max(AUDIO_ENCODINGS[fmt.encoding] * fmt.sample_rate // 10, 1)


# -- the session -------------------------------------------------------------------------------

_APPEND_HEAD: Final = '{"type":"input_audio.append","audio":"'
_APPEND_TAIL: Final = '"}'
_FLUSH: Final = '{"type":"input_audio.flush"}'
_END: Final = '{"type":"input_audio.end"}'
_CLOSE_TIMEOUT: Final = 5.0
_b64encode = base64.b64encode
_TEXT: Final = aiohttp.WSMsgType.TEXT
_BINARY: Final = aiohttp.WSMsgType.BINARY
_ENDED: Final = frozenset(
    {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED}
)

HeadersFn = Callable[[], Any]
"""An async function returning the handshake headers (keys are read at connect time)."""


class AsyncRealtimeTranscriptionSession(AsyncStream[RealtimeEvent]):
    """A realtime transcription session: send audio, read typed events.

    ::

        async with client.audio.realtime.transcribe(
            model="voxtral-mini-transcribe-realtime-2602",
            audio_format={"encoding": "pcm_s16le", "sample_rate": 16000},
        ) as session:
            await session.send_audio(pcm)      # as often as audio comes
            await session.end()                # no more audio
            async for event in session:        # session.created first, transcription.done last
                if isinstance(event, TranscriptionStreamTextDelta):
                    print(event.text, end="")

    The socket opens when the session is entered (or first used) and closes when the
    block is left, whatever the reason (exception, ``break``, cancellation), or once
    ``transcription.done`` arrives. Events are read as you iterate: read them while you
    send (another task, or the one-call ``transcribe_stream``) for a live source.
    An ``error`` message raises :class:`~mistral_async.RealtimeError` (or is delivered as a
    :class:`RealtimeErrorEvent` with ``raise_on_error=False``); a socket that breaks raises
    :class:`~mistral_async.APIConnectionError`.
    """

    def __init__(
        self,
        core: SessionCore,
        url: URL,
        headers: HeadersFn,
        *,
        protocols: tuple[str, ...] = (),
        session_update: Mapping[str, Any] | None = None,
        retry: RetryPolicy,
        open_timeout: float | None,
        heartbeat: float | None,
        raise_on_error: bool = True,
        audio: AsyncIterable[bytes] | Iterable[bytes] | None = None,
        model: str = "",
    ) -> None:
        # No SSE response behind this stream: the base class's HTTP state stays empty.
        self._items: deque[RealtimeEvent] = deque()
        self._response = None
        self._core = core
        self._url = url
        self._headers_fn = headers
        self._protocols = protocols
        self._session_update = dict(session_update) if session_update else None
        self._retry = retry
        self._open_timeout = open_timeout
        self._heartbeat = heartbeat
        self._raise_on_error = raise_on_error
        self._audio = audio
        self._model = model
        self._what = f"GET {url.path}"
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._headers: Headers | None = None
        self._status = 0
        self._info: RealtimeSessionInfo | None = None
        self._started = False
        self._done = False
        self._closed = False
        self._ended = False
        self._error: BaseException | None = None
        self._sender: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._text: list[str] = []
        self._segments: list[TranscriptionSegmentChunk] = []
        self._language: str | None = None
        self._final: TranscriptionStreamDone | None = None

    # -- state -------------------------------------------------------------------------------

    @property
    def session(self) -> RealtimeSessionInfo | None:
        """The session's settings as the server last reported them (None before it opens)."""
        return self._info

    @property
    def request_id(self) -> str | None:
        """The session's request id (from ``session.created``, else the handshake headers)."""
        info = self._info
        if info is not None and info.request_id:
            return info.request_id
        return None if self._headers is None else request_id_of(self._headers)

    @property
    def model(self) -> str:
        """The model transcribing."""
        return self._model

    @property
    def closed(self) -> bool:
        """Whether the socket is closed (or was never opened)."""
        return self._ws is None or self._ws.closed

    # -- sending -----------------------------------------------------------------------------

    async def send_audio(self, audio: bytes | bytearray | memoryview) -> None:
        """Send a chunk of audio (in the session's format) as an ``input_audio.append``.

        An empty chunk sends nothing. The session opens first if it is not open yet.
        """
        if not isinstance(audio, bytes | bytearray | memoryview):
            raise InvalidParameterError(
                "audio", f"must be bytes, bytearray or memoryview, not {type(audio).__name__}"
            )
        ws = self._ws
        if ws is None or self._ended:
            ws = await self._for_sending()
        if audio:
            await self._send(ws, _APPEND_HEAD + _b64encode(audio).decode("ascii") + _APPEND_TAIL)

    async def flush(self) -> None:
        """Ask the server to transcribe the audio sent so far (``input_audio.flush``)."""
        await self._send(await self._for_sending(), _FLUSH)

    async def end(self) -> None:
        """Say no more audio comes (``input_audio.end``); ``transcription.done`` follows."""
        ws = await self._for_sending()
        self._ended = True
        await self._send(ws, _END)

    async def update_session(
        self,
        *,
        audio_format: AudioFormat | Mapping[str, Any] | None = None,
        target_streaming_delay_ms: int | None = None,
        **fields: Any,
    ) -> None:
        """Change the session's settings (``session.update``); ``session.updated`` follows.

        ``fields`` are sent as they are, beside ``audio_format`` and
        ``target_streaming_delay_ms``, for settings newer than this SDK.
        """
        payload = session_payload(audio_format, target_streaming_delay_ms, fields)
        if not payload:
            raise InvalidParameterError("update_session", "give at least one setting to change")
        ws = await self._for_sending()
        await self._send(ws, _message("session.update", payload))

    async def _for_sending(self) -> aiohttp.ClientWebSocketResponse:
        if not self._started:
            await self._start()
        if self._closed:
            raise MistralError("This realtime session was closed")
        if self._ended:
            raise MistralError("This realtime session's audio was ended (input_audio.end)")
        ws = self._ws
        if ws is None or ws.closed:
            if self._done:
                raise MistralError("This realtime session is finished (transcription.done)")
            raise APIConnectionError("The realtime socket is closed", request_id=self.request_id)
        return ws

    async def _send(self, ws: aiohttp.ClientWebSocketResponse, text: str) -> None:
        try:
            await ws.send_str(text)
            return
        except CLIENT_ERRORS as exc:
            error = _connection_error(exc, "sending", self.request_id)
        raise error

    # -- opening -----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        if not self._started:
            await self._start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _start(self) -> None:
        self._started = True
        self._loop = asyncio.get_running_loop()
        try:
            await call_with_retries(self._open_attempt, self._retry, self._what)
        except BaseException:
            self._closed = True
            await self._close_ws()
            raise
        if self._audio is not None:
            self._sender = asyncio.create_task(self._send_all(self._audio))

    async def _open_attempt(self) -> None:
        await self._close_ws()
        self._items.clear()
        headers = await self._headers_fn()
        try:
            if self._open_timeout is None:
                await self._open(headers)
            else:
                async with asyncio.timeout(self._open_timeout):
                    await self._open(headers)
        except TimeoutError:
            await self._close_ws()
            raise APITimeoutError(
                f"The realtime session did not open within {self._open_timeout:g} s "
                "(handshake and session.created)",
                request_id=self.request_id,
            ) from None
        except BaseException:
            await self._close_ws()
            raise

    async def _open(self, headers: Mapping[str, str]) -> None:
        loop = asyncio.get_running_loop()
        session = self._core._session_for(loop)
        log.debug("Opening a realtime transcription session: %s", self._what)
        self._ws = await _connect(
            session, self._url, headers, self._protocols, self._heartbeat, self
        )
        # Until session.created: what comes before it is kept, an error ends the attempt.
        while True:
            event = await self._receive()
            if event is None:
                raise self._take_error() or APIConnectionError(
                    "The realtime socket closed before session.created",
                    request_id=self.request_id,
                )
            self._items.append(event)
            if type(event) is RealtimeSessionCreated:
                break
        if self._session_update:
            await self._send(self._ws, _message("session.update", self._session_update))

    async def _send_all(self, audio: AsyncIterable[bytes] | Iterable[bytes]) -> None:
        """The one-call form's sender: every chunk, then ``input_audio.end``."""
        try:
            if isinstance(audio, AsyncIterable):
                async for chunk in audio:
                    await self.send_audio(chunk)
            else:
                for chunk in audio:
                    await self.send_audio(chunk)
                    await asyncio.sleep(0)  # let the events be read while a file is sent
            await self.end()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - handed to the reader
            if not self._closed and not self._done:
                self._error = exc
                ws = self._ws
                if ws is not None:
                    await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY)

    # -- reading -----------------------------------------------------------------------------

    async def __anext__(self) -> RealtimeEvent:
        items = self._items
        if items:
            return items.popleft()
        return await self._next_slow()

    async def _next_slow(self) -> RealtimeEvent:
        if not self._started:
            await self._start()
            if self._items:
                return self._items.popleft()
        if self._closed or self._done:
            await self._shut()
            raise StopAsyncIteration
        try:
            event = await self._receive()
        except BaseException:
            await self._shut()
            raise
        if event is None:
            error = self._take_error()
            await self._shut()
            if error is not None:
                raise error
            raise StopAsyncIteration
        return event

    async def _receive(self) -> RealtimeEvent | None:
        """The next event; None when the socket closed (the reason in ``self._error``)."""
        ws = self._ws
        if ws is None:
            return None
        try:
            msg = await ws.receive()
        except CLIENT_ERRORS as exc:
            if self._error is None:
                self._error = _connection_error(exc, "reading", self.request_id)
            return None
        kind = msg.type
        if kind is _TEXT:
            text = msg.data
        elif kind is _BINARY:
            text = msg.data.decode("utf-8", "replace")
        else:
            if self._error is None and not self._done and not self._closed:
                if kind in _ENDED:
                    self._error = APIConnectionError(
                        "The realtime socket was closed before transcription.done "
                        f"(close code {ws.close_code})",
                        request_id=self.request_id,
                    )
                else:
                    self._error = _connection_error(msg.data, "reading", self.request_id)
            return None
        try:
            payload = loads(text)
        except ValueError:
            return UnknownRealtimeEvent(None, text)
        event = parse_event(payload, text)
        return self._note(event, payload)

    def _note(self, event: RealtimeEvent, payload: Any) -> RealtimeEvent | None:
        """Keep track of what an event changes (session settings, the transcript so far)."""
        if type(event) is TranscriptionStreamTextDelta:
            self._text.append(event.text)
        elif type(event) is TranscriptionStreamSegmentDelta:
            self._segments.append(
                TranscriptionSegmentChunk(
                    event.text, event.start, event.end, speaker_id=event.speaker_id
                )
            )
        elif type(event) is TranscriptionStreamLanguage:
            self._language = event.audio_language
        elif type(event) is RealtimeSessionCreated or type(event) is RealtimeSessionUpdated:
            self._info = event.session
        elif type(event) is TranscriptionStreamDone:
            self._final = event
            self._done = True
        elif type(event) is RealtimeErrorEvent and self._raise_on_error:
            detail: RealtimeErrorDetail = event.error
            self._error = RealtimeError(
                _error_text(detail.message),
                body=payload,
                code=None if detail.code is None else str(detail.code),
                request_id=self.request_id,
                event=event,
            )
            return None
        return event

    def _take_error(self) -> BaseException | None:
        error, self._error = self._error, None
        return error

    async def get_final_transcription(self) -> TranscriptionResponse:
        """Read the rest of the session and return the whole transcription.

        ``transcription.done``'s text, language, segments and usage win; the text deltas,
        language and segments received stand in for whatever it leaves empty (all of them,
        including those you already read).
        """
        async for _ in self:
            pass
        done = self._final
        if done is None:
            return TranscriptionResponse(
                "".join(self._text), model=self._model, language=self._language,
                segments=list(self._segments),
            )  # fmt: skip
        result = TranscriptionResponse(
            done.text or "".join(self._text),
            model=done.model or self._model,
            language=done.language or self._language,
            segments=list(done.segments or self._segments),
            usage=done.usage,
        )
        if done.extra_fields:
            result._extra = dict(done.extra_fields)
        return result

    # -- closing -----------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the socket (a normal close, code 1000); the session cannot be used after."""
        self._items.clear()
        await self._shut()

    async def _shut(self) -> None:
        """Stop the sender (one-call form) and close the socket; also when cancelled."""
        self._closed = True
        try:
            sender, self._sender = self._sender, None
            if sender is not None and sender is not asyncio.current_task():
                sender.cancel()
                # wait() neither raises the sender's outcome nor swallows our cancellation.
                await asyncio.wait([sender])
        finally:
            await self._close_ws()

    async def _close_ws(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None and not ws.closed:
            # aiohttp drops the connection itself if the close handshake times out or the
            # close is cancelled.
            await ws.close()

    def __del__(self) -> None:
        pass  # nothing of the base class's HTTP state to release

    def __repr__(self) -> str:
        state = (
            "done" if self._done else "closed" if self._closed
            else "open" if self._ws is not None else "new"
        )  # fmt: skip
        return f"<AsyncRealtimeTranscriptionSession model={self._model!r} {state}>"


def session_payload(
    audio_format: AudioFormat | Mapping[str, Any] | None,
    target_streaming_delay_ms: int | None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``session`` object of a ``session.update`` (checked; empty when nothing is set)."""
    payload: dict[str, Any] = {}
    if audio_format is not None:
        payload["audio_format"] = AudioFormat.coerce(audio_format).to_dict()
    if target_streaming_delay_ms is not None:
        delay = target_streaming_delay_ms
        if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
            raise InvalidParameterError(
                "target_streaming_delay_ms", f"must be an int >= 0 (ms), not {delay!r}"
            )
        payload["target_streaming_delay_ms"] = delay
    if extra:
        payload.update(extra)
    return payload


def _message(kind: str, session: Mapping[str, Any]) -> str:
    try:
        return dumps({"type": kind, "session": session}, json_default).decode()
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError("session", f"cannot be sent as JSON: {exc}") from None


def _connection_error(exc: BaseException, doing: str, request_id: str | None) -> APIError:
    """The SDK's error for a broken socket (never chained: aiohttp's errors carry headers)."""
    if isinstance(exc, APIError):
        return exc
    error = map_exception(exc) if isinstance(exc, BaseException) else None
    if isinstance(error, APIError) and not isinstance(error, APITimeoutError):
        error = APIConnectionError(
            f"The realtime connection broke while {doing}: {type(exc).__name__}",
            request_id=request_id,
        )
    if not isinstance(error, APIError):
        error = APIConnectionError(f"The realtime connection broke while {doing}")
    if error.request_id is None:
        error.request_id = request_id
    return error


async def _connect(
    session: aiohttp.ClientSession,
    url: URL,
    headers: Mapping[str, str],
    protocols: tuple[str, ...],
    heartbeat: float | None,
    owner: AsyncRealtimeTranscriptionSession,
) -> aiohttp.ClientWebSocketResponse:
    """Open the WebSocket; a refused handshake becomes the status's typed error.

    aiohttp's handshake errors are not chained: they carry the request's headers (the key).
    """
    error: MistralError
    try:
        ws = await session.ws_connect(
            url,
            headers=headers,
            protocols=protocols,
            heartbeat=heartbeat,
            autoping=True,
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=_CLOSE_TIMEOUT),
            max_msg_size=16 * 1024 * 1024,
        )
    except aiohttp.WSServerHandshakeError as exc:
        resp_headers = Headers(list((exc.headers or {}).items()))
        status = exc.status
        if status >= 400:
            try:
                reason = HTTPStatus(status).phrase
            except ValueError:
                reason = ""
            error = make_status_error(
                status,
                f"The realtime handshake was refused: {status} {reason}".rstrip(),
                resp_headers,
                b"",
                request_id_of(resp_headers),
            )
        else:
            error = APIConnectionError(
                f"The server did not accept the WebSocket upgrade (status {status}: {exc.message})",
                request_id=request_id_of(resp_headers),
            )
    except CLIENT_ERRORS as exc:
        error = map_exception(exc)
    else:
        # The handshake response's headers (x-request-id...): aiohttp keeps them on the side.
        response = getattr(ws, "_response", None)
        owner._status = getattr(response, "status", 101)
        owner._headers = Headers(list(getattr(response, "headers", {}).items()))
        return ws
    raise error

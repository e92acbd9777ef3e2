"""Realtime transcription over a WebSocket, and ``POST /v1/client/sessions`` (realtime tokens).

``GET /v1/audio/transcriptions/realtime?model=...`` upgrades to a WebSocket that speaks the
API's realtime protocol. Credentials: ``Authorization: Bearer <api key>``, or a token
minted by ``POST /v1/client/sessions`` offered as ``Sec-WebSocket-Protocol: realtime,
<token>`` (or as the bearer). An unknown or expired token gets a 401, a token minted for
another model a 403; the handshake answers ``realtime`` as the subprotocol, never the token.

The transcript is deterministic: the audio received is cut in blocks of
:data:`BYTES_PER_WORD` bytes, and each block becomes one word of :data:`WORDS`, picked by
the first byte of the block's SHA-256. ``input_audio.flush`` turns the partial block left
(if any) into a word too and closes a ``transcription.segment`` (the words since the last
one, timed from byte offsets and the audio format); ``input_audio.end`` does the same, then
sends ``transcription.done`` and closes the socket. ``transcription.language`` (``"en"``)
comes before the first text delta. :func:`transcript_of` gives the text of audio sent
without flushes.

Faults for tests live in :class:`RealtimeState` (``fake.state(RealtimeState)``):
``extra_events`` (sent right after ``session.created``), ``error_after`` (an ``error``
message after that many appends; the session goes on) and ``drop_after`` (the connection
dropped, without a close frame, after that many appends). ``sessions`` records each
session (auth used, messages, audio bytes, how it was closed).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import math
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from aiohttp import WSMsgType, web

from .._app import Abort, Call, FakeApp
from .._validation import Body, Str

__all__ = [
    "BYTES_PER_WORD",
    "REALTIME_PATH",
    "WORDS",
    "RealtimeRecord",
    "RealtimeState",
    "realtime_socket",
    "register",
    "transcript_of",
]

REALTIME_PATH: Final = "/v1/audio/transcriptions/realtime"
BYTES_PER_WORD: Final = 3200
"""Audio bytes per word of the fake transcript (100 ms of 16 kHz ``pcm_s16le``)."""
WORDS: Final = (
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "red",
    "orange",
    "yellow",
    "green",
    "blue",
    "indigo",
    "violet",
    "black",
    "white",
    "grey",
    "north",
    "south",
    "east",
    "west",
    "spring",
    "summer",
    "autumn",
    "winter",
    "sun",
    "moon",
    "star",
    "sky",
    "sea",
    "land",
    "river",
    "lake",
    "hill",
    "stone",
)
TOKEN_TTL: Final = 60.0
_ENCODINGS: Final = {
    "pcm_s16le": 2,
    "pcm_s32le": 4,
    "pcm_f16le": 2,
    "pcm_f32le": 4,
    "pcm_mulaw": 1,
    "pcm_alaw": 1,
}
_DEFAULT_FORMAT: Final = {"encoding": "pcm_s16le", "sample_rate": 16000}
_CREATE_SESSION = Body(
    "ClientSessionCreate",
    required={"model": Str(min_length=1)},
    optional={"purpose": Str(enum=["realtime"])},
)
_BAD_MESSAGE: Final = 4000
_INJECTED: Final = 3804


def word_of(block: bytes) -> str:
    """The fake transcript's word for one block of audio."""
    return WORDS[hashlib.sha256(block).digest()[0] % len(WORDS)]


def transcript_of(audio: bytes, bytes_per_word: int = BYTES_PER_WORD) -> str:
    """The text the fake server transcribes ``audio`` to, sent without ``input_audio.flush``."""
    return " ".join(
        word_of(audio[i : i + bytes_per_word]) for i in range(0, len(audio), bytes_per_word)
    )


@dataclass
class RealtimeRecord:
    """One realtime session the fake server served."""

    model: str
    auth: str
    """``"api_key"`` or ``"token"``."""
    path: str
    protocol: str | None
    audio_format: dict[str, Any] = field(default_factory=lambda: dict(_DEFAULT_FORMAT))
    messages: list[str] = field(default_factory=list)
    """The ``type`` of each client message, in order."""
    audio_bytes: int = 0
    closed: bool = False
    close_code: int | None = None


class RealtimeState:
    """Realtime sessions, minted tokens and injected faults of one fake server."""

    def __init__(self) -> None:
        self.sessions: list[RealtimeRecord] = []
        self.tokens: dict[str, tuple[str, float]] = {}
        """Minted tokens: token -> (model, expiry on ``time.monotonic()``)."""
        self.token_ttl = TOKEN_TTL
        self.extra_events: list[Any] = []
        self.error_after: int | None = None
        self.drop_after: int | None = None


def register(app: FakeApp) -> None:
    """Add the realtime WebSocket and the client sessions route."""
    app.route("GET", REALTIME_PATH, realtime_socket, auth="none")
    app.route("POST", "/v1/client/sessions", create_client_session)


async def create_client_session(call: Call) -> web.StreamResponse:
    """``POST /v1/client/sessions``: mint a short-lived ``rt_`` token scoped to a model."""
    payload = await call.json(_CREATE_SESSION)
    state = call.state(RealtimeState)
    token = "rt_" + secrets.token_urlsafe(24)
    state.tokens[token] = (payload["model"], time.monotonic() + state.token_ttl)
    expires = (datetime.now(UTC) + timedelta(seconds=state.token_ttl)).isoformat(timespec="seconds")
    expires = expires.replace("+00:00", "Z")
    return call.ok(
        {
            "object": "client.session",
            "purpose": payload.get("purpose", "realtime"),
            "model": payload["model"],
            "expires_at": expires,
            "client_secret": {"value": token, "expires_at": expires},
        },
        status=201,
    )


def _authenticate(call: Call, state: RealtimeState, model: str) -> tuple[str, str | None]:
    """Which credentials the handshake carries: ``("api_key" | "token", protocol)``."""
    scheme, _, bearer = call.headers.get("Authorization", "").strip().partition(" ")
    bearer = bearer.strip() if scheme.lower() == "bearer" else ""
    offered = [
        p.strip() for p in call.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()
    ]
    protocol = "realtime" if "realtime" in offered else None
    if bearer and bearer == call.app.api_key:
        return "api_key", protocol
    candidates = [bearer] if bearer else []
    candidates += [p for p in offered if p != "realtime"]
    for token in candidates:
        minted = state.tokens.get(token)
        if minted is None:
            continue
        token_model, expiry = minted
        if time.monotonic() >= expiry:
            raise Abort(call.error(401, "The realtime token has expired"))
        if token_model != model:
            raise Abort(call.error(403, f"This realtime token is for the model {token_model!r}"))
        return "token", protocol
    raise Abort(call.error(401, "Unauthorized"))


async def realtime_socket(call: Call) -> web.StreamResponse:
    """``GET /v1/audio/transcriptions/realtime?model=...``: the realtime WebSocket."""
    model = call.query.get("model", "")
    if not model:
        return call.error(400, "The 'model' query parameter is required")
    state = call.state(RealtimeState)
    auth, protocol = _authenticate(call, state, model)
    ws = web.WebSocketResponse(protocols=("realtime",), max_msg_size=16 * 1024 * 1024)
    if not ws.can_prepare(call.request).ok:
        return call.error(400, "This path takes a WebSocket upgrade")
    ws.headers["x-request-id"] = call.request_id
    await ws.prepare(call.request)
    record = RealtimeRecord(model=model, auth=auth, path=call.path, protocol=protocol)
    state.sessions.append(record)
    watcher = asyncio.create_task(_close_on_shutdown(call.app, ws))
    try:
        await _serve(call, ws, state, record)
    finally:
        watcher.cancel()
        record.closed = True
        record.close_code = ws.close_code
    return ws


async def _close_on_shutdown(app: FakeApp, ws: web.WebSocketResponse) -> None:
    while not await app.pause(3600):
        pass
    await ws.close(code=1001, message=b"server shutting down")


async def _serve(
    call: Call, ws: web.WebSocketResponse, state: RealtimeState, record: RealtimeRecord
) -> None:
    session: dict[str, Any] = {
        "request_id": call.request_id,
        "model": record.model,
        "audio_format": dict(_DEFAULT_FORMAT),
        "target_streaming_delay_ms": None,
    }
    await _send(ws, {"type": "session.created", "session": session})
    for event in state.extra_events:
        await (ws.send_str(event) if isinstance(event, str) else _send(ws, event))
    words = _Transcriber(session)
    appends = 0
    async for msg in ws:
        if msg.type is not WSMsgType.TEXT:
            if msg.type is WSMsgType.BINARY:
                await _error(ws, "Send JSON text messages, not binary ones")
            continue
        try:
            payload = json.loads(msg.data)
        except ValueError:
            await _error(ws, "The message is not valid JSON")
            continue
        kind = payload.get("type") if isinstance(payload, dict) else None
        record.messages.append(str(kind))
        if kind == "input_audio.append":
            audio = payload.get("audio")
            try:
                data = base64.b64decode(audio, validate=True) if isinstance(audio, str) else None
            except (binascii.Error, ValueError):
                data = None
            if data is None:
                await _error(ws, "input_audio.append needs base64 audio in 'audio'")
                continue
            appends += 1
            record.audio_bytes += len(data)
            for event in words.feed(data):
                await _send(ws, event)
            if state.drop_after is not None and appends >= state.drop_after:
                transport = call.request.transport
                if transport is not None:
                    transport.abort()
                return
            if state.error_after is not None and appends == state.error_after:
                await _error(ws, "Injected failure", code=_INJECTED)
        elif kind == "input_audio.flush":
            for event in words.flush():
                await _send(ws, event)
        elif kind == "input_audio.end":
            for event in words.finish():
                await _send(ws, event)
            await ws.close()
            return
        elif kind == "session.update":
            problem = _update(session, payload.get("session"))
            if problem is not None:
                await _error(ws, problem)
                continue
            record.audio_format = dict(session["audio_format"])
            await _send(ws, {"type": "session.updated", "session": session})
        else:
            await _error(ws, f"Unknown message type: {kind!r}")


def _update(session: dict[str, Any], changes: Any) -> str | None:
    """Apply a ``session.update``; the reason it is refused, if it is."""
    if not isinstance(changes, dict):
        return "session.update needs a 'session' object"
    fmt = changes.get("audio_format")
    if fmt is not None:
        if not isinstance(fmt, dict) or fmt.get("encoding") not in _ENCODINGS:
            return f"audio_format.encoding must be one of {', '.join(_ENCODINGS)}"
        rate = fmt.get("sample_rate")
        if isinstance(rate, bool) or not isinstance(rate, int) or rate <= 0:
            return "audio_format.sample_rate must be a positive integer"
    delay = changes.get("target_streaming_delay_ms")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, int) or delay < 0):
        return "target_streaming_delay_ms must be an integer >= 0"
    session.update(changes)
    return None


class _Transcriber:
    """The fake transcript: one word per block of audio (see the module's documentation)."""

    def __init__(self, session: dict[str, Any]) -> None:
        self.session = session
        self.pending = bytearray()
        self.words: list[str] = []
        self.segments: list[dict[str, Any]] = []
        self.consumed = 0
        self.segment_word = 0
        self.segment_byte = 0

    def _seconds(self, offset: int) -> float:
        fmt = self.session["audio_format"]
        per_second: int = _ENCODINGS.get(fmt["encoding"], 2) * fmt["sample_rate"]
        return round(offset / per_second, 3)

    def _word(self, block: bytes) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        if not self.words:
            events.append({"type": "transcription.language", "audio_language": "en"})
        word = word_of(block)
        events.append(
            {"type": "transcription.text.delta", "text": word if not self.words else " " + word}
        )
        self.words.append(word)
        self.consumed += len(block)
        return events

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self.pending += data
        events: list[dict[str, Any]] = []
        while len(self.pending) >= BYTES_PER_WORD:
            block = bytes(self.pending[:BYTES_PER_WORD])
            del self.pending[:BYTES_PER_WORD]
            events += self._word(block)
        return events

    def flush(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        if self.pending:
            events += self._word(bytes(self.pending))
            self.pending.clear()
        if len(self.words) > self.segment_word:
            segment = {
                "type": "transcription.segment",
                "text": " ".join(self.words[self.segment_word :]),
                "start": self._seconds(self.segment_byte),
                "end": self._seconds(self.consumed),
            }
            self.segments.append(
                {**segment, "type": "transcription_segment"}  # the done event's chunk type
            )
            events.append(segment)
            self.segment_word, self.segment_byte = len(self.words), self.consumed
        return events

    def finish(self) -> list[dict[str, Any]]:
        events = self.flush()
        count = len(self.words)
        events.append(
            {
                "type": "transcription.done",
                "model": self.session["model"],
                "text": " ".join(self.words),
                "language": "en",
                "segments": self.segments,
                "usage": {
                    "prompt_audio_seconds": math.ceil(self._seconds(self.consumed)),
                    "prompt_tokens": count,
                    "completion_tokens": count,
                    "total_tokens": 2 * count,
                },
            }
        )
        return events


async def _send(ws: web.WebSocketResponse, event: Any) -> None:
    await ws.send_str(json.dumps(event, separators=(",", ":")))


async def _error(ws: web.WebSocketResponse, message: str, *, code: int = _BAD_MESSAGE) -> None:
    await _send(
        ws, {"type": "error", "error": {"message": message, "code": code}, "id": uuid.uuid4().hex}
    )

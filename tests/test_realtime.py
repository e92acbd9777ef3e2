"""Realtime transcription over a real WebSocket (loopback) against the fake server.

The fake server's realtime group transcribes deterministically (one word per
``BYTES_PER_WORD`` bytes of audio, see ``mistral_async.testing.groups.realtime``) and
records every session in :class:`RealtimeState`: how it authenticated, the client's
messages, and how the socket was closed.
"""

from __future__ import annotations

import asyncio
import os
import time
import wave
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from mistral_async import (
    APIConnectionError,
    AsyncMistral,
    AsyncRealtimeTranscriptionSession,
    AudioFormat,
    AuthenticationError,
    InvalidParameterError,
    Mistral,
    PermissionDeniedError,
    RateLimitError,
    RealtimeClientSession,
    RealtimeError,
    RealtimeErrorEvent,
    RealtimeSessionCreated,
    RealtimeSessionUpdated,
    UnknownRealtimeEvent,
)
from mistral_async.testing import FakeApp, FakeMistral
from mistral_async.testing.groups.realtime import (
    BYTES_PER_WORD,
    RealtimeRecord,
    RealtimeState,
    realtime_socket,
    transcript_of,
)
from mistral_async.types.audio import (
    TranscriptionStreamDone,
    TranscriptionStreamLanguage,
    TranscriptionStreamSegmentDelta,
    TranscriptionStreamTextDelta,
)

pytestmark = pytest.mark.anyio

MODEL = "voxtral-mini-transcribe-realtime-2602"
PCM16K = {"encoding": "pcm_s16le", "sample_rate": 16000}
AUDIO = bytes((i * 7 + i // 300) % 256 for i in range(4 * BYTES_PER_WORD + 1000))  # 5 words


def client_for(fake: FakeMistral, **kwargs: Any) -> AsyncMistral:
    kwargs.setdefault("api_key", fake.api_key)
    return AsyncMistral(server_url=fake.url, **kwargs)


def sessions(fake: FakeMistral) -> list[RealtimeRecord]:
    return fake.state(RealtimeState).sessions


async def wait_closed(fake: FakeMistral, index: int = -1) -> RealtimeRecord:
    """The server's record of a session, once the server has seen its socket close."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = sessions(fake)
        if found and found[index].closed:
            return found[index]
        await asyncio.sleep(0.01)
    raise AssertionError(f"the server did not see the socket close: {sessions(fake)}")


async def collect(session: AsyncRealtimeTranscriptionSession) -> list[Any]:
    return [event async for event in session]


# -- a whole session -------------------------------------------------------------------------


async def test_full_session_typed_events_in_order(fake_mistral: FakeMistral) -> None:
    async with (
        client_for(fake_mistral) as client,
        client.audio.realtime.transcribe(model=MODEL, audio_format=PCM16K) as session,
    ):
        assert session.status_code == 101
        half = len(AUDIO) // 2
        await session.send_audio(AUDIO[:half])
        await session.send_audio(memoryview(AUDIO)[half:])
        await session.send_audio(b"")  # nothing to send
        await session.flush()
        await session.end()
        events = await collect(session)
    kinds = [type(e) for e in events]
    assert kinds[:3] == [
        RealtimeSessionCreated,
        RealtimeSessionUpdated,
        TranscriptionStreamLanguage,
    ]
    assert kinds[-2:] == [TranscriptionStreamSegmentDelta, TranscriptionStreamDone]
    deltas = [e.text for e in events if isinstance(e, TranscriptionStreamTextDelta)]
    expected = transcript_of(AUDIO)
    assert "".join(deltas) == expected
    assert len(deltas) == 5
    created, updated = events[0], events[1]
    assert created.session.model == MODEL
    assert updated.session.audio_format == AudioFormat("pcm_s16le", 16000)
    done = events[-1]
    assert done.text == expected and done.language == "en" and done.model == MODEL
    assert [s.text for s in done.segments] == [expected]
    segment = events[-2]
    assert (segment.start, segment.end) == (0.0, round(len(AUDIO) / 32000, 3))
    assert session.request_id == created.session.request_id
    record = await wait_closed(fake_mistral)
    assert record.auth == "api_key"
    assert record.messages == [
        "session.update",
        "input_audio.append",
        "input_audio.append",
        "input_audio.flush",
        "input_audio.end",
    ]
    assert record.audio_bytes == len(AUDIO)
    request = fake_mistral.last_request
    assert request.path == "/v1/audio/transcriptions/realtime"
    assert request.query == {"model": MODEL}
    assert request.headers["authorization"] == f"Bearer {fake_mistral.api_key}"


async def test_session_update_carries_format_delay_and_extra_fields(
    fake_mistral: FakeMistral,
) -> None:
    async with (
        client_for(fake_mistral) as client,
        client.audio.realtime.transcribe(
            model=MODEL,
            audio_format=AudioFormat("pcm_f32le", 24000),
            target_streaming_delay_ms=480,
            extra_body={"language_hint": "fr"},
        ) as session,
    ):
        await session.update_session(audio_format={"encoding": "pcm_mulaw", "sample_rate": 8000})
        await session.end()
        events = await collect(session)
    updates = [e for e in events if isinstance(e, RealtimeSessionUpdated)]
    assert len(updates) == 2
    first = updates[0].session
    assert first.audio_format == AudioFormat("pcm_f32le", 24000)
    assert first.target_streaming_delay_ms == 480
    assert first.language_hint == "fr"  # an unknown field, kept
    assert updates[1].session.audio_format == AudioFormat("pcm_mulaw", 8000)
    assert session.session is not None
    assert session.session.audio_format == AudioFormat("pcm_mulaw", 8000)
    record = await wait_closed(fake_mistral)
    assert record.audio_format == {"encoding": "pcm_mulaw", "sample_rate": 8000}
    assert record.messages == ["session.update", "session.update", "input_audio.end"]


async def test_no_session_update_without_settings(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        session = client.audio.realtime.transcribe(model=MODEL)
        async with session:
            await session.send_audio(AUDIO)
            await session.end()
            result = await session.get_final_transcription()
    assert result.text == transcript_of(AUDIO)
    assert result.usage is not None and result.usage.total_tokens == 10
    assert (await wait_closed(fake_mistral)).messages == ["input_audio.append", "input_audio.end"]


async def test_unknown_messages_are_passed_through(fake_mistral: FakeMistral) -> None:
    fake_mistral.state(RealtimeState).extra_events = [
        {"type": "session.heartbeat", "n": 1},
        "this is not JSON",
        [1, 2],
        {"type": "transcription.text.delta"},  # a known type that does not fit: kept too
    ]
    async with (
        client_for(fake_mistral) as client,
        client.audio.realtime.transcribe(model=MODEL) as session,
    ):
        await session.end()
        events = await collect(session)
    assert isinstance(events[0], RealtimeSessionCreated)
    unknown = events[1:5]
    assert all(isinstance(e, UnknownRealtimeEvent) for e in unknown)
    assert unknown[0].type == "session.heartbeat" and unknown[0].n == 1
    assert unknown[0].to_dict() == {"type": "session.heartbeat", "n": 1}
    assert unknown[1].type is None and unknown[1].raw == "this is not JSON"
    assert unknown[2].raw == "[1,2]"
    assert unknown[3].type == "transcription.text.delta"
    assert isinstance(events[-1], TranscriptionStreamDone)


# -- errors ------------------------------------------------------------------------------------


async def test_server_error_message_raises_realtime_error(fake_mistral: FakeMistral) -> None:
    fake_mistral.state(RealtimeState).error_after = 1
    seen: list[Any] = []
    async with client_for(fake_mistral) as client:
        with pytest.raises(RealtimeError) as info:
            async with client.audio.realtime.transcribe(model=MODEL) as session:
                await session.send_audio(AUDIO)
                async for event in session:
                    seen.append(event)
    error = info.value
    assert error.code == "3804" and error.message == "Injected failure"
    assert isinstance(error.event, RealtimeErrorEvent)
    assert error.body["type"] == "error"
    assert error.request_id == seen[0].session.request_id
    # The events before the error were delivered first.
    assert [type(e) for e in seen[:2]] == [RealtimeSessionCreated, TranscriptionStreamLanguage]
    assert len([e for e in seen if isinstance(e, TranscriptionStreamTextDelta)]) == 4
    record = await wait_closed(fake_mistral)
    assert record.close_code == 1000


async def test_server_error_as_event_with_raise_on_error_false(fake_mistral: FakeMistral) -> None:
    fake_mistral.state(RealtimeState).error_after = 1
    async with (
        client_for(fake_mistral) as client,
        client.audio.realtime.transcribe(model=MODEL, raise_on_error=False) as session,
    ):
        await session.send_audio(AUDIO)
        await session.send_audio(AUDIO)
        await session.end()
        events = await collect(session)
    errors = [e for e in events if isinstance(e, RealtimeErrorEvent)]
    assert len(errors) == 1
    assert errors[0].error.code == 3804 and errors[0].text == "Injected failure"
    assert isinstance(events[-1], TranscriptionStreamDone)
    assert events[-1].text == transcript_of(AUDIO + AUDIO)


async def test_handshake_401_is_authentication_error(fake_mistral: FakeMistral) -> None:
    secret = "wrong-key-0123456789"
    async with client_for(fake_mistral, api_key=secret) as client:
        with pytest.raises(AuthenticationError) as info:
            async with client.audio.realtime.transcribe(model=MODEL):
                pytest.fail("the handshake must be refused")
    error = info.value
    assert error.status_code == 401
    assert "handshake was refused" in error.message
    assert isinstance(error.request_id, str) and len(error.request_id) == 32
    for text in (str(error), repr(error), repr(error.__context__), repr(error.__cause__)):
        assert secret not in text
    assert sessions(fake_mistral) == []


@pytest.mark.parametrize(
    ("status", "error_type"), [(403, PermissionDeniedError), (429, RateLimitError)]
)
async def test_handshake_refusals_are_typed(
    fake_mistral: FakeMistral, status: int, error_type: type[Exception]
) -> None:
    fake_mistral.fail_next(status=status, headers={"Retry-After": "0"})
    async with client_for(fake_mistral, max_retries=0) as client:
        session = client.audio.realtime.transcribe(model=MODEL)
        with pytest.raises(error_type) as info:
            await session.__aenter__()
    assert info.value.status_code == status  # type: ignore[attr-defined]
    assert info.value.headers["retry-after"] == "0"  # type: ignore[attr-defined]
    assert session.closed
    with pytest.raises(Exception, match="closed"):
        await session.send_audio(b"x")


async def test_handshake_is_retried_before_the_session_opens(fake_mistral: FakeMistral) -> None:
    fake_mistral.fail_next(status=429, headers={"Retry-After": "0"})
    async with client_for(fake_mistral, max_retries=1) as client:
        stream = client.audio.realtime.transcribe_stream(AUDIO, model=MODEL)
        result = await stream.get_final_transcription()
    assert result.text == transcript_of(AUDIO)
    assert len(sessions(fake_mistral)) == 1
    assert len([r for r in fake_mistral.requests if "realtime" in r.path]) == 2


async def test_refused_connection_is_connection_error() -> None:
    async with AsyncMistral(api_key="k" * 10, server_url="http://127.0.0.1:9", max_retries=0) as c:
        with pytest.raises(APIConnectionError):
            async with c.audio.realtime.transcribe(model=MODEL):
                pass


async def test_dropped_socket_mid_session_is_connection_error(fake_mistral: FakeMistral) -> None:
    fake_mistral.state(RealtimeState).drop_after = 2
    async with client_for(fake_mistral) as client:
        with pytest.raises(APIConnectionError) as info:
            async with client.audio.realtime.transcribe(model=MODEL) as session:
                for _ in range(2):
                    await session.send_audio(AUDIO[:100])
                async for _ in session:
                    pass
    assert not isinstance(info.value, RealtimeError)
    assert "closed before transcription.done" in str(info.value)
    assert session.closed
    record = await wait_closed(fake_mistral)
    assert record.messages == ["input_audio.append", "input_audio.append"]


async def test_sending_on_a_dropped_socket_is_connection_error(fake_mistral: FakeMistral) -> None:
    fake_mistral.state(RealtimeState).drop_after = 1
    async with client_for(fake_mistral) as client:
        with pytest.raises(APIConnectionError):
            async with client.audio.realtime.transcribe(model=MODEL) as session:
                await session.send_audio(AUDIO[:10])
                await wait_closed(fake_mistral)
                for _ in range(50):  # the client learns of the drop on its next writes
                    await session.send_audio(AUDIO[:10])
                    await asyncio.sleep(0.01)
                async for _ in session:
                    pass


# -- closing -----------------------------------------------------------------------------------


async def test_leaving_the_block_early_closes_the_socket(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        async with client.audio.realtime.transcribe(model=MODEL) as session:
            async for event in session:
                assert isinstance(event, RealtimeSessionCreated)
                break
            assert not session.closed
        assert session.closed
        record = await wait_closed(fake_mistral)
        assert record.close_code == 1000
        assert "closed" in repr(session)


async def test_an_exception_in_the_block_closes_the_socket(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(ZeroDivisionError):
            async with client.audio.realtime.transcribe(model=MODEL) as session:
                await session.send_audio(AUDIO)
                _ = 1 / 0
        assert session.closed
        assert (await wait_closed(fake_mistral)).close_code == 1000


async def test_cancellation_closes_the_socket(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        opened = asyncio.Event()

        async def read_forever() -> None:
            async with client.audio.realtime.transcribe(model=MODEL) as session:
                opened.set()
                async for _ in session:  # no audio: waits for events that never come
                    pass

        task = asyncio.create_task(read_forever())
        await opened.wait()
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert (await wait_closed(fake_mistral)).close_code == 1000


async def test_iterating_to_the_end_closes_the_socket(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        session = client.audio.realtime.transcribe(model=MODEL)  # no async with
        await session.send_audio(AUDIO)  # opens it
        await session.end()
        events = await collect(session)
        assert isinstance(events[-1], TranscriptionStreamDone)
        assert session.closed
        await wait_closed(fake_mistral)
        with pytest.raises(Exception, match="closed"):
            await session.send_audio(AUDIO)


# -- the path, the one-call form ---------------------------------------------------------------


async def test_the_path_is_configurable() -> None:
    def self_hosted(app: FakeApp) -> None:
        app.route("GET", "/stt/v2/live", realtime_socket, auth="none")

    async with FakeMistral(extra_groups=[self_hosted]) as fake:
        async with client_for(fake) as client:
            stream = client.audio.realtime.transcribe_stream(
                AUDIO, model=MODEL, path="/stt/v2/live", extra_query={"tenant": "a b"}
            )
            result = await stream.get_final_transcription()
        assert result.text == transcript_of(AUDIO)
        assert fake.state(RealtimeState).sessions[0].path == "/stt/v2/live"
        request = fake.last_request
        assert request.query == {"model": MODEL, "tenant": "a b"}


@pytest.mark.parametrize(
    "path", ["v1/x", "//evil.example/x", "/a b", "/x?model=y", "/x#f", "https://h/x", 3]
)
async def test_a_bad_path_raises_before_connecting(fake_mistral: FakeMistral, path: Any) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(InvalidParameterError, match="path"):
            client.audio.realtime.transcribe(model=MODEL, path=path)
    assert fake_mistral.requests == []


async def test_one_call_from_an_async_iterator(fake_mistral: FakeMistral) -> None:
    async def microphone() -> AsyncIterator[bytes]:
        for start in range(0, len(AUDIO), 1234):
            await asyncio.sleep(0)
            yield AUDIO[start : start + 1234]

    async with (
        client_for(fake_mistral) as client,
        client.audio.realtime.transcribe_stream(
            microphone(), model=MODEL, audio_format=PCM16K
        ) as events,
    ):
        received = [event async for event in events]
    assert isinstance(received[0], RealtimeSessionCreated)
    assert isinstance(received[-1], TranscriptionStreamDone)
    assert received[-1].text == transcript_of(AUDIO)
    record = await wait_closed(fake_mistral)
    assert record.messages[0] == "session.update" and record.messages[-1] == "input_audio.end"
    assert record.messages.count("input_audio.append") == -(-len(AUDIO) // 1234)


async def test_an_audio_source_error_reaches_the_reader(fake_mistral: FakeMistral) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield AUDIO
        raise OSError("the microphone went away")

    async with client_for(fake_mistral) as client:
        with pytest.raises(OSError, match="microphone"):
            async with client.audio.realtime.transcribe_stream(broken(), model=MODEL) as events:
                async for _ in events:
                    pass
    await wait_closed(fake_mistral)


def write_wav(path: Path, frames: bytes, *, rate: int, width: int = 2, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(frames)


async def test_one_call_from_a_wav_file(fake_mistral: FakeMistral, tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    write_wav(path, AUDIO, rate=8000)
    async with client_for(fake_mistral) as client:
        result = await client.audio.realtime.transcribe_stream(
            path, model=MODEL, audio_format={"encoding": "pcm_s16le", "sample_rate": 8000}
        ).get_final_transcription()
        # Without audio_format, the header gives it.
        again = await client.audio.realtime.transcribe_stream(
            str(path), model=MODEL
        ).get_final_transcription()
    assert result.text == again.text == transcript_of(AUDIO)
    first, second = sessions(fake_mistral)
    assert (
        first.audio_format == second.audio_format == {"encoding": "pcm_s16le", "sample_rate": 8000}
    )
    assert first.audio_bytes == len(AUDIO)  # the samples only, not the header
    # 100 ms per message at 8 kHz, 16 bits.
    assert first.messages.count("input_audio.append") == -(-len(AUDIO) // 1600)
    assert result.segments[0].end == round(len(AUDIO) / 16000, 3)


async def test_one_call_from_wav_and_raw_bytes_and_a_raw_file(
    fake_mistral: FakeMistral, tmp_path: Path
) -> None:
    path = tmp_path / "call.wav"
    write_wav(path, AUDIO, rate=16000)
    raw = tmp_path / "call.pcm"
    raw.write_bytes(AUDIO)
    async with client_for(fake_mistral) as client:
        from_bytes = await client.audio.realtime.transcribe_stream(
            path.read_bytes(), model=MODEL
        ).get_final_transcription()
        from_raw = await client.audio.realtime.transcribe_stream(
            raw, model=MODEL, audio_format=PCM16K
        ).get_final_transcription()
    assert from_bytes.text == from_raw.text == transcript_of(AUDIO)


@pytest.mark.parametrize(
    ("make", "given", "match"),
    [
        (lambda p: write_wav(p, AUDIO, rate=8000), PCM16K, "does not match the WAV file"),
        (
            lambda p: write_wav(p, AUDIO, rate=16000, width=1),
            None,
            "not one of the realtime encodings",
        ),
        (lambda p: write_wav(p, AUDIO, rate=16000, channels=2), None, "2 channels"),
        (lambda p: p.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk"), None, "no 'data' chunk"),
    ],
)
async def test_bad_wav_raises_before_connecting(
    fake_mistral: FakeMistral,
    tmp_path: Path,
    make: Callable[[Path], None],
    given: Any,
    match: str,
) -> None:
    path = tmp_path / "bad.wav"
    make(path)
    async with client_for(fake_mistral) as client:
        with pytest.raises(InvalidParameterError, match=match) as info:
            client.audio.realtime.transcribe_stream(path, model=MODEL, audio_format=given)
    assert info.value.param in ("audio", "audio_format")
    assert fake_mistral.requests == []


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"model": ""}, "model"),
        ({"audio_format": {"encoding": "mp3", "sample_rate": 16000}}, "audio_format.encoding"),
        ({"audio_format": {"encoding": "pcm_s16le"}}, "audio_format.sample_rate"),
        ({"audio_format": {"encoding": "pcm_s16le", "sample_rate": 0}}, "audio_format.sample_rate"),
        ({"audio_format": {**PCM16K, "channels": 2}}, "audio_format"),
        ({"audio_format": "pcm_s16le"}, "audio_format"),
        ({"target_streaming_delay_ms": -1}, "target_streaming_delay_ms"),
        ({"token": "has space"}, "token"),
        ({"token": ""}, "token"),
        ({"heartbeat": 0}, "heartbeat"),
        ({"raise_on_error": "yes"}, "raise_on_error"),
        ({"cache": True}, "cache"),
        ({"extra_body": [1]}, "extra_body"),
    ],
)
async def test_bad_parameters_raise_before_connecting(
    fake_mistral: FakeMistral, kwargs: dict[str, Any], param: str
) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(InvalidParameterError) as info:
            client.audio.realtime.transcribe(**{"model": MODEL, **kwargs})
    assert info.value.param == param
    assert fake_mistral.requests == []


async def test_bad_audio_sources(fake_mistral: FakeMistral, tmp_path: Path) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(InvalidParameterError, match="no such file"):
            client.audio.realtime.transcribe_stream(tmp_path / "missing.wav", model=MODEL)
        with pytest.raises(InvalidParameterError, match="audio"):
            client.audio.realtime.transcribe_stream(12, model=MODEL)  # type: ignore[arg-type]
        session = client.audio.realtime.transcribe_stream(["not bytes"], model=MODEL)  # type: ignore[list-item]
        with pytest.raises(InvalidParameterError, match="audio"):
            await session.get_final_transcription()
    assert fake_mistral.requests[0].path.endswith("/realtime")


# -- tokens ------------------------------------------------------------------------------------


async def test_sessions_create_mints_a_token_transcribe_accepts(
    fake_mistral: FakeMistral,
) -> None:
    async with client_for(fake_mistral) as client:
        minted = await client.realtime.sessions.create(model=MODEL)
        assert isinstance(minted, RealtimeClientSession)
        token = minted.token
        assert token.startswith("rt_") and minted.client_secret.value == token
        assert minted.expires_at and minted.client_secret.expires_at == minted.expires_at
        assert minted.model == MODEL  # a field this SDK does not declare, kept
        assert token not in repr(minted)
        request = fake_mistral.last_request
        assert request.path == "/v1/client/sessions"
        assert request.json == {"purpose": "realtime", "model": MODEL}

        result = await client.audio.realtime.transcribe_stream(
            AUDIO, model=MODEL, token=token
        ).get_final_transcription()
        assert result.text == transcript_of(AUDIO)
        handshake = fake_mistral.last_request
        assert "authorization" not in handshake.headers  # the API key is not sent
        assert handshake.headers["sec-websocket-protocol"].replace(" ", "") == f"realtime,{token}"
        assert token not in handshake.path and token not in str(handshake.query)
        record = sessions(fake_mistral)[0]
        assert (record.auth, record.protocol) == ("token", "realtime")

        # A token scoped to another model is refused with 403, an unknown one with 401.
        with pytest.raises(PermissionDeniedError):
            async with client.audio.realtime.transcribe(model="other-model", token=token):
                pass
        with pytest.raises(AuthenticationError):
            async with client.audio.realtime.transcribe(model=MODEL, token="rt_unknown"):
                pass


async def test_an_expired_token_is_refused(fake_mistral: FakeMistral) -> None:
    fake_mistral.state(RealtimeState).token_ttl = -1
    async with client_for(fake_mistral) as client:
        token = (await client.realtime.sessions.create(model=MODEL)).token
        with pytest.raises(AuthenticationError, match="refused"):
            async with client.audio.realtime.transcribe(model=MODEL, token=token):
                pass


async def test_the_key_is_never_in_reprs_errors_or_urls(fake_mistral: FakeMistral) -> None:
    key = fake_mistral.api_key
    async with client_for(fake_mistral) as client:
        session = client.audio.realtime.transcribe(model=MODEL, api_key="per-call-secret-key")
        with pytest.raises(AuthenticationError) as info:
            await session.__aenter__()
        texts = [repr(session), str(info.value), repr(info.value)]
        error: BaseException | None = info.value
        while error is not None:
            texts.append(repr(error))
            error = error.__cause__ or error.__context__
        for text in texts:
            assert "per-call-secret-key" not in text
        async with client.audio.realtime.transcribe(model=MODEL) as session:
            texts = [repr(session), str(session._url), repr(session.session)]
        for text in texts:
            assert key not in text
    for request in fake_mistral.requests:
        assert key not in request.path and key not in str(request.query)


# -- the blocking client -----------------------------------------------------------------------


def test_blocking_client(fake_mistral: FakeMistral, tmp_path: Path) -> None:
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
        with client.audio.realtime.transcribe(model=MODEL, audio_format=PCM16K) as session:
            assert type(session).__name__ == "RealtimeTranscriptionSession"
            assert repr(session).startswith("<RealtimeTranscriptionSession ")
            session.send_audio(AUDIO)
            session.flush()
            session.end()
            events = list(session)
            assert session.session is not None and session.session.model == MODEL
        assert isinstance(events[0], RealtimeSessionCreated)
        assert isinstance(events[-1], TranscriptionStreamDone)
        assert events[-1].text == transcript_of(AUDIO)

        path = tmp_path / "a.wav"
        write_wav(path, AUDIO, rate=16000)
        kinds = [type(e) for e in client.audio.realtime.transcribe_stream(path, model=MODEL)]
        assert kinds[-1] is TranscriptionStreamDone
        result = client.audio.realtime.transcribe_stream(
            path, model=MODEL
        ).get_final_transcription()
        assert result.text == transcript_of(AUDIO)

        token = client.realtime.sessions.create(model=MODEL).token
        with client.audio.realtime.transcribe(model=MODEL, token=token) as session:
            for event in session:
                assert isinstance(event, RealtimeSessionCreated)
                break
    deadline = time.monotonic() + 5
    while not all(r.closed for r in sessions(fake_mistral)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [r.closed for r in sessions(fake_mistral)] == [True] * 4
    assert sessions(fake_mistral)[-1].auth == "token"


def test_blocking_handshake_error(fake_mistral: FakeMistral) -> None:
    with Mistral(api_key="wrong-key-abcdef", server_url=fake_mistral.url) as client:
        with pytest.raises(AuthenticationError):
            with client.audio.realtime.transcribe(model=MODEL):
                pass


def test_fake_transcript_helper() -> None:
    assert transcript_of(b"") == ""
    assert len(transcript_of(os.urandom(BYTES_PER_WORD * 3)).split()) == 3
    assert len(transcript_of(b"x" * (BYTES_PER_WORD + 1)).split()) == 2

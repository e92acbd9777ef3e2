"""``client.audio.transcriptions``: multipart requests, typed results, typed event streams.

Every call goes over loopback HTTP to the fake server, whose audio group records each form
it accepted in :class:`TranscriptionsState`.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from mistral_async import (
    APIStreamError,
    AsyncMistral,
    InvalidParameterError,
    Mistral,
    NotFoundError,
    UnprocessableEntityError,
)
from mistral_async.testing import Call, FakeApp, FakeMistral, FilesState, RecordedRequest
from mistral_async.testing.groups.audio import TranscriptionsState
from mistral_async.types.audio import (
    TranscriptionResponse,
    TranscriptionSegmentChunk,
    TranscriptionStreamDone,
    TranscriptionStreamLanguage,
    TranscriptionStreamSegmentDelta,
    TranscriptionStreamTextDelta,
    UnknownTranscriptionStreamEvent,
)

pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parent.parent
PATH = "/v1/audio/transcriptions"
MODEL = "voxtral-mini-latest"
AUDIO = bytes(range(256)) * 250  # 64,000 bytes: 2 s for the fake server


def client_for(fake: FakeMistral, **kwargs: Any) -> AsyncMistral:
    return AsyncMistral(api_key=fake.api_key, server_url=fake.url, **kwargs)


def form_parts(request: RecordedRequest) -> list[tuple[str, str | None, bytes]]:
    """The (name, filename, content) of each part of a recorded multipart body."""
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    assert isinstance(message, EmailMessage) and message.is_multipart()
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        name = part.get_param("name", header="content-disposition")
        assert isinstance(name, str)
        parts.append((name, part.get_filename(), payload))
    return parts


def accepted(fake: FakeMistral) -> list[dict[str, Any]]:
    return fake.state(TranscriptionsState).requests


# -- complete --------------------------------------------------------------------------------


async def test_complete_uploads_the_file_with_every_field(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        result = await client.audio.transcriptions.complete(
            model=MODEL,
            file=("interview.wav", AUDIO, "audio/wav"),
            language="fr",
            temperature=0.2,
            diarize=True,
            context_bias=["Mistral", "Voxtral"],
            timestamp_granularities=["segment"],
        )
    assert isinstance(result, TranscriptionResponse)
    assert result.model == MODEL and result.language == "fr"
    assert result.text == (
        "Hello from the fake Mistral server. This is the transcription of interview.wav, "
        "2 seconds of audio. It mentions Mistral, Voxtral."
    )
    assert [s.speaker_id for s in result.segments] == ["speaker_0", "speaker_1", "speaker_0"]
    assert all(isinstance(s, TranscriptionSegmentChunk) for s in result.segments)
    assert result.segments[0].start == 0 and result.segments[-1].end == 2
    assert " ".join(s.text for s in result.segments) == result.text
    assert result.usage is not None and result.usage.prompt_audio_seconds == 2

    sent = fake_mistral.last_request
    assert sent.method == "POST" and sent.path == PATH
    assert sent.headers["accept"] == "application/json"
    assert form_parts(sent) == [
        ("model", None, MODEL.encode()),
        ("file", "interview.wav", AUDIO),
        ("language", None, b"fr"),
        ("temperature", None, b"0.2"),
        ("diarize", None, b"true"),
        ("context_bias", None, b"Mistral"),
        ("context_bias", None, b"Voxtral"),
        ("timestamp_granularities", None, b"segment"),
    ]
    (record,) = accepted(fake_mistral)
    assert record["file"] == {
        "filename": "interview.wav",
        "content_type": "audio/wav",
        "size": 64000,
    }
    assert record["context_bias"] == ["Mistral", "Voxtral"] and record["temperature"] == 0.2


async def test_file_from_a_path_a_file_object_and_an_async_iterator(
    fake_mistral: FakeMistral, tmp_path: Path
) -> None:
    path = tmp_path / "memo.mp3"
    path.write_bytes(AUDIO)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(AUDIO), 10_000):
            yield AUDIO[start : start + 10_000]

    handle = io.BytesIO(b"skip" + AUDIO)
    handle.seek(4)  # read from the current position, as files.upload does
    async with client_for(fake_mistral) as client:
        for file in (path, str(path), handle, ("streamed.ogg", chunks())):
            result = await client.audio.transcriptions.complete(model=MODEL, file=file)
            assert "2 seconds of audio" in result.text
            assert result.segments == []  # none asked for
    files = [record["file"] for record in accepted(fake_mistral)]
    assert [f["size"] for f in files] == [len(AUDIO)] * 4
    assert [f["filename"] for f in files] == ["memo.mp3", "memo.mp3", "upload", "streamed.ogg"]
    assert files[0]["content_type"] == "audio/mpeg"


async def test_file_url_and_file_id_are_sent_as_multipart(fake_mistral: FakeMistral) -> None:
    stored = fake_mistral.state(FilesState).add(
        b"x" * 96_000, filename="call.flac", purpose="audio"
    )
    async with client_for(fake_mistral) as client:
        by_url = await client.audio.transcriptions.complete(
            model=MODEL, file_url="https://example.com/audio/talk%20one.mp3", language="de"
        )
        url_request = fake_mistral.last_request
        by_id = await client.audio.transcriptions.complete(
            model=MODEL, file_id=stored.id, timestamp_granularities=["word"]
        )
        id_request = fake_mistral.last_request
    assert "transcription of talk one.mp3," in by_url.text and by_url.language == "de"
    # Without a file part aiohttp would send a urlencoded form; the API takes multipart only.
    assert form_parts(url_request) == [
        ("model", None, MODEL.encode()),
        ("file_url", None, b"https://example.com/audio/talk%20one.mp3"),
        ("language", None, b"de"),
    ]
    assert "transcription of call.flac, 3 seconds" in by_id.text
    assert [s.text for s in by_id.segments] == by_id.text.split()  # one segment per word
    assert form_parts(id_request)[1] == ("file_id", None, stored.id.encode())


async def test_none_is_left_out(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        await client.audio.transcriptions.complete(
            model=MODEL, file=AUDIO, file_url=None, file_id=None, language=None, temperature=None
        )
    assert [name for name, _, _ in form_parts(fake_mistral.last_request)] == ["model", "file"]


async def test_unknown_file_id_is_a_404(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(NotFoundError, match="File not found: nope"):
            await client.audio.transcriptions.complete(model=MODEL, file_id="nope")


async def test_a_form_without_a_file_is_retried_whole(
    fake_mistral: FakeMistral, fast_retries: None
) -> None:
    fake_mistral.fail_next()  # one 503
    async with client_for(fake_mistral) as client:
        result = await client.audio.transcriptions.complete(
            model=MODEL, file_url="https://example.com/a.wav"
        )
    assert "transcription of a.wav" in result.text
    first, second = fake_mistral.requests
    assert first.body.replace(_boundary(first), b"") == second.body.replace(_boundary(second), b"")


def _boundary(request: RecordedRequest) -> bytes:
    return request.headers["content-type"].partition("boundary=")[2].encode()


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({}, "file"),
        ({"file": AUDIO, "file_url": "https://example.com/a.wav"}, "file"),
        ({"file_url": "https://e.com/a.wav", "file_id": "f"}, "file"),
        ({"file": 42}, "file"),
        ({"file": "/no/such/file.wav"}, "file"),
        ({"file_url": "a.wav"}, "file_url"),
        ({"file_url": "https://e.com/" + "a" * 2100}, "file_url"),
        ({"file_id": ""}, "file_id"),
        ({"file_id": "f", "model": ""}, "model"),
        ({"file_id": "f", "language": "eng"}, "language"),
        ({"file_id": "f", "language": 12}, "language"),
        ({"file_id": "f", "temperature": "hot"}, "temperature"),
        ({"file_id": "f", "diarize": "yes"}, "diarize"),
        ({"file_id": "f", "context_bias": "Mistral"}, "context_bias"),
        ({"file_id": "f", "context_bias": ["two words"]}, "context_bias[0]"),
        ({"file_id": "f", "context_bias": ["ok", "a,b"]}, "context_bias[1]"),
        ({"file_id": "f", "timestamp_granularities": ["sentence"]}, "timestamp_granularities[0]"),
    ],
)
async def test_bad_input_is_refused_before_sending(
    fake_mistral: FakeMistral, kwargs: dict[str, Any], param: str
) -> None:
    kwargs = {"model": MODEL, **kwargs}
    async with client_for(fake_mistral) as client:
        with pytest.raises(InvalidParameterError) as complete_error:
            await client.audio.transcriptions.complete(**kwargs)
        with pytest.raises(InvalidParameterError) as stream_error:
            client.audio.transcriptions.stream(**kwargs)
    assert complete_error.value.param == stream_error.value.param == param
    assert fake_mistral.requests == []


async def test_unknown_arguments_are_type_errors(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(TypeError, match="prompt"):
            await client.audio.transcriptions.complete(model=MODEL, file=AUDIO, prompt="x")  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="prompt"):
            client.audio.transcriptions.stream(model=MODEL, file=AUDIO, prompt="x")  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="model"):
            client.audio.transcriptions.stream(file=AUDIO)  # type: ignore[call-arg]
    assert fake_mistral.requests == []


# -- stream ----------------------------------------------------------------------------------


async def test_stream_yields_every_event_type_and_folds(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        whole = await client.audio.transcriptions.complete(
            model=MODEL, file=("a.wav", AUDIO), timestamp_granularities=["segment"], diarize=True
        )
        async with client.audio.transcriptions.stream(
            model=MODEL, file=("a.wav", AUDIO), timestamp_granularities=["segment"], diarize=True
        ) as stream:
            events = [event async for event in stream]
            final = await stream.get_final_transcription()
    sent = fake_mistral.last_request
    assert sent.headers["accept"] == "text/event-stream"
    assert ("stream", None, b"true") in form_parts(sent)
    assert "stream" not in {name for name, _, _ in form_parts(fake_mistral.requests[0])}

    assert isinstance(events[0], TranscriptionStreamLanguage) and events[0].audio_language == "en"
    deltas = [e for e in events if isinstance(e, TranscriptionStreamTextDelta)]
    segments = [e for e in events if isinstance(e, TranscriptionStreamSegmentDelta)]
    done = events[-1]
    assert isinstance(done, TranscriptionStreamDone)
    assert len(deltas) > 10 and len(segments) == 2
    assert "".join(d.text for d in deltas) == done.text == whole.text
    assert [s.speaker_id for s in segments] == ["speaker_0", "speaker_1"]
    assert len(events) == 1 + len(deltas) + len(segments) + 1
    assert final == whole  # same text, model, language, segments and usage


async def test_get_final_transcription_without_reading(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        stream = client.audio.transcriptions.stream(
            model=MODEL, file_url="https://example.com/x.wav", language="it"
        )
        async with stream:
            final = await stream.get_final_transcription()
    assert final.language == "it" and "transcription of x.wav" in final.text
    assert final.usage is not None and final.usage.total_tokens > 0


def _custom_stream(events: list[tuple[str | None, Any]]) -> Any:
    """An extra fake group answering transcriptions with ``events``."""

    async def handler(call: Call) -> web.StreamResponse:
        await call.form()
        return await call.sse(events, terminator=None)

    def register(app: FakeApp) -> None:
        app.route("POST", PATH, handler, replace=True)

    return register


async def test_unknown_event_types_are_passed_through() -> None:
    events: list[tuple[str | None, Any]] = [
        ("transcription.language", {"type": "transcription.language", "audio_language": "en"}),
        ("transcription.sparkle", {"type": "transcription.sparkle", "level": 3}),
        ("transcription.text.delta", {"type": "transcription.text.delta", "text": "Hi"}),
        # The type is optional in the data (the spec gives it a default): the SSE name says it.
        ("transcription.text.delta", {"text": " there"}),
        ("transcription.segment", {"text": "Hi there", "start": 0, "end": 1.5}),
        ("transcription.done", {"model": "m", "text": "Hi there", "language": "en"}),
        ("transcription.text.delta", {"text": "never read: the stream ended before"}),
    ]
    async with FakeMistral(extra_groups=[_custom_stream(events)]) as fake:
        async with client_for(fake) as client:
            stream = client.audio.transcriptions.stream(model=MODEL, file=AUDIO)
            got = [event async for event in stream]
            final = await stream.get_final_transcription()
    assert [type(e) for e in got] == [
        TranscriptionStreamLanguage,
        UnknownTranscriptionStreamEvent,
        TranscriptionStreamTextDelta,
        TranscriptionStreamTextDelta,
        TranscriptionStreamSegmentDelta,
        TranscriptionStreamDone,
    ]
    unknown = got[1]
    assert unknown.type == "transcription.sparkle" and unknown.level == 3
    assert unknown.to_dict() == {"type": "transcription.sparkle", "level": 3}
    assert final.text == "Hi there" and final.model == "m" and final.usage is None
    assert final.segments == [TranscriptionSegmentChunk("Hi there", 0, 1.5)]


async def test_deltas_stand_in_for_what_the_done_event_leaves_out() -> None:
    events: list[tuple[str | None, Any]] = [
        ("transcription.language", {"audio_language": "es"}),
        ("transcription.text.delta", {"text": "Hola"}),
        ("transcription.segment", {"text": "Hola", "start": 0.5, "end": 1, "speaker_id": "s1"}),
        ("transcription.done", {"type": "transcription.done", "usage": {"total_tokens": 4}}),
    ]
    async with FakeMistral(extra_groups=[_custom_stream(events)]) as fake:
        async with client_for(fake) as client:
            async with client.audio.transcriptions.stream(model=MODEL, file=AUDIO) as stream:
                final = await stream.get_final_transcription()
    assert final.text == "Hola" and final.language == "es"
    assert final.segments == [TranscriptionSegmentChunk("Hola", 0.5, 1, speaker_id="s1")]
    assert final.usage is not None and final.usage.total_tokens == 4


async def test_an_error_event_raises_after_the_events_before_it() -> None:
    events: list[tuple[str | None, Any]] = [
        ("transcription.text.delta", {"type": "transcription.text.delta", "text": "Hi"}),
        ("error", {"message": "audio decoding failed", "code": "3000"}),
    ]
    async with FakeMistral(extra_groups=[_custom_stream(events)]) as fake:
        async with client_for(fake) as client:
            got = []
            with pytest.raises(APIStreamError, match="audio decoding failed"):
                async for event in client.audio.transcriptions.stream(model=MODEL, file=AUDIO):
                    got.append(event)
    assert got == [TranscriptionStreamTextDelta("Hi")]


# -- the fake server's own checks ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ([("file_url", "https://e.com/a.wav")], ("missing", ["body", "model"])),
        ([("model", MODEL)], ("value_error", ["body"])),
        (
            [("model", MODEL), ("file_id", "f"), ("file_url", "https://e.com/a.wav")],
            ("value_error", ["body"]),
        ),
        (
            [("model", MODEL), ("file_id", "f"), ("language", "english")],
            ("string_pattern_mismatch", ["body", "language"]),
        ),
        (
            [("model", MODEL), ("file_id", "f"), ("context_bias", "a b")],
            ("string_pattern_mismatch", ["body", "context_bias", 0]),
        ),
        (
            [("model", MODEL), ("file_id", "f"), ("timestamp_granularities", "line")],
            ("enum", ["body", "timestamp_granularities", 0]),
        ),
        ([("model", MODEL), ("file_url", "a.wav")], ("url_parsing", ["body", "file_url"])),
        ([("model", MODEL), ("file", "not a file")], ("value_error", ["body", "file"])),
        ([("model", MODEL), ("file_id", "f"), ("diarize", "maybe")], ("bool_parsing", None)),
    ],
)
async def test_the_fake_validates_the_form(
    fake_mistral: FakeMistral, fields: list[tuple[str, str]], error: tuple[str, Any]
) -> None:
    import aiohttp

    form = aiohttp.FormData(default_to_multipart=True)
    for name, value in fields:
        form.add_field(name, value)
    headers = {"Authorization": f"Bearer {fake_mistral.api_key}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(fake_mistral.url + PATH, data=form, headers=headers) as response,
    ):
        assert response.status == 422
        detail = (await response.json())["detail"]
    kind, loc = error
    assert any(d["type"] == kind and (loc is None or d["loc"] == loc) for d in detail), detail
    assert accepted(fake_mistral) == []


async def test_the_fake_422_surfaces_as_unprocessable(fake_mistral: FakeMistral) -> None:
    async with client_for(fake_mistral) as client:
        with pytest.raises(UnprocessableEntityError):
            # The SDK checks the URL's form but not what the server makes of the rest.
            await client.audio.transcriptions.complete(
                model=MODEL, file=AUDIO, extra_body={"timestamp_granularities": "line"}
            )


# -- blocking --------------------------------------------------------------------------------


def test_blocking_complete_and_stream(fake_mistral: FakeMistral, tmp_path: Path) -> None:
    path = tmp_path / "note.wav"
    path.write_bytes(AUDIO)
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
        result = client.audio.transcriptions.complete(model=MODEL, file=path, language="en")
        assert isinstance(result, TranscriptionResponse)
        assert "transcription of note.wav, 2 seconds" in result.text
        with client.audio.transcriptions.stream(
            model=MODEL, file=path, timestamp_granularities=["segment"]
        ) as stream:
            events = list(stream)
            final = stream.get_final_transcription()
    assert isinstance(events[-1], TranscriptionStreamDone)
    assert sum(isinstance(e, TranscriptionStreamSegmentDelta) for e in events) == 2
    assert final.text == result.text and len(final.segments) == 2
    assert type(stream).__name__ == "TranscriptionStream"


def test_blocking_refuses_bad_input_before_sending(fake_mistral: FakeMistral) -> None:
    with Mistral(api_key=fake_mistral.api_key, server_url=fake_mistral.url) as client:
        with pytest.raises(InvalidParameterError, match="exactly one of file, file_url"):
            client.audio.transcriptions.complete(model=MODEL)
    assert fake_mistral.requests == []


# -- the example -----------------------------------------------------------------------------


def _run_example(name: str, fake: FakeMistral) -> str:
    env = dict(os.environ)
    env.update(
        MISTRAL_API_KEY=fake.api_key,
        MISTRAL_SERVER_URL=fake.url,
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p),
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", str(REPO / "examples" / f"{name}.py")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
    assert result.stderr == ""
    return result.stdout


def test_the_transcription_example_runs(fake_mistral: FakeMistral) -> None:
    out = _run_example("transcription", fake_mistral)
    text = "Hello from the fake Mistral server. This is the transcription of silence.wav"
    assert f"Text: {text}, 1 seconds of audio. It mentions Mistral, Voxtral." in out
    assert "] speaker_1: This is the transcription of silence.wav" in out
    assert "Stream language: en" in out
    assert f"Streamed text: {text}, 1 seconds of audio." in out
    assert f"Sync text: {text}" in out
    assert "Sync streamed pieces: 16" in out
    sent = fake_mistral.requests
    assert [r.path for r in sent] == [PATH] * 4

"""Cases of the ``audio.transcriptions`` group.

``POST /v1/audio/transcriptions`` takes a multipart form; its ``#stream`` twin is the same
form with ``stream=true``, served by ``audio.transcriptions.stream``. The audio comes as an
upload, a URL or the id of a file uploaded first (:func:`uploaded`).
"""

from __future__ import annotations

import io

from mistral_async import AsyncMistral
from mistral_async.types.audio import TranscriptionResponse, TranscriptionStreamEvent

from ..case import Case

OP = "audio_api_v1_transcriptions_post"
STREAM_OP = "audio_api_v1_transcriptions_post_stream"
MODEL = "voxtral-mini-latest"
AUDIO = b"RIFF$\x00\x00\x00WAVEfmt " + bytes(4000)


async def uploaded(client: AsyncMistral) -> str:
    """Upload a small audio file; its id."""
    created = await client.files.upload(file=("meeting.wav", AUDIO, "audio/wav"))
    return created.id


EVERYTHING = {
    "model": MODEL,
    "file": ("interview.mp3", AUDIO, "audio/mpeg"),
    "language": "en",
    "temperature": 0.2,
    "diarize": True,
    "context_bias": ["Mistral", "Voxtral", "Le_Chat"],
    "timestamp_granularities": ["segment"],
}

CASES: dict[str, Case] = {
    OP: Case(
        method="audio.transcriptions.complete",
        kwargs=EVERYTHING,
        response_type=TranscriptionResponse,
    ),
    f"{OP}:file-url": Case(
        method="audio.transcriptions.complete",
        kwargs={
            "model": MODEL,
            "file_url": "https://example.com/audio/podcast.mp3?download=1",
            "language": "fr",
            "timestamp_granularities": ["word"],
            "context_bias": ["Paris"],
            "diarize": False,
        },
        response_type=TranscriptionResponse,
    ),
    f"{OP}:file-id": Case(
        method="audio.transcriptions.complete",
        setup=uploaded,
        kwargs=lambda file_id: {
            "model": MODEL,
            "file_id": file_id,
            "temperature": 0,
            "timestamp_granularities": ["segment", "word"],
        },
        response_type=TranscriptionResponse,
    ),
    f"{OP}:file-object-and-nulls": Case(
        method="audio.transcriptions.complete",
        kwargs={
            "model": MODEL,
            "file": io.BytesIO(AUDIO),
            "file_url": None,
            "file_id": None,
            "language": None,
            "temperature": None,
        },
        response_type=TranscriptionResponse,
        note="None is left out: a form has no null, and the spec's default for each is null",
    ),
    STREAM_OP: Case(
        method="audio.transcriptions.stream",
        kwargs=EVERYTHING,
        returns="stream",
        response_type=TranscriptionStreamEvent,
    ),
    f"{STREAM_OP}:file-url": Case(
        method="audio.transcriptions.stream",
        kwargs={
            "model": MODEL,
            "file_url": "https://example.com/talk.wav",
            "timestamp_granularities": ["word"],
            "language": "de",
        },
        returns="stream",
        response_type=TranscriptionStreamEvent,
    ),
    f"{STREAM_OP}:file-id": Case(
        method="audio.transcriptions.stream",
        setup=uploaded,
        kwargs=lambda file_id: {"model": MODEL, "file_id": file_id, "diarize": True},
        returns="stream",
        response_type=TranscriptionStreamEvent,
    ),
}

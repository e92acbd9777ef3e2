"""Realtime transcription: stream audio over a WebSocket and read the text as it comes.

Run it with ``python examples/realtime_transcription.py [file.wav]``. With
``MISTRAL_API_KEY`` set it talks to the API (``MISTRAL_SERVER_URL`` optional); without it,
to the SDK's embedded fake server, whose transcript is made-up words. Without a file it
makes two seconds of a rising 16 kHz tone. It shows:

1. a live session: audio sent in 100 ms chunks while the events are read;
2. the one-call form, from a WAV file (its header gives the audio format);
3. a short-lived token minted for a browser, used instead of the API key;
4. the blocking client.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import struct
import sys
import tempfile
import wave
from collections.abc import Iterator
from pathlib import Path

from mistral_async import (
    AsyncMistral,
    AsyncRealtimeTranscriptionSession,
    Mistral,
    RealtimeError,
    RealtimeSessionCreated,
)
from mistral_async.types.audio import (
    TranscriptionStreamDone,
    TranscriptionStreamLanguage,
    TranscriptionStreamTextDelta,
)

MODEL = "voxtral-mini-transcribe-realtime-2602"
RATE = 16_000
FORMAT = {"encoding": "pcm_s16le", "sample_rate": RATE}


def tone_wav(directory: str, seconds: float = 2.0) -> Path:
    """A rising tone (300 Hz and up), 16 kHz mono 16-bit: something to send."""
    path = Path(directory) / "tone.wav"
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * (300 + 100 * t) * t)))
        for t in (i / RATE for i in range(int(RATE * seconds)))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)
    return path


def pcm_of(path: Path) -> bytes:
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes())


async def live_session(client: AsyncMistral, pcm: bytes) -> None:
    """Send audio as a microphone would while another task reads the events."""
    chunk = RATE * 2 // 10  # 100 ms of 16-bit samples

    async def microphone(session: AsyncRealtimeTranscriptionSession) -> None:
        for start in range(0, len(pcm), chunk):
            await session.send_audio(pcm[start : start + chunk])
            await asyncio.sleep(0)  # a real source would wait 100 ms here
        await session.end()  # no more audio: transcription.done follows

    async with client.audio.realtime.transcribe(model=MODEL, audio_format=FORMAT) as session:
        sender = asyncio.create_task(microphone(session))
        try:
            async for event in session:
                if isinstance(event, RealtimeSessionCreated):
                    print("Session created, request id:", session.request_id)
                elif isinstance(event, TranscriptionStreamLanguage):
                    print("Language:", event.audio_language)
                elif isinstance(event, TranscriptionStreamTextDelta):
                    print(event.text, end="", flush=True)
                elif isinstance(event, TranscriptionStreamDone):
                    print("\nLive transcript:", event.text)
                # session.updated, segments and message types this SDK does not know
                # (UnknownRealtimeEvent) arrive too: nothing is dropped.
        finally:
            await sender


async def main(wav: Path) -> None:
    async with AsyncMistral() as client:
        await live_session(client, pcm_of(wav))

        # The one-call form: the WAV header gives the format; the audio is sent in the
        # background and the events end with transcription.done.
        result = await client.audio.realtime.transcribe_stream(
            wav, model=MODEL
        ).get_final_transcription()
        print("File transcript:", result.text)
        print("Segments:", [(s.start, s.end) for s in result.segments])

        # A browser must not hold the API key: mint a short-lived token on the server.
        minted = await client.realtime.sessions.create(model=MODEL)
        print("Token expires at:", minted.expires_at)
        try:
            with_token = await client.audio.realtime.transcribe_stream(
                wav, model=MODEL, token=minted.token
            ).get_final_transcription()
            print("Transcript with a token:", with_token.text)
        except RealtimeError as error:  # an error message from the server
            print("Realtime error:", error.code, error.message)


def blocking(wav: Path) -> None:
    with Mistral() as client:
        events = client.audio.realtime.transcribe_stream(wav, model=MODEL)
        texts = [e.text for e in events if isinstance(e, TranscriptionStreamTextDelta)]
        print("Blocking transcript:", "".join(texts))


@contextlib.contextmanager
def server() -> Iterator[None]:
    """The real API when MISTRAL_API_KEY is set, else the embedded fake server."""
    if os.environ.get("MISTRAL_API_KEY"):
        yield
        return
    from mistral_async.testing import FakeMistral

    with FakeMistral() as fake:
        os.environ["MISTRAL_API_KEY"] = fake.api_key
        os.environ["MISTRAL_SERVER_URL"] = fake.url
        print("(no MISTRAL_API_KEY: using the embedded fake server)")
        try:
            yield
        finally:
            del os.environ["MISTRAL_API_KEY"], os.environ["MISTRAL_SERVER_URL"]


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp, server():
        audio = Path(sys.argv[1]) if len(sys.argv) > 1 else tone_wav(tmp)
        asyncio.run(main(audio))
        blocking(audio)

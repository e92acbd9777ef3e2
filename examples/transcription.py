"""Speech to text: transcribe audio whole, with timestamps and speakers, or as a stream.

Run it with ``python examples/transcription.py [audio-file]`` (``MISTRAL_API_KEY`` and
optionally ``MISTRAL_SERVER_URL`` set). Without a file it writes one second of silence as
a WAV file and transcribes that. The last part uses the blocking ``Mistral`` client.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import wave
from pathlib import Path

from mistral_async import AsyncMistral, Mistral
from mistral_async.types.audio import (
    TranscriptionStreamDone,
    TranscriptionStreamLanguage,
    TranscriptionStreamSegmentDelta,
    TranscriptionStreamTextDelta,
)

MODEL = "voxtral-mini-latest"


def silent_wav(directory: str) -> Path:
    """One second of 16 kHz mono silence, to have something to send."""
    path = Path(directory) / "silence.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(bytes(32_000))
    return path


async def transcribe_async(audio: Path) -> None:
    async with AsyncMistral() as client:
        # ``file`` takes a path (streamed from disk), bytes, a binary file object, an async
        # iterator of bytes, or (filename, content); or pass file_url= / file_id= instead.
        result = await client.audio.transcriptions.complete(
            model=MODEL,
            file=audio,
            language="en",
            timestamp_granularities=["segment"],  # timed segments
            diarize=True,  # who speaks in each segment
            context_bias=["Mistral", "Voxtral"],  # words the audio likely contains
        )
        print("Text:", result.text)
        print("Language:", result.language)
        for segment in result.segments:
            print(
                f"  [{segment.start:6.2f}-{segment.end:6.2f}] {segment.speaker_id}: {segment.text}"
            )
        if result.usage is not None:
            print("Audio seconds:", result.usage.prompt_audio_seconds)

        # Streamed: the text arrives in pieces, typed events told apart by their class.
        async with client.audio.transcriptions.stream(model=MODEL, file=audio) as stream:
            async for event in stream:
                if isinstance(event, TranscriptionStreamLanguage):
                    print("Stream language:", event.audio_language)
                elif isinstance(event, TranscriptionStreamTextDelta):
                    print(event.text, end="", flush=True)
                elif isinstance(event, TranscriptionStreamSegmentDelta):
                    pass  # with timestamp_granularities: each finished segment
                elif isinstance(event, TranscriptionStreamDone):
                    print()
                # Event types this SDK does not know yet arrive as
                # UnknownTranscriptionStreamEvent: nothing is dropped.
            # Everything the events add up to, as one TranscriptionResponse.
            final = await stream.get_final_transcription()
        print("Streamed text:", final.text)


def transcribe_sync(audio: Path) -> None:
    with Mistral() as client:
        # A binary file object works too; it is read while it is sent.
        with audio.open("rb") as handle:
            result = client.audio.transcriptions.complete(model=MODEL, file=handle)
        print("Sync text:", result.text)
        with client.audio.transcriptions.stream(model=MODEL, file=audio) as stream:
            pieces = [e.text for e in stream if isinstance(e, TranscriptionStreamTextDelta)]
        print("Sync streamed pieces:", len(pieces))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        audio = Path(sys.argv[1]) if len(sys.argv) > 1 else silent_wav(tmp)
        asyncio.run(transcribe_async(audio))
        transcribe_sync(audio)

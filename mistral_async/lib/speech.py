"""The stream of a speech synthesis, with helpers that write or yield its audio."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from typing import Any

from .._streaming import AsyncStream

__all__ = ["AsyncSpeechStream"]

_DONE = "speech.audio.done"


def _is_done(event: Any) -> bool:
    return getattr(event, "type", None) == _DONE


class AsyncSpeechStream(AsyncStream[Any]):
    """A stream of speech events: ``speech.audio.delta`` chunks, then ``speech.audio.done``.

    Each delta carries a base64 piece of the audio (``event.audio_data``); the done event
    carries the usage. The helpers decode the audio as it arrives, holding one chunk at a
    time, never the whole file::

        async with client.audio.speech.stream(input="Bonjour", voice_id=...) as s:
            await s.write_to("hello.mp3")

    The stream ends with the done event (not with ``[DONE]``).
    """

    _final_event = staticmethod(_is_done)

    async def iter_audio(self) -> AsyncIterator[bytes]:
        """The audio's bytes, chunk by chunk, as they arrive."""
        async for event in self:
            data = getattr(event, "audio_data", None)
            if isinstance(data, str) and not _is_done(event):
                yield base64.b64decode(data)

    async def write_to(self, path: str | os.PathLike[str]) -> int:
        """Write the audio to ``path`` as it arrives; return the number of bytes written.

        The file is written in the event loop's thread, a chunk at a time (chunks are
        small), and left incomplete if the stream fails.
        """
        written = 0
        with open(path, "wb") as f:  # noqa: ASYNC230 - small chunks, as they arrive
            async for chunk in self.iter_audio():
                f.write(chunk)
                written += len(chunk)
        return written

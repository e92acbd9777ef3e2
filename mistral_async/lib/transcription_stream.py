"""The stream of a transcription, with :meth:`~AsyncTranscriptionStream.get_final_transcription`."""

from __future__ import annotations

from typing import Any

from .._converter import json_default
from .._json import dumps, loads
from .._streaming import AsyncStream
from ..types.audio import (
    TranscriptionResponse,
    TranscriptionSegmentChunk,
    TranscriptionStreamDone,
    TranscriptionStreamEvent,
    TranscriptionStreamLanguage,
    TranscriptionStreamSegmentDelta,
    TranscriptionStreamTextDelta,
)

__all__ = ["AsyncTranscriptionStream"]


def _is_done(event: Any) -> bool:
    return type(event) is TranscriptionStreamDone


class AsyncTranscriptionStream(AsyncStream[TranscriptionStreamEvent]):
    """A stream of transcription events that can fold itself into one transcription.

    The events are :class:`TranscriptionStreamLanguage`, :class:`TranscriptionStreamTextDelta`,
    :class:`TranscriptionStreamSegmentDelta` and, last, :class:`TranscriptionStreamDone`
    (types this SDK does not know arrive as :class:`UnknownTranscriptionStreamEvent`). The
    stream ends with ``transcription.done``, not with ``[DONE]``.
    ``await stream.get_final_transcription()`` reads what is left and returns the
    :class:`TranscriptionResponse` the events add up to, including those already read.
    """

    _final_event = staticmethod(_is_done)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._history = []
        self._text: list[str] = []
        self._language: str | None = None
        self._segments: list[TranscriptionSegmentChunk] = []
        self._final: TranscriptionStreamDone | None = None

    def _handle(self, events: list[Any], at_eof: bool = False) -> None:
        for event in events:
            name = event.event
            # The SSE event name says the type too; an event whose data leaves ``type`` out
            # (the spec gives it a default) gets it from there, so it is not taken as unknown.
            if name not in ("message", "error") and (
                '"type"' not in event.data or name == "transcription.done"
            ):
                event.data = _with_type(event.data, name)
        super()._handle(events, at_eof)
        history = self._history
        if history:
            self._fold(history)
            history.clear()

    def _fold(self, events: list[TranscriptionStreamEvent]) -> None:
        for event in events:
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
            elif type(event) is TranscriptionStreamDone:
                self._final = event

    async def get_final_transcription(self) -> TranscriptionResponse:
        """Read the rest of the stream and return the whole transcription.

        The ``transcription.done`` event's text, language, segments and usage win; the
        text deltas, language and segment events stand in for whatever it leaves empty.
        """
        await self.until_done()
        done = self._final
        if done is None:
            return TranscriptionResponse(
                "".join(self._text), language=self._language, segments=list(self._segments)
            )
        result = TranscriptionResponse(
            done.text or "".join(self._text),
            model=done.model,
            language=done.language or self._language,
            segments=list(done.segments or self._segments),
            usage=done.usage,
        )
        if done.extra_fields:
            result._extra = dict(done.extra_fields)
        return result


def _with_type(data: str, name: str) -> str:
    try:
        payload = loads(data)
    except ValueError:
        return data  # the stream reports it as it would any malformed event
    if type(payload) is not dict or "type" in payload:
        return data
    payload["type"] = name
    return dumps(payload, json_default).decode()

"""``client.audio.transcriptions``: speech to text, whole or streamed (``client.audio.realtime``:
live, over a WebSocket, in :mod:`.realtime`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._client import ResourceSlot
from .._types import NOT_GIVEN, NotGiven
from .._uploads import FileInput, to_upload
from ..lib.transcription_stream import AsyncTranscriptionStream
from ..types.audio import (
    AudioTranscriptionRequest,
    TimestampGranularity,
    TranscriptionResponse,
    structure_event,
)
from ._base import AsyncResource, cast_to, params, split_options, stream_twin
from ._slots import AudioSlots

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import RequestOptions
    from .realtime import AsyncRealtimeTranscription

__all__ = ["AsyncAudio", "AsyncTranscriptions"]

_PATH = "/v1/audio/transcriptions"
_transcription = cast_to(TranscriptionResponse)


def _form(given: dict[str, Any], **fixed: Any) -> list[tuple[str, Any]]:
    """The checked multipart fields of a transcription request."""
    file = given.get("file")
    if file is not None and not isinstance(file, NotGiven):
        given["file"] = to_upload(file)
    return AudioTranscriptionRequest.validated(**given, **fixed).form()


class AsyncTranscriptions(AsyncResource):
    """Audio transcriptions: ``complete`` for the whole text, ``stream`` for it as it comes."""

    __slots__ = ()

    async def complete(
        self,
        *,
        model: str,
        file: FileInput | NotGiven | None = NOT_GIVEN,
        file_url: str | NotGiven | None = NOT_GIVEN,
        file_id: str | NotGiven | None = NOT_GIVEN,
        language: str | NotGiven | None = NOT_GIVEN,
        temperature: float | NotGiven | None = NOT_GIVEN,
        diarize: bool | NotGiven = NOT_GIVEN,
        context_bias: Sequence[str] | NotGiven = NOT_GIVEN,
        timestamp_granularities: Sequence[TimestampGranularity] | NotGiven = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> TranscriptionResponse:
        """Transcribe audio.

        Give the audio as exactly one of ``file`` (a path, bytes, a binary file object, an
        async iterator of bytes, or ``(filename, content[, content_type])``; streamed from
        its source), ``file_url`` (a URL the API downloads) or ``file_id`` (a file uploaded
        with ``client.files.upload``). ``language`` is a two-letter code (``"en"``);
        ``context_bias`` lists words (no spaces or commas) the audio is likely to contain;
        ``timestamp_granularities`` (``["segment"]`` or ``["word"]``) asks for timed
        ``segments``; ``diarize`` labels each segment with its speaker. A parameter left
        out is not sent (nor is ``None``: a form has no null).
        """
        form = _form(params(locals()))
        result: TranscriptionResponse = await self._request(
            "POST", _PATH, _transcription, options, form=form
        )
        return result

    @stream_twin(complete)
    def stream(self, **kwargs: Any) -> AsyncTranscriptionStream:
        """Stream a transcription: the same parameters as :meth:`complete`.

        Use the result with ``async with`` (or read it with ``async for``); the events are
        :class:`TranscriptionStreamLanguage`, :class:`TranscriptionStreamTextDelta`,
        :class:`TranscriptionStreamSegmentDelta` and, last,
        :class:`TranscriptionStreamDone`. ``await stream.get_final_transcription()`` gives
        the whole :class:`TranscriptionResponse`. A stream whose ``file`` is an async
        iterator is not retried.
        """
        options = split_options(kwargs)
        form = _form(kwargs, stream=True)
        stream: AsyncTranscriptionStream = self._stream(
            AsyncTranscriptionStream, _PATH, structure_event, options, form=form
        )
        return stream


class AsyncAudio(AsyncResource, AudioSlots):
    """Audio: ``transcriptions`` and ``realtime`` (hand-written), ``speech`` and ``voices``
    (generated)."""

    __slots__ = ("__dict__",)

    transcriptions: ResourceSlot[AsyncTranscriptions] = ResourceSlot(
        ".resources.audio:AsyncTranscriptions"
    )
    realtime: ResourceSlot[AsyncRealtimeTranscription] = ResourceSlot(
        ".resources.realtime:AsyncRealtimeTranscription"
    )

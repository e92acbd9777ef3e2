"""``client.audio.transcriptions``: speech to text, whole or streamed."""

from __future__ import annotations

from .._client import ResourceSlot
from ._base import AsyncResource

__all__ = ["AsyncAudio", "AsyncTranscriptions"]


class AsyncTranscriptions(AsyncResource):
    """Audio transcriptions."""

    __slots__ = ()


class AsyncAudio(AsyncResource):
    """Audio (``client.audio.transcriptions``)."""

    __slots__ = ("__dict__",)

    transcriptions: ResourceSlot[AsyncTranscriptions] = ResourceSlot(
        ".resources.audio:AsyncTranscriptions"
    )

"""Types of audio transcriptions: the response, its segments and the streamed events.

A streamed transcription yields one attrs class per event type, told apart by ``type``
(subclasses of :class:`TranscriptionStreamEvent`):
:class:`TranscriptionStreamLanguage`, :class:`TranscriptionStreamTextDelta`,
:class:`TranscriptionStreamSegmentDelta` and, last, :class:`TranscriptionStreamDone`. An
event of a type this SDK does not know arrives as an :class:`UnknownTranscriptionStreamEvent`
(its fields kept), never dropped.
"""

from __future__ import annotations

import re
from typing import Any, Literal, TypeAlias
from urllib.parse import urlsplit

import attrs

from .._converter import Model, converter, register_union, tagged_union
from .._errors import InvalidParameterError
from .._types import NOT_GIVEN, NotGiven
from .._uploads import Upload
from . import _validate as v
from .shared import UsageInfo

__all__ = [
    "AudioTranscriptionRequest",
    "TimestampGranularity",
    "TranscriptionResponse",
    "TranscriptionSegmentChunk",
    "TranscriptionStreamDone",
    "TranscriptionStreamEvent",
    "TranscriptionStreamLanguage",
    "TranscriptionStreamSegmentDelta",
    "TranscriptionStreamTextDelta",
    "UnknownTranscriptionStreamEvent",
]

TimestampGranularity: TypeAlias = Literal["segment", "word"]
"""How fine the timestamps of a transcription are: per ``"segment"`` or per ``"word"``."""


# -- responses -----------------------------------------------------------------------------


@attrs.define(slots=True)
class TranscriptionSegmentChunk(Model):
    """A timed piece of a transcription (seconds from the start of the audio)."""

    text: str
    start: float
    end: float
    score: float | None = None
    speaker_id: str | None = None
    """The speaker, when the transcription was diarized."""
    type: Literal["transcription_segment"] = "transcription_segment"


@attrs.define(slots=True)
class TranscriptionResponse(Model):
    """A transcription: the text, its language, timed segments (when asked for) and usage."""

    text: str
    model: str = ""
    language: str | None = None
    """The audio's language as a two-letter code (``"en"``)."""
    segments: list[TranscriptionSegmentChunk] = attrs.Factory(list)
    usage: UsageInfo | None = None


# -- stream events ---------------------------------------------------------------------------


@attrs.define(slots=True)
class TranscriptionStreamEvent(Model):
    """Base of the events of a streamed transcription, told apart by ``type``.

    Test an event with ``isinstance`` (:class:`TranscriptionStreamTextDelta`, ...); an
    event of a type this SDK does not know is an :class:`UnknownTranscriptionStreamEvent`.
    """

    type: str | None = None


@attrs.define(slots=True)
class TranscriptionStreamLanguage(TranscriptionStreamEvent):
    """The language of the audio, as soon as it is known."""

    audio_language: str
    type: Literal["transcription.language"] = "transcription.language"


@attrs.define(slots=True)
class TranscriptionStreamTextDelta(TranscriptionStreamEvent):
    """The next piece of the transcribed text."""

    text: str
    type: Literal["transcription.text.delta"] = "transcription.text.delta"


@attrs.define(slots=True)
class TranscriptionStreamSegmentDelta(TranscriptionStreamEvent):
    """A finished timed segment (seconds from the start of the audio)."""

    text: str
    start: float
    end: float
    speaker_id: str | None = None
    type: Literal["transcription.segment"] = "transcription.segment"


@attrs.define(slots=True)
class TranscriptionStreamDone(TranscriptionStreamEvent):
    """The last event: the whole transcription and its usage."""

    text: str = ""
    model: str = ""
    language: str | None = None
    segments: list[TranscriptionSegmentChunk] = attrs.Factory(list)
    usage: UsageInfo | None = None
    type: Literal["transcription.done"] = "transcription.done"


@attrs.define(slots=True)
class UnknownTranscriptionStreamEvent(TranscriptionStreamEvent):
    """An event of a type this version of the SDK does not know.

    Its fields are kept: read them as attributes, in :attr:`extra_fields` or with
    :meth:`to_dict`.
    """


_EVENTS: dict[str, type[Any]] = {
    "transcription.language": TranscriptionStreamLanguage,
    "transcription.text.delta": TranscriptionStreamTextDelta,
    "transcription.segment": TranscriptionStreamSegmentDelta,
    "transcription.done": TranscriptionStreamDone,
}
_unknown = converter.get_structure_hook(UnknownTranscriptionStreamEvent)
_event = tagged_union("type", _EVENTS, lambda data: _unknown(data, None))
# ``structure(data, TranscriptionStreamEvent)`` picks the class by ``type``.
register_union(TranscriptionStreamEvent, _event)


def structure_event(data: Any) -> TranscriptionStreamEvent:
    """The typed event of a decoded stream event (unknown types kept, not dropped)."""
    event: TranscriptionStreamEvent = _event(data, None)
    return event


# -- request ---------------------------------------------------------------------------------

_LANGUAGE = re.compile(r"\w{2}")
_BIAS_WORD = re.compile(r"[^,\s]+")
_URL_MAX = 2083
_LISTS = frozenset({"context_bias", "timestamp_granularities"})


def _check_language(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, NotGiven) or value is None:
        return
    if not isinstance(value, str) or not _LANGUAGE.fullmatch(value):
        raise InvalidParameterError(
            attribute.name, f"must be a two-letter language code such as 'en', not {value!r}"
        )


def _check_url(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, NotGiven) or value is None:
        return
    if not isinstance(value, str):
        raise InvalidParameterError(attribute.name, f"must be a string, not {type(value).__name__}")
    if not 1 <= len(value) <= _URL_MAX:
        raise InvalidParameterError(attribute.name, f"must be 1 to {_URL_MAX} characters long")
    parts = urlsplit(value)
    if not parts.scheme or not parts.netloc:
        raise InvalidParameterError(attribute.name, f"must be an absolute URL, not {value!r}")


def _bias_word(path: str, value: Any) -> None:
    if not isinstance(value, str) or not _BIAS_WORD.fullmatch(value):
        raise InvalidParameterError(path, f"must be a word without commas or spaces, not {value!r}")


def _granularity(path: str, value: Any) -> None:
    if value not in ("segment", "word"):
        raise InvalidParameterError(path, f"must be 'segment' or 'word'; got {value!r}")


def _check_bool(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, NotGiven | bool):
        raise InvalidParameterError(attribute.name, f"must be a bool, not {type(value).__name__}")


@attrs.define(slots=True, kw_only=True)
class AudioTranscriptionRequest(Model):
    """The fields of a transcription request, checked; sent as ``multipart/form-data``.

    ``file`` is already an :class:`~mistral_async._uploads.Upload` here (see
    :func:`~mistral_async._uploads.to_upload`).
    """

    model: str = attrs.field(metadata=v.check(v.string(nullable=False, non_empty=True)))
    file: Upload | NotGiven | None = NOT_GIVEN
    file_url: str | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=v.check(_check_url))
    file_id: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.string(non_empty=True))
    )
    language: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_check_language)
    )
    temperature: float | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.number())
    )
    stream: bool | NotGiven = NOT_GIVEN
    diarize: bool | NotGiven = attrs.field(default=NOT_GIVEN, metadata=v.check(_check_bool))
    context_bias: list[str] | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.sequence(_bias_word, nullable=False))
    )
    timestamp_granularities: list[str] | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.sequence(_granularity, nullable=False))
    )

    def form(self) -> list[tuple[str, Any]]:
        """The multipart fields: lists as repeated fields, booleans as ``true``/``false``.

        Raises :class:`~mistral_async.InvalidParameterError` unless exactly one of
        ``file``, ``file_url`` and ``file_id`` is given. A ``None`` is left out: a form
        has no null.
        """
        sources = [
            name
            for name in ("file", "file_url", "file_id")
            if getattr(self, name) is not None and not isinstance(getattr(self, name), NotGiven)
        ]
        if len(sources) != 1:
            got = f"got {' and '.join(sources)}" if sources else "got none"
            raise InvalidParameterError(
                "file", f"give exactly one of file, file_url or file_id ({got})"
            )
        fields: list[tuple[str, Any]] = []
        for field in attrs.fields(type(self)):
            value = getattr(self, field.name)
            if field.name == "_extra" or value is None or isinstance(value, NotGiven):
                continue
            for item in value if field.name in _LISTS else (value,):
                if isinstance(item, bool):
                    item = "true" if item else "false"
                fields.append((field.name, item if isinstance(item, Upload) else str(item)))
        return fields

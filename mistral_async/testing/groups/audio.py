"""``POST /v1/audio/transcriptions``: transcriptions, whole (JSON) or streamed (SSE).

The request is a ``multipart/form-data`` form validated per the spec's
``AudioTranscriptionRequest``: ``model`` is required, and exactly one of ``file`` (an
upload), ``file_url`` or ``file_id`` (which must name a file of :class:`FilesState`, else
404) gives the audio. The transcription is deterministic: a text naming the audio's source
(the upload's or stored file's name, or the URL's last path segment) and its length in
seconds (the size at 32,000 bytes a second, rounded, at least 1; 10 to 59 for a URL), followed by
the ``context_bias`` words when given. ``language`` is echoed (default ``"en"``).

``timestamp_granularities`` asks for ``segments``: one per sentence for ``"segment"``, one
per word for ``["word"]`` alone. ``diarize`` adds ``speaker_id``s (``speaker_0``,
``speaker_1``, alternating by sentence), with sentence segments when no granularity was
asked for. ``stream=true`` answers an event stream: ``transcription.language``, then the
text as many ``transcription.text.delta`` events (each segment followed by its
``transcription.segment`` event), then ``transcription.done`` with the whole transcription
and its usage, and no ``[DONE]``.

Each accepted form is kept in :class:`TranscriptionsState` (``fake.state(TranscriptionsState)
.requests``), the upload described by its name, type and size, for tests to inspect.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from aiohttp import web

from .._app import Abort, Call, FakeApp
from .._body import UploadedFile
from .._generate import count_tokens, split_pieces
from .._store import FilesState
from .._validation import Array, Body, Bool, Float, Str, Upload

__all__ = ["TRANSCRIPTION_FORM", "TranscriptionsState", "register"]

TRANSCRIPTION_FORM = Body(
    "AudioTranscriptionRequest",
    required={"model": Str()},
    optional={
        "file": Upload(),
        "file_url": Str(min_length=1, max_length=2083),
        "file_id": Str(),
        "language": Str(),
        "temperature": Float(),
        "stream": Bool(),
        "diarize": Bool(),
        "context_bias": Array(Str()),
        "timestamp_granularities": Array(Str(enum=["segment", "word"])),
    },
)
_SOURCES = ("file", "file_url", "file_id")
_LANGUAGE = re.compile(r"\w{2}")
_BIAS_WORD = re.compile(r"[^,\s]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_BYTES_PER_SECOND = 32_000  # 16 kHz, 16-bit mono PCM


class TranscriptionsState:
    """The transcription requests a server accepted (dropped by ``fake.reset()``)."""

    def __init__(self) -> None:
        """Start with none."""
        self.requests: list[dict[str, Any]] = []
        """The validated form of each request; ``file`` is ``{filename, content_type, size}``."""


def register(app: FakeApp) -> None:
    """Add the transcription route."""
    app.route("POST", "/v1/audio/transcriptions", transcribe)


async def transcribe(call: Call) -> web.StreamResponse:
    """``POST /v1/audio/transcriptions`` (``stream=true``: the ``#stream`` twin)."""
    fields = call.validate_form(await call.form(), TRANSCRIPTION_FORM)
    _check_patterns(call, fields)
    name, seconds = _source(call, fields)
    name = " ".join(name.split())  # one space between words: the deltas join back exactly
    record = dict(fields)
    upload = fields.get("file")
    if isinstance(upload, UploadedFile):
        record["file"] = {
            "filename": upload.filename,
            "content_type": upload.content_type,
            "size": upload.size,
        }
    call.state(TranscriptionsState).requests.append(record)

    language: str = fields.get("language") or "en"
    bias: list[str] = fields.get("context_bias") or []
    sentences = [
        "Hello from the fake Mistral server.",
        f"This is the transcription of {name}, {seconds} seconds of audio.",
    ]
    if bias:
        sentences.append(f"It mentions {', '.join(bias)}.")
    segments = _segments(
        sentences,
        seconds,
        fields.get("timestamp_granularities") or [],
        diarize=bool(fields.get("diarize")),
    )
    text = " ".join(sentences)
    completion_tokens = count_tokens(text)
    usage = {
        "prompt_audio_seconds": seconds,
        "prompt_tokens": seconds,
        "completion_tokens": completion_tokens,
        "total_tokens": seconds + completion_tokens,
    }
    call.charge_tokens(usage["total_tokens"])
    result = {
        "model": fields["model"],
        "text": text,
        "language": language,
        "segments": segments,
        "usage": usage,
    }
    if not fields.get("stream"):
        return call.ok(result)
    events = _events(sentences, segments, language, result)
    return await call.sse(events, terminator=None)


def _check_patterns(call: Call, fields: dict[str, Any]) -> None:
    """The checks the schema language cannot say: patterns, URL form, one audio source."""
    errors: list[dict[str, Any]] = []
    language = fields.get("language")
    if language is not None and not _LANGUAGE.fullmatch(language):
        errors.append(_pattern_error(("body", "language"), language, r"^\w{2}$"))
    for index, word in enumerate(fields.get("context_bias") or []):
        if not _BIAS_WORD.fullmatch(word):
            errors.append(_pattern_error(("body", "context_bias", index), word, r"^[^,\s]+$"))
    url = fields.get("file_url")
    if url is not None:
        parts = urlsplit(url)
        if not parts.scheme or not parts.netloc:
            errors.append(
                {
                    "type": "url_parsing",
                    "loc": ["body", "file_url"],
                    "msg": "Input should be a valid URL, relative URL without a base",
                    "input": url,
                }
            )
    given = [name for name in _SOURCES if name in fields]
    if len(given) != 1:
        errors.append(
            {
                "type": "value_error",
                "loc": ["body"],
                "msg": "Value error, exactly one of file, file_url or file_id must be given",
                "input": sorted(given),
                "ctx": {"error": {}},
            }
        )
    if errors:
        raise Abort(call.validation_error(errors))


def _pattern_error(loc: tuple[str | int, ...], value: str, pattern: str) -> dict[str, Any]:
    return {
        "type": "string_pattern_mismatch",
        "loc": list(loc),
        "msg": f"String should match pattern '{pattern}'",
        "input": value,
        "ctx": {"pattern": pattern},
    }


def _source(call: Call, fields: dict[str, Any]) -> tuple[str, int]:
    """The audio's name and length in seconds; 404 for an unknown ``file_id``."""
    upload = fields.get("file")
    if isinstance(upload, UploadedFile):
        return upload.filename or "upload", _seconds(upload.size)
    file_id = fields.get("file_id")
    if file_id is not None:
        stored = call.state(FilesState).get(file_id)
        if stored is None:
            raise Abort(call.not_found("File", file_id))
        return stored.filename, _seconds(stored.size)
    url: str = fields["file_url"]
    parts = urlsplit(url)
    name = unquote(parts.path.rstrip("/").rpartition("/")[2]) or parts.netloc
    return name, 10 + len(url) % 50


def _seconds(size: int) -> int:
    return max(1, round(size / _BYTES_PER_SECOND))


def _segments(
    sentences: list[str], seconds: int, granularities: list[str], *, diarize: bool
) -> list[dict[str, Any]]:
    """Timed segments (time shared out by word count), per sentence or per word."""
    by_word = "word" in granularities and "segment" not in granularities
    if not granularities and not diarize:
        return []
    step = seconds / sum(len(sentence.split()) for sentence in sentences)
    segments: list[dict[str, Any]] = []
    position = 0
    for index, sentence in enumerate(sentences):
        units = sentence.split() if by_word else [sentence]
        for unit in units:
            count = len(unit.split())
            segment: dict[str, Any] = {
                "type": "transcription_segment",
                "text": unit,
                "start": round(position * step, 3),
                "end": round((position + count) * step, 3),
            }
            if diarize:
                segment["speaker_id"] = f"speaker_{index % 2}"
            segments.append(segment)
            position += count
    return segments


def _events(
    sentences: list[str],
    segments: list[dict[str, Any]],
    language: str,
    result: dict[str, Any],
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The events of a streamed transcription: language, deltas and segments, done."""
    yield "transcription.language", {"type": "transcription.language", "audio_language": language}
    units = [segment["text"] for segment in segments] or sentences
    for number, unit in enumerate(units):
        for piece in split_pieces(unit if number == 0 else f" {unit}"):
            yield "transcription.text.delta", {"type": "transcription.text.delta", "text": piece}
        if segments:
            segment = {k: v for k, v in segments[number].items() if k != "type"}
            yield "transcription.segment", {"type": "transcription.segment", **segment}
    yield "transcription.done", {**result, "type": "transcription.done"}

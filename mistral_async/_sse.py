"""An incremental Server-Sent Events decoder: bytes in, events out, no I/O.

It follows the WHATWG event-stream rules: lines end in LF, CR or CRLF (a CRLF split
across two network chunks counts once), a leading UTF-8 BOM is dropped, ``data``
lines of one event are joined with LF, lines starting with ``:`` are comments, and
``event``, ``id`` and ``retry`` fields are kept. Bytes are buffered until a line is
complete, so a UTF-8 character split across network chunks decodes correctly, and
any split of the same bytes into chunks gives the same events.

At the end of the body, :meth:`SSEDecoder.flush` is lenient (an event not followed by
its blank line is still dispatched), while :meth:`SSEDecoder.end` is strict, as the
spec is: it says whether an incomplete event was left, which resumable streams take as
a cut-off body to resume rather than an event to deliver.
"""

from __future__ import annotations

from typing import Final

__all__ = ["SSEDecoder", "ServerSentEvent"]

_BOM: Final = b"\xef\xbb\xbf"


class ServerSentEvent:
    """One dispatched event: its type (``"message"`` unless set), data, last id, retry.

    ``id`` is the stream's last event id when the event was dispatched (an event without
    an ``id`` field inherits it, as the spec says); ``has_id`` tells whether the event
    carried an ``id`` field of its own.
    """

    __slots__ = ("data", "event", "has_id", "id", "retry")

    def __init__(
        self,
        data: str,
        event: str = "message",
        id: str | None = None,  # noqa: A002 - the SSE field's own name
        retry: int | None = None,
        *,
        has_id: bool = False,
    ) -> None:
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry
        self.has_id = has_id

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return (self.event, self.data, self.id, self.retry) == (
            other.event,
            other.data,
            other.id,
            other.retry,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable value object

    def __repr__(self) -> str:
        return (
            f"ServerSentEvent(event={self.event!r}, data={self.data!r}, "
            f"id={self.id!r}, retry={self.retry!r})"
        )


class SSEDecoder:
    """Feed it network chunks with :meth:`feed`; call :meth:`flush` at end of stream."""

    __slots__ = ("_buf", "_data", "_event", "_has_id", "_started", "last_event_id", "retry")

    def __init__(self, last_event_id: str | None = None, retry: int | None = None) -> None:
        self._buf = b""
        self._data: list[bytes] = []
        self._event: bytes | None = None
        self._has_id = False
        self._started = False
        self.last_event_id: str | None = last_event_id
        self.retry: int | None = retry

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode one chunk; return the events it completed, in order."""
        buf = self._buf + chunk if self._buf else chunk
        if not self._started:
            if len(buf) < 3 and _BOM.startswith(buf):
                self._buf = buf
                return []
            self._started = True
            if buf.startswith(_BOM):
                buf = buf[3:]
        if b"\r" in buf:
            # A CR at the very end may be the first half of a CRLF: keep it for later.
            tail = b"\r" if buf[-1:] == b"\r" else b""
            if tail:
                buf = buf[:-1]
            buf = buf.replace(b"\r\n", b"\n").replace(b"\r", b"\n") + tail
        end = buf.rfind(b"\n")
        if end < 0:
            self._buf = buf
            return []
        self._buf = buf[end + 1 :]
        return self._lines(buf[:end].split(b"\n"))

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: complete the last line and event, even without a blank line."""
        buf, self._buf = self._buf, b""
        if not self._started and _BOM.startswith(buf):
            buf = b""
        lines = buf.rstrip(b"\r").replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        if buf.endswith(b"\r"):
            lines.append(b"")
        lines.append(b"")
        return self._lines(lines)

    def end(self) -> tuple[list[ServerSentEvent], bool]:
        """End of stream, strictly: the events a last line ending completes, and whether an
        incomplete event (fields read, no blank line yet) was left; it is discarded."""
        buf = self._buf
        events = self.feed(b"\n") if buf.endswith(b"\r") else []
        buf, self._buf = self._buf, b""
        partial = bool(buf) and buf[:1] != b":" and (self._started or not _BOM.startswith(buf))
        incomplete = partial or bool(self._data) or self._event is not None or self._has_id
        self._data.clear()
        self._event = None
        self._has_id = False
        return events, incomplete

    def _lines(self, lines: list[bytes]) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    event = self._event
                    events.append(
                        ServerSentEvent(
                            (data[0] if len(data) == 1 else b"\n".join(data)).decode(
                                "utf-8", "replace"
                            ),
                            "message" if event is None else event.decode("utf-8", "replace"),
                            self.last_event_id,
                            self.retry,
                            has_id=self._has_id,
                        )
                    )
                    data.clear()
                self._event = None
                self._has_id = False
            elif line[:6] == b"data: ":
                data.append(line[6:])
            else:
                self._field(line)
        return events

    def _field(self, line: bytes) -> None:
        if line[:1] == b":":
            return
        name, sep, value = line.partition(b":")
        if sep and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value
        elif name == b"id":
            if b"\0" not in value:
                self.last_event_id = value.decode("utf-8", "replace")
                self._has_id = True
        elif name == b"retry" and value.isdigit():
            self.retry = int(value)

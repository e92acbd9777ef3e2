"""An incremental Server-Sent Events decoder: bytes in, events out, no I/O.

It follows the WHATWG event-stream rules: lines end in LF, CR or CRLF (a CRLF split
across two network chunks counts once), a leading UTF-8 BOM is dropped, ``data``
lines of one event are joined with LF, lines starting with ``:`` are comments, and
``event``, ``id`` and ``retry`` fields are kept. Bytes are buffered until a line is
complete, so a UTF-8 character split across network chunks decodes correctly, and
any split of the same bytes into chunks gives the same events.
"""

from __future__ import annotations

from typing import Final

__all__ = ["SSEDecoder", "ServerSentEvent"]

_BOM: Final = b"\xef\xbb\xbf"


class ServerSentEvent:
    """One dispatched event: its type (``"message"`` unless set), data, last id, retry."""

    __slots__ = ("data", "event", "id", "retry")

    def __init__(
        self,
        data: str,
        event: str = "message",
        id: str | None = None,  # noqa: A002 - the SSE field's own name
        retry: int | None = None,
    ) -> None:
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry

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

    __slots__ = ("_buf", "_data", "_event", "_started", "last_event_id", "retry")

    def __init__(self) -> None:
        self._buf = b""
        self._data: list[bytes] = []
        self._event: bytes | None = None
        self._started = False
        self.last_event_id: str | None = None
        self.retry: int | None = None

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
                        )
                    )
                    data.clear()
                self._event = None
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
        elif name == b"retry" and value.isdigit():
            self.retry = int(value)

"""A small, fast, Mistral-shaped HTTP/1.1 server for the benchmarks.

It runs in its own process (``python -m benchmarks.server``) on a raw :class:`asyncio.Protocol`
with a minimal HTTP/1.1 parser: keep-alive, pipelined requests, ``Content-Length`` and chunked
request bodies, ``Expect: 100-continue``. Every body is precomputed (see :mod:`benchmarks.wire`),
so the server spends almost no CPU per request and never becomes the bottleneck.

Routes:

* ``POST /v1/chat/completions``: a ``chat.completion`` JSON body, or, when ``"stream": true``,
  an SSE stream (chunked, or close-delimited with ``--sse-framing close``) of ``max_tokens``
  chunks followed by ``data: [DONE]``;
* ``POST /v1/embeddings``: one 1024-float vector per input;
* ``GET /v1/models``;
* ``POST /v1/files``: counts and discards the (multipart) upload, answers a file object whose
  ``bytes`` is the number of body bytes received;
* ``GET /v1/files/bench-<size>/content``: streams ``size`` bytes, honouring flow control.

Any ``Authorization: Bearer <key>`` is accepted; a request without one gets a 401.
When ready, the server prints ``READY <base url>`` on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import sys
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Final

from benchmarks import wire

_HEAD = 0
_BODY = 1
_CHUNK_SIZE = 2
_CHUNK_DATA = 3
_CHUNK_DATA_END = 4
_TRAILERS = 5

_MAX_HEAD = 64 * 1024
_KEEP_BODY_LIMIT = 8 * 1024 * 1024
_FRAME = 256 * 1024
_BIG = 1024 * 1024
_FILENAME_RE = re.compile(rb'filename="([^"]{1,200})"')

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
}

#: Set by ``--sse-framing``: ``chunked`` (default) or ``close`` (close-delimited body).
SSE_FRAMING = "chunked"
# Seconds before each answer starts (``--latency-ms``): 0 answers at once. With a delay,
# each call waits on its socket, and pays the wake-up, as one to a remote API does.
LATENCY = 0.0


# The API answers each request with its id in a header, as a real response carries one.
_REQUEST_ID: Final = "mistral-correlation-id: 0193a7e2-5b6c-7d8e-9f00-1a2b3c4d5e6f\r\n"


def _response(
    status: int, body: bytes, content_type: str = "application/json", close: bool = False
) -> bytes:
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{_REQUEST_ID}"
        + ("Connection: close\r\n" if close else "")
        + "\r\n"
    )
    return head.encode("latin-1") + body


def _error(status: int, message: str, close: bool = False) -> bytes:
    return _response(
        status, json.dumps({"object": "error", "message": message}).encode(), close=close
    )


@lru_cache(maxsize=1)
def _chat_response() -> bytes:
    return _response(200, wire.chat_completion_body())


@lru_cache(maxsize=1)
def _models_response() -> bytes:
    return _response(200, wire.models_body())


@lru_cache(maxsize=32)
def _embeddings_response(n_inputs: int) -> bytes:
    return _response(200, wire.embeddings_body(n_inputs))


@lru_cache(maxsize=16)
def _sse_frames(n_chunks: int, framing: str) -> tuple[bytes, ...]:
    """Return the whole SSE response (head included) as write-sized frames."""
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        + _REQUEST_ID
        + (
            "Transfer-Encoding: chunked\r\n\r\n"
            if framing == "chunked"
            else "Connection: close\r\n\r\n"
        )
    ).encode("latin-1")
    batches: list[bytes] = []
    pending: list[bytes] = []
    size = 0
    for event in wire.stream_events(n_chunks):
        pending.append(event)
        size += len(event)
        if size >= _FRAME:
            batches.append(b"".join(pending))
            pending, size = [], 0
    if pending:
        batches.append(b"".join(pending))
    if framing == "chunked":
        frames = [b"%x\r\n%b\r\n" % (len(b), b) for b in batches]
        frames.append(b"0\r\n\r\n")
    else:
        frames = batches
    frames[0] = head + frames[0]
    if sum(len(f) for f in frames) <= _BIG:
        return (b"".join(frames),)
    return tuple(frames)


@lru_cache(maxsize=1)
def _download_block() -> bytes:
    return bytes(range(256)) * (_BIG // 256)


def _download_frames(size: int) -> Iterator[bytes | memoryview]:
    yield (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Length: %d\r\n\r\n" % size
    )
    block = memoryview(_download_block())
    left = size
    while left > 0:
        take = min(left, len(block))
        yield block[:take]
        left -= take


class _Request:
    """The parts of a request the routes need."""

    __slots__ = ("body", "body_head", "body_len", "close", "headers", "keep_body", "method", "path")

    def __init__(self, method: str, path: str, headers: dict[str, str], close: bool) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.close = close
        self.keep_body = not (method == "POST" and path.startswith("/v1/files"))
        self.body: list[bytes] = []
        self.body_head = b""
        self.body_len = 0

    def add_body(self, data: bytes | bytearray | memoryview) -> None:
        self.body_len += len(data)
        if self.keep_body:
            self.body.append(bytes(data))
        elif len(self.body_head) < 4096:
            self.body_head += bytes(data[: 4096 - len(self.body_head)])


class HttpProtocol(asyncio.Protocol):
    """One client connection: parses requests and writes precomputed responses."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.state = _HEAD
        self.remaining = 0
        self.request: _Request | None = None
        self.busy: asyncio.Task[None] | None = None
        self.can_write = asyncio.Event()
        self.can_write.set()
        self.closed = False

    # -- asyncio callbacks -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Remember the transport and raise its write buffer limits."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=4 * _BIG, low=_BIG)

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop any streaming response of this connection."""
        self.closed = True
        self.can_write.set()
        if self.busy is not None:
            self.busy.cancel()

    def pause_writing(self) -> None:
        """Flow control: the socket buffer is full."""
        self.can_write.clear()

    def resume_writing(self) -> None:
        """Flow control: the socket buffer drained."""
        self.can_write.set()

    def data_received(self, data: bytes) -> None:
        """Feed bytes to the parser; body bytes bypass the buffer when nothing is pending."""
        if (
            self.state in (_BODY, _CHUNK_DATA)
            and not self.buf
            and self.busy is None
            and self.request is not None
        ):
            take = min(len(data), self.remaining)
            self.request.add_body(data if take == len(data) else memoryview(data)[:take])
            self.remaining -= take
            if take == len(data):
                if self.remaining == 0:
                    self._body_part_done()
                return
            data = data[take:]
            self._body_part_done()
        self.buf += data
        self._process()

    # -- parsing -------------------------------------------------------------------------------
    def _body_part_done(self) -> None:
        if self.state == _BODY:
            self._dispatch()
        else:
            self.state = _CHUNK_DATA_END

    def _process(self) -> None:
        buf = self.buf
        while buf and self.busy is None and not self.closed:
            state = self.state
            if state == _HEAD:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > _MAX_HEAD:
                        self._fail(400, "request head too large")
                    return
                head = bytes(buf[:end])
                del buf[: end + 4]
                self._start_request(head)
            elif state in (_BODY, _CHUNK_DATA):
                assert self.request is not None
                take = min(len(buf), self.remaining)
                self.request.add_body(buf[:take])
                del buf[:take]
                self.remaining -= take
                if self.remaining == 0:
                    self._body_part_done()
            elif state == _CHUNK_SIZE:
                end = buf.find(b"\r\n")
                if end < 0:
                    return
                line = bytes(buf[:end]).split(b";", 1)[0].strip()
                del buf[: end + 2]
                try:
                    size = int(line, 16)
                except ValueError:
                    self._fail(400, "bad chunk size")
                    return
                if size == 0:
                    self.state = _TRAILERS
                else:
                    self.remaining = size
                    self.state = _CHUNK_DATA
            elif state == _CHUNK_DATA_END:
                if len(buf) < 2:
                    return
                del buf[:2]
                self.state = _CHUNK_SIZE
            else:  # _TRAILERS
                end = buf.find(b"\r\n")
                if end < 0:
                    return
                del buf[: end + 2]
                if end == 0:
                    self._dispatch()

    def _start_request(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            self._fail(400, "bad request line")
            return
        method, target, version = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        conn = headers.get("connection", "").lower()
        close = conn == "close" or (version == "HTTP/1.0" and conn != "keep-alive")
        request = _Request(method, target.split("?", 1)[0], headers, close)
        self.request = request
        if headers.get("expect", "").lower() == "100-continue":
            assert self.transport is not None
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self.state = _CHUNK_SIZE
            return
        length = int(headers.get("content-length", "0") or "0")
        if length > _KEEP_BODY_LIMIT and request.keep_body:
            self._fail(413, "body too large")
            return
        if length:
            self.remaining = length
            self.state = _BODY
        else:
            self._dispatch()

    def _fail(self, status: int, message: str) -> None:
        assert self.transport is not None
        self.transport.write(_error(status, message, close=True))
        self.transport.close()
        self.closed = True

    # -- routing -------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        request = self.request
        assert request is not None
        assert self.transport is not None
        self.request = None
        self.state = _HEAD
        out = self._route(request)
        if LATENCY:
            out = (out,) if isinstance(out, bytes) else out
        if isinstance(out, bytes):
            self.transport.write(out)
            if request.close:
                self.transport.close()
                self.closed = True
            return
        self.busy = asyncio.get_running_loop().create_task(self._send(out, request.close))

    def _route(self, req: _Request) -> bytes | Iterable[bytes | memoryview]:
        if not req.headers.get("authorization", "").startswith("Bearer "):
            return _error(401, "Unauthorized", close=req.close)
        path, method = req.path, req.method
        if path == "/v1/chat/completions" and method == "POST":
            try:
                payload = json.loads(b"".join(req.body))
            except ValueError:
                return _error(400, "invalid JSON body", close=req.close)
            if payload.get("stream"):
                framing = SSE_FRAMING
                if framing == "close":
                    req.close = True
                frames = _sse_frames(int(payload.get("max_tokens") or 16), framing)
                return frames[0] if len(frames) == 1 else frames
            return _chat_response()
        if path == "/v1/embeddings" and method == "POST":
            try:
                payload = json.loads(b"".join(req.body))
            except ValueError:
                return _error(400, "invalid JSON body", close=req.close)
            inputs = payload.get("input", payload.get("inputs", []))
            return _embeddings_response(1 if isinstance(inputs, str) else len(inputs))
        if path == "/v1/models" and method == "GET":
            return _models_response()
        if path == "/v1/files" and method == "POST":
            match = _FILENAME_RE.search(req.body_head)
            name = match.group(1).decode("utf-8", "replace") if match else "upload.bin"
            body = wire.file_object_body(f"file-upload-{req.body_len}", req.body_len, name)
            return _response(200, body, close=req.close)
        if path.startswith("/v1/files/") and path.endswith("/content") and method == "GET":
            size = wire.parse_download_file_id(path[len("/v1/files/") : -len("/content")])
            if size is None:
                return _error(404, "No such file", close=req.close)
            return _download_frames(size)
        return _error(404, f"No route for {method} {path}", close=req.close)

    async def _send(self, frames: Iterable[bytes | memoryview], close: bool) -> None:
        transport = self.transport
        assert transport is not None
        try:
            if LATENCY:
                await asyncio.sleep(LATENCY)
            for frame in frames:
                if not self.can_write.is_set():
                    await self.can_write.wait()
                if self.closed:
                    return
                transport.write(frame)
            if close:
                transport.close()
                self.closed = True
        finally:
            self.busy = None
        if self.buf and not self.closed:
            self._process()


async def serve(host: str, port: int, prime_streams: list[int], prime_embeds: list[int]) -> None:
    """Precompute the bodies asked for, listen, print ``READY <url>`` and serve forever."""
    _chat_response()
    _models_response()
    for n in prime_streams:
        _sse_frames(n, SSE_FRAMING)
    for n in prime_embeds:
        _embeddings_response(n)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(HttpProtocol, host, port, backlog=2048, reuse_address=True)
    bound = server.sockets[0].getsockname()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"READY http://{bound[0]}:{bound[1]}", flush=True)
    async with server:
        await stop.wait()


def _int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: ``python -m benchmarks.server [--port N]``."""
    global SSE_FRAMING, LATENCY
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--prime-streams",
        type=_int_list,
        default=[],
        help="comma-separated stream sizes to precompute before READY",
    )
    parser.add_argument(
        "--prime-embeds",
        type=_int_list,
        default=[],
        help="comma-separated embedding batch sizes to precompute",
    )
    parser.add_argument("--sse-framing", choices=("chunked", "close"), default="chunked")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="wait this long before each answer"
    )
    args = parser.parse_args(argv)
    SSE_FRAMING = args.sse_framing
    LATENCY = args.latency_ms / 1000
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.prime_streams, args.prime_embeds))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

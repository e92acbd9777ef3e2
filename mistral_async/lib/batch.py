"""Batch helpers: wait for a job, or run many requests as one job and read their results.

``client.batch.run(requests, model=...)`` (an async generator; a plain iterator on the
blocking client) writes the requests to a temporary ``.jsonl`` file as they come, uploads
it, creates the job, waits for it (reporting progress), downloads the output and error
files and yields one :class:`~mistral_async.types.batch.BatchResult` per request, in
input order. ``client.batch.jobs.wait(job_id)`` is the waiting part alone.

Memory stays bounded whatever the number of requests: requests are streamed to disk,
files are uploaded and downloaded in chunks, and the results are put back in input order
through an index of file offsets (8 bytes per request) rather than by holding them. Only
the custom ids you choose yourself are remembered (to match results to positions).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import importlib
import inspect
import math
import tempfile
import uuid
from array import array
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import aclosing
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeAlias

from .._converter import Model, json_default
from .._errors import BatchJobError, BatchWaitTimeoutError, InvalidParameterError
from .._json import dumps, loads
from .._response import RawResponse
from .._types import NOT_GIVEN, NotGiven
from ..types.batch import (
    BatchEndpoint,
    BatchJob,
    BatchLineError,
    BatchRequest,
    BatchResult,
    CreateBatchJobRequest,
)

if TYPE_CHECKING:
    from .._client import AsyncMistral
    from ..resources.batch import AsyncBatchJobs

__all__ = [
    "BatchJobError",
    "BatchRequestInput",
    "BatchWaitTimeoutError",
    "ProgressCallback",
    "request_options",
    "run_batch",
    "wait_for_job",
]

BatchRequestInput: TypeAlias = (
    "Mapping[str, Any] | Model | tuple[str, Mapping[str, Any] | Model] | BatchRequest"
)
"""One request given to ``client.batch.run``: its body (a dict or an attrs request
object), a ``(custom_id, body)`` tuple, a :class:`BatchRequest`, or a dict
``{"custom_id": ..., "body": {...}}``."""

ProgressCallback: TypeAlias = "Callable[[BatchJob], Awaitable[object] | object]"
"""Called with the job as it advances; a coroutine function is awaited."""

_FLUSH_BYTES = 1 << 20
_READ_BATCH = 512
_GROWTH = 1.5


# -- waiting ---------------------------------------------------------------------------------


def _check_seconds(name: str, value: Any, *, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidParameterError(name, f"must be a positive number of seconds, not {value!r}")


def request_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The per-request options of :class:`PollOptions` (``request_timeout`` -> ``timeout``)."""
    found = dict(options)
    if "request_timeout" in found:
        found["timeout"] = found.pop("request_timeout")
    return found


def _advanced(before: BatchJob | None, after: BatchJob) -> bool:
    if before is None:
        return True
    return (
        before.status != after.status
        or before.total_requests != after.total_requests
        or before.completed_requests != after.completed_requests
        or before.succeeded_requests != after.succeeded_requests
        or before.failed_requests != after.failed_requests
    )


async def _notify(callback: ProgressCallback | None, job: BatchJob) -> None:
    if callback is None:
        return
    outcome = callback(job)
    if inspect.isawaitable(outcome):
        await outcome


async def wait_for_job(
    jobs: AsyncBatchJobs,
    job_id: str,
    *,
    poll_interval: float = 5.0,
    max_poll_interval: float = 60.0,
    timeout: float | None = None,  # noqa: ASYNC109 - the limit of the whole wait
    on_progress: ProgressCallback | None = None,
    raise_on_failure: bool = True,
    options: Mapping[str, Any] | None = None,
    last: BatchJob | None = None,
) -> Any:
    """Poll a job until it ends; see :meth:`AsyncBatchJobs.wait`.

    ``options`` are the per-request options of each poll. ``last`` is a reading the
    caller already reported: ``on_progress`` is then called only once the job differs
    from it. Returns the last reply (a :class:`RawResponse` on a raw client).
    """
    _check_seconds("poll_interval", poll_interval)
    _check_seconds("max_poll_interval", max_poll_interval)
    _check_seconds("timeout", timeout, nullable=True)
    if on_progress is not None and not callable(on_progress):
        raise InvalidParameterError("on_progress", "must be a callable taking the job")
    poll = dict(options or {})
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    delay = float(poll_interval)
    cap = max(float(max_poll_interval), delay)
    while True:
        # With with_raw_response the polls give RawResponses: read the job from each,
        # and hand the last one back, as the raw twin of ``wait`` promises.
        reply: Any = await jobs.get(job_id, **poll)
        job: BatchJob = reply.parse() if isinstance(reply, RawResponse) else reply
        if _advanced(last, job):
            await _notify(on_progress, job)
        last = job
        if job.done:
            break
        pause = delay
        if deadline is not None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise BatchWaitTimeoutError(job, float(timeout or 0))
            pause = min(pause, remaining)
        await asyncio.sleep(pause)
        # Long jobs are read less and less often, so a day-long job costs few requests.
        delay = min(delay * _GROWTH, cap)
    if raise_on_failure and job.status != "SUCCESS":
        raise BatchJobError(job)
    return reply


# -- writing the requests --------------------------------------------------------------------


class _Positions:
    """Where each ``custom_id`` sits in the input: generated ids are their own position,
    only the ids the caller chose are kept in a dict."""

    def __init__(self) -> None:
        self.count = 0
        self.chosen: dict[str, int] = {}
        self.generated = bytearray()  # 1 where the id was generated, per position

    def add(self, custom_id: str | None) -> str:
        index = self.count
        if custom_id is None:
            self.generated.append(1)
            custom_id = str(index)
        else:
            if custom_id in self.chosen:
                raise InvalidParameterError(
                    f"requests[{index}].custom_id",
                    f"{custom_id!r} is already the custom_id of requests[{self.chosen[custom_id]}]",
                )
            self.chosen[custom_id] = index
            self.generated.append(0)
        self.count += 1
        return custom_id

    def check(self) -> None:
        """A chosen id must not be one given to a request without an id."""
        for custom_id, index in self.chosen.items():
            position = self.of(custom_id, chosen=False)
            if position is not None:
                raise InvalidParameterError(
                    f"requests[{index}].custom_id",
                    f"{custom_id!r} is also the id numbered for requests[{position}], which "
                    "has none; give every request an id, or none",
                )

    def of(self, custom_id: Any, *, chosen: bool = True) -> int | None:
        """The position of ``custom_id``, or ``None`` when no request has it."""
        if not isinstance(custom_id, str):
            return None
        if chosen:
            found = self.chosen.get(custom_id)
            if found is not None:
                return found
        if custom_id.isascii() and custom_id.isdecimal() and custom_id == str(int(custom_id)):
            index = int(custom_id)
            if index < self.count and self.generated[index]:
                return index
        return None


def _split(item: Any, index: int) -> tuple[str | None, Any]:
    """The custom_id (``None`` to number it) and the body of one request."""
    where = f"requests[{index}]"
    body: Any
    if isinstance(item, BatchRequest):
        custom_id, body = item.custom_id, item.body
    elif isinstance(item, tuple):
        if len(item) != 2:
            raise InvalidParameterError(where, "a tuple must be (custom_id, body)")
        custom_id, body = item
    elif (
        isinstance(item, Mapping)
        and "body" in item
        and isinstance(item["body"], Mapping | Model)
        and set(item) <= {"custom_id", "body"}
    ):
        custom_id, body = item.get("custom_id"), item["body"]
    else:
        custom_id, body = None, item
    if custom_id is not None and not isinstance(custom_id, str):
        raise InvalidParameterError(
            f"{where}.custom_id", f"must be a string, not {type(custom_id).__name__}"
        )
    if not isinstance(body, Mapping | Model):
        raise InvalidParameterError(
            where, f"must be a request body (a dict), not {type(body).__name__}"
        )
    return custom_id, body


async def _each(requests: Any) -> AsyncIterator[Any]:
    if isinstance(requests, AsyncIterable):
        async for item in requests:
            yield item
    elif isinstance(requests, Iterable) and not isinstance(requests, str | bytes | Mapping):
        for item in requests:
            yield item
    else:
        raise InvalidParameterError(
            "requests", f"must be an iterable of requests, not {type(requests).__name__}"
        )


async def _write_requests(requests: Any, path: Path) -> _Positions:
    """Write the requests as JSONL to ``path``, as they come; their positions."""
    positions = _Positions()
    buffer = bytearray()
    with open(path, "wb") as file:  # noqa: ASYNC230 - writes go through a thread below
        async for item in _each(requests):
            custom_id, body = _split(item, positions.count)
            line = {"custom_id": positions.add(custom_id), "body": body}
            try:
                buffer += dumps(line, json_default)
            except (TypeError, ValueError) as exc:
                where = f"requests[{positions.count - 1}]"
                raise InvalidParameterError(where, f"cannot be sent as JSON: {exc}") from exc
            buffer += b"\n"
            if len(buffer) >= _FLUSH_BYTES:
                await asyncio.to_thread(file.write, bytes(buffer))
                buffer.clear()
        if buffer:
            await asyncio.to_thread(file.write, bytes(buffer))
    positions.check()
    return positions


# -- reading the results ---------------------------------------------------------------------


_RESPONSE_TYPES: dict[str, tuple[str, str]] = {
    "/v1/chat/completions": ("..types.chat", "ChatCompletionResponse"),
    "/v1/fim/completions": ("..types.chat", "FIMCompletionResponse"),
    "/v1/embeddings": ("..types.embeddings", "EmbeddingResponse"),
    "/v1/moderations": ("..types.classifiers", "ModerationResponse"),
    "/v1/chat/moderations": ("..types.classifiers", "ModerationResponse"),
    "/v1/classifications": ("..types.classifiers", "ClassificationResponse"),
    "/v1/chat/classifications": ("..types.classifiers", "ClassificationResponse"),
    "/v1/ocr": ("..types.ocr", "OCRResponse"),
    "/v1/audio/transcriptions": ("..types.audio", "TranscriptionResponse"),
    "/v1/conversations": ("..types.conversations", "ConversationResponse"),
}


def _response_type(endpoint: str) -> Any:
    """The SDK's type of the endpoint's response, if this version of the SDK has one."""
    where = _RESPONSE_TYPES.get(endpoint)
    if where is None:
        return None
    try:
        module = importlib.import_module(where[0], __package__)
    except ImportError:
        return None
    return getattr(module, where[1], None)


def _parser(endpoint: str, response_type: Any) -> Callable[[Any], Any]:
    from .._converter import converter

    cls = _response_type(endpoint) if response_type is None else response_type
    if cls is None or cls is dict:
        return lambda body: body
    hook = converter.get_structure_hook(cls)

    def parse(body: Any) -> Any:
        try:
            return hook(body, cls)
        except Exception:  # noqa: BLE001 - a body of an unexpected shape is kept as JSON
            return body

    return parse


def _line_error(error: Any, status: int | None, body: Any) -> BatchLineError | None:
    if isinstance(error, Mapping):
        message = error.get("message")
        found = BatchLineError(
            message=message if isinstance(message, str) else str(message or "request failed"),
            code=error.get("code"),
        )
        extra = {k: v for k, v in error.items() if k not in ("message", "code")}
        if extra:
            found._extra = extra
        return found
    if error is not None:
        return BatchLineError(message=str(error))
    if status is not None and status < 400:
        return None
    message = None
    if isinstance(body, Mapping):
        message = body.get("message") or body.get("detail")
    return BatchLineError(
        message=str(message) if message else f"the request failed with HTTP {status}",
        code=status,
    )


def _result(data: Any, parse: Callable[[Any], Any]) -> BatchResult:
    if not isinstance(data, Mapping):
        return BatchResult(
            custom_id="", error=BatchLineError(message=f"unreadable result line: {data!r}")
        )
    response = data.get("response")
    status: int | None = None
    body: Any = None
    if isinstance(response, Mapping):
        found = response.get("status_code")
        status = found if isinstance(found, int) else None
        body = response.get("body")
    error = _line_error(data.get("error"), status, body)
    custom_id = data.get("custom_id")
    line_id = data.get("id")
    return BatchResult(
        custom_id=custom_id if isinstance(custom_id, str) else "",
        response=parse(body) if error is None else None,
        error=error,
        status_code=status,
        id=line_id if isinstance(line_id, str) else None,
        body=body,
    )


def _decode(line: bytes) -> Any:
    try:
        return loads(line)
    except ValueError:
        return line.decode("utf-8", "replace").strip()


def _index(paths: list[Path], positions: _Positions) -> tuple[array[int], list[tuple[int, int]]]:
    """Where the result of each position is: ``offset * len(paths) + file number`` (or -1),
    and the lines no request claims."""
    width = len(paths)
    offsets = array("q", [-1]) * positions.count
    strays: list[tuple[int, int]] = []
    for number, path in enumerate(paths):
        offset = 0
        with open(path, "rb") as file:
            for line in file:
                if line.strip():
                    data = _decode(line)
                    custom_id = data.get("custom_id") if isinstance(data, dict) else None
                    position = positions.of(custom_id)
                    if position is None:
                        strays.append((number, offset))
                    else:
                        offsets[position] = offset * width + number
                offset += len(line)
    return offsets, strays


def _read_lines(files: Sequence[IO[bytes]], places: list[tuple[int, int]]) -> list[Any]:
    found = []
    for number, offset in places:
        file = files[number]
        file.seek(offset)
        found.append(_decode(file.readline()))
    return found


async def _read_results(
    paths: list[Path], positions: _Positions, parse: Callable[[Any], Any]
) -> AsyncGenerator[BatchResult, None]:
    """The results of the downloaded files, in input order (then any unclaimed line)."""
    if not paths:
        return
    offsets, strays = await asyncio.to_thread(_index, paths, positions)
    width = len(paths)

    def places() -> Iterator[tuple[int, int]]:
        # A request without a result (-1) is one the job did not run before it stopped.
        for value in offsets:
            if value >= 0:
                yield divmod(value, width)
        for number, offset in strays:
            yield offset, number

    files = [open(path, "rb") for path in paths]  # noqa: ASYNC230, SIM115 - read in threads, closed below
    try:
        pending: list[tuple[int, int]] = []
        for offset, number in places():
            pending.append((number, offset))
            if len(pending) == _READ_BATCH:
                for data in await asyncio.to_thread(_read_lines, files, pending):
                    yield _result(data, parse)
                pending = []
        for data in await asyncio.to_thread(_read_lines, files, pending):
            yield _result(data, parse)
    finally:
        for file in files:
            file.close()


# -- the whole run ---------------------------------------------------------------------------


def _progress_bar_factory() -> Any:
    try:
        module = importlib.import_module("tqdm.auto")
    except ImportError as exc:
        raise InvalidParameterError(
            "progress_bar",
            "needs the tqdm package, which is not installed: pip install tqdm "
            "(or report progress yourself with on_progress=)",
        ) from exc
    return module.tqdm


class _Progress:
    """Reports each reading of the job to the caller's callback and to the progress bar."""

    def __init__(self, callback: ProgressCallback | None, bar_factory: Any) -> None:
        self._callback = callback
        self._bar_factory = bar_factory
        self._bar: Any = None

    async def __call__(self, job: BatchJob) -> None:
        if self._bar_factory is not None:
            bar = self._bar
            if bar is None:
                bar = self._bar = self._bar_factory(
                    total=job.total_requests or None, unit="req", desc=f"batch {job.id[:8]}"
                )
            if job.total_requests and bar.total != job.total_requests:
                bar.total = job.total_requests
            bar.update(job.completed_requests - bar.n)
            bar.set_postfix_str(job.status)
        await _notify(self._callback, job)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


async def _cancel_quietly(jobs: AsyncBatchJobs, job_id: str, options: dict[str, Any]) -> None:
    # Best effort: the job may have ended meanwhile, or the API be unreachable.
    with contextlib.suppress(Exception):
        await jobs.cancel(job_id, **options)


async def _download(
    client: AsyncMistral, file_id: str, path: Path, options: dict[str, Any]
) -> None:
    async with await client.files.download(file_id, **options) as body:
        await body.write_to(path)


def _plain(client: AsyncMistral) -> AsyncMistral:
    """The client itself, or its twin giving parsed results when it gives raw responses."""
    if not client._raw:
        return client
    # As ``with_raw_response`` makes its clone: same session and settings, fresh resources.
    twin = copy.copy(client)
    twin.__dict__ = {k: v for k, v in client.__dict__.items() if k.startswith("_")}
    twin._raw = False
    return twin


async def run_batch(
    client: AsyncMistral,
    requests: Iterable[BatchRequestInput] | AsyncIterable[BatchRequestInput],
    *,
    endpoint: BatchEndpoint = "/v1/chat/completions",
    model: str | NotGiven | None = NOT_GIVEN,
    agent_id: str | NotGiven | None = NOT_GIVEN,
    metadata: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
    timeout_hours: int | NotGiven = NOT_GIVEN,
    response_type: Any = None,
    poll_interval: float = 5.0,
    max_poll_interval: float = 60.0,
    timeout: float | None = None,  # noqa: ASYNC109 - the limit of the whole wait
    on_progress: ProgressCallback | None = None,
    progress_bar: bool = False,
    cancel_on_exit: bool = True,
    options: Mapping[str, Any] | None = None,
) -> AsyncGenerator[BatchResult, None]:
    """Run requests as one batch job and yield their results; see ``client.batch.run``.

    ``options`` are the per-request options (:class:`PollOptions`) of every request made.
    """
    per_request = request_options(options or {})
    # Every parameter is checked before the first request is written or sent.
    job_params = {
        k: v
        for k, v in {
            "model": model,
            "agent_id": agent_id,
            "metadata": dict(metadata) if isinstance(metadata, Mapping) else metadata,
            "timeout_hours": timeout_hours,
        }.items()
        if v is not NOT_GIVEN
    }
    CreateBatchJobRequest.validated(endpoint=endpoint, **job_params)
    _check_seconds("poll_interval", poll_interval)
    _check_seconds("max_poll_interval", max_poll_interval)
    _check_seconds("timeout", timeout, nullable=True)
    if on_progress is not None and not callable(on_progress):
        raise InvalidParameterError("on_progress", "must be a callable taking the job")
    if response_type is not None and not isinstance(response_type, type):
        raise InvalidParameterError("response_type", f"must be a class, not {response_type!r}")
    bar_factory = _progress_bar_factory() if progress_bar else None
    parse = _parser(endpoint, response_type)
    client = _plain(client)
    jobs = client.batch.jobs

    with tempfile.TemporaryDirectory(prefix="mistral-batch-") as workdir:
        folder = Path(workdir)
        source = folder / "requests.jsonl"
        positions = await _write_requests(requests, source)
        if positions.count == 0:
            raise InvalidParameterError("requests", "there is no request to run")
        name = f"batch-{uuid.uuid4().hex[:12]}.jsonl"
        uploaded = await client.files.upload(
            file=(name, source, "application/jsonl"), purpose="batch", **per_request
        )
        source.unlink()
        job = await jobs.create(
            input_files=[uploaded.id],
            endpoint=endpoint,
            model=model,
            agent_id=agent_id,
            metadata=metadata,
            timeout_hours=timeout_hours,
            **per_request,
        )
        progress = _Progress(on_progress, bar_factory)
        finished = False
        try:
            await progress(job)
            job = await wait_for_job(
                jobs,
                job.id,
                poll_interval=poll_interval,
                max_poll_interval=max_poll_interval,
                timeout=timeout,
                on_progress=progress,
                raise_on_failure=False,  # the results there are come first
                options=per_request,
                last=job,
            )
            finished = True
        finally:
            progress.close()
            if not finished and cancel_on_exit:
                await _cancel_quietly(jobs, job.id, per_request)

        paths: list[Path] = []
        for file_id, file_name in (
            (job.output_file, "output.jsonl"),
            (job.error_file, "errors.jsonl"),
        ):
            if file_id:
                path = folder / file_name
                await _download(client, file_id, path, per_request)
                paths.append(path)
        async with aclosing(_read_results(paths, positions, parse)) as results:
            async for result in results:
                yield result
    if job.status != "SUCCESS":
        raise BatchJobError(job)

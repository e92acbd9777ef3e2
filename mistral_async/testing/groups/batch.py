"""Fake ``/v1/batch/jobs`` endpoints: batch jobs that really run their requests.

A job is created ``QUEUED`` and moves one step each time it is read
(``GET /v1/batch/jobs/{job_id}``), so tests are deterministic and fast: the first read
makes it ``RUNNING``, each of the next :attr:`BatchState.steps` reads runs the next share of
its requests (``completed_requests`` grows), and the read after the last request ends it
``SUCCESS`` (``FAILED`` when no request succeeded). ``POST .../cancel`` makes it
``CANCELLATION_REQUESTED`` and the next read ``CANCELLED``, keeping what already ran. A job
read after its ``timeout_hours`` ends ``TIMEOUT_EXCEEDED``. Set ``BatchState.auto_advance``
to false to freeze jobs, and move them with :meth:`BatchState.advance` from a test.

Each request (a line ``{"custom_id": ..., "body": {...}}`` of the input files, or an inline
request) is answered by this fake server's own endpoint for the job's ``endpoint`` (with the
job's ``model`` added to the body, or routed to ``/v1/agents/completions`` with its
``agent_id``), so a batch supports whatever the fake serves. Results go to an output file
(``{"id", "custom_id", "response": {"status_code", "body"}, "error": null}`` per line) and
failures to an error file (``"error": {"message", "code"}``, with the endpoint's error
response when there was one), both stored in :class:`~.._store.FilesState` with
``purpose="batch"``, ``source="mistral"`` and ``sample_type`` ``batch_result`` /
``batch_error``. A line that is not JSON, not a request object, asks for a stream or goes to
an endpoint the fake does not serve fails alone. Input is read line by line and output
written to spooled blobs, so big jobs stay cheap in memory.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import json
import math
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from aiohttp import web
from aiohttp.streams import EMPTY_PAYLOAD
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

from .._app import Abort, Call, FakeApp, error_body
from .._body import Blob, BlobWriter, BodyCapture, RequestBody
from .._store import FilesState
from .._validation import (
    Array,
    Body,
    Bool,
    Dict,
    FreeDict,
    Int,
    Model,
    Str,
    nullable,
)
from .files import add_file

__all__ = ["BatchJobRecord", "BatchState", "register"]

ENDPOINTS = [
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/fim/completions",
    "/v1/moderations",
    "/v1/chat/moderations",
    "/v1/ocr",
    "/v1/classifications",
    "/v1/chat/classifications",
    "/v1/conversations",
    "/v1/audio/transcriptions",
]
STATUSES = [
    "QUEUED",
    "RUNNING",
    "SUCCESS",
    "FAILED",
    "TIMEOUT_EXCEEDED",
    "CANCELLATION_REQUESTED",
    "CANCELLED",
]
FINISHED = frozenset({"SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED"})

_BATCH_REQUEST = Model(
    "BatchRequest", {"custom_id": nullable(Str()), "body": FreeDict()}, required=["body"]
)
CREATE_JOB = Body(
    "CreateBatchJobRequest",
    required={"endpoint": Str(enum=ENDPOINTS)},
    optional={
        "input_files": nullable(Array(Str())),
        "requests": nullable(Array(_BATCH_REQUEST, max_items=10_000)),
        "model": nullable(Str()),
        "agent_id": nullable(Str()),
        "metadata": nullable(Dict(Str(min_length=1, max_length=512))),
        "timeout_hours": Int(ge=1, le=168),
    },
)
LIST_QUERY = Body(
    "ListBatchJobs",
    optional={
        "page": Int(ge=0),
        "page_size": Int(ge=1),
        "model": nullable(Str()),
        "agent_id": nullable(Str()),
        "metadata": nullable(Str()),
        "created_after": nullable(Str()),
        "created_by_me": Bool(),
        "status": nullable(Array(Str(enum=STATUSES))),
        "order_by": Str(enum=["created", "-created"]),
    },
)
GET_QUERY = Body("GetBatchJob", optional={"inline": nullable(Bool())})

_YIELD_EVERY = 100  # requests run between two yields to the event loop


@dataclass(eq=False)
class BatchJobRecord:
    """One batch job of the fake server, with the work it has left."""

    id: str
    endpoint: str
    input_files: list[str]
    model: str | None
    agent_id: str | None
    metadata: dict[str, Any] | None
    timeout_hours: int
    total: int
    created_at: int
    status: str = "QUEUED"
    started_at: int | None = None
    completed_at: int | None = None
    succeeded: int = 0
    failed: int = 0
    output_file: str | None = None
    error_file: str | None = None
    errors: dict[str, int] = field(default_factory=dict)
    deadline: float = math.inf
    """``time.time()`` after which a read ends the job ``TIMEOUT_EXCEEDED``."""
    source: Iterator[bytes | dict[str, Any]] | None = field(default=None, repr=False)
    output: BlobWriter = field(default_factory=BlobWriter, repr=False)
    error_output: BlobWriter = field(default_factory=BlobWriter, repr=False)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    deleted: bool = False

    @property
    def completed(self) -> int:
        """Requests run so far."""
        return self.succeeded + self.failed

    def to_json(self, outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The API's ``BatchJob``."""
        body: dict[str, Any] = {
            "id": self.id,
            "object": "batch",
            "input_files": list(self.input_files),
            "metadata": self.metadata,
            "endpoint": self.endpoint,
            "model": self.model,
            "agent_id": self.agent_id,
            "output_file": self.output_file,
            "error_file": self.error_file,
            "errors": [{"message": m, "count": n} for m, n in self.errors.items()],
            "status": self.status,
            "created_at": self.created_at,
            "total_requests": self.total,
            "completed_requests": self.completed,
            "succeeded_requests": self.succeeded,
            "failed_requests": self.failed,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
        }
        if outputs is not None:
            body["outputs"] = outputs
        return body


class BatchState:
    """The batch jobs of one fake server, and how fast they move."""

    def __init__(self) -> None:
        """Start with no job; jobs spend 3 reads running, and move on each read."""
        self.jobs: dict[str, BatchJobRecord] = {}
        self.steps = 3
        """Reads a job spends ``RUNNING`` (its requests are split among them)."""
        self.auto_advance = True
        """Whether reading a job moves it one step."""

    async def advance(self, app: FakeApp, job_id: str) -> BatchJobRecord:
        """Move the job one step (see the module docstring); return it."""
        job = self.jobs[job_id]
        async with job.lock:
            await _step(app, job, max(1, self.steps))
        return job


def register(app: FakeApp) -> None:
    """Add the batch job routes."""
    app.route("GET", "/v1/batch/jobs", list_jobs)
    app.route("POST", "/v1/batch/jobs", create_job)
    app.route("GET", "/v1/batch/jobs/{job_id}", get_job)
    app.route("DELETE", "/v1/batch/jobs/{job_id}", delete_job)
    app.route("POST", "/v1/batch/jobs/{job_id}/cancel", cancel_job)


# -- running requests ------------------------------------------------------------------------


class _LineBody(RequestBody):
    """The JSON body of one batch request, read by an endpoint handler like a request's."""

    def __init__(self, data: bytes) -> None:
        super().__init__(EMPTY_PAYLOAD, BodyCapture())
        self._data = data

    async def read_chunk(self) -> bytes:
        """Give the whole body once, then the end."""
        data, self._data = self._data, b""
        return data


class _LineRequest:
    """What a handler may read of the HTTP request behind a batch request."""

    def __init__(self, path: str) -> None:
        self.method = "POST"
        self.path = self.raw_path = path
        self.query: MultiDictProxy[str] = MultiDictProxy(MultiDict())
        self.headers = CIMultiDictProxy(CIMultiDict({"Content-Type": "application/json"}))
        self.transport = None


async def _dispatch(app: FakeApp, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    """Answer ``POST path`` with ``body`` through this server's own endpoint."""
    match = app.match("POST", path)
    if match.endpoint is None:
        message = f"The fake server does not serve POST {path}"
        return 404, error_body(message, "invalid_request_error", 404)
    call = Call(
        app=app,
        request=cast(web.BaseRequest, _LineRequest(path)),
        request_id=uuid.uuid4().hex,
        path=path,
        params=match.params,
        body=_LineBody(json.dumps(body).encode()),
    )
    try:
        response = await match.endpoint.handler(call)
    except Abort as abort:
        response = abort.response
    except Exception as exc:  # noqa: BLE001 - one failing request must not stop the job
        return 500, error_body(f"Internal server error: {exc!r}", "internal_server_error", 500)
    raw = response.body if isinstance(response, web.Response) else None
    if not isinstance(raw, bytes):
        return 500, error_body("The endpoint did not answer JSON", "internal_server_error", 500)
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, raw.decode("utf-8", "replace")


def _failure(
    custom_id: Any, summary: str, message: str, code: int | str, response: Any = None
) -> tuple[dict[str, Any], str]:
    record = {
        "id": f"batch-{uuid.uuid4().hex}",
        "custom_id": custom_id if isinstance(custom_id, str) else None,
        "response": response,
        "error": {"message": message, "code": str(code)},
    }
    return record, summary


async def _run_line(
    app: FakeApp, job: BatchJobRecord, item: bytes | dict[str, Any], number: int
) -> tuple[dict[str, Any], str | None]:
    """Run one request; its output line, and the summary of its error (None if it worked)."""
    if isinstance(item, bytes):
        try:
            request = json.loads(item)
        except ValueError as exc:
            return _failure(None, "Invalid JSON line", f"Line {number}: invalid JSON: {exc}", 400)
    else:
        request = item
    custom_id = request.get("custom_id") if isinstance(request, dict) else None
    if (
        not isinstance(request, dict)
        or not isinstance(request.get("body"), dict)
        or not isinstance(custom_id, str | None)
    ):
        message = (
            f"Line {number}: a request must be an object with a 'body' object "
            "and an optional string 'custom_id'"
        )
        return _failure(custom_id, "Invalid request line", message, 400)
    body = dict(request["body"])
    path = job.endpoint
    if job.agent_id is not None and path == "/v1/chat/completions":
        path = "/v1/agents/completions"
        body.setdefault("agent_id", job.agent_id)
    elif job.model is not None:
        body.setdefault("model", job.model)
    if body.get("stream"):
        message = f"Line {number}: streaming is not available in batch jobs"
        return _failure(custom_id, "Streaming request", message, 400)
    status, answer = await _dispatch(app, path, body)
    response = {"status_code": status, "body": answer}
    if status >= 400:
        text = answer.get("message") if isinstance(answer, dict) else None
        if text is None and isinstance(answer, dict) and "detail" in answer:
            text = json.dumps(answer["detail"])[:500]
        message = f"Line {number}: HTTP {status}: {text or answer}"
        return _failure(custom_id, f"Request failed with HTTP {status}", message, status, response)
    record = {
        "id": f"batch-{uuid.uuid4().hex}",
        "custom_id": custom_id,
        "response": response,
        "error": None,
    }
    return record, None


def _file_lines(blobs: list[Blob]) -> Iterator[bytes]:
    """The non-blank lines of the input files, read as needed."""
    for blob in blobs:
        with blob.open() as stream:
            for line in stream:
                if line.strip():
                    yield line


def _count_lines(blobs: list[Blob]) -> int:
    return sum(1 for _ in _file_lines(blobs))


def _now() -> int:
    return int(time.time())


async def _step(app: FakeApp, job: BatchJobRecord, steps: int) -> None:
    """Move ``job`` one step."""
    if job.status in FINISHED or job.deleted:
        return
    if time.time() > job.deadline:
        await _finish(app, job, "TIMEOUT_EXCEEDED")
    elif job.status == "CANCELLATION_REQUESTED":
        await _finish(app, job, "CANCELLED")
    elif job.status == "QUEUED":
        job.status = "RUNNING"
        job.started_at = _now()
    elif job.completed >= job.total:
        await _finish(app, job, "SUCCESS" if job.succeeded else "FAILED")
    else:
        await _run_share(app, job, math.ceil(job.total / steps))


async def _run_share(app: FakeApp, job: BatchJobRecord, count: int) -> None:
    """Run the next ``count`` requests of the job."""
    source = job.source
    if source is None:
        return
    for _ in range(count):
        item = next(source, None)
        if item is None:
            job.total = job.completed  # the input had fewer requests than counted
            break
        number = job.completed + 1
        record, summary = await _run_line(app, job, item, number)
        line = json.dumps(record, separators=(",", ":")).encode() + b"\n"
        if summary is None:
            job.succeeded += 1
            job.output.write(line)
        else:
            job.failed += 1
            job.error_output.write(line)
            job.errors[summary] = job.errors.get(summary, 0) + 1
        if number % _YIELD_EVERY == 0:
            await asyncio.sleep(0)  # let other requests in during a big job


async def _finish(app: FakeApp, job: BatchJobRecord, status: str) -> None:
    """End the job: store its output and error files."""
    source, job.source = job.source, None
    close = getattr(source, "close", None)
    if close is not None:
        close()
    files = app.state(FilesState)
    for writer, kind in ((job.output, "batch_result"), (job.error_output, "batch_error")):
        blob = writer.finish()
        if blob.size == 0:
            continue
        suffix = "output" if kind == "batch_result" else "error"
        stored = await add_file(
            files,
            blob,
            filename=f"{job.id}_{suffix}.jsonl",
            purpose="batch",
            content_type="application/jsonl",
            sample_type=kind,
            source="mistral",
        )
        if kind == "batch_result":
            job.output_file = stored.id
        else:
            job.error_file = stored.id
    if status == "FAILED" and job.total == 0:
        job.errors["The batch job has no request"] = 1
    job.status = status
    job.completed_at = _now()


def _outputs(app: FakeApp, job: BatchJobRecord) -> list[dict[str, Any]] | None:
    """The result lines of a finished job (results, then errors), for ``inline=true``."""
    if job.status not in FINISHED:
        return None
    files = app.state(FilesState)
    found: list[dict[str, Any]] = []
    for file_id in (job.output_file, job.error_file):
        stored = files.get(file_id) if file_id else None
        if stored is not None:
            found += [json.loads(line) for line in _file_lines([stored.blob])]
    return found


# -- handlers --------------------------------------------------------------------------------


def _job(call: Call) -> BatchJobRecord:
    job_id = call.params["job_id"]
    job = call.state(BatchState).jobs.get(job_id)
    if job is None:
        raise Abort(call.not_found("Batch job", job_id))
    return job


def _value_error(message: str, value: Any, loc: list[str | int]) -> dict[str, Any]:
    return {
        "type": "value_error",
        "loc": loc,
        "msg": f"Value error, {message}",
        "input": value,
        "ctx": {"error": message},
    }


async def create_job(call: Call) -> web.StreamResponse:
    """``POST /v1/batch/jobs``."""
    payload = await call.json(CREATE_JOB)
    problems = [
        _value_error("metadata keys must have 1 to 32 characters", key, ["body", "metadata"])
        for key in payload.get("metadata") or {}
        if not 1 <= len(key) <= 32
    ]
    input_files = payload.get("input_files")
    inline = payload.get("requests")
    if input_files is None and inline is None:
        problems.append(_value_error("give input_files or requests", payload, ["body"]))
    elif input_files is not None and inline is not None:
        problems.append(_value_error("give input_files or requests, not both", payload, ["body"]))
    if payload.get("model") is not None and payload.get("agent_id") is not None:
        problems.append(_value_error("give model or agent_id, not both", payload, ["body"]))
    if problems:
        return call.validation_error(problems)
    files = call.state(FilesState)
    blobs: list[Blob] = []
    for file_id in input_files or ():
        stored = files.get(file_id)
        if stored is None:
            return call.not_found("File", file_id)
        blobs.append(stored.blob)
    source: Iterator[bytes | dict[str, Any]]
    if inline is not None:
        total = len(inline)
        source = iter(inline)
    else:
        total = await asyncio.to_thread(_count_lines, blobs)
        source = _file_lines(blobs)
    timeout_hours = payload.get("timeout_hours", 24)
    created = time.time()
    job = BatchJobRecord(
        id=str(uuid.uuid4()),
        endpoint=payload["endpoint"],
        input_files=list(input_files or ()),
        model=payload.get("model"),
        agent_id=payload.get("agent_id"),
        metadata=payload.get("metadata"),
        timeout_hours=timeout_hours,
        total=total,
        created_at=int(created),
        deadline=created + timeout_hours * 3600,
        source=source,
    )
    call.state(BatchState).jobs[job.id] = job
    return call.ok(job.to_json())


async def get_job(call: Call) -> web.StreamResponse:
    """``GET /v1/batch/jobs/{job_id}``: moves the job one step (see the module docstring)."""
    query = call.validate_query(GET_QUERY)
    job = _job(call)
    state = call.state(BatchState)
    if state.auto_advance:
        await state.advance(call.app, job.id)
    outputs = _outputs(call.app, job) if query.get("inline") else None
    return call.ok(job.to_json(outputs if query.get("inline") else None))


def _created_after(call: Call, text: str) -> float:
    try:
        moment = _dt.datetime.fromisoformat(text)
    except ValueError as exc:
        detail = {
            "type": "datetime_from_date_parsing",
            "loc": ["query", "created_after"],
            "msg": f"Input should be a valid datetime or date, {exc}",
            "input": text,
        }
        raise Abort(call.validation_error([detail])) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.UTC)
    return moment.timestamp()


def _metadata_filter(call: Call, text: str) -> dict[str, Any]:
    try:
        wanted = json.loads(text)
    except ValueError:
        wanted = None
    if not isinstance(wanted, dict):
        detail = {
            "type": "json_invalid",
            "loc": ["query", "metadata"],
            "msg": "Input should be a JSON object",
            "input": text,
        }
        raise Abort(call.validation_error([detail]))
    return wanted


async def list_jobs(call: Call) -> web.StreamResponse:
    """``GET /v1/batch/jobs`` with paging and filters, newest first by default."""
    query = call.validate_query(LIST_QUERY)
    page, size = query.get("page", 0), query.get("page_size", 100)
    after = query.get("created_after")
    since = _created_after(call, after) if after else None
    wanted = _metadata_filter(call, query["metadata"]) if query.get("metadata") else None
    statuses = query.get("status")
    found = []
    for job in call.state(BatchState).jobs.values():
        if query.get("model") and job.model != query["model"]:
            continue
        if query.get("agent_id") and job.agent_id != query["agent_id"]:
            continue
        if statuses and job.status not in statuses:
            continue
        if since is not None and job.created_at < since:
            continue
        if wanted and any((job.metadata or {}).get(k) != v for k, v in wanted.items()):
            continue
        found.append(job)
    # Jobs are kept in creation order; ties of the same second keep it too.
    if query.get("order_by", "-created") == "-created":
        found.reverse()
    data = [job.to_json() for job in found[page * size : (page + 1) * size]]
    return call.ok({"data": data, "object": "list", "total": len(found)})


async def cancel_job(call: Call) -> web.StreamResponse:
    """``POST /v1/batch/jobs/{job_id}/cancel``."""
    job = _job(call)
    async with job.lock:
        if job.status in ("QUEUED", "RUNNING"):
            job.status = "CANCELLATION_REQUESTED"
        elif job.status in FINISHED and job.status != "CANCELLED":
            return call.error(400, f"Batch job {job.id} has already ended ({job.status})")
    return call.ok(job.to_json())


async def delete_job(call: Call) -> web.StreamResponse:
    """``DELETE /v1/batch/jobs/{job_id}``."""
    job = _job(call)
    async with job.lock:
        source, job.source = job.source, None
        close = getattr(source, "close", None)
        if close is not None:
            close()
        job.output.discard()
        job.error_output.discard()
        job.deleted = True
        call.state(BatchState).jobs.pop(job.id, None)
    return call.ok({"id": job.id, "object": "batch", "deleted": True})

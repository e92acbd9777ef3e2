"""Types of the batch API: jobs, the requests they run, and the results they give.

A batch job runs many requests to one endpoint (``/v1/chat/completions``,
``/v1/embeddings``, ...) from ``.jsonl`` input files or from inline ``requests``. Each
line of an input file is a :class:`BatchRequest` (``{"custom_id": "0", "body": {...}}``);
each line of the job's output and error files is a :class:`BatchOutputLine`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from .._converter import Model
from .._errors import InvalidParameterError
from .._types import NOT_GIVEN, NotGiven
from . import _validate as v

__all__ = [
    "BATCH_ENDPOINTS",
    "BATCH_STATUSES",
    "FINISHED_STATUSES",
    "MAX_INLINE_REQUESTS",
    "BatchEndpoint",
    "BatchError",
    "BatchJob",
    "BatchLineError",
    "BatchLineResponse",
    "BatchOutputLine",
    "BatchRequest",
    "BatchResult",
    "CreateBatchJobRequest",
    "DeleteBatchJobResponse",
    "ListBatchJobsResponse",
]

BatchEndpoint = Literal[
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
"""An endpoint a batch job can run (the spec's ``ApiEndpoint``)."""

BATCH_ENDPOINTS: tuple[str, ...] = (
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
)
"""The values of :data:`BatchEndpoint`."""

BATCH_STATUSES = (
    "QUEUED",
    "RUNNING",
    "SUCCESS",
    "FAILED",
    "TIMEOUT_EXCEEDED",
    "CANCELLATION_REQUESTED",
    "CANCELLED",
)
"""Every status of a batch job (the spec's ``BatchJobStatus``)."""

FINISHED_STATUSES = frozenset({"SUCCESS", "FAILED", "TIMEOUT_EXCEEDED", "CANCELLED"})
"""The statuses a batch job does not leave."""


@attrs.define(slots=True)
class BatchError(Model):
    """An error of a batch job, with how many requests it hit."""

    message: str
    count: int = 1


@attrs.define(slots=True)
class BatchJob(Model):
    """A batch job.

    ``status`` is ``"QUEUED"``, ``"RUNNING"``, ``"SUCCESS"``, ``"FAILED"``,
    ``"TIMEOUT_EXCEEDED"``, ``"CANCELLATION_REQUESTED"`` or ``"CANCELLED"``. Once it has
    run, ``output_file`` holds the results and ``error_file`` the requests that failed
    (read them with ``client.files.download``); ``outputs`` holds the results inline when
    the job was read with ``inline=True``.
    """

    id: str
    input_files: list[str] = attrs.Factory(list)
    endpoint: str = ""
    errors: list[BatchError] = attrs.Factory(list)
    status: str = "QUEUED"
    created_at: int = 0
    total_requests: int = 0
    completed_requests: int = 0
    succeeded_requests: int = 0
    failed_requests: int = 0
    object: str = "batch"
    metadata: dict[str, Any] | None = None
    model: str | None = None
    agent_id: str | None = None
    output_file: str | None = None
    error_file: str | None = None
    outputs: list[dict[str, Any]] | None = None
    started_at: int | None = None
    completed_at: int | None = None

    @property
    def done(self) -> bool:
        """Whether the job has ended (succeeded, failed, timed out or was cancelled)."""
        return self.status in FINISHED_STATUSES


@attrs.define(slots=True)
class ListBatchJobsResponse(Model):
    """One page of batch jobs; ``total`` counts every job matching the filters."""

    total: int = 0
    data: list[BatchJob] = attrs.Factory(list)
    object: str = "list"


@attrs.define(slots=True)
class DeleteBatchJobResponse(Model):
    """The result of deleting a batch job."""

    id: str
    object: str = "batch"
    deleted: bool = True


# -- the lines of the input, output and error files ------------------------------------------


@attrs.define(slots=True)
class BatchRequest(Model):
    """One request of a batch: the endpoint's request ``body``, named by ``custom_id``.

    The body has no ``model`` when the job names it. Results carry the ``custom_id`` back,
    so give each request a distinct one.
    """

    body: dict[str, Any]
    custom_id: str | None = None


@attrs.define(slots=True)
class BatchLineResponse(Model):
    """The HTTP answer to one request of a batch: its status and JSON body."""

    status_code: int
    body: Any = None


@attrs.define(slots=True)
class BatchLineError(Model):
    """Why one request of a batch failed."""

    message: str = ""
    code: str | int | None = None


@attrs.define(slots=True)
class BatchOutputLine(Model):
    """One line of a batch job's output or error file."""

    id: str | None = None
    custom_id: str | None = None
    response: BatchLineResponse | None = None
    error: BatchLineError | None = None


@attrs.frozen(slots=True)
class BatchResult:
    """The outcome of one request run by ``client.batch.run``.

    ``response`` is the parsed body of a successful request: a typed object for the
    endpoints the SDK knows (``ChatCompletionResponse`` for ``/v1/chat/completions``,
    ``EmbeddingResponse`` for ``/v1/embeddings``, ...), else the decoded JSON. A failed
    request has ``response=None`` and an ``error`` saying why; ``body`` then keeps the
    error body the endpoint answered, if any. ``status_code`` is the endpoint's HTTP
    status (``None`` when the request never reached it, e.g. a malformed line).
    """

    custom_id: str
    response: Any = None
    error: BatchLineError | None = None
    status_code: int | None = None
    id: str | None = None
    body: Any = attrs.field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Whether the request succeeded."""
        return self.error is None and self.status_code is not None and self.status_code < 400


# -- requests --------------------------------------------------------------------------------


def _batch_request(path: str, value: Any) -> None:
    if isinstance(value, BatchRequest):
        return
    if not isinstance(value, Mapping):
        raise InvalidParameterError(
            path, f"must be a BatchRequest or a dict, not {type(value).__name__}"
        )
    if not isinstance(value.get("body"), Mapping):
        raise InvalidParameterError(f"{path}.body", "must be a dict (the request's body)")
    custom_id = value.get("custom_id")
    if custom_id is not None and not isinstance(custom_id, str):
        raise InvalidParameterError(f"{path}.custom_id", "must be a string")


_check_requests = v.sequence(_batch_request)


def _requests(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    _check_requests(inst, attribute, value)
    if isinstance(value, Sequence) and len(value) > MAX_INLINE_REQUESTS:
        raise InvalidParameterError(
            attribute.name,
            f"must have at most {MAX_INLINE_REQUESTS} items, not {len(value)}; "
            "put more in an input file",
        )


def _metadata(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None or isinstance(value, NotGiven):
        return
    if not isinstance(value, Mapping):
        raise InvalidParameterError(attribute.name, f"must be a dict, not {type(value).__name__}")
    for key, item in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 32:
            raise InvalidParameterError(
                attribute.name, f"keys must be strings of 1 to 32 characters, not {key!r}"
            )
        if not isinstance(item, str) or not 1 <= len(item) <= 512:
            raise InvalidParameterError(
                f"{attribute.name}[{key!r}]", "must be a string of 1 to 512 characters"
            )


MAX_INLINE_REQUESTS = 10_000
"""The most requests a job takes inline (``requests=``); use an input file beyond."""


@attrs.define(slots=True, kw_only=True)
class CreateBatchJobRequest(Model):
    """The body of a batch job creation."""

    endpoint: str = attrs.field(metadata=v.check(v.one_of(*BATCH_ENDPOINTS, nullable=False)))
    input_files: list[str] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.strings(single=False))
    )
    requests: list[BatchRequest | dict[str, Any]] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_requests)
    )
    model: str | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=v.check(v.string()))
    agent_id: str | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=v.check(v.string()))
    metadata: dict[str, str] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_metadata)
    )
    timeout_hours: int | NotGiven = attrs.field(
        default=NOT_GIVEN,
        metadata=v.check(v.number(ge=1, le=168, integer=True, nullable=False)),
    )

"""``client.batch``: batch jobs (``client.batch.jobs``) and the one-call helper ``run``."""

from __future__ import annotations

import datetime as _dt
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, Literal

from .._client import ResourceSlot
from .._errors import InvalidParameterError
from .._json import dumps
from .._pagination import AsyncPaginator, by_page_number
from .._session import path_param
from .._types import NOT_GIVEN, NotGiven
from ..lib.batch import (
    BatchRequestInput,
    ProgressCallback,
    request_options,
    run_batch,
    wait_for_job,
)
from ..types.batch import (
    BATCH_STATUSES,
    BatchEndpoint,
    BatchJob,
    BatchRequest,
    BatchResult,
    CreateBatchJobRequest,
    DeleteBatchJobResponse,
    ListBatchJobsResponse,
)
from ._base import AsyncResource, body_of, cast_to, params

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import PollOptions, RequestOptions

__all__ = ["AsyncBatch", "AsyncBatchJobs"]

BatchJobStatus = Literal[
    "QUEUED",
    "RUNNING",
    "SUCCESS",
    "FAILED",
    "TIMEOUT_EXCEEDED",
    "CANCELLATION_REQUESTED",
    "CANCELLED",
]

_PATH = "/v1/batch/jobs"
_job = cast_to(BatchJob)
_list = cast_to(ListBatchJobsResponse)
_deleted = cast_to(DeleteBatchJobResponse)


class AsyncBatchJobs(AsyncResource):
    """Batch jobs: many requests run by Mistral's batch engine, at a lower price.

    A job reads its requests from ``.jsonl`` files uploaded with ``purpose="batch"`` (or
    takes up to 10,000 inline), runs them, and writes the results to an output file and
    the failures to an error file. ``client.batch.run`` does all of it in one call.
    """

    __slots__ = ()

    async def create(
        self,
        *,
        endpoint: BatchEndpoint,
        input_files: Sequence[str] | NotGiven | None = NOT_GIVEN,
        requests: Sequence[BatchRequest | Mapping[str, Any]] | NotGiven | None = NOT_GIVEN,
        model: str | NotGiven | None = NOT_GIVEN,
        agent_id: str | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        timeout_hours: int | NotGiven = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> BatchJob:
        """Create a batch job; it is queued, then run.

        Give the requests as ``input_files`` (ids of ``.jsonl`` files uploaded with
        ``purpose="batch"``, one ``{"custom_id": ..., "body": {...}}`` per line) or inline
        as ``requests`` (:class:`BatchRequest` objects or such dicts, at most 10,000).
        ``model`` (or ``agent_id``) applies to every request; ``metadata`` maps short
        strings to strings; ``timeout_hours`` (1-168, 24 by default) bounds the run.
        """
        given = params(locals())
        if given.get("input_files") is None and given.get("requests") is None:
            raise InvalidParameterError(
                "input_files", "give input_files (uploaded .jsonl files) or inline requests"
            )
        for name in ("input_files", "requests"):
            value = given.get(name)
            if value is not None and not isinstance(value, str) and isinstance(value, Sequence):
                given[name] = list(value)
        if isinstance(given.get("metadata"), Mapping):
            given["metadata"] = dict(given["metadata"])
        body = body_of(CreateBatchJobRequest.validated(**given))
        result: BatchJob = await self._request("POST", _PATH, _job, options, body=body)
        return result

    async def get(
        self,
        job_id: str,
        *,
        inline: bool | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> BatchJob:
        """Read a batch job; ``inline=True`` adds its results (``outputs``) once it ended."""
        if not isinstance(inline, NotGiven | bool | None):
            raise InvalidParameterError("inline", f"must be a bool, not {inline!r}")
        path = f"{_PATH}/{path_param('job_id', job_id)}"
        query = params({"inline": inline}) or None
        result: BatchJob = await self._request("GET", path, _job, options, query=query)
        return result

    async def cancel(self, job_id: str, **options: Unpack[RequestOptions]) -> BatchJob:
        """Ask for a batch job to be cancelled (it goes through ``CANCELLATION_REQUESTED``).

        Requests already run keep their results in the job's output file.
        """
        path = f"{_PATH}/{path_param('job_id', job_id)}/cancel"
        result: BatchJob = await self._request("POST", path, _job, options)
        return result

    async def delete(
        self, job_id: str, **options: Unpack[RequestOptions]
    ) -> DeleteBatchJobResponse:
        """Delete a batch job."""
        path = f"{_PATH}/{path_param('job_id', job_id)}"
        result: DeleteBatchJobResponse = await self._request("DELETE", path, _deleted, options)
        return result

    async def wait(
        self,
        job_id: str,
        *,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        timeout: float | None = None,  # noqa: ASYNC109 - the limit of the whole wait, not a call
        on_progress: ProgressCallback | None = None,
        raise_on_failure: bool = True,
        **options: Unpack[PollOptions],
    ) -> BatchJob:
        """Poll a batch job until it ends; return it.

        The job is read every ``poll_interval`` seconds at first, then less and less often
        (x1.5 each time, up to ``max_poll_interval``). ``on_progress(job)`` is called with
        the first reading and each time the job advances (its status or request counts
        change; an async function is awaited).

        A job that ends ``FAILED``, ``TIMEOUT_EXCEEDED`` or ``CANCELLED`` raises
        :class:`~mistral_async.lib.batch.BatchJobError` carrying the job; with
        ``raise_on_failure=False`` it is returned instead. After ``timeout`` seconds
        (``None``: no limit) :class:`~mistral_async.lib.batch.BatchWaitTimeoutError` (an
        :class:`~mistral_async.APITimeoutError`) is raised; the job itself goes on.
        ``options`` apply to each poll (``request_timeout`` is each poll's time limit).
        """
        path_param("job_id", job_id)
        result: BatchJob = await wait_for_job(
            self,
            job_id,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            timeout=timeout,
            on_progress=on_progress,
            raise_on_failure=raise_on_failure,
            options=request_options(options),
        )
        return result

    def list(
        self,
        *,
        page: int | NotGiven = NOT_GIVEN,
        page_size: int | NotGiven = NOT_GIVEN,
        model: str | NotGiven | None = NOT_GIVEN,
        agent_id: str | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        created_after: _dt.datetime | str | NotGiven | None = NOT_GIVEN,
        created_by_me: bool | NotGiven = NOT_GIVEN,
        status: Sequence[BatchJobStatus] | NotGiven | None = NOT_GIVEN,
        order_by: Literal["created", "-created"] | NotGiven = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[ListBatchJobsResponse, BatchJob]:
        """List batch jobs: ``await`` it for one page, or ``async for`` over every job.

        Pages are numbered from 0 (100 jobs each by default), newest first unless
        ``order_by="created"``. ``metadata`` keeps the jobs carrying those metadata
        values; ``created_after`` is a ``datetime`` (or an ISO 8601 string).
        """
        query = _list_query(params(locals()))

        async def fetch(page_query: dict[str, Any]) -> ListBatchJobsResponse:
            result: ListBatchJobsResponse = await self._request(
                "GET", _PATH, _list, options, query=page_query, page=True
            )
            return result

        return AsyncPaginator(fetch, query, lambda page: page.data, by_page_number())


def _list_query(query: dict[str, Any]) -> dict[str, Any]:
    """Check the list filters and put them in their query-string form."""
    for name in ("page", "page_size"):
        value = query.get(name)
        low = 0 if name == "page" else 1
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise InvalidParameterError(name, f"must be an int, not {value!r}")
        if value is not None and value < low:
            raise InvalidParameterError(name, f"must be >= {low}, got {value!r}")
    for name in ("model", "agent_id"):
        value = query.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidParameterError(name, f"must be a string, not {value!r}")
    metadata = query.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, Mapping):
            raise InvalidParameterError("metadata", f"must be a dict, not {metadata!r}")
        # An object cannot be a plain query value: the API reads it as JSON.
        query["metadata"] = dumps(dict(metadata), _reject).decode()
    created_after = query.get("created_after")
    if isinstance(created_after, _dt.datetime):
        query["created_after"] = created_after.isoformat()
    elif created_after is not None and not isinstance(created_after, str):
        raise InvalidParameterError(
            "created_after", f"must be a datetime or an ISO 8601 string, not {created_after!r}"
        )
    created_by_me = query.get("created_by_me")
    if created_by_me is not None and not isinstance(created_by_me, bool):
        raise InvalidParameterError("created_by_me", f"must be a bool, not {created_by_me!r}")
    status = query.get("status")
    if status is not None:
        if isinstance(status, str) or not isinstance(status, Sequence):
            raise InvalidParameterError("status", f"must be a list of statuses, not {status!r}")
        for i, item in enumerate(status):
            if item not in BATCH_STATUSES:
                raise InvalidParameterError(
                    f"status[{i}]", f"must be one of {', '.join(BATCH_STATUSES)}; got {item!r}"
                )
        query["status"] = list(status)
    order_by = query.get("order_by")
    if order_by is not None and order_by not in ("created", "-created"):
        raise InvalidParameterError(
            "order_by", f"must be 'created' or '-created', got {order_by!r}"
        )
    return query


def _reject(value: Any) -> Any:
    raise InvalidParameterError("metadata", f"cannot be sent as JSON: {value!r}")


class AsyncBatch(AsyncResource):
    """Batch processing: ``client.batch.jobs``, and ``client.batch.run`` to do it all."""

    __slots__ = ("__dict__",)

    jobs: ResourceSlot[AsyncBatchJobs] = ResourceSlot(".resources.batch:AsyncBatchJobs")

    async def run(
        self,
        requests: Iterable[BatchRequestInput] | AsyncIterable[BatchRequestInput],
        *,
        endpoint: BatchEndpoint = "/v1/chat/completions",
        model: str | NotGiven | None = NOT_GIVEN,
        agent_id: str | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, str] | NotGiven | None = NOT_GIVEN,
        timeout_hours: int | NotGiven = NOT_GIVEN,
        response_type: type[Any] | None = None,
        poll_interval: float = 5.0,
        max_poll_interval: float = 60.0,
        timeout: float | None = None,  # noqa: ASYNC109 - the limit of the whole wait
        on_progress: ProgressCallback | None = None,
        progress_bar: bool = False,
        cancel_on_exit: bool = True,
        **options: Unpack[PollOptions],
    ) -> AsyncIterator[BatchResult]:
        """Run many requests as one batch job and yield their results, in input order.

        ``requests`` (an iterable or async iterable, read once) holds request bodies for
        ``endpoint`` (``{"messages": [...]}`` for chat), ``(custom_id, body)`` tuples or
        :class:`BatchRequest` objects; requests without a ``custom_id`` are numbered
        ``"0"``, ``"1"``, ... by their position. They are written to a temporary ``.jsonl``
        file as they come (so a million requests never sit in memory), uploaded, and run
        by a job with ``model``/``agent_id``, ``metadata`` and ``timeout_hours``.

        The job is polled as :meth:`AsyncBatchJobs.wait` does, with ``on_progress(job)``
        called as it advances, and a tqdm progress bar with ``progress_bar=True`` (tqdm
        must be installed: ``pip install tqdm``). Then the output and error files are
        downloaded and read line by line: each request gives one :class:`BatchResult`
        whose ``response`` is the parsed body (``ChatCompletionResponse`` for chat, ...;
        ``response_type`` overrides it, ``dict`` keeps the JSON) or whose ``error`` says
        why it failed.

        Raises :class:`~mistral_async.lib.batch.BatchJobError` (with the job) after
        yielding the results there are if the job ends ``FAILED``, ``TIMEOUT_EXCEEDED``
        or ``CANCELLED``, and :class:`~mistral_async.lib.batch.BatchWaitTimeoutError`
        after ``timeout`` seconds of waiting. If the wait is interrupted (cancelled task,
        timeout, error), the job is cancelled unless ``cancel_on_exit=False``.
        ``options`` apply to every request made (``request_timeout`` is each one's limit).
        """
        runner = run_batch(
            self._client,
            requests,
            endpoint=endpoint,
            model=model,
            agent_id=agent_id,
            metadata=metadata,
            timeout_hours=timeout_hours,
            response_type=response_type,
            poll_interval=poll_interval,
            max_poll_interval=max_poll_interval,
            timeout=timeout,
            on_progress=on_progress,
            progress_bar=progress_bar,
            cancel_on_exit=cancel_on_exit,
            options=options,
        )
        # Closing this generator early must close the runner now (temporary files, bar).
        async with aclosing(runner) as results:
            async for result in results:
                yield result

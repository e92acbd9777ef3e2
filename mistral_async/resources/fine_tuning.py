"""``client.fine_tuning.jobs``: create, list, read, start and cancel fine-tuning jobs, and wait.

The five job operations come from the July 2026 edition of the API spec (the August one no
longer lists them, though the API still serves them).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, overload

from .._client import ResourceSlot
from .._errors import InvalidParameterError
from .._pagination import AsyncPaginator, by_page_number
from .._response import RawResponse
from .._session import path_param
from .._types import NOT_GIVEN, NotGiven, PollOptions
from ..types import _validate as v
from ..types.fine_tuning import (
    FAILED_STATUSES,
    JOB_STATUSES,
    TERMINAL_STATUSES,
    ClassifierTargetIn,
    ClassifierTrainingParametersIn,
    CompletionTrainingParametersIn,
    DetailedFineTuningJob,
    FineTuningJob,
    FineTuningJobError,
    GithubRepositoryIn,
    JobIn,
    JobsOut,
    JobStatus,
    JobTimeoutError,
    LegacyJobMetadataOut,
    TrainingFileParam,
    WandbIntegration,
    structure_create_result,
)
from ._base import AsyncResource, body_of, cast_to, params

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import RequestOptions

__all__ = ["AsyncFineTuning", "AsyncFineTuningJobs"]

_PATH = "/v1/fine_tuning/jobs"
_list = cast_to(JobsOut)
_detailed = cast_to(DetailedFineTuningJob)

Hyperparameters = (
    CompletionTrainingParametersIn | ClassifierTrainingParametersIn | Mapping[str, Any]
)
"""Training parameters: an attrs object or a dict such as ``{"learning_rate": 1e-4}``."""


class AsyncFineTuningJobs(AsyncResource):
    """Fine-tuning jobs: train a model of yours on uploaded files, then use it by its id.

    ::

        job = await client.fine_tuning.jobs.create(
            model="mistral-small-latest",
            training_files=[file.id],
            hyperparameters={"training_steps": 10, "learning_rate": 1e-4},
        )
        job = await client.fine_tuning.jobs.wait(job.id, on_progress=lambda j: print(j.status))
        print(job.fine_tuned_model)
    """

    __slots__ = ()

    def list(
        self,
        *,
        page: int | NotGiven = NOT_GIVEN,
        page_size: int | NotGiven = NOT_GIVEN,
        model: str | NotGiven | None = NOT_GIVEN,
        created_after: datetime | str | NotGiven | None = NOT_GIVEN,
        created_before: datetime | str | NotGiven | None = NOT_GIVEN,
        created_by_me: bool | NotGiven = NOT_GIVEN,
        status: JobStatus | NotGiven | None = NOT_GIVEN,
        wandb_project: str | NotGiven | None = NOT_GIVEN,
        wandb_name: str | NotGiven | None = NOT_GIVEN,
        suffix: str | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[JobsOut, FineTuningJob]:
        """List fine-tuning jobs: ``await`` it for one page, or ``async for`` over every job.

        Pages are numbered from 0 (``page_size`` defaults to 100 on the API's side). Each
        filter given narrows the list: ``model`` (the base model), ``created_after`` /
        ``created_before`` (a :class:`~datetime.datetime` or an ISO 8601 string),
        ``created_by_me``, ``status``, ``wandb_project``, ``wandb_name``, ``suffix``. A filter
        left at ``None`` is not sent. Items are :class:`CompletionJobOut` or
        :class:`ClassifierJobOut`, without events (``get`` gives those).
        """
        query = params(locals())
        _check_list_query(query)

        async def fetch(page_query: dict[str, Any]) -> JobsOut:
            result: JobsOut = await self._request(
                "GET", _PATH, _list, options, query=page_query, page=True
            )
            return result

        return AsyncPaginator(fetch, query, lambda page: page.data, by_page_number())

    @overload
    async def create(
        self,
        *,
        model: str,
        hyperparameters: Hyperparameters,
        training_files: Sequence[TrainingFileParam] | NotGiven = ...,
        validation_files: Sequence[str] | NotGiven | None = ...,
        suffix: str | NotGiven | None = ...,
        integrations: Sequence[WandbIntegration | Mapping[str, Any]] | NotGiven | None = ...,
        auto_start: bool | NotGiven = ...,
        invalid_sample_skip_percentage: float | NotGiven = ...,
        job_type: Literal["completion", "classifier"] | NotGiven | None = ...,
        repositories: Sequence[GithubRepositoryIn | Mapping[str, Any]] | NotGiven | None = ...,
        classifier_targets: Sequence[ClassifierTargetIn | Mapping[str, Any]]
        | NotGiven
        | None = ...,
        dry_run: Literal[True],
        **options: Unpack[RequestOptions],
    ) -> LegacyJobMetadataOut: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        hyperparameters: Hyperparameters,
        training_files: Sequence[TrainingFileParam] | NotGiven = ...,
        validation_files: Sequence[str] | NotGiven | None = ...,
        suffix: str | NotGiven | None = ...,
        integrations: Sequence[WandbIntegration | Mapping[str, Any]] | NotGiven | None = ...,
        auto_start: bool | NotGiven = ...,
        invalid_sample_skip_percentage: float | NotGiven = ...,
        job_type: Literal["completion", "classifier"] | NotGiven | None = ...,
        repositories: Sequence[GithubRepositoryIn | Mapping[str, Any]] | NotGiven | None = ...,
        classifier_targets: Sequence[ClassifierTargetIn | Mapping[str, Any]]
        | NotGiven
        | None = ...,
        dry_run: Literal[False] | NotGiven | None = ...,
        **options: Unpack[RequestOptions],
    ) -> FineTuningJob: ...

    async def create(
        self,
        *,
        model: str,
        hyperparameters: Hyperparameters,
        training_files: Sequence[TrainingFileParam] | NotGiven = NOT_GIVEN,
        validation_files: Sequence[str] | NotGiven | None = NOT_GIVEN,
        suffix: str | NotGiven | None = NOT_GIVEN,
        integrations: Sequence[WandbIntegration | Mapping[str, Any]] | NotGiven | None = NOT_GIVEN,
        auto_start: bool | NotGiven = NOT_GIVEN,
        invalid_sample_skip_percentage: float | NotGiven = NOT_GIVEN,
        job_type: Literal["completion", "classifier"] | NotGiven | None = NOT_GIVEN,
        repositories: Sequence[GithubRepositoryIn | Mapping[str, Any]]
        | NotGiven
        | None = NOT_GIVEN,
        classifier_targets: Sequence[ClassifierTargetIn | Mapping[str, Any]]
        | NotGiven
        | None = NOT_GIVEN,
        dry_run: bool | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> FineTuningJob | LegacyJobMetadataOut:
        """Create a fine-tuning job; it is queued, validated, then trained.

        ``training_files`` are file ids (uploaded with ``purpose="fine-tune"``), or
        :class:`TrainingFile` objects / dicts to give each a ``weight``. ``hyperparameters``
        is required (``{}`` takes every default). ``job_type="classifier"`` trains a
        classifier on ``classifier_targets``. With ``auto_start=False`` the job stops at
        ``VALIDATED`` (see its ``metadata`` for the cost) until you call :meth:`start`.

        With ``dry_run=True`` no job is created: the result is a
        :class:`LegacyJobMetadataOut` with the expected duration, cost and token counts.
        Otherwise it is a :class:`CompletionJobOut` or :class:`ClassifierJobOut`; call
        :meth:`wait` to follow it to its end.
        """
        given = params(locals())
        dry = given.pop("dry_run", None)
        if dry is not None and not isinstance(dry, bool):
            raise InvalidParameterError("dry_run", f"must be a bool, not {type(dry).__name__}")
        body = body_of(JobIn.validated(**given))
        files = body.get("training_files")
        if isinstance(files, list):
            # A bare id is the common case; the API wants an object per file.
            body["training_files"] = [{"file_id": f} if isinstance(f, str) else f for f in files]
        query = None if dry is None else {"dry_run": dry}
        result: FineTuningJob | LegacyJobMetadataOut = await self._request(
            "POST", _PATH, structure_create_result, options, body=body, query=query
        )
        return result

    async def get(self, job_id: str, **options: Unpack[RequestOptions]) -> DetailedFineTuningJob:
        """Read a job, with its events (status changes) and checkpoints (metrics)."""
        result: DetailedFineTuningJob = await self._request(
            "GET", _job_path(job_id), _detailed, options
        )
        return result

    async def cancel(self, job_id: str, **options: Unpack[RequestOptions]) -> DetailedFineTuningJob:
        """Ask for a job to be cancelled.

        It goes to ``CANCELLATION_REQUESTED``, then ``CANCELLED``; cancelling a job that
        already ended is refused (an :class:`~mistral_async.APIStatusError`).
        """
        result: DetailedFineTuningJob = await self._request(
            "POST", f"{_job_path(job_id)}/cancel", _detailed, options
        )
        return result

    async def start(self, job_id: str, **options: Unpack[RequestOptions]) -> DetailedFineTuningJob:
        """Start a job created with ``auto_start=False`` once it is ``VALIDATED``."""
        result: DetailedFineTuningJob = await self._request(
            "POST", f"{_job_path(job_id)}/start", _detailed, options
        )
        return result

    async def wait(
        self,
        job_id: str,
        *,
        poll_interval: float = 10.0,
        timeout: float | None = None,  # noqa: ASYNC109 - the limit of the whole wait, not a call
        on_progress: Callable[[DetailedFineTuningJob], object] | None = None,
        raise_on_failure: bool = True,
        **options: Unpack[PollOptions],
    ) -> DetailedFineTuningJob:
        """Poll a job every ``poll_interval`` seconds until it is done; return it.

        Returns the job once it is ``SUCCESS`` (``fine_tuned_model`` then names your model),
        or, for a job created with ``auto_start=False``, once it is ``VALIDATED`` and waits
        for :meth:`start` (it would never move on its own).

        A job that ends ``FAILED``, ``FAILED_VALIDATION`` or ``CANCELLED`` raises
        :class:`FineTuningJobError` carrying the job, so a failure cannot pass unnoticed;
        with ``raise_on_failure=False`` such a job is returned instead.

        ``on_progress(job)`` is called with the first job read, then whenever its status,
        events or checkpoints change (an async function is awaited); an exception it raises
        stops the wait. With the blocking client it runs in the client's event-loop thread,
        so it must not call the client itself.

        ``timeout`` bounds the whole wait, polls included (``None``: no limit); when it runs
        out, :class:`JobTimeoutError` (an :class:`~mistral_async.APITimeoutError`) is raised
        and the job goes on, on the API's side. ``options`` apply to each poll
        (``request_timeout`` is each poll's own time limit).
        """
        if (
            isinstance(poll_interval, bool)
            or not isinstance(poll_interval, int | float)
            or not poll_interval >= 0
        ):
            raise InvalidParameterError(
                "poll_interval", f"must be a number of seconds >= 0, not {poll_interval!r}"
            )
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout >= 0
        ):
            raise InvalidParameterError(
                "timeout", f"must be a number of seconds >= 0 or None, not {timeout!r}"
            )
        if on_progress is not None and not callable(on_progress):
            raise InvalidParameterError("on_progress", "must be a callable taking the job")
        path_param("job_id", job_id)
        poll: dict[str, Any] = dict(options)
        if "request_timeout" in poll:
            poll["timeout"] = poll.pop("request_timeout")
        last = _LastRead()
        try:
            async with asyncio.timeout(timeout) as limit:
                reply, job = await self._poll(job_id, poll_interval, on_progress, poll, last)
        except TimeoutError:
            if not limit.expired():
                raise
            raise JobTimeoutError(job_id, float(timeout or 0), last.job) from None
        if raise_on_failure and job.status in FAILED_STATUSES:
            raise FineTuningJobError(job)
        result: DetailedFineTuningJob = reply
        return result

    async def _poll(
        self,
        job_id: str,
        interval: float,
        on_progress: Callable[[DetailedFineTuningJob], object] | None,
        options: dict[str, Any],
        last: _LastRead,
    ) -> tuple[Any, DetailedFineTuningJob]:
        """Read the job until it is done, keeping each read in ``last``.

        Returns the last reply (a RawResponse with ``with_raw_response``) and its job.
        """
        seen: tuple[Any, ...] | None = None
        while True:
            # With with_raw_response the polls give RawResponses: read the job from each,
            # and hand the last one back, as the raw twin of ``wait`` promises.
            reply: Any = await self.get(job_id, **options)
            job: DetailedFineTuningJob = reply.parse() if isinstance(reply, RawResponse) else reply
            last.job = job
            state = (job.status, job.events, job.checkpoints, job.fine_tuned_model)
            if on_progress is not None and state != seen:
                outcome = on_progress(job)
                if inspect.isawaitable(outcome):
                    await outcome
            seen = state
            if job.status in TERMINAL_STATUSES or (
                # It waits for start() and would never move on its own.
                job.status == "VALIDATED" and job.auto_start is False
            ):
                return reply, job
            await asyncio.sleep(interval)


class AsyncFineTuning(AsyncResource):
    """Fine-tuning (``client.fine_tuning.jobs``)."""

    __slots__ = ("__dict__",)

    jobs: ResourceSlot[AsyncFineTuningJobs] = ResourceSlot(
        ".resources.fine_tuning:AsyncFineTuningJobs"
    )


class _LastRead:
    """The job as ``wait`` last read it (for the error when the time runs out)."""

    __slots__ = ("job",)

    def __init__(self) -> None:
        self.job: DetailedFineTuningJob | None = None


def _job_path(job_id: str) -> str:
    return f"{_PATH}/{path_param('job_id', job_id)}"


def _when(name: str, value: Any) -> str:
    """A date filter as the API wants it: an ISO 8601 string."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise InvalidParameterError(
        name, f"must be a datetime or an ISO 8601 date-time string, not {value!r}"
    )


_STATUS = v.one_of(*JOB_STATUSES)
_STRING = v.string()


class _Named:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def _check_list_query(query: dict[str, Any]) -> None:
    for name in ("page", "page_size"):
        value = query.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise InvalidParameterError(name, f"must be an int >= 0, not {value!r}")
    for name in ("created_after", "created_before"):
        if query.get(name) is not None:
            query[name] = _when(name, query[name])
    created_by_me = query.get("created_by_me")
    if created_by_me is not None and not isinstance(created_by_me, bool):
        raise InvalidParameterError("created_by_me", f"must be a bool, not {created_by_me!r}")
    _STATUS(None, _Named("status"), query.get("status"))  # type: ignore[arg-type]
    for name in ("model", "wandb_project", "wandb_name", "suffix"):
        _STRING(None, _Named(name), query.get(name))  # type: ignore[arg-type]

"""``client.workflows`` with its waiting helper, over the generated resource."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from .._errors import InvalidParameterError, WorkflowExecutionError, WorkflowWaitTimeoutError
from ..resources import workflows as generated

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import PollOptions
    from ..types.workflows import WorkflowExecutionResponse

__all__ = ["FAILED_STATUSES", "AsyncWorkflows"]

DONE_STATUSES: Final = frozenset({"COMPLETED", "FAILED", "CANCELED", "TERMINATED", "TIMED_OUT"})
"""Statuses an execution does not leave (``CONTINUED_AS_NEW`` goes on in a new run)."""
FAILED_STATUSES: Final = DONE_STATUSES - {"COMPLETED"}


class AsyncWorkflows(generated.AsyncWorkflows):
    """``client.workflows``: the generated operations, plus :meth:`execute_workflow_and_wait`."""

    __slots__ = ()

    async def execute_workflow_and_wait(
        self,
        workflow_identifier: str,
        *,
        input: dict[str, Any] | None = None,  # noqa: A002 - the API's name
        poll_interval: float = 2.0,
        timeout: float | None = None,  # noqa: ASYNC109 - the limit of the whole wait
        on_progress: Callable[[WorkflowExecutionResponse], object] | None = None,
        raise_on_failure: bool = True,
        deployment_name: str | None = None,
        **options: Unpack[PollOptions],
    ) -> WorkflowExecutionResponse:
        """Start a workflow execution and poll it every ``poll_interval`` seconds until done.

        Returns the execution once ``COMPLETED`` (``result`` holds the workflow's output).
        One that ends ``FAILED``, ``CANCELED``, ``TERMINATED`` or ``TIMED_OUT`` raises
        :class:`~mistral_async.WorkflowExecutionError` carrying it (returned instead with
        ``raise_on_failure=False``).

        ``on_progress(execution)`` is called with the first execution read and whenever its
        status changes (an async function is awaited). ``timeout`` bounds the whole wait
        (``None``: no limit); when it runs out,
        :class:`~mistral_async.WorkflowWaitTimeoutError` (an ``APITimeoutError``) is raised
        and the execution goes on. ``options`` apply to each request
        (``request_timeout`` is each request's own limit).
        """
        _check_wait(poll_interval, timeout, on_progress)
        call: dict[str, Any] = dict(options)
        if "request_timeout" in call:
            call["timeout"] = call.pop("request_timeout")
        given: dict[str, Any] = {}
        if input is not None:
            given["input"] = input
        if deployment_name is not None:
            given["deployment_name"] = deployment_name
        started = await self.execute_workflow(workflow_identifier, **given, **call)
        execution_id = started.execution_id
        last: list[Any] = [None]
        try:
            async with asyncio.timeout(timeout) as limit:
                execution: WorkflowExecutionResponse = await self._poll(
                    execution_id, poll_interval, on_progress, call, last
                )
        except TimeoutError:
            if not limit.expired():
                raise
            raise WorkflowWaitTimeoutError(execution_id, float(timeout or 0), last[0]) from None
        if raise_on_failure and execution.status in FAILED_STATUSES:
            raise WorkflowExecutionError(execution)
        return execution

    async def _poll(
        self,
        execution_id: str,
        poll_interval: float,
        on_progress: Callable[[Any], object] | None,
        call: dict[str, Any],
        last: list[Any],
    ) -> Any:
        seen: object = object()
        while True:
            execution = await self.executions.get_workflow_execution(execution_id, **call)
            last[0] = execution
            if on_progress is not None and execution.status != seen:
                seen = execution.status
                outcome = on_progress(execution)
                if inspect.isawaitable(outcome):
                    await outcome
            if execution.status in DONE_STATUSES:
                return execution
            await asyncio.sleep(poll_interval)


def _check_wait(poll_interval: Any, timeout: Any, on_progress: Any) -> None:
    if isinstance(poll_interval, bool) or not isinstance(poll_interval, int | float):
        raise InvalidParameterError("poll_interval", f"must be a number, not {poll_interval!r}")
    if not poll_interval >= 0:
        raise InvalidParameterError("poll_interval", f"must be >= 0, not {poll_interval!r}")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout >= 0
    ):
        raise InvalidParameterError("timeout", f"must be a number >= 0 or None, not {timeout!r}")
    if on_progress is not None and not callable(on_progress):
        raise InvalidParameterError("on_progress", "must be a callable taking the execution")

"""The error tree of mistral_async.

::

    MistralError
    ├── InvalidParameterError        bad input, raised before anything is sent
    ├── CredentialsError             cloud credentials could not be obtained or renewed
    └── APIError                     something went wrong talking to the API
        ├── APIConnectionError       could not connect, or the connection broke
        │   └── APITimeoutError      a connect / read / total / stream timeout fired
        ├── APIStatusError           the API answered with a 4xx or 5xx status
        │   ├── BadRequestError              400
        │   ├── AuthenticationError          401
        │   ├── PermissionDeniedError        403
        │   ├── NotFoundError                404
        │   │   └── EndpointNotFoundError    404 from a cloud provider's endpoint (.url)
        │   ├── ConflictError                409
        │   ├── UnprocessableEntityError     422 (``detail`` holds the validation errors)
        │   ├── RateLimitError               429
        │   └── InternalServerError          5xx
        ├── APIStreamError           an error event arrived in the middle of a stream
        └── ResponseValidationError  a response body did not fit the expected type

The waiting helpers (``fine_tuning.jobs.wait``, ``batch.jobs.wait`` / ``batch.run``,
``workflows.execute_workflow_and_wait``) add theirs; each carries what it waited for::

    APITimeoutError
    ├── JobTimeoutError              a fine-tuning job was not done in time
    ├── BatchWaitTimeoutError        a batch job was not done in time (also a BatchJobError)
    └── WorkflowWaitTimeoutError     a workflow execution was not done in time
    MistralError
    ├── FineTuningJobError           a fine-tuning job ended FAILED, FAILED_VALIDATION, CANCELLED
    ├── BatchJobError                a batch job ended FAILED, TIMEOUT_EXCEEDED or CANCELLED
    └── WorkflowExecutionError       an execution ended FAILED, CANCELED, TERMINATED, TIMED_OUT

Structured outputs (``chat.parse``...) and the tool runner (``chat.run_tools``...) add::

    MistralError
    ├── StructuredOutputError        the answer could not become the requested type (.text)
    │   ├── OutputTruncatedError     finish_reason "length": the JSON was cut off
    │   └── OutputParseError         invalid JSON, or a value that does not fit (.path)
    └── ToolRunError                 the tool runner stopped (.messages: the transcript)
        ├── ToolIterationLimitError  max_iterations model turns without a final answer
        └── ToolExecutionError       a tool raised, with raise_tool_errors=True
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._types import Headers
    from .types.batch import BatchJob
    from .types.fine_tuning import DetailedFineTuningJob

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BatchJobError",
    "BatchWaitTimeoutError",
    "ConflictError",
    "CredentialsError",
    "EndpointNotFoundError",
    "FineTuningJobError",
    "InternalServerError",
    "InvalidParameterError",
    "JobTimeoutError",
    "MistralError",
    "NotFoundError",
    "OutputParseError",
    "OutputTruncatedError",
    "PermissionDeniedError",
    "RateLimitError",
    "RealtimeError",
    "ResponseValidationError",
    "StructuredOutputError",
    "ToolExecutionError",
    "ToolIterationLimitError",
    "ToolRunError",
    "UnprocessableEntityError",
    "WorkflowExecutionError",
    "WorkflowWaitTimeoutError",
]

_MAX_MESSAGE = 500


class MistralError(Exception):
    """The root of every error raised by mistral_async."""


class InvalidParameterError(MistralError, TypeError, ValueError):
    """A parameter has the wrong type or value; raised before any request is sent.

    ``param`` names the offending parameter (a dotted path for nested values,
    such as ``messages[1].role``).
    """

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param


class APIError(MistralError):
    """An error while talking to the API.

    ``attempts`` is how many times the request was sent (1 when it was not retried).
    """

    message: str
    request_id: str | None
    attempts: int

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id
        self.attempts = 1

    def __str__(self) -> str:
        text = self.message
        if self.request_id:
            text += f" (request_id: {self.request_id})"
        if self.attempts > 1:
            text += f" [after {self.attempts} attempts]"
        return text


class APIConnectionError(APIError):
    """The connection could not be made, or broke before the response was complete."""


class APITimeoutError(APIConnectionError):
    """A connect, read, total or stream idle timeout fired."""


class APIStatusError(APIError):
    """The API answered with an error status.

    ``body`` is the parsed JSON body (or the text when it is not JSON) and ``raw_body``
    the bytes as received; ``type``, ``code`` and ``detail`` come from the body when it
    has them.
    """

    status_code: int
    headers: Headers
    body: Any
    raw_body: bytes
    type: str | None
    code: str | None
    detail: Any

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        headers: Headers,
        raw_body: bytes,
        body: Any = None,
        type: str | None = None,  # noqa: A002 - the API's own field name
        code: str | None = None,
        detail: Any = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.status_code = status_code
        self.headers = headers
        self.raw_body = raw_body
        self.body = body
        self.type = type
        self.code = code
        self.detail = detail

    def __str__(self) -> str:
        return f"Error code: {self.status_code} - {super().__str__()}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code}, message={self.message!r})"


class BadRequestError(APIStatusError):
    """400: the request was malformed."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or wrong."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404: no such resource."""


class EndpointNotFoundError(NotFoundError):
    """404 from a cloud provider's endpoint (Azure, Google Cloud): usually a wrong endpoint,
    API family, region, project or model. ``url`` is the URL that was tried (without any
    key, and of its query only ``api-version``); ``method`` its HTTP method.
    """

    url: str
    method: str

    @classmethod
    def wrap(cls, error: NotFoundError, method: str, url: str, hint: str) -> EndpointNotFoundError:
        """The same 404 (body, headers, request id), its message naming ``url``."""
        wrapped = cls(
            f"{method} {url} answered 404 ({error.message}); {hint}",
            status_code=error.status_code,
            headers=error.headers,
            raw_body=error.raw_body,
            body=error.body,
            type=error.type,
            code=error.code,
            detail=error.detail,
            request_id=error.request_id,
        )
        wrapped.url = url
        wrapped.method = method
        wrapped.attempts = error.attempts
        return wrapped


class CredentialsError(MistralError):
    """Cloud credentials could not be obtained or renewed (Google Application Default
    Credentials not found, a refresh refused, google-auth not installed); nothing was sent.
    The message names the cause, never a token."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the resource's state."""


class UnprocessableEntityError(APIStatusError):
    """422: the API rejected the request's parameters; ``detail`` lists why."""


class RateLimitError(APIStatusError):
    """429: too many requests or tokens; see ``headers`` for the limits."""


class InternalServerError(APIStatusError):
    """5xx: the API or a proxy in front of it failed."""


class APIStreamError(APIError):
    """The server sent an error event in the middle of a stream.

    ``body`` is the event's parsed payload; ``type`` and ``code`` come from it.
    """

    def __init__(
        self,
        message: str,
        *,
        body: Any,
        type: str | None = None,  # noqa: A002 - the API's own field name
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.body = body
        self.type = type
        self.code = code


class ResponseValidationError(APIError):
    """A response body was not valid JSON or did not fit the expected type.

    ``raw_body`` keeps the bytes received and ``status_code`` the response status.
    """

    def __init__(
        self,
        message: str,
        *,
        raw_body: bytes,
        status_code: int,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.raw_body = raw_body
        self.status_code = status_code


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _as_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _format_detail(detail: list[Any]) -> str:
    parts = []
    for item in detail:
        if isinstance(item, dict):
            loc = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
            msg = item.get("msg", "")
            parts.append(f"{loc}: {msg}" if loc else str(msg))
        else:
            parts.append(str(item))
    return "; ".join(parts)


def parse_error_body(raw: bytes, reason: str) -> tuple[str, Any, str | None, str | None, Any]:
    """Read an error body of any known shape into (message, body, type, code, detail)."""
    text = raw.decode("utf-8", "replace")
    try:
        body: Any = json.loads(text) if text.strip() else None
    except ValueError:
        body = text
    message: Any = None
    err_type = code = None
    detail: Any = None
    if isinstance(body, dict):
        nested = body.get("error")
        err: dict[str, Any] = nested if isinstance(nested, dict) else body
        detail = err.get("detail")
        message = err.get("message")
        err_type = _as_str(err.get("type"))
        code = _as_str(err.get("code"))
        if isinstance(message, dict | list):
            message = json.dumps(message)
        if message is None:
            if isinstance(detail, list):
                message = _format_detail(detail)
            elif detail is not None:
                message = str(detail)
    elif isinstance(body, str) and body.strip():
        title = _TITLE.search(raw)
        if title:
            message = title.group(1).decode("utf-8", "replace")
        elif not body.lstrip().startswith("<"):
            message = body
    if not message:
        message = reason or "no error message in the response"
    return _shorten(str(message)), body, err_type, code, detail


def make_status_error(
    status: int,
    reason: str,
    headers: Headers,
    raw: bytes,
    request_id: str | None,
) -> APIStatusError:
    """Build the typed error for an error response."""
    message, body, err_type, code, detail = parse_error_body(raw, reason)
    cls = _STATUS_ERRORS.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else APIStatusError
    return cls(
        message,
        status_code=status,
        headers=headers,
        raw_body=raw,
        body=body,
        type=err_type,
        code=code,
        detail=detail,
        request_id=request_id,
    )


class WorkflowExecutionError(MistralError):
    """A workflow execution ended without completing (``FAILED``, ``CANCELED``...).

    ``execution`` is the last execution read (its ``status``, ``result``...).
    """

    def __init__(self, execution: Any) -> None:
        self.execution = execution
        status = getattr(execution, "status", None)
        execution_id = getattr(execution, "execution_id", None)
        super().__init__(f"Workflow execution {execution_id} ended {status}")


class WorkflowWaitTimeoutError(APITimeoutError):
    """Waiting for a workflow execution ran out of time; the execution goes on.

    ``execution`` is the last execution read, or ``None`` when none was read.
    """

    def __init__(self, execution_id: str, timeout: float, execution: Any) -> None:
        self.execution_id = execution_id
        self.timeout = timeout
        self.execution = execution
        super().__init__(f"Workflow execution {execution_id} was not done after {timeout:g} s")


# -- what the waiting helpers raise ---------------------------------------------------------


class FineTuningJobError(MistralError):
    """A fine-tuning job ended without a model: ``FAILED``, ``FAILED_VALIDATION`` or ``CANCELLED``.

    Raised by :meth:`~mistral_async.resources.fine_tuning.AsyncFineTuningJobs.wait` (unless
    ``raise_on_failure=False``). ``job`` is the job as last read, ``status`` its status, and
    ``reason`` the error the job's last event reported, when it did.
    """

    job: DetailedFineTuningJob
    status: str
    reason: str | None

    def __init__(self, job: DetailedFineTuningJob) -> None:
        self.job = job
        self.status = job.status
        self.reason = _failure_reason(job)
        message = f"Fine-tuning job {job.id} ended with status {job.status}"
        if self.reason:
            message += f": {self.reason}"
        super().__init__(message)


class JobTimeoutError(APITimeoutError):
    """``wait`` gave up: the job did not finish within ``timeout`` seconds.

    The job goes on running on the API's side. ``job`` is the job as last read (``None``
    if no poll succeeded), ``timeout`` the limit that was reached.
    """

    job: DetailedFineTuningJob | None
    timeout: float

    def __init__(self, job_id: str, timeout: float, job: DetailedFineTuningJob | None) -> None:
        status = f" (status {job.status})" if job is not None else ""
        super().__init__(f"Fine-tuning job {job_id} did not finish within {timeout:g} s{status}")
        self.job = job
        self.timeout = timeout


def _failure_reason(job: DetailedFineTuningJob) -> str | None:
    """The error message the job's events carry, newest first."""
    for event in reversed(job.events):
        data = event.data or {}
        for key in ("error", "message", "reason", "detail"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])
    return None


class BatchJobError(MistralError):
    """A batch job did not succeed: it ended ``FAILED``, ``TIMEOUT_EXCEEDED`` or ``CANCELLED``.

    ``job`` is the job as last read, with its ``errors`` and request counts; ``status`` is
    its status.
    """

    job: BatchJob
    status: str

    def __init__(self, job: BatchJob, message: str | None = None) -> None:
        super().__init__(message or _describe(job))
        self.job = job
        self.status = job.status


class BatchWaitTimeoutError(BatchJobError, APITimeoutError):
    """Waiting for a batch job took longer than ``timeout`` seconds.

    The job goes on running on the API's side (unless ``client.batch.run`` cancelled it).
    ``job`` is the job as last read, ``timeout`` the limit that was reached. It is an
    :class:`~mistral_async.APITimeoutError`, like the fine-tuning ``wait``'s.
    """

    timeout: float

    def __init__(self, job: BatchJob, timeout: float) -> None:
        super().__init__(
            job,
            f"batch job {job.id} is still {job.status} after {timeout:g} s "
            f"({job.completed_requests} of {job.total_requests} requests done)",
        )
        self.timeout = timeout


def _describe(job: BatchJob) -> str:
    text = (
        f"batch job {job.id} ended {job.status}: {job.succeeded_requests} of "
        f"{job.total_requests} requests succeeded, {job.failed_requests} failed"
    )
    if job.errors:
        text += "; " + "; ".join(
            f"{error.message} (x{error.count})" if error.count > 1 else error.message
            for error in job.errors[:5]
        )
    return text


# -- structured outputs and the tool runner -------------------------------------------------


class StructuredOutputError(MistralError):
    """The model's answer could not be turned into the requested type.

    ``text`` is the answer's text as received (thinking left out); ``completion`` the
    response it came in (a chat completion, or a conversation response), ``None`` when
    the text was parsed on its own.
    """

    def __init__(self, message: str, *, text: str, completion: Any = None) -> None:
        super().__init__(message)
        self.text = text
        self.completion = completion


class OutputTruncatedError(StructuredOutputError):
    """The answer stopped at the token limit (``finish_reason == "length"``).

    Nothing was parsed: the JSON is cut off. Raise ``max_tokens`` or ask for less.
    """


class OutputParseError(StructuredOutputError, ValueError):
    """The answer is not valid JSON, or a value does not fit the requested type.

    ``path`` is where (``"$"`` for the whole text, ``"$.cities[2].population"``...), and
    ``reason`` what is wrong there.
    """

    def __init__(self, path: str, reason: str, *, text: str, completion: Any = None) -> None:
        super().__init__(f"{path}: {reason}", text=text, completion=completion)
        self.path = path
        self.reason = reason


class ToolRunError(MistralError):
    """The tool runner stopped before the model gave a final answer.

    ``messages`` is the transcript so far (for conversations, ``responses``: the answers
    so far, and ``conversation_id``), so the run can be inspected or resumed.
    """

    def __init__(self, message: str, *, messages: list[Any], iterations: int) -> None:
        super().__init__(message)
        self.messages = messages
        self.iterations = iterations


class ToolIterationLimitError(ToolRunError):
    """The model was still calling tools after ``max_iterations`` turns.

    ``last_response`` is the model's last answer (its tool calls were answered and are in
    ``messages``).
    """

    def __init__(self, max_iterations: int, *, messages: list[Any], last_response: Any) -> None:
        super().__init__(
            f"the model still called tools after {max_iterations} turns (max_iterations)",
            messages=messages,
            iterations=max_iterations,
        )
        self.max_iterations = max_iterations
        self.last_response = last_response


class ToolExecutionError(ToolRunError):
    """A tool raised and the runner was asked to raise (``raise_tool_errors=True``).

    ``tool_name``, ``call_id`` and ``arguments`` describe the call; the tool's own
    exception is ``__cause__``.
    """

    def __init__(
        self,
        tool_name: str,
        call_id: str | None,
        arguments: Any,
        error: BaseException,
        *,
        messages: list[Any],
        iterations: int,
    ) -> None:
        super().__init__(
            f"tool {tool_name!r} raised {type(error).__name__}: {error}",
            messages=messages,
            iterations=iterations,
        )
        self.tool_name = tool_name
        self.call_id = call_id
        self.arguments = arguments


# -- realtime transcription ------------------------------------------------------------------


class RealtimeError(APIStreamError):
    """The server sent an ``error`` message on a realtime transcription session.

    Raised while reading the session's events (after the events that came before it); the
    socket is closed. ``event`` is the typed error event (a ``RealtimeErrorEvent``),
    ``code`` the error's code as text and ``body`` the message as received. Pass
    ``raise_on_error=False`` to ``transcribe`` to receive error events instead.
    """

    def __init__(
        self,
        message: str,
        *,
        body: Any,
        code: str | None = None,
        request_id: str | None = None,
        event: Any = None,
    ) -> None:
        super().__init__(message, body=body, type="error", code=code, request_id=request_id)
        self.event = event

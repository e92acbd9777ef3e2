"""The error tree of mistral_async.

::

    MistralError
    ├── InvalidParameterError        bad input, raised before anything is sent
    └── APIError                     something went wrong talking to the API
        ├── APIConnectionError       could not connect, or the connection broke
        │   └── APITimeoutError      a connect / read / total / stream timeout fired
        ├── APIStatusError           the API answered with a 4xx or 5xx status
        │   ├── BadRequestError              400
        │   ├── AuthenticationError          401
        │   ├── PermissionDeniedError        403
        │   ├── NotFoundError                404
        │   ├── ConflictError                409
        │   ├── UnprocessableEntityError     422 (``detail`` holds the validation errors)
        │   ├── RateLimitError               429
        │   └── InternalServerError          5xx
        ├── APIStreamError           an error event arrived in the middle of a stream
        └── ResponseValidationError  a response body did not fit the expected type

The job helpers add three, in the modules of their groups and exported here too::

    APITimeoutError
    ├── JobTimeoutError          fine_tuning.jobs.wait ran out of time
    └── BatchWaitTimeoutError    batch.jobs.wait / batch.run ran out of time (a BatchJobError)
    MistralError
    ├── FineTuningJobError       a fine-tuning job ended FAILED, FAILED_VALIDATION or CANCELLED
    └── BatchJobError            a batch job ended FAILED, TIMEOUT_EXCEEDED or CANCELLED

Waiting for a workflow execution (``workflows.execute_workflow_and_wait``) adds two::

    APITimeoutError
    └── WorkflowWaitTimeoutError     the wait ran out of time (the execution goes on)
    MistralError
    └── WorkflowExecutionError       the execution ended FAILED, CANCELED, TERMINATED or TIMED_OUT
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._types import Headers

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "InternalServerError",
    "InvalidParameterError",
    "MistralError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseValidationError",
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

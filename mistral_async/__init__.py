"""mistral_async: an async-first Python SDK for the Mistral AI API, with a blocking twin.

::

    from mistral_async import AsyncMistral, Mistral
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._binary import AsyncBinaryResponse
    from ._blocking import BinaryResponse, ChatCompletionStream, Mistral, Paginator, Stream
    from ._client import AsyncMistral
    from ._errors import (
        APIConnectionError,
        APIError,
        APIStatusError,
        APIStreamError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        BatchJobError,
        BatchWaitTimeoutError,
        ConflictError,
        FineTuningJobError,
        InternalServerError,
        InvalidParameterError,
        JobTimeoutError,
        MistralError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ResponseValidationError,
        UnprocessableEntityError,
        WorkflowExecutionError,
        WorkflowWaitTimeoutError,
    )
    from ._pagination import AsyncPaginator
    from ._response import RateLimit, RateLimitWindow, RawResponse
    from ._streaming import AsyncStream
    from ._types import NOT_GIVEN, Headers, NotGiven, PollOptions, RequestOptions, Timeout
    from .lib.chat_stream import AsyncChatCompletionStream

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AsyncBinaryResponse",
    "AsyncChatCompletionStream",
    "AsyncMistral",
    "AsyncPaginator",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "BatchJobError",
    "BatchWaitTimeoutError",
    "BinaryResponse",
    "ChatCompletionStream",
    "ConflictError",
    "FineTuningJobError",
    "Headers",
    "InternalServerError",
    "InvalidParameterError",
    "JobTimeoutError",
    "Mistral",
    "MistralError",
    "NotFoundError",
    "NotGiven",
    "Paginator",
    "PermissionDeniedError",
    "PollOptions",
    "RateLimit",
    "RateLimitError",
    "RateLimitWindow",
    "RawResponse",
    "RequestOptions",
    "ResponseValidationError",
    "Stream",
    "Timeout",
    "UnprocessableEntityError",
    "WorkflowExecutionError",
    "WorkflowWaitTimeoutError",
    "__version__",
]

# Where each public name lives; modules are imported on first use so that
# ``import mistral_async`` stays cheap.
_LOCATIONS = {
    "AsyncBinaryResponse": "._binary",
    "AsyncPaginator": "._pagination",
    "BinaryResponse": "._blocking",
    "Paginator": "._blocking",
    "PollOptions": "._types",
    "AsyncMistral": "._client",
    "AsyncStream": "._streaming",
    "AsyncChatCompletionStream": ".lib.chat_stream",
    "ChatCompletionStream": "._blocking",
    "Mistral": "._blocking",
    "Stream": "._blocking",
    "RateLimit": "._response",
    "RateLimitWindow": "._response",
    "RawResponse": "._response",
    "NOT_GIVEN": "._types",
    "NotGiven": "._types",
    "Headers": "._types",
    "RequestOptions": "._types",
    "Timeout": "._types",
}


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None and name in __all__:
        module = "._errors"
    if module is None:
        raise AttributeError(f"module 'mistral_async' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

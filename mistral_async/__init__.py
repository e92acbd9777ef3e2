"""mistral_async: an async-first Python SDK for the Mistral AI API, with a blocking twin.

::

    from mistral_async import AsyncMistral, Mistral
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._blocking import ChatCompletionStream, Mistral, Stream
    from ._client import AsyncMistral
    from ._errors import (
        APIConnectionError,
        APIError,
        APIStatusError,
        APIStreamError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ConflictError,
        InternalServerError,
        InvalidParameterError,
        MistralError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ResponseValidationError,
        UnprocessableEntityError,
    )
    from ._response import RateLimit, RateLimitWindow, RawResponse
    from ._streaming import AsyncStream
    from ._types import NOT_GIVEN, Headers, NotGiven, RequestOptions, Timeout
    from .lib.chat_stream import AsyncChatCompletionStream

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AsyncChatCompletionStream",
    "AsyncMistral",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "ChatCompletionStream",
    "ConflictError",
    "Headers",
    "InternalServerError",
    "InvalidParameterError",
    "Mistral",
    "MistralError",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RateLimitWindow",
    "RawResponse",
    "RequestOptions",
    "ResponseValidationError",
    "Stream",
    "Timeout",
    "UnprocessableEntityError",
    "__version__",
]

# Where each public name lives; modules are imported on first use so that
# ``import mistral_async`` stays cheap.
_LOCATIONS = {
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

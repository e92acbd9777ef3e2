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
    from ._blocking import (
        BinaryResponse,
        ChatCompletionStream,
        Mistral,
        MistralAzure,
        MistralGCP,
        Paginator,
        RealtimeTranscriptionSession,
        Stream,
    )
    from ._cache import Cache, CacheBackend, CacheStats
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
        CredentialsError,
        EndpointNotFoundError,
        FineTuningJobError,
        InternalServerError,
        InvalidParameterError,
        JobTimeoutError,
        MistralError,
        NotFoundError,
        OutputParseError,
        OutputTruncatedError,
        PermissionDeniedError,
        RateLimitError,
        RealtimeError,
        ResponseValidationError,
        StructuredOutputError,
        ToolExecutionError,
        ToolIterationLimitError,
        ToolRunError,
        UnprocessableEntityError,
        WorkflowExecutionError,
        WorkflowWaitTimeoutError,
    )
    from ._logging import configure_logging
    from ._pagination import AsyncPaginator
    from ._response import RateLimit, RateLimitWindow, RawResponse
    from ._streaming import AsyncStream
    from ._types import NOT_GIVEN, Headers, NotGiven, PollOptions, RequestOptions, Timeout
    from .lib.chat_stream import AsyncChatCompletionStream
    from .lib.parse import ParsedChatCompletion, response_format_for, strict_json_schema
    from .lib.parse_conversation import ParsedConversationResponse
    from .lib.realtime import (
        AsyncRealtimeTranscriptionSession,
        AudioFormat,
        RealtimeClientSession,
        RealtimeErrorEvent,
        RealtimeEvent,
        RealtimeSessionCreated,
        RealtimeSessionUpdated,
        UnknownRealtimeEvent,
    )
    from .lib.tools import FunctionTool, ToolCallRequest, ToolResult, ToolRunResult, tool
    from .providers import AsyncMistralAzure, AsyncMistralGCP

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
    "AsyncMistralAzure",
    "AsyncMistralGCP",
    "AsyncPaginator",
    "AsyncRealtimeTranscriptionSession",
    "AsyncStream",
    "AudioFormat",
    "AuthenticationError",
    "BadRequestError",
    "BatchJobError",
    "BatchWaitTimeoutError",
    "BinaryResponse",
    "Cache",
    "CacheBackend",
    "CacheStats",
    "ChatCompletionStream",
    "ConflictError",
    "CredentialsError",
    "EndpointNotFoundError",
    "FineTuningJobError",
    "FunctionTool",
    "Headers",
    "InternalServerError",
    "InvalidParameterError",
    "JobTimeoutError",
    "Mistral",
    "MistralAzure",
    "MistralError",
    "MistralGCP",
    "NotFoundError",
    "NotGiven",
    "OutputParseError",
    "OutputTruncatedError",
    "Paginator",
    "ParsedChatCompletion",
    "ParsedConversationResponse",
    "PermissionDeniedError",
    "PollOptions",
    "RateLimit",
    "RateLimitError",
    "RateLimitWindow",
    "RawResponse",
    "RealtimeClientSession",
    "RealtimeError",
    "RealtimeErrorEvent",
    "RealtimeEvent",
    "RealtimeSessionCreated",
    "RealtimeSessionUpdated",
    "RealtimeTranscriptionSession",
    "RequestOptions",
    "ResponseValidationError",
    "Stream",
    "StructuredOutputError",
    "Timeout",
    "ToolCallRequest",
    "ToolExecutionError",
    "ToolIterationLimitError",
    "ToolResult",
    "ToolRunError",
    "ToolRunResult",
    "UnknownRealtimeEvent",
    "UnprocessableEntityError",
    "WorkflowExecutionError",
    "WorkflowWaitTimeoutError",
    "__version__",
    "configure_logging",
    "response_format_for",
    "strict_json_schema",
    "tool",
]

# Where each public name lives; modules are imported on first use so that
# ``import mistral_async`` stays cheap.
_LOCATIONS = {
    "AsyncBinaryResponse": "._binary",
    "AsyncPaginator": "._pagination",
    "Cache": "._cache",
    "CacheBackend": "._cache",
    "CacheStats": "._cache",
    "configure_logging": "._logging",
    "BinaryResponse": "._blocking",
    "Paginator": "._blocking",
    "PollOptions": "._types",
    "AsyncMistral": "._client",
    "AsyncMistralAzure": ".providers.azure",
    "AsyncMistralGCP": ".providers.gcp",
    "MistralAzure": ".providers._blocking",
    "MistralGCP": ".providers._blocking",
    "AsyncStream": "._streaming",
    "AsyncChatCompletionStream": ".lib.chat_stream",
    "AsyncRealtimeTranscriptionSession": ".lib.realtime",
    "AudioFormat": ".lib.realtime",
    "RealtimeClientSession": ".lib.realtime",
    "RealtimeErrorEvent": ".lib.realtime",
    "RealtimeEvent": ".lib.realtime",
    "RealtimeSessionCreated": ".lib.realtime",
    "RealtimeSessionUpdated": ".lib.realtime",
    "UnknownRealtimeEvent": ".lib.realtime",
    "RealtimeTranscriptionSession": "._blocking",
    "ParsedChatCompletion": ".lib.parse",
    "ParsedConversationResponse": ".lib.parse_conversation",
    "response_format_for": ".lib.parse",
    "strict_json_schema": ".lib.parse",
    "FunctionTool": ".lib.tools",
    "ToolCallRequest": ".lib.tools",
    "ToolResult": ".lib.tools",
    "ToolRunResult": ".lib.tools",
    "tool": ".lib.tools",
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

"""Request and response types of the Mistral API, as attrs classes."""

from .chat import (
    AssistantMessage,
    AudioChunk,
    ChatCompletionChoice,
    ChatCompletionResponse,
    CompletionChunk,
    CompletionResponseStreamChoice,
    ContentChunk,
    DeltaMessage,
    DocumentURLChunk,
    FileChunk,
    FIMCompletionResponse,
    Function,
    FunctionCall,
    FunctionName,
    ImageURL,
    ImageURLChunk,
    JsonSchema,
    Message,
    MessageParam,
    Prediction,
    ReferenceChunk,
    ResponseFormat,
    SystemMessage,
    TextChunk,
    ThinkChunk,
    Tool,
    ToolCall,
    ToolChoice,
    ToolMessage,
    ToolReferenceChunk,
    UserMessage,
)
from .embeddings import EmbeddingResponse, EmbeddingResponseData
from .models import (
    ArchiveModelResponse,
    BaseModelCard,
    ClassifierFineTunedModel,
    ClassifierTargetResult,
    CompletionFineTunedModel,
    DeleteModelResponse,
    FineTunedModel,
    FineTunedModelCapabilities,
    FTModelCard,
    ModelCapabilities,
    ModelCard,
    ModelList,
    UnarchiveModelResponse,
)
from .shared import UsageInfo

__all__ = [
    "ArchiveModelResponse",
    "AssistantMessage",
    "AudioChunk",
    "BaseModelCard",
    "ChatCompletionChoice",
    "ChatCompletionResponse",
    "ClassifierFineTunedModel",
    "ClassifierTargetResult",
    "CompletionChunk",
    "CompletionFineTunedModel",
    "CompletionResponseStreamChoice",
    "ContentChunk",
    "DeleteModelResponse",
    "DeltaMessage",
    "DocumentURLChunk",
    "EmbeddingResponse",
    "EmbeddingResponseData",
    "FIMCompletionResponse",
    "FTModelCard",
    "FileChunk",
    "FineTunedModel",
    "FineTunedModelCapabilities",
    "Function",
    "FunctionCall",
    "FunctionName",
    "ImageURL",
    "ImageURLChunk",
    "JsonSchema",
    "Message",
    "MessageParam",
    "ModelCapabilities",
    "ModelCard",
    "ModelList",
    "Prediction",
    "ReferenceChunk",
    "ResponseFormat",
    "SystemMessage",
    "TextChunk",
    "ThinkChunk",
    "Tool",
    "ToolCall",
    "ToolChoice",
    "ToolMessage",
    "ToolReferenceChunk",
    "UnarchiveModelResponse",
    "UsageInfo",
    "UserMessage",
]


def __getattr__(name: str) -> object:
    """The types generated from the spec, imported with their group on first use:
    ``from mistral_async.types import VoiceResponse``."""
    import importlib

    from ._index import LOCATIONS

    module = LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module 'mistral_async.types' has no attribute {name!r}")
    value: object = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value

"""Types of the beta conversations API: entries, conversations, responses and stream events.

A conversation is a list of *entries*: messages in and out, function calls and their
results, built-in tool executions and hand-overs between agents. Entry classes serve both
ways: send them (or plain dicts) as ``inputs``, and read them in responses. Entries, content
chunks and stream events of a kind this SDK does not know are kept, never dropped: unknown
entries and chunks arrive as plain dicts, unknown events as :class:`UnknownConversationEvent`.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import attrs

from .._converter import Model, converter, register_union, tagged_union
from .beta_agents import AgentTool, CompletionArgs
from .chat import (
    AudioChunk,
    DocumentURLChunk,
    FileChunk,
    ImageURLChunk,
    ReferenceChunk,
    TextChunk,
    ThinkChunk,
    ToolReferenceChunk,
    text_of,
)

__all__ = [
    "AgentConversation",
    "AgentHandoffDoneEvent",
    "AgentHandoffEntry",
    "AgentHandoffStartedEvent",
    "Conversation",
    "ConversationEntry",
    "ConversationEvent",
    "ConversationHistory",
    "ConversationMessages",
    "ConversationResponse",
    "ConversationUsageInfo",
    "EntryChunk",
    "EntryContent",
    "FunctionCallEntry",
    "FunctionCallEvent",
    "FunctionResultEntry",
    "InputEntry",
    "MessageEntry",
    "MessageInputEntry",
    "MessageOutputEntry",
    "MessageOutputEvent",
    "ModelConversation",
    "OutputEntry",
    "ResponseDoneEvent",
    "ResponseErrorEvent",
    "ResponseStartedEvent",
    "ToolCallConfirmation",
    "ToolExecutionDeltaEvent",
    "ToolExecutionDoneEvent",
    "ToolExecutionEntry",
    "ToolExecutionStartedEvent",
    "ToolFileChunk",
    "UnknownConversationEvent",
]


# -- content -----------------------------------------------------------------------------------


@attrs.define(slots=True)
class ToolFileChunk(Model):
    """A file a built-in tool made (an image, a plot...), by file id."""

    tool: str
    file_id: str
    file_name: str | None = None
    file_type: str | None = None
    type: Literal["tool_file"] = "tool_file"


EntryChunk: TypeAlias = (
    TextChunk
    | ImageURLChunk
    | ToolFileChunk
    | DocumentURLChunk
    | ThinkChunk
    | ToolReferenceChunk
    | ReferenceChunk
    | FileChunk
    | AudioChunk
)
"""A content chunk of a message entry; chunks of unknown kinds arrive as plain dicts."""

EntryContent: TypeAlias = str | list[EntryChunk | dict[str, Any]]
"""The content of a message entry: a string, or a list of chunks."""


# -- entries -----------------------------------------------------------------------------------


@attrs.define(slots=True)
class MessageInputEntry(Model):
    """A message sent to the conversation.

    ``role`` is ``"user"``, or ``"assistant"`` to put words in the model's mouth.
    """

    content: EntryContent
    role: str = "user"
    prefix: bool | None = None
    id: str | None = None
    created_at: str | None = None
    completed_at: str | None = None
    object: str = "entry"
    type: Literal["message.input"] = "message.input"

    @property
    def text(self) -> str:
        """The message's text (text chunks joined)."""
        return text_of(self.content)  # type: ignore[arg-type]


@attrs.define(slots=True)
class MessageOutputEntry(Model):
    """A message from the model or agent."""

    content: EntryContent
    role: str = "assistant"
    id: str | None = None
    agent_id: str | None = None
    model: str | None = None
    created_at: str | None = None
    completed_at: str | None = None
    object: str = "entry"
    type: Literal["message.output"] = "message.output"

    @property
    def text(self) -> str:
        """The message's text (text chunks joined, other chunks left out)."""
        return text_of(self.content)  # type: ignore[arg-type]


@attrs.define(slots=True)
class FunctionCallEntry(Model):
    """A call of one of your functions: run it, then send a :class:`FunctionResultEntry`."""

    tool_call_id: str
    name: str
    arguments: str | dict[str, Any]
    """Usually a JSON string."""
    id: str | None = None
    agent_id: str | None = None
    model: str | None = None
    confirmation_status: str | None = None
    """``"pending"``, ``"allowed"`` or ``"denied"`` for tools that need a confirmation."""
    created_at: str | None = None
    completed_at: str | None = None
    object: str = "entry"
    type: Literal["function.call"] = "function.call"


@attrs.define(slots=True)
class FunctionResultEntry(Model):
    """The result of a function call, sent back as an input."""

    tool_call_id: str
    result: str
    id: str | None = None
    created_at: str | None = None
    completed_at: str | None = None
    object: str = "entry"
    type: Literal["function.result"] = "function.result"


@attrs.define(slots=True)
class ToolExecutionEntry(Model):
    """A run of a built-in tool (web search, code interpreter...) by the API."""

    name: str
    """The tool: ``"web_search"``, ``"code_interpreter"``... or a connector's name."""
    arguments: str
    id: str | None = None
    agent_id: str | None = None
    model: str | None = None
    info: dict[str, Any] | None = None
    created_at: str | None = None
    completed_at: str | None = None
    object: str = "entry"
    type: Literal["tool.execution"] = "tool.execution"


@attrs.define(slots=True)
class AgentHandoffEntry(Model):
    """One agent handing the conversation over to another."""

    previous_agent_id: str
    previous_agent_name: str
    next_agent_id: str
    next_agent_name: str
    id: str | None = None
    created_at: str | None = None
    completed_at: str | None = None
    object: str = "entry"
    type: Literal["agent.handoff"] = "agent.handoff"


ConversationEntry: TypeAlias = (
    MessageInputEntry
    | MessageOutputEntry
    | FunctionResultEntry
    | FunctionCallEntry
    | ToolExecutionEntry
    | AgentHandoffEntry
    | dict[str, Any]
)
"""Any entry of a conversation's history; unknown kinds arrive as plain dicts."""

OutputEntry: TypeAlias = (
    MessageOutputEntry | ToolExecutionEntry | FunctionCallEntry | AgentHandoffEntry | dict[str, Any]
)
"""An entry the API adds in answer to your inputs; unknown kinds arrive as plain dicts."""

MessageEntry: TypeAlias = MessageInputEntry | MessageOutputEntry | dict[str, Any]
"""A message of a conversation, in or out."""

InputEntry: TypeAlias = ConversationEntry
"""An input entry: an entry object or a dict (``{"role": "user", "content": "Hi"}``)."""


# -- conversations and responses ---------------------------------------------------------------


@attrs.define(slots=True)
class ConversationUsageInfo(Model):
    """Tokens a conversation request used (``connectors``: tokens per built-in tool)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    connector_tokens: int | None = None
    connectors: dict[str, int] | None = None


@attrs.define(slots=True)
class ConversationResponse(Model):
    """What the API answered to new inputs: the entries it added, and the usage."""

    conversation_id: str
    outputs: list[OutputEntry] = attrs.Factory(list)
    usage: ConversationUsageInfo = attrs.Factory(ConversationUsageInfo)
    object: str = "conversation.response"
    guardrails: list[dict[str, Any]] | None = None

    @property
    def text(self) -> str:
        """The text of the message outputs, joined."""
        return "".join(e.text for e in self.outputs if type(e) is MessageOutputEntry)


@attrs.define(slots=True)
class ModelConversation(Model):
    """A conversation with a model, and the settings it runs with."""

    id: str
    model: str = ""
    instructions: str | None = None
    tools: list[AgentTool] = attrs.Factory(list)
    completion_args: CompletionArgs | None = None
    guardrails: list[dict[str, Any]] | None = None
    name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    created_at: str = ""
    updated_at: str = ""
    object: str = "conversation"


@attrs.define(slots=True)
class AgentConversation(Model):
    """A conversation with an agent."""

    id: str
    agent_id: str
    agent_version: str | int | None = None
    name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    created_at: str = ""
    updated_at: str = ""
    object: str = "conversation"


Conversation: TypeAlias = ModelConversation | AgentConversation
"""A conversation: with a model, or with an agent (the one with an ``agent_id``)."""


@attrs.define(slots=True)
class ConversationHistory(Model):
    """Every entry of a conversation, in the order they were added."""

    conversation_id: str
    entries: list[ConversationEntry] = attrs.Factory(list)
    object: str = "conversation.history"


@attrs.define(slots=True)
class ConversationMessages(Model):
    """The messages of a conversation (its history without tool entries)."""

    conversation_id: str
    messages: list[MessageEntry] = attrs.Factory(list)
    object: str = "conversation.messages"


@attrs.define(slots=True)
class ToolCallConfirmation(Model):
    """Allow or deny a pending tool call (``confirmation``: ``"allow"`` or ``"deny"``)."""

    tool_call_id: str
    confirmation: str


# -- stream events -----------------------------------------------------------------------------


@attrs.define(slots=True)
class ResponseStartedEvent(Model):
    """The first event of a stream: the conversation's id."""

    conversation_id: str
    created_at: str | None = None
    type: Literal["conversation.response.started"] = "conversation.response.started"


@attrs.define(slots=True)
class ResponseDoneEvent(Model):
    """The last event of a stream: the usage."""

    usage: ConversationUsageInfo = attrs.Factory(ConversationUsageInfo)
    created_at: str | None = None
    type: Literal["conversation.response.done"] = "conversation.response.done"


@attrs.define(slots=True)
class ResponseErrorEvent(Model):
    """An error in the middle of a stream (raised as :class:`~mistral_async.APIStreamError`)."""

    message: str
    code: int | None = None
    created_at: str | None = None
    type: Literal["conversation.response.error"] = "conversation.response.error"


@attrs.define(slots=True)
class MessageOutputEvent(Model):
    """A piece of a message output: ``content`` is a string or one chunk."""

    id: str
    content: str | EntryChunk | dict[str, Any]
    output_index: int = 0
    content_index: int = 0
    model: str | None = None
    agent_id: str | None = None
    role: str = "assistant"
    created_at: str | None = None
    type: Literal["message.output.delta"] = "message.output.delta"

    @property
    def text(self) -> str:
        """This piece's text ("" when it is not text)."""
        content = self.content
        if type(content) is str:
            return content
        return text_of([content])  # type: ignore[list-item]


@attrs.define(slots=True)
class FunctionCallEvent(Model):
    """A piece of a function call: ``arguments`` pieces add up to the JSON arguments."""

    id: str
    name: str
    tool_call_id: str
    arguments: str
    output_index: int = 0
    model: str | None = None
    agent_id: str | None = None
    confirmation_status: str | None = None
    created_at: str | None = None
    type: Literal["function.call.delta"] = "function.call.delta"


@attrs.define(slots=True)
class ToolExecutionStartedEvent(Model):
    """A built-in tool started running."""

    id: str
    name: str
    arguments: str = ""
    output_index: int = 0
    model: str | None = None
    agent_id: str | None = None
    created_at: str | None = None
    type: Literal["tool.execution.started"] = "tool.execution.started"


@attrs.define(slots=True)
class ToolExecutionDeltaEvent(Model):
    """A piece of a built-in tool's arguments."""

    id: str
    name: str
    arguments: str = ""
    output_index: int = 0
    created_at: str | None = None
    type: Literal["tool.execution.delta"] = "tool.execution.delta"


@attrs.define(slots=True)
class ToolExecutionDoneEvent(Model):
    """A built-in tool finished running."""

    id: str
    name: str
    info: dict[str, Any] | None = None
    output_index: int = 0
    created_at: str | None = None
    type: Literal["tool.execution.done"] = "tool.execution.done"


@attrs.define(slots=True)
class AgentHandoffStartedEvent(Model):
    """An agent started handing the conversation over."""

    id: str
    previous_agent_id: str
    previous_agent_name: str
    output_index: int = 0
    created_at: str | None = None
    type: Literal["agent.handoff.started"] = "agent.handoff.started"


@attrs.define(slots=True)
class AgentHandoffDoneEvent(Model):
    """The conversation was handed over to another agent."""

    id: str
    next_agent_id: str
    next_agent_name: str
    output_index: int = 0
    created_at: str | None = None
    type: Literal["agent.handoff.done"] = "agent.handoff.done"


@attrs.define(slots=True)
class UnknownConversationEvent(Model):
    """An event of a type this SDK does not know, passed through rather than dropped.

    Its fields are in :attr:`extra_fields`, and readable as attributes.
    """

    type: str = ""
    created_at: str | None = None


ConversationEvent: TypeAlias = (
    ResponseStartedEvent
    | ResponseDoneEvent
    | ResponseErrorEvent
    | MessageOutputEvent
    | FunctionCallEvent
    | ToolExecutionStartedEvent
    | ToolExecutionDeltaEvent
    | ToolExecutionDoneEvent
    | AgentHandoffStartedEvent
    | AgentHandoffDoneEvent
    | UnknownConversationEvent
)
"""One event of a conversation stream, told apart by ``type``."""


# -- hooks: tagged unions, built once ----------------------------------------------------------

_CHUNKS: dict[str, type[Any]] = {
    "text": TextChunk,
    "image_url": ImageURLChunk,
    "tool_file": ToolFileChunk,
    "document_url": DocumentURLChunk,
    "thinking": ThinkChunk,
    "tool_reference": ToolReferenceChunk,
    "reference": ReferenceChunk,
    "file": FileChunk,
    "input_audio": AudioChunk,
}
_chunk = tagged_union("type", _CHUNKS)


def _structure_content(value: Any, _: Any) -> Any:
    if type(value) is str:
        return value
    return [_chunk(item, None) for item in value]


def _structure_delta_content(value: Any, _: Any) -> Any:
    return value if type(value) is str else _chunk(value, None)


def _entry_by_role(data: Any) -> Any:
    # An entry without a ``type`` (as users often write inputs) is a message, by its role.
    if type(data) is dict and "type" not in data and "content" in data:
        cls = MessageOutputEntry if data.get("role") == "assistant" else MessageInputEntry
        return converter.structure(data, cls)
    return data


_ENTRIES: dict[str, type[Any]] = {
    "message.input": MessageInputEntry,
    "message.output": MessageOutputEntry,
    "function.result": FunctionResultEntry,
    "function.call": FunctionCallEntry,
    "tool.execution": ToolExecutionEntry,
    "agent.handoff": AgentHandoffEntry,
}
_entry = tagged_union("type", _ENTRIES, _entry_by_role)


def _structure_conversation(value: Any, _: Any) -> Any:
    if isinstance(value, ModelConversation | AgentConversation):
        return value
    if type(value) is dict and value.get("agent_id") is not None:
        return converter.structure(value, AgentConversation)
    return converter.structure(value, ModelConversation)


def _unknown_event(data: Any) -> Any:
    return converter.structure(
        data if type(data) is dict else {"data": data}, UnknownConversationEvent
    )


_EVENTS: dict[str, type[Any]] = {
    "conversation.response.started": ResponseStartedEvent,
    "conversation.response.done": ResponseDoneEvent,
    "conversation.response.error": ResponseErrorEvent,
    "message.output.delta": MessageOutputEvent,
    "function.call.delta": FunctionCallEvent,
    "tool.execution.started": ToolExecutionStartedEvent,
    "tool.execution.delta": ToolExecutionDeltaEvent,
    "tool.execution.done": ToolExecutionDoneEvent,
    "agent.handoff.started": AgentHandoffStartedEvent,
    "agent.handoff.done": AgentHandoffDoneEvent,
}
structure_event = tagged_union("type", _EVENTS, _unknown_event)
"""Structure one stream event by its ``type``; an unknown type gives an
:class:`UnknownConversationEvent`."""


def _passthrough(value: Any, _: Any) -> Any:
    return value


register_union(EntryContent, _structure_content)
register_union(EntryChunk | dict[str, Any], _chunk)
register_union(str | EntryChunk | dict[str, Any], _structure_delta_content)
register_union(ConversationEntry, _entry)
register_union(OutputEntry, _entry)
register_union(MessageEntry, _entry)
register_union(Conversation, _structure_conversation)
register_union(ConversationEvent, structure_event)
register_union(str | dict[str, Any], _passthrough)
register_union(str | int | None, _passthrough)


# -- requests --------------------------------------------------------------------------------

from .._types import NOT_GIVEN, NotGiven  # noqa: E402 - kept beside the request types
from . import _validate as v  # noqa: E402
from .beta_agents import (  # noqa: E402
    check_agent_version,
    check_bool,
    check_completion_args,
    check_guardrails,
    check_tools,
)

ConversationInputs: TypeAlias = str | list[InputEntry]
"""What you send: a user message as a string, or a list of entries."""


def _check_inputs(_: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, NotGiven | str):
        return
    v.sequence(v.objects("conversation entry", "type", None), nullable=False)(_, attribute, value)


_HANDOFF_EXECUTIONS = ("client", "server")


def _check_confirmation(path: str, value: Any) -> None:
    if isinstance(value, ToolCallConfirmation):
        return
    v.objects("tool call confirmation", "confirmation", ("allow", "deny"))(path, value)


@attrs.define(slots=True, kw_only=True)
class _RunFields(Model):
    """Fields every request that makes the conversation answer shares."""

    inputs: ConversationInputs | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_check_inputs)
    )
    stream: bool | NotGiven = NOT_GIVEN
    store: bool | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(check_bool(nullable=False))
    )
    handoff_execution: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.one_of(*_HANDOFF_EXECUTIONS, nullable=False))
    )


@attrs.define(slots=True, kw_only=True)
class ConversationRequest(_RunFields):
    """The body of a request starting a conversation."""

    # Nullable here, unlike when appending or restarting.
    store: bool | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(check_bool(nullable=True))
    )
    handoff_execution: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.one_of(*_HANDOFF_EXECUTIONS))
    )
    instructions: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.string())
    )
    tools: list[AgentTool] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(check_tools)
    )
    completion_args: CompletionArgs | dict[str, Any] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(check_completion_args(nullable=True))
    )
    guardrails: list[dict[str, Any]] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(check_guardrails)
    )
    name: str | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=v.check(v.string()))
    description: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.string())
    )
    metadata: dict[str, Any] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.mapping())
    )
    agent_id: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.string(non_empty=True))
    )
    agent_version: str | int | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(check_agent_version)
    )
    model: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.string(non_empty=True))
    )


@attrs.define(slots=True, kw_only=True)
class AppendConversationRequest(_RunFields):
    """The body of a request adding inputs to a conversation."""

    completion_args: CompletionArgs | dict[str, Any] | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(check_completion_args(nullable=False))
    )
    tool_confirmations: list[ToolCallConfirmation | dict[str, Any]] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.sequence(_check_confirmation))
    )


@attrs.define(slots=True, kw_only=True)
class RestartConversationRequest(_RunFields):
    """The body of a request restarting a conversation from one of its entries."""

    from_entry_id: str = attrs.field(metadata=v.check(v.string(nullable=False, non_empty=True)))
    completion_args: CompletionArgs | dict[str, Any] | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(check_completion_args(nullable=False))
    )
    guardrails: list[dict[str, Any]] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(check_guardrails)
    )
    metadata: dict[str, Any] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.mapping())
    )
    agent_version: str | int | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(check_agent_version)
    )


__all__ += [
    "AppendConversationRequest",
    "ConversationInputs",
    "ConversationRequest",
    "RestartConversationRequest",
]

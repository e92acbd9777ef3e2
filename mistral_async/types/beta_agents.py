"""Types of the beta agents API: agents, their versions and aliases, tools, completion args.

The tool classes serve both ways: pass them (or plain dicts) to ``client.beta.agents.create``
and ``client.beta.conversations.start``, and read them back from agents and conversations.
A tool of a kind this SDK does not know arrives as a plain dict.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias, cast

import attrs

from .._converter import Model, register_union, tagged_union
from .chat import Function, Prediction, ResponseFormat

__all__ = [
    "APIKeyAuth",
    "Agent",
    "AgentAliasResponse",
    "AgentListPage",
    "AgentTool",
    "CodeInterpreterTool",
    "CompletionArgs",
    "CustomConnector",
    "DocumentLibraryTool",
    "FunctionTool",
    "ImageGenerationTool",
    "OAuth2TokenAuth",
    "ToolConfiguration",
    "WebSearchPremiumTool",
    "WebSearchTool",
]


# -- tools -------------------------------------------------------------------------------------


@attrs.define(slots=True)
class ToolConfiguration(Model):
    """Which of a built-in tool's sub-tools to use, and which need the user's confirmation."""

    exclude: list[str] | None = None
    include: list[str] | None = None
    requires_confirmation: list[str] | None = None


@attrs.define(slots=True)
class FunctionTool(Model):
    """A function the model may call; your code runs it and sends back the result."""

    function: Function
    type: Literal["function"] = "function"


@attrs.define(slots=True)
class WebSearchTool(Model):
    """The built-in web search."""

    tool_configuration: ToolConfiguration | None = None
    type: Literal["web_search"] = "web_search"


@attrs.define(slots=True)
class WebSearchPremiumTool(Model):
    """The built-in web search, with news agencies as extra sources."""

    tool_configuration: ToolConfiguration | None = None
    type: Literal["web_search_premium"] = "web_search_premium"


@attrs.define(slots=True)
class CodeInterpreterTool(Model):
    """The built-in code interpreter (runs Python in a sandbox)."""

    tool_configuration: ToolConfiguration | None = None
    type: Literal["code_interpreter"] = "code_interpreter"


@attrs.define(slots=True)
class ImageGenerationTool(Model):
    """The built-in image generation."""

    tool_configuration: ToolConfiguration | None = None
    type: Literal["image_generation"] = "image_generation"


@attrs.define(slots=True)
class DocumentLibraryTool(Model):
    """Search in document libraries (``client.beta.libraries``), by library id."""

    library_ids: list[str]
    tool_configuration: ToolConfiguration | None = None
    type: Literal["document_library"] = "document_library"


@attrs.define(slots=True)
class OAuth2TokenAuth(Model):
    """An OAuth 2 token a connector sends to its service."""

    value: str
    type: Literal["oauth2-token"] = "oauth2-token"


@attrs.define(slots=True)
class APIKeyAuth(Model):
    """An API key a connector sends to its service."""

    value: str
    type: Literal["api-key"] = "api-key"


@attrs.define(slots=True)
class CustomConnector(Model):
    """A connector (an MCP server registered with Mistral), by id."""

    connector_id: str
    authorization: OAuth2TokenAuth | APIKeyAuth | dict[str, Any] | None = None
    tool_configuration: ToolConfiguration | None = None
    type: Literal["connector"] = "connector"


AgentTool: TypeAlias = (
    FunctionTool
    | WebSearchTool
    | WebSearchPremiumTool
    | CodeInterpreterTool
    | ImageGenerationTool
    | DocumentLibraryTool
    | CustomConnector
    | dict[str, Any]
)
"""A tool of an agent or a conversation; kinds this SDK does not know arrive as plain dicts."""


# -- completion arguments ------------------------------------------------------------------


@attrs.define(slots=True)
class CompletionArgs(Model):
    """The completion parameters an agent or a conversation uses for its replies.

    A field left at ``None`` is not sent (the API's default applies).
    """

    stop: str | list[str] | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    random_seed: int | None = None
    prediction: Prediction | None = None
    response_format: ResponseFormat | None = None
    tool_choice: str | None = None
    """``"auto"`` (the API's default), ``"none"``, ``"any"`` or ``"required"``."""
    reasoning_effort: str | None = None
    """``"none"``, ``"minimal"``, ``"low"``, ``"medium"``, ``"high"`` or ``"xhigh"``."""


# -- agents ----------------------------------------------------------------------------------


@attrs.define(slots=True)
class Agent(Model):
    """An agent, at one of its versions.

    ``version`` is the version this object shows (the agent's current one unless you asked
    for another), ``versions`` every version the agent has. Dates are ISO 8601 strings.
    """

    id: str
    model: str = ""
    name: str = ""
    version: int = 0
    versions: list[int] = attrs.Factory(list)
    instructions: str | None = None
    tools: list[AgentTool] = attrs.Factory(list)
    completion_args: CompletionArgs | None = None
    guardrails: list[dict[str, Any]] | None = None
    description: str | None = None
    handoffs: list[str] | None = None
    """Ids of the agents this one may hand the conversation over to."""
    metadata: dict[str, Any] | None = None
    object: str = "agent"
    created_at: str = ""
    updated_at: str = ""
    deployment_chat: bool = False
    source: str = ""
    version_message: str | None = None


@attrs.define(slots=True)
class AgentListPage(Model):
    """One page of agents from ``list_pages``; pass ``next_page_token`` to get the next."""

    data: list[Agent] = attrs.Factory(list)
    object: str = "list"
    next_page_token: str | None = None


@attrs.define(slots=True)
class AgentAliasResponse(Model):
    """A name pointing at one version of an agent (``agent_version="prod"``)."""

    alias: str
    version: int
    created_at: str = ""
    updated_at: str = ""


# -- hooks -------------------------------------------------------------------------------------

_TOOLS: dict[str, type[Any]] = {
    "function": FunctionTool,
    "web_search": WebSearchTool,
    "web_search_premium": WebSearchPremiumTool,
    "code_interpreter": CodeInterpreterTool,
    "image_generation": ImageGenerationTool,
    "document_library": DocumentLibraryTool,
    "connector": CustomConnector,
}
structure_tool = tagged_union("type", _TOOLS)
"""Structure one tool (a dict by its ``type``; an unknown kind stays a dict)."""


def _passthrough(value: Any, _: Any) -> Any:
    return value


register_union(AgentTool, structure_tool)
register_union(
    OAuth2TokenAuth | APIKeyAuth | dict[str, Any] | None,
    tagged_union("type", {"oauth2-token": OAuth2TokenAuth, "api-key": APIKeyAuth}),
)
register_union(str | list[str] | None, _passthrough)


# -- requests --------------------------------------------------------------------------------

from .._errors import InvalidParameterError  # noqa: E402 - kept beside the request types
from .._types import NOT_GIVEN, NotGiven  # noqa: E402
from . import _validate as v  # noqa: E402

_TOOL_CHOICES = ("auto", "none", "any", "required")
_REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")


class _Named:
    """Stands in for an attrs field in a check, to name a nested parameter."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def _check_response_format(_: Any, attribute: Any, value: Any) -> None:
    if value is None or isinstance(value, ResponseFormat):
        return
    v.objects("response format", "type", ("text", "json_object", "json_schema"))(
        attribute.name, value
    )


def _check_prediction(_: Any, attribute: Any, value: Any) -> None:
    if value is None or isinstance(value, Prediction):
        return
    v.objects("prediction", "type", ("content",))(attribute.name, value)


_COMPLETION_ARG_CHECKS: dict[str, v.Validator] = {
    "stop": v.strings(),
    "presence_penalty": v.number(ge=-2, le=2),
    "frequency_penalty": v.number(ge=-2, le=2),
    "temperature": v.number(ge=0, le=1),
    "top_p": v.number(ge=0, le=1),
    "max_tokens": v.number(ge=0, integer=True),
    "random_seed": v.number(ge=0, integer=True),
    "prediction": _check_prediction,
    "response_format": _check_response_format,
    "tool_choice": v.one_of(*_TOOL_CHOICES),
    "reasoning_effort": v.one_of(*_REASONING_EFFORTS),
}


def check_completion_args(*, nullable: bool) -> v.Validator:
    """``completion_args``: a :class:`CompletionArgs` or a dict, each known key in bounds.

    Keys this SDK does not know are let through (the API may have added them).
    """

    def check(_: Any, attribute: Any, value: Any) -> None:
        if isinstance(value, NotGiven) or (nullable and value is None):
            return
        if isinstance(value, CompletionArgs):
            given = {a.name: getattr(value, a.name) for a in attrs.fields(CompletionArgs)}
        elif isinstance(value, dict):
            given = value
        else:
            raise InvalidParameterError(
                attribute.name, f"must be a CompletionArgs or a dict, not {type(value).__name__}"
            )
        for key, item in given.items():
            entry = _COMPLETION_ARG_CHECKS.get(key)
            if entry is not None:
                entry(None, cast(Any, _Named(f"{attribute.name}.{key}")), item)

    return check


check_tools = v.sequence(v.objects("tool", "type", None))
"""``tools``: a list of tool objects or dicts."""

check_guardrails = v.sequence(v.objects("guardrail config", "", None))
"""``guardrails``: a list of guardrail configuration dicts."""


def check_agent_version(_: Any, attribute: Any, value: Any) -> None:
    """``agent_version``: a version number or an alias."""
    if isinstance(value, NotGiven) or value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidParameterError(
            attribute.name, f"must be a version number or an alias, not {type(value).__name__}"
        )
    if isinstance(value, str) and not value:
        raise InvalidParameterError(attribute.name, "must not be empty")


def check_bool(*, nullable: bool) -> v.Validator:
    """A bool."""

    def check(_: Any, attribute: Any, value: Any) -> None:
        if isinstance(value, NotGiven | bool) or (nullable and value is None):
            return
        raise InvalidParameterError(attribute.name, f"must be a bool, not {type(value).__name__}")

    return check


def _check_version_message(_: Any, attribute: Any, value: Any) -> None:
    v.string()(_, attribute, value)
    if isinstance(value, str) and len(value) > 500:
        raise InvalidParameterError(
            attribute.name, f"must be at most 500 characters, not {len(value)}"
        )


_HANDOFFS = v.strings(single=False, min_items=1)


@attrs.define(slots=True, kw_only=True)
class _AgentFields(Model):
    """Fields agent creation and update share."""

    instructions: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.string())
    )
    tools: list[AgentTool] | NotGiven = attrs.field(
        default=NOT_GIVEN,
        metadata=v.check(v.sequence(v.objects("tool", "type", None), nullable=False)),
    )
    completion_args: CompletionArgs | dict[str, Any] | NotGiven = attrs.field(
        default=NOT_GIVEN, metadata=v.check(check_completion_args(nullable=False))
    )
    guardrails: list[dict[str, Any]] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(check_guardrails)
    )
    description: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.string())
    )
    handoffs: list[str] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_HANDOFFS)
    )
    metadata: dict[str, Any] | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(v.mapping())
    )
    version_message: str | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(_check_version_message)
    )


@attrs.define(slots=True, kw_only=True)
class CreateAgentRequest(_AgentFields):
    """The body of an agent creation request."""

    model: str = attrs.field(metadata=v.check(v.string(nullable=False, non_empty=True)))
    name: str = attrs.field(metadata=v.check(v.string(nullable=False, non_empty=True)))


@attrs.define(slots=True, kw_only=True)
class UpdateAgentRequest(_AgentFields):
    """The body of an agent update request (each update makes a new version)."""

    model: str | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=v.check(v.string()))
    name: str | NotGiven | None = attrs.field(default=NOT_GIVEN, metadata=v.check(v.string()))
    deployment_chat: bool | NotGiven | None = attrs.field(
        default=NOT_GIVEN, metadata=v.check(check_bool(nullable=True))
    )


__all__ += ["CreateAgentRequest", "UpdateAgentRequest"]

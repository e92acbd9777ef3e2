"""``/v1/agents``: agents with versions and aliases, kept in :class:`AgentsState`.

Creating an agent makes its version 0; every update makes the next version from the
current one with the fields given, and makes it current; ``PATCH .../version`` switches the
current version back or forth; aliases name versions, and ``agent_version`` (a number or
an alias) reads any version. Lists are in creation order. Unknown agents, versions and
aliases get the API's 404; bodies and query parameters are validated per the spec (422).

Other groups look agents up with ``call.state(AgentsState).get(agent_id)`` (a
:class:`StoredAgent`) or ``.resolve(agent_id, version)`` (the agent's JSON at a version).
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from .._app import Abort, Call, FakeApp
from .._validation import (
    Array,
    Body,
    Bool,
    ErrorDetail,
    Float,
    FreeDict,
    Int,
    Model,
    Null,
    Str,
    Tagged,
    Union,
    nullable,
)

__all__ = [
    "COMPLETION_ARGS",
    "GUARDRAIL",
    "TOOL",
    "AgentsState",
    "StoredAgent",
    "metadata_filter",
    "now",
    "register",
]

# -- request schemas (the spec's) ---------------------------------------------------------------

_STR = Str()
_NULLABLE_STR = nullable(Str())
_TOOL_CONFIGURATION = nullable(
    Model(
        "ToolConfiguration",
        {
            "exclude": nullable(Array(_STR)),
            "include": nullable(Array(_STR)),
            "requires_confirmation": nullable(Array(_STR)),
        },
    )
)


def _builtin(name: str, tag: str) -> Model:
    """A built-in tool: its type and an optional configuration."""
    return Model(name, {"tool_configuration": _TOOL_CONFIGURATION, "type": Str(enum=[tag])})


def _auth(name: str, tag: str) -> Model:
    return Model(name, {"type": Str(enum=[tag]), "value": _STR}, required=["value"])


TOOL = Tagged(
    "type",
    {
        "function": Model(
            "FunctionTool",
            {
                "type": Str(enum=["function"]),
                "function": Model(
                    "Function",
                    {
                        "name": _STR,
                        "description": _STR,
                        "strict": Bool(),
                        "parameters": FreeDict(),
                    },
                    required=["name", "parameters"],
                ),
            },
            required=["function"],
        ),
        "web_search": _builtin("WebSearchTool", "web_search"),
        "web_search_premium": _builtin("WebSearchPremiumTool", "web_search_premium"),
        "code_interpreter": _builtin("CodeInterpreterTool", "code_interpreter"),
        "image_generation": _builtin("ImageGenerationTool", "image_generation"),
        "document_library": Model(
            "DocumentLibraryTool",
            {
                "tool_configuration": _TOOL_CONFIGURATION,
                "type": Str(enum=["document_library"]),
                "library_ids": Array(_STR, min_items=1),
            },
            required=["library_ids"],
        ),
        "connector": Model(
            "CustomConnector",
            {
                "type": Str(enum=["connector"]),
                "connector_id": _STR,
                "authorization": nullable(
                    Tagged(
                        "type",
                        {
                            "oauth2-token": _auth("OAuth2TokenAuth", "oauth2-token"),
                            "api-key": _auth("APIKeyAuth", "api-key"),
                        },
                    )
                ),
                "tool_configuration": _TOOL_CONFIGURATION,
            },
            required=["connector_id"],
        ),
    },
    default="function",
)
"""A tool of an agent or a conversation (the spec's discriminated union)."""

COMPLETION_ARGS = Model(
    "CompletionArgs",
    {
        "stop": Union(_STR, Array(_STR), Null()),
        "presence_penalty": nullable(Float(ge=-2, le=2)),
        "frequency_penalty": nullable(Float(ge=-2, le=2)),
        "temperature": nullable(Float(ge=0, le=1)),
        "top_p": nullable(Float(ge=0, le=1)),
        "max_tokens": nullable(Int(ge=0)),
        "random_seed": nullable(Int(ge=0)),
        "prediction": nullable(
            Model(
                "Prediction",
                {"type": Str(const="content"), "content": _STR},
            )
        ),
        "response_format": nullable(
            Model(
                "ResponseFormat",
                {
                    "type": Str(enum=["text", "json_object", "json_schema"]),
                    "json_schema": nullable(
                        Model(
                            "JsonSchema",
                            {
                                "name": _STR,
                                "description": _NULLABLE_STR,
                                "schema": FreeDict(),
                                "strict": Bool(),
                            },
                            required=["name", "schema"],
                        )
                    ),
                },
            )
        ),
        "tool_choice": Str(enum=["auto", "none", "any", "required"]),
        "reasoning_effort": nullable(
            Str(enum=["none", "minimal", "low", "medium", "high", "xhigh"])
        ),
    },
)
"""The spec's ``CompletionArgs``."""

GUARDRAIL = Model("GuardrailConfig", {}, forbid_extra=False)
"""A guardrail configuration (checked loosely)."""

_AGENT_FIELDS: dict[str, Any] = {
    "instructions": _NULLABLE_STR,
    "tools": Array(TOOL),
    "completion_args": COMPLETION_ARGS,
    "guardrails": nullable(Array(GUARDRAIL)),
    "description": _NULLABLE_STR,
    "handoffs": nullable(Array(_STR, min_items=1)),
    "metadata": nullable(FreeDict()),
    "version_message": nullable(Str(max_length=500)),
}
CREATE_AGENT = Body(
    "CreateAgentRequest", required={"model": _STR, "name": _STR}, optional=_AGENT_FIELDS
)
UPDATE_AGENT = Body(
    "UpdateAgentRequest",
    optional={
        **_AGENT_FIELDS,
        "model": _NULLABLE_STR,
        "name": _NULLABLE_STR,
        "deployment_chat": nullable(Bool()),
    },
)
_FILTERS: dict[str, Any] = {
    "page_size": Int(ge=1, le=1000),
    "deployment_chat": nullable(Bool()),
    "sources": nullable(Array(Str(enum=["api", "playground", "agent_builder_v1"]))),
    "name": _NULLABLE_STR,
    "search": _NULLABLE_STR,
    "id": _NULLABLE_STR,
    "metadata": _NULLABLE_STR,
}
LIST_AGENTS = Body("ListAgents", optional={"page": Int(ge=0), **_FILTERS})
LIST_AGENT_PAGES = Body("ListAgentPages", optional={**_FILTERS, "page_token": _NULLABLE_STR})
LIST_VERSIONS = Body("ListVersions", optional={"page": Int(ge=0), "page_size": Int(ge=1, le=100)})
UPDATE_VERSION = Body("UpdateVersion", required={"version": Int()})
_ALIAS_PATTERN = "^[a-z]([a-z0-9_-]*[a-z0-9])?$"
_ALIAS = Str(min_length=1, max_length=64)
PUT_ALIAS = Body("PutAlias", required={"alias": _ALIAS, "version": Int()})
DELETE_ALIAS = Body("DeleteAlias", required={"alias": _ALIAS})

_CONFIG_FIELDS = (
    "model",
    "name",
    "instructions",
    "tools",
    "completion_args",
    "guardrails",
    "description",
    "handoffs",
    "metadata",
    "deployment_chat",
    "version_message",
)


def now() -> str:
    """The current time as the API writes it (ISO 8601, UTC)."""
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


# -- state --------------------------------------------------------------------------------------


@dataclass
class StoredAgent:
    """One agent: a configuration per version, the current version and the aliases."""

    id: str
    created_at: str
    source: str
    versions: list[dict[str, Any]] = field(default_factory=list)
    """The configuration of each version (model, name, tools...) and when it was made."""
    current: int = 0
    aliases: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Alias -> the API's ``AgentAliasResponse``."""

    @property
    def model(self) -> str:
        """The model of the current version."""
        model: str = self.versions[self.current]["model"]
        return model

    def version_of(self, ref: int | str | None) -> int | None:
        """The version number ``ref`` names (a number, its digits or an alias), if it exists."""
        if ref is None:
            return self.current
        if isinstance(ref, str):
            alias = self.aliases.get(ref)
            if alias is not None:
                return int(alias["version"])
            if not ref.isdigit():
                return None
            ref = int(ref)
        return ref if 0 <= ref < len(self.versions) else None

    def config(self, version: int | None = None) -> dict[str, Any]:
        """The configuration of ``version`` (the current one by default)."""
        return self.versions[self.current if version is None else version]

    def to_json(self, version: int | None = None) -> dict[str, Any]:
        """The API's ``Agent`` at ``version`` (the current one by default)."""
        number = self.current if version is None else version
        config = self.versions[number]
        body: dict[str, Any] = {
            "object": "agent",
            "id": self.id,
            "version": number,
            "versions": list(range(len(self.versions))),
            "created_at": self.created_at,
            "updated_at": config["updated_at"],
            "source": self.source,
        }
        for name in _CONFIG_FIELDS:
            body[name] = copy.deepcopy(config.get(name))
        body["tools"] = body["tools"] or []
        body["completion_args"] = body["completion_args"] or {}
        body["deployment_chat"] = bool(body["deployment_chat"])
        return body


class AgentsState:
    """The agents of one server, by id, in creation order."""

    def __init__(self) -> None:
        self.agents: dict[str, StoredAgent] = {}

    def get(self, agent_id: str) -> StoredAgent | None:
        """The agent ``agent_id``, or ``None``."""
        return self.agents.get(agent_id)

    def __contains__(self, agent_id: object) -> bool:
        return agent_id in self.agents

    def resolve(self, agent_id: str, version: int | str | None = None) -> dict[str, Any] | None:
        """The agent's JSON at ``version``, or ``None`` when either does not exist.

        ``version`` is a number or an alias; the current version by default.
        """
        agent = self.agents.get(agent_id)
        if agent is None:
            return None
        number = agent.version_of(version)
        return None if number is None else agent.to_json(number)

    def create(self, payload: dict[str, Any], *, source: str = "api") -> StoredAgent:
        """Store a new agent from a validated ``CreateAgentRequest``."""
        created = now()
        agent = StoredAgent(id=f"ag_{uuid.uuid4().hex}", created_at=created, source=source)
        config = {name: copy.deepcopy(payload.get(name)) for name in _CONFIG_FIELDS}
        config["updated_at"] = created
        agent.versions.append(config)
        self.agents[agent.id] = agent
        return agent


# -- routes -------------------------------------------------------------------------------------


def register(app: FakeApp) -> None:
    """Add the agent routes."""
    app.route("POST", "/v1/agents", create_agent)
    app.route("GET", "/v1/agents", list_agents)
    app.route("GET", "/v1/agents/pages", list_agent_pages)
    app.route("GET", "/v1/agents/{agent_id}", get_agent)
    app.route("PATCH", "/v1/agents/{agent_id}", update_agent)
    app.route("DELETE", "/v1/agents/{agent_id}", delete_agent)
    app.route("PATCH", "/v1/agents/{agent_id}/version", update_version)
    app.route("GET", "/v1/agents/{agent_id}/versions", list_versions)
    app.route("GET", "/v1/agents/{agent_id}/versions/{version}", get_version)
    app.route("PUT", "/v1/agents/{agent_id}/aliases", put_alias)
    app.route("GET", "/v1/agents/{agent_id}/aliases", list_aliases)
    app.route("DELETE", "/v1/agents/{agent_id}/aliases", delete_alias)


def _agent(call: Call) -> StoredAgent:
    """The agent named by the path, or stop with a 404."""
    agent_id = call.params["agent_id"]
    agent = call.state(AgentsState).get(agent_id)
    if agent is None:
        raise Abort(call.not_found("Agent", agent_id))
    return agent


def _version(call: Call, agent: StoredAgent, ref: int | str | None) -> int:
    """The version ``ref`` names, or stop with a 404."""
    number = agent.version_of(ref)
    if number is None:
        raise Abort(call.not_found("Agent version", f"{agent.id}@{ref}"))
    return number


def metadata_filter(call: Call, query: dict[str, Any]) -> dict[str, Any] | None:
    """The ``metadata`` query parameter (JSON text) as a dict; 422 when it is not one."""
    text = query.get("metadata")
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise Abort(
            call.validation_error(
                [_detail("json_invalid", ("query", "metadata"), f"Invalid JSON: {exc}", text)]
            )
        ) from exc
    if value is not None and not isinstance(value, dict):
        msg = "Input should be a valid dictionary"
        raise Abort(call.validation_error([_detail("dict_type", ("query", "metadata"), msg, text)]))
    return value


def _detail(kind: str, loc: tuple[str, ...], msg: str, value: Any) -> ErrorDetail:
    return {"type": kind, "loc": list(loc), "msg": msg, "input": value}


def _matches(agent: StoredAgent, query: dict[str, Any], metadata: dict[str, Any] | None) -> bool:
    config = agent.config()
    search = query.get("search")
    sources = query.get("sources")
    return (
        query.get("name") in (None, config["name"])
        and query.get("id") in (None, agent.id)
        and (
            search is None
            or search.lower() in config["name"].lower()
            or search.lower() in agent.id.lower()
        )
        and query.get("deployment_chat") in (None, bool(config.get("deployment_chat")))
        and (not sources or agent.source in sources)
        and (not metadata or _subset(metadata, config.get("metadata") or {}))
    )


def _subset(wanted: dict[str, Any], have: dict[str, Any]) -> bool:
    return all(key in have and have[key] == value for key, value in wanted.items())


def _filtered(call: Call, query: dict[str, Any]) -> list[StoredAgent]:
    metadata = metadata_filter(call, query)
    agents = call.state(AgentsState).agents.values()
    return [agent for agent in agents if _matches(agent, query, metadata)]


async def create_agent(call: Call) -> web.StreamResponse:
    """``POST /v1/agents``."""
    payload = await call.json(CREATE_AGENT)
    agent = call.state(AgentsState).create(payload)
    return call.ok(agent.to_json())


async def list_agents(call: Call) -> web.StreamResponse:
    """``GET /v1/agents?page=0&page_size=20`` (+ filters): a bare array."""
    query = call.validate_query(LIST_AGENTS)
    page, size = query.get("page", 0), query.get("page_size", 20)
    agents = _filtered(call, query)[page * size : (page + 1) * size]
    return call.ok([agent.to_json() for agent in agents])


async def list_agent_pages(call: Call) -> web.StreamResponse:
    """``GET /v1/agents/pages?page_size=20&page_token=...`` (+ filters): cursor pages."""
    query = call.validate_query(LIST_AGENT_PAGES)
    size = query.get("page_size", 20)
    start = _cursor_offset(call, query.get("page_token"))
    agents = _filtered(call, query)
    data = [agent.to_json() for agent in agents[start : start + size]]
    end = start + size
    token = _cursor(end) if end < len(agents) else None
    return call.ok({"object": "list", "data": data, "next_page_token": token})


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _cursor_offset(call: Call, token: str | None) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        kind, _, number = text.partition(":")
        if kind == "offset" and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    detail = _detail("value_error", ("query", "page_token"), "Value error, invalid cursor", token)
    raise Abort(call.validation_error([detail]))


async def get_agent(call: Call) -> web.StreamResponse:
    """``GET /v1/agents/{agent_id}?agent_version=...`` (a number or an alias)."""
    agent = _agent(call)
    return call.ok(agent.to_json(_version(call, agent, call.query.get("agent_version"))))


async def update_agent(call: Call) -> web.StreamResponse:
    """``PATCH /v1/agents/{agent_id}``: a new version from the current one, made current."""
    agent = _agent(call)
    payload = await call.json(UPDATE_AGENT)
    config = copy.deepcopy(agent.config())
    for name, value in payload.items():
        if value is None and name in ("model", "name", "deployment_chat"):
            continue  # null leaves these as they were: an agent always has them
        config[name] = value
    config["version_message"] = payload.get("version_message")
    config["updated_at"] = now()
    agent.versions.append(config)
    agent.current = len(agent.versions) - 1
    return call.ok(agent.to_json())


async def delete_agent(call: Call) -> web.StreamResponse:
    """``DELETE /v1/agents/{agent_id}``."""
    del call.state(AgentsState).agents[_agent(call).id]
    return call.empty()


async def update_version(call: Call) -> web.StreamResponse:
    """``PATCH /v1/agents/{agent_id}/version?version=N``: make version N current."""
    agent = _agent(call)
    query = call.validate_query(UPDATE_VERSION)
    agent.current = _version(call, agent, query["version"])
    return call.ok(agent.to_json())


async def list_versions(call: Call) -> web.StreamResponse:
    """``GET /v1/agents/{agent_id}/versions?page=0&page_size=20``: oldest first."""
    agent = _agent(call)
    query = call.validate_query(LIST_VERSIONS)
    page, size = query.get("page", 0), query.get("page_size", 20)
    numbers = range(len(agent.versions))[page * size : (page + 1) * size]
    return call.ok([agent.to_json(number) for number in numbers])


async def get_version(call: Call) -> web.StreamResponse:
    """``GET /v1/agents/{agent_id}/versions/{version}``."""
    agent = _agent(call)
    return call.ok(agent.to_json(_version(call, agent, call.params["version"])))


def _alias(call: Call, schema: Model) -> dict[str, Any]:
    query = call.validate_query(schema)
    alias = query["alias"]
    if not re.fullmatch(_ALIAS_PATTERN, alias):
        msg = f"String should match pattern '{_ALIAS_PATTERN}'"
        detail = _detail("string_pattern_mismatch", ("query", "alias"), msg, alias)
        detail["ctx"] = {"pattern": _ALIAS_PATTERN}
        raise Abort(call.validation_error([detail]))
    return query


async def put_alias(call: Call) -> web.StreamResponse:
    """``PUT /v1/agents/{agent_id}/aliases?alias=prod&version=1``: create or move an alias."""
    agent = _agent(call)
    query = _alias(call, PUT_ALIAS)
    version = _version(call, agent, query["version"])
    stamp = now()
    alias = agent.aliases.get(query["alias"])
    if alias is None:
        alias = agent.aliases[query["alias"]] = {"alias": query["alias"], "created_at": stamp}
    alias.update(version=version, updated_at=stamp)
    return call.ok(alias)


async def list_aliases(call: Call) -> web.StreamResponse:
    """``GET /v1/agents/{agent_id}/aliases``."""
    return call.ok(list(_agent(call).aliases.values()))


async def delete_alias(call: Call) -> web.StreamResponse:
    """``DELETE /v1/agents/{agent_id}/aliases?alias=prod``."""
    agent = _agent(call)
    alias = _alias(call, DELETE_ALIAS)["alias"]
    if alias not in agent.aliases:
        return call.not_found("Agent alias", alias)
    del agent.aliases[alias]
    return call.empty()

"""``client.beta.agents``: create, version and manage agents."""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from .._errors import InvalidParameterError
from .._pagination import AsyncPaginator, by_cursor, by_page_number
from .._session import path_param
from .._types import NOT_GIVEN, NotGiven
from ..types.beta_agents import (
    Agent,
    AgentAliasResponse,
    AgentListPage,
    AgentTool,
    CompletionArgs,
    CreateAgentRequest,
    UpdateAgentRequest,
)
from ._base import AsyncResource, body_of, cast_to, params

if TYPE_CHECKING:
    from typing import Unpack

    from .._types import RequestOptions

__all__ = ["AsyncBetaAgents"]

RequestSource = Literal["api", "playground", "agent_builder_v1"]

_agent = cast_to(Agent)
_agents = cast_to(list[Agent])
_page = cast_to(AgentListPage)
_alias = cast_to(AgentAliasResponse)
_aliases = cast_to(list[AgentAliasResponse])

_SOURCES = ("api", "playground", "agent_builder_v1")
_ALIAS = re.compile(r"[a-z]([a-z0-9_-]*[a-z0-9])?")


class AsyncBetaAgents(AsyncResource):
    """Agents: a model with instructions, tools and completion settings, kept in versions.

    Every :meth:`update` makes a new version and makes it the current one;
    :meth:`update_version` switches back to another, and aliases name versions
    (``agent_version="prod"`` wherever a version is asked for).
    """

    __slots__ = ()

    async def create(
        self,
        *,
        model: str,
        name: str,
        instructions: str | NotGiven | None = NOT_GIVEN,
        tools: Sequence[AgentTool | Mapping[str, Any]] | NotGiven = NOT_GIVEN,
        completion_args: CompletionArgs | Mapping[str, Any] | NotGiven = NOT_GIVEN,
        guardrails: Sequence[Mapping[str, Any]] | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        handoffs: Sequence[str] | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        version_message: str | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Agent:
        """Create an agent (its version 0).

        ``tools`` are tool objects (:class:`FunctionTool`, :class:`WebSearchTool`,
        :class:`DocumentLibraryTool`...) or dicts; ``handoffs`` the ids of agents this one may
        hand conversations over to; ``version_message`` a note on this version (at most 500
        characters).
        """
        body = body_of(CreateAgentRequest.validated(**params(locals())))
        result: Agent = await self._request("POST", "/v1/agents", _agent, options, body=body)
        return result

    def list(
        self,
        *,
        page: int | NotGiven = NOT_GIVEN,
        page_size: int | NotGiven = NOT_GIVEN,
        deployment_chat: bool | NotGiven | None = NOT_GIVEN,
        sources: Sequence[RequestSource] | NotGiven | None = NOT_GIVEN,
        name: str | NotGiven | None = NOT_GIVEN,
        search: str | NotGiven | None = NOT_GIVEN,
        id: str | NotGiven | None = NOT_GIVEN,  # noqa: A002 - the API's name for the filter
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[builtins.list[Agent], Agent]:
        """List agents by page number: ``await`` it for one page, ``async for`` for every agent.

        Pages are numbered from 0 (``page_size``: 1 to 1000, 20 by default). ``name``
        matches the name exactly, ``search`` a part of the name or id, ``metadata`` a
        subset of the agents' metadata. The API deprecates this listing in favour of
        :meth:`list_pages`, which honours agent sharing.
        """
        query = _agent_filters(params(locals()))
        _check_page(query, "page", 0, None)
        _check_page(query, "page_size", 1, 1000)

        async def fetch(page_query: dict[str, Any]) -> builtins.list[Agent]:
            result: builtins.list[Agent] = await self._request(
                "GET", "/v1/agents", _agents, options, query=page_query, page=True
            )
            return result

        return AsyncPaginator(fetch, query, _same, by_page_number())

    def list_pages(
        self,
        *,
        page_size: int | NotGiven = NOT_GIVEN,
        deployment_chat: bool | NotGiven | None = NOT_GIVEN,
        sources: Sequence[RequestSource] | NotGiven | None = NOT_GIVEN,
        name: str | NotGiven | None = NOT_GIVEN,
        search: str | NotGiven | None = NOT_GIVEN,
        id: str | NotGiven | None = NOT_GIVEN,  # noqa: A002 - the API's name for the filter
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        page_token: str | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[AgentListPage, Agent]:
        """List agents by cursor: ``await`` it for one page, ``async for`` for every agent.

        A page is an :class:`AgentListPage`. The same filters as :meth:`list`; ``page_token``
        is a previous page's ``next_page_token`` (iterating follows them for you). Unlike
        :meth:`list`, this listing honours agent sharing.
        """
        query = _agent_filters(params(locals()))
        _check_page(query, "page_size", 1, 1000)
        if not isinstance(page_token, NotGiven | str) and page_token is not None:
            raise InvalidParameterError("page_token", f"must be a string, not {page_token!r}")

        async def fetch(page_query: dict[str, Any]) -> AgentListPage:
            result: AgentListPage = await self._request(
                "GET", "/v1/agents/pages", _page, options, query=page_query, page=True
            )
            return result

        return AsyncPaginator(fetch, query, lambda page: page.data, by_cursor())

    async def get(
        self,
        agent_id: str,
        *,
        agent_version: int | str | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Agent:
        """Read an agent, at its current version or at ``agent_version`` (a number or an alias)."""
        if not isinstance(agent_version, NotGiven) and agent_version is not None:
            _check_version("agent_version", agent_version)
        query = params({"agent_version": agent_version}) or None
        result: Agent = await self._request("GET", _path(agent_id), _agent, options, query=query)
        return result

    async def update(
        self,
        agent_id: str,
        *,
        instructions: str | NotGiven | None = NOT_GIVEN,
        tools: Sequence[AgentTool | Mapping[str, Any]] | NotGiven = NOT_GIVEN,
        completion_args: CompletionArgs | Mapping[str, Any] | NotGiven = NOT_GIVEN,
        guardrails: Sequence[Mapping[str, Any]] | NotGiven | None = NOT_GIVEN,
        model: str | NotGiven | None = NOT_GIVEN,
        name: str | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        handoffs: Sequence[str] | NotGiven | None = NOT_GIVEN,
        deployment_chat: bool | NotGiven | None = NOT_GIVEN,
        metadata: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        version_message: str | NotGiven | None = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> Agent:
        """Change an agent: the parameters given make a new version, which becomes current."""
        given = params(locals())
        path = _path(given.pop("agent_id"))
        body = body_of(UpdateAgentRequest.validated(**given))
        result: Agent = await self._request("PATCH", path, _agent, options, body=body)
        return result

    async def delete(self, agent_id: str, **options: Unpack[RequestOptions]) -> None:
        """Delete an agent, with all its versions and aliases."""
        result: None = await self._request("DELETE", _path(agent_id), _nothing, options)
        return result

    async def update_version(
        self, agent_id: str, *, version: int, **options: Unpack[RequestOptions]
    ) -> Agent:
        """Make ``version`` the agent's current version."""
        _check_version("version", version, alias=False)
        path = f"{_path(agent_id)}/version"
        result: Agent = await self._request(
            "PATCH", path, _agent, options, query={"version": version}
        )
        return result

    def list_versions(
        self,
        agent_id: str,
        *,
        page: int | NotGiven = NOT_GIVEN,
        page_size: int | NotGiven = NOT_GIVEN,
        **options: Unpack[RequestOptions],
    ) -> AsyncPaginator[builtins.list[Agent], Agent]:
        """List an agent's versions: ``await`` it for one page, ``async for`` for every one.

        Each version is an :class:`Agent`. Pages are numbered from 0 (``page_size``: 1 to
        100, 20 by default).
        """
        path = f"{_path(agent_id)}/versions"
        query = params({"page": page, "page_size": page_size})
        _check_page(query, "page", 0, None)
        _check_page(query, "page_size", 1, 100)

        async def fetch(page_query: dict[str, Any]) -> builtins.list[Agent]:
            result: builtins.list[Agent] = await self._request(
                "GET", path, _agents, options, query=page_query, page=True
            )
            return result

        return AsyncPaginator(fetch, query, _same, by_page_number())

    async def get_version(
        self, agent_id: str, version: int | str, **options: Unpack[RequestOptions]
    ) -> Agent:
        """Read one version of an agent."""
        _check_version("version", version)
        path = f"{_path(agent_id)}/versions/{path_param('version', str(version))}"
        result: Agent = await self._request("GET", path, _agent, options)
        return result

    async def create_version_alias(
        self, agent_id: str, *, alias: str, version: int, **options: Unpack[RequestOptions]
    ) -> AgentAliasResponse:
        """Point ``alias`` at ``version``, creating the alias or moving it.

        An alias is 1 to 64 lowercase letters, digits, ``-`` and ``_``, starting with a
        letter and not ending with ``-`` or ``_``.
        """
        _check_alias(alias)
        _check_version("version", version, alias=False)
        result: AgentAliasResponse = await self._request(
            "PUT",
            f"{_path(agent_id)}/aliases",
            _alias,
            options,
            query={"alias": alias, "version": version},
        )
        return result

    async def list_version_aliases(
        self, agent_id: str, **options: Unpack[RequestOptions]
    ) -> builtins.list[AgentAliasResponse]:
        """List an agent's aliases."""
        path = f"{_path(agent_id)}/aliases"
        result: builtins.list[AgentAliasResponse] = await self._request(
            "GET", path, _aliases, options
        )
        return result

    async def delete_version_alias(
        self, agent_id: str, *, alias: str, **options: Unpack[RequestOptions]
    ) -> None:
        """Delete one of an agent's aliases (the version it named stays)."""
        _check_alias(alias)
        path = f"{_path(agent_id)}/aliases"
        result: None = await self._request(
            "DELETE", path, _nothing, options, query={"alias": alias}
        )
        return result


def _path(agent_id: str) -> str:
    return f"/v1/agents/{path_param('agent_id', agent_id)}"


def _same(page: list[Agent]) -> list[Agent]:
    return page


def _agent_filters(query: dict[str, Any]) -> dict[str, Any]:
    """Check the listing filters; ``metadata`` goes as JSON, as the API wants it."""
    for name in ("name", "search", "id"):
        value = query.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidParameterError(name, f"must be a string, not {type(value).__name__}")
    chat = query.get("deployment_chat")
    if chat is not None and not isinstance(chat, bool):
        raise InvalidParameterError("deployment_chat", f"must be a bool, not {chat!r}")
    sources = query.get("sources")
    if sources is not None:
        if isinstance(sources, str) or not isinstance(sources, Sequence):
            raise InvalidParameterError("sources", f"must be a list, not {sources!r}")
        for i, source in enumerate(sources):
            if source not in _SOURCES:
                raise InvalidParameterError(
                    f"sources[{i}]", f"must be one of {', '.join(_SOURCES)}; got {source!r}"
                )
        query["sources"] = list(sources)
    return _metadata_query(query)


def _metadata_query(query: dict[str, Any]) -> dict[str, Any]:
    metadata = query.get("metadata")
    if metadata is not None:
        if not isinstance(metadata, Mapping):
            raise InvalidParameterError("metadata", f"must be a dict, not {metadata!r}")
        query["metadata"] = _json_text(metadata)
    return query


def _json_text(value: Mapping[str, Any]) -> str:
    try:
        return json.dumps(dict(value), separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError("metadata", f"cannot be sent as JSON: {exc}") from exc


def _check_page(query: dict[str, Any], name: str, low: int, high: int | None) -> None:
    value = query.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError(name, f"must be an int, not {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f">= {low}" if high is None else f"from {low} to {high}"
        raise InvalidParameterError(name, f"must be {bounds}, got {value!r}")


def _check_version(name: str, value: Any, *, alias: bool = True) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise InvalidParameterError(name, f"must be >= 0, got {value!r}")
        return
    if alias and isinstance(value, str) and value:
        return
    wanted = "a version number or an alias" if alias else "an int"
    raise InvalidParameterError(name, f"must be {wanted}, not {value!r}")


def _check_alias(alias: Any) -> None:
    if not isinstance(alias, str) or not 1 <= len(alias) <= 64 or not _ALIAS.fullmatch(alias):
        raise InvalidParameterError(
            "alias",
            "must be 1 to 64 lowercase letters, digits, '-' or '_', starting with a letter "
            f"and ending with a letter or digit; got {alias!r}",
        )


def _nothing(data: Any) -> None:
    """The parse of a "no content" answer (the core returns None for a 204 before parsing)."""
    return None

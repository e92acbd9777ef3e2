"""``Case``: how the conformance harness calls the SDK method serving one spec operation.

A group's module in :mod:`conformance.cases` exports ``CASES: dict[str, Case]`` keyed by
operationId. When one operation is served by several methods (chat's ``complete`` and
``stream``), or to call one method in several ways, add keys ``"<operationId>:<label>"``
(``"chat_completion_v1_chat_completions_post:stream"``): every key is a test of its own.
See ``tests/conformance/README.md``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from mistral_async import AsyncMistral
from mistral_async._converter import structure

__all__ = ["Case", "Returns", "Setup", "operation_of"]

Returns: TypeAlias = Literal["value", "stream", "paginator", "binary"]
"""What the method gives back, so the harness consumes and closes it properly.

``value``: awaited, a parsed object. ``stream``: an :class:`~mistral_async.AsyncStream`
(the call may be awaited first), entered and read to its end. ``paginator``: an
:class:`~mistral_async._pagination.AsyncPaginator`, awaited for its first page.
``binary``: awaited, an :class:`~mistral_async._binary.AsyncBinaryResponse`, read and closed.
"""

Setup: TypeAlias = Callable[[AsyncMistral], Awaitable[Any]]
"""Creates, with the client, what the call needs on the fake server; returns the state
(an id, a dict of ids...) given to callable ``args`` / ``kwargs`` / ``path_params``."""

State: TypeAlias = Any


def operation_of(key: str) -> str:
    """The operationId of a ``CASES`` key (``"op"`` or ``"op:label"``)."""
    return key.partition(":")[0]


@dataclass(frozen=True, kw_only=True)
class Case:
    """One call of an SDK method, checked against one spec operation."""

    method: str
    """The method's path from the client: ``"files.upload"``, ``"beta.conversations.start"``."""
    args: tuple[Any, ...] | Callable[[State], tuple[Any, ...]] = ()
    """Positional arguments, or a function of the setup's state returning them."""
    kwargs: Mapping[str, Any] | Callable[[State], Mapping[str, Any]] = field(default_factory=dict)
    """Keyword arguments, or a function of the setup's state returning them. Pass many
    parameters, not just the required ones: the request is checked against the spec."""
    setup: Setup | None = None
    """Runs before the call, with the same client and fake server (e.g. uploads a file and
    returns its id). Its requests are not checked."""
    returns: Returns = "value"
    response_type: Any = None
    """The SDK type of the response (the event type for streams, the page type for
    paginators; ``None`` for binary bodies): the spec's response examples must parse into
    it, and the call's result must be an instance of it."""
    parse: Callable[[Any], Any] | None = None
    """Parses a decoded JSON example (default: ``structure(value, response_type)``)."""
    path_params: Mapping[str, Any] | Callable[[State], Mapping[str, Any]] | None = None
    """The values the path's ``{params}`` must carry. By default they are read from the
    call's arguments by name (the SDK parameter named like the spec's path parameter)."""
    note: str = ""
    """Why the case is shaped as it is, when that is not obvious."""

    def arguments(self, state: State) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The positional and keyword arguments of the call."""
        args = self.args(state) if callable(self.args) else self.args
        kwargs = self.kwargs(state) if callable(self.kwargs) else self.kwargs
        return tuple(args), dict(kwargs)

    def expected_path_values(
        self, method: Callable[..., Any], state: State, names: list[str]
    ) -> dict[str, Any]:
        """The value of each path parameter in ``names`` the call should send (those it
        cannot tell are left out)."""
        if self.path_params is not None:
            given = self.path_params(state) if callable(self.path_params) else self.path_params
            return dict(given)
        args, kwargs = self.arguments(state)
        try:
            signature = inspect.signature(method)
            arguments = dict(signature.bind_partial(*args, **kwargs).arguments)
        except (TypeError, ValueError):
            return {}
        for param in signature.parameters.values():
            if param.kind is param.VAR_KEYWORD and param.name in arguments:
                arguments = {**arguments.pop(param.name), **arguments}
        return {name: arguments[name] for name in names if name in arguments}

    def parse_example(self, value: Any) -> Any:
        """A response example (decoded JSON) parsed into the SDK's type."""
        if self.parse is not None:
            return self.parse(value)
        if self.response_type is None:
            raise TypeError("the case has no response_type to parse examples into")
        return structure(value, self.response_type)

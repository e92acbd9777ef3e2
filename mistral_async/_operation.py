"""What a generated resource method hands to the session core: one :class:`Operation`.

Generated modules (``resources/*`` marked "generated") describe each API operation with
an :class:`Operation`: its method and path, where each parameter goes (path, query,
header or JSON body) under which wire name, how it is checked before anything is sent,
its auth scheme, the media type it answers with and how its answer is parsed or paged.
A generated method is then one line: ``return await self._call(_op, locals())``.

Checks are cheap and run only on the parameters given: a value of the wrong JSON type
raises :class:`~mistral_async.InvalidParameterError` naming the parameter, before any
request is made. Values the API may extend (enums) are not restricted, so a value added
to the API after this release can be sent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Generic, TypeVar

from ._errors import InvalidParameterError
from ._pagination import NextParams
from ._response import no_content
from ._session import path_param
from ._types import NotGiven

__all__ = ["Operation", "Param"]

R = TypeVar("R")

Param = tuple[str, str, str, str]
"""``(python_name, wire_name, where, kind)``.

``where`` is ``"path"``, ``"query"``, ``"header"``, ``"body"`` (one field of a JSON object
body) or ``"json"`` (the whole JSON body). ``kind`` is the JSON type the value must have:
``str``, ``int``, ``num``, ``bool``, ``list``, ``obj`` (an object: a dict or an SDK type) or
``any``; a trailing ``?`` allows ``None`` (sent as ``null``).
"""

_NOUNS: Final = {
    "str": "a string",
    "int": "an integer",
    "num": "a number",
    "bool": "a boolean",
    "list": "a list",
    "obj": "an object (a dict or an SDK type)",
}


def check(name: str, kind: str, value: Any) -> None:
    """Raise :class:`InvalidParameterError` when ``value`` is not of the JSON ``kind``."""
    if kind[-1] == "?":
        if value is None:
            return
        kind = kind[:-1]
    if kind == "any":
        return
    cls = value.__class__
    if kind == "str":
        ok = cls is str or isinstance(value, str)
    elif kind == "int":
        ok = cls is int or (isinstance(value, int) and cls is not bool)
    elif kind == "num":
        ok = cls is not bool and isinstance(value, int | float)
        if ok and not math.isfinite(value):
            raise InvalidParameterError(name, f"must be a finite number, not {value!r}")
    elif kind == "bool":
        ok = cls is bool
    elif kind == "list":
        ok = isinstance(value, list | tuple)
    else:  # obj
        ok = isinstance(value, Mapping) or hasattr(value, "__attrs_attrs__")
    if not ok:
        got = "None" if value is None else type(value).__name__
        raise InvalidParameterError(name, f"must be {_NOUNS[kind]}, not {got}")


class Operation(Generic[R]):
    """One API operation as generated from the spec (see the module's docstring)."""

    __slots__ = (
        "_cast",
        "accept",
        "auth",
        "fixed",
        "items",
        "kind",
        "method",
        "next_params",
        "params",
        "path",
        "returns",
    )

    def __init__(
        self,
        method: str,
        path: str,
        returns: Any,
        params: Sequence[Param] = (),
        *,
        auth: str = "bearer",
        accept: str = "application/json",
        kind: str = "json",
        items: str | None = None,
        next_params: NextParams | None = None,
        fixed: Mapping[str, Any] | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.returns = returns
        self.params = tuple(params)
        self.auth = auth
        self.accept = accept
        self.kind = kind
        """``json`` (a parsed answer or None), ``binary`` (a streamed body) or ``sse``/
        ``sse-resume`` (a stream of events; resumed after a drop with ``Last-Event-ID``)."""
        self.items = items
        """For list operations: the page's attribute holding the items."""
        self.next_params = next_params
        self.fixed = fixed
        """Body fields always sent (``{"stream": True}`` for a streaming twin; ``{}`` makes a
        required body whose fields are all optional go out even when none is given)."""
        self._cast: Callable[[Any], Any] | None = None

    def __repr__(self) -> str:
        return f"<Operation {self.method} {self.path}>"

    @property
    def cast(self) -> Callable[[Any], Any]:
        """The parse function of the answer (hooks built on first use)."""
        cast = self._cast
        if cast is None:
            if self.returns is None:
                cast = no_content
            else:
                from ._converter import converter

                hook = converter.get_structure_hook(self.returns)
                returns = self.returns

                def cast(data: Any) -> Any:
                    return hook(data, returns)

            self._cast = cast
        return cast

    def build(
        self, given: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any] | None, Any, dict[str, str] | None]:
        """The path, query, JSON body and headers of a call with the arguments ``given``
        (a method's ``locals()``: parameters left at ``NOT_GIVEN`` are not sent)."""
        path = self.path
        query: dict[str, Any] | None = None
        body: Any = None
        headers: dict[str, str] | None = None
        for name, wire, where, kind in self.params:
            value = given[name]
            if value.__class__ is NotGiven:
                continue
            check(name, kind, value)
            if where == "path":
                text = str(value) if kind in ("int", "num") else value
                path = path.replace("{" + wire + "}", path_param(name, text))
            elif where == "body":
                if body is None:
                    body = {}
                body[wire] = value
            elif where == "query":
                if query is None:
                    query = {}
                if kind.startswith("obj") and isinstance(value, Mapping):
                    query.update(value)  # OpenAPI's form style: one pair per property
                else:
                    query[wire] = value
            elif where == "json":
                body = value
            else:
                if headers is None:
                    headers = {}
                headers[wire] = str(value)
        if self.fixed is not None:
            # Always-sent fields; ``{}`` for a required body whose fields are all optional.
            body = {**(body or {}), **self.fixed}
        return path, query, body, headers

"""The tool runner: Python functions as tools, called for the model until it answers.

::

    @tool
    def get_weather(city: str, unit: Literal["c", "f"] = "c") -> str:
        \"\"\"Current weather in a city.

        Args:
            city: the city's name, e.g. "Paris".
        \"\"\"

    result = await client.chat.run_tools(model=..., messages=..., tools=[get_weather])

A tool's schema comes from its signature, type hints and docstring (Google, NumPy or reST
style), through the same code as structured outputs (:mod:`._typeschema`), which also
checks and converts the model's arguments before the call. Async tools are awaited; plain
functions run in a worker thread, so they never block the event loop. The calls of one
turn run concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import typing
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from typing import Any, Final, Generic, Literal, ParamSpec, TypeAlias, TypeVar, overload

import attrs

from .._errors import (
    InvalidParameterError,
    ToolExecutionError,
    ToolIterationLimitError,
)
from .._types import DEFAULT_TOOL_ITERATIONS
from ..types.chat import (
    ChatCompletionResponse,
    CompletionChunk,
    Function,
    MessageParam,
    Tool,
    ToolMessage,
)
from ._typeschema import (
    Field,
    Invalid,
    fields_converter,
    object_schema,
    parse_docstring,
    to_jsonable,
)

__all__ = [
    "Approver",
    "ConversationToolRunResult",
    "FunctionTool",
    "ToolCallRequest",
    "ToolCallStarted",
    "ToolResult",
    "ToolResultEvent",
    "ToolRunChunk",
    "ToolRunDone",
    "ToolRunEvent",
    "ToolRunResult",
    "ToolRunTurn",
    "tool",
]

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_MAX_ITERATIONS: Final = DEFAULT_TOOL_ITERATIONS


@attrs.frozen(slots=True)
class ToolCallRequest:
    """A call the model asked for, as an approval hook sees it.

    ``arguments`` are checked and converted to the function's types.
    """

    id: str | None
    name: str
    arguments: dict[str, Any]
    tool: FunctionTool[..., Any]


Approver: TypeAlias = Callable[[ToolCallRequest], bool | Awaitable[bool]]
"""Decides whether a call may run: ``True`` to run it. Plain or async."""

ToolStatus = Literal["ok", "error", "denied", "unknown_tool", "invalid_arguments"]


@attrs.frozen(slots=True)
class ToolResult:
    """The answer to one tool call, as sent back to the model.

    ``content`` is the text the model receives; ``status`` says what happened (``"ok"``,
    ``"error"``: the tool raised, ``"denied"``, ``"unknown_tool"``,
    ``"invalid_arguments"``); ``value`` is what the function returned and ``error`` what
    it raised.
    """

    call_id: str | None
    name: str
    content: str
    status: ToolStatus
    value: Any = None
    error: BaseException | None = None


class FunctionTool(Generic[P, R]):
    """A Python function the model may call: made by :func:`tool`.

    Calling the object calls the function. ``name``, ``description`` and ``parameters``
    (a JSON schema) are what the model sees; :attr:`definition` is the ``tools`` entry.
    """

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        strict: bool = False,
        requires_approval: bool | Approver = False,
    ) -> None:
        if not callable(fn):
            raise InvalidParameterError("tool", f"expected a function, got {fn!r}")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "") or ""
        if not self.name or not all(c.isalnum() or c in "_-" for c in self.name):
            raise InvalidParameterError(
                "tool", f"a tool name is letters, digits, '_' and '-'; got {self.name!r}"
            )
        doc = parse_docstring(inspect.getdoc(fn))
        self.description = doc.description if description is None else description
        self.strict = strict
        self.requires_approval = requires_approval
        self.is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            getattr(fn, "__call__", None)  # noqa: B004 - an object with an async __call__
        )
        fields, self._positional = _signature_fields(fn, self.name, doc.params)
        self.parameters = object_schema(fields, strict=strict)
        self._convert = fields_converter(fields, self.name, _kwargs)
        self._definition = Tool(
            function=Function(
                name=self.name,
                parameters=self.parameters,
                description=self.description or None,
                strict=True if strict else None,
            )
        )
        functools_update(self, fn)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    @property
    def definition(self) -> Tool:
        """The ``tools`` entry describing this function to the model."""
        return self._definition

    def arguments(self, raw: str | Mapping[str, Any] | None) -> dict[str, Any]:
        """The model's arguments (a JSON text or an object), checked and converted.

        Raises ``ValueError`` saying what is wrong (not JSON, not an object, a missing,
        unknown or mistyped argument, with its path).
        """
        if raw is None or raw == "":
            data: Any = {}
        elif isinstance(raw, str):
            try:
                data = json.loads(raw)
            except ValueError as exc:
                raise ValueError(f"the arguments are not valid JSON ({exc})") from None
        else:
            data = dict(raw)
        if type(data) is not dict:
            raise ValueError("the arguments must be a JSON object")
        try:
            converted: dict[str, Any] = self._convert(data)
        except Invalid as exc:
            raise ValueError(f"{exc.where()}: {exc.message}") from None
        return converted

    async def invoke(self, arguments: dict[str, Any]) -> Any:
        """Call the function with converted ``arguments``; a plain one in a worker thread."""
        positional = [arguments.pop(n) for n in self._positional if n in arguments]
        if self.is_async:
            fn: Any = self.fn
            return await fn(*positional, **arguments)
        result = await asyncio.to_thread(self.fn, *positional, **arguments)
        if inspect.isawaitable(result):  # a plain function returning an awaitable
            return await result
        return result

    def __repr__(self) -> str:
        return f"<FunctionTool {self.name}>"


def functools_update(wrapper: Any, fn: Any) -> None:
    """Copy the function's name and docstring, so ``help()`` shows them."""
    for attr in ("__module__", "__doc__", "__qualname__"):
        value = getattr(fn, attr, None)
        if value is not None:
            with contextlib.suppress(AttributeError, TypeError):
                setattr(wrapper, attr, value)


def _kwargs(**kwargs: Any) -> dict[str, Any]:
    return kwargs


def _signature_fields(
    fn: Callable[..., Any], name: str, documented: dict[str, str]
) -> tuple[list[Field], list[str]]:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise InvalidParameterError(name, f"cannot read the signature: {exc}") from None
    try:
        target = fn if inspect.isfunction(fn) or inspect.ismethod(fn) else type(fn).__call__
        hints = typing.get_type_hints(target, include_extras=True)
    except NameError as exc:
        raise InvalidParameterError(
            name, f"cannot resolve the type hints ({exc}); define the types at module level"
        ) from None
    fields: list[Field] = []
    positional: list[str] = []
    for param in signature.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise InvalidParameterError(
                f"{name}.{param.name}",
                "a tool's parameters must be named (no *args or **kwargs): the model "
                "calls it with a JSON object",
            )
        if param.kind is param.POSITIONAL_ONLY:
            positional.append(param.name)
        fields.append(
            Field(
                param.name,
                param.name,
                hints.get(param.name, Any),
                param.default is not param.empty,
                documented.get(param.name),
            )
        )
    return fields, positional


@overload
def tool(fn: Callable[P, R], /) -> FunctionTool[P, R]: ...
@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool = False,
    requires_approval: bool | Approver = False,
) -> Callable[[Callable[P, R]], FunctionTool[P, R]]: ...
def tool(
    fn: Any = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool = False,
    requires_approval: bool | Approver = False,
) -> Any:
    """Make a function (plain or async) a tool the model may call: ``@tool`` or ``@tool(...)``.

    The parameters' schema comes from the signature and type hints (attrs classes,
    dataclasses, TypedDict, pydantic models, ``Literal``, enums, unions... as for
    structured outputs); the description and the parameters' descriptions from the
    docstring (Google ``Args:``, NumPy ``Parameters``, or reST ``:param x:``), unless
    ``description`` is given. ``strict=True`` sends a strict schema (every parameter
    required, those with defaults nullable). ``requires_approval``: ``True`` to ask the
    runner's ``approve`` hook before each call, or a hook of its own
    (``(ToolCallRequest) -> bool``, plain or async). Raises
    :class:`~mistral_async.InvalidParameterError` for a signature it cannot describe.
    """
    options = {
        "name": name,
        "description": description,
        "strict": strict,
        "requires_approval": requires_approval,
    }
    if fn is None:
        return lambda f: FunctionTool(f, **options)  # type: ignore[arg-type]
    return FunctionTool(fn, **options)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ the toolbox


class Toolbox:
    """The tools of one run, by name, and how one call is answered."""

    def __init__(
        self,
        tools: Sequence[Any],
        *,
        approve: Approver | None,
        raise_tool_errors: bool,
        passthrough: bool = False,
    ) -> None:
        if isinstance(tools, str | bytes | Mapping) or not isinstance(tools, Sequence):
            raise InvalidParameterError("tools", "expected a list of tools (functions)")
        self.tools: dict[str, FunctionTool[..., Any]] = {}
        self.others: list[Any] = []
        for i, item in enumerate(tools):
            if isinstance(item, FunctionTool):
                found = item
            elif callable(item) and not isinstance(item, type):
                found = FunctionTool(item)
            elif passthrough and _builtin_tool(item):
                self.others.append(item)
                continue
            else:
                raise InvalidParameterError(
                    f"tools[{i}]",
                    "the runner answers function tools itself: pass functions or @tool "
                    f"objects, not {type(item).__name__}"
                    + (" (built-in tools such as web_search may be added)" if passthrough else ""),
                )
            if found.name in self.tools:
                raise InvalidParameterError(f"tools[{i}]", f"two tools are named {found.name!r}")
            if found.requires_approval is True and approve is None:
                raise InvalidParameterError(
                    "approve",
                    f"tool {found.name!r} requires approval: pass approve=... to decide",
                )
            self.tools[found.name] = found
        if not self.tools:
            raise InvalidParameterError("tools", "give at least one function tool")
        self.approve = approve
        self.raise_tool_errors = raise_tool_errors

    def chat_definitions(self) -> list[Tool]:
        return [t.definition for t in self.tools.values()]

    def conversation_definitions(self) -> list[Any]:
        defs: list[Any] = [
            {"type": "function", "function": t.definition.function.to_dict()}
            for t in self.tools.values()
        ]
        return defs + self.others

    async def answer(self, call_id: str | None, name: str, raw: Any) -> ToolResult:
        """Run one call and say what to answer; raises only with ``raise_tool_errors``."""
        found = self.tools.get(name)
        if found is None:
            names = ", ".join(sorted(self.tools))
            return ToolResult(
                call_id,
                name,
                f"Error: there is no tool named {name!r}. The tools are: {names}.",
                "unknown_tool",
            )
        try:
            arguments = found.arguments(raw)
        except ValueError as exc:
            return ToolResult(
                call_id,
                name,
                f"Error: invalid arguments for {name}: {exc}. Call it again with arguments "
                "that fit its parameters.",
                "invalid_arguments",
            )
        decider: bool | Approver | None = found.requires_approval
        if decider is True:
            decider = self.approve
        if callable(decider):
            request = ToolCallRequest(call_id, name, dict(arguments), found)
            allowed = await _decide(decider, request)
            if not allowed:
                return ToolResult(
                    call_id,
                    name,
                    f"Denied: the user did not allow this call to {name}; it was not run.",
                    "denied",
                )
        try:
            value = await found.invoke(arguments)
        except Exception as exc:
            if self.raise_tool_errors:
                raise _ToolFailed(call_id, name, raw, exc) from exc
            return ToolResult(
                call_id, name, f"Error: {type(exc).__name__}: {exc}", "error", error=exc
            )
        return ToolResult(call_id, name, result_text(value), "ok", value=value)

    async def answer_all(
        self,
        calls: Sequence[tuple[str | None, str, Any]],
        on_result: Callable[[ToolResult], None] | None = None,
    ) -> list[ToolResult]:
        """Run the calls concurrently; their results in call order.

        ``on_result`` is told of each result as it comes. With ``raise_tool_errors``, the
        first tool error cancels the other calls and raises.
        """
        if len(calls) == 1:  # nothing to run beside it: no task needed
            result = await self.answer(*calls[0])
            if on_result is not None:
                on_result(result)
            return [result]
        tasks = [asyncio.ensure_future(self.answer(*call)) for call in calls]
        if on_result is not None:
            for task in tasks:
                task.add_done_callback(
                    lambda t: (
                        on_result(t.result())
                        if not t.cancelled() and t.exception() is None
                        else None
                    )
                )
        try:
            return list(await asyncio.gather(*tasks))
        finally:
            pending = [t for t in tasks if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)


def _builtin_tool(item: Any) -> bool:
    kind = item.get("type") if isinstance(item, Mapping) else getattr(item, "type", None)
    return isinstance(kind, str) and kind != "function"


async def _decide(decider: Approver, request: ToolCallRequest) -> bool:
    if inspect.iscoroutinefunction(decider) or inspect.iscoroutinefunction(
        getattr(decider, "__call__", None)  # noqa: B004
    ):
        return bool(await decider(request))  # type: ignore[misc]
    answer = await asyncio.to_thread(decider, request)  # may ask a human: not on the loop
    if inspect.isawaitable(answer):
        answer = await answer
    return bool(answer)


class _ToolFailed(Exception):
    def __init__(self, call_id: str | None, name: str, raw: Any, error: Exception) -> None:
        super().__init__(name)
        self.call_id = call_id
        self.name = name
        self.raw = raw
        self.error = error


def result_text(value: Any) -> str:
    """What the model receives for a tool's return value: text as is, the rest as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(to_jsonable(value), ensure_ascii=False)


# ------------------------------------------------------------------------------ events


@attrs.frozen(slots=True)
class ToolRunChunk:
    """A chunk of the model's streamed answer, in turn ``iteration`` (from 1)."""

    chunk: CompletionChunk
    iteration: int


@attrs.frozen(slots=True)
class ToolRunTurn:
    """The model's whole answer of one turn (its tool calls, or the final answer)."""

    completion: ChatCompletionResponse
    iteration: int


@attrs.frozen(slots=True)
class ToolCallStarted:
    """The runner is answering a tool call (approval, then the function)."""

    call_id: str | None
    name: str
    arguments: Any
    iteration: int


@attrs.frozen(slots=True)
class ToolResultEvent:
    """A tool call was answered (in the order they finish)."""

    result: ToolResult
    iteration: int


@attrs.frozen(slots=True)
class ToolRunDone:
    """The model answered without calling a tool: the run's result."""

    result: ToolRunResult


ToolRunEvent: TypeAlias = (
    ToolRunChunk | ToolRunTurn | ToolCallStarted | ToolResultEvent | ToolRunDone
)
"""What ``run_tools_stream`` yields."""


@attrs.frozen(slots=True)
class ToolRunResult:
    """The end of a tool run.

    ``final`` is the model's last answer (no tool calls); ``messages`` the whole
    transcript (your messages, each assistant message and each tool result, then the
    final answer) to continue the conversation with; ``iterations`` the model turns; and
    ``tool_results`` every call's :class:`ToolResult`, in order.
    """

    final: ChatCompletionResponse
    messages: list[MessageParam]
    iterations: int
    tool_results: list[ToolResult]


@attrs.frozen(slots=True)
class ConversationToolRunResult:
    """The end of a conversation tool run: ``final`` is the last response (no function
    calls left), ``responses`` every response in order, ``conversation_id`` the
    conversation they belong to."""

    final: Any  # ConversationResponse
    conversation_id: str
    responses: list[Any]
    iterations: int
    tool_results: list[ToolResult]


# ------------------------------------------------------------------------------ the loops


def check_iterations(max_iterations: int) -> None:
    """``max_iterations`` is a positive int: a run is never unbounded."""
    if (
        isinstance(max_iterations, bool)
        or not isinstance(max_iterations, int)
        or max_iterations < 1
    ):
        raise InvalidParameterError(
            "max_iterations", f"must be an integer >= 1, got {max_iterations!r}"
        )


Emit = Callable[[Any], None]


async def chat_run(
    turn: Callable[[list[MessageParam], list[Tool]], Any],
    messages: Sequence[MessageParam],
    box: Toolbox,
    max_iterations: int,
    *,
    streaming: bool = False,
    emit: Emit | None = None,
) -> ToolRunResult:
    """The tool loop over chat-like completions, until an answer without tool calls.

    ``turn(transcript, tools)`` asks the model: a coroutine giving a completion, or (with
    ``streaming``) a completion stream. ``emit``, when given, is told of each event
    (chunks, turns, calls, results) as it happens.
    """
    transcript: list[MessageParam] = list(messages)
    definitions = box.chat_definitions()
    results: list[ToolResult] = []
    completion: ChatCompletionResponse | None = None
    for iteration in range(1, max_iterations + 1):
        if streaming:
            async with turn(transcript, definitions) as stream:
                async for chunk in stream:
                    if emit is not None:
                        emit(ToolRunChunk(chunk, iteration))
                completion = await stream.get_final_completion()
        else:
            completion = await turn(transcript, definitions)
        assert completion is not None
        if emit is not None:
            emit(ToolRunTurn(completion, iteration))
        if not completion.choices:
            return ToolRunResult(completion, transcript, iteration, results)
        message = completion.choices[0].message
        transcript.append(message)
        calls = message.tool_calls
        if not calls:
            return ToolRunResult(completion, transcript, iteration, results)
        asked = [(c.id, c.function.name or "", c.function.arguments) for c in calls]
        on_result = None
        if emit is not None:
            for call_id, name, raw in asked:
                emit(ToolCallStarted(call_id, name, raw, iteration))
            on_result = _result_emitter(emit, iteration)
        try:
            answers = await box.answer_all(asked, on_result)
        except _ToolFailed as failed:
            raise ToolExecutionError(
                failed.name,
                failed.call_id,
                failed.raw,
                failed.error,
                messages=transcript,
                iterations=iteration,
            ) from failed.error
        for answer in answers:
            results.append(answer)
            transcript.append(
                ToolMessage(content=answer.content, tool_call_id=answer.call_id, name=answer.name)
            )
    raise ToolIterationLimitError(max_iterations, messages=transcript, last_response=completion)


def _result_emitter(emit: Emit, iteration: int) -> Callable[[ToolResult], None]:
    return lambda result: emit(ToolResultEvent(result, iteration))


async def events_of(
    run: Callable[[Emit], Awaitable[ToolRunResult]],
) -> AsyncGenerator[ToolRunEvent, None]:
    """Run ``run(emit)`` in a task and yield what it emits, then :class:`ToolRunDone`.

    The run's error is raised after the events before it; leaving early cancels the run.
    """
    items: deque[ToolRunEvent] = deque()
    wake = asyncio.Event()

    def emit(event: ToolRunEvent) -> None:
        items.append(event)
        wake.set()

    task = asyncio.ensure_future(run(emit))
    task.add_done_callback(lambda _: wake.set())
    try:
        while True:
            while items:
                yield items.popleft()
            if task.done():
                break
            wake.clear()
            if not items and not task.done():
                await wake.wait()
        yield ToolRunDone(task.result())
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def conversation_run(
    start: Callable[[list[Any]], Awaitable[Any]],
    append: Callable[[str, list[Any]], Awaitable[Any]],
    box: Toolbox,
    max_iterations: int,
) -> ConversationToolRunResult:
    """The tool loop over a conversation: ``start(tools)``, then ``append(id, results)``
    answering each turn's function calls, until a response without any."""
    from ..types.conversations import FunctionCallEntry, FunctionResultEntry

    responses: list[Any] = []
    results: list[ToolResult] = []
    response = await start(box.conversation_definitions())
    conversation_id: str = response.conversation_id
    for iteration in range(1, max_iterations + 1):
        responses.append(response)
        calls = [e for e in response.outputs if type(e) is FunctionCallEntry]
        if not calls:
            return ConversationToolRunResult(
                response, conversation_id, responses, iteration, results
            )
        if iteration == max_iterations:
            break
        asked = [(c.tool_call_id, c.name, c.arguments) for c in calls]
        try:
            answers = await box.answer_all(asked)
        except _ToolFailed as failed:
            error = ToolExecutionError(
                failed.name,
                failed.call_id,
                failed.raw,
                failed.error,
                messages=responses,
                iterations=iteration,
            )
            error.conversation_id = conversation_id  # type: ignore[attr-defined]
            raise error from failed.error
        entries = []
        for answer in answers:
            results.append(answer)
            entries.append(
                FunctionResultEntry(tool_call_id=answer.call_id or "", result=answer.content)
            )
        response = await append(conversation_id, entries)
    limit = ToolIterationLimitError(max_iterations, messages=responses, last_response=response)
    limit.conversation_id = conversation_id  # type: ignore[attr-defined]
    raise limit


def toolbox_for_run(
    raw: bool,
    max_iterations: int,
    kwargs: Mapping[str, Any],
    tools: Sequence[Any],
    approve: Approver | None,
    raise_tool_errors: bool,
) -> Toolbox:
    """Check a chat or agent tool run's parameters (before anything is sent); its tools."""
    if raw:
        raise InvalidParameterError(
            "with_raw_response", "the tool runner makes several requests; call it on the client"
        )
    check_iterations(max_iterations)
    for name in ("stream", "response_format"):
        if name in kwargs:
            raise InvalidParameterError(name, "not supported by the tool runner")
    if kwargs.get("n", 1) not in (1, None):
        raise InvalidParameterError("n", "the tool runner follows one answer: n must be 1")
    # The other parameters are checked by the first request, before anything is sent.
    return Toolbox(tools, approve=approve, raise_tool_errors=raise_tool_errors)


def completion_run(
    resource: Any, who: str, arguments: Mapping[str, Any], streaming: bool = False
) -> Callable[[Emit | None], Awaitable[ToolRunResult]]:
    """A tool run over ``resource``'s completions (``client.chat``, ``client.agents``),
    checked now; the coroutine function running it (``emit``: its events, or None).

    ``arguments`` are those of ``run_tools`` (its ``locals()``, or the keyword arguments
    of ``run_tools_stream``); ``who`` names the one that says who answers (``"model"``,
    ``"agent_id"``). Each turn calls ``resource.complete`` (``resource.stream`` when
    ``streaming``) with it, the transcript, the tools and the other arguments.
    """
    kwargs = {k: v for k, v in arguments.items() if k != "self" and k != "kwargs"}
    kwargs.update(arguments.get("kwargs", {}))
    missing = [name for name in (who, "messages", "tools") if name not in kwargs]
    if missing:
        raise TypeError(f"missing required keyword argument(s): {', '.join(missing)}")
    target = {who: kwargs.pop(who)}
    messages = kwargs.pop("messages")
    max_iterations = kwargs.pop("max_iterations", DEFAULT_TOOL_ITERATIONS)
    box = toolbox_for_run(
        resource._client._raw,
        max_iterations,
        kwargs,
        kwargs.pop("tools"),
        kwargs.pop("approve", None),
        kwargs.pop("raise_tool_errors", False),
    )

    def turn(transcript: list[MessageParam], definitions: list[Tool]) -> Any:
        call = resource.stream if streaming else resource.complete
        return call(**target, messages=transcript, tools=definitions, **kwargs)

    def run(emit: Emit | None) -> Awaitable[ToolRunResult]:
        return chat_run(turn, messages, box, max_iterations, streaming=streaming, emit=emit)

    return run

"""OpenTelemetry spans, one per API call, following the GenAI semantic conventions.

Needs the ``otel`` extra (``pip install 'mistral-async[otel]'``, the OpenTelemetry API
only) and ``tracing=True`` on the client (or ``MISTRAL_TRACING=1``). Without them this
module is never imported.

Each call gets a ``CLIENT`` span named ``"{operation} {model}"`` (``"chat
mistral-small-latest"``; other calls ``"GET /v1/files"``) with ``gen_ai.operation.name``,
``gen_ai.provider.name`` (``mistral_ai``), ``gen_ai.request.*`` (model, max tokens,
temperature, top p...), ``gen_ai.response.id`` / ``model`` / ``finish_reasons``,
``gen_ai.usage.input_tokens`` / ``output_tokens``, ``server.address`` / ``port``, the
request id (``mistral.request_id``) and, on failure, ``error.type`` and
``http.response.status_code``. Retries are span events (``retry``). A stream's span
ends with the stream. Messages and answers are recorded (``gen_ai.input.messages`` /
``gen_ai.output.messages``) only with ``trace_content=True``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, TypeVar

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from yarl import URL

from ._response import request_id_of
from ._version import __version__

__all__ = ["CallTracer", "make_tracer"]

T = TypeVar("T")

PROVIDER: Final = "mistral_ai"
# The API's generative operations and their GenAI operation names.
_OPERATIONS: Final = {
    "/v1/chat/completions": "chat",
    "/v1/agents/completions": "chat",
    "/v1/fim/completions": "text_completion",
    "/v1/embeddings": "embeddings",
    "/v1/conversations": "invoke_agent",
    "/v1/moderations": "moderations",
    "/v1/chat/moderations": "moderations",
    "/v1/classifications": "classifications",
    "/v1/chat/classifications": "classifications",
    "/v1/ocr": "ocr",
    "/v1/audio/transcriptions": "transcription",
    "/v1/audio/speech": "speech",
}
_REQUEST_FIELDS: Final = (
    ("max_tokens", "gen_ai.request.max_tokens"),
    ("temperature", "gen_ai.request.temperature"),
    ("top_p", "gen_ai.request.top_p"),
    ("random_seed", "gen_ai.request.seed"),
    ("presence_penalty", "gen_ai.request.presence_penalty"),
    ("frequency_penalty", "gen_ai.request.frequency_penalty"),
    ("n", "gen_ai.request.choice.count"),
)


# What in a request body makes its span's attributes differ from call to call.
_VARYING: Final = frozenset([field for field, _ in _REQUEST_FIELDS] + ["agent_id"])

_NO_SPAN: Final = trace.INVALID_SPAN
_attach: Final = context.attach
_detach: Final = context.detach
_in_context: Final = trace.set_span_in_context


def make_tracer(provider: Any, *, content: bool) -> CallTracer:
    """The tracer of a client (``provider``: a TracerProvider, or None for the global one)."""
    return CallTracer(provider, content)


def _operation(path: str) -> str | None:
    name = _OPERATIONS.get(path)
    if name is None and path.startswith("/v1/conversations"):
        return "invoke_agent"
    return name


def _encode(value: Any) -> str:
    from ._converter import json_default
    from ._json import dumps

    try:
        return dumps(value, json_default).decode()
    except Exception:  # noqa: BLE001 - a span attribute is best effort
        return repr(value)


class CallTracer:
    """Starts the spans of a client's calls."""

    __slots__ = ("_bases", "_starts", "content", "tracer")

    def __init__(self, provider: Any, content: bool) -> None:
        self._bases: dict[tuple[str, str, URL], tuple[str | None, str, dict[str, Any]]] = {}
        # (method, path, url, model) -> the span name and start attributes of the calls
        # that send nothing else of note (most calls): built once.
        self._starts: dict[tuple[str, str, URL, str], tuple[str, dict[str, Any]]] = {}
        provider = provider if provider is not None else trace.get_tracer_provider()
        self.tracer = provider.get_tracer("mistral_async", __version__)
        self.content = content

    def __repr__(self) -> str:
        return f"<CallTracer content={self.content}>"

    def start(self, method: str, path: str, body: Any, url: URL) -> CallSpan:
        """A span for one call (not yet current)."""
        call = CallSpan(self.content)
        call.span = self._span(method, path, body, url)
        return call

    def stream(self, method: str, path: str, body: Any, url: URL, log: Any) -> CallSpan:
        """A stream's span, started when the stream sends its request (``starting``)."""
        call = CallSpan(self.content)
        call.log = log
        call.pending = lambda: self._span(method, path, body, url)
        return call

    def _span(self, method: str, path: str, body: Any, url: URL) -> Any:
        model = body.get("model") if type(body) is dict or isinstance(body, Mapping) else None
        if isinstance(model, str) and not self.content and _VARYING.isdisjoint(body):
            # Most calls: the same name and attributes for each call of a model, made once.
            key = (method, path, url, model)
            start = self._starts.get(key)
            if start is None:
                start = self._attributes(method, path, url, body)
                if len(self._starts) < 512:
                    self._starts[key] = start
        else:
            start = self._attributes(method, path, url, body)
        return self.tracer.start_span(start[0], kind=SpanKind.CLIENT, attributes=start[1])

    def _attributes(
        self, method: str, path: str, url: URL, body: Any
    ) -> tuple[str, dict[str, Any]]:
        """A call's span name and the attributes known when it starts."""
        base = self._bases.get((method, path, url))
        if base is None:
            base = self._base(method, path, url)
        operation, name, fixed = base
        attributes = dict(fixed)
        if not isinstance(body, Mapping):
            return name, attributes
        model = body.get("model")
        if isinstance(model, str):
            attributes["gen_ai.request.model"] = model
            if operation is not None:
                name = f"{operation} {model}"
        for field, key in _REQUEST_FIELDS:
            value = body.get(field)
            if (
                value is not None
                and isinstance(value, int | float)
                and value is not True
                and value is not False
            ):
                attributes[key] = value
        agent = body.get("agent_id")
        if isinstance(agent, str):
            attributes["gen_ai.agent.id"] = agent
        if self.content:
            for field in ("messages", "inputs", "input", "prompt"):
                if field in body:
                    attributes["gen_ai.input.messages"] = _encode(body[field])
                    break
        return name, attributes

    def _base(self, method: str, path: str, url: URL) -> tuple[str | None, str, dict[str, Any]]:
        """What a call's span gets from its method, path and server alone (kept)."""
        operation = _operation(path)
        fixed: dict[str, Any] = {"gen_ai.provider.name": PROVIDER}
        if operation is not None:
            fixed["gen_ai.operation.name"] = operation
            name = operation
        else:
            name = f"{method} {'/'.join(path.split('/')[:3])}"
            fixed["http.request.method"] = method
        if url.host:
            fixed["server.address"] = url.host
        if url.port is not None:
            fixed["server.port"] = url.port
        base = (operation, name, fixed)
        if len(self._bases) < 512:
            self._bases[(method, path, url)] = base
        return base

    async def traced(
        self,
        method: str,
        path: str,
        body: Any,
        url: URL,
        run: Callable[[CallSpan], Awaitable[T]],
    ) -> T:
        """Run one call (``run(span)``) inside its span, current while it runs."""
        call = CallSpan(self.content)
        call.span = span = self._span(method, path, body, url)
        token = _attach(_in_context(span))
        try:
            result = await run(call)
        except BaseException as exc:
            call.closed(False, exc)
            raise
        finally:
            _detach(token)
        call.result(result)
        call.closed(True, None)
        return result


class CallSpan:
    """One call's span: what the session core and streams tell it."""

    __slots__ = ("_ended", "attrs", "content", "count", "finish", "log", "pending", "span", "text")

    def __init__(self, content: bool) -> None:
        self.span: Any = _NO_SPAN
        # Attributes learnt as the call goes, set at its end in one go (the SDK takes a
        # lock and checks the value for each call of set_attribute).
        self.attrs: dict[str, Any] = {}
        self.pending: Callable[[], Any] | None = None
        self.content = content
        self.log: Any = None
        """A :class:`~mistral_async._logging.StreamLog` told the same things (streams)."""
        self.count = 0
        self.finish: list[str] = []
        self.text: list[str] = []
        self._ended = False

    # -- calls and streams ------------------------------------------------------------

    def starting(self) -> None:
        """A stream sends its request: its span starts now."""
        if self.pending is not None:
            self.span, self.pending = self.pending(), None

    def on_retry(self, attempt: int, delay: float, error: BaseException) -> None:
        """A failed attempt is retried: an event on the span."""
        attributes: dict[str, Any] = {
            "retry.attempt": attempt,
            "retry.delay_s": delay,
            "error.type": type(error).__name__,
        }
        status = getattr(error, "status_code", None)
        if isinstance(status, int):
            attributes["http.response.status_code"] = status
        self.span.add_event("retry", attributes)

    def response(self, status: int, headers: Mapping[str, str]) -> None:
        """A response arrived (its status is a success: failures are raised): its request id."""
        request_id = request_id_of(headers)
        if request_id:
            self.attrs["mistral.request_id"] = request_id

    def result(self, value: Any) -> None:
        """What a (non-streamed) call returned: response id, model, usage, finish reasons."""
        self._describe(value)
        choices = getattr(value, "choices", None)
        if isinstance(choices, list):
            reasons = [str(c.finish_reason) for c in choices if getattr(c, "finish_reason", None)]
            if reasons:
                self.attrs["gen_ai.response.finish_reasons"] = reasons
            if self.content:
                messages = [getattr(c, "message", None) for c in choices]
                self.attrs["gen_ai.output.messages"] = _encode(messages)

    def closed(self, done: bool, error: BaseException | None) -> None:
        """The call (or stream) ended: set the outcome and end the span (once)."""
        if self.log is not None:
            self.log.closed(done, error)
        if self._ended or self.span is _NO_SPAN:
            return
        self._ended = True
        span = self.span
        attrs = self.attrs
        if error is not None:
            attrs["error.type"] = type(error).__name__
            status = getattr(error, "status_code", None)
            if isinstance(status, int) and status:
                attrs["http.response.status_code"] = status
            request_id = getattr(error, "request_id", None)
            if isinstance(request_id, str) and request_id:
                attrs["mistral.request_id"] = request_id
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        if self.count:
            attrs["mistral.stream.events"] = self.count
            if self.finish:
                attrs["gen_ai.response.finish_reasons"] = self.finish
            if self.content and self.text:
                attrs["gen_ai.output.messages"] = _encode("".join(self.text))
        span.set_attributes(attrs)
        span.end()

    # -- streams ----------------------------------------------------------------------

    def opened(self, status: int, request_id: str | None) -> None:
        """The stream's response arrived (a success: failures are raised)."""
        if request_id:
            self.attrs["mistral.request_id"] = request_id
        if self.log is not None:
            self.log.opened(status, request_id)

    def events(self, items: list[Any]) -> None:
        """Events delivered by the stream: ids, usage and finish reasons as they pass."""
        if self.log is not None:
            self.log.events(items)
        if not items:
            return
        # Some streams wrap each chunk (``event.data``); looked up once, by type.
        wrapped = "data" in getattr(type(items[0]), "__slots__", ()) or hasattr(
            type(items[0]), "data"
        )
        if not self.count:
            self._describe(items[0].data if wrapped else items[0])
        self.count += len(items)
        content = self.content
        for item in items:
            chunk = item.data if wrapped else item
            usage = getattr(chunk, "usage", None)
            if usage is not None:
                self._usage(usage)
            choices = getattr(chunk, "choices", None)
            if choices:
                for choice in choices:
                    reason = getattr(choice, "finish_reason", None)
                    if reason:
                        self.finish.append(str(reason))
                    if content:
                        text = getattr(getattr(choice, "delta", None), "content", None)
                        if isinstance(text, str):
                            self.text.append(text)

    # -- helpers ----------------------------------------------------------------------

    def _describe(self, value: Any) -> None:
        attrs = self.attrs
        response_id = getattr(value, "id", None)
        if isinstance(response_id, str):
            attrs["gen_ai.response.id"] = response_id
        model = getattr(value, "model", None)
        if isinstance(model, str):
            attrs["gen_ai.response.model"] = model
        usage = getattr(value, "usage", None)
        if usage is not None:
            self._usage(usage)

    def _usage(self, usage: Any) -> None:
        prompt = getattr(usage, "prompt_tokens", None)
        if type(prompt) is int:  # not a bool
            self.attrs["gen_ai.usage.input_tokens"] = prompt
        completion = getattr(usage, "completion_tokens", None)
        if type(completion) is int:
            self.attrs["gen_ai.usage.output_tokens"] = completion

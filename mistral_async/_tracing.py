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

A call whose span the sampler drops records nothing, its context current all the same. The
attributes known at a span's start go to the sampler then, unless the tracer's sampler is
one of the SDK's own, which never look at them: those spans get every attribute when they
end, in one batch (the SDK checks and copies each batch apart).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from yarl import URL

from ._response import request_id_of
from ._version import __version__

__all__ = ["CallSpan", "CallTracer", "StreamSpan", "make_tracer"]

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
_CLIENT: Final = SpanKind.CLIENT
_attach: Final = context.attach
_detach: Final = context.detach
_in_context: Final = trace.set_span_in_context
_current: Final = context.get_current


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

    __slots__ = ("_bases", "_start_span", "_starts", "blind", "content", "tracer")

    def __init__(self, provider: Any, content: bool) -> None:
        self._bases: dict[tuple[str, str, URL], tuple[str | None, str, dict[str, Any]]] = {}
        # (method, path, model) -> the URL, span name and start attributes of the calls
        # that send nothing else of note (most calls): built once.
        self._starts: dict[tuple[str, str, str], tuple[URL, str, dict[str, Any]]] = {}
        provider = provider if provider is not None else trace.get_tracer_provider()
        self.tracer = provider.get_tracer("mistral_async", __version__)
        self._start_span = self.tracer.start_span
        # The SDK checks and copies the attributes a span starts with apart from those it
        # ends with. When the sampler does not look at them, they are all set at the end,
        # in one go: the span exported is the same, for less work.
        self.blind = _samples_blind(self.tracer)
        self.content = content

    def __repr__(self) -> str:
        return f"<CallTracer content={self.content}>"

    def stream(self, method: str, path: str, body: Any, url: URL, log: Any) -> StreamSpan:
        """A stream's span, started when the stream sends its request (``starting``)."""
        return StreamSpan(lambda: self._span(method, path, body, url), self.content, log)

    def begin(self, method: str, path: str, body: Any, url: URL) -> CallSpan:
        """The span of one call, started and made current until the call ends with
        :meth:`CallSpan.succeeded` or :meth:`CallSpan.failed` (in the same task).

        A span the sampler dropped records nothing, but is current all the same so that
        the trace goes on downstream."""
        # The current context, read once: the span's parent and what it joins.
        parent = _current()
        span, attrs = self._span(method, path, body, url, parent)
        call = (CallSpan if span.is_recording() else _Unrecorded)(span, attrs, self.content)
        call.token = _attach(_in_context(span, parent))
        return call

    def _span(
        self, method: str, path: str, body: Any, url: URL, parent: Any = None
    ) -> tuple[Any, dict[str, Any]]:
        """A started span, and the attributes to set when it ends: at first, those known
        at its start when the sampler does not look at them (see :func:`_samples_blind`)."""
        model = body.get("model") if type(body) is dict or isinstance(body, Mapping) else None
        if type(model) is str and not self.content and _VARYING.isdisjoint(body):
            # Most calls: the same name and attributes for each call of a model, made once.
            # (The client keeps one URL object per path: compared by identity first.)
            key = (method, path, model)
            start = self._starts.get(key)
            if start is None or (start[0] is not url and start[0] != url):
                start = (url, *self._attributes(method, path, url, body))
                if len(self._starts) < 512:
                    self._starts[key] = start
            name, attributes = start[1], start[2]
        else:
            name, attributes = self._attributes(method, path, url, body)
        if self.blind:
            return self._start_span(name, parent, _CLIENT), attributes.copy()
        return self._start_span(name, parent, _CLIENT, attributes), {}

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


class CallSpan:
    """One call's span: what the session core tells it as the call goes.

    Attributes learnt on the way are kept in ``attrs`` and set when the call ends, in one
    go (the SDK takes a lock and checks the value for each call of ``set_attribute``)."""

    __slots__ = ("attrs", "content", "span", "token")

    def __init__(self, span: Any, attrs: dict[str, Any], content: bool) -> None:
        self.span = span
        self.attrs = attrs
        self.content = content
        self.token: Any = None

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

    def succeeded(self, value: Any) -> None:
        """The call returned ``value``: no longer current; its response id, model, usage
        and finish reasons are set and the span ends."""
        _detach(self.token)
        attrs = self.attrs
        _describe(attrs, value)
        choices = getattr(value, "choices", None)
        if type(choices) is list and choices:
            reasons = []
            for choice in choices:
                reason = getattr(choice, "finish_reason", None)
                if reason:
                    reasons.append(str(reason))
            if reasons:
                attrs["gen_ai.response.finish_reasons"] = reasons
            if self.content:
                attrs["gen_ai.output.messages"] = _encode(
                    [getattr(c, "message", None) for c in choices]
                )
        span = self.span
        span.set_attributes(attrs)
        span.end()

    def failed(self, error: BaseException) -> None:
        """The call raised ``error``: no longer current; its type, status and request id
        are set and the span ends."""
        _detach(self.token)
        span = self.span
        _failure(self.attrs, span, error)
        span.set_attributes(self.attrs)
        span.end()


class _Unrecorded(CallSpan):
    """The call of a span the sampler dropped: only its context is current."""

    __slots__ = ()

    def on_retry(self, attempt: int, delay: float, error: BaseException) -> None:
        pass

    def response(self, status: int, headers: Mapping[str, str]) -> None:
        pass

    def succeeded(self, value: Any) -> None:
        _detach(self.token)

    def failed(self, error: BaseException) -> None:
        _detach(self.token)


class StreamSpan:
    """A stream's span, started when the stream sends its request and ended with it; also
    tells the stream's :class:`~mistral_async._logging.StreamLog` (``log``), if any."""

    __slots__ = ("_ended", "attrs", "content", "count", "finish", "log", "pending", "span", "text")

    def __init__(self, pending: Callable[[], Any], content: bool, log: Any) -> None:
        self.span: Any = _NO_SPAN
        self.pending: Callable[[], Any] | None = pending
        self.attrs: dict[str, Any] = {}
        self.content = content
        self.log = log
        self.count = 0
        self.finish: list[str] = []
        self.text: list[str] = []
        self._ended = False

    def starting(self) -> None:
        """The stream sends its request: its span starts now."""
        if self.pending is not None:
            (self.span, self.attrs), self.pending = self.pending(), None
            if not self.span.is_recording():
                self._ended = True  # sampled out: nothing to record

    on_retry = CallSpan.on_retry

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
        if not items or self._ended:
            return
        # Some streams wrap each chunk (``event.data``); looked up once, by type.
        wrapped = "data" in getattr(type(items[0]), "__slots__", ()) or hasattr(
            type(items[0]), "data"
        )
        attrs = self.attrs
        if not self.count:
            _describe(attrs, items[0].data if wrapped else items[0])
        self.count += len(items)
        content = self.content
        for item in items:
            chunk = item.data if wrapped else item
            usage = getattr(chunk, "usage", None)
            if usage is not None:
                _usage(attrs, usage)
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

    def closed(self, done: bool, error: BaseException | None) -> None:
        """The stream ended: set the outcome and end the span (once)."""
        if self.log is not None:
            self.log.closed(done, error)
        if self._ended or self.span is _NO_SPAN:
            return
        self._ended = True
        span = self.span
        attrs = self.attrs
        if error is not None:
            _failure(attrs, span, error)
        if self.count:
            attrs["mistral.stream.events"] = self.count
            if self.finish:
                attrs["gen_ai.response.finish_reasons"] = self.finish
            if self.content and self.text:
                attrs["gen_ai.output.messages"] = _encode("".join(self.text))
        span.set_attributes(attrs)
        span.end()


def _samples_blind(tracer: Any) -> bool:
    """Whether ``tracer`` samples without looking at span attributes: true of an SDK
    tracer with the SDK's own samplers (always on or off, trace-id ratio, parent-based on
    those: the default is one). Any other sampler gets the attributes at span start."""
    sampler: Any = getattr(tracer, "sampler", None)
    if sampler is None:
        return False
    try:
        from opentelemetry.sdk.trace import sampling
    except ImportError:  # another SDK's tracer: its sampler may read them
        return False

    if type(sampler) in (
        sampling.StaticSampler,
        sampling.TraceIdRatioBased,
        sampling.ParentBasedTraceIdRatio,
    ):
        return True
    if type(sampler) is not sampling.ParentBased:
        return False
    # "ParentBased{root:AlwaysOnSampler,remoteParentSampled:AlwaysOnSampler,...}"
    description: str = getattr(sampler, "get_description")()  # noqa: B009 - untyped
    if not (description.startswith("ParentBased{") and description.endswith("}")):
        return False
    for part in description[len("ParentBased{") : -1].split(","):
        _, _, inner = part.partition(":")
        if inner not in ("AlwaysOnSampler", "AlwaysOffSampler") and not (
            inner.startswith("TraceIdRatioBased{") and inner.endswith("}")
        ):
            return False
    return True


def _failure(attrs: dict[str, Any], span: Any, error: BaseException) -> None:
    """What a failed call or stream records: error type, HTTP status, request id, status."""
    attrs["error.type"] = type(error).__name__
    status = getattr(error, "status_code", None)
    if isinstance(status, int) and status:
        attrs["http.response.status_code"] = status
    request_id = getattr(error, "request_id", None)
    if isinstance(request_id, str) and request_id:
        attrs["mistral.request_id"] = request_id
    span.set_status(Status(StatusCode.ERROR, type(error).__name__))


def _describe(attrs: dict[str, Any], value: Any) -> None:
    """A response's (or first chunk's) id, model and usage."""
    response_id = getattr(value, "id", None)
    if isinstance(response_id, str):
        attrs["gen_ai.response.id"] = response_id
    model = getattr(value, "model", None)
    if isinstance(model, str):
        attrs["gen_ai.response.model"] = model
    usage = getattr(value, "usage", None)
    if usage is not None:
        _usage(attrs, usage)


def _usage(attrs: dict[str, Any], usage: Any) -> None:
    prompt = getattr(usage, "prompt_tokens", None)
    if type(prompt) is int:  # not a bool
        attrs["gen_ai.usage.input_tokens"] = prompt
    completion = getattr(usage, "completion_tokens", None)
    if type(completion) is int:
        attrs["gen_ai.usage.output_tokens"] = completion

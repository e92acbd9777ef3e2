"""OpenTelemetry spans over real HTTP, collected by an in-memory exporter."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from mistral_async import AsyncMistral, Mistral, NotFoundError
from mistral_async.testing import FakeMistral

pytestmark = pytest.mark.anyio


def fake_env(fake: FakeMistral) -> dict[str, str]:
    """The environment a fresh process needs to reach the fake server."""
    return {"MISTRAL_API_KEY": fake.api_key, "MISTRAL_SERVER_URL": fake.url}


HI = [{"role": "user", "content": "Say hi"}]


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def traced(fake: FakeMistral, provider: TracerProvider, **kwargs: Any) -> AsyncMistral:
    return AsyncMistral(
        api_key=fake.api_key,
        server_url=fake.url,
        tracing=True,
        tracer_provider=provider,
        **kwargs,
    )


async def test_a_chat_call_is_one_genai_span(fake_mistral: FakeMistral, spans: Any) -> None:
    provider, exporter = spans
    async with traced(fake_mistral, provider) as client:
        result = await client.chat.complete(
            model="mistral-small-latest", messages=HI, max_tokens=16, temperature=0.2
        )
    (span,) = exporter.get_finished_spans()
    attrs = dict(span.attributes)
    assert span.name == "chat mistral-small-latest"
    assert span.kind is SpanKind.CLIENT
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "mistral_ai"
    assert attrs["gen_ai.request.model"] == "mistral-small-latest"
    assert attrs["gen_ai.request.max_tokens"] == 16
    assert attrs["gen_ai.request.temperature"] == 0.2
    assert attrs["gen_ai.response.id"] == result.id
    assert attrs["gen_ai.response.model"] == result.model
    assert attrs["gen_ai.usage.input_tokens"] == result.usage.prompt_tokens
    assert attrs["gen_ai.usage.output_tokens"] == result.usage.completion_tokens
    assert attrs["gen_ai.response.finish_reasons"] == (result.choices[0].finish_reason,)
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["server.port"] == fake_mistral.port
    assert "http.response.status_code" not in attrs  # failures carry it (a success: 200)
    assert attrs["mistral.request_id"]
    assert "gen_ai.input.messages" not in attrs  # content only when asked
    assert "gen_ai.output.messages" not in attrs
    assert span.status.status_code is StatusCode.UNSET
    assert fake_mistral.api_key not in repr(attrs)


async def test_each_call_gets_its_own_attributes(fake_mistral: FakeMistral, spans: Any) -> None:
    provider, exporter = spans
    async with traced(fake_mistral, provider) as client:
        for _ in range(2):
            await client.chat.complete(model="mistral-small-latest", messages=HI)
        await client.chat.complete(model="mistral-large-latest", messages=HI)
        await client.chat.complete(model="mistral-small-latest", messages=HI, top_p=0.5)
        await client.embeddings.create(model="mistral-embed", inputs=["a"])
        await client.chat.complete(model="mistral-small-latest", messages=HI)
    seen = [
        (
            span.name,
            span.attributes.get("gen_ai.request.top_p"),
            span.attributes["gen_ai.operation.name"],
        )
        for span in exporter.get_finished_spans()
    ]
    assert seen == [
        ("chat mistral-small-latest", None, "chat"),
        ("chat mistral-small-latest", None, "chat"),
        ("chat mistral-large-latest", None, "chat"),
        ("chat mistral-small-latest", 0.5, "chat"),
        ("embeddings mistral-embed", None, "embeddings"),
        ("chat mistral-small-latest", None, "chat"),
    ]


async def test_content_is_recorded_only_when_asked(fake_mistral: FakeMistral, spans: Any) -> None:
    provider, exporter = spans
    async with traced(fake_mistral, provider, trace_content=True) as client:
        await client.chat.complete(model="mistral-small-latest", messages=HI)
    (span,) = exporter.get_finished_spans()
    assert "Say hi" in span.attributes["gen_ai.input.messages"]
    assert span.attributes["gen_ai.output.messages"]


async def test_errors_and_retries(
    fake_mistral: FakeMistral, spans: Any, fast_retries: None
) -> None:
    provider, exporter = spans
    fake_mistral.fail_next(1, status=503)
    async with traced(fake_mistral, provider) as client:
        await client.embeddings.create(model="mistral-embed", inputs=["a"])
        with pytest.raises(NotFoundError):
            await client.models.retrieve("no-such-model")
    ok, failed = exporter.get_finished_spans()
    assert ok.name == "embeddings mistral-embed"
    (retry,) = ok.events
    assert retry.name == "retry"
    assert retry.attributes["retry.attempt"] == 1
    assert retry.attributes["http.response.status_code"] == 503
    assert retry.attributes["error.type"] == "InternalServerError"
    assert ok.status.status_code is StatusCode.UNSET
    assert failed.name == "GET /v1/models"
    assert failed.attributes["http.request.method"] == "GET"
    assert failed.attributes["error.type"] == "NotFoundError"
    assert failed.attributes["http.response.status_code"] == 404
    assert failed.status.status_code is StatusCode.ERROR


async def test_a_stream_span_ends_with_the_stream(fake_mistral: FakeMistral, spans: Any) -> None:
    provider, exporter = spans
    async with traced(fake_mistral, provider, trace_content=True) as client:
        async with client.chat.stream(model="mistral-small-latest", messages=HI) as stream:
            first = await stream.__anext__()
            assert exporter.get_finished_spans() == ()  # still open while the stream is
            rest = [event async for event in stream]
    (span,) = exporter.get_finished_spans()
    attrs = span.attributes
    assert span.name == "chat mistral-small-latest"
    assert attrs["gen_ai.operation.name"] == "chat"  # known at the start, set at the end
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["mistral.request_id"]
    assert attrs["mistral.stream.events"] == 1 + len(rest)
    assert attrs["gen_ai.response.id"] == first.id
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)
    assert attrs["gen_ai.usage.output_tokens"] > 0
    text = "".join(e.choices[0].delta.content or "" for e in [first, *rest])
    assert text in attrs["gen_ai.output.messages"]


async def test_a_stream_left_early_ends_its_span(fake_mistral: FakeMistral, spans: Any) -> None:
    provider, exporter = spans
    async with traced(fake_mistral, provider) as client:
        async with client.chat.stream(model="m", messages=HI, max_tokens=50) as stream:
            await stream.__anext__()
    (span,) = exporter.get_finished_spans()
    assert span.attributes["mistral.stream.events"] >= 1
    assert span.status.status_code is StatusCode.UNSET


async def test_spans_use_the_global_provider_by_default(fake_mistral: FakeMistral) -> None:
    # In a fresh process: the global provider can be set once per process.
    script = (
        "import asyncio\n"
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from opentelemetry.sdk.trace.export import SimpleSpanProcessor\n"
        "from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter\n"
        "exporter = InMemorySpanExporter(); provider = TracerProvider()\n"
        "provider.add_span_processor(SimpleSpanProcessor(exporter))\n"
        "trace.set_tracer_provider(provider)\n"
        "from mistral_async import AsyncMistral\n"
        "async def main():\n"
        "    async with AsyncMistral() as c:  # key and URL from the environment\n"
        "        await c.models.list()\n"
        "asyncio.run(main())\n"
        "print([s.name for s in exporter.get_finished_spans()])\n"
    )
    env = {**os.environ, "MISTRAL_TRACING": "1", **fake_env(fake_mistral)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['GET /v1/models']"


def test_without_tracing_opentelemetry_is_never_imported(fake_mistral: FakeMistral) -> None:
    script = (
        "import asyncio, sys\n"
        "from mistral_async import AsyncMistral\n"
        "async def main():\n"
        "    async with AsyncMistral() as c:  # key and URL from the environment\n"
        "        await c.chat.complete(model='m', messages=[{'role': 'user', 'content': 'x'}])\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MISTRAL_TRACING"}
    env.update(fake_env(fake_mistral))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


async def test_the_users_aiohttp_trace_configs_keep_working(
    fake_mistral: FakeMistral, spans: Any
) -> None:
    provider, exporter = spans
    seen: list[str] = []

    async def on_start(session: Any, context: Any, params: aiohttp.TraceRequestStartParams) -> None:
        seen.append(f"{params.method} {params.url.path}")

    trace_config = aiohttp.TraceConfig()
    trace_config.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace_config]) as session:
        async with traced(fake_mistral, provider, http_session=session) as client:
            await client.models.list()
    assert seen == ["GET /v1/models"]
    assert [s.name for s in exporter.get_finished_spans()] == ["GET /v1/models"]


async def test_the_aiohttp_instrumentor_nests_its_spans_in_ours(
    fake_mistral: FakeMistral, spans: Any
) -> None:
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor

    provider, exporter = spans
    instrumentor = AioHttpClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        async with traced(fake_mistral, provider) as client:
            await client.chat.complete(model="mistral-small-latest", messages=HI)
    finally:
        instrumentor.uninstrument()
    http, ours = exporter.get_finished_spans()
    assert ours.name == "chat mistral-small-latest"
    assert http.parent is not None
    assert http.parent.span_id == ours.context.span_id
    assert http.attributes.get("http.request.method", http.attributes.get("http.method")) == "POST"
    # The instrumentor records the URL and status, never our headers.
    assert fake_mistral.api_key not in repr(dict(http.attributes))


def test_the_blocking_client_traces_too(fake_mistral: FakeMistral, spans: Any) -> None:
    provider, exporter = spans
    with Mistral(
        api_key=fake_mistral.api_key,
        server_url=fake_mistral.url,
        tracing=True,
        tracer_provider=provider,
    ) as client:
        # The caller's span, current in this thread, is the parent of the call's span
        # although the call runs on the client's loop thread.
        with provider.get_tracer("app").start_as_current_span("handler") as outer:
            client.embeddings.create(model="mistral-embed", inputs=["a"])
    span, handler = exporter.get_finished_spans()
    assert span.name == "embeddings mistral-embed"
    assert handler.name == "handler"
    assert span.parent is not None
    assert span.parent.span_id == outer.get_span_context().span_id


def test_tracing_without_the_extra_says_what_to_install(tmp_path: Any) -> None:
    # A fresh process where opentelemetry cannot be imported.
    blocker = tmp_path / "opentelemetry"
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('not installed')\n")
    script = (
        "from mistral_async import AsyncMistral, MistralError\n"
        "try:\n"
        "    AsyncMistral(api_key='sk-x', tracing=True)\n"
        "except MistralError as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "mistral-async[otel]" in done.stdout


class _Recording:
    """A sampler that decides on the attributes a span starts with, and keeps them."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def should_sample(
        self,
        parent_context: Any,
        trace_id: int,
        name: str,
        kind: Any = None,
        attributes: Any = None,
        links: Any = None,
        trace_state: Any = None,
    ) -> Any:
        from opentelemetry.sdk.trace.sampling import Decision, SamplingResult

        self.seen.append(dict(attributes or {}))
        keep = (attributes or {}).get("gen_ai.request.model") != "mistral-large-latest"
        return SamplingResult(Decision.RECORD_AND_SAMPLE if keep else Decision.DROP, attributes)

    def get_description(self) -> str:
        return "Recording"


async def test_a_sampler_that_reads_attributes_gets_them_at_span_start(
    fake_mistral: FakeMistral,
) -> None:
    sampler = _Recording()
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=sampler)  # type: ignore[arg-type]
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with traced(fake_mistral, provider) as client:
        await client.chat.complete(model="mistral-small-latest", messages=HI)
        await client.chat.complete(model="mistral-large-latest", messages=HI)  # dropped
    first = sampler.seen[0]
    assert first["gen_ai.operation.name"] == "chat"
    assert first["gen_ai.request.model"] == "mistral-small-latest"
    assert first["server.address"] == "127.0.0.1"
    assert [s.name for s in exporter.get_finished_spans()] == ["chat mistral-small-latest"]
    provider.shutdown()


@pytest.mark.parametrize("ratio", [1.0, 0.0])
async def test_sampled_out_calls_record_nothing_yet_carry_the_trace(
    fake_mistral: FakeMistral, ratio: float
) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace.sampling import ParentBasedTraceIdRatio

    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=ParentBasedTraceIdRatio(ratio))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    outer = provider.get_tracer("app").start_span("handler")
    seen: list[Any] = []

    async def on_start(session: Any, context: Any, params: Any) -> None:
        seen.append(trace.get_current_span().get_span_context())

    trace_config = aiohttp.TraceConfig()
    trace_config.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace_config]) as session:
        async with traced(fake_mistral, provider, http_session=session) as client:
            with trace.use_span(outer, end_on_exit=True):
                result = await client.chat.complete(model="mistral-small-latest", messages=HI)
            async with client.chat.stream(model="mistral-small-latest", messages=HI) as stream:
                chunks = [chunk async for chunk in stream]
    assert result.choices[0].message.content
    assert chunks
    during = seen[0]
    assert during.is_valid and during.trace_id == outer.get_span_context().trace_id
    assert during.span_id != outer.get_span_context().span_id  # the call's own span
    names = [s.name for s in exporter.get_finished_spans()]
    if ratio:
        assert names == ["chat mistral-small-latest", "handler", "chat mistral-small-latest"]
        assert exporter.get_finished_spans()[0].context.span_id == during.span_id
    else:
        assert names == []
        assert not during.trace_flags.sampled
    provider.shutdown()


async def test_another_sdks_tracer_gets_the_start_attributes(
    fake_mistral: FakeMistral, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tracer from some other SDK, with a sampler of its own, where the OpenTelemetry
    # SDK cannot be imported: nothing tells its sampler ignores attributes.
    from opentelemetry import trace

    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)
    started: list[dict[str, Any]] = []

    class VendorTracer:
        sampler = object()

        def start_span(
            self, name: str, context: Any = None, kind: Any = None, attributes: Any = None
        ) -> Any:
            started.append(dict(attributes or {}))
            return trace.NonRecordingSpan(trace.INVALID_SPAN_CONTEXT)

    class VendorProvider:
        def get_tracer(self, *args: Any, **kwargs: Any) -> VendorTracer:
            return VendorTracer()

    async with traced(fake_mistral, VendorProvider()) as client:  # type: ignore[arg-type]
        await client.chat.complete(model="mistral-small-latest", messages=HI)
    (attributes,) = started
    assert attributes["gen_ai.request.model"] == "mistral-small-latest"
    assert attributes["gen_ai.operation.name"] == "chat"

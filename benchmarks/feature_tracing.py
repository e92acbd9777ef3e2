"""Tracing and logging overhead: the same calls with OpenTelemetry spans on and off.

Targets (issue "tracing"): with tracing on (an SDK tracer provider with the batching
span processor production setups use, its exporter dropping the spans), at most 1.3x the
CPU of the same client with it off. The processor's worker thread counts: CPU is the
whole process's. T0 is the floor: what the SDK costs for the same spans made by hand the
cheapest way it allows, so T1 - T0 is what the client's own tracing code adds. With
the library's logger at WARNING and tracing off (the defaults), W1 and W2 of the peer
benchmarks keep their targets; that is measured by ``python -m benchmarks --only W1,W2``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from benchmarks.features import Case, bench_server
from mistral_async import AsyncMistral

KEY = "sk-bench"
MESSAGES = [{"role": "user", "content": "Hello"}]


class _Drop:
    """A span exporter that keeps nothing (what a batching exporter costs is not ours)."""

    def export(self, spans: Any) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


@contextlib.asynccontextmanager
async def clients() -> AsyncIterator[dict[str, Any]]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    logging.getLogger("mistral_async").setLevel(logging.WARNING)
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(_Drop()))  # type: ignore[arg-type]
    async with bench_server(streams=(200,)) as url:
        on = AsyncMistral(api_key=KEY, server_url=url, tracing=True, tracer_provider=provider)
        off = AsyncMistral(api_key=KEY, server_url=url, tracing=False)
        async with on, off:
            yield {"on": on, "off": off, "provider": provider}
    provider.shutdown()


async def _complete(client: AsyncMistral, n: int) -> None:
    for _ in range(n):
        await client.chat.complete(model="m", messages=MESSAGES)


async def _stream(client: AsyncMistral, n: int) -> None:
    for _ in range(n):
        async with client.chat.stream(model="m", messages=MESSAGES, max_tokens=200) as stream:
            async for _chunk in stream:
                pass


async def complete_on(ctx: dict[str, Any], n: int) -> None:
    await _complete(ctx["on"], n)


async def complete_off(ctx: dict[str, Any], n: int) -> None:
    await _complete(ctx["off"], n)


async def sdk_alone(ctx: dict[str, Any], n: int) -> None:
    """What the OpenTelemetry SDK itself costs: the span of each untraced call made by hand
    the cheapest way the SDK allows for the attributes the client's spans carry (the
    parent context read once, the span current while the call runs, every attribute set in
    one batch at the end: the default sampler never reads them at the start)."""
    from opentelemetry import context, trace
    from opentelemetry.trace import SpanKind

    tracer = ctx["provider"].get_tracer("bench")
    client: AsyncMistral = ctx["off"]
    start = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "mistral_ai",
        "gen_ai.request.model": "m",
        "server.address": "127.0.0.1",
        "server.port": 8000,
    }
    for _ in range(n):
        parent = context.get_current()
        span = tracer.start_span("chat m", parent, SpanKind.CLIENT)
        token = context.attach(trace.set_span_in_context(span, parent))
        try:
            result = await client.chat.complete(model="m", messages=MESSAGES)
        finally:
            context.detach(token)
        usage = result.usage
        assert usage is not None
        attributes = start.copy()
        attributes["mistral.request_id"] = "0193a7e2-5b6c-7d8e-9f00-1a2b3c4d5e6f"
        attributes["gen_ai.response.id"] = result.id
        attributes["gen_ai.response.model"] = result.model
        attributes["gen_ai.usage.input_tokens"] = usage.prompt_tokens
        attributes["gen_ai.usage.output_tokens"] = usage.completion_tokens
        attributes["gen_ai.response.finish_reasons"] = [str(result.choices[0].finish_reason)]
        span.set_attributes(attributes)
        span.end()


async def stream_on(ctx: dict[str, Any], n: int) -> None:
    await _stream(ctx["on"], n)


async def stream_off(ctx: dict[str, Any], n: int) -> None:
    await _stream(ctx["off"], n)


CASES = [
    Case(
        "T0",
        "the OpenTelemetry SDK alone: the same span made by hand around chat.complete vs none",
        sdk_alone,
        complete_off,
        n=2000,
        target=1.3,
        context=clients,
        note="the floor under T1",
    ),
    Case(
        "T1",
        "chat.complete: tracing on vs off",
        complete_on,
        complete_off,
        n=2000,
        target=1.3,
        context=clients,
    ),
    Case(
        "T2",
        "chat.stream of 200 chunks: tracing on vs off",
        stream_on,
        stream_off,
        n=100,
        target=1.3,
        context=clients,
    ),
]

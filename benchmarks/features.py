"""Feature benchmarks: the CPU a feature adds, measured beside its baseline in one run.

Each feature module (``benchmarks/feature_*.py``) defines ``CASES``: a list of
:class:`Case` objects, each a pair of async callables doing the same number of operations,
the feature's way and the baseline's way, against a server the module starts. This runner
times both in the same process, interleaved, several repetitions, and prints one table of
CPU per operation and the ratio feature / baseline next to the target::

    python -m benchmarks.features                 # every feature module
    python -m benchmarks.features --only cache    # modules whose name contains "cache"
    python -m benchmarks.features --quick         # 1/10 of the operations, 1 repetition
    python -m benchmarks.features --latency-ms 1  # the server answers after 1 ms

``python -m nox -s bench`` runs this after the peer workloads (``benchmarks/README.md``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import pkgutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

Op = Callable[[Any, int], Awaitable[None]]
"""An async callable ``(context, n)`` doing ``n`` operations."""


@dataclass(frozen=True)
class Case:
    """One comparison: ``feature`` and ``baseline`` each do ``n`` operations on ``context``."""

    id: str
    title: str
    feature: Op
    baseline: Op
    n: int
    #: The largest acceptable ratio of CPU per operation, feature / baseline.
    target: float
    #: An async context manager yielding the context both ops receive (servers, clients).
    context: Callable[[], AbstractAsyncContextManager[Any]]
    #: What the target compares ("CPU", or a note such as "CPU, hit vs sent request").
    note: str = ""


#: Milliseconds the benchmark server waits before each answer (``--latency-ms``).
LATENCY_MS = 0.0


@contextlib.asynccontextmanager
async def bench_server(
    embeds: tuple[int, ...] = (1,), streams: tuple[int, ...] = ()
) -> AsyncIterator[str]:
    """The benchmark server (:mod:`benchmarks.server`) in its own process, so its CPU is
    not counted; yields its base URL."""
    from benchmarks.harness import Server

    with (
        tempfile.TemporaryDirectory() as logs,
        Server(list(streams), list(embeds), logs, latency_ms=LATENCY_MS) as server,
    ):
        yield server.url


async def _cpu_per_op(op: Op, context: Any, n: int) -> float:
    gc.collect()
    start = time.process_time()
    await op(context, n)
    return (time.process_time() - start) / n


async def run_case(case: Case, *, reps: int, quick: bool) -> dict[str, Any]:
    """Measure one case: warm both sides up, then alternate them ``reps`` times."""
    n = max(1, case.n // 10) if quick else case.n
    feature: list[float] = []
    baseline: list[float] = []
    async with case.context() as context:
        await case.feature(context, max(1, n // 10))
        await case.baseline(context, max(1, n // 10))
        for _ in range(reps):
            baseline.append(await _cpu_per_op(case.baseline, context, n))
            feature.append(await _cpu_per_op(case.feature, context, n))
    f, b = statistics.median(feature), statistics.median(baseline)
    ratio = f / b if b else float("inf")
    return {
        "id": case.id,
        "title": case.title,
        "n": n,
        "feature_us": f * 1e6,
        "baseline_us": b * 1e6,
        "ratio": ratio,
        "target": case.target,
        "met": ratio <= case.target,
        "note": case.note,
    }


def modules() -> list[str]:
    """The feature modules in ``benchmarks/`` (``feature_*.py``)."""
    import benchmarks

    return sorted(
        f"benchmarks.{m.name}"
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name.startswith("feature_")
    )


def table(rows: list[dict[str, Any]]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| id | case | ops | feature µs/op | baseline µs/op | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        title = r["title"] + (f" ({r['note']})" if r["note"] else "")
        lines.append(
            f"| {r['id']} | {title} | {r['n']} | {r['feature_us']:.1f} | "
            f"{r['baseline_us']:.1f} | {r['ratio']:.3f}x | <= {r['target']}x | "
            f"{'yes' if r['met'] else 'NO'} |"
        )
    return "\n".join(lines)


async def _main(args: argparse.Namespace) -> int:
    rows = []
    for name in modules():
        if args.only and not any(part in name for part in args.only.split(",")):
            continue
        module = importlib.import_module(name)
        for case in module.CASES:
            print(f"running {case.id}: {case.title}", file=sys.stderr)
            rows.append(await run_case(case, reps=args.reps, quick=args.quick))
    print(table(rows))
    if args.strict and not all(r["met"] for r in rows):
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated parts of module names")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="the server waits this long before each answer, as a remote API would",
    )
    args = parser.parse_args(argv)
    # Set where the feature modules read it: run with -m, this file is __main__ as well.
    import benchmarks.features

    benchmarks.features.LATENCY_MS = args.latency_ms
    return asyncio.run(_main(args))


if __name__ == "__main__":
    sys.exit(main())

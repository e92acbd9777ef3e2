"""Run one (workload, client) measurement in this fresh process and print its result.

Invoked by :mod:`benchmarks.run` as ``python -m benchmarks.worker '<json spec>'``. The process
warms up, then measures client CPU with :func:`time.process_time` (whole process, all
threads), wall time with :func:`time.perf_counter` and peak RSS with ``ru_maxrss``. The
result is printed as one ``BENCH-RESULT {json}`` line; a failing adapter gives
``{"ok": false, "error": ...}`` instead of a traceback.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from benchmarks.clients import CLIENTS
from benchmarks.clients.base import AsyncAdapter, FilesUnsupported, SyncAdapter
from benchmarks.wire import download_file_id, embed_inputs

RESULT_PREFIX = "BENCH-RESULT "
T = TypeVar("T")


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def current_rss_kib() -> int:
    """Return the current resident set size in KiB (``VmRSS``, else ``ru_maxrss``)."""
    rss = _status_kib("VmRSS")
    return rss if rss is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_rss_kib() -> int:
    """Return the peak RSS of this process in KiB (``ru_maxrss``)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (``VmHWM``) of this process; False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        return False
    return _status_kib("VmHWM") is not None


async def pool(op: Callable[[], Awaitable[T]], n: int, concurrency: int) -> list[T]:
    """Run ``op`` ``n`` times with at most ``concurrency`` in flight; return the results."""
    results: list[T] = []
    left = n

    async def lane() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            results.append(await op())

    await asyncio.gather(*(lane() for _ in range(min(n, concurrency))))
    return results


class Meter:
    """Measures CPU, wall time and peak RSS of one block of work."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self.wall = 0.0
        self._cpu0 = 0.0
        self._wall0 = 0.0

    def start(self) -> None:
        """Collect garbage, then start the clocks."""
        gc.collect()
        self._cpu0 = time.process_time()
        self._wall0 = time.perf_counter()

    def stop(self) -> None:
        """Stop the clocks."""
        self.wall = time.perf_counter() - self._wall0
        self.cpu = time.process_time() - self._cpu0


def _chat_check(texts: list[str]) -> dict[str, Any]:
    return {"results": len(texts), "text_len": sum(len(t) for t in texts)}


async def _async_run(
    workload: str, adapter: AsyncAdapter, spec: dict[str, Any], meter: Meter
) -> tuple[dict[str, Any], dict[str, Any]]:
    url = spec["url"]
    params: dict[str, int] = spec["params"]
    warm: dict[str, int] = spec["warmup"]
    extra: dict[str, Any] = {}
    if workload == "W6":  # the meter was started before the adapter module was imported
        await adapter.open(url)
        text = await adapter.chat()
        meter.stop()
        extra["rss_kib"] = current_rss_kib()
        await adapter.aclose()
        return _chat_check([text]), extra
    await adapter.open(url)
    try:
        if workload == "W1":
            await pool(adapter.chat, warm["n"], warm["concurrency"])
            meter.start()
            texts = await pool(adapter.chat, params["n"], params["concurrency"])
            meter.stop()
            return _chat_check(texts), extra
        if workload == "W2":
            await adapter.stream(warm["n_chunks"])
            meter.start()
            tally = await adapter.stream(params["n_chunks"])
            meter.stop()
            return {"chunks": tally.chunks, "text_len": tally.text_len}, extra
        if workload == "W3":
            inputs = embed_inputs(params["inputs"])

            async def one() -> Any:
                return await adapter.embed(inputs)

            await pool(one, warm["n"], warm["concurrency"])
            meter.start()
            tallies = await pool(one, params["n"], params["concurrency"])
            meter.stop()
            probes = {t.probe for t in tallies}
            return {
                "results": len(tallies),
                "vectors": sum(t.vectors for t in tallies),
                "floats": sum(t.floats for t in tallies),
                "probe": probes.pop() if len(probes) == 1 else sorted(probes),
            }, extra
        if workload == "W7":
            n_chunks = params["n_chunks"]

            async def one_stream() -> Any:
                return await adapter.stream(n_chunks)

            await pool(one_stream, warm["streams"], warm["streams"])
            meter.start()
            tallies = await pool(one_stream, params["streams"], params["streams"])
            meter.stop()
            return {
                "streams": len(tallies),
                "chunks": sum(t.chunks for t in tallies),
                "text_len": sum(t.text_len for t in tallies),
            }, extra
        if workload == "W8":
            return await _files_run(adapter, spec, meter, extra), extra
        raise ValueError(f"workload {workload} is not an async workload")
    finally:
        await adapter.aclose()


async def _files_run(
    adapter: AsyncAdapter, spec: dict[str, Any], meter: Meter, extra: dict[str, Any]
) -> dict[str, Any]:
    size = spec["params"]["size"]
    dest = spec["dest"]
    try:
        await adapter.upload(spec["warm_file"])
        await adapter.download(download_file_id(spec["warmup"]["size"]), dest)
        gc.collect()
        exact = reset_peak_rss()
        before = current_rss_kib()
        meter.start()
        t0 = time.perf_counter()
        acked = await adapter.upload(spec["file"])
        t1 = time.perf_counter()
        written = await adapter.download(download_file_id(size), dest)
        meter.stop()
        peak = _status_kib("VmHWM") if exact else None
        peak = peak if peak is not None else peak_rss_kib()
    finally:
        if os.path.exists(dest):
            os.unlink(dest)
    extra.update(
        upload_s=t1 - t0,
        download_s=meter.wall - (t1 - t0),
        rss_before_kib=before,
        peak_during_kib=peak,
        growth_kib=max(0, peak - before),
        exact_peak=exact,
        acked=acked,
    )
    return {"upload_ok": size <= acked <= size + 64 * 1024, "downloaded": written}


def _sync_run(
    workload: str, adapter: SyncAdapter, spec: dict[str, Any], meter: Meter
) -> tuple[dict[str, Any], dict[str, Any]]:
    url = spec["url"]
    params: dict[str, int] = spec["params"]
    warm: dict[str, int] = spec["warmup"]
    extra: dict[str, Any] = {}
    if workload == "W6":  # the meter was started before the adapter module was imported
        adapter.open(url)
        text = adapter.chat()
        meter.stop()
        extra["rss_kib"] = current_rss_kib()
        adapter.close()
        return _chat_check([text]), extra
    adapter.open(url)
    try:
        if workload == "W4":
            for _ in range(warm["n"]):
                adapter.chat()
            meter.start()
            texts = [adapter.chat() for _ in range(params["n"])]
            meter.stop()
            return _chat_check(texts), extra
        if workload == "W2":
            adapter.stream(warm["n_chunks"])
            meter.start()
            tally = adapter.stream(params["n_chunks"])
            meter.stop()
            return {"chunks": tally.chunks, "text_len": tally.text_len}, extra
        raise ValueError(f"workload {workload} is not a sync workload")
    finally:
        adapter.close()


def run(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the measurement described by ``spec``; return the result record."""
    workload = spec["workload"]
    client = CLIENTS[spec["client"]]
    meter = Meter()
    try:
        if workload == "W6":
            meter.start()
        adapter = client.create()
        if isinstance(adapter, AsyncAdapter):
            check, extra = asyncio.run(_async_run(workload, adapter, spec, meter))
        else:
            check, extra = _sync_run(workload, adapter, spec, meter)
    except FilesUnsupported as exc:
        return {"ok": False, "na": True, "error": str(exc)}
    except Exception as exc:  # any adapter failure is a reportable result
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return {"ok": False, "na": False, "error": f"{type(exc).__name__}: {message}"[:300]}
    return {
        "ok": True,
        "cpu_s": meter.cpu,
        "wall_s": meter.wall,
        "peak_rss_kib": peak_rss_kib(),
        "check": check,
        "extra": extra,
    }


def main() -> None:
    """Entry point: ``python -m benchmarks.worker '<json spec>'``."""
    spec = json.loads(sys.argv[1])
    result = run(spec)
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

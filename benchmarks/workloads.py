"""Workload definitions: sizes, which clients run them, targets, and expected outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from benchmarks import wire
from benchmarks.clients import Kind

GIB = 1024 * 1024 * 1024
EMBED_INPUTS = 16

Measure = Literal["cpu", "import", "rss", "growth"]


@dataclass(frozen=True)
class Workload:
    """One benchmark workload."""

    id: str
    title: str
    kinds: tuple[Kind, ...]
    #: What one "op" is, for the CPU/op column.
    unit: str
    #: What the ratio is taken of: CPU per op, import time, RSS, or absolute RSS growth.
    measure: Measure
    #: Target: a ratio to the floor, or (for ``growth``) MiB.
    target: float
    #: Full-size parameters; ``count_key`` is the one scaled by ``--quick`` and per-client.
    params: dict[str, int]
    count_key: str | None = None
    #: Clients too slow for the full size inside the time budget run this fraction of it.
    scale: dict[str, float] = field(default_factory=dict)
    note: str = ""
    #: Parameters replaced outright by ``--quick`` (instead of dividing ``count_key``).
    quick_params: dict[str, int] = field(default_factory=dict)

    def sized(self, quick: bool, client: str | None = None) -> dict[str, int]:
        """Return the parameters for a run, shrunk for ``--quick`` and for slow clients."""
        params = dict(self.params)
        if quick:
            params.update(self.quick_params)
        if self.count_key is None:
            return params
        factor = (1 / 20 if quick else 1.0) * (self.scale.get(client, 1.0) if client else 1.0)
        params[self.count_key] = max(1, round(params[self.count_key] * factor))
        return params


WORKLOADS: dict[str, Workload] = {
    w.id: w
    for w in (
        Workload(
            "W1",
            "async chat.complete, concurrency 64",
            ("async",),
            "request",
            "cpu",
            1.5,
            {"n": 5000, "concurrency": 64},
            "n",
            scale={"mistralai": 0.1},
        ),
        Workload(
            "W2",
            "one stream of 100,000 chunks, typed and text read",
            ("async", "sync"),
            "chunk",
            "cpu",
            2.0,
            {"n_chunks": 100_000},
            "n_chunks",
            scale={"mistralai": 0.05, "mistralai-sync": 0.05},
        ),
        Workload(
            "W3",
            "embeddings: 16 inputs x 1024 floats, concurrency 32",
            ("async",),
            "request",
            "cpu",
            1.0,
            {"n": 500, "inputs": EMBED_INPUTS, "concurrency": 32},
            "n",
        ),
        Workload(
            "W4",
            "sync chat.complete, sequential",
            ("sync",),
            "request",
            "cpu",
            1.3,
            {"n": 2000},
            "n",
            scale={"mistralai-sync": 0.1},
            note="floor: raw aiohttp on a background loop thread",
        ),
        Workload(
            "W5",
            "import time (fresh interpreters)",
            ("async",),
            "import",
            "import",
            1.1,
            {"samples": 5},
            None,
            note="samples interleaved across statements; the target is for mistral_async's rows",
            quick_params={"samples": 2},
        ),
        Workload(
            "W6",
            "RSS after creating a client and one request",
            ("async", "sync"),
            "process",
            "rss",
            1.15,
            {},
            None,
        ),
        Workload(
            "W7",
            "500 concurrent streams of 200 chunks",
            ("async",),
            "stream",
            "cpu",
            2.0,
            {"streams": 500, "n_chunks": 200},
            "streams",
            scale={"mistralai": 0.1},
        ),
        Workload(
            "W8",
            "upload + download of a 1 GiB file: peak RSS growth",
            ("async",),
            "file",
            "growth",
            32.0,
            {"size": GIB},
            "size",
        ),
    )
}


def warmup_params(workload: str, params: dict[str, int]) -> dict[str, int]:
    """Return the (small) parameters of the warm-up that precedes a measured run."""
    if workload == "W1":
        return {**params, "n": min(256, max(params["n"] // 10, 16))}
    if workload == "W2":
        return {"n_chunks": min(2000, max(params["n_chunks"] // 10, 100))}
    if workload == "W3":
        return {**params, "n": min(32, max(params["n"] // 10, 4))}
    if workload == "W4":
        return {"n": min(100, max(params["n"] // 10, 10))}
    if workload == "W7":
        return {"streams": min(32, max(params["streams"] // 10, 4)), "n_chunks": params["n_chunks"]}
    if workload == "W8":
        return {"size": min(params["size"], 4 * 1024 * 1024)}
    return {}


def expected_check(workload: str, params: dict[str, int]) -> dict[str, Any]:
    """Return what a correct client must report for ``workload`` run with ``params``."""
    chat_len = len(wire.CHAT_CONTENT)
    if workload in ("W1", "W4"):
        return {"results": params["n"], "text_len": params["n"] * chat_len}
    if workload == "W6":
        return {"results": 1, "text_len": chat_len}
    if workload == "W2":
        n = params["n_chunks"]
        return {"chunks": n, "text_len": wire.stream_text_len(n)}
    if workload == "W3":
        n, k = params["n"], params["inputs"]
        return {
            "results": n,
            "vectors": n * k,
            "floats": n * k * wire.EMBED_DIM,
            "probe": wire.embedding_vector(0)[0],
        }
    if workload == "W7":
        s, n = params["streams"], params["n_chunks"]
        return {"streams": s, "chunks": s * n, "text_len": s * wire.stream_text_len(n)}
    if workload == "W8":
        return {"upload_ok": True, "downloaded": params["size"]}
    return {}


def stream_sizes(quick: bool) -> list[int]:
    """Return every stream size a run may request, for the server to precompute."""
    sizes = {16}
    for wid in ("W2", "W7"):
        w = WORKLOADS[wid]
        for client in (None, *w.scale):
            params = w.sized(quick, client)
            sizes.add(params["n_chunks"])
            sizes.add(warmup_params(wid, params).get("n_chunks", 16))
    return sorted(sizes)

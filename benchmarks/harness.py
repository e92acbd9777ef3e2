"""Orchestrates a benchmark run: server process, one fresh worker process per measurement.

Order of a run: start :mod:`benchmarks.server` in its own process and wait for ``READY``; then,
for each repetition, for each workload, for each client, run :mod:`benchmarks.worker` in a
fresh interpreter (so its CPU and peak RSS are its own) and check its outcome against
:func:`benchmarks.workloads.expected_check`. Repetitions are interleaved so slow drift of the
machine affects every client alike. Finally print the table and write the JSON report.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.clients import CLIENTS, IMPORT_TARGETS, ClientSpec, ImportTarget
from benchmarks.worker import RESULT_PREFIX
from benchmarks.workloads import WORKLOADS, Workload, expected_check, stream_sizes, warmup_params

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JSON = REPO_ROOT / "benchmarks" / "results" / "latest.json"
DISTRIBUTIONS = (
    "aiohttp",
    "mistralai",
    "httpx2",
    "httpx",
    "pydantic",
    "pydantic-core",
    "attrs",
    "cattrs",
    "anyio",
    "tenacity",
    "orjson",
    "yarl",
    "multidict",
)

IMPORT_SCRIPT = (
    "import sys, time\n"
    "c = time.process_time(); w = time.perf_counter()\n"
    "exec(sys.argv[1])\n"
    "w = time.perf_counter() - w; c = time.process_time() - c\n"
    "print('BENCH-IMPORT', w, c)\n"
)


def child_env() -> dict[str, str]:
    """Return the environment of child processes: the repo root first on ``PYTHONPATH``."""
    env = dict(os.environ)
    paths = [str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def proc_cpu_seconds(pid: int) -> float | None:
    """Return user+system CPU seconds of process ``pid`` so far (Linux), else ``None``."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """The benchmark server, running in its own process for the duration of a ``with``."""

    def __init__(
        self,
        streams: list[int],
        embeds: list[int],
        log_dir: str,
        sse_framing: str = "chunked",
        latency_ms: float = 0.0,
    ) -> None:
        self.args = [
            sys.executable,
            "-m",
            "benchmarks.server",
            "--prime-streams",
            ",".join(map(str, streams)),
            "--prime-embeds",
            ",".join(map(str, embeds)),
            "--sse-framing",
            sse_framing,
            "--latency-ms",
            str(latency_ms),
        ]
        self.log_path = os.path.join(log_dir, "server.log")
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> Server:
        with open(self.log_path, "w", encoding="utf-8") as log:
            self.proc = subprocess.Popen(
                self.args,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                cwd=REPO_ROOT,
                env=child_env(),
            )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if ready:
                line = self.proc.stdout.readline()
                if line.startswith("READY "):
                    self.url = line.split()[1]
                    return self
                if not line:
                    break
            if self.proc.poll() is not None:
                break
        self.stop()
        with open(self.log_path, encoding="utf-8") as log:
            raise RuntimeError("benchmark server did not start:\n" + log.read()[-2000:])

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Terminate the server process (kill it if it does not exit)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def cpu(self) -> float | None:
        """Return the server's CPU seconds so far."""
        return proc_cpu_seconds(self.proc.pid) if self.proc is not None else None


def run_worker(spec: dict[str, Any], server: Server, timeout: float) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; return its result record."""
    cpu0 = server.cpu()
    t0 = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.worker", json.dumps(spec)],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=REPO_ROOT,
            env=child_env(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "na": False, "error": f"timeout after {timeout:.0f}s"}
    elapsed = time.perf_counter() - t0
    cpu1 = server.cpu()
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            break
    else:
        tail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        result = {"ok": False, "na": False, "error": f"worker crashed: {tail}"[:300]}
    result["process_wall_s"] = elapsed
    if cpu0 is not None and cpu1 is not None:
        result["server_cpu_s"] = cpu1 - cpu0
    return result


def verify(result: dict[str, Any], expected: dict[str, Any]) -> None:
    """Turn ``result`` into an error if its check values differ from ``expected``."""
    if not result.get("ok"):
        return
    got = result.get("check", {})
    wrong = [f"{k}={got.get(k)!r} (expected {v!r})" for k, v in expected.items() if got.get(k) != v]
    if wrong:
        result.update(ok=False, na=False, error="wrong result: " + ", ".join(wrong))


def resolve_import(target: ImportTarget) -> tuple[str, str]:
    """Return the statement W5 times for ``target`` and a note if it had to fall back."""
    if target.fallback is None:
        return target.statement, ""
    probe = (
        "import importlib.util, sys\n"
        "try:\n    ok = importlib.util.find_spec(sys.argv[1]) is not None\n"
        "except ImportError:\n    ok = False\nprint(ok)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, target.module],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=child_env(),
        check=False,
    )
    if done.stdout.strip() == "True":
        return target.statement, ""
    return target.fallback, (
        f"{target.module} does not exist in the installed version; "
        f"timed `{target.fallback}` instead"
    )


def time_import(statement: str) -> dict[str, Any]:
    """Run ``statement`` in a fresh interpreter; return the wall and CPU time it took."""
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_SCRIPT, statement],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=child_env(),
        timeout=120,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH-IMPORT "):
            wall, cpu = map(float, line.split()[1:3])
            return {"ok": True, "wall_s": wall, "cpu_s": cpu}
    tail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    return {"ok": False, "na": False, "error": tail[:300]}


def machine_info() -> dict[str, Any]:
    """Return CPU model, core count, OS and Python version."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
    }


def package_versions() -> dict[str, str]:
    """Return the installed versions of the libraries involved (``mistral_async`` included)."""
    versions: dict[str, str] = {}
    for dist in DISTRIBUTIONS:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    try:
        versions["mistral_async"] = metadata.version("mistral_async")
    except metadata.PackageNotFoundError:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "import mistral_async as m; print(getattr(m, '__version__', 'unknown'))",
            ],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env=child_env(),
            timeout=60,
            check=False,
        )
        versions["mistral_async"] = (
            done.stdout.strip() + " (source tree)" if done.returncode == 0 else "not importable"
        )
    return versions


def select_clients(names: str | None) -> list[ClientSpec]:
    """Return the chosen clients, adding the floors their ratios need."""
    if not names:
        return list(CLIENTS.values())
    chosen = {n.strip() for n in names.split(",") if n.strip()}
    unknown = chosen - CLIENTS.keys()
    if unknown:
        raise SystemExit(
            f"unknown client(s): {', '.join(sorted(unknown))}; choose from {', '.join(CLIENTS)}"
        )
    chosen |= {CLIENTS[n].floor for n in chosen}
    return [c for c in CLIENTS.values() if c.id in chosen]


def clients_for(workload: Workload, clients: list[ClientSpec]) -> list[ClientSpec]:
    """Return the clients that run ``workload`` (none for W5, which times imports)."""
    if workload.measure == "import":
        return []
    return [c for c in clients if c.kind in workload.kinds]


def imports_for(clients: list[ClientSpec]) -> list[ImportTarget]:
    """Return the W5 import statements of the libraries of ``clients``."""
    dists = {c.dist for c in clients}
    return [t for t in IMPORT_TARGETS if t.dist in dists]


def download_dir(size: int, fallback: str) -> str:
    """Return where W8 writes downloads: RAM-backed ``/dev/shm`` when it has room.

    Writing 1 GiB to a disk-backed file costs seconds of kernel time per run and adds noise;
    tmpfs pages are not part of the process's RSS, so the measurement is the same.
    """
    shm = "/dev/shm"  # a private subdirectory is created in it
    try:
        stats = os.statvfs(shm)
    except OSError:
        return fallback
    if stats.f_bavail * stats.f_frsize < 2 * size + (1 << 30):
        return fallback
    return tempfile.mkdtemp(prefix="mistral-bench-", dir=shm)


@contextlib.contextmanager
def w8_files(workloads: list[Workload], quick: bool, tmp: str) -> Iterator[dict[str, str]]:
    """Create the (sparse) files W8 uploads, if W8 runs; remove them afterwards.

    Yields the upload paths (``file``, ``warm_file``) and ``dest_dir`` for downloads.
    """
    paths: dict[str, str] = {}
    dest_dir = tmp
    w8 = WORKLOADS["W8"]
    if w8 in workloads:
        params = w8.sized(quick)
        for key, size in (
            ("file", params["size"]),
            ("warm_file", warmup_params("W8", params)["size"]),
        ):
            path = os.path.join(tmp, f"{key}.bin")
            with open(path, "wb") as fh:
                fh.truncate(size)
            paths[key] = path
        dest_dir = download_dir(params["size"], tmp)
    try:
        yield {**paths, "dest_dir": dest_dir}
    finally:
        for path in paths.values():
            with contextlib.suppress(OSError):
                os.unlink(path)
        if dest_dir != tmp:
            shutil.rmtree(dest_dir, ignore_errors=True)


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_benchmarks(args: argparse.Namespace) -> dict[str, Any]:
    """Run everything selected by ``args``; return the full report (also the JSON written)."""
    started = time.perf_counter()
    load_before = _loadavg()
    quick: bool = args.quick
    reps: int = args.reps or (1 if quick else 3)
    only = [w.strip().upper() for w in args.only.split(",")] if args.only else list(WORKLOADS)
    unknown = set(only) - WORKLOADS.keys()
    if unknown:
        raise SystemExit(f"unknown workload(s): {', '.join(sorted(unknown))}")
    workloads = [WORKLOADS[w] for w in WORKLOADS if w in only]
    clients = select_clients(args.clients)
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    notes: list[str] = []
    statements: dict[str, str] = {}
    targets = imports_for(clients) if WORKLOADS["W5"] in workloads else []
    versions = package_versions()
    if "orjson" in versions:
        notes.append(
            "orjson is installed: mistral_async decodes JSON with it, while the raw aiohttp "
            "floor uses the stdlib json module by design"
        )
    for target in targets:
        statements[target.id], note = resolve_import(target)
        if note:
            notes.append("W5: " + note)

    with (
        tempfile.TemporaryDirectory(prefix="mistral-bench-") as tmp,
        w8_files(workloads, quick, tmp) as files,
        Server(stream_sizes(quick), [16], tmp, args.sse_framing) as server,
    ):
        _progress(f"server ready at {server.url}; {reps} repetition(s)")
        for statement in statements.values():
            time_import(statement)  # compile bytecode once, unmeasured
        for rep in range(reps):
            for workload in workloads:
                tag = f"[{rep + 1}/{reps}] {workload.id}"
                if workload.measure == "import":
                    samples = workload.sized(quick)["samples"]
                    for _ in range(samples):
                        for target in targets:
                            sample = time_import(statements[target.id])
                            runs.setdefault((workload.id, target.id), []).append(sample)
                    for target in targets:
                        last = runs[(workload.id, target.id)][-1]
                        _progress(
                            f"{tag} {statements[target.id]}: " + report.describe_run(workload, last)
                        )
                    continue
                for spec in clients_for(workload, clients):
                    params = workload.sized(quick, spec.id)
                    job: dict[str, Any] = {
                        "workload": workload.id,
                        "client": spec.id,
                        "url": server.url,
                        "params": params,
                        "warmup": warmup_params(workload.id, params),
                        "dest": os.path.join(files["dest_dir"], f"download-{spec.id}.bin"),
                        "file": files.get("file"),
                        "warm_file": files.get("warm_file"),
                    }
                    result = run_worker(job, server, args.timeout)
                    verify(result, expected_check(workload.id, params))
                    result["params"] = params
                    result["rep"] = rep
                    runs.setdefault((workload.id, spec.id), []).append(result)
                    _progress(f"{tag} {spec.id}: " + report.describe_run(workload, result))

    duration = time.perf_counter() - started
    return {
        "schema": 1,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(duration, 1),
        "quick": quick,
        "repetitions": reps,
        "command": " ".join([Path(sys.executable).name, "-m", "benchmarks", *sys.argv[1:]]),
        "machine": {**machine_info(), "loadavg_before": load_before, "loadavg_after": _loadavg()},
        "versions": versions,
        "sse_framing": args.sse_framing,
        "notes": notes,
        "workloads": [
            report.summarise(
                w,
                targets if w.measure == "import" else clients_for(w, clients),
                runs,
                quick,
                statements if w.measure == "import" else {},
            )
            for w in workloads
        ],
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark mistral_async against raw aiohttp and the official mistralai.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 1 repetition, 1/20 of the sizes"
    )
    parser.add_argument("--only", metavar="W1,W2", help="workloads to run (default: all)")
    parser.add_argument(
        "--clients",
        metavar="ID,ID",
        help="clients to run; their floors are added. Ids: " + ", ".join(CLIENTS),
    )
    parser.add_argument("--reps", type=int, help="repetitions (default 3, or 1 with --quick)")
    parser.add_argument(
        "--sse-framing",
        choices=("chunked", "close"),
        default="chunked",
        help="how the server frames SSE bodies: chunked (default) or close-delimited",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds allowed per measurement process (default 300)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        help=f"where to write the JSON report (default {DEFAULT_JSON})",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print the table, write the JSON; return the exit status."""
    args = parse_args(argv)
    result = run_benchmarks(args)
    print(report.render(result))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nJSON written to {args.json}")
    return 0

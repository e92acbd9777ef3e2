"""Turns measurement records into per-client rows (medians, ratios, targets) and a text table."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.clients import CLIENTS, ClientSpec, ImportTarget
from benchmarks.workloads import Workload

KIB_PER_MIB = 1024.0
#: Warn when the server's CPU time exceeds this share of a measurement process's lifetime.
SERVER_BUSY_WARN = 0.75


def fmt_seconds(seconds: float | None) -> str:
    """Format a duration with a unit suited to its size (ns, µs, ms, s)."""
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e9:.0f} ns"


def fmt_mib(kib: float | None) -> str:
    """Format a KiB amount as MiB."""
    return "-" if kib is None else f"{kib / KIB_PER_MIB:.1f} MiB"


def describe_run(workload: Workload, result: dict[str, Any]) -> str:
    """Return a one-line description of one measurement, for progress output."""
    if not result.get("ok"):
        return ("n/a: " if result.get("na") else "error: ") + str(result.get("error"))
    if workload.measure == "import":
        return f"import {fmt_seconds(result['wall_s'])} (CPU {fmt_seconds(result['cpu_s'])})"
    if workload.measure == "rss":
        return (
            f"RSS {fmt_mib(result['extra']['rss_kib'])}, "
            f"cold create+request {fmt_seconds(result['wall_s'])}"
        )
    if workload.measure == "growth":
        extra = result["extra"]
        return (
            f"growth {fmt_mib(extra['growth_kib'])}, upload {fmt_seconds(extra['upload_s'])}"
            f", download {fmt_seconds(extra['download_s'])}"
        )
    ops = result["params"][workload.count_key or ""]
    return (
        f"{fmt_seconds(result['cpu_s'] / ops)} CPU/{workload.unit}, wall "
        f"{fmt_seconds(result['wall_s'])}, peak RSS {fmt_mib(result['peak_rss_kib'])}"
        f", server CPU {fmt_seconds(result.get('server_cpu_s'))}"
    )


def _median(runs: list[dict[str, Any]], get: Callable[[dict[str, Any]], float]) -> float:
    return statistics.median(get(r) for r in runs)


def _row(
    workload: Workload,
    spec: ClientSpec | ImportTarget,
    runs: list[dict[str, Any]],
    quick: bool,
    statement: str | None,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "client": spec.id,
        "label": spec.label,
        "kind": spec.kind,
        "floor": spec.floor,
        "status": "ok",
        "error": None,
        "runs": runs,
    }
    if statement is not None:
        row["label"] = statement
    bad = [r for r in runs if not r.get("ok")]
    if not runs or bad:
        row["status"] = "n/a" if bad and all(r.get("na") for r in bad) else "error"
        row["error"] = str(bad[0].get("error")) if bad else "no measurement"
        return row
    if workload.measure == "import":
        row.update(
            samples=len(runs),
            wall_s=_median(runs, lambda r: r["wall_s"]),
            cpu_s=_median(runs, lambda r: r["cpu_s"]),
        )
        row["value"] = row["wall_s"]
        return row
    row["peak_rss_kib"] = _median(runs, lambda r: r["peak_rss_kib"])
    row["wall_s"] = _median(runs, lambda r: r["wall_s"])
    row["cpu_s"] = _median(runs, lambda r: r["cpu_s"])
    if workload.measure == "rss":
        row["value"] = row["rss_kib"] = _median(runs, lambda r: r["extra"]["rss_kib"])
    elif workload.measure == "growth":
        row["value"] = row["growth_kib"] = _median(runs, lambda r: r["extra"]["growth_kib"])
        row["upload_s"] = _median(runs, lambda r: r["extra"]["upload_s"])
        row["download_s"] = _median(runs, lambda r: r["extra"]["download_s"])
        row["exact_peak"] = all(r["extra"]["exact_peak"] for r in runs)
    else:
        key = workload.count_key or ""
        ops = runs[0]["params"][key]
        full = workload.sized(quick)[key]
        row["ops"] = ops
        row["scaled"] = ops / full if ops != full else None
        row["value"] = row["cpu_per_op_s"] = _median(runs, lambda r: r["cpu_s"] / ops)
        row["wall_per_op_s"] = _median(runs, lambda r: r["wall_s"] / ops)
        row["server_cpu_s"] = _median(runs, lambda r: r.get("server_cpu_s") or 0.0)
        row["server_busy"] = max(
            (r.get("server_cpu_s") or 0.0) / max(r.get("process_wall_s") or 0.0, 1e-9) for r in runs
        )
    return row


def summarise(
    workload: Workload,
    clients: Sequence[ClientSpec | ImportTarget],
    runs: dict[tuple[str, str], list[dict[str, Any]]],
    quick: bool,
    statements: dict[str, str],
) -> dict[str, Any]:
    """Return the JSON section of one workload: parameters and one row per client."""
    rows = [
        _row(workload, spec, runs.get((workload.id, spec.id), []), quick, statements.get(spec.id))
        for spec in clients
    ]
    by_id = {r["client"]: r for r in rows}
    for row in rows:
        row["target"] = None
        row["ratio"] = None
        row["met"] = None
        if workload.measure == "growth":
            row["target"] = workload.target
            if row["status"] == "ok":
                row["met"] = row["value"] / KIB_PER_MIB <= workload.target
            continue
        floor_id = "aiohttp" if workload.measure == "import" else row["floor"]
        if row["client"] == floor_id:
            if row["status"] == "ok":
                row["ratio"] = 1.0
            continue
        row["target"] = workload.target
        floor = by_id.get(floor_id)
        if row["status"] == "ok" and floor is not None and floor["status"] == "ok":
            row["ratio"] = row["value"] / floor["value"]
            row["met"] = row["ratio"] <= workload.target
    return {
        "id": workload.id,
        "title": workload.title,
        "unit": workload.unit,
        "measure": workload.measure,
        "target": workload.target,
        "params": workload.sized(quick),
        "note": workload.note,
        "rows": rows,
    }


# -- text rendering ----------------------------------------------------------------------------


def _status_cells(row: dict[str, Any], width: int) -> list[str] | None:
    if row["status"] == "ok":
        return None
    text = ("n/a" if row["status"] == "n/a" else "error") + f": {row['error']}"
    return [text[:width]]


def _target_cells(workload: dict[str, Any], row: dict[str, Any]) -> list[str]:
    if workload["measure"] == "growth":
        target = f"<={workload['target']:g} MiB"
        ratio = "-"
    else:
        ratio = "-" if row["ratio"] is None else f"{row['ratio']:.2f}x"
        target = "floor" if row["target"] is None else f"<={row['target']:g}x"
    met = "-" if row["met"] is None else ("yes" if row["met"] else "NO")
    return [ratio, target, met]


def _table(headers: list[str], lines: list[list[str]]) -> list[str]:
    full = [line for line in lines if len(line) == len(headers)]
    widths = [max([len(h)] + [len(line[i]) for line in full]) for i, h in enumerate(headers)]
    out = [
        "  "
        + "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    ]
    for line in lines:
        if len(line) == 2:  # client + status message spanning the row
            out.append("  " + line[0].ljust(widths[0]) + "  " + line[1])
            continue
        out.append(
            "  "
            + "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(line, widths, strict=True))
            )
        )
    return out


def _workload_lines(section: dict[str, Any]) -> list[str]:
    measure = section["measure"]
    params = section["params"]
    unit = section["unit"]
    lines: list[list[str]] = []
    footnotes: list[str] = []
    if measure == "import":
        headers = ["module", "samples", "import wall", "import CPU", "ratio", "target", "met"]
    elif measure == "rss":
        headers = ["client", "RSS after", "peak RSS", "cold CPU", "ratio", "target", "met"]
    elif measure == "growth":
        headers = ["client", "upload", "download", "peak RSS", "growth", "target", "met"]
    else:
        headers = [
            "client",
            f"{unit}s",
            f"CPU/{unit}",
            "wall",
            "peak RSS",
            "ratio",
            "target",
            "met",
        ]
    for row in section["rows"]:
        name = row["label"]
        status = _status_cells(row, 90)
        if status is not None:
            lines.append([name, *status])
            continue
        if measure == "import":
            cells = [str(row["samples"]), fmt_seconds(row["wall_s"]), fmt_seconds(row["cpu_s"])]
        elif measure == "rss":
            cells = [
                fmt_mib(row["rss_kib"]),
                fmt_mib(row["peak_rss_kib"]),
                fmt_seconds(row["cpu_s"]),
            ]
        elif measure == "growth":
            cells = [
                fmt_seconds(row["upload_s"]),
                fmt_seconds(row["download_s"]),
                fmt_mib(row["peak_rss_kib"]),
                fmt_mib(row["growth_kib"]),
            ]
        else:
            ops = f"{row['ops']:,}" + ("*" if row["scaled"] else "")
            cells = [
                ops,
                fmt_seconds(row["cpu_per_op_s"]),
                fmt_seconds(row["wall_s"]),
                fmt_mib(row["peak_rss_kib"]),
            ]
            if row["scaled"]:
                footnotes.append(
                    f"* {name} ran {row['scaled']:.0%} of the size (too slow for "
                    "the time budget): per-op figures and ratios compare, wall "
                    "does not"
                )
        if row.get("server_busy", 0.0) > SERVER_BUSY_WARN:
            footnotes.append(
                f"! the server was busy {row['server_busy']:.0%} of {name}'s run: its wall time "
                "may be limited by the server (client CPU is not affected)"
            )
        target = _target_cells(section, row)
        if measure == "growth":
            target = target[1:]
        lines.append([name, *cells, *target])
    title = f"{section['id']}  {section['title']}"
    detail = ", ".join(f"{k}={v:,}" for k, v in params.items())
    basis = {
        "cpu": f"ratio = client CPU per {unit} / floor's, medians",
        "import": "ratio = import wall time / `import aiohttp`'s, medians",
        "rss": "ratio = RSS after / floor's RSS after, medians",
        "growth": "growth = peak RSS during upload+download - RSS just before",
    }[measure]
    out = [title, f"  ({detail}; {basis})" if detail else f"  ({basis})"]
    out += _table(headers, lines)
    out += ["  " + f for f in footnotes]
    if section["note"]:
        out.append("  note: " + section["note"])
    return out


def _load(values: list[float] | None) -> str:
    return "-" if not values else " ".join(f"{v:.2f}" for v in values)


def render(result: dict[str, Any]) -> str:
    """Return the whole report as text: header, one table per workload, notes."""
    machine = result["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in result["versions"].items())
    kind = "quick (smoke) run" if result["quick"] else "full run"
    minutes, seconds = divmod(int(result["duration_s"]), 60)
    lines = [
        f"mistral_async benchmarks: {kind}, {result['repetitions']} repetition(s), "
        f"{minutes}m{seconds:02d}s",
        f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['implementation']} "
        f"{machine['python']}, {machine['platform']}; load average before/after "
        f"{_load(machine.get('loadavg_before'))} / {_load(machine.get('loadavg_after'))}",
        f"versions: {versions}",
        "floors: async clients vs raw aiohttp; blocking clients vs raw aiohttp driven from a "
        f"background loop thread ({CLIENTS['aiohttp-thread'].label})",
        "",
    ]
    for section in result["workloads"]:
        lines += _workload_lines(section)
        lines.append("")
    for note in result["notes"]:
        lines.append("note: " + note)
    return "\n".join(lines).rstrip()

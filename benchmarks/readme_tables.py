"""Rewrite the README's performance tables from the benchmark results files, so the two cannot disagree.

Each table sits between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` in README.md
and is rendered only from benchmarks/results/NAME's JSON (tests/benchmarks/test_readme_tables.py
fails when the README holds anything else). Every figure says what it includes: "wall" and
"CPU" are whole processes (start-up, imports, reading included, median of the runs, min–max
beside it), with the date and the machine's 1-minute load average when it was measured.

    .venv/bin/python benchmarks/readme_tables.py          # rewrite README.md
    .venv/bin/python benchmarks/readme_tables.py --check  # exit 1 when README.md is stale
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
README = BENCH_DIR.parent / "README.md"
RESULTS = BENCH_DIR / "results"

DRIFT_TOOLS = (("steward", "Steward"), ("evidently", "Evidently"), ("nannyml", "NannyML"), ("readonly", "read-only"))
SIZE_TITLES = {"100k": "100k", "1m": "1M", "2m": "2M", "8m": "8M"}


def _times(x: float) -> str:
    return f"{x:.0f}×" if x >= 10 else f"{x:.1f}×" if x >= 1 else f"{x:.2f}×"


def _day(entry: dict[str, Any]) -> str:
    return str(entry.get("measured_at", ""))[:10] or "undated"


def _load(entry: dict[str, Any]) -> str:
    load = entry.get("summary", {}).get("load_1min") or entry.get("load_1min")
    return f"load {load['before']:g}→{load['after']:g}" if load else "load not recorded"


def _runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


def _spread(entry: dict[str, Any], figure: str) -> str:
    """'12.7 s (11.9–13.0)': the median and, when several runs were kept, their range."""
    summary = entry.get("summary", {}).get(figure)
    if summary is None:
        value = entry.get(figure)
        return "?" if value is None else f"{value:.1f} s"
    if summary["min"] == summary["max"]:
        return f"{summary['median']:.1f} s"
    return f"{summary['median']:.1f} s ({summary['min']:.1f}–{summary['max']:.1f})"


def _drift_cell(entry: dict[str, Any] | None) -> str:
    if entry is None or entry.get("status") != "ok":
        return "not run" if entry is None else "failed"
    cpu = _spread(entry, "cpu_s")
    compute = f"; {_spread(entry, 'compute_s')} compute in-process" if "compute_s" in entry.get("summary", {}) else ""
    return f"{_spread(entry, 'wall_s')} wall, {cpu} CPU, {entry['peak_rss_mb']:,.0f} MB{compute}"


def _growth(results: dict[str, Any], name: str) -> str:
    """Seconds each further million rows per side adds between consecutive sizes (wall, CPU): equal steps
    mean linear growth, whatever the fixed start-up cost."""
    measured = sorted((size["rows"], SIZE_TITLES.get(label, label), tool) for label, size in results["sizes"].items()
                      if (tool := size["tools"].get(name)) and tool.get("status") == "ok" and tool.get("cpu_s"))
    steps = []
    for (rows_a, title_a, a), (rows_b, title_b, b) in zip(measured, measured[1:]):
        per = 1e6 / (rows_b - rows_a)
        steps.append(f"{title_a}→{title_b} {(b['wall_s'] - a['wall_s']) * per:.2f} s wall, "
                     f"{(b['cpu_s'] - a['cpu_s']) * per:.2f} s CPU")
    return "; ".join(steps) or "-"


def _drift_ratio(a: dict[str, Any] | None, b: dict[str, Any] | None, dated: set[str]) -> str:
    """A's whole-process median over B's: wall (CPU); † when the two were measured on different days."""
    if not a or not b or a.get("status") != "ok" or b.get("status") != "ok":
        return "-"
    text = _times(a["wall_s"] / b["wall_s"])
    if a.get("cpu_s") and b.get("cpu_s"):
        text += f" ({_times(a['cpu_s'] / b['cpu_s'])} CPU)"
    if _day(a) != _day(b):
        dated.add("†")
        text += " †"
    return text


def drift_table(results: dict[str, Any]) -> str:
    header = ["rows per side", *(title for _, title in DRIFT_TOOLS), "Evidently / Steward", "NannyML / Steward",
              "Steward / read-only", "Steward RSS / Evidently's, NannyML's"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    dated: set[str] = set()
    notes: list[str] = []
    for label, size in results["sizes"].items():
        tools = size["tools"]
        steward = tools.get("steward")
        cells = [SIZE_TITLES.get(label, label), *(_drift_cell(tools.get(name)) for name, _ in DRIFT_TOOLS)]
        cells += [_drift_ratio(tools.get("evidently"), steward, dated), _drift_ratio(tools.get("nannyml"), steward, dated),
                  _drift_ratio(steward, tools.get("readonly"), dated)]
        rss = [f"{steward['peak_rss_mb'] / tools[p]['peak_rss_mb']:.2f}" for p in ("evidently", "nannyml")
               if steward and tools.get(p, {}).get("status") == "ok"]
        cells.append(", ".join(rss) or "-")
        lines.append("| " + " | ".join(cells) + " |")
        when = "; ".join(f"{title} {_day(tools[name])} ({_load(tools[name])}, {_runs(len(tools[name].get('runs', [])))})"
                         for name, title in DRIFT_TOOLS if name in tools)
        notes.append(f"- {SIZE_TITLES.get(label, label)}: {when}")
    lines.append("")
    lines.append("Wall and CPU (user + system) are whole processes, start-up, imports and reading both files "
                 "included: median of the runs, min–max in brackets; memory is the largest peak RSS of the runs. "
                 "A peer's \"compute in-process\" is its own timing of the drift computation alone (after reading "
                 "with pandas). Ratios are of the medians, whole process (CPU in brackets)."
                 + (" † marks a ratio of figures measured on different days (under different load): "
                    "indicative only." if dated else ""))
    lines.append("Growth, whole process, per further million rows per side (medians): Steward "
                 + _growth(results, "steward") + "; read-only " + _growth(results, "readonly") + ".")
    lines.append("Measured (date, the machine's 1-minute load average before→after, runs):")
    lines.extend(notes)
    return "\n".join(lines)


def pii_table(results: dict[str, Any]) -> str:
    header = ["messages", "text", "Steward scan", "Steward process", "Presidio scan", "Presidio process",
              "Steward / Presidio scan", "Steward / Presidio process (CPU)", "recall (Steward / Presidio)",
              "false-positive rows (Steward / Presidio)"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    notes = []
    for size in results["sizes"].values():
        s, p = size["steward"], size["presidio"]
        lines.append("| " + " | ".join([
            f"{size['rows']:,}", f"{size['megabytes']:.1f} MB",
            f"{s['mb_per_s']:.1f} MB/s ({s['seconds']:.2f} s)", f"{_spread(s, 'wall_s')}, {s['peak_rss_mb']:,.0f} MB",
            f"{p['mb_per_s']:.2f} MB/s ({p['seconds']:.1f} s)", f"{_spread(p, 'wall_s')}, {p['peak_rss_mb']:,.0f} MB",
            _times(s["mb_per_s"] / p["mb_per_s"]),
            f"{_times(p['wall_s'] / s['wall_s'])} ({_times(p['cpu_s'] / s['cpu_s'])})",
            f"{s['recall']:.3f} / {p['recall']:.3f}", f"{s['false_positive_rows']:,} / {p['false_positive_rows']:,}",
        ]) + " |")
        notes.append(f"- {size['rows']:,} messages: Steward {_day(s)} ({_load(s)}), Presidio {_day(p)} ({_load(p)}), "
                     f"{_runs(len(s.get('summary', {}).get('every_run', [])))} each")
    lines.append("")
    lines.append("\"Scan\" is the scan alone, timed inside each process (median run); \"process\" is the whole "
                 "process from outside (start-up, imports, reading, scanning): wall median, min–max in brackets, "
                 "peak RSS. The headline ratio is the whole-process wall one (CPU in brackets).")
    lines.append("Measured (date, the machine's 1-minute load average before→after):")
    lines.extend(notes)
    return "\n".join(lines)


def demo_reports_table(results: dict[str, Any]) -> str:
    summary, added = results["summary"], results["added_share"]
    inside = {"summary": results["reports"]}  # the builders' seconds, in the shape _spread reads
    lines = ["| | wall | CPU |", "| --- | --- | --- |",
             f"| `steward demo`, whole process (fresh home) | {_spread(results, 'wall_s')} | {_spread(results, 'cpu_s')} |",
             f"| building every report, inside it | {_spread(inside, 'wall_s')} | {_spread(inside, 'cpu_s')} |",
             f"| what building them adds to the demo | {added['median']:.1%} ({added['min']:.1%}–{added['max']:.1%}) | |",
             "",
             "\"Building\" is every page builder's own time, summed inside the demo process: each duty's report "
             "writer, the compliance evidence pack, the reports index after every duty run, the owners' monthly "
             "pages and the portfolio (CPU: the building thread's own). \"Adds\" is report wall / (demo wall − "
             "report wall), per run; median, min–max in brackets.",
             f"Measured {_day(results)} ({_load(results)}, {_runs(summary['runs'])}, each on a fresh STEWARD_HOME)."]
    return "\n".join(lines)


def fleet_table(results: dict[str, Any]) -> str:
    header = ["systems", "duty runs", "how", "workers", "wall", "CPU (night + Prefect server)", "load during",
              "systems per minute", "speed-up over 1 worker"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    notes = []
    for size, fleet in sorted(results["fleets"].items(), key=lambda kv: int(kv[0])):
        nights = fleet["nights"]
        one = nights.get("1")
        for workers, n in sorted(nights.items(), key=lambda kv: int(kv[0])):
            speed = f"{one['wall_s'] / n['wall_s']:.2f}×" if one and workers != "1" else "-"
            lines.append("| " + " | ".join([
                f"{int(size):,}", f"{fleet['duty_runs']:,}", f"{fleet['batch_runs']} batch runs, process work pool",
                workers, f"{n['wall_s']:,.0f} s", f"{n['cpu_s']:,.0f} s + {n['server_cpu_s']:,.0f} s",
                f"{n['load_during']:.1f}", f"{int(size) / n['wall_s'] * 60:.1f}", speed]) + " |")
            notes.append(f"- {int(size):,} systems, {workers} worker(s): {_day(n)} ({_load(n)}), "
                         f"batch runs {', '.join(f'{k} {v}' for k, v in n['states'].items())}")
        if peer := fleet.get("per_run"):
            lines.append("| " + " | ".join([
                f"{int(size):,}", f"{fleet['duty_runs']:,}", "each duty its own flow run (before)", "2 processes",
                f"{peer['process_wall_s']:,.0f} s", f"{peer['cpu_s']:,.0f} s + {peer['server_cpu_s']:,.0f} s", "-",
                f"{int(size) / peer['process_wall_s'] * 60:.1f}", "-"]) + " |")
            notes.append(f"- {int(size):,} systems, each duty its own flow run: {_day(peer)} ({_load(peer)}), "
                         f"{peer['errors']} errors")
    lines.append("")
    lines.append("Wall is from creating the night's runs to the last one's end, workers started and stopped inside it; "
                 "CPU (user + system) is that whole process tree (workers, the flow-run processes they start) plus "
                 "the Prefect server's over the same time. \"Load during\" is the 1-minute load average sampled "
                 "through the night: above 2, other work shared the two cores.")
    lines.append("Measured (date, the machine's 1-minute load average before→after):")
    lines.extend(notes)
    return "\n".join(lines)


def _secs(summary: dict[str, float] | None) -> str:
    """'0.95 s (0.90–1.10)': a median in seconds, two decimals under 10 s, and its range over several runs."""
    if not summary:
        return "-"

    def f(x: float) -> str:
        return f"{x:.2f}" if x < 10 else f"{x:.1f}"

    return f"{f(summary['median'])} s" + ("" if summary["min"] == summary["max"] else
                                         f" ({f(summary['min'])}–{f(summary['max'])})")


def _process(summary: dict[str, Any]) -> str:
    return (f"{_secs(summary['wall_s'])} wall, {_secs(summary['cpu_s'])} CPU, "
            f"{summary['peak_rss_mb']['max']:,.0f} MB")


def _cost_cells(run: dict[str, Any] | None, calls: int) -> list[str]:
    if run is None:
        return ["not run", "-", "-"]
    if "error" in run:
        return [f"{run['error']} ({_process(run['process'])})", "-", "-"]
    inside = run["in_process_s"]
    return [_process(run["process"]), f"{_secs(inside)}, {calls / inside['median'] / 1e6:.2f}M rows/s",
            _secs(run.get("db_cpu_s"))]


def _plan(lines: list[str]) -> str:
    """An EXPLAIN ANALYZE as its chain of nodes, with what decides its speed: partitions, workers, time."""
    nodes, extra = [], ""
    for line in lines:
        text = line.strip().removeprefix("->").strip()
        if "  (cost=" in text:
            nodes.append(text.split("  (cost=")[0])
        elif text.startswith(("Planned Partitions:", "Workers Launched:")):
            nodes[-1] += f" ({text.split('  ')[0].lower()})"
        elif text.startswith("Execution Time:"):
            extra = f"{float(text.split()[2]) / 1000:.1f} s"
    return " ← ".join(nodes) + f", executed in {extra}"


def cost_table(results: dict[str, Any]) -> str:
    header = ["calls in the month", "database", "Steward (pushdown): whole process", "its aggregation (in-process)",
              "database CPU", "naive (all rows into pandas): whole process", "its aggregation (in-process)",
              "database CPU", "naive / Steward: whole process (CPU)", "in-process", "peak memory"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    notes, plans = [], []
    titles = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    for row in sorted(results["rows"], key=lambda r: (r["calls"], r["database"] != "sqlite")):
        push, naive = row.get("pushdown"), row.get("naive")
        size = f"{row['calls'] / 1e6:g}M"
        ratios = ["-", "-", "-"]
        if push and naive and "error" not in push and "error" not in naive:
            p, n = push["process"], naive["process"]
            ratios = [f"{_times(n['wall_s']['median'] / p['wall_s']['median'])} "
                      f"({_times(n['cpu_s']['median'] / p['cpu_s']['median'])})",
                      _times(naive["in_process_s"]["median"] / push["in_process_s"]["median"]),
                      _times(n["peak_rss_mb"]["max"] / p["peak_rss_mb"]["max"])]
        lines.append("| " + " | ".join([size, titles[row["database"]], *_cost_cells(push, row["calls"]),
                                         *_cost_cells(naive, row["calls"]), *ratios]) + " |")
        measured = "; ".join(f"{path} {_day(run['process'])} ({_load({'summary': run['process']})}, "
                             f"{_runs(run['process']['runs'])})" for path, run in (("pushdown", push), ("naive", naive)) if run)
        notes.append(f"- {size} {titles[row['database']]}: {measured}")
        if setup := row.get("setup"):
            plans.append(f"- {size}: generated in {setup['generated_s']:.0f} s ({setup['table_mb']:,} MB); "
                         f"`steward index` statements {setup['declared_s']:.0f} s. Before: {_plan(setup['plan_before'])}. "
                         f"After: {_plan(setup['plan'])}.")
    imports = results["imports"]
    lines.append("")
    lines.append("\"Whole process\" is each path's own process from outside (start-up, imports, the query, building "
                 "the frame): wall and CPU (user + system) medians, min–max in brackets, and the largest peak RSS. "
                 "Its CPU is the client's only: the database's work is the \"database CPU\" column (PostgreSQL's "
                 "backend and parallel workers, read from /proc; not measured for SQLite, which runs inside the "
                 "process). \"In-process\" is the aggregation alone, timed inside the process. Ratios are of the "
                 "medians. Every process first pays the fixed start-up of a process that only imports what both "
                 f"paths import (the interpreter, pandas, SQLAlchemy, the runbook models, psycopg): "
                 f"{_process(imports)} ({_day(imports)}, {_load({'summary': imports})}).")
    lines.append("Measured (date, the machine's 1-minute load average before→after, runs):")
    lines.extend(notes)
    if plans:
        lines.append("PostgreSQL plans of the pushdown (EXPLAIN ANALYZE, before and after `steward index`):")
        lines.extend(plans)
    return "\n".join(lines)


TABLES: dict[str, tuple[str, Callable[[dict[str, Any]], str]]] = {
    "drift": ("drift_vs_peers.json", drift_table),
    "pii": ("pii_scan.json", pii_table),
    "demo_reports": ("demo_reports.json", demo_reports_table),
    "fleet": ("nightly_fleet.json", fleet_table),
    "cost": ("cost_review.json", cost_table),
}


def block(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- bench:{name} -->\n)(?:.*?\n)?(<!-- /bench:{name} -->)", re.S)


def rendered(name: str, results_dir: Path = RESULTS) -> str:
    """The table from its results file; a benchmark that has not written one yet says so instead."""
    file, render = TABLES[name]
    if not (results_dir / file).is_file():
        return f"Not measured yet: `benchmarks/{file.removesuffix('.json')}.py` writes `benchmarks/results/{file}`."
    return render(json.loads((results_dir / file).read_text()))


def rewrite(readme: str, results_dir: Path = RESULTS) -> str:
    """``readme`` with every marked block replaced by its table; a missing marker is an error."""
    for name in TABLES:
        pattern = block(name)
        if not pattern.search(readme):
            raise SystemExit(f"README.md: no <!-- bench:{name} --> ... <!-- /bench:{name} --> block")
        table = rendered(name, results_dir)
        readme = pattern.sub(lambda m: m.group(1) + table + "\n" + m.group(2), readme)
    return readme


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when README.md differs from the results")
    args = parser.parse_args(argv)
    current = README.read_text()
    wanted = rewrite(current)
    if args.check:
        print("README.md is up to date" if wanted == current else "README.md is stale: run benchmarks/readme_tables.py")
        return 0 if wanted == current else 1
    README.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())

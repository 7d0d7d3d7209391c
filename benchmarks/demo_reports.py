"""What building every report adds to `make demo`: the whole demo timed from outside, the page builders inside.

Each run starts ``steward demo`` (full scale, 90 days, as ``make demo`` runs it) as its own process under
``benchmarks/harness.py``, with a fresh STEWARD_HOME. Inside that process every function that builds a page
is wrapped by a timer before the flows import it: each duty's report writer, the compliance evidence pack,
the reports index (gathered and written after every duty run) and the owners' monthly pages with the
portfolio. The child prints their summed wall and CPU seconds (``time.thread_time``: the building thread's
own CPU, so the Prefect server's work is not counted); the share is what the demo would take less without
them: report wall / (demo wall - report wall).

    .venv/bin/python benchmarks/demo_reports.py [--runs 2]

Writes benchmarks/results/demo_reports.json; benchmarks/readme_tables.py renders it into the README.
"""

from __future__ import annotations

import argparse
import atexit
import importlib
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
RESULTS = HERE / "results" / "demo_reports.json"
MARK = "demo-reports-timing: "
BUILDERS = [  # (module, function): every page the demo writes is built by one of these
    ("tasks.drift.report", "write_drift_report"),
    ("tasks.outcomes.report", "write_outcome_report"),
    ("tasks.cost.report", "write_cost_report"),
    ("tasks.compliance.report", "write_evidence_pack"),
    ("tasks.refresh.report", "write_refresh_report"),
    ("tasks.change.report", "write_change_report"),
    ("tasks.render.index", "gather_index"),
    ("tasks.render.index", "write_index"),
    ("deployments.demo.run", "owner_pages"),
]


def _timed_demo() -> None:
    """The child: wrap the builders, then run the CLI's ``demo`` as ``make demo`` does."""
    totals: dict[str, list[float]] = {}
    lock, inside = threading.Lock(), threading.local()

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if getattr(inside, "depth", 0):  # a builder called by another is counted once, by the outer one
                return fn(*args, **kwargs)
            inside.depth, wall, cpu = 1, time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                inside.depth = 0
                with lock:
                    entry = totals.setdefault(name, [0, 0.0, 0.0])
                    entry[0] += 1
                    entry[1] += time.perf_counter() - wall
                    entry[2] += time.thread_time() - cpu
        return wrapper

    wrapped: dict[int, Callable[..., Any]] = {}  # id of the original -> its timed wrapper
    for module, name in BUILDERS:
        owner = importlib.import_module(module)
        original = getattr(owner, name)
        wrapped[id(original)] = timed(f"{module}.{name}", original)
        setattr(owner, name, wrapped[id(original)])
    from deployments.cli import main

    for module in list(sys.modules.values()):  # anything that imported a builder before it was wrapped
        for attr, value in list(getattr(module, "__dict__", {}).items()):
            if id(value) in wrapped:
                setattr(module, attr, wrapped[id(value)])

    def report() -> None:
        print(MARK + json.dumps({"wall_s": sum(v[1] for v in totals.values()),
                                 "cpu_s": sum(v[2] for v in totals.values()),
                                 "builders": {k: {"calls": int(v[0]), "wall_s": round(v[1], 3),
                                                  "cpu_s": round(v[2], 3)} for k, v in sorted(totals.items())}}),
              file=sys.stderr, flush=True)

    atexit.register(report)
    sys.argv = ["steward", "demo"]
    main()


def run(runs: int) -> dict[str, Any]:
    from benchmarks import harness

    before, kept, inside = harness.load_average(), [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="steward-demo-bench-") as home:
            env = {**os.environ, "STEWARD_HOME": home, "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                   "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120", "COLUMNS": "200"}
            env = {k: v for k, v in env.items() if not k.startswith("PREFECT_API")}
            done = harness.measure([sys.executable, str(Path(__file__).resolve()), "--child"], env=env)
            if done.error or done.exit_code != 0:
                raise RuntimeError(f"demo failed: {done.error or done.exit_code}\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
            line = next(x for x in done.stderr.splitlines() if x.startswith(MARK))
            kept.append(done.figures())
            inside.append(json.loads(line.removeprefix(MARK)))
            print(f"demo {done.wall_s:.1f} s wall, {done.cpu_s:.1f} s CPU; reports {inside[-1]['wall_s']:.1f} s wall, "
                  f"{inside[-1]['cpu_s']:.1f} s CPU", flush=True)
    summary = harness.summarise(kept, before, harness.load_average())
    summary["every_run"] = kept
    added = [i["wall_s"] / (k["wall_s"] - i["wall_s"]) for i, k in zip(inside, kept, strict=True)]
    return {"machine": harness.machine(), "command": "steward demo (90 days, scale 1: what make demo runs)",
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "summary": summary,
            "reports": {"wall_s": harness.spread([i["wall_s"] for i in inside]),
                        "cpu_s": harness.spread([i["cpu_s"] for i in inside]),
                        "every_run": inside},
            "added_share": harness.spread(added)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _timed_demo()
        return 0
    results = run(args.runs)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    share = results["added_share"]["median"]
    print(f"building every report adds {share:.1%} to the demo (median of {args.runs}); {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

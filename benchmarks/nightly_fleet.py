"""How many AI systems one 2-core machine keeps under watch each night.

Simulates the demo logs once, writes ``--systems`` runbooks (copies of the two
demo systems under new ids, alternating, each reading the same demo tables),
starts a real Prefect server, and runs every *scheduled* duty of every system
for its default window (the night, week or month before the simulated "today"),
spread over ``--workers`` processes as ``steward serve`` would run them. Refresh
is left out: it is triggered by an owner or a sustained breach, not nightly.

Prints wall time, flow runs, failures, and systems per minute; the named peer is
the same fleet run one system at a time (``--workers 1``), so the ratio shows
what the second core buys.

    .venv/bin/python benchmarks/nightly_fleet.py [--systems 50] [--workers 2] [--scale 0.2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WORKER = """
import json, sys, time
from pathlib import Path
from flows.registry import available, duty_flow
from runbooks.loader import load_catalog
catalog = load_catalog(Path(sys.argv[1]))
results = []
for system in sys.argv[2:]:
    for duty, section in catalog.get(system).duties().items():
        if not available(duty) or section.schedule is None:
            continue
        started = time.monotonic()
        try:
            report = duty_flow(duty)(system=system, runbooks=sys.argv[1])
            results.append([system, duty.value, report.status.value, time.monotonic() - started])
        except Exception as exc:
            results.append([system, duty.value, "error: " + type(exc).__name__, time.monotonic() - started])
print(json.dumps(results))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_fleet(runbooks: Path, systems: int) -> list[str]:
    shutil.copytree(REPO / "runbooks" / "playbooks", runbooks / "playbooks")
    (runbooks / "systems").mkdir(parents=True)
    names = []
    for i in range(systems):
        template = ("fraud-scoring", "support-assistant")[i % 2]
        name = f"{template}-{i:03d}"
        text = (REPO / "runbooks" / "systems" / f"{template}.yaml").read_text()
        (runbooks / "systems" / f"{name}.yaml").write_text(text.replace(f"system: {template}", f"system: {name}"))
        names.append(name)
    return names


def run_fleet(home: Path, runbooks: Path, names: list[str], workers: int, api: str) -> tuple[float, list]:
    env = {**os.environ, "STEWARD_HOME": str(home), "PREFECT_API_URL": api, "DO_NOT_TRACK": "1",
           "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL",
           "PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL": "CRITICAL",
           "PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL": "CRITICAL"}
    shares = [names[w::workers] for w in range(workers)]
    started = time.monotonic()
    processes = [subprocess.Popen([sys.executable, "-c", WORKER, str(runbooks), *share], cwd=REPO, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                 for share in shares if share]
    results = [row for p in processes for row in json.loads(p.communicate()[0] or "[]")]
    return time.monotonic() - started, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scale", type=float, default=0.2, help="Demo traffic multiplier per system.")
    args = parser.parse_args()

    from deployments.demo.simulator import write_demo_database
    from deployments.up import start_server, stop_server

    with tempfile.TemporaryDirectory(prefix="steward-fleet-") as tmp:
        home = Path(tmp)
        os.environ["STEWARD_HOME"] = str(home)
        end = datetime.now(UTC).date() - timedelta(days=1)
        write_demo_database(f"sqlite:///{home / 'demo.db'}", end=end, days=90, scale=args.scale)
        names = write_fleet(home / "runbooks", args.systems)
        port = free_port()
        server = start_server("127.0.0.1", port, home, print)
        api = f"http://127.0.0.1:{port}/api"
        try:
            # Warm-up: the first run of each system builds its drift baseline; nightly runs find it stored.
            run_fleet(home, home / "runbooks", names, args.workers, api)
            timings = {}
            for workers in sorted({1, args.workers}):
                timings[workers] = run_fleet(home, home / "runbooks", names, workers, api)
        finally:
            stop_server(server)

    print(f"\n{args.systems} systems, demo traffic x{args.scale}, every scheduled duty, default windows")
    print(f"{'workers':>8} {'wall s':>8} {'flow runs':>10} {'errors':>7} {'systems/min':>12}")
    for workers, (wall, results) in timings.items():
        errors = [r for r in results if r[2].startswith("error")]
        print(f"{workers:>8} {wall:>8.1f} {len(results):>10} {len(errors):>7} {args.systems / wall * 60:>12.1f}")
    if args.workers != 1:
        one, many = timings[1][0], timings[args.workers][0]
        print(f"{args.workers} workers / 1 worker: {one / many:.2f}x the systems per minute")
    per_duty: dict[str, list[float]] = {}
    for _system, duty, _status, seconds in timings[args.workers][1]:
        per_duty.setdefault(duty, []).append(seconds)
    for duty, seconds in sorted(per_duty.items()):
        print(f"  {duty:<11} {len(seconds):>4} runs, median {sorted(seconds)[len(seconds) // 2]:.2f} s per run")


if __name__ == "__main__":
    main()

"""How many AI systems one 2-core machine keeps under watch each night.

Simulates the demo logs once, writes ``--systems`` runbooks (copies of the two demo systems under new ids,
alternating, each reading the same demo tables) with ``nightly_batch: {shards: N}`` in ``fleet.yaml``, starts a
real Prefect server, creates a process work pool and deploys the fleet's ``nightly-batch`` deployments to it from
the ``prefect.yaml`` Steward renders (one per schedule and shard). Then, for each ``--workers`` count, it starts
that many ``prefect worker start --pool steward --limit 1`` processes on loopback, creates a run of every batch
deployment at once (every scheduled duty of every system on its default window: the night a Monday that is the
1st of the month is, the heaviest), and waits until all are over. Refresh is left out: it is triggered by an
owner or a sustained breach, not nightly.

Each night is one measured process (``harness.measure``): this script's trigger-and-wait, the workers and the
flow-run processes they start, so its CPU is the night's whole CPU bar the Prefect server's, which is read from
/proc and reported beside it. The load average is sampled through the night. Each system's drift baseline is
stored first, as a fleet's first night stores it once (profiled once per demo template: the copies read the
same tables).

``--per-run`` also measures the previous way, every duty of every system its own flow run (in two processes, no
work pool): the peer the batches replace.

    .venv/bin/python benchmarks/nightly_fleet.py [--systems 50] [--workers 1,2] [--shards 4] [--per-run]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import mean
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.harness import load_average, machine, measure, spread  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "nightly_fleet.json"
POOL = "steward"
QUIET = {"DO_NOT_TRACK": "1", "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL",
         "PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL": "CRITICAL",
         "PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL": "CRITICAL"}

# The previous way, the peer: each scheduled duty of each system its own flow run, called in-process.
PER_RUN = """
import json, sys
from pathlib import Path
from flows.registry import DUTY_WORK, duty_flow
from runbooks.loader import load_catalog
catalog = load_catalog(Path(sys.argv[1]))
results = []
for system in sys.argv[2:]:
    for duty, section in catalog.get(system).duties().items():
        if duty not in DUTY_WORK or section.schedule is None:
            continue
        try:
            results.append([system, duty.value, duty_flow(duty)(system=system, runbooks=sys.argv[1]).status.value])
        except Exception as exc:
            results.append([system, duty.value, "error: " + type(exc).__name__])
print(json.dumps(results))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_fleet(runbooks: Path, systems: int, shards: int) -> list[str]:
    shutil.copytree(REPO / "runbooks" / "playbooks", runbooks / "playbooks")
    (runbooks / "systems").mkdir(parents=True)
    (runbooks / "fleet.yaml").write_text(f"nightly_batch:\n  shards: {shards}\n")
    names = []
    for i in range(systems):
        template = ("fraud-scoring", "support-assistant")[i % 2]
        name = f"{template}-{i:04d}"
        text = (REPO / "runbooks" / "systems" / f"{template}.yaml").read_text()
        (runbooks / "systems" / f"{name}.yaml").write_text(text.replace(f"system: {template}", f"system: {name}"))
        names.append(name)
    return names


def fleet_env(home: Path, api: str) -> dict[str, str]:
    """What the workers (and the flow runs they start) see: this fleet's home, runbooks and server."""
    return {**os.environ, **QUIET, "STEWARD_HOME": str(home), "STEWARD_RUNBOOKS": str(home / "runbooks"),
            "STEWARD_REPO": str(REPO), "PYTHONPATH": str(REPO), "PREFECT_API_URL": api,
            "PREFECT_WORKER_QUERY_SECONDS": "2"}  # poll for the next batch every 2 s, not 10


def deploy_batches(home: Path, env: dict[str, str]) -> list[str]:
    """The process pool, and the fleet's batch deployments from the prefect.yaml Steward renders."""
    from deployments.plan import plan_deployments, render_prefect_yaml
    from flows.registry import BATCH_FLOW
    from runbooks.loader import load_catalog

    batches = [p for p in plan_deployments(load_catalog(home / "runbooks")) if p.flow == BATCH_FLOW]
    (home / "prefect.yaml").write_text(render_prefect_yaml(batches))
    prefect = [sys.executable, "-m", "prefect"]
    subprocess.run([*prefect, "work-pool", "create", POOL, "--type", "process"], env=env, cwd=REPO, check=True,
                   capture_output=True)
    subprocess.run([*prefect, "--no-prompt", "deploy", "--all", "--prefect-file", str(home / "prefect.yaml")],
                   env=env, cwd=REPO, check=True, capture_output=True)
    return [p.full_name for p in batches]


def store_baselines(home: Path, names: list[str]) -> None:
    """Each system's drift baseline, as its first night stores it: profiled once per template (every copy reads
    the same tables, so its first night would profile the same rows) and stored under each copy's id."""
    from runbooks.loader import load_catalog
    from tasks.drift.baseline import Baseline, create_baseline
    from tasks.drift.verdict import default_reference
    from tasks.io.sources import first_timestamp
    from tasks.store.baselines import current_baseline, save_baseline
    from tasks.store.database import open_store

    catalog = load_catalog(home / "runbooks")
    profiled: dict[str, Baseline] = {}
    for name in names:
        spec, template = catalog.get(name), name.rsplit("-", 1)[0]
        if template not in profiled:
            create_baseline(spec, default_reference(spec, first_timestamp(spec.source)), actor="steward (first night)")
            with open_store().session() as session:
                profiled[template] = Baseline.of(current_baseline(session, name))
            continue
        first = profiled[template]
        with open_store().session() as session:
            save_baseline(session, system=name, window=first.window, profile=first.profile,
                          rows_by_weekday=first.rows_by_weekday, created_by="steward (first night)")


def session_cpu(leader: int) -> float:
    """User + system CPU seconds of every live process in ``leader``'s session (the Prefect server)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == leader:  # field 6 of stat: the session id
            total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / ticks
    return total


def night(api: str, deployments: list[str], workers: int, env: dict[str, str]) -> dict[str, Any]:
    """The measured process: start the workers, run every batch deployment at once, wait, stop the workers."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    started = time.monotonic()
    pool = [subprocess.Popen([sys.executable, "-m", "prefect", "worker", "start", "--pool", POOL, "--type", "process",
                              "--limit", "1", "--name", f"bench-{i}"], env=env, cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(workers)]
    loads = []
    try:
        with get_client(sync_client=True) as client:
            ids = [client.create_flow_run_from_deployment(client.read_deployment_by_name(name).id).id
                   for name in deployments]
            ours = FlowRunFilter(id=FlowRunFilterId(any_=ids))
            while True:  # one request every 5 s: the wait must not add to the server's load it measures
                runs = client.read_flow_runs(flow_run_filter=ours, limit=len(ids))
                loads.append(os.getloadavg()[0])
                if len(runs) == len(ids) and all(r.state and r.state.is_final() for r in runs):
                    break
                time.sleep(5)
    finally:
        for worker in pool:
            worker.send_signal(signal.SIGINT)
        for worker in pool:
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    spans = [(r.end_time - r.start_time).total_seconds() for r in runs if r.start_time and r.end_time]
    return {"wall_s": round(time.monotonic() - started, 1), "batch_runs": len(runs),
            "states": {s: sum(r.state.name == s for r in runs) for s in sorted({r.state.name for r in runs})},
            "messages": sorted({r.state.message for r in runs if r.state.name not in ("Completed", "Attention")}),
            "batch_run_s": spread(spans) if spans else None, "load_during": round(mean(loads), 2)}


def per_run_peer(home: Path, names: list[str], env: dict[str, str]) -> dict[str, Any]:
    """The measured process: the previous way, every duty its own flow run, the fleet split over two processes."""
    shares = [names[w::2] for w in range(2)]
    processes = [subprocess.Popen([sys.executable, "-c", PER_RUN, str(home / "runbooks"), *share], cwd=REPO,
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                 for share in shares if share]
    rows = [row for p in processes for row in json.loads(p.communicate()[0] or "[]")]
    return {"flow_runs": len(rows), "errors": sum(r[2].startswith("error") for r in rows)}


def measured(step: str, args: argparse.Namespace, **extra: Any) -> dict[str, Any]:
    """One measured process running ``step`` of this script, with the server's CPU over the same time."""
    command = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--home", str(args.home),
               "--api", args.api, *(f"--{k}={v}" for k, v in extra.items())]
    before, server_before = load_average(), session_cpu(args.server_pid)
    run = measure(command, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout_s=4 * 3600)
    if run.error or run.exit_code != 0:
        raise SystemExit(f"{step}: {run.error or f'exit {run.exit_code}'}\n{run.stderr[-3000:]}")
    return {**json.loads(run.stdout.strip().splitlines()[-1]), "process_wall_s": round(run.wall_s, 1),
            "cpu_s": round(run.cpu_s, 1), "server_cpu_s": round(session_cpu(args.server_pid) - server_before, 1),
            "peak_rss_mb": round(run.peak_rss_mb), "load_1min": {"before": before, "after": load_average()},
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds")}


def step_main(args: argparse.Namespace) -> None:
    """A measured step, run as its own process: prints its JSON on the last line."""
    home = Path(args.home)
    env = fleet_env(home, args.api)
    os.environ.update(QUIET, PREFECT_API_URL=args.api)
    if args.step == "night":
        result = night(args.api, args.deployments.split(","), args.workers, env)
    else:
        result = per_run_peer(home, sorted(p.stem for p in (home / "runbooks" / "systems").glob("*.yaml")), env)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--systems", type=int, default=50)
    parser.add_argument("--workers", default="1,2", help="Worker counts to measure, e.g. 1,2,4.")
    parser.add_argument("--shards", type=int, default=4, help="Batch runs per schedule (fleet.yaml).")
    parser.add_argument("--scale", type=float, default=0.2, help="Demo traffic multiplier per system.")
    parser.add_argument("--per-run", action="store_true", help="Also measure every duty as its own flow run.")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--deployments", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        args.workers = int(args.workers) if args.step == "night" else 0
        step_main(args)
        return

    from deployments.demo.simulator import write_demo_database
    from deployments.up import start_server, stop_server

    with tempfile.TemporaryDirectory(prefix="steward-fleet-") as tmp:
        home = args.home = Path(tmp)
        os.environ.update(QUIET, STEWARD_HOME=str(home), PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false")
        write_demo_database(f"sqlite:///{home / 'demo.db'}", end=datetime.now(UTC).date() - timedelta(days=1),
                            days=90, scale=args.scale)
        names = write_fleet(home / "runbooks", args.systems, args.shards)
        port = free_port()
        server = start_server("127.0.0.1", port, home, print)
        args.api, args.server_pid = f"http://127.0.0.1:{port}/api", server.pid
        try:
            batches = deploy_batches(home, fleet_env(home, args.api))
            store_baselines(home, names)
            print(f"{len(batches)} batch deployments; each system's drift baseline stored")
            nights = {}
            for workers in sorted({int(w) for w in args.workers.split(",")}):
                nights[str(workers)] = measured("night", args, workers=workers, deployments=",".join(batches))
                print(f"{workers} worker(s): {json.dumps(nights[str(workers)])}")
            peer = measured("per-run", args) if args.per_run else None
        finally:
            stop_server(server)

    entry = {"systems": args.systems, "scale": args.scale, "shards": args.shards, "duty_runs": args.systems * 4,
             "batch_runs": len(batches), "nights": nights, "per_run": peer}
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"fleets": {}}
    results["machine"] = machine()
    results["fleets"][str(args.systems)] = {**results["fleets"].get(str(args.systems), {}), **entry,
                                            "nights": {**results["fleets"].get(str(args.systems), {}).get("nights", {}),
                                                       **nights},
                                            "per_run": peer or results["fleets"].get(str(args.systems), {}).get("per_run")}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{args.systems} systems, demo traffic x{args.scale}, every scheduled duty, default windows, "
          f"{len(batches)} batch runs")
    print(f"{'workers':>8} {'wall s':>8} {'CPU s':>8} {'server CPU s':>13} {'load':>6} {'systems/min':>12}")
    for workers, n in nights.items():
        print(f"{workers:>8} {n['wall_s']:>8.1f} {n['cpu_s']:>8.1f} {n['server_cpu_s']:>13.1f} {n['load_during']:>6.1f} "
              f"{args.systems / n['wall_s'] * 60:>12.1f}  {n['states']}")
    if peer:
        print(f"per-run peer: {peer['process_wall_s']:.1f} s wall, {peer['cpu_s']:.1f} s CPU, {peer['flow_runs']} flow "
              f"runs, {peer['errors']} errors")


if __name__ == "__main__":
    main()

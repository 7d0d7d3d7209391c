"""Cost review aggregation at scale: GROUP BY pushed into the database against the naive path.

For each size (default 1M and 10M calls in one month) and each database (SQLite
file, PostgreSQL), generates a log table, then runs in a fresh process each:

- ``pushdown``: Steward's path, ``tasks.cost.data.aggregate_sql`` (one GROUP BY through SQLAlchemy Core);
- ``naive``: load every call into pandas (``read_calls``), then group (``aggregate_frame``).

and prints rows per second, peak memory (the process's max RSS) and the ratios.
Each child runs under an address-space cap (``--memory-cap-gb``, default 8) so the
naive path fails with MemoryError instead of starving a shared machine.

    .venv/bin/python benchmarks/cost_review.py --sizes 1M --backends sqlite,postgresql

SQLite files are kept in ``benchmarks/.data/`` for re-runs; the PostgreSQL database
(``steward_bench_cost`` on ``--pg-url``'s server) is created and dropped by each run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
DATA = HERE / ".data"
RESULTS = HERE / "results" / "cost_review.json"
TABLE = "bench_calls"
MONTH = "2026-10"
PG_DATABASE = "steward_bench_cost"
CHUNK = 1_000_000
COLUMNS = ["request_id", "ts", "model_name", "route", "prompt_version", "tokens_in", "tokens_out", "cached_tokens",
           "latency_ms"]
DDL = (f"CREATE TABLE {TABLE} (request_id BIGINT, ts TIMESTAMP, model_name VARCHAR(64), route VARCHAR(32), "
       "prompt_version VARCHAR(32), tokens_in INTEGER, tokens_out INTEGER, cached_tokens INTEGER, latency_ms REAL)")


def chunk(rng: np.random.Generator, first_id: int, n: int) -> pd.DataFrame:
    """``n`` calls spread over October 2026, shaped like the demo's support assistant."""
    start = np.datetime64("2026-10-01T00:00:00")
    ts = start + rng.integers(0, 31 * 86_400, n).astype("timedelta64[s]")
    tokens_in = rng.integers(300, 3_000, n)
    return pd.DataFrame({
        "request_id": np.arange(first_id, first_id + n),
        "ts": ts,
        "model_name": np.array(["gpt-4o-mini", "gpt-4o", "acme-llama-70b"])[rng.choice(3, n, p=[0.6, 0.37, 0.03])],
        "route": np.array(["billing", "technical", "account", "smalltalk"])[rng.choice(4, n, p=[.36, .3, .2, .14])],
        "prompt_version": np.where(ts >= np.datetime64("2026-10-14"), "support-v3", "support-v2"),
        "tokens_in": tokens_in,
        "tokens_out": rng.integers(20, 400, n),
        "cached_tokens": np.where(rng.random(n) < 0.02, tokens_in // 2, 0),
        "latency_ms": rng.gamma(6.0, 200.0, n).round(1),
    })


def sqlite_log(rows: int) -> str:
    """A SQLite file holding ``rows`` calls, built once and kept."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"cost-{rows}.db"
    if path.exists():
        return f"sqlite:///{path}"
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    rng = np.random.default_rng(rows)
    with sqlite3.connect(partial) as connection:
        connection.execute(DDL)
        for first in range(0, rows, CHUNK):
            frame = chunk(rng, first, min(CHUNK, rows - first))
            frame["ts"] = frame["ts"].dt.strftime("%Y-%m-%d %H:%M:%S")
            connection.executemany(f"INSERT INTO {TABLE} VALUES ({', '.join('?' * len(COLUMNS))})",
                                   frame.itertuples(index=False, name=None))
        connection.execute(f"CREATE INDEX ix_{TABLE}_ts ON {TABLE} (ts)")
    partial.rename(path)
    return f"sqlite:///{path}"


def postgres_log(admin_url: str, rows: int) -> str:
    """A fresh PostgreSQL database holding ``rows`` calls, loaded with COPY."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    bench = url.set(database=PG_DATABASE)
    rng = np.random.default_rng(rows)
    with psycopg.connect(bench.set(drivername="postgresql").render_as_string(hide_password=False)) as connection:
        connection.execute(DDL)
        with connection.cursor() as cursor:
            for first in range(0, rows, CHUNK):
                buffer = io.StringIO()
                chunk(rng, first, min(CHUNK, rows - first)).to_csv(buffer, index=False, header=False)
                with cursor.copy(f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)") as copy:
                    copy.write(buffer.getvalue())
        connection.execute(f"CREATE INDEX ix_{TABLE}_ts ON {TABLE} (ts)")
        connection.execute(f"ANALYZE {TABLE}")
    return bench.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def drop_postgres(admin_url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    plain = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')


def bench_spec(url: str):
    from runbooks.spec import RunbookSpec

    return RunbookSpec.model_validate({
        "system": "cost-bench", "description": "benchmark log", "kind": "llm_app",
        "owner": {"name": "B", "role": "bench", "slack_user_id": "U0BENCH001",
                  "backup": {"name": "C", "slack_user_id": "U0BENCH002"}},
        "source": {"url": url, "table": TABLE, "columns": {
            "request_id": "request_id", "timestamp": "ts", "model_name": "model_name", "route": "route",
            "prompt_template": "prompt_version", "tokens_in": "tokens_in", "tokens_out": "tokens_out",
            "cached_tokens": "cached_tokens", "latency_ms": "latency_ms"}},
        "cost": {},
    })


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss it does not carry the parent's over exec)."""
    status = Path("/proc/self/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")) / 1024


def child(path: str, url: str, cap_gb: float) -> None:
    """One measured run in this process: print seconds, groups and a checksum as JSON."""
    cap = int(cap_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    from tasks.cost.data import aggregate_frame, aggregate_sql, read_calls
    from tasks.core.windows import Window

    spec, window = bench_spec(url), Window.month(MONTH)
    started = time.perf_counter()
    try:
        groups = aggregate_sql(spec, window) if path == "pushdown" else aggregate_frame(*read_calls(spec, window), spec)
    except MemoryError:
        groups = None
    seconds = time.perf_counter() - started
    peak_mb = peak_rss_mb()
    if groups is None:
        print(json.dumps({"error": f"MemoryError at the {cap_gb:g} GB cap", "peak_mb": peak_mb}))
        return
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "groups": len(groups),
                      "calls": float(groups["calls"].sum()), "tokens_in": float(groups["tokens_in"].sum())}))


def measure(path: str, url: str, cap_gb: float) -> dict:
    """One path in a fresh process: its in-process seconds and VmHWM, plus the whole process (benchmarks/harness.py)."""
    from benchmarks.harness import load_average, measure as whole_process

    before = load_average()
    done = whole_process([sys.executable, __file__, "--child", path, "--url", url, "--memory-cap-gb", str(cap_gb)],
                         env={**os.environ, "DO_NOT_TRACK": "1"})
    lines = done.stdout.strip().splitlines()
    result = json.loads(lines[-1]) if lines else {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:120],
                                                  "peak_mb": None}
    return {**result, "process": done.figures(), "load_1min": {"before": before, "after": load_average()}}


def parse_size(text: str) -> int:
    text = text.strip().upper()
    return int(float(text[:-1]) * {"K": 1e3, "M": 1e6}[text[-1]]) if text[-1] in "KM" else int(text)


def report(size: int, backend: str, runs: dict[str, dict], saved: dict[tuple[int, str], dict]) -> None:
    """Print this run's lines and merge them into the saved results; ratios when both paths have a time."""
    row = saved.setdefault((size, backend), {"calls": size, "database": backend})
    for path, run in runs.items():
        rate = size / run["seconds"] if "seconds" in run else None
        process = run.get("process", {})
        print(f"{size / 1e6:>5g}M {backend:<10} {path:<9} "
              + (f"{run['seconds']:>8.2f} {rate:>12,.0f} " if rate else f"{run.get('error', '?'):>21} ")
              + (f"{run['peak_mb']:>8,.0f}" if run["peak_mb"] else f"{'?':>8}")
              + (f"  whole process {process['wall_s']:.2f} s wall, {process['cpu_s']:.2f} s CPU, "
                 f"{process['peak_rss_mb']:,.0f} MB, load {run['load_1min']['after']}" if process else ""), flush=True)
        row[path] = {**run, "at": datetime.now(UTC).isoformat(timespec="seconds")}
    push, naive = row.get("pushdown", {}), row.get("naive", {})
    if "seconds" in push and "seconds" in naive:
        same = all(push[k] == naive[k] for k in ("groups", "calls", "tokens_in"))
        row["speedup"], row["memory_ratio"] = naive["seconds"] / push["seconds"], naive["peak_mb"] / push["peak_mb"]
        print(f"       naive / pushdown: {row['speedup']:.1f}× the time, {row['memory_ratio']:.1f}× the memory; "
              f"same result: {'yes' if same else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,10M")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--paths", default="pushdown,naive")
    parser.add_argument("--pg-url", default=os.environ.get("STEWARD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--memory-cap-gb", type=float, default=8.0)
    parser.add_argument("--child", choices=["pushdown", "naive"])
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.memory_cap_gb)
        return

    saved = {(r["calls"], r["database"]): r for r in json.loads(RESULTS.read_text())} if RESULTS.exists() else {}
    print(f"{'calls':>6} {'database':<10} {'path':<9} {'seconds':>8} {'rows/s':>12} {'peak MB':>8}")
    for size in (parse_size(s) for s in args.sizes.split(",")):
        for backend in args.backends.split(","):
            started = time.perf_counter()
            url = sqlite_log(size) if backend == "sqlite" else postgres_log(args.pg_url, size)
            print(f"# {backend} log of {size:,} calls ready in {time.perf_counter() - started:.0f} s", flush=True)
            try:
                runs = {path: measure(path, url, args.memory_cap_gb) for path in args.paths.split(",")}
            finally:
                if backend == "postgresql":
                    drop_postgres(args.pg_url)
            report(size, backend, runs, saved)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(list(saved.values()), indent=2))
    print(f"results: {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()

"""Steward's ad-hoc drift check against the usual open-source drift tools.

Evidently (``DataDriftPreset``) and NannyML (``UnivariateDriftCalculator``) are
what people reach for to answer "has this data drifted?". This script asks all
of them the same question on the same data and reports, per data size:

* wall time and peak RSS of each tool, each run as a whole separate process, so
  interpreter start-up, imports and reading the Parquet files count;
* each peer's wall time as a multiple of Steward's, Steward's peak RSS as a
  fraction of each peer's, and Steward's wall time against a read-only floor (a
  process that only reads both files with pyarrow and exits);
* which columns each tool flagged, and whether that is exactly the 5 columns the
  generator shifted (false positives and negatives named).

Tools:

  steward    ``steward drift REFERENCE CURRENT --format json`` from the project's
             virtualenv (exit 0 = no drift, 1 = drift; both are successes).
  evidently  benchmarks/peer_evidently.py: Evidently 0.7.23, default preset.
  nannyml    benchmarks/peer_nannyml.py: NannyML 0.13.1, default methods; the
             reference is cut into 10 chunks to set NannyML's thresholds and a
             column is flagged when any analysis chunk alerts (see that file).
  readonly   ``pyarrow.parquet.read_table`` on both files, nothing else.

The peers run in their own virtualenv, benchmarks/.venv-peers, built from
benchmarks/requirements-peers.txt on first use (or with --setup-peers): they are
never part of Steward's dependencies (Evidently 0.7 needs pandas < 3).

Data: generated deterministically (numpy seed) into benchmarks/.data/ on first
use, one Parquet file per side per size: 20 numeric and 5 categorical columns.
In ``current`` exactly 5 columns are shifted, each by a clearly material amount:

  num_shift_mean    normal, mean +0.5 standard deviation
  num_shift_spread  lognormal, sigma 1.0 -> 1.5
  num_shift_tail    Pareto, tail index 3.0 -> 1.5 (heavier tail)
  num_shift_zeros   zero-inflated, zero share 60% -> 35%
  cat_shift         8 categories, top category 50% -> 30%, mass moved to the rest

The other 20 columns (normal, lognormal, uniform, exponential, gamma, Poisson
and negative-binomial counts, low-cardinality integers, a stable zero-inflated
column, and 4 string categoricals of 3 to 50 categories) have the same
distribution on both sides, drawn independently.

Measurement: benchmarks/harness.py, the same for every tool: each run is its own
process reaped with ``os.wait4`` (wall time around it; user+system CPU seconds and
peak RSS from the kernel). The files are read once before each size so every tool
starts with a warm page cache. Each tool runs --repeat times (default 3): the median
wall and CPU time with min and max and the largest peak RSS are shown, with the
machine's 1-minute load average before and after; every run is kept in the JSON, with
the read and compute seconds a peer times inside its own process (Steward reads and
profiles a few columns at a time, so it has no separate compute phase). The headline
ratios are whole-process. Results are printed and merged into
benchmarks/results/drift_vs_peers.json (per size and tool, so a later run of one
tool or size keeps the others).

    .venv/bin/python benchmarks/drift_vs_peers.py                       # 100k, 1m, 2m, every tool
    .venv/bin/python benchmarks/drift_vs_peers.py --sizes 100k --tools steward,readonly
    .venv/bin/python benchmarks/drift_vs_peers.py --sizes 8m --tools steward,readonly   # linearity
    .venv/bin/python benchmarks/drift_vs_peers.py --sizes 2m --tools evidently --repeat 1

Evidently at 2M rows per side takes about 5 minutes and 4-6 GB a run; the machine
this was written on has 2 cores and 24 GiB. 8M rows per side is about 1.8 GB of
Parquet: Steward and the read-only floor only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import Run, load_average, machine, measure, spread, summarise  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DEFAULT_DATA_DIR = BENCH_DIR / ".data"
PEERS_VENV = BENCH_DIR / ".venv-peers"
PEERS_REQUIREMENTS = BENCH_DIR / "requirements-peers.txt"
RESULTS_FILE = BENCH_DIR / "results" / "drift_vs_peers.json"
DEFAULT_STEWARD = ROOT / ".venv" / "bin" / "steward"

SEED = 20_240_917
GENERATOR_VERSION = 1  # bump when the data changes: cached files and stored results are then replaced
SIZES = {"100k": 100_000, "1m": 1_000_000, "2m": 2_000_000, "8m": 8_000_000}  # 8m: for linearity (Steward, read-only)
TOOLS = ("steward", "evidently", "nannyml", "readonly")
TOOL_TITLES = {"steward": "Steward", "evidently": "Evidently", "nannyml": "NannyML", "readonly": "read-only"}
IN_PROCESS = ("read_s", "compute_s")  # what a peer times inside its own process (Steward reads and profiles at once)
EXPECTED_DRIFTED = ("num_shift_mean", "num_shift_spread", "num_shift_tail", "num_shift_zeros", "cat_shift")

READONLY_CODE = (
    "import sys, pyarrow.parquet as pq\n"
    "tables = [pq.read_table(path) for path in sys.argv[1:]]\n"
    "print(sum(t.num_rows for t in tables))\n"
)

# Categorical columns: name -> (categories, probabilities). cat_shift's current side is derived below.
CATEGORICALS: dict[str, tuple[list[str], np.ndarray]] = {}


def _zipf(n: int, s: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** s
    return weights / weights.sum()


CATEGORICALS["cat_shift"] = (
    [f"segment_{c}" for c in "abcdefgh"],
    np.array([0.50, 0.15, 0.10, 0.08, 0.07, 0.05, 0.03, 0.02]),
)
CATEGORICALS["cat_color"] = (["red", "green", "blue"], np.array([0.5, 0.3, 0.2]))
CATEGORICALS["cat_channel"] = (
    ["web", "ios", "android", "partner", "call_centre", "store"],
    np.array([0.35, 0.25, 0.2, 0.1, 0.06, 0.04]),
)
CATEGORICALS["cat_country"] = ([f"country_{i:02d}" for i in range(20)], _zipf(20, 1.0))
CATEGORICALS["cat_product"] = ([f"product_{i:02d}" for i in range(50)], _zipf(50, 1.1))


def _shifted_top_share(probabilities: np.ndarray, top_share: float) -> np.ndarray:
    """Move mass off the first (top) category onto the others, in proportion to their shares."""
    rest = probabilities[1:] / probabilities[1:].sum()
    return np.concatenate([[top_share], rest * (1.0 - top_share)])


# ---------------------------------------------------------------------------- data


def _zero_inflated(rng: np.random.Generator, n: int, zero_share: float) -> np.ndarray:
    values = rng.gamma(shape=2.0, scale=50.0, size=n)
    values[rng.random(n) < zero_share] = 0.0
    return values


def _categorical(rng: np.random.Generator, n: int, categories: list[str], probabilities: np.ndarray) -> pa.Array:
    codes = rng.choice(len(categories), size=n, p=probabilities)
    return pa.array(categories, type=pa.string()).take(pa.array(codes))


def generate_side(rows: int, side: str) -> pa.Table:
    """One side ('reference' or 'current'); only the five shifted columns differ in distribution."""
    rng = np.random.default_rng([SEED, rows, 0 if side == "reference" else 1])
    current = side == "current"
    n = rows
    columns: dict[str, Any] = {
        # The shifted four.
        "num_shift_mean": rng.normal(10.0 + (1.0 if current else 0.0), 2.0, n),  # +0.5 sd
        "num_shift_spread": rng.lognormal(0.0, 1.5 if current else 1.0, n),
        "num_shift_tail": 10.0 * (1.0 + rng.pareto(1.5 if current else 3.0, n)),
        "num_shift_zeros": _zero_inflated(rng, n, 0.35 if current else 0.60),
        # Sixteen unshifted numeric columns.
        "num_normal_a": rng.normal(0.0, 1.0, n),
        "num_normal_b": rng.normal(100.0, 15.0, n),
        "num_normal_c": rng.normal(-3.0, 0.2, n),
        "num_lognormal_a": rng.lognormal(0.0, 1.0, n),
        "num_lognormal_b": rng.lognormal(3.0, 0.5, n),
        "num_uniform_a": rng.uniform(0.0, 1.0, n),
        "num_uniform_b": rng.uniform(-50.0, 50.0, n),
        "num_exponential": rng.exponential(2.0, n),
        "num_gamma": rng.gamma(2.0, 3.0, n),
        "num_count_a": rng.poisson(30.0, n).astype(np.int64),
        "num_count_b": rng.poisson(100.0, n).astype(np.int64),
        "num_count_c": rng.negative_binomial(5, 0.1, n).astype(np.int64),
        "num_lowcard_binary": (rng.random(n) < 0.3).astype(np.int64),
        "num_lowcard_rating": rng.choice(np.arange(1, 6), size=n, p=[0.05, 0.1, 0.2, 0.35, 0.3]).astype(np.int64),
        "num_lowcard_level": rng.choice(np.arange(4), size=n, p=[0.4, 0.3, 0.2, 0.1]).astype(np.int64),
        "num_zeros_stable": _zero_inflated(rng, n, 0.60),
    }
    for name, (categories, probabilities) in CATEGORICALS.items():
        if name == "cat_shift" and current:
            probabilities = _shifted_top_share(probabilities, 0.30)
        columns[name] = _categorical(rng, n, categories, probabilities)
    return pa.table(columns)


@dataclass
class DataSet:
    label: str
    rows: int
    reference: Path
    current: Path


def ensure_data(label: str, rows: int, data_dir: Path) -> DataSet:
    """Generate both sides for one size unless the cache already holds this generator version."""
    folder = data_dir / label
    data = DataSet(label, rows, folder / "reference.parquet", folder / "current.parquet")
    meta_path = folder / "meta.json"
    meta = {"generator_version": GENERATOR_VERSION, "seed": SEED, "rows": rows,
            "expected_drifted": list(EXPECTED_DRIFTED)}
    if data.reference.exists() and data.current.exists() and meta_path.exists():
        if json.loads(meta_path.read_text()) == meta:
            return data
    folder.mkdir(parents=True, exist_ok=True)
    print(f"generating {label}: {rows:,} rows per side into {folder}", flush=True)
    for side, path in (("reference", data.reference), ("current", data.current)):
        table = generate_side(rows, side)
        tmp = path.with_suffix(".tmp")
        pq.write_table(table, tmp)
        tmp.replace(path)
        del table
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return data


def warm_page_cache(*paths: Path) -> None:
    for path in paths:
        with path.open("rb") as f:
            while f.read(16 << 20):
                pass


# ---------------------------------------------------------------------------- peers venv


def ensure_peers_venv(force: bool, venv: Path = PEERS_VENV, requirements: Path = PEERS_REQUIREMENTS,
                      probe: str = "import evidently, nannyml, pandas, pyarrow") -> Path:
    """The peers' interpreter; (re)install when missing, forced, or the pins changed."""
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    wanted = requirements.read_text()
    if not force and python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    print(f"setting up {venv} from {requirements.name} (a few minutes the first time)", flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(requirements)], check=True)
    subprocess.run([str(python), "-c", probe], check=True)
    stamp.write_text(wanted)
    return python


# ---------------------------------------------------------------------------- measuring


def parse_json_output(text: str) -> dict[str, Any] | None:
    """The tool's JSON document: the whole stdout, else its last line, else its outermost braces."""
    candidates = [text]
    lines = [line for line in text.splitlines() if line.strip()]
    if lines:
        candidates.append(lines[-1])
    if "{" in text and "}" in text:
        candidates.append(text[text.index("{"): text.rindex("}") + 1])
    for candidate in candidates:
        try:
            document = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(document, dict):
            return document
    return None


def error_line(run: Run) -> str:
    """One line saying why a run failed: the first line of stderr (a traceback's last line)."""
    if run.error:
        return run.error
    lines = [line.strip() for line in run.stderr.splitlines() if line.strip()]
    if not lines:
        return f"exit code {run.exit_code}, no output on stderr"
    if lines[0].startswith("Traceback"):
        return lines[-1]
    return lines[0]


# ---------------------------------------------------------------------------- tools


@dataclass
class ToolResult:
    tool: str
    status: str  # "ok" or "failed"
    wall_s: float | None = None  # whole process, median
    cpu_s: float | None = None  # user + system CPU of the whole process, median
    peak_rss_mb: float | None = None  # the largest of the runs
    summary: dict[str, Any] = field(default_factory=dict)  # median/min/max of every figure, load around the runs
    runs: list[dict[str, Any]] = field(default_factory=list)
    flagged: list[str] | None = None
    correct: bool | None = None
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)  # per-column scores etc., as the tool reported them
    measured_at: str = ""


def tool_command(tool: str, data: DataSet, steward: Path, peers_python: Path | None) -> list[str]:
    ref, cur = str(data.reference), str(data.current)
    if tool == "steward":
        return [str(steward), "drift", ref, cur, "--format", "json"]
    if tool == "readonly":
        return [str(steward.parent / "python"), "-c", READONLY_CODE, ref, cur]
    assert peers_python is not None
    return [str(peers_python), str(BENCH_DIR / f"peer_{tool}.py"), ref, cur]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DO_NOT_TRACK": "1", "NML_DISABLE_USAGE_LOGGING": "1", "PYTHONDONTWRITEBYTECODE": "1"})
    env.pop("VIRTUAL_ENV", None)
    return env


def run_tool(tool: str, data: DataSet, steward: Path, peers_python: Path | None,
             repeat: int, timeout_s: float) -> ToolResult:
    command = tool_command(tool, data, steward, peers_python)
    result = ToolResult(tool=tool, status="ok", measured_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    document: dict[str, Any] | None = None
    if not Path(command[0]).exists():
        result.status, result.error = "failed", f"{command[0]} does not exist"
        return result
    load_before = load_average()
    for i in range(repeat):
        print(f"  {tool} run {i + 1}/{repeat} ...", end=" ", flush=True)
        run = measure(command, child_env(), timeout_s)
        print(f"{run.wall_s:.2f} s wall, {run.cpu_s:.2f} s CPU, {run.peak_rss_mb:,.0f} MB, exit {run.exit_code}, "
              f"load {load_average()}", flush=True)
        result.runs.append(run.figures())
        if tool == "readonly":
            ok = run.exit_code == 0 and run.error is None
        else:
            document = parse_json_output(run.stdout)
            # steward drift exits 1 when it found drift: still a successful run.
            allowed = (0, 1) if tool == "steward" else (0,)
            ok = run.error is None and run.exit_code in allowed and document is not None and "drifted" in document
            if ok:
                result.runs[-1].update({k: round(document[k], 4) for k in IN_PROCESS if k in document})
        if not ok:
            result.status = "failed"
            if run.error is None and run.exit_code in (0, 1) and tool != "readonly":
                result.error = "no JSON with a 'drifted' list on stdout"
                if run.stderr.strip():
                    result.error += f"; stderr: {error_line(run)}"
            else:
                result.error = error_line(run)
            return result

    result.summary = summarise(result.runs, load_before, load_average())
    result.summary.update({k: spread([r[k] for r in result.runs]) for k in IN_PROCESS if all(k in r for r in result.runs)})
    result.wall_s = result.summary["wall_s"]["median"]
    result.cpu_s = result.summary["cpu_s"]["median"]
    result.peak_rss_mb = result.summary["peak_rss_mb"]["max"]
    if document is not None:
        flagged = sorted(document["drifted"])
        expected = set(EXPECTED_DRIFTED)
        result.flagged = flagged
        result.false_positives = sorted(set(flagged) - expected)
        result.false_negatives = sorted(expected - set(flagged))
        result.correct = not result.false_positives and not result.false_negatives
        result.details = {k: v for k, v in document.items() if k != "drifted"}
    return result


# ---------------------------------------------------------------------------- report


def comparisons(tools: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Ratios against Steward for the tools that succeeded."""
    steward = tools.get("steward")
    if not steward or steward.get("status") != "ok":
        return {}
    ratios: dict[str, float] = {}
    for name, other in tools.items():
        if name == "steward" or other.get("status") != "ok":
            continue
        if name == "readonly":
            ratios["steward_wall_vs_readonly"] = steward["wall_s"] / other["wall_s"]
            if steward.get("cpu_s") and other.get("cpu_s"):
                ratios["steward_cpu_vs_readonly"] = steward["cpu_s"] / other["cpu_s"]
            if other.get("peak_rss_mb"):
                ratios["steward_rss_vs_readonly"] = steward["peak_rss_mb"] / other["peak_rss_mb"]
        else:
            ratios[f"{name}_wall_vs_steward"] = other["wall_s"] / steward["wall_s"]
            if steward.get("cpu_s") and other.get("cpu_s"):
                ratios[f"{name}_cpu_vs_steward"] = other["cpu_s"] / steward["cpu_s"]
            if steward.get("peak_rss_mb") and other.get("peak_rss_mb"):
                ratios[f"steward_rss_vs_{name}"] = steward["peak_rss_mb"] / other["peak_rss_mb"]
    return ratios


def _times(x: float) -> str:
    return f"{x:.0f}×" if x >= 10 else f"{x:.1f}×" if x >= 1 else f"{x:.2f}×"


def _annotated(entry: dict[str, Any]) -> list[str]:
    """Flagged column names; for NannyML with how many analysis chunks alerted, e.g. 'num_gamma (1/10)'."""
    alerted = {c["name"]: f" ({c['chunks_alerted']}/{c['chunks']})" for c in entry["details"].get("columns", [])
               if isinstance(c, dict) and "chunks_alerted" in c}
    return [name + alerted.get(name, "") for name in entry["flagged"]]


def _figure(entry: dict[str, Any], figure: str) -> str:
    """'12.70 (11.90-13.00)': the median of the runs and their range."""
    summary = entry.get("summary", {}).get(figure)
    if summary is None:
        return "?" if entry.get(figure) is None else f"{entry[figure]:.2f}"
    if summary["min"] == summary["max"]:
        return f"{summary['median']:.2f}"
    return f"{summary['median']:.2f} ({summary['min']:.2f}-{summary['max']:.2f})"


def _ratio(ratios: dict[str, float], wall: str, cpu: str, suffix: str) -> str:
    """'3.1x (2.9x CPU) suffix': the whole-process wall ratio, the CPU one beside it."""
    if wall not in ratios:
        return ""
    return f"{_times(ratios[wall])}" + (f" ({_times(ratios[cpu])} CPU)" if cpu in ratios else "") + f" {suffix}"


def render_size(label: str, rows: int, tools: dict[str, dict[str, Any]], ratios: dict[str, float]) -> str:
    header = ("tool", "wall s", "CPU s", "peak RSS MB", "compute s in-process", "whole process vs", "Steward RSS vs tool",
              "flagged", "correct", "load before->after")
    table: list[tuple[str, ...]] = []
    for name in TOOLS:
        entry = tools.get(name)
        if entry is None:
            continue
        title = TOOL_TITLES[name]
        if entry["status"] != "ok":
            table.append((title, "-", "-", "-", "-", "FAILED", "", "", "", ""))
            continue
        rss = "?" if entry.get("peak_rss_mb") is None else f"{entry['peak_rss_mb']:,.0f}"
        if name == "steward":
            wall_cmp, rss_cmp = _ratio(ratios, "steward_wall_vs_readonly", "steward_cpu_vs_readonly", "read-only"), ""
        elif name == "readonly":
            wall_cmp = "(floor)"
            rss_cmp = f"{_times(ratios['steward_rss_vs_readonly'])} read-only's" if "steward_rss_vs_readonly" in ratios else ""
        else:
            wall_cmp = _ratio(ratios, f"{name}_wall_vs_steward", f"{name}_cpu_vs_steward", "Steward")
            rss_cmp = f"{_times(ratios[f'steward_rss_vs_{name}'])} {title}'s" if f"steward_rss_vs_{name}" in ratios else ""
        flagged = "" if entry.get("flagged") is None else str(len(entry["flagged"]))
        correct = "" if entry.get("correct") is None else ("yes" if entry["correct"] else "no")
        compute = _figure(entry, "compute_s") if "compute_s" in entry.get("summary", {}) else ""
        load = entry.get("summary", {}).get("load_1min")
        loads = f"{load['before']:g}->{load['after']:g}" if load else "?"
        table.append((title, _figure(entry, "wall_s"), _figure(entry, "cpu_s"), rss, compute, wall_cmp, rss_cmp,
                       flagged, correct, loads))

    widths = [max(len(row[i]) for row in [header, *table]) for i in range(len(header))]
    lines = [f"== {label}: {rows:,} rows per side, 25 columns; expected drifted: {', '.join(EXPECTED_DRIFTED)}"]
    for row in [header, *table]:
        lines.append("  ".join(cell.ljust(widths[i]) if i in (0, 5, 6) else cell.rjust(widths[i])
                               for i, cell in enumerate(row)).rstrip())
    for name in TOOLS:
        entry = tools.get(name)
        if entry is None or name == "readonly":
            continue
        title = TOOL_TITLES[name]
        if entry["status"] != "ok":
            lines.append(f"  {title} failed: {entry.get('error')}")
            continue
        verdict = "correct: yes" if entry["correct"] else "correct: no"
        misses = []
        if entry["false_positives"]:
            misses.append(f"false positives: {', '.join(entry['false_positives'])}")
        if entry["false_negatives"]:
            misses.append(f"false negatives: {', '.join(entry['false_negatives'])}")
        if misses:
            verdict += f" ({'; '.join(misses)})"
        lines.append(f"  {title} flagged {len(entry['flagged'])}: {', '.join(_annotated(entry)) or '(none)'}")
        lines.append(f"    {verdict}")
    return "\n".join(lines)


def load_results() -> dict[str, Any]:
    if RESULTS_FILE.exists():
        try:
            stored = json.loads(RESULTS_FILE.read_text())
            if stored.get("generator_version") == GENERATOR_VERSION:
                return stored
        except ValueError:
            pass
    return {"generator_version": GENERATOR_VERSION, "seed": SEED, "expected_drifted": list(EXPECTED_DRIFTED),
            "sizes": {}}


def peer_pins() -> dict[str, str]:
    pins = {}
    for line in PEERS_REQUIREMENTS.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip()] = version.strip()
    return pins


# ---------------------------------------------------------------------------- main


def parse_list(text: str, allowed: list[str] | tuple[str, ...], what: str) -> list[str]:
    items = [item.strip().lower() for item in text.split(",") if item.strip()]
    unknown = [item for item in items if item not in allowed]
    if unknown or not items:
        raise argparse.ArgumentTypeError(f"unknown {what} {', '.join(unknown) or '(none)'}; choose from {', '.join(allowed)}")
    return list(dict.fromkeys(items))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Steward's drift check against Evidently and NannyML.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100k,1m,2m",
                        type=lambda s: parse_list(s, list(SIZES), "size"), help="comma-separated: " + ",".join(SIZES))
    parser.add_argument("--tools", default=",".join(TOOLS),
                        type=lambda s: parse_list(s, TOOLS, "tool"), help="comma-separated: " + ",".join(TOOLS))
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool and size (medians with min-max are shown)")
    parser.add_argument("--setup-peers", action="store_true", help="(re)install benchmarks/.venv-peers first")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="cache folder for generated data")
    parser.add_argument("--steward", type=Path, default=DEFAULT_STEWARD, help="the steward executable")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before one run is killed")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    peers_python = None
    if args.setup_peers or {"evidently", "nannyml"} & set(args.tools):
        peers_python = ensure_peers_venv(force=args.setup_peers)

    results = load_results()
    results.update({"machine": machine(), "peer_pins": peer_pins(), "steward": str(args.steward)})
    for label in args.sizes:
        rows = SIZES[label]
        data = ensure_data(label, rows, args.data_dir)
        warm_page_cache(data.reference, data.current)
        print(f"{label}: {rows:,} rows per side", flush=True)
        entry = results["sizes"].setdefault(label, {"rows": rows, "tools": {}})
        for tool in args.tools:
            outcome = run_tool(tool, data, args.steward, peers_python, args.repeat, args.timeout)
            entry["tools"][tool] = asdict(outcome)
            entry["ratios"] = comparisons(entry["tools"])
            RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
            RESULTS_FILE.write_text(json.dumps(results, indent=2) + "\n")  # after every tool: long runs keep progress

    print()
    for label in args.sizes:
        entry = results["sizes"][label]
        shown = {tool: entry["tools"][tool] for tool in TOOLS if tool in entry["tools"]}
        print(render_size(label, entry["rows"], shown, entry["ratios"]))
        print()
    print(f"results: {RESULTS_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

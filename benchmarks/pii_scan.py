"""Throughput and recall of Steward's PII scan against Presidio's pattern recognizers, on the same text.

The text is the demo simulator's customer messages with personal data planted
in a known share of them (emails, phones, Luhn-valid cards, mod-97-valid IBANs,
IPs) and near misses in others (cards failing Luhn, IBANs with a bad checksum,
version numbers shaped like IPs). Each tool runs as its own process over the same
text file: Steward (benchmarks/steward_pii.py) from this interpreter, Presidio in its own
virtualenv (benchmarks/.venv-peers-pii) with its predefined recognizers called
directly and no NLP engine. Prints, for both, the scan alone (MB/s, timed inside
the process after warm-up) and the whole process (wall time from outside:
start-up, imports, reading, scanning: wall, CPU and peak RSS from benchmarks/harness.py,
median of --repeat runs with the load recorded), the ratios, and recall on the planted rows.

    .venv/bin/python benchmarks/pii_scan.py [--rows 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.drift_vs_peers import BENCH_DIR, ensure_peers_venv  # noqa: E402
from benchmarks.harness import machine, repeat_reports  # noqa: E402
from deployments.demo.simulator import PLANTED_PII, simulate_support  # noqa: E402
from tasks.compliance.pii import luhn_valid  # noqa: E402

PEERS_VENV = BENCH_DIR / ".venv-peers-pii"
REQUIREMENTS = BENCH_DIR / "requirements-pii-peers.txt"
RESULTS_FILE = BENCH_DIR / "results" / "pii_scan.json"
DATA_FILE = BENCH_DIR / ".data" / "pii_texts.txt"
PLANTED_SHARE, NEAR_MISS_SHARE = 0.05, 0.05
TIMEOUT_S = 3600


AREA_CODES = np.array([212, 312, 415, 617, 206, 303, 512, 702])  # real ones: Presidio checks numbers exist


def _card(rng: np.random.Generator, good: bool) -> str:
    """A Visa (4...) or Mastercard (51-55...) number: real brand prefixes, which Presidio's pattern expects."""
    body = str(rng.choice(["4", "51", "52", "53", "54", "55"]))
    body += "".join(map(str, rng.integers(0, 10, 15 - len(body))))
    check = next(d for d in "0123456789" if luhn_valid(body + d))
    return body + (check if good else str((int(check) + 1) % 10))


def _iban(rng: np.random.Generator, good: bool) -> str:
    bban = "".join(map(str, rng.integers(0, 10, 18)))
    check = 98 - int(bban + "131400") % 97  # D=13, E=14, then "00"
    return f"DE{check if good else (check % 97) + 1:02d}{bban}"


def _positive(rng: np.random.Generator, kind: int) -> str:
    n = rng.integers(100, 999, 4)
    return [
        f"mail me at user{n[0]}.{n[1]}@example{n[2] % 7}.com",
        f"call +1 {rng.choice(AREA_CODES)} {rng.integers(200, 999)} {rng.integers(1000, 9999)}",
        f"my card {_card(rng, True)}",
        f"IBAN {_iban(rng, True)}",
        f"from 10.{n[0] % 256}.{n[1] % 256}.{n[2] % 256}",
    ][kind]


def _near_miss(rng: np.random.Generator, kind: int) -> str:
    n = rng.integers(1, 99, 4)
    return [f"reference {_card(rng, False)}", f"IBAN {_iban(rng, False)}",
            f"app version {n[0]}.{n[1]}.{n[2]}.{n[3]}", f"order #A-{n[0]}{n[1]}{n[2]} on 2026-11-{n[3] % 28 + 1:02d}"][kind]


def generate(rows: int, seed: int = 5) -> tuple[list[str], set[int]]:
    """(messages, positions of the rows holding real PII)."""
    rng = np.random.default_rng(seed)
    texts = simulate_support(date(2026, 11, 21), days=30, per_day=max(1, rows // 30))[0]["user_message"].tolist()[:rows]
    planted_values = [v for _, values in PLANTED_PII.values() for v in values]
    truth = {i for i, t in enumerate(texts) if any(v in t for v in planted_values)}
    for i in range(len(texts)):
        roll = rng.random()
        if roll < PLANTED_SHARE:
            texts[i] += " " + _positive(rng, int(rng.integers(0, 5))) + "."
            truth.add(i)
        elif roll < PLANTED_SHARE + NEAR_MISS_SHARE:
            texts[i] += " " + _near_miss(rng, int(rng.integers(0, 4))) + "."
    return texts, truth


def score(flagged: set[int], truth: set[int]) -> dict[str, float]:
    return {"recall": len(flagged & truth) / len(truth), "false_positive_rows": len(flagged - truth)}


def run_tool(command: list[str], megabytes: float, truth: set[int], runs: int) -> dict[str, Any]:
    """One tool as a whole process, ``runs`` times: its own scan time (median), the process's figures, its recall."""
    summary, reports = repeat_reports(command, runs, {**os.environ, "PYTHONPATH": str(BENCH_DIR.parent)}, TIMEOUT_S)
    seconds = statistics.median(r["seconds"] for r in reports)
    return {"seconds": seconds, "mb_per_s": megabytes / seconds, "wall_s": summary["wall_s"]["median"],
            "cpu_s": summary["cpu_s"]["median"], "peak_rss_mb": summary["peak_rss_mb"]["max"],
            "measured_at": summary["measured_at"], "summary": summary, **score(set(reports[-1]["flagged"]), truth)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="whole-process runs per tool (medians are shown)")
    parser.add_argument("--setup-peers", action="store_true", help="(re)install benchmarks/.venv-peers-pii first")
    args = parser.parse_args(argv)
    texts, truth = generate(args.rows)
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    print(f"{len(texts):,} messages, {megabytes:.2f} MB, {len(truth):,} with PII", flush=True)
    DATA_FILE.parent.mkdir(parents=True, exist_ok=True)
    DATA_FILE.write_text("\n".join(t.replace("\n", " ") for t in texts), encoding="utf-8")

    python = ensure_peers_venv(args.setup_peers, PEERS_VENV, REQUIREMENTS, "import presidio_analyzer")
    steward = run_tool([sys.executable, str(BENCH_DIR / "steward_pii.py"), str(DATA_FILE)], megabytes, truth, args.repeat)
    presidio = run_tool([str(python), str(BENCH_DIR / "peer_presidio.py"), str(DATA_FILE)], megabytes, truth, args.repeat)

    ratio = steward["mb_per_s"] / presidio["mb_per_s"]
    process_ratio = presidio["wall_s"] / steward["wall_s"]
    cpu_ratio = presidio["cpu_s"] / steward["cpu_s"]
    for name, r in (("Steward", steward), ("Presidio", presidio)):
        print(f"{name:<9} scan {r['mb_per_s']:8.2f} MB/s ({r['seconds']:.2f} s)  process {r['wall_s']:.2f} s wall, {r['cpu_s']:.2f} s CPU, "
              f"{r['peak_rss_mb'] or 0:.0f} MB  recall {r['recall']:.3f}  "
              f"false-positive rows {r['false_positive_rows']}")
    print(f"Steward / Presidio: scan {ratio:.1f}x, whole process {process_ratio:.1f}x wall, {cpu_ratio:.1f}x CPU "
          "(target >= 30x with equal or better recall)")
    stored = json.loads(RESULTS_FILE.read_text()) if RESULTS_FILE.exists() else {}
    sizes = stored.get("sizes", {})  # one entry per message count, so a run at one size keeps the others
    sizes[str(len(texts))] = {"rows": len(texts), "megabytes": megabytes, "planted_rows": len(truth),
                              "steward": steward, "presidio": presidio, "ratio": ratio,
                              "process_ratio": process_ratio, "cpu_ratio": cpu_ratio}
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps({"machine": machine(), "sizes": dict(sorted(sizes.items(), key=lambda kv: int(kv[0])))},
                                       indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

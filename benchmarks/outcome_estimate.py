"""How close is the outcome review's label-free estimate to the value the labels later give?

On the demo's fraud-scoring log (scale 1, 90 days, the app-recall incident from day 60), every day whose
labels have matured is reviewed as the outcome review does it: a 14-day evaluation span, an isotonic
calibration fitted on the 28 mature days before the span, and the expected (confidence-based) ROC AUC,
recall, precision and FPR. The estimate is compared with the realised value on the same rows.

Peer: NannyML 0.13.1's CBPE, the usual open-source confidence-based estimator, given the same
reference rows (fit) and the same span (one chunk), run in benchmarks/.venv-peers. The script prints,
per metric, the mean and worst absolute error of each estimator, before and after the incident, and
the estimation time (fit + estimate, in-process, imports and reading excluded) as a ratio.

    .venv/bin/python benchmarks/outcome_estimate.py [--no-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
DATA = BENCH / ".data" / "outcomes"
END = date(2026, 11, 21)
METRICS = ("roc_auc", "recall", "precision", "false_positive_rate")


def _prepare() -> None:
    os.environ["STEWARD_HOME"] = str(DATA)
    if not (DATA / "demo.db").exists():
        from deployments.demo.simulator import write_demo_database

        DATA.mkdir(parents=True, exist_ok=True)
        write_demo_database(f"sqlite:///{DATA / 'demo.db'}", end=END, days=90, scale=1.0)


def steward_estimates() -> tuple[list[dict], "object", float]:
    from runbooks.loader import default_runbooks_dir, load_catalog
    from tasks.metrics.classifier import classifier_metrics, expected_classifier_metrics
    from tasks.io.outcomes import FLAGGED, KNOWN, LABEL, SCORE, load_outcome_frame, outcomes_arrived_until
    from tasks.outcomes.estimate import calibrate, rows_in
    from tasks.outcomes.windows import plan_windows
    from tasks.io.sources import first_timestamp
    from tasks.core.windows import Window

    spec = load_catalog(default_runbooks_dir()).get("fraud-scoring")
    arrived = outcomes_arrived_until(spec)
    now = datetime.now(UTC)
    start = END - timedelta(days=89)
    days = [start + timedelta(days=d) for d in range(90)]
    first_row = first_timestamp(spec.source)
    plans = [plan_windows(spec, Window.days(d), arrived, now, first_row) for d in days]
    plans = [p for p in plans if p.maturity.mature and p.reference and p.reference.start.date() >= start]
    everything = load_outcome_frame(spec, Window(start=plans[0].read.start, end=plans[-1].read.end))
    results, seconds = [], 0.0
    for plan in plans:
        span, reference = rows_in(everything, plan.span), rows_in(everything, plan.reference)
        clock = time.perf_counter()
        calibration = calibrate(reference)
        assert calibration is not None
        estimate = expected_classifier_metrics(calibration.apply(span[SCORE].to_numpy()), span[SCORE].to_numpy(),
                                               span[FLAGGED].to_numpy())
        seconds += time.perf_counter() - clock
        labelled = span[span[KNOWN] & span[LABEL].notna()]
        realised = classifier_metrics(labelled[LABEL].to_numpy(int), labelled[SCORE].to_numpy(),
                                      labelled[FLAGGED].to_numpy())
        results.append({"window": plan.window.label(), "reference": [plan.reference.start.isoformat(), plan.reference.end.isoformat()],
                        "span": [plan.span.start.isoformat(), plan.span.end.isoformat()],
                        "realised": {m: getattr(realised, m) for m in METRICS},
                        "steward": {m: getattr(estimate, m) for m in METRICS}})
    return results, everything, seconds


def peer_estimates(results: list[dict], everything, python: Path) -> tuple[dict[str, dict], float]:
    from tasks.io.outcomes import FLAGGED, KNOWN, LABEL, SCORE, TS

    rows = everything[[TS, SCORE, FLAGGED, LABEL, KNOWN]].rename(
        columns={TS: "ts", SCORE: "score", FLAGGED: "flagged", LABEL: "label", KNOWN: "known"})
    rows["flagged"] = rows["flagged"].astype(int)
    rows.to_parquet(DATA / "rows.parquet")
    (DATA / "windows.json").write_text(json.dumps([{k: r[k] for k in ("window", "reference", "span")} for r in results]))
    out = subprocess.run([str(python), str(BENCH / "peer_nannyml_cbpe.py"), str(DATA / "rows.parquet"),
                          str(DATA / "windows.json")], capture_output=True, text=True, check=True)
    answer = json.loads(out.stdout)
    return answer["estimates"], answer["seconds"]


def _errors(results: list[dict], who: str, metric: str, when) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.array([r[who][metric] - r["realised"][metric] for r in results
                     if when(r) and r[who].get(metric) is not None and r["realised"][metric] is not None])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-peer", action="store_true", help="skip NannyML CBPE")
    args = parser.parse_args()
    sys.path.insert(0, str(BENCH.parent))
    _prepare()
    results, everything, steward_s = steward_estimates()
    who = ["steward"]
    peer_s = None
    if not args.no_peer:
        sys.path.insert(0, str(BENCH))
        from drift_vs_peers import ensure_peers_venv

        estimates, peer_s = peer_estimates(results, everything, ensure_peers_venv(force=False))
        for r in results:
            r["nannyml_cbpe"] = estimates[r["window"]]
        who.append("nannyml_cbpe")
    incident = (END - timedelta(days=89) + timedelta(days=60)).isoformat()
    periods = {"all": lambda r: True, "before incident": lambda r: r["span"][1][:10] <= incident,
               "after incident": lambda r: r["span"][0][:10] >= incident}
    print(f"{len(results)} mature 14-day windows ({results[0]['window']} .. {results[-1]['window']}), "
          f"fraud-scoring demo log at scale 1; error = estimate - realised")
    summary: dict[str, dict] = {}
    for metric in METRICS:
        for label, when in periods.items():
            cells = []
            for name in who:
                e = _errors(results, name, metric, when)
                if e.size:
                    summary.setdefault(name, {}).setdefault(metric, {})[label] = {
                        "windows": int(e.size), "mean_abs": float(np.abs(e).mean()), "max_abs": float(np.abs(e).max()),
                        "bias": float(e.mean())}
                    cells.append(f"{name} mean|e| {np.abs(e).mean():.4f} max|e| {np.abs(e).max():.4f} bias {e.mean():+.4f}")
            print(f"  {metric:<20} {label:<16} " + " | ".join(cells))
    if peer_s is not None:
        gap = max(abs(r["steward"][m] - r["nannyml_cbpe"][m]) for r in results for m in METRICS
                  if r["steward"][m] is not None and r["nannyml_cbpe"][m] is not None)
        print(f"steward vs nannyml_cbpe: largest difference between the two estimates {gap:.1e}")
    print(f"estimation time over {len(results)} windows: steward {steward_s:.2f} s"
          + (f", nannyml_cbpe {peer_s:.2f} s ({peer_s / steward_s:.0f}x steward)" if peer_s else ""))
    out = BENCH / "results" / "outcome_estimate.json"
    out.write_text(json.dumps({"summary": summary, "seconds": {"steward": steward_s, "nannyml_cbpe": peer_s},
                               "windows": results}, indent=1))
    print(f"details: {out.relative_to(BENCH.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

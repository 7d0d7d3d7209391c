"""Peer runner: Evidently 0.7 ``DataDriftPreset`` on two Parquet files.

Run with the peers virtualenv (benchmarks/.venv-peers), never the project's:

    benchmarks/.venv-peers/bin/python benchmarks/peer_evidently.py REFERENCE.parquet CURRENT.parquet

Reads both files with pandas, declares numeric-dtype columns numerical and all
other columns categorical through ``DataDefinition``, runs the preset with its
default per-column methods and thresholds and ``include_tests=True`` (so each
column gets Evidently's own "Value Drift for column X" verdict), and prints one
JSON line on stdout:

    {"drifted": [...], "columns": [{"name", "method", "score", "threshold", "drifted"}],
     "read_s": ..., "compute_s": ...}

Evidently's defaults for more than 1,000 reference rows: normed Wasserstein
distance (threshold 0.1) for numerical columns with more than 5 distinct values,
Jensen-Shannon distance (threshold 0.1) for the other numerical columns and for
categorical ones; a column drifted when its test fails.
"""

from __future__ import annotations

import os

os.environ.setdefault("DO_NOT_TRACK", "1")  # no usage telemetry from a benchmark

import json
import sys
import time
from typing import Any

from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset
from peer_common import read_pair

VALUE_DRIFT_TEST = "evidently:bound_test:ValueDriftBoundTest"
VALUE_DRIFT_METRIC = "evidently:metric_v2:ValueDrift"


def column_verdicts(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """Per-column drift verdicts from ``Snapshot.dict()``.

    Scores, methods and thresholds come from the ``ValueDrift`` metrics; the
    verdict from each metric's bound test (status FAIL means drift detected).
    """
    scores: dict[str, dict[str, Any]] = {}
    for metric in snapshot["metrics"]:
        config = metric["config"]
        if config.get("type") == VALUE_DRIFT_METRIC:
            scores[config["column"]] = {
                "name": config["column"],
                "method": config.get("method"),
                "score": metric["value"],
                "threshold": config.get("threshold"),
                "drifted": None,
            }
    for test in snapshot["tests"]:
        if test.get("bound_test", {}).get("type") != VALUE_DRIFT_TEST:
            continue
        column = test["metric_config"]["params"]["column"]
        scores.setdefault(column, {"name": column, "method": None, "score": None, "threshold": None})
        scores[column]["drifted"] = test["status"] == "FAIL"
    missing = [name for name, verdict in scores.items() if verdict["drifted"] is None]
    if missing:
        raise RuntimeError(f"no drift test result for column(s): {', '.join(missing)}")
    return list(scores.values())


def main() -> int:
    reference, current, read_s, numerical, categorical = read_pair(__doc__.splitlines()[0])
    definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)

    started = time.perf_counter()
    report = Report([DataDriftPreset()], include_tests=True)
    snapshot = report.run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    columns = column_verdicts(snapshot.dict())
    compute_s = time.perf_counter() - started

    drifted = [c["name"] for c in columns if c["drifted"]]
    print(json.dumps({"drifted": drifted, "columns": columns, "read_s": read_s, "compute_s": compute_s}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

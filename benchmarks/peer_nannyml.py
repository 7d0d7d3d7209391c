"""Peer runner: NannyML 0.13 ``UnivariateDriftCalculator`` on two Parquet files.

Run with the peers virtualenv (benchmarks/.venv-peers), never the project's:

    benchmarks/.venv-peers/bin/python benchmarks/peer_nannyml.py REFERENCE.parquet CURRENT.parquet

Reads both files with pandas, treats numeric-dtype columns as continuous and all
other columns as categorical, keeps NannyML's default methods (Jensen-Shannon
distance for both kinds) and default thresholds, ``fit(reference)`` then
``calculate(current)``, and prints one JSON line on stdout:

    {"drifted": [...], "columns": [{"name", "method", "chunks", "chunks_alerted", "max_score",
     "upper_threshold", "drifted"}], "chunk_size": ..., "read_s": ..., "compute_s": ...}

Chunking, the one choice this runner makes: NannyML has no fixed threshold. It
scores every reference chunk against the whole reference and alerts on an
analysis chunk whose score is above mean + 3 standard deviations of those
reference-chunk scores. A single chunk (``chunk_number=1``) would leave one
reference score and a zero standard deviation, so any non-zero difference would
alert. So the reference is cut into 10 chunks (``chunk_size = len(reference) // 10``,
the remainder appended to the last chunk), the current data is cut with the same
chunk size (10 chunks when both sides have the same number of rows), and a
column counts as drifted when any of its analysis chunks alerts. That is how
NannyML is meant to be used; ``chunks_alerted`` shows how many did.
"""

from __future__ import annotations

import os

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")  # NannyML sends usage events unless told not to
os.environ.setdefault("DO_NOT_TRACK", "1")

import json
import math
import sys
import time
import warnings
from typing import Any

import pandas as pd

warnings.filterwarnings("ignore")  # NannyML and its dependencies warn on import; stdout stays JSON only

import nannyml as nml  # noqa: E402
from nannyml.chunk import SizeBasedChunker  # noqa: E402
from peer_common import read_pair  # noqa: E402

REFERENCE_CHUNKS = 10
METHOD = "jensen_shannon"  # NannyML 0.13's default for continuous and for categorical columns


def column_verdicts(analysis: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """One verdict per column from the analysis rows of the result frame.

    The frame's columns are a (column, method, field) MultiIndex with fields
    value, upper_threshold, lower_threshold and alert.
    """
    verdicts = []
    for name in columns:
        alerts = analysis[(name, METHOD, "alert")].fillna(False).astype(bool)
        scores = analysis[(name, METHOD, "value")].astype(float)
        upper = analysis[(name, METHOD, "upper_threshold")].astype(float)
        max_score = float(scores.max())
        verdicts.append({
            "name": name,
            "method": METHOD,
            "chunks": int(len(alerts)),
            "chunks_alerted": int(alerts.sum()),
            "max_score": None if math.isnan(max_score) else max_score,
            "upper_threshold": None if upper.empty or math.isnan(upper.iloc[0]) else float(upper.iloc[0]),
            "drifted": bool(alerts.any()),
        })
    return verdicts


def main() -> int:
    reference, current, read_s, numerical, categorical = read_pair(__doc__.splitlines()[0])
    columns = list(reference.columns)
    chunk_size = max(1, len(reference) // REFERENCE_CHUNKS)

    started = time.perf_counter()
    calculator = nml.UnivariateDriftCalculator(
        column_names=columns,
        treat_as_numerical=numerical,
        treat_as_categorical=categorical,
        chunker=SizeBasedChunker(chunk_size=chunk_size, incomplete="append"),
    )
    calculator.fit(reference)
    result = calculator.calculate(current)
    analysis = result.filter(period="analysis").to_df()
    verdicts = column_verdicts(analysis, columns)
    compute_s = time.perf_counter() - started

    drifted = [v["name"] for v in verdicts if v["drifted"]]
    print(json.dumps({"drifted": drifted, "columns": verdicts, "chunk_size": chunk_size,
                      "read_s": read_s, "compute_s": compute_s}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

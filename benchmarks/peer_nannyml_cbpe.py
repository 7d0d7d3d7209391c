"""NannyML CBPE on the windows benchmarks/outcome_estimate.py asks about (runs in benchmarks/.venv-peers).

argv: rows.parquet (ts, score, flagged, label, known) and windows.json ([{window, reference, span}]).
Prints JSON: {"estimates": {window: {metric: value}}, "seconds": fit + estimate time summed}.
"""

from __future__ import annotations

import json
import sys
import time
import warnings

import nannyml as nml
import pandas as pd

warnings.filterwarnings("ignore")


def main() -> None:
    rows = pd.read_parquet(sys.argv[1])
    rows["ts"] = pd.to_datetime(rows["ts"], utc=True).dt.tz_localize(None)
    windows = json.loads(open(sys.argv[2]).read())
    estimates, seconds = {}, 0.0
    for w in windows:
        (ref_start, ref_end), (span_start, span_end) = ([pd.Timestamp(x).tz_localize(None) for x in pair]
                                                        for pair in (w["reference"], w["span"]))
        reference = rows[(rows.ts >= ref_start) & (rows.ts < ref_end) & rows.known & rows.label.notna()]
        analysis = rows[(rows.ts >= span_start) & (rows.ts < span_end)].drop(columns=["label", "known"])
        clock = time.perf_counter()
        cbpe = nml.CBPE(y_pred_proba="score", y_pred="flagged", y_true="label", timestamp_column_name="ts",
                        metrics=["roc_auc", "recall", "precision", "specificity"],
                        problem_type="classification_binary", chunk_number=1)
        cbpe.fit(reference)
        result = cbpe.estimate(analysis).filter(period="analysis").to_df()
        seconds += time.perf_counter() - clock
        value = {m: float(result[(m, "value")].iloc[0]) for m in ("roc_auc", "recall", "precision", "specificity")}
        value["false_positive_rate"] = 1 - value.pop("specificity")
        estimates[w["window"]] = value
    print(json.dumps({"estimates": estimates, "seconds": seconds}))


if __name__ == "__main__":
    main()

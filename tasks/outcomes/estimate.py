"""The label-free estimate's inputs: a calibration fitted on the mature reference period, applied to the span.

Confidence-based (CBPE-style) estimation is only as good as the probabilities it starts from; the
demo model's scores are not calibrated (mean score 0.024 against a 1.6% fraud rate), so they are
mapped to probabilities on the most recent mature labels that precede the judged span.
"""

from __future__ import annotations

import pandas as pd

from tasks.core.windows import Window
from tasks.io.outcomes import KNOWN, LABEL, SCORE, TS
from tasks.metrics.outcome import Calibration, fit_calibration
from tasks.outcomes.verdict import PROBABILITY


def rows_in(rows: pd.DataFrame, window: Window | None) -> pd.DataFrame:
    if window is None:
        return rows.iloc[:0]
    return rows[(rows[TS] >= window.start) & (rows[TS] < window.end)]


def calibrate(reference: pd.DataFrame) -> Calibration | None:
    """Fit on the reference rows whose labels arrived; None without both classes there."""
    labelled = reference[reference[KNOWN] & reference[LABEL].notna() & reference[SCORE].notna()]
    if labelled[LABEL].nunique() < 2:
        return None
    return fit_calibration(labelled[LABEL].to_numpy(), labelled[SCORE].to_numpy())


def with_probabilities(current: pd.DataFrame, calibration: Calibration | None) -> pd.DataFrame:
    """The span's rows with each row's calibrated probability of being positive (a copy)."""
    current = current.copy()
    if calibration is not None and len(current):
        current[PROBABILITY] = calibration.apply(current[SCORE].to_numpy())
    return current

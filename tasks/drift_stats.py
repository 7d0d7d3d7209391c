"""Drift statistics: effect sizes that decide, p-values that only inform.

At large N every p-value is tiny, so verdicts come from the owner's effect-size
thresholds: PSI and normalised Wasserstein for numbers, Jensen-Shannon for
categories. Plain functions over pandas Series, no I/O.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel
from scipy import stats
from scipy.spatial.distance import jensenshannon

from runbooks.spec import DriftThresholds

Kind = Literal["numeric", "categorical"]
_EPS = 1e-6
MAX_CATEGORIES = 50


class ColumnDrift(BaseModel):
    name: str
    kind: Kind
    method: str
    score: float
    threshold: float
    drifted: bool
    p_value: float | None
    psi: float | None = None
    jensen_shannon: float
    new_categories: list[str] = []
    missing_rate_ref: float
    missing_rate_cur: float


def column_kind(series: pd.Series) -> Kind:
    """Numbers with more than 10 distinct values are numeric; everything else is categorical."""
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return "categorical"
    return "numeric" if series.nunique(dropna=True) > 10 else "categorical"


def psi(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    p = np.clip(ref_counts / max(ref_counts.sum(), 1), _EPS, None)
    q = np.clip(cur_counts / max(cur_counts.sum(), 1), _EPS, None)
    return float(np.sum((q - p) * np.log(q / p)))


def _js(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    if ref_counts.sum() == 0 or cur_counts.sum() == 0:
        return 0.0
    return float(jensenshannon(ref_counts, cur_counts, base=2))


def numeric_drift(name: str, ref: pd.Series, cur: pd.Series, thresholds: DriftThresholds, bins: int = 10) -> ColumnDrift:
    r, c = ref.dropna().to_numpy(float), cur.dropna().to_numpy(float)
    edges = np.unique(np.quantile(r, np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    rc, cc = np.histogram(r, edges)[0], np.histogram(c, edges)[0]
    spread = float(np.std(r)) or 1.0
    wasserstein = float(stats.wasserstein_distance(r, c)) / spread if len(c) else 0.0
    p_psi = psi(rc, cc)
    drifted = wasserstein >= thresholds.wasserstein or p_psi >= thresholds.psi
    return ColumnDrift(
        name=name,
        kind="numeric",
        method="wasserstein_norm",
        score=round(wasserstein, 6),
        threshold=thresholds.wasserstein,
        drifted=bool(drifted and len(c) > 0),
        p_value=float(stats.ks_2samp(r, c).pvalue) if len(c) else None,
        psi=round(p_psi, 6),
        jensen_shannon=round(_js(rc, cc), 6),
        missing_rate_ref=float(ref.isna().mean()) if len(ref) else 0.0,
        missing_rate_cur=float(cur.isna().mean()) if len(cur) else 0.0,
    )


def categorical_drift(name: str, ref: pd.Series, cur: pd.Series, thresholds: DriftThresholds) -> ColumnDrift:
    ref_freq = ref.astype("string").fillna("<missing>").value_counts()
    cur_freq = cur.astype("string").fillna("<missing>").value_counts()
    keep = list(ref_freq.index[:MAX_CATEGORIES])
    new = sorted(str(v) for v in cur_freq.index if v not in ref_freq.index)

    def counts(freq: pd.Series) -> np.ndarray:
        return np.array([freq.get(k, 0) for k in keep] + [freq.drop(keep, errors="ignore").sum()], float)

    rc, cc = counts(ref_freq), counts(cur_freq)
    js = _js(rc, cc)
    used = (rc + cc) > 0
    p_value = None
    if cc.sum() and used.sum() > 1:
        p_value = float(stats.chi2_contingency(np.vstack([rc[used], cc[used]]) + 0.5)[1])
    return ColumnDrift(
        name=name,
        kind="categorical",
        method="jensen_shannon",
        score=round(js, 6),
        threshold=thresholds.jensen_shannon,
        drifted=bool(js >= thresholds.jensen_shannon and cc.sum() > 0),
        p_value=p_value,
        psi=round(psi(rc, cc), 6),
        jensen_shannon=round(js, 6),
        new_categories=new[:20],
        missing_rate_ref=float(ref.isna().mean()) if len(ref) else 0.0,
        missing_rate_cur=float(cur.isna().mean()) if len(cur) else 0.0,
    )


def compare_columns(
    reference: pd.DataFrame, current: pd.DataFrame, columns: list[str], thresholds: DriftThresholds
) -> list[ColumnDrift]:
    """One verdict per column; the column's kind is inferred from the reference."""
    results = []
    for name in columns:
        ref, cur = reference[name], current[name]
        if column_kind(ref) == "numeric":
            results.append(numeric_drift(name, ref, cur, thresholds))
        else:
            results.append(categorical_drift(name, ref, cur, thresholds))
    return results

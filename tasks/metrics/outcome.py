"""Model metrics for regressors and LLM applications, rate intervals, and the calibration of scores.

Plain NumPy functions with no Prefect: the classifier's metrics live in ``tasks.metrics.classifier``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from pydantic import BaseModel, ConfigDict
from scipy.stats import norm

from runbooks.metrics import LATENCY_QUANTILES
from tasks.metrics.classifier import MetricInputError



class RegressionMetrics(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: int
    mae: float | None
    rmse: float | None
    bias: float | None  # mean(prediction - actual): positive means the model over-predicts


def regression_metrics(actual: ArrayLike, predicted: ArrayLike) -> RegressionMetrics:
    y, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    if y.shape != p.shape:
        raise MetricInputError(f"lengths differ: {y.size} outcomes, {p.size} predictions")
    if not y.size:
        return RegressionMetrics(rows=0, mae=None, rmse=None, bias=None)
    error = p - y
    return RegressionMetrics(
        rows=int(y.size),
        mae=float(np.mean(np.abs(error))),
        rmse=float(np.sqrt(np.mean(error**2))),
        bias=float(np.mean(error)),
    )


def share(flags: ArrayLike) -> tuple[float | None, int]:
    """The share of true values among the known ones (missing values left out), and how many were known."""
    values = np.asarray(flags, dtype=float)
    known = values[~np.isnan(values)]
    return (float(known.mean()) if known.size else None), int(known.size)


def latency_quantiles(latency_ms: ArrayLike) -> dict[str, float | None]:
    values = np.asarray(latency_ms, dtype=float)
    values = values[~np.isnan(values)]
    return {name: (float(np.quantile(values, q)) if values.size else None) for name, q in LATENCY_QUANTILES.items()}


def wilson_interval(rate: float, trials: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval of a rate: honest for small slices and for rates near 0 or 1."""
    if trials <= 0:
        return 0.0, 1.0
    z = float(norm.ppf(0.5 + confidence / 2))
    centre = (rate + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


class Calibration(BaseModel):
    """Isotonic calibration fitted on mature labels: a non-decreasing step from score to P(positive).

    Isotonic rather than a logistic (Platt) curve because real scores often keep a floor of
    undetectable positives at low scores, which a logistic curve cannot bend to.
    Stored as the first and last score of each pooled block with the block's positive rate.
    """

    model_config = ConfigDict(frozen=True)

    scores: list[float] = [0.0, 1.0]
    probabilities: list[float] = [0.0, 1.0]
    rows: int = 0

    def apply(self, scores: ArrayLike) -> np.ndarray:
        return np.interp(np.asarray(scores, dtype=float), self.scores, self.probabilities)


def fit_calibration(labels: ArrayLike, scores: ArrayLike) -> Calibration:
    """Pool-adjacent-violators over the distinct scores; the identity when one class is missing."""
    y, s = np.asarray(labels, dtype=float), np.asarray(scores, dtype=float)
    if y.size == 0 or y.min() == y.max():
        return Calibration(rows=int(y.size))
    distinct, index, counts = np.unique(s, return_inverse=True, return_counts=True)
    rates = np.bincount(index, weights=y) / counts
    blocks: list[list[float]] = []  # [rate, weight, first score, last score]
    for x, rate, weight in zip(distinct.tolist(), rates.tolist(), counts.tolist(), strict=True):
        blocks.append([rate, weight, x, x])
        while len(blocks) > 1 and blocks[-2][0] >= blocks[-1][0]:
            r2, w2, _, last = blocks.pop()
            r1, w1, first, _ = blocks.pop()
            blocks.append([(r1 * w1 + r2 * w2) / (w1 + w2), w1 + w2, first, last])
    edges = [x for _, _, first, last in blocks for x in (first, last)]
    values = [rate for rate, _, _, _ in blocks for _ in (0, 1)]
    return Calibration(scores=edges, probabilities=values, rows=int(y.size))

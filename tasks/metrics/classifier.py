"""Classifier quality from labels, scores and decisions, in plain NumPy (no scikit-learn at run time).

One threshold sweep serves two callers: realised metrics, where each row is a positive or a negative,
and the label-free estimate, where a calibrated probability makes each row a fraction of both. The
realised value and its estimate are therefore computed by the same code and compare fairly.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from pydantic import BaseModel, ConfigDict

from tasks.core.errors import StewardError

CALIBRATION_BINS = 10


class MetricInputError(StewardError, ValueError):
    """Labels, scores and decisions that cannot be scored together."""


class ClassifierMetrics(BaseModel):
    """A classifier's quality on one set of rows; ``None`` where a metric is undefined.

    Recall and ROC/PR AUC need positives, FPR needs negatives, precision needs flagged rows;
    Brier and ECE need scores that are probabilities (within [0, 1]).
    """

    model_config = ConfigDict(frozen=True)

    rows: int
    positives: int
    predicted_positive: int
    precision: float | None
    recall: float | None
    false_positive_rate: float | None
    roc_auc: float | None
    pr_auc: float | None
    brier: float | None
    ece: float | None


class _Counts(NamedTuple):
    """Positive and negative weight per row: 0/1 for labels, p and 1-p for an estimate."""

    scores: np.ndarray
    positive: np.ndarray
    negative: np.ndarray
    predicted: np.ndarray


def classifier_metrics(labels: ArrayLike, scores: ArrayLike, predicted: ArrayLike) -> ClassifierMetrics:
    """Realised metrics: ``labels`` are 0/1 (or bool), ``predicted`` is True where the row was flagged."""
    y = _as_1d(labels, "labels")
    if y.size and not np.isin(y, (0, 1)).all():
        raise MetricInputError("labels must be 0/1 or true/false")
    y = y.astype(float)
    counts = _counts(y, 1.0 - y, scores, predicted)
    metrics = _metrics(counts, positives=int(y.sum()))
    in_unit = counts.scores.size and counts.scores.min() >= 0 and counts.scores.max() <= 1
    if not in_unit:
        return metrics
    return metrics.model_copy(
        update={"brier": float(np.mean((counts.scores - y) ** 2)), "ece": expected_calibration_error(y, counts.scores)}
    )


def expected_classifier_metrics(probabilities: ArrayLike, scores: ArrayLike, predicted: ArrayLike) -> ClassifierMetrics:
    """Label-free (confidence-based) estimate: each row counts as positive with its calibrated probability.

    The expected confusion matrix gives precision, recall and FPR; the expected ROC and PR curves give
    their AUCs. Calibration cannot be judged from the probabilities themselves: Brier and ECE are None,
    and ``positives`` is the expected count, rounded.
    """
    p = _as_1d(probabilities, "probabilities").astype(float)
    if p.size and (np.isnan(p).any() or p.min() < 0 or p.max() > 1):
        raise MetricInputError("probabilities must lie within [0, 1]")
    return _metrics(_counts(p, 1.0 - p, scores, predicted), positives=round(float(p.sum())))


def expected_calibration_error(labels: ArrayLike, probabilities: ArrayLike, bins: int = CALIBRATION_BINS) -> float | None:
    """Share-weighted gap between mean probability and observed rate over equal-width probability bins."""
    y, p = np.asarray(labels, dtype=float), np.asarray(probabilities, dtype=float)
    if not y.size:
        return None
    index = np.clip((p * bins).astype(int), 0, bins - 1)
    gap = np.bincount(index, weights=y, minlength=bins) - np.bincount(index, weights=p, minlength=bins)
    return float(np.abs(gap).sum() / y.size)


def _counts(positive: np.ndarray, negative: np.ndarray, scores: ArrayLike, predicted: ArrayLike) -> _Counts:
    s = _as_1d(scores, "scores").astype(float)
    flagged = _as_1d(predicted, "predicted")
    if not (positive.size == s.size == flagged.size):
        raise MetricInputError(f"lengths differ: {positive.size} labels, {s.size} scores, {flagged.size} decisions")
    if np.isnan(s).any():
        raise MetricInputError("scores contain missing values")
    return _Counts(s, positive, negative, flagged.astype(bool))


def _metrics(c: _Counts, positives: int) -> ClassifierMetrics:
    total_pos, total_neg = float(c.positive.sum()), float(c.negative.sum())
    flagged_pos = float(c.positive[c.predicted].sum())
    flagged_neg = float(c.negative[c.predicted].sum())
    roc_auc, pr_auc = _curve_areas(c, total_pos, total_neg)
    return ClassifierMetrics(
        rows=int(c.scores.size),
        positives=positives,
        predicted_positive=int(c.predicted.sum()),
        precision=_ratio(flagged_pos, flagged_pos + flagged_neg),
        recall=_ratio(flagged_pos, total_pos),
        false_positive_rate=_ratio(flagged_neg, total_neg),
        roc_auc=roc_auc,
        pr_auc=pr_auc,
        brier=None,
        ece=None,
    )


def _curve_areas(c: _Counts, total_pos: float, total_neg: float) -> tuple[float | None, float | None]:
    """ROC AUC (trapezoids, so ties count half) and average precision, sweeping every distinct score."""
    if total_pos <= 0:
        return None, None
    order = np.argsort(-c.scores, kind="mergesort")
    ordered = c.scores[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(ordered)), ordered.size - 1]
    tp = np.cumsum(c.positive[order])[last_of_tie]
    fp = np.cumsum(c.negative[order])[last_of_tie]
    recall = np.r_[0.0, tp / total_pos]
    precision = tp / np.maximum(tp + fp, np.finfo(float).tiny)
    pr_auc = float(np.sum(np.diff(recall) * precision))
    if total_neg <= 0:
        return None, pr_auc
    roc_auc = float(np.trapezoid(recall, np.r_[0.0, fp / total_neg]))
    return roc_auc, pr_auc


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


def _as_1d(values: ArrayLike, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise MetricInputError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array

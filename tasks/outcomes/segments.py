"""Every outcome metric for one segment of a window (the total, or one slice value), realised and estimated.

A segment's metrics are what its SLA rules are judged on. Metrics a segment cannot support (too few
rows, positives or negatives) are left as None with the reason, so they read 'insufficient data'
instead of alerting on noise.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel

from runbooks.metrics import ESTIMATED_METRICS
from runbooks.spec import BusinessMetric, OutcomesSection, SystemKind
from tasks.io.outcomes import ERROR, ESCALATED, FALLBACK, FLAGGED, KNOWN, LABEL, LATENCY, PREDICTION, RESOLVED, SCORE
from tasks.metrics.classifier import classifier_metrics, expected_classifier_metrics
from tasks.metrics.outcome import latency_quantiles, regression_metrics, share

SegmentStatus = Literal["judged", "insufficient data", "no outcomes"]
_NEEDS_POSITIVES = ("recall", "roc_auc", "pr_auc")
_NEEDS_NEGATIVES = ("false_positive_rate", "roc_auc")


class Segment(BaseModel):
    """One segment's numbers. ``trials`` holds each rate's denominator, for its confidence interval."""

    name: str
    rows: int
    labelled: int
    positives: int | None = None
    status: SegmentStatus
    note: str = ""
    metrics: dict[str, float | None] = {}
    trials: dict[str, int] = {}
    business: dict[str, float] = {}
    decision_rates: dict[str, float] = {}
    estimated: dict[str, float | None] = {}


def measure_segment(
    name: str,
    rows: pd.DataFrame,
    kind: SystemKind,
    section: OutcomesSection,
    days: float,
    probabilities: np.ndarray | None = None,
    decision: str | None = None,
    is_slice: bool = False,
) -> Segment:
    """Realised metrics on the rows whose outcome has arrived; estimates (if ``probabilities``) on all rows."""
    known = rows[rows[KNOWN]]
    if kind is not SystemKind.llm_app:  # a row without its label or model output cannot be scored
        model_output = SCORE if kind is SystemKind.classifier else PREDICTION
        known = known[known[LABEL].notna() & known[model_output].notna()]
    segment = Segment(name=name, rows=len(rows), labelled=len(known), status="judged")
    if decision:
        segment.decision_rates = {str(k): float(v) for k, v in rows[decision].value_counts(normalize=True).items()}
    if kind is SystemKind.classifier:
        _classifier(segment, known, rows, section, days, probabilities)
    elif kind is SystemKind.regressor:
        segment.metrics = regression_metrics(known[LABEL], known[PREDICTION]).model_dump(exclude={"rows"})
    else:
        _llm_app(segment, known, rows, section, days)
    if not len(known):
        segment.status, segment.note = "no outcomes", "no outcome has arrived for these rows"
    elif is_slice and len(rows) < section.min_slice_size:
        segment.status, segment.note = "insufficient data", f"{len(rows)} rows < min_slice_size {section.min_slice_size}"
    return segment


def _classifier(segment: Segment, known: pd.DataFrame, rows: pd.DataFrame, section: OutcomesSection,
                days: float, probabilities: np.ndarray | None) -> None:
    m = classifier_metrics(known[LABEL].to_numpy(int), known[SCORE].to_numpy(), known[FLAGGED].to_numpy())
    negatives = m.rows - m.positives
    metrics: dict[str, float | None] = m.model_dump(include={"precision", "recall", "false_positive_rate", "roc_auc",
                                                             "pr_auc", "brier", "ece"})
    metrics["flag_rate"] = float(rows[FLAGGED].mean()) if len(rows) else None
    thin = []
    if m.positives < section.min_slice_positives:
        thin.append(f"{m.positives} positives")
        metrics.update(dict.fromkeys(_NEEDS_POSITIVES))
    if negatives < section.min_slice_positives:
        thin.append(f"{negatives} negatives")
        metrics.update(dict.fromkeys(_NEEDS_NEGATIVES))
    if thin and m.rows:
        segment.note = f"{' and '.join(thin)} < min_slice_positives {section.min_slice_positives}"
    segment.positives, segment.metrics = m.positives, metrics
    segment.trials = {"recall": m.positives, "precision": m.predicted_positive, "false_positive_rate": negatives,
                      "flag_rate": len(rows)}
    label, flagged = known[LABEL].to_numpy(float), known[FLAGGED].to_numpy(float)
    segment.business = business_values(section.business_metrics, known, _classifier_cells(label, flagged), days)
    if probabilities is not None and len(rows):
        scored = rows[SCORE].notna().to_numpy()  # a row without a score has no calibrated probability either
        rows, probabilities = rows[scored], probabilities[scored]
        estimate = expected_classifier_metrics(probabilities, rows[SCORE].to_numpy(), rows[FLAGGED].to_numpy())
        segment.estimated = {
            **estimate.model_dump(include={*ESTIMATED_METRICS, "positives"}),
            **business_values(section.business_metrics, rows,
                              _classifier_cells(probabilities, rows[FLAGGED].to_numpy(float)), days),
        }


def _classifier_cells(positive: np.ndarray, flagged: np.ndarray) -> dict[str, np.ndarray]:
    """Each row's weight in each cell: 0/1 with labels, expected shares with calibrated probabilities."""
    return {"true_positive": positive * flagged, "false_positive": (1 - positive) * flagged,
            "false_negative": positive * (1 - flagged), "true_negative": (1 - positive) * (1 - flagged),
            "flagged": flagged}


def _llm_app(segment: Segment, known: pd.DataFrame, rows: pd.DataFrame, section: OutcomesSection, days: float) -> None:
    resolved = known[RESOLVED].to_numpy(float) if RESOLVED in known else None
    escalated = known[ESCALATED].to_numpy(float) if ESCALATED in known else None
    failed = None
    if resolved is not None or escalated is not None:
        neither = [1 - x for x in (resolved, escalated) if x is not None]
        failed = np.prod(neither, axis=0)
    metrics: dict[str, float | None] = {}
    for metric, values, base in (("resolution_rate", resolved, known), ("escalation_rate", escalated, known),
                                 ("failure_rate", failed, known),
                                 ("error_rate", rows[ERROR] if ERROR in rows else None, rows),
                                 ("fallback_rate", rows[FALLBACK] if FALLBACK in rows else None, rows)):
        if values is not None:
            metrics[metric], segment.trials[metric] = share(values)
    if LATENCY in rows:
        metrics.update(latency_quantiles(rows[LATENCY]))
    segment.metrics = metrics
    cells = {"resolved": resolved, "escalated": escalated, "failed": failed}
    segment.business = business_values(section.business_metrics, known,
                                       {k: np.nan_to_num(v) for k, v in cells.items() if v is not None}, days)


def business_values(
    costs: list[BusinessMetric], rows: pd.DataFrame, cells: dict[str, np.ndarray], days: float
) -> dict[str, float]:
    """Each cost-matrix entry in the owner's currency over the window, and per day."""
    values: dict[str, float] = {}
    for cost in costs:
        if cost.cell not in cells:
            continue
        amount = pd.to_numeric(rows[cost.column], errors="coerce").fillna(0).to_numpy(float) if cost.column else 1.0
        total = float(cost.factor * np.sum(cells[cost.cell] * amount))
        values[cost.name] = total
        values[f"{cost.name}_per_day"] = total / days
    return values

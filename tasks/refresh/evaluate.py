"""Champion against challenger on the same rows: metrics, business impact, slices, calibration, the gate.

Plain functions over a labelled frame and each model's scores; no I/O, so the
gate's logic is tested directly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from pydantic import BaseModel

from runbooks.metrics import GATE_METRICS
from runbooks.spec import PromotionGate, RefreshSection
from tasks.common.findings import DutyMetrics, DutyReport
from tasks.core.money import money
from tasks.metrics.bootstrap import SURE, paired_resamples
from tasks.metrics.classifier import ClassifierMetrics, classifier_metrics
from tasks.refresh.data import LABEL

class BusinessImpact(BaseModel):
    """What flagging at the runbook's threshold means for the business on these rows."""

    flagged: int
    positives_caught: int
    positives_missed: int
    false_alarms: int
    value_caught: float | None = None
    value_missed: float | None = None


class ModelEvaluation(BaseModel):
    overall: ClassifierMetrics
    business: BusinessImpact
    slices: dict[str, ClassifierMetrics] = {}


class GateVerdict(BaseModel):
    passed: bool
    gain: float | None
    reasons: list[str]
    excused: list[str] = []  # regressions beyond tolerance that sampling noise explains


class Comparison(DutyMetrics):
    """Everything the owner sees before deciding; stored with the challenger's version, and the refresh
    report's metrics (``RefreshMetrics``)."""

    champion_version: int
    challenger_version: int
    holdout_rows: int
    golden_rows: int
    champion: ModelEvaluation
    challenger: ModelEvaluation
    golden_champion: ModelEvaluation | None = None
    golden_challenger: ModelEvaluation | None = None
    gate: GateVerdict


RefreshMetrics = Comparison
RefreshReport = DutyReport[Comparison]


def evaluate(frame: pd.DataFrame, scores: np.ndarray, *, threshold: float, slices: list[str],
             value_column: str | None = None) -> ModelEvaluation:
    """One model's quality on ``frame`` (which holds the ``label`` column) given its ``scores``."""
    labels = frame[LABEL].to_numpy()
    flagged = scores >= threshold
    caught, missed = flagged & (labels == 1), ~flagged & (labels == 1)
    value = frame[value_column].to_numpy(dtype=float) if value_column else None
    business = BusinessImpact(
        flagged=int(flagged.sum()), positives_caught=int(caught.sum()), positives_missed=int(missed.sum()),
        false_alarms=int((flagged & (labels == 0)).sum()),
        value_caught=round(float(value[caught].sum()), 2) if value is not None else None,
        value_missed=round(float(value[missed].sum()), 2) if value is not None else None,
    )
    by_slice = {}
    for column in slices:
        for level, index in frame.groupby(column, sort=True, observed=True).indices.items():
            by_slice[f"{column}={level}"] = classifier_metrics(labels[index], scores[index], flagged[index])
    return ModelEvaluation(overall=classifier_metrics(labels, scores, flagged), business=business, slices=by_slice)


def _better_by(metric: str, champion: ClassifierMetrics, challenger: ClassifierMetrics) -> float | None:
    """How much better the challenger is on ``metric`` (positive = better, whichever way the metric points)."""
    before, after = getattr(champion, metric), getattr(challenger, metric)
    if before is None or after is None:
        return None
    return (after - before) * GATE_METRICS[metric]


def within_noise(labels: np.ndarray, before: np.ndarray, after: np.ndarray, *, metric: str, threshold: float,
                 resamples: int = 200, seed: int = 7) -> bool:
    """True when a slice's regression could be sampling noise: a paired bootstrap of the rows finds the
    challenger no worse in at least 5% of resamples. A slice with 40 positives moves its PR AUC by a few
    hundredths from one week to the next; only a regression the data is sure of may block a promotion."""
    worse = 0
    for rows in paired_resamples(labels.size, resamples, seed):
        y = labels[rows]
        m_before = classifier_metrics(y, before[rows], before[rows] >= threshold)
        m_after = classifier_metrics(y, after[rows], after[rows] >= threshold)
        change = _better_by(metric, m_before, m_after)
        worse += change is not None and change < 0
    return worse < SURE * resamples


def judge_gate(champion: ModelEvaluation, challenger: ModelEvaluation, gate: PromotionGate, *,
               min_slice_size: int, min_slice_positives: int = 1,
               golden: tuple[ModelEvaluation, ModelEvaluation] | None = None,
               noise: Callable[[str], bool] | None = None) -> GateVerdict:
    """The runbook's promotion gate: a gain on the held-out window, and no slice (nor the golden set) worse
    by more than its tolerance. ``noise(slice name)`` may excuse a regression sampling alone explains;
    it can only silence a slice's objection, never raise one."""
    reasons: list[str] = []
    excused: list[str] = []

    def objection(name: str, change: float | None) -> None:
        if change is None or -change <= gate.max_slice_regression:
            return
        text = f"{name}: {gate.metric} worse by {-change:.4f} (allowed {gate.max_slice_regression:.4f})"
        (excused if noise and noise(name) else reasons).append(text)

    gain = _better_by(gate.metric, champion.overall, challenger.overall)
    if gain is None:
        reasons.append(f"{gate.metric} is undefined on the held-out window (no positives?)")
    elif gain < gate.min_gain:
        reasons.append(f"{gate.metric} gain {gain:+.4f} is below the required {gate.min_gain:+.4f}")
    for name, before in champion.slices.items():
        after = challenger.slices.get(name)
        if after is None or before.rows < min_slice_size or before.positives < min_slice_positives:
            continue
        objection(name, _better_by(gate.metric, before, after))
    if golden is not None:
        objection(GOLDEN, _better_by(gate.metric, golden[0].overall, golden[1].overall))
    return GateVerdict(passed=not reasons, gain=gain, reasons=reasons, excused=excused)


GOLDEN = "golden set"


def _rows_of(frame: pd.DataFrame, name: str) -> np.ndarray:
    """The rows a slice name (``column=level``, as ``evaluate`` names them) covers; all rows for the golden set."""
    if name == GOLDEN:
        return np.ones(len(frame), dtype=bool)
    column, _, level = name.partition("=")
    return (frame[column].astype(str) == level).to_numpy()


def judge_versions(section: RefreshSection, slices: list[str], versions: tuple[int, int], holdout: pd.DataFrame,
                   holdout_scores: tuple[np.ndarray, np.ndarray], golden: pd.DataFrame,
                   golden_scores: tuple[np.ndarray, np.ndarray] | None) -> Comparison:
    """Champion and challenger (in that order in ``versions`` and the score pairs) on the held-out rows
    and the golden set, and the runbook's gate over them."""
    kw = {"threshold": section.threshold, "slices": slices, "value_column": section.value_column}
    before, after = (evaluate(holdout, s, **kw) for s in holdout_scores)
    gold = tuple(evaluate(golden, s, **kw) for s in golden_scores) if golden_scores else None

    def noise(name: str) -> bool:
        rows, (champion, challenger) = (golden, golden_scores) if name == GOLDEN else (holdout, holdout_scores)
        mask = _rows_of(rows, name)
        return within_noise(rows[LABEL].to_numpy()[mask], champion[mask], challenger[mask],
                            metric=section.gate.metric, threshold=section.threshold)

    gate = judge_gate(before, after, section.gate, min_slice_size=section.min_slice_size,
                      min_slice_positives=section.min_slice_positives, golden=gold, noise=noise)
    return Comparison(champion_version=versions[0], challenger_version=versions[1], holdout_rows=len(holdout),
                      golden_rows=len(golden), champion=before, challenger=after,
                      golden_champion=gold[0] if gold else None, golden_challenger=gold[1] if gold else None,
                      gate=gate)


def _fmt(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def metric_rows(champion: ModelEvaluation, challenger: ModelEvaluation) -> list[dict[str, str]]:
    """Overall metrics side by side, calibration (Brier, ECE) included."""
    rows = []
    for metric in GATE_METRICS:
        before, after = getattr(champion.overall, metric), getattr(challenger.overall, metric)
        change = None if before is None or after is None else after - before
        rows.append({"metric": metric, "champion": _fmt(before), "challenger": _fmt(after),
                     "change": "-" if change is None else f"{change:+.4f}"})
    return rows


def business_rows(champion: ModelEvaluation, challenger: ModelEvaluation, currency: str) -> list[dict[str, str]]:
    """Counts and money at the decision threshold side by side; money in the owner's currency."""
    rows = []
    for field in BusinessImpact.model_fields:
        before, after = getattr(champion.business, field), getattr(challenger.business, field)
        if before is None or after is None:
            continue
        if field.startswith("value_"):
            was, now, change = money(before, currency), money(after, currency), money(after - before, currency, True)
        else:
            was, now, change = f"{before:,}", f"{after:,}", f"{after - before:+,}"
        rows.append({"measure": field.replace("_", " "), "champion": was, "challenger": now, "change": change})
    return rows


def slice_rows(champion: ModelEvaluation, challenger: ModelEvaluation, metric: str) -> list[dict[str, str]]:
    rows = []
    for name, before in champion.slices.items():
        after = challenger.slices.get(name)
        change = _better_by(metric, before, after) if after else None
        rows.append({"slice": name, "rows": f"{before.rows:,}", f"champion {metric}": _fmt(getattr(before, metric)),
                     f"challenger {metric}": _fmt(getattr(after, metric) if after else None),
                     "better by": "-" if change is None else f"{change:+.4f}"})
    return rows

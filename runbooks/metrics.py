"""The catalogue of metrics: which exist for each kind of system, which way each points, the cells business
metrics count, and the lists each duty shows, estimates or gates on.

Kept at the bottom beside the spec (and free of NumPy) so a misspelt SLA metric fails when the runbook loads,
not months later when the first breach should have paged someone. The spec validation, the outcome verdict,
its estimates and report, and the refresh gate all read their names from here.
"""

from __future__ import annotations

LATENCY_QUANTILES: dict[str, float] = {"latency_p50_ms": 0.50, "latency_p95_ms": 0.95, "latency_p99_ms": 0.99}
MODEL_METRICS: dict[str, tuple[str, ...]] = {
    "classifier": ("precision", "recall", "false_positive_rate", "roc_auc", "pr_auc", "brier", "ece", "flag_rate"),
    "regressor": ("mae", "rmse", "bias"),
    "llm_app": ("resolution_rate", "escalation_rate", "failure_rate", "error_rate", "fallback_rate",
                *LATENCY_QUANTILES),
}
CELLS: dict[str, tuple[str, ...]] = {
    "classifier": ("true_positive", "false_positive", "false_negative", "true_negative", "flagged"),
    "regressor": (),
    "llm_app": ("resolved", "escalated", "failed"),
}
PER_DAY = "_per_day"

HIGHER, LOWER = 1, -1
DIRECTION: dict[str, int] = {  # which way is better: +1 higher, -1 lower (flag_rate and bias have no better side)
    "precision": HIGHER, "recall": HIGHER, "roc_auc": HIGHER, "pr_auc": HIGHER, "resolution_rate": HIGHER,
    "false_positive_rate": LOWER, "brier": LOWER, "ece": LOWER, "mae": LOWER, "rmse": LOWER,
    "escalation_rate": LOWER, "failure_rate": LOWER, "error_rate": LOWER, "fallback_rate": LOWER,
    **dict.fromkeys(LATENCY_QUANTILES, LOWER),
}

# The metrics the outcome report tabulates and charts: every model metric, in catalogue order.
REPORTED_METRICS: tuple[str, ...] = tuple(m for names in MODEL_METRICS.values() for m in names)
# What the label-free estimate of an immature classifier window gives (from calibrated scores).
ESTIMATED_METRICS: tuple[str, ...] = ("precision", "recall", "false_positive_rate", "roc_auc", "pr_auc")
# The three metrics an outcome headline names, per kind.
HEADLINE_METRICS: dict[str, tuple[str, ...]] = {
    "classifier": ("recall", "false_positive_rate", "roc_auc"),
    "regressor": ("mae", "rmse", "bias"),
    "llm_app": ("resolution_rate", "escalation_rate", "latency_p95_ms"),
}
# The metrics a refresh gate may judge (``refresh.gate.metric``) and the champion/challenger table shows, in order,
# each with its direction: a gain is ``(challenger - champion) * direction``.
GATE_METRICS: dict[str, int] = {m: DIRECTION[m] for m in
                                ("pr_auc", "roc_auc", "recall", "precision", "false_positive_rate", "brier", "ece")}

"""The catalogue of outcome metrics: which exist for each kind of system, and the cells business metrics count.

Kept at the bottom beside the spec (and free of NumPy) so a misspelt SLA metric fails when the runbook loads,
not months later when the first breach should have paged someone.
"""

from __future__ import annotations

MODEL_METRICS: dict[str, tuple[str, ...]] = {
    "classifier": ("precision", "recall", "false_positive_rate", "roc_auc", "pr_auc", "brier", "ece", "flag_rate"),
    "regressor": ("mae", "rmse", "bias"),
    "llm_app": ("resolution_rate", "escalation_rate", "failure_rate", "error_rate", "fallback_rate",
                "latency_p50_ms", "latency_p95_ms", "latency_p99_ms"),
}
CELLS: dict[str, tuple[str, ...]] = {
    "classifier": ("true_positive", "false_positive", "false_negative", "true_negative", "flagged"),
    "regressor": (),
    "llm_app": ("resolved", "escalated", "failed"),
}
PER_DAY = "_per_day"

"""Which outcome metrics exist for each kind of system, and whether a runbook can measure them.

Kept beside the spec (and free of NumPy) so a misspelt SLA metric fails when the runbook loads,
not months later when the first breach should have paged someone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbooks.spec import RunbookSpec

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


def metric_names(spec: RunbookSpec) -> set[str]:
    """Every metric an SLA rule may name: the model metrics of its kind, business metrics and their daily rate."""
    assert spec.outcomes is not None
    business = [m.name for m in spec.outcomes.business_metrics]
    return {*MODEL_METRICS[spec.kind.value], *business, *(name + PER_DAY for name in business)}


def outcome_problems(spec: RunbookSpec) -> str | None:
    """The first reason the outcomes section cannot be measured as written, or None."""
    section, source = spec.outcomes, spec.source
    assert section is not None
    kind = spec.kind.value
    if source.outcomes is None:
        return "an outcomes section needs source.outcomes (where the labels or outcome fields live)"
    if source.outcomes.table and source.path:
        return "source.outcomes.table needs a SQL source; for files give source.outcomes.path"
    if kind in ("classifier", "regressor") and not source.outcomes.label:
        return f"a {kind} outcomes section needs source.outcomes.label"
    if kind == "classifier":
        if not source.columns.score:
            return "a classifier outcomes section needs source.columns.score"
        if not (section.flagged_decisions or section.flag_threshold is not None):
            return "outcomes needs 'flagged_decisions' or 'flag_threshold': what counts as a positive prediction"
        if section.flagged_decisions and not source.columns.decision:
            return "outcomes.flagged_decisions needs source.columns.decision"
    if kind == "regressor" and not source.columns.prediction:
        return "a regressor outcomes section needs source.columns.prediction"
    if kind == "llm_app" and not (section.signals.resolved or section.signals.escalated):
        return "an llm_app outcomes section needs signals.resolved or signals.escalated"
    for cost in section.business_metrics:
        if cost.cell not in CELLS[kind]:
            return f"business metric {cost.name!r}: cell {cost.cell!r} does not exist for a {kind}"
    if "total" in section.slices:
        return "'total' is reserved for the whole window; it cannot be a slice column"
    known = metric_names(spec)
    for rule in section.sla:
        if rule.metric not in known:
            return f"SLA metric {rule.metric!r} is not one of: {', '.join(sorted(known))}"
        column = (rule.slice or "").partition("=")[0]
        if column and column != "total" and column not in section.slices:
            return f"SLA rule on slice {rule.slice!r}: {column!r} is not in outcomes.slices"
    return None

"""One Prefect flow per operational duty, and the registry of which flow carries out each duty."""

__all__ = [
    "compliance_audit",
    "cost_review",
    "drift_check",
    "model_refresh",
    "model_rollback",
    "outcome_review",
    "registry",
]

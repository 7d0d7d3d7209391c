"""The ops store: everything Steward found, alerted, asked, changed and sealed."""

__all__ = [
    "alerts",
    "approvals",
    "audit",
    "baselines",
    "database",
    "golden",
    "mlflow",
    "models",
    "refresh_requests",
    "registry",
    "results",
    "seals",
]

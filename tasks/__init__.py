"""Steward's building blocks: one package per duty with the same roles, and the shared pieces below them."""

__all__ = [
    "approvals",
    "common",
    "compliance",
    "core",
    "cost",
    "drift",
    "io",
    "metrics",
    "outcomes",
    "refresh",
    "render",
    "slack",
    "store",
]

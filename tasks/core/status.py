"""The states Steward's records move through: plain enums, so pure code needs no ORM import."""

from __future__ import annotations

from enum import StrEnum


class CheckStatus(StrEnum):
    healthy = "healthy"
    attention = "attention"
    failed = "failed"
    skipped = "skipped"  # not judged: the window lies before the log's first row, in the future, or is today
    no_data = "no_data"  # inside the log's life, yet the window holds no rows: never "healthy"


class AlertState(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"


class Delivery(StrEnum):
    pending = "pending"
    sent = "sent"
    not_configured = "not_configured"
    failed = "failed"


class ApprovalState(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    expired = "expired"

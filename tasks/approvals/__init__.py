"""Asking the accountable owner and waiting for the decision: request, reminders, expiry, the sweep."""

__all__ = ["workflow"]

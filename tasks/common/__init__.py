"""What every duty run shares: the report model and findings, persist-alert-notify, the publish step, failure hooks."""

__all__ = ["duty", "escalation", "findings", "publish"]

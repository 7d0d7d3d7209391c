"""The compliance audit: checks, metrics (the report's typed metrics), PII, seals and sealing, the approved purge, report, notify."""

__all__ = ["checks", "metrics", "notify", "pii", "purge", "report", "sealing", "seals"]

"""The compliance audit: checks, PII, seals and sealing, the approved purge, report, notify."""

__all__ = ["checks", "notify", "pii", "purge", "report", "sealing", "seals"]

"""The nightly drift check: data (window evidence), stats, verdict, report, baseline."""

__all__ = ["baseline", "data", "report", "stats", "verdict"]

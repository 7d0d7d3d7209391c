"""The nightly drift check: data (window evidence), stats, metrics (the report's typed metrics), verdict, report, baseline."""

__all__ = ["baseline", "data", "metrics", "report", "stats", "verdict"]

"""The outcome and SLA review: windows (label maturity), segments, estimate, metrics (the report's typed metrics), verdict, report."""

__all__ = ["estimate", "metrics", "report", "segments", "verdict", "windows"]

"""The outcome and SLA review: windows (label maturity), segments, estimate, verdict, report."""

__all__ = ["estimate", "report", "segments", "verdict", "windows"]

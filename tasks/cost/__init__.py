"""The monthly cost review: data (aggregates), pricing, spend, savings, metrics (the report's typed metrics), verdict, report."""

__all__ = ["data", "metrics", "pricing", "report", "savings", "spend", "verdict"]

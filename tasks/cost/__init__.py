"""The monthly cost review: data (aggregates), pricing, spend, savings, verdict, report."""

__all__ = ["data", "pricing", "report", "savings", "spend", "verdict"]

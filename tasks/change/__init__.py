"""The change review: a prompt or model change of an LLM app judged on real interactions before it serves.

data.py (golden sets from the log, configurations, the responder) · scorers.py (each answer scored) ·
metrics.py (per route and overall) · verdict.py (the gate) · report.py (the matrix and the approval message)
"""

__all__ = ["data", "metrics", "report", "scorers", "verdict"]

"""Retrain, judge and promote: data (labelled rows), artifacts, evaluate (the gate), report."""

__all__ = ["artifacts", "data", "evaluate", "report"]

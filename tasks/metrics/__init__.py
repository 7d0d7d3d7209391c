"""Decision-quality metrics shared by the outcome review, the refresh gate and the change review."""

__all__ = ["bootstrap", "classifier", "outcome"]

"""Decision-quality metrics shared by the outcome review and the refresh gate."""

__all__ = ["classifier", "outcome"]

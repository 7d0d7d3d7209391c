"""Prefect Block types for Steward's configuration kept in the Prefect server."""

__all__ = ["slack"]

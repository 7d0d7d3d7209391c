"""Reading what a system logged: its decision log and outcome feed (SQL or files), and whole files for ad-hoc drift."""

__all__ = ["files", "outcomes", "sources"]

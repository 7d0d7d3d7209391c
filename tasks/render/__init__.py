"""HTML pages and charts for every report."""

__all__ = ["charts", "html", "index", "links"]

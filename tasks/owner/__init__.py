"""The owner's view across duties: the monthly report per system, the portfolio page, the readiness assessment.

Modules: data.py (reads the ops store into plain records) · metrics.py (pure business numbers) ·
assess.py (the readiness rubric) · report.py (the pages and the Slack summary) · build.py (store in, pages out).
"""

__all__ = ["assess", "build", "data", "metrics", "report"]

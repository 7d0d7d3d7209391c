"""The owner's monthly report: one page per system in business terms, and a Slack summary with its path.

Not a duty (it judges nothing and raises no alert): it reads what the duties stored and writes the page, then
the portfolio page beside it. Default month: the previous calendar month (UTC), as the monthly deployment runs
on the 2nd, after the cost review of the 1st.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task

from runbooks.loader import load_catalog
from tasks.core.retry import RETRY
from tasks.core.windows import Window
from tasks.owner.build import monthly_report, portfolio, post_owner_summary
from tasks.owner.report import OwnerReport

SCHEDULE = "0 9 2 * *"  # the 2nd of the month, 09:00 in the owner's timezone: after the monthly cost review


@task(**RETRY)
def build_report(system: str, month: str, runbooks: str | None) -> OwnerReport:
    catalog = load_catalog(Path(runbooks) if runbooks else None)
    report = monthly_report(catalog, system, month)
    portfolio(catalog, month)
    return report


@flow(name="owner-report", flow_run_name="owner-report/{system}/{month}")
def owner_report(system: str, month: str | None = None, runbooks: str | None = None) -> OwnerReport:
    """Build ``system``'s page for ``month`` (YYYY-MM; default last month) and send its owner the summary."""
    month = month or Window.month_before(datetime.now(UTC).date())
    Window.month(month)  # a malformed month is refused before anything is written
    report = build_report(system, month, runbooks)
    delivery = post_owner_summary(load_catalog(Path(runbooks) if runbooks else None), report)
    get_run_logger().info("%s %s: %s (Slack: %s)", system, month, report.path, delivery.value)
    return report

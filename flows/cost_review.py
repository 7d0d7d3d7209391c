"""Monthly cost review: what the system cost, against budget, and what to do about it.

load the month's aggregates (GROUP BY in the database for SQL logs) -> price,
break down, forecast, find anomalies and savings -> report -> persist, alert on
budget, and send the owner the month's summary. Default window: the previous
calendar month. Only the days the log covers are judged (a system's first month
from its first row; a window reaching past today is the month to date, with a
forecast of the rest); a window the log does not cover at all is skipped before
anything is read, stored or sent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
from prefect import flow, get_run_logger
from prefect.states import State

from runbooks.loader import Catalog
from runbooks.spec import Duty, RunbookSpec
from tasks.common.duty import duty_run, duty_spec, failure_hooks, log_start, run_namer, settle
from tasks.common.findings import DutyReport, not_judged
from tasks.common.publish import publish
from tasks.common.steps import step
from tasks.core.retry import RETRY
from tasks.core.windows import Coverage, Window, cover
from tasks.cost.data import load_aggregates
from tasks.cost.metrics import CostMetrics
from tasks.cost.report import model_rows, top_lines, write_cost_report
from tasks.cost.spend import Period
from tasks.cost.verdict import review
from tasks.slack.summary import post_summary


def default_window(_spec: RunbookSpec, now: datetime) -> list[Window]:
    """The previous calendar month, UTC."""
    return [Window.month(Window.month_before(now.astimezone(UTC).date()))]


@step(**RETRY)
def load_month(spec: RunbookSpec, coverage: Coverage, today: date) -> pd.DataFrame:
    start, end = Period.covering(coverage, today).read_range()
    return load_aggregates(spec, Window(start=start, end=end))




def review_cost(catalog: Catalog, system: str, window: str | None = None) -> list[DutyReport]:
    """Review one month (default: the previous calendar month, UTC) of the system's spend, inside whichever flow
    run calls it: the duty's own, or a fleet's nightly batch."""
    logger = get_run_logger()
    spec = duty_spec(catalog, system, Duty.cost)
    now = datetime.now(UTC)
    today = now.date()
    judged = Window.parse(window) if window else default_window(spec, now)[0]
    coverage = cover(judged, log_start(spec.source), now)  # asked first, before any side effect
    if coverage.covered is None:  # refused before any side effect: no report file, no result, no alert, no Slack
        report = not_judged(system, Duty.cost, coverage.window, coverage.reason, CostMetrics())
        logger.info("%s cost %s: %s", system, judged.label(), report.headline)
        return [report]
    aggregates = load_month(spec, coverage, today)
    report = review(spec, coverage, aggregates, today)
    report = publish(report, write_cost_report(report, spec), model_rows(report), bullets=top_lines(report))
    report = settle(report, catalog)
    commands = [c for f in report.findings if (c := f.evidence.get("change_review"))]
    delivery = post_summary(spec.owner, f"Cost review · {system} · {judged.label()}", top_lines(report),
                            report.report_path, commands)
    logger.info("%s cost: %s (summary %s)", system, report.headline, delivery.value)
    return [report]


@flow(name="cost-review", flow_run_name=run_namer("cost", default_window), **failure_hooks(Duty.cost))
def cost_review(system: str, window: str | None = None, runbooks: str | None = None) -> State:
    """Review one month (default: the previous calendar month, UTC) of the system's spend (``review_cost``)."""
    return duty_run(review_cost, system, window, runbooks)

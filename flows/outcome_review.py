"""Daily outcome and SLA review: is the system delivering what its owner is judged on?

load the evaluation span (the window widened back to ``evaluation_days``) with its outcomes ->
realised metrics once labels have matured, a calibrated label-free estimate before -> judge the SLA
on the total and every slice -> report -> persist and notify; a breach sustained over
``sustained_windows`` windows requests a model refresh.

Only days the log covers are judged: a window before its first row, in the future or today is skipped
with the reason; a span the log covers in part is judged on those days, and the report says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import State

from runbooks.loader import Catalog
from runbooks.spec import Duty, RunbookSpec, SystemKind
from tasks.common.duty import duty_run, duty_spec, failure_hooks, log_start, run_namer, settle
from tasks.common.findings import not_judged
from tasks.common.publish import publish
from tasks.common.steps import step
from tasks.core.errors import ConfigError
from tasks.core.retry import RETRY
from tasks.core.windows import Window, cover
from tasks.io.outcomes import load_outcome_frame, outcomes_arrived_until
from tasks.outcomes.estimate import calibrate, rows_in, with_probabilities
from tasks.outcomes.report import judgement_rows, segment_rows, write_outcome_report
from tasks.outcomes.metrics import OutcomeMetrics, OutcomeReport
from tasks.outcomes.verdict import BREACH, SUSTAINED, review
from tasks.outcomes.windows import OutcomePlan, default_windows, plan_windows, prior_streak, stored_estimate
from tasks.store.database import open_store

REFRESH_DEPLOYMENT = "model-refresh/{system}"


@step(**RETRY)
def load_rows(spec: RunbookSpec, span: Window) -> pd.DataFrame:
    return load_outcome_frame(spec, span)


@step(**RETRY)
def outcomes_until(spec: RunbookSpec) -> datetime | None:
    return outcomes_arrived_until(spec)


@step
def request_refresh(spec: RunbookSpec, report: OutcomeReport) -> str:
    """Start the system's refresh deployment if one exists, else record a recommendation; once per breach."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    from tasks.store.refresh_requests import record_request, request_since

    streak = report.metrics.streak
    since = report.window_end - timedelta(days=streak)
    breaches = [j.model_dump(mode="json") for j in report.metrics.breaches()]
    worst = [f.title for f in report.findings if f.key.startswith(BREACH)][:3]
    reason = f"SLA breached {streak} windows in a row: " + "; ".join(worst)
    with open_store().session() as session:
        if earlier := request_since(session, spec.system, since):
            return f"refresh already requested for the window ending {earlier.window_end:%Y-%m-%d} ({earlier.action})"
    name = REFRESH_DEPLOYMENT.format(system=spec.system)
    try:
        with get_client(sync_client=True) as client:
            client.read_deployment_by_name(name)
    except ObjectNotFound:
        with open_store().session() as session:
            record_request(session, system=spec.system, duty="outcomes", window_start=report.window_start,
                           window_end=report.window_end, action="recommended", reason=reason, breaches=breaches)
        return f"no deployment {name!r}: refresh recommended in the ops store"
    run = run_deployment(name, parameters={"system": spec.system}, timeout=0)
    with open_store().session() as session:
        record_request(session, system=spec.system, duty="outcomes", window_start=report.window_start,
                       window_end=report.window_end, action="deployment_started", reason=reason, breaches=breaches,
                       deployment=name, flow_run_id=str(run.id))
    return f"started {name} (flow run {run.id})"




def skip_window(spec: RunbookSpec, catalog: Catalog, window: Window, reason: str) -> OutcomeReport:
    """A window the log does not cover (before its first row, in the future, today): skipped with the reason,
    alerting no one."""
    return settle(not_judged(spec.system, Duty.outcomes, window, reason, OutcomeMetrics())
                  .model_copy(update={"flow_run_id": flow_run.id}), catalog)


def review_window(spec: RunbookSpec, catalog: Catalog, plan: OutcomePlan, rows: pd.DataFrame) -> OutcomeReport:
    """Review, publish and settle one window from ``rows`` (which hold at least ``plan.read``)."""
    assert spec.outcomes is not None
    reference = rows_in(rows, plan.reference)
    calibration = calibrate(reference) if spec.kind is SystemKind.classifier else None
    current = with_probabilities(rows_in(rows, plan.span), calibration)
    with open_store().session() as session:
        streak = prior_streak(session, spec.system, plan.window)
        estimate = stored_estimate(session, spec.system, plan.window) if plan.maturity.mature else None
    get_run_logger().info("%s: %s decisions in %s (%s)", spec.system, len(current), plan.span.label(),
                          "mature" if plan.maturity.mature else f"labels mature on {plan.maturity.mature_on}")
    report = review(spec, plan, current, reference, streak, estimate)
    if any(f.key == SUSTAINED for f in report.findings):
        requested = request_refresh(spec, report)
        report = report.model_copy(update={"findings": [
            f.model_copy(update={"detail": requested}) if f.key == SUSTAINED else f for f in report.findings]})
    checks = "\n".join(f"| {r['segment']} | {r['metric']} | {r['bound']} {r['limit']} | {r['value']} | {r['verdict']} |"
                       for r in judgement_rows(report))
    report = publish(report, write_outcome_report(report, spec), segment_rows(report),
                     bullets=[f"[{f.severity}] {f.title}" for f in report.findings],
                     note=f"| segment | metric | SLA | value | verdict |\n|---|---|---|---|---|\n{checks}\n" if checks else "")
    return settle(report, catalog)


def default_window(spec: RunbookSpec, now: datetime) -> list[Window]:
    """The day whose labels matured most recently, and yesterday's estimate."""
    return default_windows(spec, outcomes_arrived_until(spec), now)


def review_outcomes(catalog: Catalog, system: str, window: str | None = None) -> list[OutcomeReport]:
    """Review one window, by default the day whose labels matured most recently and yesterday's estimate, inside
    whichever flow run calls it: the duty's own, or a fleet's nightly batch."""
    spec = duty_spec(catalog, system, Duty.outcomes)
    if spec.source.outcomes is None:
        raise ConfigError(f"{system}'s runbook names no source.outcomes for its outcome review")
    arrived = outcomes_until(spec)
    first_row = log_start(spec.source)
    now = datetime.now(UTC)
    windows = [Window.parse(window)] if window else default_windows(spec, arrived, now)
    coverage = {w: cover(w, first_row, now) for w in windows}
    plans = {w: plan_windows(spec, w, arrived, now, first_row) for w, c in coverage.items() if c.covered is not None}
    # The default windows (a matured day, yesterday) share most of their reference period: read it once.
    rows = load_rows(spec, Window(start=min(p.read.start for p in plans.values()),
                                  end=max(p.read.end for p in plans.values()))) if plans else None
    reports = [review_window(spec, catalog, plans[w], rows) if w in plans
               else skip_window(spec, catalog, w, coverage[w].reason) for w in windows]
    for report in reports:
        get_run_logger().info("%s outcomes %s: %s", system, report.window.label(), report.headline)
    return reports


@flow(name="outcome-review", flow_run_name=run_namer("outcomes", default_window), **failure_hooks(Duty.outcomes))
def outcome_review(system: str, window: str | None = None, runbooks: str | None = None) -> State:
    """Review one window; by default the day whose labels matured most recently, and yesterday's estimate."""
    return duty_run(review_outcomes, system, window, runbooks)

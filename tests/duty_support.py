"""Each duty's flow body without Prefect: the steps that read a window and the pure verdict over it.

Shared by the window tests and the golden reports (tests/common/test_golden_reports.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd

from runbooks.spec import Duty, RunbookSpec, SystemKind
from tasks.common.findings import DutyReport, not_judged
from tasks.core.windows import Window, cover, midnight
from tasks.cost.data import aggregate_sql
from tasks.cost.spend import Period
from tasks.cost.verdict import review as review_cost
from tasks.drift.data import summarise
from tasks.drift.metrics import DriftMetrics
from tasks.drift.verdict import (build_baseline, default_reference, insufficient_reference, judge, judged_days,
                                 monitored_columns)
from tasks.io.outcomes import load_outcome_frame, outcomes_arrived_until
from tasks.io.sources import first_timestamp, read_window
from tasks.outcomes.metrics import OutcomeMetrics
from tasks.outcomes.estimate import calibrate, rows_in, with_probabilities
from tasks.outcomes.verdict import review as review_outcomes
from tasks.outcomes.windows import plan_windows


def unjudgeable_windows(today: date) -> list[tuple[str, str]]:
    """Windows no duty may judge on the demo log, each with the reason its headline must give."""
    return [("2026-01-05..2026-01-11", "ends before the log's first row (2026-08-24)"),
            ((today + timedelta(days=30)).isoformat(), "is in the future"),
            (today.isoformat(), "is today and not over yet")]


VOLATILE = {"report_path", "flow_run_id", "alerts"}  # what differs from one run to the next


def scrubbed(data: Any) -> Any:
    """A report's JSON without ids, run ids and paths."""
    if isinstance(data, dict):
        return {k: scrubbed(v) for k, v in data.items() if k not in VOLATILE}
    if isinstance(data, list):
        return [scrubbed(v) for v in data]
    return data


def drift_report(spec: RunbookSpec, judged: Window, now: datetime) -> DutyReport:
    """The drift flow's body without Prefect: what the log covers, the default reference, then the verdict."""
    first = first_timestamp(spec.source)
    coverage = cover(judged, first, now)
    if first is None or coverage.covered is None:
        return not_judged(spec.system, Duty.drift, judged, coverage.reason, DriftMetrics())
    reference = default_reference(spec, first)
    baseline = None
    if reference.end <= midnight(now):
        baseline = build_baseline(read_window(spec.source, reference, monitored_columns(spec)), spec)
    days = judged_days(spec, coverage, reference, baseline[0].rows if baseline else None)
    if baseline is None or days.covered is None:
        return insufficient_reference(spec, days, reference)
    rows = read_window(spec.source, days.covered, [*monitored_columns(spec), spec.source.columns.request_id])
    return judge(spec, judged, baseline[0], baseline[1], summarise(rows, spec, baseline[0]), 1, days)


def outcome_report(spec: RunbookSpec, window: Window, now: datetime, prior_streak: int = 0) -> DutyReport:
    """The outcome flow's body for one window, without Prefect and the ops store (no stored estimate)."""
    first, arrived = first_timestamp(spec.source), outcomes_arrived_until(spec)
    coverage = cover(window, first, now)
    if coverage.covered is None:
        return not_judged(spec.system, Duty.outcomes, window, coverage.reason, OutcomeMetrics())
    plan = plan_windows(spec, window, arrived, now, first)
    rows = load_outcome_frame(spec, plan.read)
    reference = rows_in(rows, plan.reference)
    calibration = calibrate(reference) if spec.kind is SystemKind.classifier else None
    return review_outcomes(spec, plan, with_probabilities(rows_in(rows, plan.span), calibration), reference,
                           prior_streak)


def cost_report(spec: RunbookSpec, label: str, today: date) -> DutyReport:
    """The cost flow's steps without Prefect: coverage of the window by the log, the aggregates, the verdict."""
    coverage = cover(Window.parse(label), first_timestamp(spec.source), datetime.combine(today, time(), UTC))
    if coverage.covered is None:
        return review_cost(spec, coverage, pd.DataFrame(), today)
    start, end = Period.covering(coverage, today).read_range()
    return review_cost(spec, coverage, aggregate_sql(spec, Window(start=start, end=end)), today)


def compliance_report(spec: RunbookSpec, window: Window, now: datetime) -> DutyReport:
    """The compliance flow's body through its tasks' plain functions (``.fn``): checks, seals, the verdict."""
    from flows.compliance_audit import (chain_breaks, count_untimed, load_history, load_linkage, load_log,
                                        run_checks, scope, seal)
    from tasks.compliance import checks
    from tasks.compliance.report import build_report

    coverage = cover(window, first_timestamp(spec.source), now)
    covered = coverage.covered
    assert covered is not None and spec.compliance is not None
    log = load_log.fn(spec, covered)
    seals = seal.fn(spec, covered, log)
    tamper = checks.tamper(seals, *chain_breaks.fn(spec.system), spec.compliance.regulation)
    found = [*run_checks(spec, spec.compliance, log, load_history.fn(spec, spec.compliance, covered.end),
                         load_linkage.fn(spec, covered), count_untimed.fn(spec)), tamper]
    return build_report(spec, coverage, found, seals, scope(spec, coverage, len(log), "run"))


def refresh_metrics(spec: RunbookSpec, holdout: Window) -> dict:
    """The gate's comparison on the held-out window: the logged scores as champion, a fixed blend as challenger."""
    from flows.model_refresh import _extra_columns, _slices
    from tasks.refresh.data import LABEL, read_labelled
    from tasks.refresh.evaluate import judge_versions

    assert spec.refresh is not None
    rows = read_labelled(spec, holdout, _extra_columns(spec, spec.refresh))
    logged = rows[spec.source.columns.score].to_numpy(dtype=float)
    blended = 0.8 * logged + 0.2 * rows[LABEL].to_numpy(dtype=float)
    golden = rows.iloc[::5]
    return judge_versions(spec.refresh, _slices(spec, spec.refresh), (1, 2), rows, (logged, blended), golden,
                          (logged[::5], blended[::5])).model_dump(mode="json")

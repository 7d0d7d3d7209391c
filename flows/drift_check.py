"""Nightly drift check: did the inputs, the predictions or the data quality move?

load baseline -> profile only the new window -> judge -> report -> persist and
notify. The baseline is the newest stored reference profile (``steward
baseline``); without one, the log's first ``reference_days`` days become
version 1 automatically.
"""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.states import State
from prefect.task_runners import ThreadPoolTaskRunner

from runbooks.loader import Catalog
from runbooks.spec import Duty, RunbookSpec
from tasks.common.duty import duty_run, duty_spec, failure_hooks, log_start, run_namer, settle
from tasks.common.findings import DutyReport, not_judged
from tasks.common.publish import publish
from tasks.common.steps import step
from tasks.core.errors import ConfigError
from tasks.core.profiles import TableProfile
from tasks.core.retry import RETRY
from tasks.core.windows import Window, cover, midnight
from tasks.drift.baseline import Baseline, create_baseline
from tasks.drift.metrics import DriftMetrics
from tasks.drift.data import WindowSummary, merge_all, monitored_columns, split, summarise
from tasks.drift.report import column_rows, write_drift_report
from tasks.drift.verdict import default_reference, insufficient_reference, judge, judged_days
from tasks.io.sources import count_rows, read_window
from tasks.store.baselines import current_baseline
from tasks.store.database import open_store


@step(**RETRY)
def load_baseline(spec: RunbookSpec, first_row: datetime, now: datetime) -> Baseline | None:
    """The baseline in force; the log's first ``reference_days`` days become v1 when there is none.

    None while those days are not over: a baseline stored from a part of them would be used for good.
    """
    assert spec.drift is not None
    with open_store().session() as session:
        record = current_baseline(session, spec.system)
    if record is None:
        reference = default_reference(spec, first_row)
        if reference.end > midnight(now):
            return None
        record = create_baseline(spec, reference, actor=f"steward (first {spec.drift.reference_days} days)")
    missing = sorted(set(monitored_columns(spec)) - set(record.profile["columns"]))
    if missing:
        raise ConfigError(f"{spec.system}: baseline v{record.version} lacks {', '.join(missing)}; "
                          f"run 'steward baseline {spec.system} --from ... --to ...'")
    return Baseline.of(record)


@step(**RETRY)
def count_current(spec: RunbookSpec, window: Window) -> int:
    return count_rows(spec.source, window)


@step(**RETRY)
def summarise_current(spec: RunbookSpec, window: Window, baseline: TableProfile) -> WindowSummary:
    """Read one window (or one partition of it) and reduce it to its mergeable summary."""
    frame = read_window(spec.source, window, [*monitored_columns(spec), spec.source.columns.request_id])
    return summarise(frame, spec, baseline)


@flow(name="drift-partitions", flow_run_name="drift-partitions/{spec.system}/{parts}")
def summarise_partitions(spec: RunbookSpec, window: Window, parts: int, baseline: TableProfile) -> WindowSummary:
    """Profile a window too big for memory slice by slice, on this flow's task runner, and merge."""
    futures = [summarise_current.submit(spec, part, baseline) for part in split(window, parts)]
    return merge_all([future.result() for future in futures])


def dask_address(spec: RunbookSpec) -> str | None:
    assert spec.drift is not None
    return os.environ.get("STEWARD_DASK_ADDRESS") or spec.drift.dask_address


def load_window(spec: RunbookSpec, window: Window, baseline: TableProfile) -> WindowSummary:
    """The whole window at once when it fits; else partitions, one at a time here or in parallel on Dask."""
    assert spec.drift is not None
    parts = max(1, math.ceil(count_current(spec, window) / spec.drift.partition_rows))
    address = dask_address(spec)
    if parts == 1 and address is None:
        return summarise_current(spec, window, baseline)
    if address:
        from prefect_dask import DaskTaskRunner

        runner = DaskTaskRunner(address=address)
    else:
        runner = ThreadPoolTaskRunner(max_workers=1)
    get_run_logger().info("%s: %s partition(s) of %s on %s", spec.system, parts, window.label(), address or "this process")
    return summarise_partitions.with_options(task_runner=runner)(spec=spec, window=window, parts=parts, baseline=baseline)




def default_window(_spec: RunbookSpec, now: datetime) -> list[Window]:
    """Yesterday, UTC."""
    return [Window.yesterday(now)]


def check_drift(catalog: Catalog, system: str, window: str | None = None) -> list[DutyReport]:
    """Judge one window (default: yesterday, UTC) of the log against the system's baseline, inside whichever
    flow run calls it: the duty's own, or a fleet's nightly batch.

    Only the days the log covers are judged: a window before its first row, in the future or today is skipped
    with the reason (no alert); a window inside the reference period is insufficient data.
    """
    logger = get_run_logger()
    spec = duty_spec(catalog, system, Duty.drift)
    now = datetime.now(UTC)
    judged = Window.parse(window) if window else default_window(spec, now)[0]
    first = log_start(spec.source)
    coverage = cover(judged, first, now)
    if first is None or coverage.covered is None:
        report = not_judged(system, Duty.drift, judged, coverage.reason, DriftMetrics())
    else:
        baseline = load_baseline(spec, first, now)
        reference = baseline.window if baseline else default_reference(spec, first)
        days = judged_days(spec, coverage, reference, baseline.profile.rows if baseline else None)
        if baseline is None or days.covered is None:
            report = insufficient_reference(spec, days, reference)
        else:
            current = load_window(spec, days.covered, baseline.profile)
            logger.info("%s: %s rows in %s against baseline %s", system, current.rows, days.covered.label(), baseline.label)
            report = judge(spec, judged, baseline.profile, baseline.rows_by_weekday, current, baseline.version, days)
            report = publish(report, write_drift_report(report, baseline.label), column_rows(report),
                             note=f"Baseline {baseline.label}.")
    report = settle(report.model_copy(update={"flow_run_id": flow_run.id}), catalog)
    logger.info("%s drift: %s", system, report.headline)
    return [report]


@flow(name="drift-check", flow_run_name=run_namer("drift", default_window), **failure_hooks(Duty.drift))
def drift_check(system: str, window: str | None = None, runbooks: str | None = None) -> State:
    """Judge one window (default: yesterday, UTC) of the log against the system's baseline (``check_drift``)."""
    return duty_run(check_drift, system, window, runbooks)

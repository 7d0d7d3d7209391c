"""Nightly drift check: did the inputs, the predictions or the data quality move?

load baseline -> profile only the new window -> judge -> report -> persist and
notify. The baseline is the newest stored reference profile (``steward
baseline``); without one, the log's first ``reference_days`` days become
version 1 automatically.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from runbooks.loader import load_catalog
from runbooks.spec import RunbookSpec
from tasks.drift_report import column_rows, write_drift_report
from tasks.drift_baseline import Baseline, create_baseline
from tasks.drift_verdict import judge, monitored_columns
from tasks.duty import duty_failed, settle
from tasks.findings import DutyReport
from tasks.retry import RETRY
from tasks.sources import first_timestamp, read_window
from tasks.store.baselines import current_baseline
from tasks.store.database import open_store
from tasks.windows import Window


@task(**RETRY)
def load_baseline(spec: RunbookSpec) -> Baseline:
    """The baseline in force; the log's first ``reference_days`` days become v1 when there is none."""
    assert spec.drift is not None
    with open_store().session() as session:
        record = current_baseline(session, spec.system)
    if record is None:
        start = first_timestamp(spec.source)
        if start is None:
            raise ValueError(f"{spec.system}: the log {spec.source.table or spec.source.path!r} is empty")
        days = spec.drift.reference_days
        record = create_baseline(spec, Window.days(start.date(), start.date() + timedelta(days=days - 1)),
                                 actor=f"steward (first {days} days)")
    missing = sorted(set(monitored_columns(spec)) - set(record.profile["columns"]))
    if missing:
        raise ValueError(f"{spec.system}: baseline v{record.version} lacks {', '.join(missing)}; "
                         f"run 'steward baseline {spec.system} --from ... --to ...'")
    return Baseline.of(record)


@task(**RETRY)
def load_current(spec: RunbookSpec, window: Window) -> pd.DataFrame:
    return read_window(spec.source, window, [*monitored_columns(spec), spec.source.columns.request_id])


def _publish(report: DutyReport, baseline_label: str) -> str:
    path = write_drift_report(report, baseline_label)
    rows = column_rows(report)
    key = f"drift-{report.system}"
    create_table_artifact(key=key, table=rows or [{"name": "-"}], description=report.headline)
    create_markdown_artifact(
        key=f"{key}-summary",
        markdown=f"# Drift · {report.system} · {report.window.label()}\n\n**{report.headline}**\n\n"
        + "\n".join(f"- {f.title}" for f in report.findings) + f"\n\nBaseline {baseline_label}. Report: `{path}`",
    )
    return str(path)


def _run_name() -> str:
    params = flow_run.parameters
    return f"drift/{params['system']}/{params.get('window') or 'yesterday'}"


@flow(name="drift-check", flow_run_name=_run_name, on_failure=[duty_failed], on_crashed=[duty_failed])
def drift_check(system: str, window: str | None = None, runbooks: str | None = None) -> DutyReport:
    """Judge one window (default: yesterday, UTC) of the log against the system's baseline."""
    logger = get_run_logger()
    catalog = load_catalog(Path(runbooks) if runbooks else None)
    spec = catalog.get(system)
    if spec.drift is None:
        raise ValueError(f"{system} has no drift section in its runbook")
    judged = Window.parse(window) if window else Window.yesterday()
    baseline = load_baseline(spec)
    current = load_current(spec, judged)
    logger.info("%s: %s rows in %s against baseline %s", system, len(current), judged.label(), baseline.label)
    report = judge(spec, judged, baseline.profile, baseline.rows_by_weekday, current, baseline.version)
    report = report.model_copy(update={"report_path": _publish(report, baseline.label),
                                       "flow_run_id": flow_run.id})
    report = settle(report, catalog)
    logger.info("%s drift: %s", system, report.headline)
    return report

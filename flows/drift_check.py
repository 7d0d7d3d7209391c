"""Nightly drift check: did the inputs or the model's scores move since the reference period?

load window -> compare with reference -> persist -> report -> notify. Until a
stored baseline exists, the reference is the first ``reference_days`` of the log.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.runtime import flow_run

from runbooks.loader import load_catalog
from runbooks.spec import Duty, RunbookSpec
from tasks.drift_stats import ColumnDrift, compare_profiles
from tasks.profiles import profile_table
from tasks.duty import DutyReport, Finding, settle
from tasks.retry import RETRY
from tasks.reports import html_table, report_path, write_html_report
from tasks.sources import first_timestamp, read_window
from tasks.store.models import CheckStatus
from tasks.windows import Window


def monitored_columns(spec: RunbookSpec) -> list[str]:
    assert spec.drift is not None
    columns = list(spec.drift.features or spec.source.columns.features)
    if spec.source.columns.score:
        columns.append(spec.source.columns.score)
    return columns


def judge(
    spec: RunbookSpec, window: Window, reference: pd.DataFrame, current: pd.DataFrame, reference_days: int
) -> DutyReport:
    """The verdict for one window: pure, so it is tested without Prefect."""
    assert spec.drift is not None
    expected = len(reference) / max(reference_days, 1) * ((window.end - window.start) / timedelta(days=1))
    volume_ratio = len(current) / expected if expected else 0.0
    findings: list[Finding] = []
    if not 0.5 <= volume_ratio <= 2.0:
        findings.append(Finding(
            key="volume", severity="critical" if len(current) == 0 else "warning",
            title=f"volume {len(current):,} rows is {volume_ratio:.0%} of the expected {expected:,.0f}",
            evidence={"rows": len(current), "expected": round(expected, 1)},
        ))
    base = dict(system=spec.system, duty=Duty.drift, window_start=window.start, window_end=window.end)
    if len(current) < spec.drift.min_rows:
        return DutyReport(
            **base, status=CheckStatus.attention if findings else CheckStatus.skipped, findings=findings,
            headline=f"only {len(current):,} rows in {window.label()} (min_rows {spec.drift.min_rows}); drift not judged",
            metrics={"rows": len(current), "volume_ratio": round(volume_ratio, 3)},
        )
    reference_profile = profile_table(reference[monitored_columns(spec)])
    current_profile = profile_table(current, reference=reference_profile)
    columns = compare_profiles(reference_profile, current_profile, spec.drift.thresholds)
    for column in columns:
        if column.drifted:
            new = f"; new values: {', '.join(column.new_categories)}" if column.new_categories else ""
            findings.append(Finding(
                key=f"feature:{column.name}", severity="warning",
                title=f"{column.name} drifted ({column.method} {column.score:.3f} ≥ {column.threshold})",
                detail=f"PSI {column.psi:.3f}, JS {column.jensen_shannon:.3f}{new}",
                evidence=column.model_dump(),
            ))
    drifted = [c.name for c in columns if c.drifted]
    headline = (
        f"{len(drifted)} of {len(columns)} monitored columns drifted: {', '.join(drifted)}" if drifted
        else f"no drift in {len(columns)} monitored columns"
    )
    if any(f.key == "volume" for f in findings):
        headline += f"; volume at {volume_ratio:.0%} of expected"
    return DutyReport(
        **base, status=CheckStatus.attention if findings else CheckStatus.healthy, headline=headline,
        findings=findings,
        metrics={"rows": len(current), "volume_ratio": round(volume_ratio, 3),
                 "columns": [c.model_dump() for c in columns]},
    )


@task(**RETRY)
def load_windows(spec: RunbookSpec, window: Window, reference_days: int) -> tuple[pd.DataFrame, pd.DataFrame, Window]:
    start = first_timestamp(spec.source)
    if start is None:
        raise ValueError(f"{spec.system}: the log {spec.source.table or spec.source.path!r} is empty")
    reference = Window.days(start.date(), start.date() + timedelta(days=reference_days - 1))
    columns = monitored_columns(spec)
    return read_window(spec.source, reference, columns), read_window(spec.source, window, columns), reference


def _publish(report: DutyReport, columns: list[ColumnDrift], reference: Window) -> str:
    rows = [
        {"column": c.name, "kind": c.kind, "method": c.method, "score": c.score, "threshold": c.threshold,
         "drifted": c.drifted, "psi": c.psi, "p_value (secondary)": c.p_value, "new values": ", ".join(c.new_categories)}
        for c in columns
    ]
    path = write_html_report(
        report_path(report.system, "drift", report.window.label()),
        f"Drift · {report.system} · {report.window.label()}",
        report.headline,
        {"Columns (reference " + reference.label() + ")": html_table(rows),
         "Findings": html_table([f.model_dump(include={"severity", "title", "detail"}) for f in report.findings])},
    )
    key = f"drift-{report.system}"
    create_table_artifact(key=key, table=rows or [{"column": "-"}], description=report.headline)
    create_markdown_artifact(
        key=f"{key}-summary",
        markdown=f"# Drift · {report.system} · {report.window.label()}\n\n**{report.headline}**\n\n"
        + "\n".join(f"- {f.title}" for f in report.findings) + f"\n\nReport: `{path}`",
    )
    return str(path)


def _run_name() -> str:
    params = flow_run.parameters
    return f"drift/{params['system']}/{params.get('window') or 'yesterday'}"


@flow(name="drift-check", flow_run_name=_run_name)
def drift_check(system: str, window: str | None = None, runbooks: str | None = None, reference_days: int = 28) -> DutyReport:
    """Compare one window (default: yesterday, UTC) of the log with the reference period."""
    logger = get_run_logger()
    catalog = load_catalog(Path(runbooks) if runbooks else None)
    spec = catalog.get(system)
    if spec.drift is None:
        raise ValueError(f"{system} has no drift section in its runbook")
    judged = Window.parse(window) if window else Window.yesterday()
    reference, current, reference_window = load_windows(spec, judged, reference_days)
    logger.info("%s: %s reference rows, %s rows in %s", system, len(reference), len(current), judged.label())
    report = judge(spec, judged, reference, current, reference_days)
    columns = [ColumnDrift.model_validate(c) for c in report.metrics.get("columns", [])]
    report = report.model_copy(update={"report_path": _publish(report, columns, reference_window),
                                       "flow_run_id": flow_run.id})
    report = settle(report, catalog)
    logger.info("%s drift: %s", system, report.headline)
    return report

"""The nightly drift verdict: features, predictions, data quality and volume, from profiles.

Plain functions: the flow loads rows and the baseline, these decide.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pandas as pd

from runbooks.spec import Duty, RunbookSpec
from tasks.drift_stats import ColumnDrift, compare_profiles
from tasks.findings import DutyReport, Finding
from tasks.profiles import TableProfile, profile_table
from tasks.store.models import CheckStatus
from tasks.windows import Window

if TYPE_CHECKING:
    from tasks.drift_window import WindowSummary


def feature_columns(spec: RunbookSpec) -> list[str]:
    assert spec.drift is not None
    return list(spec.drift.features or spec.source.columns.features)


def prediction_columns(spec: RunbookSpec) -> list[str]:
    columns = spec.source.columns
    return [c for c in (columns.score, columns.decision) if c and c not in feature_columns(spec)]


def monitored_columns(spec: RunbookSpec) -> list[str]:
    return feature_columns(spec) + prediction_columns(spec)


def rows_by_weekday(timestamps: pd.Series) -> dict[str, float]:
    """Mean rows per calendar day, by weekday (Monday = "0"): what a normal Tuesday looks like."""
    timestamps = timestamps.dropna()
    if timestamps.empty:
        return {}  # a snapshot without timestamps: volume is then not judged
    per_day = timestamps.dt.floor("D").value_counts()
    weekday = per_day.index.weekday
    return {str(day): float(per_day[weekday == day].mean()) for day in sorted(set(weekday))}


def build_baseline(frame: pd.DataFrame, spec: RunbookSpec) -> tuple[TableProfile, dict[str, float]]:
    return profile_table(frame[monitored_columns(spec)]), rows_by_weekday(frame[spec.source.columns.timestamp])


def expected_rows(window: Window, by_weekday: dict[str, float]) -> float:
    if not by_weekday:
        return 0.0
    fallback = sum(by_weekday.values()) / len(by_weekday)
    days = int((window.end - window.start) / timedelta(days=1)) or 1
    return sum(by_weekday.get(str((window.start + timedelta(days=i)).weekday()), fallback) for i in range(days))


def _column_findings(column: ColumnDrift, prefix: str, spec: RunbookSpec) -> list[Finding]:
    assert spec.drift is not None
    findings = []
    if column.drifted:
        new = f"; new values: {', '.join(column.new_categories)}" if column.new_categories else ""
        findings.append(Finding(
            key=f"{prefix}:{column.name}", severity="warning",
            title=f"{column.name} drifted ({column.method} {column.score:.3f} ≥ {column.threshold})",
            detail=f"PSI {column.psi:.3f}, JS {column.jensen_shannon:.3f}{new}",
            evidence=column.model_dump(),
        ))
    increase = column.missing_rate_cur - column.missing_rate_ref
    if increase > spec.drift.max_missing_increase:
        findings.append(Finding(
            key=f"quality:missing:{column.name}", severity="warning",
            title=f"{column.name} missing in {column.missing_rate_cur:.1%} of rows (reference {column.missing_rate_ref:.1%})",
        ))
    share = column.out_of_range_cur / column.rows_cur if column.rows_cur else 0.0
    if share > spec.drift.max_out_of_range_share:
        findings.append(Finding(
            key=f"quality:out_of_range:{column.name}", severity="warning",
            title=f"{column.name}: {column.out_of_range_cur:,} values ({share:.1%}) outside the reference range",
        ))
    if column.infinite_cur:
        findings.append(Finding(key=f"quality:infinite:{column.name}", severity="warning",
                                title=f"{column.name}: {column.infinite_cur:,} infinite values"))
    return findings


def judge(
    spec: RunbookSpec, window: Window, baseline: TableProfile, by_weekday: dict[str, float], current: WindowSummary,
    baseline_version: int,
) -> DutyReport:
    """The verdict for one window (summarised whole or merged from partitions) against the stored baseline."""
    assert spec.drift is not None
    policy = spec.drift
    rows = current.rows
    expected = expected_rows(window, by_weekday)
    ratio = rows / expected if expected else 0.0
    findings: list[Finding] = []
    if expected and not policy.min_volume_ratio <= ratio <= policy.max_volume_ratio:
        findings.append(Finding(
            key="volume", severity="critical" if rows == 0 else "warning",
            title=f"volume {rows:,} rows is {ratio:.0%} of the {expected:,.0f} expected for this weekday",
            evidence={"rows": rows, "expected": round(expected, 1)},
        ))
    duplicates = current.duplicate_ids
    if duplicates:
        findings.append(Finding(key="quality:duplicate_ids", severity="warning",
                                title=f"{duplicates:,} duplicate {spec.source.columns.request_id} values"))
    base = dict(system=spec.system, duty=Duty.drift, window_start=window.start, window_end=window.end)
    metrics: dict = {"rows": rows, "expected_rows": round(expected, 1), "volume_ratio": round(ratio, 3),
                     "duplicate_ids": duplicates, "baseline_version": baseline_version}
    if rows < policy.min_rows:
        return DutyReport(
            **base, status=CheckStatus.attention if findings else CheckStatus.skipped, findings=findings,
            headline=f"insufficient data: {rows:,} rows in {window.label()} (min_rows {policy.min_rows})",
            metrics=metrics,
        )
    columns = compare_profiles(baseline, current.profile, policy.thresholds, policy.min_rows)
    predictions = set(prediction_columns(spec))
    for column in columns:
        findings += _column_findings(column, "prediction" if column.name in predictions else "feature", spec)
    drifted = [c.name for c in columns if c.drifted]
    headline = (f"{len(drifted)} of {len(columns)} monitored columns drifted: {', '.join(drifted)}" if drifted
                else f"no drift in {len(columns)} monitored columns")
    extra = [f.title for f in findings if not f.key.startswith(("feature:", "prediction:"))]
    if extra:
        headline += f"; {extra[0]}" + (f" (+{len(extra) - 1} more)" if len(extra) > 1 else "")
    return DutyReport(
        **base, status=CheckStatus.attention if findings else CheckStatus.healthy, headline=headline,
        findings=findings, metrics={**metrics, "columns": [c.model_dump() for c in columns]},
    )

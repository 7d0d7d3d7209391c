"""The nightly drift verdict: features, predictions, data quality and volume, from profiles.

Plain functions: the flow loads rows and the baseline, these decide.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from runbooks.spec import Duty, RunbookSpec
from tasks.common.findings import Finding, cap_findings
from tasks.core.profiles import TableProfile, profile_table
from tasks.core.status import CheckStatus
from tasks.core.windows import Coverage, Window
from tasks.drift.data import WindowSummary, monitored_columns, prediction_columns
from tasks.drift.metrics import DriftMetrics, DriftReport
from tasks.drift.stats import ColumnDrift, compare_profiles


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


def _new_values(column: ColumnDrift) -> str:
    """'; new values: a, b (+8 more)': the most frequent unseen values, bounded however many arrived."""
    if not column.new_categories:
        return ""
    more = column.new_category_count - len(column.new_categories)
    extra = [f"+{more:,} more"] if more > 0 else []
    if column.unnamed_new_rows:
        extra.append(f"{column.unnamed_new_rows:,} rows in further unseen values")
    return f"; new values: {', '.join(column.new_categories)}" + (f" ({'; '.join(extra)})" if extra else "")


def _column_findings(column: ColumnDrift, prefix: str, spec: RunbookSpec) -> list[Finding]:
    assert spec.drift is not None
    findings = []
    if column.drifted:
        findings.append(Finding(
            key=f"{prefix}:{column.name}", severity="warning",
            title=f"{column.name} drifted ({column.method} {column.score:.3f} ≥ {column.threshold})",
            detail=f"PSI {column.psi:.3f}, JS {column.jensen_shannon:.3f}{_new_values(column)}",
            evidence=column.model_dump(exclude={"bins", "reference_shares", "current_shares"}),
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


def default_reference(spec: RunbookSpec, first_row: datetime) -> Window:
    """The log's first ``reference_days`` days: the baseline when the owner has stored none."""
    assert spec.drift is not None
    day = first_row.astimezone(UTC).date()
    return Window.days(day, day + timedelta(days=spec.drift.reference_days - 1))


def judged_days(spec: RunbookSpec, coverage: Coverage, reference: Window, reference_rows: int | None) -> Coverage:
    """The covered days drift may judge against ``reference``; none, with the reason, when a verdict would be noise.

    A reference still being collected (``reference_rows`` None: the log is younger than the default reference
    period), one below ``min_rows``, or a window inside the reference period (a window is never judged against
    itself; of a window overlapping it, the days after it are judged, else those before it).
    """
    assert spec.drift is not None and coverage.covered is not None
    covered, min_rows = coverage.covered, spec.drift.min_rows
    if reference_rows is None:
        reason = (f"the reference period {reference.label()} (the log's first {spec.drift.reference_days} days) "
                  f"is not over yet; drift is judged from {reference.end.date()}")
    elif reference_rows < min_rows:
        reason = f"the reference {reference.label()} holds {reference_rows:,} rows (min_rows {min_rows:,})"
    elif covered.end <= reference.start or covered.start >= reference.end:
        return coverage
    elif covered.end > reference.end:
        return coverage.model_copy(update={"covered": Window(start=reference.end, end=covered.end)})
    elif covered.start < reference.start:
        return coverage.model_copy(update={"covered": Window(start=covered.start, end=reference.start)})
    else:
        reason = f"{covered.label()} lies inside the reference period {reference.label()} it would be judged against"
    return coverage.model_copy(update={"covered": None, "reason": reason})


def insufficient_reference(spec: RunbookSpec, days: Coverage, reference: Window) -> DriftReport:
    """The report for a window ``judged_days`` left nothing of: insufficient data, never 'drifted'."""
    return DriftReport(system=spec.system, duty=Duty.drift, window_start=days.window.start, window_end=days.window.end,
                       status=CheckStatus.skipped, headline=f"insufficient data: {days.reason}",
                       metrics=DriftMetrics(reference=reference.label()))


HEADLINE_COLUMNS = 5


def _impact(finding: Finding) -> float:
    """How far past its threshold a drifted column's score is: the order findings are listed (and capped) in."""
    score, threshold = finding.evidence.get("score"), finding.evidence.get("threshold")
    return score / threshold if score is not None and threshold else 0.0


def judge(
    spec: RunbookSpec, window: Window, baseline: TableProfile, by_weekday: dict[str, float], current: WindowSummary,
    baseline_version: int, coverage: Coverage | None = None,
) -> DriftReport:
    """The verdict for one window (summarised whole or merged from partitions) against the stored baseline.

    ``coverage`` names the days of ``window`` the log covers (default: all of them); ``current`` holds those days
    only, and the expected volume is counted over them.
    """
    assert spec.drift is not None
    policy = spec.drift
    judged = coverage.covered if coverage and coverage.covered else window
    rows = current.rows
    expected = expected_rows(judged, by_weekday)
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
    metrics = DriftMetrics(rows=rows, expected_rows=round(expected, 1), volume_ratio=round(ratio, 3),
                           duplicate_ids=duplicates, baseline_version=baseline_version)
    if rows < policy.min_rows:
        report = DriftReport(
            **base, findings=findings, metrics=metrics, judged=False,
            status=CheckStatus.attention if findings else CheckStatus.no_data if rows == 0 else CheckStatus.skipped,
            headline=f"insufficient data: {rows:,} rows in {judged.label()} (min_rows {policy.min_rows})",
        )
        return report.covering(coverage) if coverage else report
    columns = compare_profiles(baseline, current.profile, policy.thresholds, policy.min_rows)
    predictions = set(prediction_columns(spec))
    column_findings = [f for c in columns for f in _column_findings(c, "prediction" if c.name in predictions else "feature", spec)]
    is_drift = [f.key.startswith(("feature:", "prediction:")) for f in column_findings]
    drift = sorted((f for f, d in zip(column_findings, is_drift) if d), key=_impact, reverse=True)
    quality = [f for f, d in zip(column_findings, is_drift) if not d]
    drifted = [f.evidence["name"] for f in drift]
    extra = [f.title for f in findings + quality]
    findings = cap_findings([*findings, *drift, *quality])
    named = ", ".join(drifted[:HEADLINE_COLUMNS]) + (f" and {len(drifted) - HEADLINE_COLUMNS} more"
                                                      if len(drifted) > HEADLINE_COLUMNS else "")
    headline = (f"{len(drifted)} of {len(columns)} monitored columns drifted: {named}" if drifted
                else f"no drift in {len(columns)} monitored columns")
    if extra:
        headline += f"; {extra[0]}" + (f" (+{len(extra) - 1} more)" if len(extra) > 1 else "")
    metrics.columns = columns
    report = DriftReport(
        **base, status=CheckStatus.attention if findings else CheckStatus.healthy, headline=headline,
        findings=findings, metrics=metrics,
    )
    return report.covering(coverage) if coverage else report

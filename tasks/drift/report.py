"""The drift HTML report: a plot per drifted column and each column's score over the last 30 windows."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tasks.drift.metrics import DriftReport
from tasks.render.charts import Series, compare_bars, embed, trend
from tasks.render.html import html_table, report_path, write_html_report
from tasks.store.database import open_store
from tasks.store.models import CheckResult

HISTORY_WINDOWS = 30


SUMMARY_KEYS = ("name", "kind", "method", "score", "threshold", "drifted", "psi", "p_value")


def column_rows(report: DriftReport, detailed: bool = False) -> list[dict[str, object]]:
    """One row per monitored column: for the Prefect table artifact, and (detailed) the HTML report."""
    keys = (*SUMMARY_KEYS, "missing_rate_cur", "note") if detailed else SUMMARY_KEYS
    return [{k: getattr(c, k) for k in keys} for c in report.metrics.columns]


def score_history(system: str, report: DriftReport) -> list[tuple[str, dict[str, float | None]]]:
    """(window start day, {column: score}) for up to 30 windows ending with this one, oldest first."""
    with open_store().session() as session:
        rows = session.scalars(
            select(CheckResult)
            .where(CheckResult.system == system, CheckResult.duty == "drift", CheckResult.window_end < report.window_end)
            .order_by(CheckResult.window_end.desc())
            .limit(HISTORY_WINDOWS - 1)
        ).all()
    past = [(f"{r.window_start:%Y-%m-%d}", {c["name"]: c["score"] for c in r.findings.get("metrics", {}).get("columns", [])})
            for r in reversed(rows)]
    now = {c.name: c.score for c in report.metrics.columns}
    return [*past, (f"{report.window_start:%Y-%m-%d}", now)]


def write_drift_report(report: DriftReport, baseline_label: str) -> Path:
    columns = report.metrics.columns
    timeline = score_history(report.system, report)
    sections: dict[str, str] = {}
    for column in [c for c in columns if c.drifted]:
        points = [(label, scores.get(column.name)) for label, scores in timeline]
        new = f"<p>New values: {', '.join(column.new_categories)}</p>" if column.new_categories else ""
        score = Series(f"{column.method} score", [p[0] for p in points], [p[1] for p in points])
        sections[f"{column.name} ({column.method} {column.score:.3f} ≥ {column.threshold})"] = (
            "<p>Share of rows per bin or category: the baseline's reference versus this window</p>"
            + embed(compare_bars(column.bins, column.reference_shares, column.current_shares,
                                 names=(f"reference ({baseline_label})", "current")))
            + new + f"<p>Score over the last {len(points)} windows (dotted: threshold)</p>"
            + embed(trend([score], unit="score", limit=column.threshold, limit_name="threshold",
                          y_title=f"{column.method} score"))
        )
    sections["Findings"] = html_table([f.model_dump(include={"severity", "title", "detail"}) for f in report.findings],
                                      sort_by="severity")
    sections[f"All columns (baseline {baseline_label})"] = html_table(column_rows(report, detailed=True),
                                                                      sort_by="drifted")
    return write_html_report(
        report_path(report.system, "drift", report.window.label()),
        f"Drift · {report.system} · {report.window.label()}",
        report.headline,
        sections,
    )

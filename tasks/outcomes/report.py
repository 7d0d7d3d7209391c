"""The outcome review's HTML report and artifact rows: trends per window, realised versus estimated, slices."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from runbooks.metrics import REPORTED_METRICS
from runbooks.spec import RunbookSpec
from tasks.outcomes.metrics import OutcomeReport
from tasks.render.charts import lines
from tasks.render.html import html_table, report_path, write_html_report
from tasks.store.database import open_store
from tasks.store.models import CheckResult

HISTORY_WINDOWS = 30


def _rounded(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def segment_rows(report: OutcomeReport) -> list[dict[str, Any]]:
    """One row per segment (total first): the Prefect table artifact and the report's slice table."""
    rows = []
    for s in report.metrics.segments():
        row: dict[str, Any] = {"segment": s.name, "rows": s.rows, "labelled": s.labelled, "status": s.status}
        row |= {k: _rounded(v) for k, v in s.metrics.items() if k in REPORTED_METRICS}
        row |= {k: round(v, 2) for k, v in s.business.items() if not k.endswith("_per_day")}
        row |= {f"est_{k}": _rounded(v) for k, v in s.estimated.items() if not k.endswith("_per_day")}
        row["note"] = s.note
        rows.append(row)
    return rows


def judgement_rows(report: OutcomeReport) -> list[dict[str, Any]]:
    return [{k: _rounded(getattr(j, k)) for k in ("segment", "metric", "bound", "limit", "value", "low", "high", "verdict")}
            for j in report.metrics.judgements]


def _history(report: OutcomeReport) -> list[tuple[str, dict[str, Any]]]:
    """(window label, metrics) for up to 30 stored windows ending with this one, oldest first.

    Stored windows stay plain dicts, read leniently by ``_series``: older versions wrote other shapes."""
    with open_store().session() as session:
        rows = session.scalars(
            select(CheckResult)
            .where(CheckResult.system == report.system, CheckResult.duty == "outcomes",
                   CheckResult.window_end < report.window_end)
            .order_by(CheckResult.window_end.desc())
            .limit(HISTORY_WINDOWS - 1)
        ).all()
    past = [(f"{r.window_start:%Y-%m-%d}", r.findings.get("metrics", {})) for r in reversed(rows)]
    return [*past, (report.window.label(), report.metrics.model_dump(mode="json"))]


def _series(history: list[tuple[str, dict[str, Any]]], pick: Callable[[dict[str, Any]], float | None]) -> list[float | None]:
    """One value per stored window; a gap where an older window lacks the metric (a runbook change, a skip)."""
    values = []
    for _, metrics in history:
        try:
            values.append(pick(metrics))
        except (KeyError, TypeError, IndexError):
            values.append(None)
    return values


def trend_sections(report: OutcomeReport, spec: RunbookSpec) -> dict[str, str]:
    """Metric per window (realised solid, estimated dashed), business metrics, and each SLA metric per slice."""
    assert spec.outcomes is not None
    history = _history(report)
    labels = [label for label, _ in history]
    total = report.metrics.total
    limits = {r.metric: r.min if r.min is not None else r.max for r in spec.outcomes.sla if r.slice in (None, "total")}
    sections: dict[str, str] = {}
    for metric in [m for m in (total.metrics if total else {}) if m in REPORTED_METRICS][:6]:
        series = {metric: _series(history, lambda m, k=metric: m["total"]["metrics"][k] if m.get("mature") else None)}
        if total and metric in total.estimated:
            series[f"{metric} (estimated)"] = _series(history, lambda m, k=metric: m["total"]["estimated"][k])
        sections[f"{metric} per window"] = lines(labels, series, limits.get(metric), dashed=(f"{metric} (estimated)",))
    business = [k for k in (total.business if total else {}) if not k.endswith("_per_day")]
    if business:
        series = {k: _series(history, lambda m, k=k: m["total"]["business"][k] if m.get("mature") else None)
                  for k in business}
        series |= {f"{k} (estimated)": _series(history, lambda m, k=k: None if m.get("mature") else m["total"]["estimated"][k])
                   for k in business if total and k in total.estimated}
        sections[f"Business metrics per window ({spec.outcomes.currency})"] = lines(
            labels, series, dashed=tuple(k for k in series if k.endswith("(estimated)")))
    charted = {(r.metric, (r.slice or "").partition("=")[0]) for r in spec.outcomes.sla}
    for metric, column in sorted(charted):
        for col in [column] if column else spec.outcomes.slices:
            names = [s.name for s in report.metrics.slices if s.name.startswith(f"{col}=")][:8]
            series = {n: _series(history, lambda m, n=n, k=metric: _slice_value(m, n, k)) for n in names}
            bound = next((r.min if r.min is not None else r.max for r in spec.outcomes.sla
                          if r.metric == metric and (r.slice or col).partition("=")[0] == col), None)
            if series:
                sections[f"{metric} per {col} (judged slices; dashed: SLA)"] = lines(labels, series, bound)
    return sections


def _slice_value(metrics: dict[str, Any], name: str, key: str) -> float | None:
    if not metrics.get("mature"):
        return None
    segment = next((s for s in metrics["slices"] if s["name"] == name), None)
    if segment is None or segment["status"] != "judged":
        return None
    return segment["metrics"].get(key, segment["business"].get(key))


def write_outcome_report(report: OutcomeReport, spec: RunbookSpec) -> Path:
    sections = {"Findings": html_table([f.model_dump(include={"severity", "title", "detail"}) for f in report.findings])}
    error = report.metrics.estimate_error
    if error:
        sections["Label-free estimate versus realised (estimated − realised)"] = html_table(
            [{k: round(v, 4) for k, v in error.items()}])
    sections |= trend_sections(report, spec)
    sections["SLA checks"] = html_table(judgement_rows(report))
    sections[f"Segments (evaluation {report.metrics.evaluation})"] = html_table(segment_rows(report))
    return write_html_report(
        report_path(report.system, "outcomes", report.window.label()),
        f"Outcomes · {report.system} · {report.window.label()}",
        report.headline,
        sections,
    )

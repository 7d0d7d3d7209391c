"""The outcome review's HTML report and artifact rows: trends per window, realised versus estimated, slices."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from runbooks.metrics import REPORTED_METRICS
from runbooks.spec import RunbookSpec
from tasks.outcomes.metrics import OutcomeReport
from tasks.core.money import money
from tasks.metrics.outcome import wilson_interval
from tasks.render.charts import Series, Unit, embed, trend
from tasks.render.html import Kind, html_table, report_path, write_html_report
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
    """(window start day, metrics) for up to 30 stored windows ending with this one, oldest first."""
    with open_store().session() as session:
        rows = session.scalars(
            select(CheckResult)
            .where(CheckResult.system == report.system, CheckResult.duty == "outcomes",
                   CheckResult.window_end < report.window_end)
            .order_by(CheckResult.window_end.desc())
            .limit(HISTORY_WINDOWS - 1)
        ).all()
    past = [(f"{r.window_start:%Y-%m-%d}", r.findings.get("metrics", {})) for r in reversed(rows)]
    return [*past, (f"{report.window_start:%Y-%m-%d}", report.metrics.model_dump(mode="json"))]


def _series(history: list[tuple[str, dict[str, Any]]], pick: Callable[[dict[str, Any]], float | None]) -> list[float | None]:
    """One value per stored window; a gap where an older window lacks the metric (a runbook change, a skip)."""
    values = []
    for _, metrics in history:
        try:
            values.append(pick(metrics))
        except (KeyError, TypeError, IndexError):
            values.append(None)
    return values


def unit_of(metric: str) -> Unit:
    """How a metric is drawn: rates (and AUCs, Brier, ECE) within [0, 1], latencies in ms, errors as numbers."""
    if metric.endswith("_ms"):
        return "ms"
    if metric in ("mae", "rmse"):
        return "score"
    return "number" if metric == "bias" else "rate"


# Which count a label-free estimate of each rate is a share of (for its sampling band).
_ESTIMATE_TRIALS: dict[str, Callable[[dict[str, Any]], float]] = {
    "recall": lambda s: s["estimated"].get("positives") or 0.0,
    "false_positive_rate": lambda s: s["rows"] - (s["estimated"].get("positives") or 0.0),
    "precision": lambda s: s["rows"] * (s["metrics"].get("flag_rate") or 0.0),
}


def estimate_band(segment: dict[str, Any], metric: str, confidence: float) -> tuple[float | None, float | None]:
    """The estimate's sampling band: a Wilson interval at the runbook's confidence on the count the rate is a
    share of (expected positives for recall, expected negatives for the FPR, flagged rows for precision), the
    counterpart of the band NannyML draws around a CBPE estimate. None where the metric is not such a share."""
    value, trials = segment.get("estimated", {}).get(metric), _ESTIMATE_TRIALS.get(metric)
    if value is None or trials is None:
        return None, None
    n = int(round(trials(segment)))
    return wilson_interval(min(max(value, 0.0), 1.0), n, confidence) if n > 0 else (None, None)


def trend_sections(report: OutcomeReport, spec: RunbookSpec) -> dict[str, str]:
    """Metric per window (realised solid, estimated dashed in its confidence band), business metrics in the
    owner's currency, and each SLA metric per slice; every chart on a date axis."""
    assert spec.outcomes is not None
    history = _history(report)
    days = [label for label, _ in history]
    total = report.metrics.total.model_dump(mode="json") if report.metrics.total else {}
    currency = spec.outcomes.currency
    limits = {r.metric: r.min if r.min is not None else r.max for r in spec.outcomes.sla if r.slice in (None, "total")}
    sections: dict[str, str] = {}
    for metric in [m for m in total.get("metrics", {}) if m in REPORTED_METRICS][:6]:
        series = [Series(metric, days, _series(history, lambda m, k=metric: m["total"]["metrics"][k] if m.get("mature") else None))]
        if metric in total.get("estimated", {}):
            bands = [_band(m, metric, spec.outcomes.confidence) for _, m in history]
            banded = metric in _ESTIMATE_TRIALS
            series.append(Series(f"{metric} (estimated)", days,
                                 _series(history, lambda m, k=metric: m["total"]["estimated"][k]),
                                 low=[b[0] for b in bands] if banded else None,
                                 high=[b[1] for b in bands] if banded else None, dashed=True,
                                 band=f"{spec.outcomes.confidence:.0%} band"))
        sections[f"{metric} per window"] = embed(trend(series, unit=unit_of(metric), limit=limits.get(metric),
                                                       y_title=metric.replace("_", " ")))
    business = [k for k in total.get("business", {}) if not k.endswith("_per_day")]
    if business:
        series = [Series(k, days, _series(history, lambda m, k=k: m["total"]["business"][k] if m.get("mature") else None))
                  for k in business]
        series += [Series(f"{k} (estimated)", days,
                          _series(history, lambda m, k=k: None if m.get("mature") else m["total"]["estimated"][k]),
                          dashed=True) for k in business if k in total.get("estimated", {})]
        sections[f"Business metrics per window ({currency})"] = embed(
            trend(series, unit="money", currency=currency, y_title=f"per window ({currency})"))
    charted = {(r.metric, (r.slice or "").partition("=")[0]) for r in spec.outcomes.sla}
    for metric, column in sorted(charted):
        for col in [column] if column else spec.outcomes.slices:
            names = [s.name for s in report.metrics.slices if s.name.startswith(f"{col}=")][:8]
            series = [Series(n, days, _series(history, lambda m, n=n, k=metric: _slice_value(m, n, k))) for n in names]
            bound = next((r.min if r.min is not None else r.max for r in spec.outcomes.sla
                          if r.metric == metric and (r.slice or col).partition("=")[0] == col), None)
            if series:
                unit: Unit = "money" if metric in total.get("business", {}) else unit_of(metric)
                sections[f"{metric} per {col} (judged slices; dotted: SLA)"] = embed(
                    trend(series, unit=unit, currency=currency, limit=bound, y_title=metric.replace("_", " ")))
    return sections


def _band(metrics: dict[str, Any], metric: str, confidence: float) -> tuple[float | None, float | None]:
    try:
        return estimate_band(metrics["total"], metric, confidence)
    except (KeyError, TypeError):
        return None, None


def _slice_value(metrics: dict[str, Any], name: str, key: str) -> float | None:
    if not metrics.get("mature"):
        return None
    segment = next((s for s in metrics["slices"] if s["name"] == name), None)
    if segment is None or segment["status"] != "judged":
        return None
    return segment["metrics"].get(key, segment["business"].get(key))


def _cell(metric: str, value: Any, business: set[str], currency: str) -> Any:
    """A judged value as the owner reads it: money in their currency, rates as %; raw otherwise."""
    if not isinstance(value, float):
        return value
    if metric in business:
        return money(value, currency)
    return f"{value:.2%}" if unit_of(metric) == "rate" else f"{value:,.4g}"


def write_outcome_report(report: OutcomeReport, spec: RunbookSpec) -> Path:
    assert spec.outcomes is not None
    currency = spec.outcomes.currency
    business = {b.name for b in spec.outcomes.business_metrics}
    sections = {"Findings": html_table([f.model_dump(include={"severity", "title", "detail"}) for f in report.findings],
                                       sort_by="severity")}
    error = report.metrics.estimate_error
    if error:
        sections["Label-free estimate versus realised (estimated − realised, percentage points)"] = html_table(
            [{k: f"{v * 100:+.2f} pp" for k, v in error.items()}])
    sections |= trend_sections(report, spec)
    sections["SLA checks"] = html_table(
        [{k: _cell(j["metric"], v, business, currency) if k in ("limit", "value", "low", "high") else v
          for k, v in j.items()} for j in judgement_rows(report)], sort_by="verdict")
    formats: dict[str, Kind] = {k: "money" for b in business for k in (b, f"est_{b}")}
    formats |= {m: "percent" for m in REPORTED_METRICS if unit_of(m) == "rate"}
    formats |= {f"est_{m}": "percent" for m in REPORTED_METRICS if unit_of(m) == "rate"}
    sections[f"Segments (evaluation {report.metrics.evaluation})"] = html_table(
        segment_rows(report), formats=formats, currency=currency)
    return write_html_report(
        report_path(report.system, "outcomes", report.window.label()),
        f"Outcomes · {report.system} · {report.window.label()}",
        report.headline,
        sections,
    )

"""The cost review's HTML page and the lines of its Slack summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.cost.metrics import CostReport, DaySpend
from tasks.core.money import money
from tasks.render.charts import daily_bars, share_bars
from tasks.render.html import html_table, report_path, write_html_report

TOP_FINDINGS = 3


def model_rows(report: CostReport) -> list[dict[str, object]]:
    """Spend per model: the cost review's table in the Prefect UI."""
    return [{k: r[k] for k in ("model", "calls", "cost", "share", "unpriced_calls", "latency_ms_mean")}
            for r in report.metrics.by_model]


def top_lines(report: CostReport) -> list[str]:
    """The headline, then the three findings that matter most: alerts first, then the largest savings."""
    def weight(finding: Any) -> tuple[int, float]:
        return ({"critical": 0, "warning": 1}.get(finding.severity, 2), -finding.evidence.get("monthly_saving", 0.0))

    top = sorted(report.findings, key=weight)[:TOP_FINDINGS]
    return [report.headline, *(f.title + (f" ({f.detail})" if f.detail else "") for f in top)]


def _rows(items: list[dict[str, Any]], drop: tuple[str, ...] = ()) -> str:
    return html_table([{k: v for k, v in row.items() if k not in drop} for row in items])


def write_cost_report(report: CostReport) -> Path:
    m = report.metrics
    sections: dict[str, str] = {}
    if m.calls:
        currency = m.currency
        flagged = {day for f in report.findings if f.key.startswith("anomalous-days:")
                   for day in _days(f.evidence["first"], f.evidence["last"], m.by_day)}
        sections["Recommendations"] = html_table([
            {"recommendation": r.title, "monthly saving": money(r.monthly_saving, currency)}
            for r in m.recommendations])
        sections["Findings"] = html_table([f.model_dump(include={"severity", "title", "detail"}) for f in report.findings])
        sections[f"Spend by day ({currency}; red: anomalous; dashed: usual for the weekday)"] = daily_bars(
            [(d.day, d.cost) for d in m.by_day], flagged, [d.expected_cost for d in m.by_day])
        sections["Spend by model"] = share_bars([(r["model"], r["share"] or 0.0) for r in m.by_model]) + _rows(m.by_model)
        sections["Spend by route (cost per successful outcome)"] = _rows(m.by_route)
        sections["Tokens per call, month over month"] = _rows(m.tokens_month_over_month)
        sections["Prompt caching"] = _rows(m.caching)
        sections["Easy routes on the costliest model"] = _rows(m.easy_routes_on_costliest_model)
        sections["Prices used (per million tokens)"] = html_table(
            [{"model": k, **(v.model_dump() if v else {"source": "unpriced"})} for k, v in m.prices.items()])
    return write_html_report(report_path(report.system, "cost", report.window.label()),
                             f"Cost review · {report.system} · {report.window.label()}", report.headline, sections)


def _days(first: str, last: str, by_day: list[DaySpend]) -> list[str]:
    return [d.day for d in by_day if first <= d.day <= last]

"""The cost review's HTML page and the lines of its Slack summary."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from runbooks.spec import RunbookSpec, SystemKind
from tasks.cost.metrics import CostReport, DaySpend
from tasks.core.money import money
from tasks.render.charts import cumulative_spend, daily_bars, embed, share_bars
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


def _rows(items: list[dict[str, Any]], currency: str, drop: tuple[str, ...] = (), sort_by: str | None = "cost") -> str:
    shown = [{k: v for k, v in row.items() if k not in drop} for row in items]
    return html_table(shown, currency=currency, sort_by=sort_by if shown and sort_by in shown[0] else None)


# Columns only an LLM's calls fill: a classic-ML system's tables leave them out rather than show zeros.
_LLM_ONLY = ("unpriced_calls", "calls_without_tokens", "tokens_in_per_call", "tokens_out_per_call", "cache_hit_rate",
             "success_rate", "cost_per_success")


def spend_charts(report: CostReport) -> dict[str, str]:
    """Spend to date against the budget with the forecast, and spend and volume per day, on date axes."""
    m, currency = report.metrics, report.metrics.currency
    first = f"{report.window_start:%Y-%m-%d}"
    month_end = f"{report.window_end - timedelta(days=1):%Y-%m-%d}"
    judged = [d for d in m.by_day if d.day >= first]
    flagged = {day for f in report.findings if f.key.startswith("anomalous-days:")
               for day in _days(f.evidence["first"], f.evidence["last"], m.by_day)}
    budget = f"against the budget {money(m.budget, currency)}" if m.budget is not None else "(no budget set)"
    return {
        f"Spend to date {budget}; dashed: forecast to month end": embed(cumulative_spend(
            [d.day for d in judged], [d.cost for d in judged], currency=currency, budget=m.budget,
            forecast=m.forecast, month_end=month_end)),
        f"Spend by day ({currency}; red: anomalous; dashed: usual for the weekday)": embed(daily_bars(
            [d.day for d in m.by_day], [d.cost for d in m.by_day], currency=currency, flagged=sorted(flagged),
            expected=[d.expected_cost for d in m.by_day])),
        "Volume by day (calls)": embed(daily_bars(
            [d.day for d in m.by_day], [d.calls for d in m.by_day], unit="count", name="calls",
            flagged=sorted(flagged))),
    }


def write_cost_report(report: CostReport, spec: RunbookSpec) -> Path:
    """The month's spend for the owner: what applies to the system's kind (tokens and caching for an LLM app,
    cost per 1,000 predictions for a classic model), never tables of zeros."""
    m = report.metrics
    sections: dict[str, str] = {}
    if m.calls:
        currency = m.currency
        llm = spec.kind is SystemKind.llm_app
        sections["Recommendations"] = html_table([
            {"recommendation": r.title, "monthly saving": r.monthly_saving} for r in m.recommendations],
            formats={"monthly saving": "money"}, currency=currency, sort_by="monthly saving") if llm or m.recommendations else ""
        sections["Findings"] = html_table([f.model_dump(include={"severity", "title", "detail"}) for f in report.findings],
                                          sort_by="severity")
        sections |= spend_charts(report)
        sections["Spend by model"] = embed(share_bars([r["model"] for r in m.by_model],
                                                      [r["share"] or 0.0 for r in m.by_model])) + _rows(
            m.by_model, currency, drop=() if llm else _LLM_ONLY)
        if llm:
            sections["Spend by route (cost per successful outcome)"] = _rows(m.by_route, currency)
            sections["Tokens per call, month over month"] = _rows(m.tokens_month_over_month, currency, sort_by="calls")
            if m.caching:
                sections["Prompt caching"] = _rows(m.caching, currency, sort_by="missed_saving")
            if m.easy_routes_on_costliest_model:
                sections["Easy routes on the costliest model"] = _rows(m.easy_routes_on_costliest_model, currency)
            sections["Prices used (per million tokens)"] = html_table(
                [{"model": k, **(v.model_dump() if v else {"source": "unpriced"})} for k, v in m.prices.items()], currency=currency,
                formats={"input": "money", "output": "money", "cached_input": "money"})
        else:
            rate = spec.cost.cost_per_1k_predictions if spec.cost else None
            sections["Price and volume"] = html_table([{
                "predictions": m.calls, "price per 1,000 predictions": rate,
                "cost per 1,000 predictions (realised)": m.spend / m.calls * 1000,
                "spend": m.spend, "run rate per day": m.run_rate_per_day,
                "source": "runbook cost.cost_per_1k_predictions" if rate is not None else "logged cost"}],
                formats={"price per 1,000 predictions": "money", "cost per 1,000 predictions (realised)": "money",
                         "spend": "money", "run rate per day": "money"}, currency=currency)
        sections = {k: v for k, v in sections.items() if v}
    return write_html_report(report_path(report.system, "cost", report.window.label()),
                             f"Cost review · {report.system} · {report.window.label()}", report.headline, sections)


def _days(first: str, last: str, by_day: list[DaySpend]) -> list[str]:
    return [d.day for d in by_day if first <= d.day <= last]

"""The monthly cost review's verdict: breakdowns, budget and forecast, anomalies and savings -> a DutyReport.

Pure: it takes the window's coverage by the log (:func:`tasks.core.windows.cover`), the aggregates
(see :mod:`tasks.cost.data`) and the day the run happens. Only the covered days are judged:
a system's first month from the day its log starts, a month to date up to yesterday.
Budget and unpriced spend alert the owner; the patterns behind the bill are findings with
a recommendation each, sent in the monthly summary. Findings and tables are capped, so a
log with thousands of routes still gives a readable report and a small ops-store row.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time
from typing import Any

import pandas as pd

from runbooks.spec import Duty, RunbookSpec
from tasks.common.findings import Finding, cap_findings, not_judged
from tasks.core.money import money
from tasks.core.status import CheckStatus
from tasks.core.windows import Coverage
from tasks.cost.metrics import CostMetrics, CostReport, DaySpend
from tasks.cost.savings import Recommendation, caching, easy_on_costly, prompt_bloat
from tasks.cost.spend import Anomaly, Budget, Period, anomalies, budget, daily, priced, prices_for

EASY_SHARE = 0.1  # an easy route with at least this share of calls on the costliest model is a finding
TABLE_ROWS = 50  # rows kept per breakdown table in the metrics (costliest first); the rest are counted
_SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


def _ratio(num: float, den: float) -> float | None:
    return round(num / den, 4) if den else None


def breakdown(frame: pd.DataFrame, key: str) -> list[dict[str, Any]]:
    """Calls, spend, tokens, latency and cost per success for each value of ``key``, costliest first."""
    sums = frame.groupby(key)[["calls", "token_calls", "cost", "unpriced_calls", "untokened_calls", "tokens_in",
                               "tokens_out", "cached_tokens", "cached_calls", "latency_sum", "latency_calls",
                               "successes", "outcomes"]].sum()
    total = sums["cost"].sum()
    return [
        {key: r[key], "calls": int(r["calls"]), "cost": round(r["cost"], 4), "share": _ratio(r["cost"], total),
         "unpriced_calls": int(r["unpriced_calls"]), "calls_without_tokens": int(r["calls"] - r["token_calls"]),
         "tokens_in_per_call": _ratio(r["tokens_in"], r["token_calls"]),
         "tokens_out_per_call": _ratio(r["tokens_out"], r["token_calls"]),
         "cache_hit_rate": _ratio(r["cached_calls"], r["token_calls"]),
         "latency_ms_mean": _ratio(r["latency_sum"], r["latency_calls"]),
         "success_rate": _ratio(r["successes"], r["outcomes"]), "cost_per_success": _ratio(r["cost"], r["successes"])}
        for r in sums.sort_values("cost", ascending=False).reset_index().to_dict("records")  # records: fast for many
    ]


def tokens_month_over_month(current: pd.DataFrame, previous: pd.DataFrame) -> list[dict[str, Any]]:
    """Input and output tokens per call per (route, template), this window against the previous month
    (over the calls that logged their tokens; None where none did)."""
    def per_call(frame: pd.DataFrame) -> pd.DataFrame:
        sums = frame.groupby(["route", "template"])[["calls", "token_calls", "tokens_in", "tokens_out"]].sum()
        return sums.assign(tin=[_ratio(t, n) for t, n in zip(sums["tokens_in"], sums["token_calls"], strict=True)],
                           tout=[_ratio(t, n) for t, n in zip(sums["tokens_out"], sums["token_calls"], strict=True)])

    def rounded(value: float | None) -> float | None:
        return None if value is None or pd.isna(value) else round(value, 1)

    now, before = per_call(current), per_call(previous)
    return [{"route": route, "template": template, "calls": int(r["calls"]), "tokens_in_per_call": rounded(r["tin"]),
             "tokens_out_per_call": rounded(r["tout"]),
             "previous_tokens_in_per_call": rounded(before.at[(route, template), "tin"])
             if (route, template) in before.index else None}
            for (route, template), r in now.sort_values("calls", ascending=False).head(TABLE_ROWS).iterrows()]


def _budget_findings(b: Budget, currency: str, period: Period) -> list[Finding]:
    if b.budget is None:
        return []
    evidence = {"spend": round(b.spend, 2), "budget": round(b.budget, 2),
                "forecast": None if b.forecast is None else round(b.forecast, 2)}
    if b.over:
        return [Finding(key="budget", severity="critical",
                        title=f"Spend {money(b.spend, currency)} is over the budget of {money(b.budget, currency)}",
                        detail=f"{b.spend / b.budget:.0%} of budget by {period.observed_last}", evidence=evidence)]
    if b.forecast_over:
        return [Finding(key="budget", severity="warning",
                        title=f"Forecast {money(b.forecast or 0, currency)} will exceed the budget of {money(b.budget, currency)}",
                        detail=f"{money(b.spend, currency)} spent to {period.observed_last}; trailing run rate "
                               f"{money(b.run_rate_per_day or 0, currency)}/day", evidence=evidence)]
    return []


def _anomaly_finding(a: Anomaly, currency: str) -> Finding:
    days = str(a.first) if a.first == a.last else f"{a.first}..{a.last}"
    return Finding(
        key=f"anomalous-days:{a.first}", severity="info",
        title=f"Spend {a.direction} on {days}: {money(a.cost, currency)} against {money(a.expected_cost, currency)} "
              f"usual for those weekdays ({a.cost_ratio:.1f}×; volume {a.volume_ratio:.1f}×)",
        evidence={"first": str(a.first), "last": str(a.last), "direction": a.direction, "cost": round(a.cost, 4),
                  "expected_cost": round(a.expected_cost, 4), "cost_ratio": round(a.cost_ratio, 4),
                  "calls": int(a.calls), "expected_calls": round(a.expected_calls, 1),
                  "volume_ratio": round(a.volume_ratio, 4), "max_robust_z": round(a.max_z, 2)},
    )


def change_review_command(system: str, r: Recommendation) -> str | None:
    """The change review that would test a "route X to model Y" or "trim template T" recommendation."""
    if r.key.startswith("costly-model-on-easy:"):
        candidate = f"{r.evidence['route']}.model={r.evidence['cheaper_model']}"
    elif r.key.startswith("prompt-bloat:"):
        candidate = f"{r.evidence['route']}.prompt=TRIMMED-{r.evidence['template']}"
    else:
        return None
    return f"steward run change-review {system} --candidate {candidate}"


def _recommendation_finding(r: Recommendation, currency: str, system: str) -> Finding:
    command = change_review_command(system, r)
    return Finding(key=r.key, severity="info", title=r.title,
                   detail=f"estimated saving {money(r.monthly_saving, currency)}/month"
                          + (f"; test it first: {command}" if command else ""),
                   evidence={**r.evidence, "monthly_saving": round(r.monthly_saving, 4),
                             **({"change_review": command} if command else {})})


def _unpriced_findings(current: pd.DataFrame) -> list[Finding]:
    unpriced = current.groupby("model")["unpriced_calls"].sum()
    return [Finding(key=f"unpriced:{model}", severity="warning",
                    title=f"{int(calls):,} calls to {model} are unpriced and left out of the spend",
                    detail="not in the genai-prices table and no rate in the runbook's cost.prices",
                    evidence={"model": model, "calls": int(calls)})
            for model, calls in unpriced.items() if calls > 0]


def _untokened_finding(current: pd.DataFrame) -> list[Finding]:
    """Calls logged without token counts: left out of every per-token figure, and of the spend unless billed."""
    without = int((current["calls"] - current["token_calls"]).sum())
    if not without:
        return []
    unknown = int(current["untokened_calls"].sum())
    by_model = (current["calls"] - current["token_calls"]).groupby(current["model"]).sum()
    return [Finding(
        key="calls-without-tokens", severity="warning" if unknown else "info",
        title=f"{without:,} calls carry no token counts: left out of tokens per call and cache rates"
              + (f"; {unknown:,} of them have no logged cost either and are left out of the spend" if unknown else ""),
        detail="tokens_in or tokens_out is empty in the log (source.columns)",
        evidence={"calls": without, "unknown_cost_calls": unknown,
                  "by_model": {m: int(n) for m, n in by_model.items() if n}})]


def _easy_findings(shares: list[dict[str, Any]], recommended: list[Recommendation], min_calls: int) -> list[Finding]:
    """Easy routes on the costliest model that no recommendation covers (no cheaper model has the quality evidence)."""
    covered = {r.key for r in recommended}
    return [Finding(key=key, severity="info", evidence=s,
                    title=f"{s['share']:.0%} of easy route {s['route']} calls go to the costliest model, "
                          f"{s['costliest_model']}",
                    detail="no cheaper model has matching quality evidence on this route yet")
            for s in shares if s["share"] >= EASY_SHARE and s["calls"] >= min_calls
            and (key := f"costly-model-on-easy:{s['route']}") not in covered]


def _by_impact(findings: list[Finding]) -> list[Finding]:
    """Alerts first, then the largest savings, then the rest in the order found: what ``cap_findings`` keeps."""
    return sorted(findings, key=lambda f: (_SEVERITY_RANK[f.severity], -f.evidence.get("monthly_saving", 0.0)))


def _top(rows: list[dict[str, Any]], key: str, name: str, omitted: dict[str, int]) -> list[dict[str, Any]]:
    """The ``TABLE_ROWS`` largest rows by ``key``; how many were left out goes to ``omitted[name]``."""
    if len(rows) > TABLE_ROWS:
        omitted[name] = len(rows) - TABLE_ROWS
    return sorted(rows, key=lambda r: -(r[key] or 0.0))[:TABLE_ROWS]


def _month_days(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _headline(spend: Budget, unpriced_calls: int, period: Period, recommendations: list[Recommendation],
              currency: str, coverage: Coverage) -> str:
    text = f"Spend {money(spend.spend, currency)}" + (f" + {unpriced_calls:,} unpriced calls" if unpriced_calls else "")
    if spend.budget is not None:
        text += f" of {money(spend.budget, currency)} budget ({spend.spend / spend.budget:.0%})"
        if period.budget_share() < 1:
            text += f", the monthly budget pro-rated to {period.days} of {_month_days(period.first)} days"
    if spend.forecast is not None:
        text += f"; forecast {money(spend.forecast, currency)} by {period.last}"
    if recommendations:
        saving = sum(r.monthly_saving for r in recommendations)
        text += f"; {len(recommendations)} recommendation(s) could save {money(saving, currency)}/month"
    return text + (f" ({coverage.note()})" if coverage.partial else "")


def review(spec: RunbookSpec, coverage: Coverage, agg: pd.DataFrame, today: date) -> CostReport:
    """Judge the days of ``coverage.window`` that the log covers, from aggregates that also cover
    ``Period.read_range`` before them; a window the log does not cover at all is skipped with the reason."""
    assert spec.cost is not None
    if coverage.covered is None:
        return not_judged(spec.system, Duty.cost, coverage.window, coverage.reason, CostMetrics())
    cost, currency, window = spec.cost, spec.cost.currency, coverage.window
    period = Period.covering(coverage, today)
    prices = prices_for(sorted(agg["model"].unique()), spec, datetime.combine(period.first, time(), UTC))
    groups = priced(agg, spec, prices)
    current = groups[(groups["day"] >= period.first) & (groups["day"] <= period.observed_last)]
    previous = groups[(groups["day"] >= period.previous_first) & (groups["day"] < period.first.replace(day=1))]
    base = dict(system=spec.system, duty=Duty.cost, window_start=window.start, window_end=window.end,
                coverage=coverage.label() if coverage.partial else None)
    if current.empty:
        note = f" ({coverage.note()})" if coverage.partial else ""
        return CostReport(**base, status=CheckStatus.no_data,
                          headline=f"No calls logged from {period.first} to {period.observed_last}, inside the "
                                   f"log's life: nothing to review{note}",
                          metrics=CostMetrics(calls=0, spend=0.0, month_to_date=period.month_to_date))

    found, series = anomalies(daily(groups, period.history_first, period.observed_last), period.first, cost.anomaly_z)
    spend = budget(series, period, cost.monthly_budget, cost.forecast_trailing_days,
                   {d for a in found for d in pd.date_range(a.first, a.last).date})
    least = cost.min_calls_for_advice
    shares, easy_recs = easy_on_costly(current, previous, cost.easy_routes, prices, cost.quality_tolerance,
                                       period.first, least)
    cache_rows, cache_recs = caching(current, prices, period.first, least)
    recommendations = sorted([*prompt_bloat(current, previous, prices, cost.max_prompt_growth, period.first, least),
                              *easy_recs, *cache_recs], key=lambda r: -r.monthly_saving)
    findings = cap_findings(_by_impact([
        *_budget_findings(spend, currency, period), *_unpriced_findings(current), *_untokened_finding(current),
        *(_recommendation_finding(r, currency, spec.system) for r in recommendations), *_easy_findings(shares, easy_recs, least),
        *(_anomaly_finding(a, currency) for a in found)]))
    unpriced_calls = int(current["unpriced_calls"].sum())
    untokened_calls = int(current["untokened_calls"].sum())
    omitted: dict[str, int] = {}
    metrics = CostMetrics(
        currency=currency, month_to_date=period.month_to_date, observed_last_day=str(period.observed_last),
        judged_days=(period.observed_last - period.first).days + 1, budget_share=round(period.budget_share(), 4),
        calls=int(current["calls"].sum()), spend=round(spend.spend, 4), unpriced_calls=unpriced_calls,
        calls_without_tokens=int((current["calls"] - current["token_calls"]).sum()),
        calls_of_unknown_cost=untokened_calls,
        budget=spend.budget, forecast=spend.forecast, run_rate_per_day=spend.run_rate_per_day,
        cost_per_success=_ratio(spend.spend, current["successes"].sum()),
        prices=prices,
        by_model=_top(breakdown(current, "model"), "cost", "by_model", omitted),
        by_route=_top(breakdown(current, "route"), "cost", "by_route", omitted),
        by_day=[DaySpend(day=str(d), calls=None if pd.isna(r["calls"]) else int(r["calls"]),
                         cost=None if pd.isna(r["cost"]) else round(r["cost"], 4),
                         expected_cost=None if pd.isna(r["expected_cost"]) else round(r["expected_cost"], 4),
                         robust_z=None if pd.isna(r["z"]) else round(r["z"], 2)) for d, r in series.iterrows()],
        tokens_month_over_month=tokens_month_over_month(current, previous),
        caching=_top(cache_rows, "missed_saving", "caching", omitted), easy_routes_on_costliest_model=shares,
        recommendations=_top([r.model_dump() for r in recommendations], "monthly_saving", "recommendations", omitted),
        rows_omitted=omitted,  # filled by the _top calls above
    )
    alerting = any(f.severity != "info" for f in findings)
    return CostReport(**base, status=CheckStatus.attention if alerting else CheckStatus.healthy,
                      headline=_headline(spend, unpriced_calls + untokened_calls, period, recommendations, currency,
                                         coverage),
                      findings=findings, metrics=metrics)

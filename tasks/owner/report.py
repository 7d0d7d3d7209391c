"""The owner's monthly report and the portfolio page: one model each, its HTML, and the Slack lines.

The model (``OwnerReport``) is what ``steward report --format json`` prints and what the page shows, so the
two cannot disagree. Pages link relatively, so the reports folder opens as files with no server.
"""

from __future__ import annotations

import html
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from runbooks.spec import RunbookSpec, SystemKind
from tasks.core.money import currency_symbol, money
from tasks.core.windows import Window
from tasks.owner import metrics as m
from tasks.owner.assess import Assessment
from tasks.owner.data import OpsRecord
from tasks.render import charts
from tasks.render.html import html_table, write_html_report
from tasks.store.database import steward_home

QUALITY_DAYS = 90


class Change(BaseModel):
    at: datetime
    what: str


class OwnerReport(BaseModel):
    """One system's month, in business terms: the JSON of ``steward report`` and the page's content."""

    system: str
    month: str
    owner: str
    role: str
    kind: str
    currency: str
    sla_state: str  # met | breached | not judged
    money_at_stake: float | None
    headline: list[str]
    quality: list[m.QualityPoint]
    detection_trend: list[dict[str, Any]]
    money: m.Money | None
    llm: dict[str, float | None] | None
    spend: m.Spend | None
    compliance: m.Compliance
    incidents: m.Incidents
    approvals: m.Approvals
    refresh_cycles: list[m.RefreshCycle]
    refresh_step_medians_hours: dict[str, float | None]
    changes: list[Change]
    readiness_level: int | None
    readiness_minimum: int
    duty_reports: dict[str, str]  # duty -> the latest report page of the month
    path: str | None = None


def _cells(spec: RunbookSpec) -> dict[str, str]:
    """Business metric name per outcome cell, e.g. false_negative -> fraud_missed."""
    return {b.cell: b.name for b in spec.outcomes.business_metrics} if spec.outcomes else {}


def _sla_pairs(spec: RunbookSpec) -> list[tuple[str, str | None]]:
    if not spec.outcomes:
        return []
    return list(dict.fromkeys((r.metric, "min" if r.min is not None else "max") for r in spec.outcomes.sla))


def _changes(ops: OpsRecord, window: Window) -> list[Change]:
    inside = [Change(at=a.changed_at, what=f"{a.alias} → v{a.version}" + (f" (was v{a.previous_version})"
                     if a.previous_version else "") + f" by {a.actor}") for a in ops.aliases]
    inside += [Change(at=b["created_at"], what=f"drift baseline v{b['version']} ({b['window']}) by {b['created_by']}")
               for b in ops.baselines]
    inside = [c for c in inside if window.start <= c.at < window.end]
    audits = [r for r in ops.results if r.duty == "compliance" and window.start < r.window_end <= window.end]
    inside += [Change(at=window.start, what=f"policy/prompt version in use: {v} ({rows:,} audited rows)")
               for v, rows in sorted(m.versions_in_use(audits).items())]
    return sorted(inside, key=lambda c: c.at)


def build_owner_report(spec: RunbookSpec, ops: OpsRecord, month: str, assessment: Assessment | None) -> OwnerReport:
    """Compose the month from the stored results: quality over 90 days, money, spend, compliance, incidents."""
    window = Window.month(month)
    since = window.end - timedelta(days=QUALITY_DAYS)
    in_month = [r for r in ops.results if window.start < r.window_end <= window.end]
    currency = spec.currency()
    reviewed = m.latest(in_month, "outcomes")
    cells = _cells(spec)
    money_ = None
    if spec.kind is SystemKind.classifier and reviewed and {"true_positive", "false_negative"} <= cells.keys():
        money_ = m.classifier_money(reviewed, cells["true_positive"], cells["false_negative"],
                                    cells.get("false_positive", ""))
    cost_result = next((r for r in reversed(ops.results) if r.duty == "cost" and r.window_start == window.start
                        and r.status not in ("skipped", "failed")), None)
    spend = m.spend(cost_result) if cost_result else None
    llm = None
    if spec.kind is SystemKind.llm_app and reviewed:
        total = (reviewed.metrics.get("total") or {}).get("metrics") or {}
        llm = {k: total.get(k) for k in ("resolution_rate", "escalation_rate", "failure_rate", "error_rate")}
        llm["cost_per_resolved"] = spend.cost_per_success if spend else None
    business = ((reviewed.metrics.get("total") or {}).get("business") or {}) if reviewed else {}
    lost = [name for cell, name in cells.items() if cell != "true_positive"]  # money lost, not money saved
    at_stake = sum(float(business.get(k) or 0.0) for k in lost) if reviewed else None
    if spend and spend.over_budget:
        at_stake = (at_stake or 0.0) + spend.over_budget
    state = {"healthy": "met", "attention": "breached"}.get(reviewed.status, "not judged") if reviewed else "not judged"
    cycles = [c for c in m.refresh_cycles(ops.refreshes, ops.results, ops.aliases, ops.approvals)
              if c.challenger_ready >= since]
    report = OwnerReport(
        system=spec.system, month=month, owner=spec.owner.name, role=spec.owner.role, kind=spec.kind.value,
        currency=currency, sla_state=state, money_at_stake=at_stake, headline=[],
        quality=m.quality(ops.results, _sla_pairs(spec), since, window.end),
        detection_trend=m.detection_trend(ops.results, since, window.end, spec.outcomes.confidence)
        if spec.kind is SystemKind.classifier and spec.outcomes else [],
        money=money_, llm=llm, spend=spend,
        compliance=m.compliance([r for r in in_month if r.duty == "compliance"]),
        incidents=m.incidents(ops.alerts, window), approvals=m.approvals(ops.approvals, window),
        refresh_cycles=cycles, refresh_step_medians_hours=m.step_medians(cycles), changes=_changes(ops, window),
        readiness_level=assessment.level if assessment else None,
        readiness_minimum=spec.readiness.minimum_level,
        duty_reports={r.duty: r.report_path for r in in_month if r.report_path})
    return report.model_copy(update={"headline": headlines(report)})


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1 / 60:
        return f"{value * 3600:.0f} s"
    return f"{value * 60:.0f} min" if value < 1 else f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} days"


def unit_money(amount: float, currency: str) -> str:
    """A per-unit price (a cent or less), with the digits that make it readable."""
    return f"{currency_symbol(currency)}{amount:,.4f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def headlines(r: OwnerReport) -> list[str]:
    """The lines the owner reads first, and the Slack summary."""
    lines = [f"SLA {r.sla_state}" + (f"; readiness level {r.readiness_level} of 5" if r.readiness_level is not None
                                     else "")]
    if r.money:
        lines.append(f"Fraud caught {money(r.money.caught, r.currency)}, missed {money(r.money.missed, r.currency)} "
                     f"({r.money.evaluation}); {_pct(r.money.detection_rate)} of fraud money caught against "
                     f"{_pct(r.money.reference_detection_rate)} in the reference period")
        if r.money.excess_missed is not None and r.money.excess_missed > 0:
            lines.append(f"{money(r.money.excess_missed, r.currency)} more fraud missed than at the reference rate")
        lines.append(f"Good customers' revenue declined: {money(r.money.false_declines, r.currency)}")
    if r.llm:
        lines.append(f"Resolved {_pct(r.llm.get('resolution_rate'))}, escalated {_pct(r.llm.get('escalation_rate'))}, "
                     f"failed {_pct(r.llm.get('failure_rate') or r.llm.get('error_rate'))}"
                     + (f"; {unit_money(r.llm['cost_per_resolved'], r.currency)} per resolved conversation"
                        if r.llm.get("cost_per_resolved") is not None else ""))
    if r.spend:
        budget = f" of a {money(r.spend.budget, r.currency)} budget" if r.spend.budget is not None else ""
        line = f"Spend {money(r.spend.spend, r.currency)}{budget}"
        if r.spend.forecast is not None:
            line += f", forecast {money(r.spend.forecast, r.currency)}"
        if r.spend.over_budget:
            line += f": {money(r.spend.over_budget, r.currency)} over budget"
        lines.append(line)
        if r.spend.savings_on_offer:
            lines.append(f"Savings on offer: {money(r.spend.savings_on_offer, r.currency)} a month")
    for cy in r.refresh_cycles:
        steps = ", ".join(f"{k.replace('_', ' ')} {_hours(v)}" for k, v in cy.hours.items() if v is not None)
        outcome = f"v{cy.promoted_version} promoted" if cy.promoted_version else (cy.decision or "awaiting the owner")
        lines.append(f"Refresh v{cy.challenger_version}: {outcome} ({steps})")
    i = r.incidents
    lines.append(f"{i.count} incident(s), {i.open} open; median time to acknowledge "
                 f"{_hours(i.median_hours_to_acknowledge)}, to resolve {_hours(i.median_hours_to_resolve)}")
    if r.compliance.violations:
        lines.append(f"Compliance: {len(r.compliance.violations)} violation(s); {r.compliance.pii_rows} row(s) with PII; "
                     f"{r.compliance.seals_verified} seal(s) verified")
    return lines


def owner_page_path(system: str, month: str) -> Path:
    path = steward_home() / "reports" / system / "owner" / f"{month}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _relative(target: str | None, page: Path) -> str | None:
    return os.path.relpath(target, page.parent) if target else None


def _link(target: str | None, page: Path, text: str) -> str:
    rel = _relative(target, page)
    return f"<a href='{html.escape(rel)}'>{html.escape(text)}</a>" if rel else html.escape(text)


def _quality_rows(r: OwnerReport) -> list[dict[str, Any]]:
    return [{"window": p.evaluation or f"{p.window_end:%Y-%m-%d}", "segment": p.segment,
             "metric": f"{p.plain} ({p.metric})", "realised": _num(p.realised), "estimated": _num(p.estimated),
             "SLA": "" if p.limit is None else f"{'≥' if p.bound == 'min' else '≤'} {_num(p.limit)}",
             "verdict": p.verdict} for p in r.quality]


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"


def _trend_chart(r: OwnerReport) -> str:
    """Detection rate per review (dated by window start, as on the outcome review's page) against the
    reference period's, the label-free estimate dashed in its sampling band."""
    if not r.detection_trend:
        return ""
    days = [f"{t['window_start']:%Y-%m-%d}" for t in r.detection_trend]
    column = {k: [t.get(k) for t in r.detection_trend] for k in ("realised", "estimated", "estimated_low",
                                                                  "estimated_high", "reference")}
    caption = ("<p>Fraud detection rate (recall) per review: realised, estimated without labels (dashed, in its "
               "confidence band) and the reference period's.</p>")
    lines = [charts.Series("realised", days, column["realised"]),
             charts.Series("estimated", days, column["estimated"], low=column["estimated_low"],
                           high=column["estimated_high"], dashed=True),
             charts.Series("reference", days, column["reference"])]
    return caption + charts.embed(charts.trend(lines, unit="rate", y_title="detection rate (recall)"))


def _spend_chart(s: m.Spend, currency: str) -> str:
    """Spend to date against the budget, the forecast dashed to the window's last day (the cost review's chart)."""
    if not s.by_day:
        return ""
    return charts.embed(charts.cumulative_spend([d for d, _ in s.by_day], [c for _, c in s.by_day],
                                                currency=currency, budget=s.budget, forecast=s.forecast,
                                                month_end=s.last_day))


def write_owner_page(r: OwnerReport) -> Path:
    page = owner_page_path(r.system, r.month)
    c = r.currency
    sections: dict[str, str] = {"In short": "<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in r.headline) + "</ul>"}
    if r.money:
        mo = r.money
        sections["Fraud in money"] = _trend_chart(r) + html_table([
            {"": "this period", "span": mo.evaluation, "share of fraud money caught": _pct(mo.detection_rate),
             "fraud caught": money(mo.caught, c), "fraud missed": money(mo.missed, c),
             "false declines per day": money(mo.false_declines_per_day or 0, c)},
            {"": "reference", "span": mo.reference, "share of fraud money caught": _pct(mo.reference_detection_rate),
             "fraud caught": "", "fraud missed": f"{money(mo.missed_at_reference_rate or 0, c)} (this period's fraud "
                                                  "at the reference rate)",
             "false declines per day": money(mo.reference_false_declines_per_day or 0, c)}])
    if r.llm:
        sections["Conversations"] = html_table([{f"{m.plain(k)} ({k})" if k != "cost_per_resolved" else
                                                 "cost per resolved conversation":
                                                 (unit_money(v, c) if k == "cost_per_resolved" and v is not None else _pct(v))
                                                 for k, v in r.llm.items()}])
    sections[f"Decision quality per SLA metric and slice (last {QUALITY_DAYS} days)"] = html_table(_quality_rows(r))
    if r.spend:
        s = r.spend
        sections["Spend against budget"] = _spend_chart(s, c) + html_table([{
            "month": s.month, "spend": money(s.spend, c),
            "budget": money(s.budget, c) if s.budget is not None else "—",
            "forecast": money(s.forecast, c) if s.forecast is not None else "—",
            "over budget": money(s.over_budget, c) if s.over_budget else "no",
            "savings on offer a month": money(s.savings_on_offer, c)}]) + html_table(
            [{"saving": x.get("title") or x.get("kind"), "a month": money(float(x.get("monthly_saving") or 0), c)}
             for x in s.recommendations])
    co = r.compliance
    sections["Compliance"] = html_table([{"audits": co.audits, "violations": "; ".join(co.violations) or "none",
                                          "seals verified": co.seals_verified, "seals broken": co.seals_broken,
                                          "rows with PII": co.pii_rows}])
    sections["Incidents"] = html_table([{**x, "hours_to_acknowledge": _hours(x["hours_to_acknowledge"]),
                                         "hours_to_resolve": _hours(x["hours_to_resolve"])} for x in r.incidents.rows])
    sections["Approvals"] = html_table([r.approvals.model_dump()])
    sections["Refresh cycles"] = html_table([
        {"challenger": f"v{cy.challenger_version} {cy.challenger_ready:%Y-%m-%d %H:%M}", **{k.replace("_", " "): _hours(v) for k, v in cy.hours.items()},
         "decision": cy.decision or "—", "promoted": f"v{cy.promoted_version}" if cy.promoted_version else "—"}
        for cy in r.refresh_cycles] + ([{"challenger": "median", **{k.replace("_", " "): _hours(v) for k, v in
                                          r.refresh_step_medians_hours.items()}, "decision": "", "promoted": ""}]
                                       if r.refresh_cycles else []))
    sections["What changed"] = html_table([{"when": f"{x.at:%Y-%m-%d %H:%M}", "what": x.what} for x in r.changes])
    sections["Duty reports"] = "<ul>" + "".join(f"<li>{_link(p, page, d)}</li>" for d, p in sorted(r.duty_reports.items())) + \
        f"<li>{_link(str(steward_home() / 'reports' / 'portfolio.html'), page, 'all systems (portfolio)')}</li></ul>"
    write_html_report(page, f"{r.system} · {r.month} · for {r.owner}, {r.role}", r.headline[0], sections)
    return page


class PortfolioRow(BaseModel):
    system: str
    owner: str
    sla_state: str
    currency: str
    money_at_stake: float | None
    spend: float | None
    budget: float | None
    open_incidents: int
    readiness_level: int | None
    readiness_minimum: int
    report: str | None
    duty_reports: dict[str, str]

    @property
    def below_minimum(self) -> bool:
        return self.readiness_level is not None and self.readiness_level < self.readiness_minimum


def portfolio_row(r: OwnerReport, open_incidents: int) -> PortfolioRow:
    return PortfolioRow(system=r.system, owner=f"{r.owner} ({r.role})", sla_state=r.sla_state, currency=r.currency,
                        money_at_stake=r.money_at_stake, spend=r.spend.spend if r.spend else None,
                        budget=r.spend.budget if r.spend else None, open_incidents=open_incidents,
                        readiness_level=r.readiness_level, readiness_minimum=r.readiness_minimum, report=r.path,
                        duty_reports=r.duty_reports)


def write_portfolio(rows: list[PortfolioRow], month: str) -> Path:
    """Every system on one page; a system below its minimum readiness level is shown in red."""
    page = steward_home() / "reports" / "portfolio.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    body = []
    for row in rows:
        red = " style='background:#fdd'" if row.below_minimum or row.sla_state == "breached" else ""
        links = " · ".join(_link(p, page, d) for d, p in sorted(row.duty_reports.items()))
        cells = [_link(row.report, page, row.system), html.escape(row.owner), row.sla_state,
                 money(row.money_at_stake, row.currency) if row.money_at_stake is not None else "—",
                 (money(row.spend, row.currency) if row.spend is not None else "—")
                 + (f" of {money(row.budget, row.currency)}" if row.budget is not None else ""),
                 str(row.open_incidents),
                 f"{row.readiness_level if row.readiness_level is not None else '—'} (minimum {row.readiness_minimum})"]
        body.append(f"<tr{red}>" + "".join(f"<td>{c}</td>" for c in cells)
                    + f"<td style='white-space:normal'>{links}</td></tr>")  # the links wrap, the numbers do not
    head = "".join(f"<th>{h}</th>" for h in ("system", "owner", "SLA", "money at stake this month",
                                               "spend against budget", "open incidents", "readiness", "reports"))
    write_html_report(page, f"Steward portfolio · {month}", f"{len(rows)} system(s); red: SLA breached or below the "
                      "runbook's minimum readiness level",
                      {"Systems": f"<div class='table-wrap'><table><thead><tr>{head}</tr></thead>"
                                  f"<tbody>{''.join(body)}</tbody></table></div>"})
    return page

"""The owner's numbers, pure: decision quality, money, spend, incidents, approvals and the refresh cycle.

Every function takes the plain records of ``tasks.owner.data`` and returns plain values, so the monthly
report, its JSON and the portfolio page agree, and the arithmetic is tested without a store or Prefect.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import median
from typing import Any

from pydantic import BaseModel

from tasks.core.windows import Window
from tasks.outcomes.report import estimate_band
from tasks.owner.data import AlertRecord, AliasRecord, ApprovalRecord, RefreshRecord, Result

# Plain names next to the technical ones: what the owner reads first.
PLAIN_NAMES = {
    "recall": "fraud detection rate", "precision": "share of declines that were fraud",
    "false_positive_rate": "good customers declined", "roc_auc": "ranking quality (ROC AUC)",
    "pr_auc": "ranking quality on fraud (PR AUC)", "false_decline_cost_per_day": "false-decline revenue per day",
    "resolution_rate": "conversations resolved", "escalation_rate": "conversations handed to an agent",
    "error_rate": "conversations that failed", "fallback_rate": "fallback answers",
    "latency_p95_ms": "slowest 5% response time (ms)", "fraud_caught": "fraud caught", "fraud_missed": "fraud missed",
    "false_decline_cost": "good customers' revenue declined", "escalation_cost": "agent handling cost",
}


def plain(metric: str) -> str:
    return PLAIN_NAMES.get(metric, metric.replace("_", " "))


class QualityPoint(BaseModel):
    """One SLA metric on one segment for one reviewed window: realised (labels) and estimated (no labels)."""

    window_end: datetime
    evaluation: str | None
    segment: str
    metric: str
    plain: str
    realised: float | None
    estimated: float | None
    limit: float | None
    bound: str | None
    verdict: str


def _segments(metrics: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = [metrics.get("total") or {}, *(metrics.get("slices") or [])]
    return {s["name"]: s for s in found if s.get("name")}


def quality(results: list[Result], sla: list[tuple[str, str | None]], since: datetime, until: datetime) -> list[QualityPoint]:
    """Each outcome review in [since, until): every judged SLA check, or the estimate while labels are immature.

    ``sla`` lists (metric, bound) pairs, so an immature window still shows the estimate of each SLA metric.
    """
    points: list[QualityPoint] = []
    for r in results:
        if r.duty != "outcomes" or not (since <= r.window_end <= until) or r.status == "skipped" and not r.metrics:
            continue
        segments = _segments(r.metrics)
        judged = r.metrics.get("judgements") or []
        if judged:
            for j in judged:
                seg = segments.get(j["segment"], {})
                points.append(QualityPoint(
                    window_end=r.window_end, evaluation=r.metrics.get("evaluation"), segment=j["segment"],
                    metric=j["metric"], plain=plain(j["metric"]), realised=j.get("value"),
                    estimated=(seg.get("estimated") or {}).get(j["metric"]), limit=j.get("limit"),
                    bound=j.get("bound"), verdict=j["verdict"]))
            continue
        for name, seg in segments.items():
            for metric, bound in sla:
                estimate = (seg.get("estimated") or {}).get(metric)
                if estimate is None:
                    continue
                points.append(QualityPoint(window_end=r.window_end, evaluation=r.metrics.get("evaluation"),
                                           segment=name, metric=metric, plain=plain(metric), realised=None,
                                           estimated=estimate, limit=None, bound=bound, verdict="estimated"))
    return points


class Money(BaseModel):
    """Money at stake over one reviewed span, against the reference period's rate."""

    evaluation: str | None
    reference: str | None
    caught: float
    missed: float
    false_declines: float
    detection_rate: float | None  # share of fraud money caught
    reference_detection_rate: float | None
    missed_at_reference_rate: float | None  # what would have been missed at the reference period's rate
    excess_missed: float | None  # missed minus that: the incident in money
    reference_false_declines_per_day: float | None
    false_declines_per_day: float | None


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def classifier_money(result: Result, caught: str, missed: str, declined: str) -> Money:
    """Money caught, missed and wrongly declined on ``result``'s span, with the reference period beside it.

    The business-metric names come from the runbook's cells (true positive, false negative, false positive).
    """
    total = result.metrics.get("total") or {}
    business = total.get("business") or {}
    ref_window = (result.metrics.get("reference") or {}).get("window")
    ref = ((result.metrics.get("reference") or {}).get("total") or {}).get("business") or {}
    got, lost, wrong = (float(business.get(k, 0.0)) for k in (caught, missed, declined))
    rate = _share(got, got + lost)
    ref_rate = _share(float(ref.get(caught, 0.0)), float(ref.get(caught, 0.0)) + float(ref.get(missed, 0.0))) if ref else None
    at_ref = (got + lost) * (1 - ref_rate) if ref_rate is not None else None
    days = float(result.metrics.get("days") or 0) or None
    ref_days = _span_days(ref_window)
    return Money(evaluation=result.metrics.get("evaluation"), reference=ref_window, caught=got, missed=lost,
                 false_declines=wrong, detection_rate=rate, reference_detection_rate=ref_rate,
                 missed_at_reference_rate=at_ref, excess_missed=None if at_ref is None else lost - at_ref,
                 false_declines_per_day=wrong / days if days else None,
                 reference_false_declines_per_day=float(ref.get(declined, 0.0)) / ref_days if ref and ref_days else None)


def _span_days(label: str | None) -> float | None:
    if not label:
        return None
    window = Window.parse(label)
    return (window.end - window.start).total_seconds() / 86_400


def detection_trend(results: list[Result], since: datetime, until: datetime, confidence: float,
                    metric: str = "recall") -> list[dict[str, Any]]:
    """The positive-class detection rate per reviewed window: realised, estimated with the estimate's sampling
    band at the runbook's confidence (the band the outcome review draws), and the reference's."""
    trend = []
    for r in results:
        if r.duty != "outcomes" or not (since <= r.window_end <= until) or not r.metrics.get("total"):
            continue
        total = r.metrics["total"]
        ref = ((r.metrics.get("reference") or {}).get("total") or {}).get("metrics") or {}
        realised = (total.get("metrics") or {}).get(metric) if r.metrics.get("mature", True) else None
        low, high = estimate_band(total, metric, confidence) if total.get("estimated") else (None, None)
        trend.append({"window_start": r.window_start, "window_end": r.window_end,
                      "evaluation": r.metrics.get("evaluation"), "realised": realised,
                      "estimated": (total.get("estimated") or {}).get(metric), "estimated_low": low,
                      "estimated_high": high, "reference": ref.get(metric)})
    return trend


def latest(results: list[Result], duty: str, judged: bool = True, **metric_filter: Any) -> Result | None:
    """The newest result of ``duty`` (judged: not skipped, not no_data) whose metrics match the filter."""
    for r in reversed(results):
        if r.duty != duty or (judged and r.status in ("skipped", "no_data", "failed")):
            continue
        if all(r.metrics.get(k) == v for k, v in metric_filter.items()):
            return r
    return None


class Spend(BaseModel):
    month: str
    spend: float
    budget: float | None
    forecast: float | None
    over_budget: float | None  # spend (or the forecast, when larger) minus the budget; None within budget
    savings_on_offer: float  # per month, the sum of the cost review's recommendations
    cost_per_success: float | None
    calls: int
    recommendations: list[dict[str, Any]]
    by_day: list[tuple[str, float | None]] = []  # (day, spend) of the judged days: the spend-to-date chart
    last_day: str | None = None  # the window's last day, where the forecast ends


def spend(result: Result) -> Spend:
    m = result.metrics
    recs = m.get("recommendations") or []
    budget, forecast, spent = m.get("budget"), m.get("forecast"), float(m.get("spend") or 0.0)
    worst = max(spent, forecast or 0.0)
    first = f"{result.window_start:%Y-%m-%d}"  # the stored days start earlier: the weekday baseline
    return Spend(month=result.window_start.strftime("%Y-%m"), spend=spent, budget=budget, forecast=forecast,
                 over_budget=worst - budget if budget is not None and worst > budget else None,
                 savings_on_offer=round(sum(float(r.get("monthly_saving") or 0) for r in recs), 2),
                 cost_per_success=m.get("cost_per_success"), calls=int(m.get("calls") or 0), recommendations=recs,
                 by_day=[(d["day"], d.get("cost")) for d in m.get("by_day") or [] if d["day"] >= first],
                 last_day=f"{result.window_end - timedelta(days=1):%Y-%m-%d}")


def versions_in_use(results: list[Result]) -> dict[str, int]:
    """Policy (or prompt) versions the month's audits saw, with their row counts."""
    seen: dict[str, int] = {}
    for r in results:
        for check in r.metrics.get("checks") or []:
            if check.get("name") == "policy-drift":
                for version, rows in ((check.get("counts") or {}).get("versions") or {}).items():
                    seen[version] = seen.get(version, 0) + int(rows)
    return seen


class Compliance(BaseModel):
    audits: int
    violations: list[str]
    seals_verified: int
    seals_broken: int
    pii_rows: int


def compliance(results: list[Result]) -> Compliance:
    """The audits of a month: their violations (by check), seals re-verified and rows with PII."""
    violations: dict[str, str] = {}  # check -> its newest title: one line per kind of violation
    verified = broken = pii = 0
    for r in results:
        for check in r.metrics.get("checks") or []:
            if check.get("verdict") == "violation":
                violations[check["name"]] = check.get("title") or check["name"]
            if check.get("name") == "pii":
                pii += int((check.get("counts") or {}).get("rows_with_pii") or 0)
        for seal in r.metrics.get("seals") or []:  # a seal made by this audit is new, not yet verified
            verified += bool(seal.get("intact")) and not seal.get("new")
            broken += not seal.get("intact")
    return Compliance(audits=len(results), violations=[violations[k] for k in sorted(violations)], seals_verified=verified,
                      seals_broken=broken, pii_rows=pii)


def hours(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds() / 3600


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return median(known) if known else None


class Incidents(BaseModel):
    count: int
    open: int
    acknowledged: int
    median_hours_to_acknowledge: float | None
    median_hours_to_resolve: float | None
    rows: list[dict[str, Any]]


def incident_time(alert: AlertRecord) -> datetime:
    """When the incident happened: the judged window's end when the duty recorded it, else first seen."""
    return alert.window_end or alert.first_seen


def incidents(alerts: list[AlertRecord], window: Window) -> Incidents:
    """Alerts of the month (info findings never alert): how fast the owner acknowledged and resolved them."""
    mine = [a for a in alerts if window.start <= incident_time(a) < window.end]
    rows = [{"id": a.id, "duty": a.duty, "title": a.title, "severity": a.severity, "state": a.state,
             "hours_to_acknowledge": hours(a.acknowledged_at - a.first_seen) if a.acknowledged_at else None,
             "hours_to_resolve": hours(a.resolved_at - a.first_seen) if a.resolved_at else None} for a in mine]
    return Incidents(count=len(mine), open=sum(a.state != "resolved" for a in mine),
                     acknowledged=sum(a.acknowledged_at is not None for a in mine),
                     median_hours_to_acknowledge=_median([r["hours_to_acknowledge"] for r in rows]),
                     median_hours_to_resolve=_median([r["hours_to_resolve"] for r in rows]), rows=rows)


class Approvals(BaseModel):
    asked: int
    approved: int
    rejected: int
    expired: int
    pending: int


def approvals(requests: list[ApprovalRecord], window: Window) -> Approvals:
    mine = [a for a in requests if window.start <= a.requested_at < window.end]
    count = {s: sum(a.state == s for a in mine) for s in ("approved", "rejected", "expired", "pending")}
    return Approvals(asked=len(mine), **count)


MARKS = ("breach", "request", "challenger", "decision", "promotion")
STEPS = ("breach_to_request", "request_to_challenger", "challenger_to_decision", "decision_to_promotion",
         "breach_to_challenger")


def _steps(marks: list[datetime | None]) -> dict[str, float | None]:
    """Hours between consecutive marks that happened: a refresh started by hand (no request) shows
    breach_to_challenger instead of its two halves; a step after a missing mark is unknown."""
    steps: dict[str, float | None] = dict.fromkeys(STEPS)
    present = [(name, at) for name, at in zip(MARKS, marks, strict=True) if at is not None]
    for (a, start), (b, end) in zip(present, present[1:], strict=False):
        if MARKS.index(b) - MARKS.index(a) == 1 or (a, b) == ("breach", "challenger"):
            steps[f"{a}_to_{b}"] = hours(end - start)
    return steps


class RefreshCycle(BaseModel):
    """One refresh from the first SLA breach to promotion; a step not taken leaves its time unknown."""

    first_breach: datetime | None
    requested: datetime | None  # None: the refresh was started by hand, not by a sustained breach
    challenger_ready: datetime
    challenger_version: int
    decided: datetime | None
    decision: str | None
    promoted: datetime | None
    promoted_version: int | None
    hours: dict[str, float | None]


def _first_breach(results: list[Result], before: datetime) -> datetime | None:
    """When Steward first saw the breach still running at ``before``: the first of the breached reviews."""
    first = None
    for r in results:
        if r.duty != "outcomes" or r.created_at > before or r.status == "skipped":
            continue
        first = (first or r.created_at) if r.metrics.get("breached") else None
    return first


def refresh_cycles(refreshes: list[RefreshRecord], results: list[Result], aliases: list[AliasRecord],
                   requests: list[ApprovalRecord]) -> list[RefreshCycle]:
    """Each challenger followed back to its breach and request, and on to the owner's decision and promotion."""
    cycles = []
    challengers = [a for a in aliases if a.alias == "challenger"]
    for i, ch in enumerate(challengers):
        since = challengers[i - 1].changed_at if i else None
        until = challengers[i + 1].changed_at if i + 1 < len(challengers) else None
        request = next((r for r in reversed(refreshes)
                        if r.requested_at <= ch.changed_at and (since is None or r.requested_at > since)), None)
        decided = next((a for a in requests if a.requested_at >= ch.changed_at and a.state != "pending"
                        and (until is None or a.requested_at < until)), None)
        promoted = next((a for a in aliases if a.alias == "champion" and decided and a.approval_id == decided.id), None)
        breach = _first_breach(results, request.requested_at if request else ch.changed_at)
        marks = [breach, request and request.requested_at, ch.changed_at, decided and decided.decided_at,
                 promoted and promoted.changed_at]
        cycles.append(RefreshCycle(
            first_breach=breach, requested=marks[1], challenger_ready=ch.changed_at, challenger_version=ch.version,
            decided=marks[3], decision=decided.state if decided else None, promoted=marks[4],
            promoted_version=promoted.version if promoted else None,
            hours=_steps(marks)))
    return cycles


def step_medians(cycles: list[RefreshCycle]) -> dict[str, float | None]:
    return {step: _median([c.hours.get(step) for c in cycles]) for step in STEPS}

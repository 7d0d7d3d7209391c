"""The outcome review's verdict: segments (total and every slice), SLA judgements, findings and headline.

Pure: a frame in, a ``DutyReport`` out. Rates breach only when their whole confidence interval lies
past the SLA bound, so a small slice's noise never pages the owner; label-free estimates are shown
and stored but never alert.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from runbooks.metrics import ESTIMATED_METRICS, HEADLINE_METRICS
from runbooks.spec import Duty, OutcomesSection, RunbookSpec, SlaRule, SystemKind
from tasks.common.findings import Finding
from tasks.core.money import currency_symbol
from tasks.core.status import CheckStatus
from tasks.core.windows import Window
from tasks.metrics.outcome import wilson_interval
from tasks.outcomes.metrics import Judgement, OutcomeMetrics, OutcomeReference, OutcomeReport
from tasks.outcomes.segments import Segment, SegmentStatus, measure_segment
from tasks.outcomes.windows import Maturity, OutcomePlan

PROBABILITY = "_probability"
TOTAL = "total"
SUSTAINED = "sustained-breach"  # the finding a breach sustained over ``sustained_windows`` raises: refresh
BREACH = "sla:"  # the key prefix of one SLA breach's finding (``sla:metric:segment``)


def measure_all(spec: RunbookSpec, rows: pd.DataFrame, days: float) -> tuple[Segment, list[Segment]]:
    """The total and one segment per value of every runbook slice column."""
    assert spec.outcomes is not None
    section, decision = spec.outcomes, spec.source.columns.decision

    def measure(name: str, part: pd.DataFrame, is_slice: bool) -> Segment:
        probabilities = part[PROBABILITY].to_numpy() if PROBABILITY in part else None
        return measure_segment(name, part, spec.kind, section, days, probabilities, decision, is_slice)

    total = measure(TOTAL, rows, is_slice=False)
    slices = [measure(f"{column}={value}", part, is_slice=True)
              for column in section.slices
              for value, part in rows.groupby(rows[column].astype(str), sort=True)]
    return total, slices


def judge_rules(rules: list[SlaRule], segments: list[Segment], confidence: float) -> list[Judgement]:
    """Each rule on the total and every slice, or only where its ``slice`` says: ``total``, a column, ``column=value``."""
    return [_judge(rule, segment, confidence) for rule in rules for segment in segments if _applies(rule, segment)]


def _applies(rule: SlaRule, segment: Segment) -> bool:
    if rule.slice is None:
        return True
    if rule.slice == TOTAL:
        return segment.name == TOTAL
    column, _, value = rule.slice.partition("=")
    return segment.name == rule.slice if value else segment.name.startswith(f"{column}=")


def _judge(rule: SlaRule, segment: Segment, confidence: float) -> Judgement:
    value = segment.metrics.get(rule.metric, segment.business.get(rule.metric))
    bound: Literal["min", "max"] = "min" if rule.min is not None else "max"
    limit = rule.min if rule.min is not None else rule.max
    assert limit is not None
    base = Judgement(metric=rule.metric, segment=segment.name, bound=bound, limit=limit, value=value,
                     verdict="insufficient data")
    if segment.status != "judged" or value is None:
        return base
    low = high = value
    if (trials := segment.trials.get(rule.metric)) is not None:
        low, high = wilson_interval(value, trials, confidence)
    breached = (rule.min is not None and high < rule.min) or (rule.max is not None and low > rule.max)
    return base.model_copy(update={"low": low, "high": high, "verdict": "breached" if breached else "met"})


def review(
    spec: RunbookSpec,
    plan: OutcomePlan,
    rows: pd.DataFrame,
    reference: pd.DataFrame | None = None,
    prior_streak: int = 0,
    stored_estimate: dict[str, float | None] | None = None,
) -> OutcomeReport:
    """Judge the plan's evaluation span; ``rows`` may carry calibrated probabilities, ``reference`` is the baseline."""
    assert spec.outcomes is not None
    section, span, maturity = spec.outcomes, plan.span, plan.maturity
    days = _days(span)
    total, slices = measure_all(spec, rows, days)
    baseline: dict[str, Segment] = {}
    if reference is not None and len(reference) and plan.reference is not None:
        ref_total, ref_slices = measure_all(spec, reference, _days(plan.reference))
        baseline = {s.name: s for s in (ref_total, *ref_slices) if s.status == "judged"}
    if stored_estimate:
        total.estimated = stored_estimate
    metrics = OutcomeMetrics(
        kind=spec.kind.value, currency=section.currency, evaluation=span.label(), days=days,
        **maturity.model_dump(), label_coverage=total.labelled / total.rows if total.rows else None,
        total=total, slices=slices,
        reference=OutcomeReference(window=plan.reference.label(), total=baseline[TOTAL])
        if TOTAL in baseline and plan.reference else None,
        judgements=[], breached=False, streak=0,
    )

    def finish(headline: str, findings: list[Finding] | None = None,
               status: CheckStatus = CheckStatus.skipped) -> OutcomeReport:
        report = OutcomeReport(system=spec.system, duty=Duty.outcomes, window_start=plan.window.start,
                            window_end=plan.window.end, status=status, headline=headline, findings=findings or [],
                            metrics=metrics)
        return report.covering(plan.coverage) if plan.coverage else report

    money = currency_symbol(section.currency)
    if not total.rows:  # the plan keeps to days the log covers: no decision on them is an outage, not a quiet day
        return finish(f"No decisions in {span.label()}: nothing to review", status=CheckStatus.no_data)
    if not maturity.mature:
        return finish(*_immature(spec, total, slices, maturity, money))
    share = metrics.label_coverage
    assert share is not None
    if share < section.min_label_coverage:
        return finish(f"Outcomes missing: only {share:.0%} of {total.rows:,} decisions in {span.label()} have "
                     f"an outcome (runbook expects {section.min_label_coverage:.0%} once mature); not judged",
                     [Finding(key="outcomes-missing", severity="info", title="Outcomes have not arrived",
                              detail=f"{total.labelled:,} of {total.rows:,} decisions have an outcome")])
    if total.estimated:
        metrics.estimate_error = {m: total.estimated[m] - total.metrics[m] for m in ESTIMATED_METRICS
                                  if total.estimated.get(m) is not None and total.metrics.get(m) is not None}
    judgements = judge_rules(section.sla, [total, *slices], section.confidence)
    breaches = [j for j in judgements if j.verdict == "breached"]
    metrics.judgements = judgements
    metrics.breached = bool(breaches)
    metrics.streak = prior_streak + 1 if breaches else 0
    summary = _summary(spec.kind, total, baseline.get(TOTAL), days, money)
    if not breaches:
        judged = [j for j in judgements if j.verdict == "met"]
        if not judged:
            return finish(f"Insufficient data to judge any SLA ({total.note or 'too few outcomes'}): {summary}")
        return finish(f"SLA met ({len(judged)} checks on total and slices): {summary}", status=CheckStatus.healthy)
    worst = min(breaches, key=_severity_order)
    findings = [_breach_finding(j, [total, *slices], baseline, days, money, section.confidence) for j in breaches]
    if metrics.streak >= section.sustained_windows:
        findings.insert(0, Finding(
            key=SUSTAINED, severity="critical",
            title=f"SLA breached {metrics.streak} windows in a row (runbook: {section.sustained_windows}): refresh requested",
            evidence={"streak": metrics.streak}))
    headline = (f"SLA breached on {len(breaches)} of {len(judgements)} checks, worst {worst.segment} "
                f"{worst.metric} {_fmt(worst.metric, worst.value, money)}: {summary}")
    return finish(headline, findings, CheckStatus.attention)


def _immature(spec: RunbookSpec, total: Segment, slices: list[Segment], maturity: Maturity,
              money: str) -> tuple[str, list[Finding]]:
    """Before labels mature: the label-free estimate where there is one; estimates inform, never alert."""
    wait = f"labels mature on {maturity.mature_on}"
    if not total.estimated:
        arrived = f"outcomes arrived until {maturity.outcomes_until}" if maturity.outcomes_until else "no outcome has arrived yet"
        return f"Not judged yet: {wait} ({arrived})", []
    assert spec.outcomes is not None
    shown = ", ".join(f"{m} ≈{_fmt(m, total.estimated.get(m), money)}" for m in HEADLINE_METRICS[spec.kind]
                      if total.estimated.get(m) is not None)
    costs = [f"{m.name} ≈{money}{total.estimated[m.name]:,.0f}" for m in spec.outcomes.business_metrics
             if m.name in total.estimated]
    estimated_segments = [
        s.model_copy(update={"metrics": s.estimated, "trials": {}, "status": _estimate_status(s, spec.outcomes)})
        for s in [total, *slices]
    ]
    rules = [r for r in spec.outcomes.sla if r.metric in (*ESTIMATED_METRICS, *total.estimated)]
    flagged = [j for j in judge_rules(rules, estimated_segments, spec.outcomes.confidence) if j.verdict == "breached"]
    findings = [Finding(key=f"estimated:{j.metric}:{j.segment}", severity="info",
                        title=f"Estimated {j.segment} {j.metric} ≈{_fmt(j.metric, j.value, money)} is past the SLA "
                              f"{j.bound} {_fmt(j.metric, j.limit, money)}; confirm when labels mature")
                for j in flagged]
    return f"Estimated (label-free, {wait}): {'; '.join([shown, *costs])}", findings


def _estimate_status(segment: Segment, section: OutcomesSection) -> SegmentStatus:
    """Estimates get the same size guards as realised values: a thin slice is not judged, even as information."""
    thin = segment.name != TOTAL and segment.rows < section.min_slice_size
    few = (segment.estimated.get("positives") or 0) < section.min_slice_positives
    return "insufficient data" if thin or few else "judged"


def _severity_order(j: Judgement) -> float:
    """Worst first: the largest shortfall relative to the bound."""
    value = j.value or 0.0
    return -(j.limit - value if j.bound == "min" else value - j.limit) / max(abs(j.limit), 1e-9)


def _breach_finding(j: Judgement, segments: list[Segment], baseline: dict[str, Segment], days: float, money: str,
                    confidence: float) -> Finding:
    segment = next(s for s in segments if s.name == j.segment)
    op = "<" if j.bound == "min" else ">"
    interval = (f"{confidence:.0%} interval {_fmt(j.metric, j.low, money)}–{_fmt(j.metric, j.high, money)}"
                if j.low is not None and j.low != j.high else "")
    before = baseline.get(j.segment)
    was = before.metrics.get(j.metric, before.business.get(j.metric)) if before else None
    change = f" (reference period {_fmt(j.metric, was, money)})" if was is not None else ""
    impact = _business(segment, before, days, money)
    return Finding(
        key=f"{BREACH}{j.metric}:{j.segment}",
        severity="warning",
        title=f"{j.segment}: {j.metric} {_fmt(j.metric, j.value, money)} {op} SLA {_fmt(j.metric, j.limit, money)}{change}",
        detail="; ".join(part for part in (interval, ", ".join(impact)) if part),
        evidence={**j.model_dump(), "business": segment.business, "rows": segment.rows,
                  "positives": segment.positives, "reference": was},
    )


def _business(segment: Segment, before: Segment | None, days: float, money: str) -> list[str]:
    """Each business metric over the span, with its change against the reference period's daily rate."""
    parts = []
    for name, value in segment.business.items():
        if name.endswith("_per_day"):
            continue
        rate = before.business.get(f"{name}_per_day") if before else None
        change = f" ({_signed(name, value - rate * days, money)} vs reference rate)" if rate is not None else ""
        parts.append(f"{name} {money}{value:,.0f}{change}")
    return parts


def _summary(kind: SystemKind, total: Segment, before: Segment | None, days: float, money: str) -> str:
    parts = []
    for metric in HEADLINE_METRICS[kind]:
        value = total.metrics.get(metric)
        if value is None:
            parts.append(f"{metric} n/a")
            continue
        was = before.metrics.get(metric) if before else None
        change = f" ({_signed(metric, value - was, money)} vs reference)" if was is not None else ""
        parts.append(f"{metric} {_fmt(metric, value, money)}{change}")
    return ", ".join([*parts, *_business(total, before, days, money)])


def _days(window: Window) -> float:
    return (window.end - window.start).total_seconds() / 86_400


def _fmt(metric: str, value: float | None, money: str) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if metric.endswith("_rate"):
        return f"{value:.2%}" if value < 0.1 else f"{value:.1%}"
    if metric.endswith("_ms"):
        return f"{value:,.0f} ms"
    if metric in ("precision", "recall", "roc_auc", "pr_auc", "brier", "ece", "mae", "rmse", "bias"):
        return f"{value:.3f}"
    return f"{money}{value:,.0f}"


def _signed(metric: str, delta: float, money: str) -> str:
    text = _fmt(metric, abs(delta), money)
    return ("+" if delta >= 0 else "−") + text

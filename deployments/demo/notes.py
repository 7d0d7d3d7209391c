"""The demo's story lines under each system's summary: what each duty found, told against the injected incidents."""

from __future__ import annotations

from runbooks.spec import Duty
from tasks.common.findings import DutyReport
from tasks.outcomes.metrics import OutcomeReport
from tasks.outcomes.verdict import SUSTAINED

# The findings that answer "where did the money go": what the demo shows against its injected incidents.
STORY_FINDINGS = ("prompt-bloat", "anomalous-days", "costly-model-on-easy")


def cost_notes(reports: list[DutyReport]) -> list[str]:
    """Each kind of cost finding in the first month it appears, with its magnitude."""
    lines, seen = [], set()
    for report in sorted(reports, key=lambda r: r.window_start):
        for finding in report.findings:
            kind = finding.key.split(":", 1)[0]
            if kind in STORY_FINDINGS and kind not in seen:
                seen.add(kind)
                lines.append(f"{report.window_start:%Y-%m}: {finding.title}")
    return lines


def outcome_notes(reports: list[OutcomeReport]) -> list[str]:
    """The outcome story across the demo's windows: first slice-only breach, refresh request, estimator error."""
    lines = []
    for r in sorted(reports, key=lambda r: r.window_end):
        breached = {j.segment for j in r.metrics.breaches()}
        if breached and "total" not in breached:
            lines.append(f"{r.window.label()}: breach on {', '.join(sorted(breached))} while the total holds"
                         + _auc_change(r) + ": "
                         + "; ".join(f.title + (f" — {f.detail}" if f.detail else "") for f in r.findings))
            break
    lines += [f"{r.window.label()}: {f.title}: {f.detail}" for r in reports for f in r.findings
              if f.key == SUSTAINED]
    errors = [(r.window.label(), r.metrics.estimate_error["roc_auc"]) for r in reports
              if r.metrics.estimate_error and "roc_auc" in r.metrics.estimate_error]
    if errors:
        worst = max(errors, key=lambda e: abs(e[1]))
        lines.append(f"label-free ROC AUC estimate vs realised on {len(errors)} mature windows: "
                     f"max |error| {abs(worst[1]):.4f} ({worst[0]})")
    return lines


def _auc_change(report: OutcomeReport) -> str:
    total, reference = report.metrics.total, report.metrics.reference
    now = total.metrics.get("roc_auc") if total else None
    before = reference.total.metrics.get("roc_auc") if reference else None
    if now is None or before is None:
        return ""
    return f" (headline ROC AUC {now:.3f}, {now - before:+.4f} vs the reference period)".replace("-", "−")


def demo_notes(duty: Duty, reports: list[DutyReport]) -> list[str]:
    """Extra summary lines a duty's reports tell across the demo's windows."""
    tellers = {Duty.outcomes: outcome_notes, Duty.cost: cost_notes}
    return tellers[duty](reports) if duty in tellers else []

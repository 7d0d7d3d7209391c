"""Readiness: where a system's operation still has holes, scored on a rubric from Google's ML Test Score.

The items follow the monitoring and infrastructure sections of "The ML Test Score" (Breck et al., 2017),
plus ownership. Each passes or fails on evidence from the runbook and the ops store, and names the command or
runbook field that fixes it. The level is ``floor(5 × passed / applicable)``: 0 (nothing in place) to 5 (every
item passes). A runbook's ``readiness.minimum_level`` is the bar ``steward assess`` gates on.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from runbooks.spec import Duty, RunbookSpec
from tasks.owner.data import OpsRecord
from tasks.owner.metrics import latest

Section = Literal["ownership", "monitoring", "infrastructure"]


class Item(BaseModel):
    key: str
    section: Section
    title: str
    passed: bool
    evidence: str
    fix: str  # the command or runbook field that closes the hole ("" when it passes)


class Assessment(BaseModel):
    system: str
    owner: str
    level: int
    minimum_level: int
    passed: int
    total: int
    items: list[Item]

    @property
    def below_minimum(self) -> bool:
        return self.level < self.minimum_level

    def holes(self) -> list[Item]:
        return [i for i in self.items if not i.passed]


def level(passed: int, total: int) -> int:
    """0-5 from the share of items passed; 5 only when all pass."""
    return math.floor(5 * passed / total) if total else 0


def _item(key: str, section: Section, title: str, passed: bool, evidence: str, fix: str) -> Item:
    return Item(key=key, section=section, title=title, passed=passed, evidence=evidence, fix="" if passed else fix)


def _playbook_present(spec: RunbookSpec, duty: Duty, runbooks_dir: Path) -> bool:
    where = spec.playbook(duty)
    return where.startswith(("http://", "https://")) or (runbooks_dir / where).is_file()


def assess(spec: RunbookSpec, ops: OpsRecord, runbooks_dir: Path, now: datetime) -> Assessment:
    """Score ``spec``'s system on the rubric; ``now`` dates 'recent' and 'young' (runs are stamped in real time)."""
    r = spec.readiness
    owner = spec.owner
    items = [_item("owner", "ownership", "An owner and a backup, named and reachable in Slack", True,
                   f"owner {owner.name} ({owner.slack_user_id}), backup {owner.backup.name} "
                   f"({owner.backup.slack_user_id})", "owner.slack_user_id, owner.backup")]
    for duty in (d for d in Duty if d is not Duty.refresh):  # refresh is triggered, not scheduled: see refresh-path
        section = spec.section(duty)
        if section is None or not section.enabled:
            items.append(_item(f"duty:{duty.value}", "monitoring", f"The {duty.value} duty is on", False,
                               f"the runbook has no enabled '{duty.value}' section",
                               f"add a '{duty.value}:' section to runbooks/systems/{spec.system}.yaml"))
            continue
        ok = [x for x in ops.results if x.duty == duty.value and x.status not in ("failed",)]
        newest = max((x.updated_at for x in ok), default=None)
        recent = newest is not None and now - newest <= timedelta(days=r.recent_run_days)
        items.append(_item(f"duty:{duty.value}", "monitoring", f"The {duty.value} duty ran successfully recently",
                           recent, f"last successful run {newest:%Y-%m-%d %H:%M} UTC" if newest
                           else "no successful run in the ops store",
                           f"steward serve (runs it on its schedule), or steward run {duty.value} {spec.system}"))
    if spec.drift is not None:
        base = ops.baselines[-1] if ops.baselines else None
        young = base is not None and now - base["created_at"] <= timedelta(days=r.baseline_max_age_days)
        items.append(_item("baseline", "monitoring", f"A drift baseline younger than {r.baseline_max_age_days} days",
                           young, f"baseline v{base['version']} of {base['window']}, stored {base['created_at']:%Y-%m-%d}"
                           if base else f"no stored baseline: the log's first {spec.drift.reference_days} days stand in",
                           f"steward baseline {spec.system} --from YYYY-MM-DD --to YYYY-MM-DD"))
    out = spec.outcomes
    items.append(_item("sla", "monitoring", "An SLA with business metrics",
                       bool(out and out.sla and out.business_metrics),
                       f"{len(out.sla)} SLA rule(s), business metrics: "
                       f"{', '.join(b.name for b in out.business_metrics) or 'none'}" if out else "no outcomes section",
                       "outcomes.sla and outcomes.business_metrics"))
    if out is not None:
        judged = latest(ops.results, "outcomes")
        share = judged.metrics.get("label_coverage") if judged else None
        items.append(_item("labels", "monitoring", f"Label coverage at least {out.min_label_coverage:.0%}",
                           share is not None and share >= out.min_label_coverage,
                           f"{share:.1%} of decisions labelled in {judged.metrics.get('evaluation')}"
                           if judged and share is not None else "no judged outcome review",
                           "source.outcomes (the outcome feed), outcomes.min_label_coverage"))
    items.append(_item("golden", "infrastructure", "A golden set to judge every version on the same cases",
                       ops.golden_examples > 0, f"{ops.golden_examples:,} golden example(s)",
                       "refresh.golden_size (kept by the first refresh: steward run refresh "
                       f"{spec.system})"))
    decided = [a for a in ops.approvals if a.state in ("approved", "rejected")]
    items.append(_item("refresh-path", "infrastructure", "A refresh path exercised (a decided approval exists)",
                       spec.refresh is not None and bool(decided),
                       (f"{len(decided)} decided approval(s), last by {decided[-1].decided_by}" if decided
                        else "no approval has been decided") if spec.refresh else "the runbook has no refresh section",
                       f"add a 'refresh:' section (trainer, gate) to runbooks/systems/{spec.system}.yaml"
                       if spec.refresh is None else f"steward run refresh {spec.system}, and the owner decides"))
    comp = spec.compliance
    items.append(_item("retention", "infrastructure", "A retention policy and sealed logs",
                       bool(comp and comp.retention_days) and ops.sealed_days > 0,
                       f"retention {comp.retention_days} days, {ops.sealed_days} day(s) sealed" if comp and
                       comp.retention_days else "no compliance.retention_days",
                       "compliance.retention_days, then steward run compliance " + spec.system))
    items.append(_item("budget", "infrastructure", "A cost budget",
                       bool(spec.cost and spec.cost.monthly_budget),
                       f"monthly budget {spec.cost.monthly_budget:,.0f} {spec.cost.currency}"
                       if spec.cost and spec.cost.monthly_budget else "no cost.monthly_budget", "cost.monthly_budget"))
    missing = [d.value for d in spec.duties() if not _playbook_present(spec, d, runbooks_dir)]
    items.append(_item("playbooks", "ownership", "A playbook for every enabled duty", not missing,
                       f"missing: {', '.join(missing)}" if missing else
                       f"{len(spec.duties())} playbook(s) found under {runbooks_dir.name}/",
                       "<duty>.playbook, or add runbooks/playbooks/<duty>.md"))
    target = timedelta(hours=r.ack_target_hours)
    paged = [a for a in ops.alerts if a.severity != "info"]
    late = [a for a in paged if a.acknowledged_at is None or a.acknowledged_at - a.first_seen > target]
    items.append(_item("acknowledged", "ownership", f"Alerts acknowledged within {r.ack_target_hours:g} h",
                       not late, f"{len(paged) - len(late)} of {len(paged)} alert(s) acknowledged in time",
                       "acknowledge alerts in Slack (or readiness.ack_target_hours)"))
    passed = sum(i.passed for i in items)
    return Assessment(system=spec.system, owner=owner.name, level=level(passed, len(items)),
                      minimum_level=r.minimum_level, passed=passed, total=len(items), items=items)

"""The change review's gate: per route and overall, quality no worse than the runbook's tolerance (a paired
bootstrap decides whether a drop is real), safety never worse; cost and latency per month at today's volume."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel

from runbooks.spec import EvaluationSection
from tasks.change.metrics import OVERALL, GroupResult, group
from tasks.change.scorers import AnswerScore
from tasks.core.money import money
from tasks.metrics.bootstrap import SURE, share_worse

BETTER, CHEAPER, SAME, WORSE, BLOCKED = "better", "cheaper", "no worse", "worse", "blocked"


class ChangeVerdict(BaseModel):
    passed: bool
    label: str  # better | cheaper | no worse | worse (quality) | blocked (safety)
    reasons: list[str]
    excused: list[str] = []  # drops beyond tolerance that sampling noise explains
    losses: list[str] = []  # measured drops within tolerance: shown to the owner, not blocking
    gains: list[str] = []
    groups: list[GroupResult]

    @property
    def overall(self) -> GroupResult:
        return next(g for g in self.groups if g.name == OVERALL)


def judge_change(section: EvaluationSection, examples: list[dict[str, Any]], champion: list[AnswerScore],
                 candidate: list[AnswerScore], monthly_calls: dict[str, float], currency: str = "USD") -> ChangeVerdict:
    """Champion and candidate scores (paired with ``examples``, in order) against the runbook's gate."""
    routes = sorted({e["route"] for e in examples})
    index = {r: [i for i, e in enumerate(examples) if e["route"] == r] for r in routes}
    index[OVERALL] = list(range(len(examples)))
    reasons, excused, losses, gains, groups = [], [], [], [], []
    for name in [*routes, OVERALL]:
        rows = index[name]
        calls = sum(monthly_calls.values()) if name == OVERALL else monthly_calls.get(name, 0.0)
        result = group(name, [examples[i] for i in rows], [champion[i] for i in rows], [candidate[i] for i in rows],
                       calls)
        before = np.array([champion[i].quality for i in rows])
        after = np.array([candidate[i].quality for i in rows])
        result.share_worse = share_worse(before, after, section.tolerance, resamples=section.resamples)
        groups.append(result)
        if result.candidate.unsafe > result.champion.unsafe:
            reasons.append(f"{name}: {result.candidate.unsafe} unsafe answer(s) (personal data or a failed safety "
                           f"check) against the champion's {result.champion.unsafe}")
        drop = -result.quality_change
        text = f"{name}: quality {result.champion.quality:.3f} → {result.candidate.quality:.3f} ({-drop:+.3f})"
        gated = name == OVERALL or len(rows) >= section.min_route_examples
        if drop > section.tolerance and gated:
            (reasons if result.share_worse >= SURE else excused).append(f"{text}, beyond the tolerance "
                                                                       f"{section.tolerance:.3f}")
        elif drop > 0.005:
            losses.append(f"{text}, within the tolerance {section.tolerance:.3f}")
        elif drop < -0.005:
            gains.append(text)
    overall = next(g for g in groups if g.name == OVERALL)
    saving = overall.monthly_cost_change
    if any("unsafe" in r for r in reasons):
        label = BLOCKED
    elif reasons:
        label = WORSE
    elif overall.quality_change > 0.005 or (gains and not losses):
        label = BETTER
    elif saving is not None and saving < 0:
        label = CHEAPER
    else:
        label = SAME
    if saving is not None and label == CHEAPER:
        gains.append(f"cost {money(saving, currency)} per month at the current volume")
    return ChangeVerdict(passed=not reasons, label=label, reasons=reasons, excused=excused, losses=losses,
                         gains=gains, groups=groups)

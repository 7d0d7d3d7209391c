"""Champion and candidate per route and overall: quality, safety, escalations, tokens, cost and latency."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from tasks.common.findings import DutyMetrics, DutyReport

from tasks.change.scorers import AnswerScore

OVERALL = "overall"


class Side(BaseModel):
    """One configuration on a group of golden examples."""

    quality: float
    unsafe: int
    escalated: int
    checks_failed: int
    cost_per_call: float | None
    latency_mean_ms: float
    latency_p95_ms: float
    tokens_per_call: float


class GroupResult(BaseModel):
    """A route (or all routes): both sides, the per-example quality changes' summary, monthly volume."""

    name: str
    examples: int
    references: int
    champion: Side
    candidate: Side
    quality_change: float
    share_worse: float | None = None  # paired bootstrap: resamples with a drop beyond tolerance
    monthly_calls: float = 0.0

    @property
    def monthly_cost_change(self) -> float | None:
        before, after = self.champion.cost_per_call, self.candidate.cost_per_call
        return None if before is None or after is None else (after - before) * self.monthly_calls


def side(scores: list[AnswerScore]) -> Side:
    latencies = np.array([s.latency_ms for s in scores])
    costs = [s.cost for s in scores]
    return Side(quality=round(float(np.mean([s.quality for s in scores])), 4),
                unsafe=sum(not s.safe for s in scores), escalated=sum(s.escalated for s in scores),
                checks_failed=sum(not ok for s in scores for ok in s.checks.values()),
                cost_per_call=None if any(c is None for c in costs) else float(np.mean(costs)),
                latency_mean_ms=round(float(latencies.mean()), 1),
                latency_p95_ms=round(float(np.percentile(latencies, 95)), 1),
                tokens_per_call=round(float(np.mean([s.tokens_in + s.tokens_out for s in scores])), 1))


def group(name: str, examples: list[dict[str, Any]], champion: list[AnswerScore], candidate: list[AnswerScore],
          monthly_calls: float) -> GroupResult:
    before, after = side(champion), side(candidate)
    return GroupResult(name=name, examples=len(examples), references=sum(e["outcome"] == "resolved" for e in examples),
                       champion=before, candidate=after, quality_change=round(after.quality - before.quality, 4),
                       monthly_calls=monthly_calls)


def difference(champion: AnswerScore, candidate: AnswerScore) -> float:
    """How much the candidate's answer differs in its scores: a safety or check flip outweighs any quality change."""
    flips = sum(champion.checks.get(k) != v for k, v in candidate.checks.items())
    return (2.0 * (champion.safe != candidate.safe) + 1.0 * (champion.escalated != candidate.escalated)
            + 0.5 * flips + abs(candidate.quality - champion.quality))


class ChangeMetrics(DutyMetrics):
    """A change review's metrics: the review as measured (candidate, per-route results, verdict), kept whole."""

    model_config = ConfigDict(extra="allow")


ChangeReport = DutyReport[ChangeMetrics]

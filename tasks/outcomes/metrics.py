"""What an outcome review measured: the span, its maturity, the total and every slice, and the SLA judgements."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

from tasks.common.findings import DutyMetrics, DutyReport
from tasks.outcomes.segments import Segment


class Judgement(BaseModel):
    metric: str
    segment: str
    bound: Literal["min", "max"]
    limit: float
    value: float | None
    low: float | None = None
    high: float | None = None
    verdict: Literal["met", "breached", "insufficient data"]


class OutcomeReference(BaseModel):
    """The mature labelled days before the span, the baseline every change is measured from."""

    window: str
    total: Segment


class OutcomeMetrics(DutyMetrics):
    """The maturity fields are the plan's ``Maturity``, flat; ``estimate_error`` is set once a mature window
    meets the estimate stored for it (estimated − realised)."""

    kind: str = ""
    currency: str = ""
    evaluation: str = ""
    days: float = 0.0
    mature: bool = False
    mature_on: date | None = None
    outcomes_until: str | None = None
    label_coverage: float | None = None
    total: Segment | None = None
    slices: list[Segment] = []
    reference: OutcomeReference | None = None
    judgements: list[Judgement] = []
    breached: bool = False
    streak: int = 0
    estimate_error: dict[str, float] | None = None

    def breaches(self) -> list[Judgement]:
        return [j for j in self.judgements if j.verdict == "breached"]

    def segments(self) -> list[Segment]:
        """The total first, then every slice."""
        return [*filter(None, [self.total]), *self.slices]


OutcomeReport = DutyReport[OutcomeMetrics]

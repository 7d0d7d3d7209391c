"""What every duty run produces: findings and a report, the JSON output of ``steward run``.

Plain pydantic models with no Prefect import, so pure verdict code and the CLI stay fast to load.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from runbooks.spec import Duty
from tasks.core.status import CheckStatus
from tasks.core.windows import Coverage, Window

Severity = Literal["critical", "warning", "info"]


class Finding(BaseModel):
    """One thing the owner should know. ``key`` identifies the incident across nights."""

    key: str
    severity: Severity
    title: str
    detail: str = ""
    evidence: dict[str, Any] = {}


class AlertRef(BaseModel):
    id: int
    key: str
    state: str
    new: bool
    delivery: str


class DutyMetrics(BaseModel):
    """What a duty measured: each duty's model (``DriftMetrics``, ``OutcomeMetrics``, ...) subclasses this.

    A verdict fills only the fields it reached (an insufficient-data drift report names its reference and no
    columns), so the JSON holds the fields that were set and no others: ``{}`` for a window not judged, and
    exactly the keys an older version stored. Fields read back from stored results default, so old rows load.
    """

    @model_serializer(mode="wrap")
    def _measured_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {k: v for k, v in handler(self).items() if k in self.model_fields_set}


M = TypeVar("M", bound=DutyMetrics)


class DutyReport(BaseModel, Generic[M]):
    """The JSON output of every duty run (``steward run ... --format json``).

    Generic in its metrics so readers get attributes (``DutyReport[DriftMetrics]``, aliased ``DriftReport``
    in the duty's package) while this module, below the duties, knows only the base.
    """

    system: str
    duty: Duty
    window_start: datetime
    window_end: datetime
    status: CheckStatus
    headline: str
    findings: list[Finding] = []
    metrics: M = Field(default_factory=DutyMetrics)  # type: ignore[assignment]
    coverage: str | None = None  # ``first..last`` of the days judged when the log covers only part of the window
    # False when the window held too little data to judge its substance (volume aside); in-process only, so the
    # JSON output keeps its shape
    judged: bool = Field(default=True, exclude=True)
    report_path: str | None = None
    flow_run_id: str | None = None
    alerts: list[AlertRef] = Field(default_factory=list)

    @property
    def window(self) -> Window:
        return Window(start=self.window_start, end=self.window_end)

    def without_data(self) -> bool:
        """A window inside the log's life with no rows, or too few to judge: it may add a note to a live
        incident, never replace its findings. (A window not judged at all, e.g. today, says nothing.)"""
        return not self.judged or self.status == CheckStatus.no_data

    def needs_attention(self) -> bool:
        return self.status in (CheckStatus.attention, CheckStatus.failed, CheckStatus.no_data)

    def covering(self, coverage: Coverage) -> DutyReport[M]:
        """This report, saying which days it was judged on when the log covers only some of them."""
        if not coverage.partial:
            return self
        return self.model_copy(update={"coverage": coverage.label(), "headline": f"{self.headline} — {coverage.note()}"})


def not_judged(system: str, duty: Duty, window: Window, reason: str | None,
               metrics: M | None = None) -> DutyReport[M]:
    """A window the log cannot speak for (before its first row, in the future, today): skipped, with the reason.

    No finding, so no alert: a day that has not happened (or predates the system) is no incident. ``metrics``
    (the duty's model, nothing set: ``{}`` in the JSON) lets the duty's readers use attributes on every report.
    """
    return DutyReport(system=system, duty=duty, window_start=window.start, window_end=window.end,
                      status=CheckStatus.skipped, headline=f"Not judged: {reason}",
                      metrics=metrics if metrics is not None else DutyMetrics())


def cap_findings(findings: list[Finding], limit: int = 20) -> list[Finding]:
    """The first ``limit`` findings (already sorted by impact) and one info finding summarising the rest.

    Keeps a report readable, an ops-store row small and a Slack message bounded however many routes,
    categories or columns a log brings. The summary's key is the dropped keys' common ``:``-separated prefix
    (or ``more``) followed by ``:more``, so the same overflow is the same incident across nights.
    """
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    if len(findings) <= limit:
        return list(findings)
    kept, dropped = findings[:limit], findings[limit:]
    parts = [f.key.split(":") for f in dropped]
    prefix: list[str] = []
    for segments in zip(*parts, strict=False):
        if len(set(segments)) != 1:
            break
        prefix.append(segments[0])
    if prefix and all(len(p) == len(prefix) for p in parts):  # every key identical: keep its kind only
        prefix = prefix[:-1]
    by_severity = {s: n for s in ("critical", "warning", "info") if (n := sum(f.severity == s for f in dropped))}
    counts = ", ".join(f"{n} {s}" for s, n in by_severity.items())
    summary = Finding(
        key=f"{':'.join(prefix) or 'more'}:more",
        severity="info",
        title=f"{len(dropped)} more finding{'s' if len(dropped) != 1 else ''} not listed ({counts})",
        detail=f"Only the first {limit} findings by impact are listed; the rest are summarised here.",
        evidence={"count": len(dropped), "by_severity": by_severity},
    )
    return [*kept, summary]

"""What every duty run produces: findings and a report, the JSON output of ``steward run``.

Plain pydantic models with no Prefect import, so pure verdict code and the CLI stay fast to load.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from runbooks.spec import Duty
from tasks.store.models import CheckStatus
from tasks.windows import Window

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


class DutyReport(BaseModel):
    """The JSON output of every duty run (``steward run ... --format json``)."""

    system: str
    duty: Duty
    window_start: datetime
    window_end: datetime
    status: CheckStatus
    headline: str
    findings: list[Finding] = []
    metrics: dict[str, Any] = {}
    coverage: str | None = None  # ``first..last`` of the days judged when the log covers only part of the window
    report_path: str | None = None
    flow_run_id: str | None = None
    alerts: list[AlertRef] = Field(default_factory=list)

    @property
    def window(self) -> Window:
        return Window(start=self.window_start, end=self.window_end)

    def needs_attention(self) -> bool:
        return self.status in (CheckStatus.attention, CheckStatus.failed, CheckStatus.no_data)

"""What a compliance audit measured: its scope, every check's answer and the seals it recomputed."""

from __future__ import annotations

from pydantic import BaseModel

from tasks.common.findings import DutyMetrics, DutyReport
from tasks.compliance.checks import Check
from tasks.compliance.seals import SealCheck


class AuditScope(BaseModel):
    """What the evidence pack says was audited."""

    system: str
    owner: str
    log: str | None
    window: str
    days_audited: str
    rows: int
    text_fields: str
    regulation: str
    flow_run_id: str


class ComplianceMetrics(DutyMetrics):
    scope: AuditScope | None = None
    checks: list[Check] = []
    seals: list[SealCheck] = []


ComplianceReport = DutyReport[ComplianceMetrics]

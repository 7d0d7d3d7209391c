"""What the owner's pages read from the ops store, as plain records: no ORM object leaves this module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasks.store.models import (
    Alert,
    AliasChange,
    ApprovalRequest,
    CheckResult,
    GoldenExample,
    LogSeal,
    ModelVersion,
    ReferenceProfile,
    RefreshRequest,
)


class Result(BaseModel):
    duty: str
    window_start: datetime
    window_end: datetime
    status: str
    headline: str
    metrics: dict[str, Any] = {}
    findings: list[dict[str, Any]] = []
    report_path: str | None = None
    created_at: datetime
    updated_at: datetime


class AlertRecord(BaseModel):
    id: int
    duty: str
    key: str
    state: str
    severity: str
    title: str
    window_end: datetime | None  # the judged window that raised it, when the duty says
    first_seen: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


class ApprovalRecord(BaseModel):
    id: str
    action: str
    state: str
    requested_at: datetime
    decided_at: datetime | None
    decided_by: str | None


class RefreshRecord(BaseModel):
    id: int
    window_end: datetime
    action: str
    flow_run_id: str | None
    requested_at: datetime


class AliasRecord(BaseModel):
    alias: str
    version: int
    previous_version: int | None
    changed_at: datetime
    actor: str
    approval_id: str | None


class OpsRecord(BaseModel):
    """Everything the ops store holds about one system that the owner's pages use."""

    system: str
    results: list[Result]
    alerts: list[AlertRecord]
    approvals: list[ApprovalRecord]
    refreshes: list[RefreshRecord]
    aliases: list[AliasRecord]
    versions: list[dict[str, Any]]
    baselines: list[dict[str, Any]]
    golden_examples: int
    sealed_days: int


def _window_end(details: dict[str, Any]) -> datetime | None:
    value = details.get("window_end")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def read_ops(session: Session, system: str) -> OpsRecord:
    """One system's results, alerts, approvals, refreshes, registry and baselines, oldest first."""
    results = [Result(duty=r.duty, window_start=r.window_start, window_end=r.window_end, status=r.status,
                      headline=r.headline, metrics=(r.findings or {}).get("metrics") or {},
                      findings=(r.findings or {}).get("findings") or [], report_path=r.report_path,
                      created_at=r.created_at, updated_at=r.updated_at)
               for r in session.scalars(select(CheckResult).where(CheckResult.system == system)
                                        .order_by(CheckResult.window_end, CheckResult.duty))]
    alerts = [AlertRecord(id=a.id, duty=a.duty, key=a.key, state=a.state, severity=a.severity, title=a.title,
                          window_end=_window_end(a.details or {}), first_seen=a.first_seen,
                          acknowledged_at=a.acknowledged_at, resolved_at=a.resolved_at)
              for a in session.scalars(select(Alert).where(Alert.system == system).order_by(Alert.first_seen))]
    approvals = [ApprovalRecord(id=a.id, action=a.action, state=a.state, requested_at=a.requested_at,
                                decided_at=a.decided_at, decided_by=a.decided_by)
                 for a in session.scalars(select(ApprovalRequest).where(ApprovalRequest.system == system)
                                          .order_by(ApprovalRequest.requested_at))]
    refreshes = [RefreshRecord(id=r.id, window_end=r.window_end, action=r.action, flow_run_id=r.flow_run_id,
                               requested_at=r.requested_at)
                 for r in session.scalars(select(RefreshRequest).where(RefreshRequest.system == system)
                                          .order_by(RefreshRequest.requested_at))]
    aliases = [AliasRecord(alias=c.alias, version=c.version, previous_version=c.previous_version,
                           changed_at=c.changed_at, actor=c.actor, approval_id=c.approval_id)
               for c in session.scalars(select(AliasChange).where(AliasChange.system == system)
                                        .order_by(AliasChange.id))]
    versions = [{"version": v.version, "created_at": v.created_at, "artifact_uri": v.artifact_uri}
                for v in session.scalars(select(ModelVersion).where(ModelVersion.system == system)
                                         .order_by(ModelVersion.version))]
    baselines = [{"version": b.version, "created_at": b.created_at, "created_by": b.created_by,
                  "window": f"{b.window_start:%Y-%m-%d}..{b.window_end:%Y-%m-%d}"}
                 for b in session.scalars(select(ReferenceProfile).where(ReferenceProfile.system == system)
                                          .order_by(ReferenceProfile.version))]
    golden = session.scalar(select(func.count()).select_from(GoldenExample).where(GoldenExample.system == system))
    sealed = session.scalar(select(func.count()).select_from(LogSeal).where(LogSeal.system == system,
                                                                             LogSeal.log != "audit"))
    return OpsRecord(system=system, results=results, alerts=alerts, approvals=approvals, refreshes=refreshes,
                     aliases=aliases, versions=versions, baselines=baselines, golden_examples=golden or 0,
                     sealed_days=sealed or 0)

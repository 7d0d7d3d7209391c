"""Refresh requests: one per sustained breach, whether it started a deployment or stayed a recommendation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.store.audit import append_audit
from tasks.store.models import RefreshRequest


def request_since(session: Session, system: str, since: datetime) -> RefreshRequest | None:
    """The request already made for this breach (a window ending on or after ``since``), if any."""
    return session.scalars(
        select(RefreshRequest)
        .where(RefreshRequest.system == system, RefreshRequest.window_end >= since)
        .order_by(RefreshRequest.window_end)
        .limit(1)
    ).first()


def record_request(
    session: Session,
    *,
    system: str,
    duty: str,
    window_start: datetime,
    window_end: datetime,
    action: str,
    reason: str,
    breaches: list[Any],
    deployment: str | None = None,
    flow_run_id: str | None = None,
) -> RefreshRequest:
    """Store the request and append it to the audit trail in the same transaction."""
    request = RefreshRequest(system=system, duty=duty, window_start=window_start, window_end=window_end,
                             action=action, reason=reason, breaches=breaches, deployment=deployment,
                             flow_run_id=flow_run_id)
    session.add(request)
    session.flush()
    append_audit(session, actor=f"steward {duty}", action=f"refresh-{action.replace('_', '-')}", system=system,
                 details={"request": request.id, "window_end": window_end.isoformat(), "reason": reason,
                          "deployment": deployment, "flow_run_id": flow_run_id})
    return request

"""Approval requests: recorded before anyone is asked, decided once, by an authorised person."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from tasks.core.status import ApprovalState
from tasks.store.audit import append_audit
from tasks.store.models import ApprovalRequest, utcnow


class NotAuthorised(PermissionError):
    pass


def request_approval(
    session: Session,
    *,
    system: str,
    action: str,
    summary: str,
    approvers: list[str],
    payload: dict[str, Any] | None = None,
    flow_run_id: str | None = None,
    timeout: timedelta | None = None,
    slack_channel: str | None = None,
) -> ApprovalRequest:
    request = ApprovalRequest(
        id=str(uuid.uuid4()),
        system=system,
        action=action,
        summary=summary,
        approvers=approvers,
        payload=payload or {},
        flow_run_id=flow_run_id,
        expires_at=utcnow() + timeout if timeout else None,
        slack_channel=slack_channel,  # where to post it; the posted message's channel replaces it
    )
    session.add(request)
    append_audit(session, actor="steward", action=f"approval.requested.{action}", system=system,
                 details={"approval_id": request.id, "summary": summary})
    session.flush()
    return request


def decide(session: Session, request_id: str, *, approved: bool, by: str, reason: str | None = None,
           now: datetime | None = None) -> bool:
    """Record the first decision made before the deadline; False when already decided or too late.

    The guarded UPDATE makes a double click, two approvers at once, or a click racing the expiry harmless:
    the deadline is checked by the same statement that records the decision, whether or not a sweep has
    expired the request yet.
    """
    request = session.get(ApprovalRequest, request_id)
    if request is None:
        raise LookupError(f"no approval request {request_id!r}")
    if by not in request.approvers:
        raise NotAuthorised(f"{by} may not decide approvals for {request.system}")
    now = now or utcnow()
    state = ApprovalState.approved if approved else ApprovalState.rejected
    changed = session.execute(
        update(ApprovalRequest)
        .where(ApprovalRequest.id == request_id, ApprovalRequest.state == ApprovalState.pending,
               or_(ApprovalRequest.expires_at.is_(None), ApprovalRequest.expires_at > now))
        .values(state=state, decided_by=by, decided_at=now, reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        append_audit(session, actor=by, action=f"approval.{state.value}", system=request.system,
                     details={"approval_id": request_id, "action": request.action, "reason": reason})
    session.expire(request)
    return bool(changed)


def overdue(request: ApprovalRequest, now: datetime | None = None) -> bool:
    """Pending past its deadline: only expiry may happen to it now."""
    return (request.state == ApprovalState.pending and request.expires_at is not None
            and request.expires_at <= (now or utcnow()))


def expire(session: Session, request_id: str, *, reason: str = "no decision in time",
           now: datetime | None = None) -> bool:
    """Mark a still-pending request expired (the safe default: nothing changes); False if already decided."""
    request = session.get_one(ApprovalRequest, request_id)
    changed = session.execute(
        update(ApprovalRequest)
        .where(ApprovalRequest.id == request_id, ApprovalRequest.state == ApprovalState.pending)
        .values(state=ApprovalState.expired, decided_at=now or utcnow(), decided_by="steward", reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        append_audit(session, actor="steward", action="approval.expired", system=request.system,
                     details={"approval_id": request_id, "action": request.action})
    session.expire(request)
    return bool(changed)


def claim_reminder(session: Session, request_id: str) -> bool:
    """True once per pending request: whoever claims it sends the half-time reminder."""
    return bool(session.execute(
        update(ApprovalRequest)
        .where(ApprovalRequest.id == request_id, ApprovalRequest.state == ApprovalState.pending,
               ApprovalRequest.reminded_at.is_(None))
        .values(reminded_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount)


def pending_requests(session: Session) -> list[ApprovalRequest]:
    return list(session.scalars(select(ApprovalRequest).where(ApprovalRequest.state == ApprovalState.pending)
                                .order_by(ApprovalRequest.requested_at)))


def unannounced_requests(session: Session) -> list[ApprovalRequest]:
    """Decided requests whose posted Slack message does not show the outcome yet (its update failed)."""
    return list(session.scalars(select(ApprovalRequest).where(
        ApprovalRequest.state != ApprovalState.pending, ApprovalRequest.slack_ts.is_not(None),
        ApprovalRequest.announced_at.is_(None)).order_by(ApprovalRequest.decided_at)))

"""Retention purge: find the expired rows, ask the owner, delete exactly those rows once approved.

Nothing is deleted without an approved ``purge`` request for this system whose
recorded hash of the expired request ids still matches the log: rows that
appeared, changed or went since the owner looked make the request stale. The
audit entry (count and ids hash) is written in the same ops-store transaction,
and the delete commits inside it: a failed delete leaves no entry behind.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from pydantic import BaseModel
from sqlalchemy import Connection, Table, delete, select, update
from sqlalchemy.orm import Session

from runbooks.spec import RunbookSpec
from tasks.approvals.workflow import message_payload
from tasks.core.errors import StewardError
from tasks.core.status import ApprovalState
from tasks.io.sources import column_time, sql_log
from tasks.slack.notifier import destination
from tasks.store.approvals import request_approval
from tasks.store.audit import append_audit
from tasks.store.models import ApprovalRequest, LogSeal, utcnow

ACTION = "purge"
APPROVAL_TIMEOUT = timedelta(days=7)


class PurgeRefused(StewardError):
    """The purge may not run (no approval, wrong system, stale ids, ...); nothing was deleted."""


class PurgePlan(BaseModel):
    """What the owner approves: every row before ``cutoff``, pinned by the hash of their ids."""

    system: str
    table: str
    cutoff: datetime
    rows: int
    ids_hash: str


def ids_hash(ids: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(map(str, ids))).encode()).hexdigest()


def retention_cutoff(spec: RunbookSpec, now: datetime | None = None) -> datetime:
    """Midnight UTC ``retention_days`` ago: purges take whole days, so each day's seal stays whole or goes."""
    if not (spec.compliance and spec.compliance.retention_days):
        raise PurgeRefused(f"{spec.system}'s runbook sets no compliance.retention_days: nothing expires")
    day = (now or utcnow()).astimezone(UTC).date() - timedelta(days=spec.compliance.retention_days)
    return datetime.combine(day, time(), UTC)


def expired_ids(connection: Connection, log: Table, spec: RunbookSpec, cutoff: datetime) -> list[str]:
    """Request ids of the rows older than ``cutoff``."""
    cols = spec.source.columns
    ts = log.c[cols.timestamp]
    query = select(log.c[cols.request_id]).where(ts < column_time(connection.engine, ts, cutoff))
    return [str(v) for v in connection.execute(query).scalars()]


def plan_purge(spec: RunbookSpec, now: datetime | None = None) -> PurgePlan:
    engine, log = sql_log(spec.source)
    cutoff = retention_cutoff(spec, now)
    with engine.connect() as connection:
        ids = expired_ids(connection, log, spec, cutoff)
    return PurgePlan(system=spec.system, table=log.name, cutoff=cutoff, rows=len(ids), ids_hash=ids_hash(ids))


def request_purge(session: Session, spec: RunbookSpec, plan: PurgePlan) -> ApprovalRequest:
    """Record the request for the owner (and backup) to decide; deletes nothing."""
    summary = (f"Delete {plan.rows:,} rows of {plan.table} logged before {plan.cutoff:%Y-%m-%d} "
               f"(retention {spec.compliance.retention_days if spec.compliance else '?'} days)")
    text = f"Retention purge for {spec.system}: {summary}?"
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f":wastebasket: *{text}*\nThe rows are pinned "
               f"by the hash of their ids (`{plan.ids_hash[:12]}…`): rows that change before execution void the approval."}}]
    return request_approval(
        session, system=spec.system, action=ACTION, summary=summary,
        approvers=[spec.owner.slack_user_id, spec.owner.backup.slack_user_id],
        payload={**plan.model_dump(mode="json"), **message_payload(text, blocks)}, timeout=APPROVAL_TIMEOUT,
        slack_channel=destination(spec.owner),
    )


def _approved_plan(session: Session, spec: RunbookSpec, approval_id: str) -> tuple[ApprovalRequest, PurgePlan]:
    request = session.get(ApprovalRequest, approval_id)
    if request is None:
        raise PurgeRefused(f"no approval request {approval_id!r}; nothing deleted")
    if request.system != spec.system or request.action != ACTION:
        raise PurgeRefused(f"approval {approval_id} is for {request.action} on {request.system}, not a purge of "
                           f"{spec.system}; nothing deleted")
    if request.state != ApprovalState.approved:
        raise PurgeRefused(f"approval {approval_id} is {request.state}, not approved; nothing deleted")
    if request.expires_at and request.decided_at and request.decided_at > request.expires_at:
        raise PurgeRefused(f"approval {approval_id} was decided after it expired; nothing deleted")
    return request, PurgePlan.model_validate(request.payload)


def execute_purge(session: Session, spec: RunbookSpec, approval_id: str) -> PurgePlan:
    """Delete the approved rows and record it in the audit trail; ``PurgeRefused`` deletes nothing."""
    request, plan = _approved_plan(session, spec, approval_id)
    engine, log = sql_log(spec.source)
    append_audit(session, actor=request.decided_by or "owner", action="purge.executed", system=spec.system,
                 details={"approval_id": request.id, "table": plan.table, "cutoff": plan.cutoff.isoformat(),
                          "count": plan.rows, "ids_hash": plan.ids_hash})
    session.execute(update(LogSeal).where(LogSeal.system == spec.system, LogSeal.log == "decisions",
                                          LogSeal.day < plan.cutoff.date()).values(purged_by=request.id))
    same_database = engine.url == session.get_bind().url
    if same_database:  # one transaction for the delete and its audit entry
        _delete(session.connection(), log, spec, plan, approval_id)
    else:  # the log commits first, inside the store's transaction: a failed delete rolls the entry back
        with engine.begin() as connection:
            _delete(connection, log, spec, plan, approval_id)
    return plan


def _delete(connection: Connection, log: Table, spec: RunbookSpec, plan: PurgePlan, approval_id: str) -> None:
    ids = expired_ids(connection, log, spec, plan.cutoff)
    if ids_hash(ids) != plan.ids_hash:
        raise PurgeRefused(f"approval {approval_id} is stale: the rows before {plan.cutoff:%Y-%m-%d} changed since it "
                           f"was requested ({len(ids):,} now, {plan.rows:,} approved); nothing deleted; request again")
    ts = log.c[spec.source.columns.timestamp]
    deleted = connection.execute(delete(log).where(ts < column_time(connection.engine, ts, plan.cutoff))).rowcount
    if deleted != plan.rows:
        raise PurgeRefused(f"the delete matched {deleted} rows, not the {plan.rows} approved; rolled back")

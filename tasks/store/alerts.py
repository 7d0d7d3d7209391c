"""Alert lifecycle: open -> acknowledged -> resolved, one row per incident, with its timeline.

A repeat finding updates the open alert (and its Slack message) instead of
paging the owner again; a clean run resolves the duty's open alerts. Every
step (opened, updated, noted, escalated, acknowledged, snoozed, resolved) is an
``AlertEvent`` and an audit entry, written in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.core.errors import StewardError
from tasks.core.status import AlertState, Delivery
from tasks.store.audit import append_audit
from tasks.store.models import Alert, AlertEvent, utcnow

ACTIVE = (AlertState.open, AlertState.acknowledged)
STEWARD = "steward"
EventKind = Literal["opened", "updated", "noted", "escalated", "acknowledged", "snoozed", "resolved"]


class UnknownAlert(StewardError):
    """No alert has that id."""


def record_event(session: Session, alert: Alert, kind: EventKind, actor: str = STEWARD, note: str | None = None,
                 now: datetime | None = None) -> AlertEvent:
    """One step of the alert's timeline, and its audit entry, in the caller's transaction."""
    event = AlertEvent(alert_id=alert.id, at=now or utcnow(), kind=kind, actor=actor, note=note)
    session.add(event)
    append_audit(session, actor=actor, action=f"alert.{kind}", system=alert.system,
                 details={"alert": alert.id, "duty": alert.duty, "key": alert.key, **({"note": note} if note else {})})
    session.flush()
    return event


def timeline(session: Session, alert_id: int) -> list[AlertEvent]:
    return list(session.scalars(select(AlertEvent).where(AlertEvent.alert_id == alert_id)
                                .order_by(AlertEvent.at, AlertEvent.id)))


def event_view(event: AlertEvent) -> dict[str, Any]:
    """One timeline step as the CLI's JSON shows it."""
    return {"at": f"{event.at:%Y-%m-%d %H:%M:%S} UTC", "event": event.kind, "by": event.actor, "note": event.note}


def _redraw(alert: Alert) -> None:
    """The Slack message must show the new state too."""
    if alert.delivery == Delivery.sent:
        alert.delivery = Delivery.pending


def open_alert(session: Session, system: str, duty: str, key: str) -> Alert | None:
    return session.scalars(
        select(Alert).where(Alert.system == system, Alert.duty == duty, Alert.key == key, Alert.state.in_(ACTIVE))
    ).first()


def raise_alert(
    session: Session,
    *,
    system: str,
    duty: str,
    key: str,
    severity: str,
    title: str,
    summary: str,
    playbook: str,
    destination: str,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> tuple[Alert, bool]:
    """Open an alert, or update the open one for the same incident. Returns (alert, is_new)."""
    now = now or utcnow()
    existing = open_alert(session, system, duty, key)
    if existing is not None:
        existing.occurrences += 1
        existing.last_seen = now
        existing.severity, existing.title, existing.summary = severity, title, summary
        existing.details = details or {}
        _redraw(existing)
        record_event(session, existing, "updated", note=title, now=now)
        return existing, False
    alert = Alert(
        system=system,
        duty=duty,
        key=key,
        severity=severity,
        title=title,
        summary=summary,
        playbook=playbook,
        destination=destination,
        details=details or {},
        first_seen=now,
        last_seen=now,
    )
    session.add(alert)
    session.flush()
    record_event(session, alert, "opened", note=title, now=now)
    return alert, True


def add_note(session: Session, alert: Alert, note: str, now: datetime | None = None) -> AlertEvent:
    """A night that could not judge the incident: said on its timeline and message, its findings kept."""
    now = now or utcnow()
    alert.last_seen = now
    alert.details = {**alert.details, "note": note}
    _redraw(alert)
    return record_event(session, alert, "noted", note=note, now=now)


def resolve_recovered(
    session: Session, system: str, duty: str, still_firing: Iterable[str], as_of: datetime | None = None
) -> list[Alert]:
    """Resolve the duty's active alerts whose key did not fire in this run.

    With ``as_of`` (the judged window's end), an alert raised for a later window
    stays open: back-filling an old, healthy night must not close a live incident.
    """
    firing = set(still_firing)
    recovered = [
        a
        for a in session.scalars(
            select(Alert).where(Alert.system == system, Alert.duty == duty, Alert.state.in_(ACTIVE))
        )
        if a.key not in firing
        and not (as_of and "window_end" in a.details and datetime.fromisoformat(a.details["window_end"]) > as_of)
    ]
    for alert in recovered:
        _resolve(session, alert, STEWARD, "recovered: the duty's next judged run found nothing", utcnow())
    session.flush()
    return recovered


def _resolve(session: Session, alert: Alert, by: str, note: str | None, now: datetime) -> None:
    alert.state, alert.resolved_at, alert.snoozed_until = AlertState.resolved, now, None
    _redraw(alert)
    record_event(session, alert, "resolved", actor=by, note=note, now=now)


def get_alert(session: Session, alert_id: int) -> Alert:
    if (alert := session.get(Alert, alert_id)) is None:
        raise UnknownAlert(f"no alert #{alert_id} (steward alerts lists the open ones)")
    return alert


def acknowledge(session: Session, alert_id: int, by: str, now: datetime | None = None) -> Alert:
    """Someone is on it: escalation stops. A no-op (no new event) for an alert already acknowledged or resolved."""
    alert = get_alert(session, alert_id)
    if alert.state == AlertState.open:
        now = now or utcnow()
        alert.state, alert.acknowledged_at, alert.acknowledged_by = AlertState.acknowledged, now, by
        _redraw(alert)
        record_event(session, alert, "acknowledged", actor=by, now=now)
    return alert


def snooze(session: Session, alert_id: int, by: str, hours: float = 24, now: datetime | None = None) -> Alert:
    """Silent until then: no escalation; the acknowledgement deadline restarts when the snooze ends."""
    alert = get_alert(session, alert_id)
    if alert.state != AlertState.resolved:
        now = now or utcnow()
        alert.snoozed_until = now + timedelta(hours=hours)
        _redraw(alert)
        record_event(session, alert, "snoozed", actor=by, note=f"until {alert.snoozed_until:%Y-%m-%d %H:%M} UTC",
                     now=now)
    return alert


def resolve(session: Session, alert_id: int, by: str, note: str | None = None, now: datetime | None = None) -> Alert:
    """Closed by a person (``steward resolve``); a no-op for one already resolved."""
    alert = get_alert(session, alert_id)
    if alert.state != AlertState.resolved:
        _resolve(session, alert, by, note, now or utcnow())
    return alert


def escalated(session: Session, alert: Alert, level: int, to: str, now: datetime | None = None,
              sent: bool = True) -> AlertEvent:
    """Record that the alert went one step up (1 the backup, 2 the owner or the escalation channel)."""
    alert.escalation_level = level
    _redraw(alert)
    told = f"told {to}" if sent else f"due to {to} (Slack not configured: not sent)"
    return record_event(session, alert, "escalated", note=f"step {level}: {told}", now=now)


class ResponseTimes(BaseModel):
    """Mean time to acknowledge and to resolve, over the alerts opened in a period (None when none applies)."""

    alerts: int
    mtta: timedelta | None
    mttr: timedelta | None


def response_times(events: Sequence[tuple[int, str, datetime]], since: datetime) -> ResponseTimes:
    """MTTA/MTTR from timelines, given as (alert id, kind, at): alerts opened at or after ``since`` count, MTTA
    over those acknowledged (first acknowledgement), MTTR over those resolved (first resolution)."""
    opened: dict[int, datetime] = {}
    acked: dict[int, datetime] = {}
    resolved: dict[int, datetime] = {}
    for alert_id, kind, at in sorted(events, key=lambda e: e[2]):
        if kind == "opened":
            opened.setdefault(alert_id, at)
        elif kind == "acknowledged":
            acked.setdefault(alert_id, at)
        elif kind == "resolved":
            resolved.setdefault(alert_id, at)
    recent = {a: t for a, t in opened.items() if t >= since}

    def mean(ends: dict[int, datetime]) -> timedelta | None:
        spans = [ends[a] - t for a, t in recent.items() if a in ends]
        return sum(spans, timedelta()) / len(spans) if spans else None

    return ResponseTimes(alerts=len(recent), mtta=mean(acked), mttr=mean(resolved))


def system_response_times(session: Session, system: str, now: datetime | None = None,
                          days: int = 30) -> ResponseTimes:
    """MTTA/MTTR of ``system``'s alerts opened in the last ``days`` days."""
    since = (now or utcnow()) - timedelta(days=days)
    rows = session.execute(select(AlertEvent.alert_id, AlertEvent.kind, AlertEvent.at).join(Alert)
                           .where(Alert.system == system, Alert.first_seen >= since))
    return response_times([(r.alert_id, r.kind, r.at) for r in rows], since)


def due_for_escalation(session: Session, now: datetime) -> list[Alert]:
    """Open (unacknowledged) alerts not snoozed past ``now``, below the last escalation step."""
    query = select(Alert).where(Alert.state == AlertState.open, Alert.escalation_level < 2).order_by(Alert.id)
    return [a for a in session.scalars(query) if a.snoozed_until is None or a.snoozed_until <= now]


def active_alerts(session: Session, system: str | None = None) -> list[Alert]:
    query = select(Alert).where(Alert.state.in_(ACTIVE)).order_by(Alert.first_seen)
    if system:
        query = query.where(Alert.system == system)
    return list(session.scalars(query))


def undelivered(session: Session, slack_configured: bool = True) -> list[Alert]:
    """Alerts whose latest state has not reached Slack yet (new, updated, or failed).

    Once Slack is configured, active alerts stored while it was not are sent too.
    """
    unsent = Alert.delivery.in_((Delivery.pending, Delivery.failed))
    if slack_configured:
        unsent |= (Alert.delivery == Delivery.not_configured) & Alert.state.in_(ACTIVE)
    return list(session.scalars(select(Alert).where(unsent).order_by(Alert.id)))

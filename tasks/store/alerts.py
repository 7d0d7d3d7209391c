"""Alert lifecycle: open -> acknowledged -> resolved, one row per incident.

A repeat finding updates the open alert (and its Slack message) instead of
paging the owner again; a clean run resolves the duty's open alerts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.core.status import AlertState, Delivery
from tasks.store.models import Alert, utcnow

ACTIVE = (AlertState.open, AlertState.acknowledged)


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
) -> tuple[Alert, bool]:
    """Open an alert, or update the open one for the same incident. Returns (alert, is_new)."""
    existing = open_alert(session, system, duty, key)
    if existing is not None:
        existing.occurrences += 1
        existing.last_seen = utcnow()
        existing.severity, existing.title, existing.summary = severity, title, summary
        existing.details = details or {}
        if existing.delivery == Delivery.sent:
            existing.delivery = Delivery.pending  # the Slack message must be updated too
        session.flush()
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
    )
    session.add(alert)
    session.flush()
    return alert, True


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
        alert.state, alert.resolved_at = AlertState.resolved, utcnow()
        if alert.delivery == Delivery.sent:
            alert.delivery = Delivery.pending
    session.flush()
    return recovered


def acknowledge(session: Session, alert_id: int, by: str) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise LookupError(f"no alert with id {alert_id}")
    if alert.state == AlertState.open:
        alert.state, alert.acknowledged_at, alert.acknowledged_by = AlertState.acknowledged, utcnow(), by
    return alert


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

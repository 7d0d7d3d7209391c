"""Escalation: an alert nobody acknowledges in time goes one step up, first to the backup, then to the owner
(or the runbook's escalation channel). Run by the approval sweep; ``now`` is injectable for tests.

The acknowledgement deadline is the runbook's ``escalation.ack_within`` for the alert's severity, counted from
when the alert opened, or from when its snooze ended: a snoozed alert is silent until then. Each step is on
the alert's timeline and in the audit trail; a step Slack could not deliver is retried at the next sweep.
"""

from __future__ import annotations

import logging
from datetime import datetime

from runbooks.loader import Catalog, load_catalog
from runbooks.spec import RunbookSpec, format_duration
from tasks.common.duty import notify_owner
from tasks.slack.notifier import SLACK_FAILURES, alert_message, slack_client, slack_config
from tasks.store.alerts import due_for_escalation, escalated
from tasks.store.database import open_store
from tasks.store.models import Alert, utcnow

log = logging.getLogger("steward.escalation")
STEPS = ("the backup", "the owner")


def next_step(alert: Alert, spec: RunbookSpec, now: datetime) -> tuple[int, str] | None:
    """(level, Slack id to tell) when the alert's next step is due at ``now``, else None."""
    within = spec.escalation.ack_within.get(alert.severity)  # type: ignore[call-overload]
    if within is None or alert.escalation_level >= len(STEPS):
        return None
    start = max(alert.first_seen, alert.snoozed_until or alert.first_seen)
    level = alert.escalation_level + 1
    if now < start + within * level:
        return None
    owner = spec.owner
    return level, owner.backup.slack_user_id if level == 1 else spec.escalation.channel or owner.slack_user_id


def escalate(now: datetime | None = None, catalog: Catalog | None = None) -> list[int]:
    """Take every due escalation step; returns the ids of the alerts escalated."""
    now = now or utcnow()
    catalog = catalog or load_catalog()
    config = slack_config()
    client = slack_client(config) if config else None
    done: dict[int, str] = {}
    store = open_store()
    with store.session() as session:
        due = [(a.id, step) for a in due_for_escalation(session, now)
               if a.system in catalog.specs and (step := next_step(a, catalog.get(a.system), now))]
    for alert_id, (level, to) in due:
        with store.session() as session:
            alert = session.get_one(Alert, alert_id)
            spec = catalog.get(alert.system)
            if client is not None:
                text, blocks = alert_message(alert, spec.owner)
                intro = (f"<@{to}> " if to.startswith(("U", "W")) else "") + (
                    f"Escalated to you ({STEPS[level - 1]} of {alert.system}): alert #{alert.id} was not "
                    f"acknowledged within {format_duration(spec.escalation.ack_within[alert.severity])}.")  # type: ignore[index]
                try:
                    client.chat_postMessage(channel=to, text=f"{intro} {text}", unfurl_links=False, blocks=[
                        {"type": "section", "text": {"type": "mrkdwn", "text": intro}}, *blocks])
                except SLACK_FAILURES as exc:
                    log.warning("alert %s: escalation to %s not delivered (%s); the next sweep retries",
                                alert_id, to, type(exc).__name__)
                    continue
            escalated(session, alert, level, to, now=now, sent=client is not None)
            done[alert_id] = alert.system
    for system in set(done.values()):
        notify_owner(store, catalog, system)  # the original message shows who it went to
    return list(done)

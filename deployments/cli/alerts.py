"""``steward alerts``, ``steward ack`` and ``steward resolve``: the alert lifecycle from a terminal.

The same store functions as the Slack buttons: every step lands on the alert's timeline and in the audit
trail, and the alert's Slack message is redrawn to show it.
"""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

import typer

from deployments.cli.app import EXIT_ATTENTION, EXIT_OK, FormatOption, RunbooksOption, UsageError, _check_format, app, out

AlertArgument = Annotated[str, typer.Argument(help="The alert's id, as 'steward alerts' shows it (12 or #12).")]
ByOption = Annotated[str | None, typer.Option("--by", help="Who is acting (default: $USER).")]


def _alert_id(text: str) -> int:
    if not text.lstrip("#").isdigit():
        raise UsageError(f"ALERT must be an alert id such as 12, not {text!r}")
    return int(text.lstrip("#"))


def _actor(by: str | None) -> str:
    return by or os.environ.get("USER") or "cli"


def alert_view(alert: Any, events: list[Any]) -> dict[str, Any]:
    """An alert and its timeline, as ``steward alerts --format json`` and ``steward status`` show it."""
    from tasks.slack.notifier import describe_destination
    from tasks.store.alerts import event_view

    return {"id": alert.id, "system": alert.system, "duty": alert.duty, "severity": alert.severity,
            "state": alert.state, "title": alert.title, "since": f"{alert.first_seen:%Y-%m-%d}",
            "seen": alert.occurrences, "delivery": describe_destination(alert),
            "acknowledged_by": alert.acknowledged_by,
            "snoozed_until": f"{alert.snoozed_until:%Y-%m-%d %H:%M} UTC" if alert.snoozed_until else None,
            "escalation_level": alert.escalation_level, "timeline": [event_view(e) for e in events]}


@app.command("alerts")
def alerts_command(
    system: Annotated[str | None, typer.Argument(help="Only this system's alerts.")] = None,
    fmt: FormatOption = "table",
    runbooks: RunbooksOption = None,
) -> None:
    """The open alerts (acknowledged ones too), with who has them and their timeline."""
    _check_format(fmt)
    from runbooks.loader import load_catalog
    from tasks.store.alerts import active_alerts, timeline
    from tasks.store.database import open_store

    if system:
        load_catalog(runbooks).get(system)
    with open_store().session() as session:
        views = [alert_view(a, timeline(session, a.id)) for a in active_alerts(session, system)]
    if fmt == "json":
        print(json.dumps(views, indent=2))
    else:
        for view in views:
            who = f", acknowledged by {view['acknowledged_by']}" if view["acknowledged_by"] else ""
            snoozed = f", snoozed until {view['snoozed_until']}" if view["snoozed_until"] else ""
            out.print(f"#{view['id']} {view['system']} {view['duty']} {view['severity']} {view['state']}{who}{snoozed}"
                      f" since {view['since']}: {view['title']}", markup=False)
        if not views:
            out.print("no open alerts")
    raise typer.Exit(EXIT_ATTENTION if views else EXIT_OK)


def _settle(alert_id: int, change: Any, runbooks: Any) -> Any:
    """Apply ``change`` to the alert, then redraw its Slack message."""
    from runbooks.loader import load_catalog
    from tasks.common.duty import notify_owner
    from tasks.store.alerts import get_alert
    from tasks.store.database import open_store

    store = open_store()
    with store.session() as session:
        change(session)
        alert = get_alert(session, alert_id)
        system, state = alert.system, alert.state
    notify_owner(store, load_catalog(runbooks), system)
    return system, state


@app.command("ack")
def ack_command(alert: AlertArgument, by: ByOption = None, runbooks: RunbooksOption = None) -> None:
    """Acknowledge an alert: you are on it, escalation stops."""
    from tasks.store.alerts import acknowledge

    alert_id, actor = _alert_id(alert), _actor(by)
    system, state = _settle(alert_id, lambda s: acknowledge(s, alert_id, by=actor), runbooks)
    out.print(f"alert #{alert_id} ({system}) {state}" + (f" by {actor}" if state == "acknowledged" else ""),
              markup=False)


@app.command("resolve")
def resolve_command(
    alert: AlertArgument,
    note: Annotated[str, typer.Option("--note", help="What was done: kept on the alert's timeline.")],
    by: ByOption = None,
    runbooks: RunbooksOption = None,
) -> None:
    """Resolve an alert by hand, saying what was done."""
    from tasks.store.alerts import resolve

    alert_id, actor = _alert_id(alert), _actor(by)
    system, _ = _settle(alert_id, lambda s: resolve(s, alert_id, by=actor, note=note), runbooks)
    out.print(f"alert #{alert_id} ({system}) resolved by {actor}: {note}", markup=False)

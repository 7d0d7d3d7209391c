"""``steward alerts``, ``ack`` and ``resolve`` as a user runs them, and the timeline and MTTA/MTTR in ``status``."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import assert_one_line_error, steward

from tasks.store.alerts import raise_alert
from tasks.store.database import open_store
from tasks.store.models import AuditEntry


def seed_alert() -> int:
    with open_store().session() as session:
        alert, _ = raise_alert(session, system="fraud-scoring", duty="drift", key="drift", severity="critical",
                               title="amount drifted", summary="amount PSI 0.4", playbook="runbooks/playbooks/drift.md",
                               destination="C0OPSMLOPS")
        return alert.id


def test_ack_and_resolve_through_the_cli_keep_the_timeline(_isolated_home: Path, monkeypatch) -> None:
    alert_id = seed_alert()
    listed = steward("alerts", "fraud-scoring", "--format", "json", home=_isolated_home)
    assert listed.returncode == 1, listed.stderr  # open alerts: attention
    [view] = json.loads(listed.stdout)
    assert (view["id"], view["state"], [s["event"] for s in view["timeline"]]) == (alert_id, "open", ["opened"])

    acked = steward("ack", str(alert_id), "--by", "U04OPSKIM5", home=_isolated_home)
    assert acked.returncode == 0, acked.stderr
    assert f"alert #{alert_id} (fraud-scoring) acknowledged by U04OPSKIM5" in acked.stdout

    monkeypatch.setenv("USER", "dana")
    resolved = steward("resolve", f"#{alert_id}", "--note", "rolled back to v3", home=_isolated_home)
    assert resolved.returncode == 0, resolved.stderr
    assert "resolved by dana: rolled back to v3" in resolved.stdout
    assert steward("alerts", home=_isolated_home).stdout.strip() == "no open alerts"

    status = json.loads(steward("status", "--format", "json", home=_isolated_home).stdout)
    times = status["fraud-scoring"]["response_30d"]
    assert times["alerts"] == 1 and times["mtta"] is not None and times["mttr"] is not None
    with open_store().session() as session:
        trail = [(e.action, e.actor) for e in session.query(AuditEntry).order_by(AuditEntry.id)]
    assert trail == [("alert.opened", "steward"), ("alert.acknowledged", "U04OPSKIM5"), ("alert.resolved", "dana")]


def test_status_shows_each_open_alerts_timeline_and_response_times(_isolated_home: Path) -> None:
    alert_id = seed_alert()
    assert steward("ack", str(alert_id), "--by", "U04DANA0001", home=_isolated_home).returncode == 0
    text = steward("status", home=_isolated_home)
    assert "response (30 days, 1 alerts): MTTA " in text.stdout and "MTTR n/a" in text.stdout
    assert "opened by steward: amount drifted" in text.stdout and "acknowledged by U04DANA0001" in text.stdout
    as_json = json.loads(steward("status", "--format", "json", home=_isolated_home).stdout)
    [alert] = as_json["fraud-scoring"]["open_alerts"]
    assert [s["event"] for s in alert["timeline"]] == ["opened", "acknowledged"]


def test_unknown_or_malformed_alert_ids_are_one_line_errors(_isolated_home: Path) -> None:
    assert_one_line_error(steward("ack", "99", home=_isolated_home), "no alert #99")
    assert_one_line_error(steward("resolve", "99", "--note", "x", home=_isolated_home), "no alert #99")
    assert_one_line_error(steward("ack", "drift", home=_isolated_home), "ALERT must be an alert id", "'drift'")

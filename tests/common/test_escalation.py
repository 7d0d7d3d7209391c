"""The alert lifecycle against a controllable clock: escalation to the backup then the owner, snoozes that
silence an alert until they end, MTTA/MTTR from the timeline, and a night without data that only adds a note."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from generated_classifier_logs import tiny_spec
from runbooks.loader import load_catalog
from runbooks.spec import Duty
from tasks.common.duty import notify_owner, persist_report
from tasks.common.escalation import escalate
from tasks.common.findings import DutyReport, Finding
from tasks.core.status import AlertState, CheckStatus
from tasks.core.windows import Window
from tasks.drift.data import summarise
from tasks.drift.verdict import build_baseline, judge
from tasks.store.alerts import acknowledge, raise_alert, resolve, response_times, snooze, system_response_times, timeline
from tasks.store.database import open_store
from tasks.store.models import Alert, AuditEntry

from conftest import REPO

CATALOG = load_catalog(REPO / "runbooks")
OWNER, BACKUP, RESPONDERS = "U04DANA0001", "U04LUIS0002", "C0OPSMLOPS"
T0 = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


@pytest.fixture
def slack(fake_slack, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    return fake_slack


def new_alert(severity: str = "critical", now: datetime = T0) -> int:
    with open_store().session() as session:
        alert, _ = raise_alert(session, system="fraud-scoring", duty="drift", key="drift", severity=severity,
                               title="amount drifted", summary="amount PSI 0.4", playbook="runbooks/playbooks/drift.md",
                               destination=RESPONDERS, now=now)
        return alert.id


def kinds(alert_id: int) -> list[tuple[str, str | None]]:
    with open_store().session() as session:
        return [(e.kind, e.note) for e in timeline(session, alert_id)]


def escalations(slack) -> list[str]:
    return [m["channel"] for m in slack.posted() if "Escalated to you" in m["text"]]


def test_unacknowledged_alert_goes_to_the_backup_then_the_owner(slack) -> None:
    alert_id = new_alert("critical")  # fraud-scoring: critical must be acknowledged within 1h
    assert escalate(T0 + timedelta(minutes=59), CATALOG) == [] and escalations(slack) == []
    assert escalate(T0 + timedelta(hours=1), CATALOG) == [alert_id]
    assert escalations(slack) == [BACKUP]
    assert escalate(T0 + timedelta(hours=1, minutes=30), CATALOG) == []  # one step per deadline
    assert escalate(T0 + timedelta(hours=2), CATALOG) == [alert_id]
    assert escalations(slack) == [BACKUP, OWNER]
    assert escalate(T0 + timedelta(days=3), CATALOG) == []  # the owner is the last step
    escalated = [note for kind, note in kinds(alert_id) if kind == "escalated"]
    assert escalated == [f"step 1: told {BACKUP}", f"step 2: told {OWNER}"]
    message = next(m for m in slack.posted() if m["channel"] == BACKUP)
    assert "within 1h" in message["text"] and any(b["type"] == "actions" for b in message["blocks"])
    with open_store().session() as session:
        audit = [e.action for e in session.query(AuditEntry).order_by(AuditEntry.id)]
    assert audit == ["alert.opened", "alert.escalated", "alert.escalated"]


def test_a_warning_waits_its_own_deadline_and_an_acknowledged_alert_never_escalates(slack) -> None:
    warning = new_alert("warning")  # 24h
    assert escalate(T0 + timedelta(hours=23), CATALOG) == []
    with open_store().session() as session:
        acknowledge(session, warning, by=RESPONDERS, now=T0 + timedelta(hours=23))
    assert escalate(T0 + timedelta(days=5), CATALOG) == [] and escalations(slack) == []


def test_a_snoozed_alert_is_silent_until_its_snooze_ends(slack) -> None:
    alert_id = new_alert("critical")
    snoozed_at = T0 + timedelta(minutes=10)
    with open_store().session() as session:
        snooze(session, alert_id, by="U04OPSKIM5", hours=24, now=snoozed_at)
    end = snoozed_at + timedelta(hours=24)
    for quiet in (T0 + timedelta(hours=1), T0 + timedelta(hours=5), end - timedelta(seconds=1), end):
        assert escalate(quiet, CATALOG) == [], quiet  # the hour to acknowledge restarts when the snooze ends
    assert escalations(slack) == []
    assert escalate(end + timedelta(hours=1), CATALOG) == [alert_id]
    assert escalations(slack) == [BACKUP]
    assert [k for k, _ in kinds(alert_id)] == ["opened", "snoozed", "escalated"]


def test_mtta_and_mttr_come_from_the_timeline() -> None:
    now = T0 + timedelta(days=2)
    first = new_alert("critical", now=T0)
    with open_store().session() as session:
        acknowledge(session, first, by=OWNER, now=T0 + timedelta(minutes=30))
        resolve(session, first, by=OWNER, note="rolled back", now=T0 + timedelta(hours=4))
    second = new_alert("warning", now=T0 + timedelta(hours=5))
    with open_store().session() as session:
        acknowledge(session, second, by=BACKUP, now=T0 + timedelta(hours=6, minutes=30))
        old = Alert(system="fraud-scoring", duty="cost", key="cost", severity="warning", title="t", summary="s",
                    playbook="p", destination=OWNER, first_seen=now - timedelta(days=40))
        session.add(old)  # opened before the 30 days: not counted
        times = system_response_times(session, "fraud-scoring", now=now)
    assert times.alerts == 2
    assert times.mtta == timedelta(hours=1)  # (30 min + 90 min) / 2
    assert times.mttr == timedelta(hours=4)  # only the first is resolved


events = st.lists(st.tuples(st.integers(1, 5), st.sampled_from(["opened", "acknowledged", "resolved", "updated"]),
                            st.integers(0, 10_000).map(lambda m: T0 + timedelta(minutes=m))), max_size=30)


@given(events)
def test_response_times_average_only_alerts_opened_in_the_period(timelines) -> None:
    since = T0 + timedelta(minutes=5000)
    times = response_times(timelines, since)
    opened = {a for a, k, at in timelines if k == "opened" and at == min(t for b, j, t in timelines
                                                                          if b == a and j == "opened")
              and at >= since}
    assert times.alerts == len(opened)
    if not opened:
        assert times.mtta is None and times.mttr is None


def drift_report(day: int, findings: list[Finding], **fields) -> DutyReport:
    start = datetime(2026, 11, day, tzinfo=UTC)
    return DutyReport(system="fraud-scoring", duty=Duty.drift, window_start=start, window_end=start + timedelta(days=1),
                      status=CheckStatus.attention, headline="2 of 19 monitored columns drifted: amount, channel",
                      findings=findings, **fields)


def empty_night() -> DutyReport:
    """What drift's own verdict says about a night with no rows at all."""
    spec = tiny_spec(Path("unused.db"))
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"rid": [f"r{i}" for i in range(140)], "amount": rng.normal(100, 10, 140),
                              "ts": pd.date_range("2026-03-01", periods=140, freq="72min", tz="UTC"),
                              "channel": rng.choice(["web", "app"], 140), "score": rng.uniform(0, 1, 140),
                              "decision": rng.choice(["approve", "decline"], 140)})
    profile, by_weekday = build_baseline(reference, spec)
    window = Window.days(date(2026, 11, 22))
    return judge(spec, window, profile, by_weekday, summarise(reference.iloc[0:0], spec, profile), 1)


def test_a_night_without_data_notes_the_live_incident_and_keeps_its_findings(slack) -> None:
    drifted = [Finding(key="feature:amount", severity="critical", title="amount drifted (PSI 0.41)"),
               Finding(key="feature:channel", severity="warning", title="channel drifted")]
    store = open_store()
    with store.session() as session:
        persist_report(session, drift_report(21, drifted), CATALOG)
    notify_owner(store, CATALOG, "fraud-scoring")
    empty = empty_night()
    assert not empty.judged and empty.headline.startswith("insufficient data: 0 rows")
    with store.session() as session:
        noted = persist_report(session, empty.model_copy(update={"system": "fraud-scoring"}), CATALOG)
    notify_owner(store, CATALOG, "fraud-scoring")
    with store.session() as session:
        [alert] = session.query(Alert).all()
        assert alert.state == AlertState.open and alert.title.startswith("2 of 19 monitored columns drifted")
        assert "amount drifted (PSI 0.41)" in alert.summary and alert.details["findings"] == [
            "feature:amount", "feature:channel"]
    assert [a.id for a in noted.alerts] == [alert.id]
    [(kind, note)] = [e for e in kinds(alert.id) if e[0] == "noted"]
    assert note.startswith("2026-11-22: insufficient data: 0 rows") and "kept from 2026-11-21" in note
    update = str(slack.posted("chat.update")[-1]["blocks"])
    assert "amount drifted (PSI 0.41)" in update and "Latest: 2026-11-22: insufficient data" in update

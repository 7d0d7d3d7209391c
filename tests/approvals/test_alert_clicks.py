"""Acknowledge and Snooze on an alert's Slack message: the receiver's signed, authorised path, against the
store and the fake Slack (and once over HTTP, as Slack posts it)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.request import ProxyHandler, Request, build_opener

import pytest
from approval_support import OUTSIDER, OWNER, SECRET, button_click, signed

from deployments.receiver import Receiver, serve_in_background
from runbooks.loader import load_catalog
from runbooks.spec import Duty
from tasks.common.duty import notify_owner, persist_report
from tasks.common.findings import DutyReport, Finding
from tasks.core.status import AlertState, CheckStatus
from tasks.store.alerts import timeline
from tasks.store.database import open_store
from tasks.store.models import Alert, AuditEntry

from conftest import REPO

CATALOG = load_catalog(REPO / "runbooks")
RESPONDERS, OPS_ENGINEER = "C0OPSMLOPS", "U04OPSKIM5"


@pytest.fixture
def slack(fake_slack, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    return fake_slack


def posted_alert(slack) -> tuple[int, dict[str, dict]]:
    """Raise a drift alert as a duty run does; its id and the buttons of the message Slack received."""
    start = datetime(2026, 11, 20, tzinfo=UTC)
    store = open_store()
    with store.session() as session:
        persist_report(session, DutyReport(
            system="fraud-scoring", duty=Duty.drift, window_start=start, window_end=start + timedelta(days=1),
            status=CheckStatus.attention, headline="amount drifted",
            findings=[Finding(key="feature:amount", severity="critical", title="amount drifted")]), CATALOG)
    [alert] = notify_owner(store, CATALOG, "fraud-scoring")
    return alert.id, buttons(slack.posted()[-1])


def buttons(message: dict) -> dict[str, dict]:
    return {b["text"]["text"]: b for block in message["blocks"] if block["type"] == "actions" for b in block["elements"]}


def stored(alert_id: int) -> Alert:
    with open_store().session() as session:
        return session.get_one(Alert, alert_id)


def test_a_signed_acknowledge_by_the_owner_acknowledges_and_redraws_the_message(slack) -> None:
    alert_id, shown = posted_alert(slack)
    receiver = Receiver(SECRET, catalog=CATALOG)
    assert receiver.handle(*signed(button_click(shown["Acknowledge"], OWNER))) == 200
    receiver.followups.shutdown(wait=True)
    alert = stored(alert_id)
    assert (alert.state, alert.acknowledged_by) == (AlertState.acknowledged, OWNER)
    update = slack.posted("chat.update")[-1]
    assert f"Acknowledged by <@{OWNER}>" in str(update["blocks"])
    assert set(buttons(update)) == {"Snooze 24 h"}  # nothing left to acknowledge
    with open_store().session() as session:
        assert [(e.kind, e.actor) for e in timeline(session, alert_id)] == [("opened", "steward"),
                                                                          ("acknowledged", OWNER)]
        assert session.query(AuditEntry).filter_by(action="alert.acknowledged", actor=OWNER).count() == 1


def test_an_unauthorised_click_is_refused_and_changes_nothing(slack) -> None:
    alert_id, shown = posted_alert(slack)
    receiver = Receiver(SECRET, catalog=CATALOG)
    assert receiver.handle(*signed(button_click(shown["Acknowledge"], OUTSIDER))) == 200
    assert receiver.handle(*signed(button_click(shown["Snooze 24 h"], OUTSIDER))) == 200
    receiver.followups.shutdown(wait=True)
    alert = stored(alert_id)
    assert (alert.state, alert.acknowledged_by, alert.snoozed_until) == (AlertState.open, None, None)
    [answer, _] = slack.posted("chat.postEphemeral")
    assert answer["user"] == OUTSIDER and "not authorised" in answer["text"]
    assert slack.posted("chat.update") == []


def test_anyone_answering_in_the_responders_channel_may_snooze(slack) -> None:
    alert_id, shown = posted_alert(slack)
    now = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    receiver = Receiver(SECRET, now=lambda: now, catalog=CATALOG)
    assert receiver.handle(*signed(button_click(shown["Snooze 24 h"], OPS_ENGINEER, channel=RESPONDERS))) == 200
    receiver.followups.shutdown(wait=True)
    assert stored(alert_id).snoozed_until == now + timedelta(hours=24)
    with open_store().session() as session:
        [event] = [e for e in timeline(session, alert_id) if e.kind == "snoozed"]
        assert event.actor == OPS_ENGINEER and event.at == now


@pytest.mark.parametrize("forgery", ["wrong secret", "stale", "no signature"])
def test_a_forged_click_is_refused_with_401(slack, forgery: str) -> None:
    alert_id, shown = posted_alert(slack)
    payload = button_click(shown["Acknowledge"], OWNER)
    body, headers = {"wrong secret": lambda: signed(payload, secret="guess"),
                     "stale": lambda: signed(payload, stamp=int(time.time()) - 301),
                     "no signature": lambda: (signed(payload)[0], {})}[forgery]()
    receiver = Receiver(SECRET, catalog=CATALOG)
    assert receiver.handle(body, headers) == 401
    receiver.followups.shutdown(wait=True)
    assert stored(alert_id).state == AlertState.open and slack.posted("chat.update") == []


def test_an_alert_button_without_an_alert_id_gets_400(slack) -> None:
    receiver = Receiver(SECRET, catalog=CATALOG)
    bad = {"action_id": "steward_alert_ack", "value": "drop table"}
    assert receiver.handle(*signed(button_click(bad, OWNER))) == 400


def test_the_acknowledge_buttons_signed_click_over_http_acknowledges_it(slack) -> None:
    """The acceptance half: the Acknowledge button of the alert the fake Slack captured, POSTed signed to the
    receiver as Slack does."""
    alert_id, shown = posted_alert(slack)
    receiver = Receiver(SECRET, catalog=CATALOG)
    server = serve_in_background(receiver)
    try:
        body, headers = signed(button_click(shown["Acknowledge"], OWNER))
        request = Request(server.url, data=body, method="POST",
                          headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})
        with build_opener(ProxyHandler({})).open(request, timeout=10) as reply:
            assert reply.status == 200
    finally:
        server.shutdown()
        receiver.followups.shutdown(wait=True)
    assert stored(alert_id).acknowledged_by == OWNER
    assert f"Acknowledged by <@{OWNER}>" in str(slack.posted("chat.update")[-1]["blocks"])

"""The notifier through the real slack_sdk client against the fake Slack Web API on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from runbooks.loader import load_catalog
from runbooks.spec import Duty
from tasks.common.duty import DutyReport, Finding, notify_owner, persist_report
from tasks.slack.notifier import describe_destination
from tasks.store.database import Store
from tasks.core.status import CheckStatus, Delivery
from tasks.store.models import Alert

from conftest import REPO

CATALOG = load_catalog(REPO / "runbooks")


def report(system: str = "fraud-scoring", day: int = 20, findings: int = 1) -> DutyReport:
    start = datetime(2026, 11, day, tzinfo=UTC)
    return DutyReport(
        system=system, duty=Duty.drift, window_start=start, window_end=start + timedelta(days=1),
        status=CheckStatus.attention if findings else CheckStatus.healthy,
        headline=f"{findings} of 19 monitored columns drifted" if findings else "no drift",
        findings=[Finding(key=f"feature:f{i}", severity="warning", title=f"f{i} drifted") for i in range(findings)],
    )


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'ops.db'}")


@pytest.fixture
def slack_env(fake_slack, monkeypatch):
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    return fake_slack


def run_night(store: Store, r: DutyReport) -> list[Alert]:
    with store.session() as session:
        persist_report(session, r, CATALOG)
    return notify_owner(store, CATALOG, r.system)


def buttons(message: dict) -> dict[str, dict]:
    return {b["text"]["text"]: b for block in message["blocks"] if block["type"] == "actions" for b in block["elements"]}


def test_routine_alert_goes_to_the_responders_with_buttons_then_updates_then_resolves(store: Store, slack_env) -> None:
    [alert] = run_night(store, report(day=20))
    [post] = slack_env.posted()
    assert post["channel"] == "C0OPSMLOPS"  # the runbook's responders: the first line of response
    rendered = str(post["blocks"])
    assert "fraud-scoring · drift" in rendered and "playbook `drift.md`" in rendered
    assert str(REPO) not in rendered  # a playbook not published is named, never shown as a server path
    assert "f0 drifted" in rendered and "Dana Whitfield" in rendered
    assert (alert.delivery, alert.slack_channel) == (Delivery.sent, "C0OPSMLOPS")
    shown = buttons(post)
    assert (shown["Acknowledge"]["action_id"], shown["Acknowledge"]["value"]) == ("steward_alert_ack", str(alert.id))
    assert shown["Snooze 24 h"]["value"] == str(alert.id)
    assert "Open report" not in shown and "Playbook" not in shown  # no address to open: no dead link

    run_night(store, report(day=21, findings=2))  # repeat night: same alert, message updated, no new post
    assert len(slack_env.posted()) == 1
    [update] = slack_env.posted("chat.update")
    assert update["ts"] == alert.slack_ts and "seen 2×" in str(update["blocks"])

    run_night(store, report(day=22, findings=0))  # recovery resolves the same message
    assert len(slack_env.posted()) == 1
    assert "Resolved" in str(slack_env.posted("chat.update")[-1]["blocks"])
    assert buttons(slack_env.posted("chat.update")[-1]) == {}


def test_open_report_and_playbook_are_url_buttons_when_they_have_an_address(store: Store, slack_env, monkeypatch,
                                                                           tmp_path) -> None:
    from tasks.render.html import report_path

    monkeypatch.setenv("STEWARD_PUBLIC_URL", "https://steward.example.com/")
    monkeypatch.setenv("STEWARD_PLAYBOOK_BASE_URL", "https://wiki.example.com/runbooks")
    page = report_path("fraud-scoring", "drift", "2026-11-20")
    run_night(store, report().model_copy(update={"report_path": str(page)}))
    shown = buttons(slack_env.posted()[-1])
    assert shown["Open report"]["url"] == "https://steward.example.com/reports/fraud-scoring/drift/2026-11-20.html"
    assert shown["Playbook"]["url"] == "https://wiki.example.com/runbooks/playbooks/drift.md"


def test_money_denominated_sla_breach_goes_to_the_owner(store: Store, slack_env) -> None:
    start = datetime(2026, 11, 20, tzinfo=UTC)
    breach = DutyReport(system="fraud-scoring", duty=Duty.outcomes, window_start=start, window_end=start + timedelta(7),
                        status=CheckStatus.attention, headline="SLA breached",
                        findings=[Finding(key="sla:false_decline_cost_per_day:total", severity="warning",
                                          title="false declines cost €7,100 a day > SLA €5,000")])
    run_night(store, breach)
    run_night(store, report(system="support-assistant"))
    assert [p["channel"] for p in slack_env.posted()] == ["U04DANA0001", "C0OPSMLOPS"]


def test_slack_outage_loses_nothing_and_is_resent(store: Store, slack_env) -> None:
    slack_env.outage = 10  # longer than the client's retries
    [alert] = run_night(store, report())
    assert alert.delivery == Delivery.failed and "service_unavailable" in (alert.delivery_error or "")
    assert "will retry" in describe_destination(alert)
    slack_env.outage = 0
    [again] = notify_owner(store, CATALOG)
    assert again.delivery == Delivery.sent and len(slack_env.posted()) == 1


def test_short_outage_is_absorbed_by_retries(store: Store, slack_env) -> None:
    slack_env.outage = 1
    [alert] = run_night(store, report())
    assert alert.delivery == Delivery.sent


def test_wrong_token_is_reported_without_the_token(store: Store, fake_slack, monkeypatch) -> None:
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", "xoxb-not-the-right-one")
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    [alert] = run_night(store, report())
    assert alert.delivery == Delivery.failed and "invalid_auth" in alert.delivery_error
    assert "xoxb" not in alert.delivery_error and fake_slack.calls == []


def test_without_slack_the_alert_is_stored_and_says_where_it_would_go(store: Store) -> None:
    [alert] = run_night(store, report())
    assert alert.delivery == Delivery.not_configured
    assert describe_destination(alert) == "not sent (Slack not configured); would go to C0OPSMLOPS"


def test_unreachable_slack_keeps_the_alert(store: Store, monkeypatch) -> None:
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", "xoxb-x")
    monkeypatch.setenv("STEWARD_SLACK_API_URL", "http://127.0.0.1:1/api/")
    [alert] = run_night(store, report())
    assert alert.delivery == Delivery.failed and alert.delivery_error.startswith("Slack unreachable")

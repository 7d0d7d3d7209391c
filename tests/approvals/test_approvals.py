"""The approval receiver and the request lifecycle, without Prefect: signed clicks, authorisation,
first decision wins, the half-time reminder and expiry, against the store and the fake Slack."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from approval_support import BACKUP, OUTSIDER, OWNER, SECRET, click, signed  # noqa: F401 - shared helpers and fixtures
from slack_sdk.signature import SignatureVerifier

from deployments.receiver import Click, Receiver
from runbooks.loader import load_catalog
from tasks.approvals.workflow import ask, tend
from tasks.store.database import open_store
from tasks.core.status import ApprovalState
from tasks.store.models import ApprovalRequest, AuditEntry


@pytest.fixture
def slack(fake_slack, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    return fake_slack


def owner():
    return load_catalog().get("fraud-scoring").owner


def new_request(timeout: timedelta = timedelta(hours=1)) -> str:
    return ask(owner(), system="fraud-scoring", action="promote", text="Promote v2?", timeout=timeout,
               blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "evidence"}}])


def state(request_id: str) -> ApprovalState:
    with open_store().session() as session:
        return ApprovalState(session.get_one(ApprovalRequest, request_id).state)


def test_request_is_recorded_then_posted_with_buttons(slack) -> None:
    request_id = new_request()
    message = slack.posted()[-1]
    assert message["channel"] == OWNER
    buttons = next(b for b in message["blocks"] if b["type"] == "actions")["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [("steward_approve", request_id),
                                                                ("steward_reject", request_id)]
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
        assert request.approvers == [OWNER, BACKUP] and request.slack_ts
        assert session.query(AuditEntry).filter_by(action="approval.requested.promote").count() == 1


@pytest.mark.parametrize("forgery", ["wrong secret", "stale", "no signature", "garbage timestamp"])
def test_forged_or_stale_requests_get_401_and_change_nothing(slack, forgery: str) -> None:
    request_id = new_request()
    body, headers = {
        "wrong secret": lambda: signed(click(request_id, OWNER), secret="guess"),
        "stale": lambda: signed(click(request_id, OWNER), stamp=int(time.time()) - 301),
        "no signature": lambda: (signed(click(request_id, OWNER))[0], {}),
        "garbage timestamp": lambda: (signed(click(request_id, OWNER))[0],
                                      {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}),
    }[forgery]()
    receiver = Receiver(SECRET)
    assert receiver.handle(body, headers) == 401
    receiver.followups.shutdown(wait=True)
    assert state(request_id) == ApprovalState.pending
    assert slack.posted("chat.update") == [] and slack.posted("chat.postEphemeral") == []


def test_only_owner_or_backup_decide_and_the_first_decision_wins(slack) -> None:
    request_id = new_request()
    receiver = Receiver(SECRET)
    assert receiver.handle(*signed(click(request_id, OUTSIDER))) == 200
    assert state(request_id) == ApprovalState.pending
    assert receiver.handle(*signed(click(request_id, BACKUP, "steward_reject"))) == 200
    assert receiver.handle(*signed(click(request_id, OWNER))) == 200
    receiver.followups.shutdown(wait=True)
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
        assert (request.state, request.decided_by) == (ApprovalState.rejected, BACKUP)
        assert session.query(AuditEntry).filter_by(action="approval.rejected").count() == 1
        assert session.query(AuditEntry).filter_by(action="approval.approved").count() == 0
    answers = {m["user"]: m["text"] for m in slack.posted("chat.postEphemeral")}
    assert "not authorised" in answers[OUTSIDER]
    assert answers[OWNER].startswith(f"Already rejected by <@{BACKUP}>")
    update = slack.posted("chat.update")[-1]
    assert "Rejected" in str(update["blocks"]) and not any(b["type"] == "actions" for b in update["blocks"])


def test_clicks_that_are_not_steward_buttons_are_acked_and_ignored(slack) -> None:
    assert Click.parse({"type": "view_submission"}) is None
    assert Click.parse({"type": "block_actions", "user": {"id": OWNER},
                        "actions": [{"action_id": "other", "value": "x"}]}) is None
    assert Receiver(SECRET).handle(*signed({"type": "block_actions", "user": {"id": OWNER}, "actions": []})) == 200
    stamp = str(int(time.time()))
    garbage = b"payload=%7Bnot-json"
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=garbage) or ""
    assert Receiver(SECRET).handle(garbage, {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}) == 400


def test_half_time_reminds_owner_and_tells_backup_then_expiry_changes_nothing(slack) -> None:
    request_id = new_request(timeout=timedelta(seconds=2))
    assert tend(request_id) is True and len(slack.posted()) == 1  # too early for anything
    time.sleep(1.1)
    assert tend(request_id) is True
    assert tend(request_id) is True  # the reminder is sent once
    reminders = slack.posted()[1:]
    assert len(reminders) == 2
    assert reminders[0]["thread_ts"] and "reminder" in reminders[0]["text"] and OWNER in reminders[0]["text"]
    assert reminders[1]["channel"] == BACKUP and "backup approver" in reminders[1]["text"]
    time.sleep(1.0)
    assert tend(request_id) is False
    assert state(request_id) == ApprovalState.expired
    assert "Expired" in str(slack.posted("chat.update")[-1]["blocks"])
    assert "expired without a decision" in slack.posted()[-1]["text"]
    receiver = Receiver(SECRET)
    receiver.handle(*signed(click(request_id, OWNER)))
    receiver.followups.shutdown(wait=True)
    assert state(request_id) == ApprovalState.expired
    assert slack.posted("chat.postEphemeral")[-1]["text"].startswith("Already expired")


def test_without_slack_the_request_still_waits_for_the_prefect_ui() -> None:
    request_id = new_request()
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
        assert request.state == ApprovalState.pending and request.slack_ts is None
    assert tend(request_id)  # sweeping without Slack neither expires it early nor fails on the missing client
    assert state(request_id) == ApprovalState.pending
    receiver = Receiver(SECRET)  # and it is still decided once an approver answers
    assert receiver.handle(*signed(click(request_id, OWNER))) == 200
    receiver.followups.shutdown(wait=True)
    assert state(request_id) == ApprovalState.approved


def test_socket_mode_acks_each_envelope_and_applies_the_same_rules(slack) -> None:
    from deployments.receiver import socket_mode_client
    from tasks.slack.fake import FakeSocketMode

    endpoint = FakeSocketMode().start()
    slack.socket_url = endpoint.url
    request_id = new_request()
    receiver = Receiver(None)
    client = socket_mode_client(receiver, slack.app_token)
    try:
        client.connect()
        deadline = time.monotonic() + 20
        while not endpoint.connected and time.monotonic() < deadline:
            time.sleep(0.1)
        sent = [endpoint.push(click(request_id, OUTSIDER)), endpoint.push(click(request_id, OWNER))]
        while time.monotonic() < deadline and not (
                {a.get("envelope_id") for a in endpoint.acks} >= set(sent) and state(request_id) != "pending"):
            time.sleep(0.1)
        assert {a["envelope_id"] for a in endpoint.acks} >= set(sent)
        receiver.followups.shutdown(wait=True)
        with open_store().session() as session:
            request = session.get_one(ApprovalRequest, request_id)
            assert (request.state, request.decided_by) == (ApprovalState.approved, OWNER)
        assert "not authorised" in slack.posted("chat.postEphemeral")[0]["text"]
        # No signing secret: the HTTP endpoint of a Socket Mode receiver refuses everything.
        assert receiver.handle(*signed(click(request_id, OWNER))) == 401
    finally:
        client.close()
        endpoint.stop()


def test_a_slack_outage_delays_an_approval_request_but_never_loses_it(slack) -> None:
    slack.outage = 50  # every call and every retry of the client answers 503
    request_id = new_request()
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
        assert (request.state, request.slack_ts, request.slack_channel) == ("pending", None, OWNER)
    assert slack.posted() == []

    slack.outage = 0
    assert tend(request_id)  # the receiver's sweep: still pending, and now asked
    [message] = slack.posted()
    assert message["channel"] == OWNER and any(b["type"] == "actions" for b in message["blocks"])
    assert tend(request_id) and len(slack.posted()) == 1  # posted once, not on every sweep


def test_without_a_signing_secret_serve_still_sweeps_pending_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """No receiver to click through, but reminders and expiry still happen (a suspended run ends Expired)."""
    from deployments import receiver
    from deployments.serve import start_receiver

    monkeypatch.delenv("STEWARD_SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.setattr(receiver, "SWEEP_SECONDS", 0.1)
    request_id = new_request(timeout=timedelta(seconds=0.3))
    said: list[str] = []
    _, stop = start_receiver(0, said.append)
    try:
        deadline = time.monotonic() + 10
        while state(request_id) == ApprovalState.pending and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop()
    assert said and said[0].startswith("approval receiver off")
    assert state(request_id) == ApprovalState.expired


# --- The deadline holds at the moment of decision -------------------------------------------------------------

def expires_at(request_id: str):
    with open_store().session() as session:
        return session.get_one(ApprovalRequest, request_id).expires_at


@pytest.mark.parametrize("swept", [False, True], ids=["before the sweep", "after the sweep"])
def test_a_click_one_second_after_the_deadline_is_expired_and_changes_nothing(slack, swept: bool) -> None:
    request_id = new_request(timeout=timedelta(hours=1))
    late = expires_at(request_id) + timedelta(seconds=1)
    if swept:
        assert tend(request_id, now=late) is False
    receiver = Receiver(SECRET, now=lambda: late)
    assert receiver.handle(*signed(click(request_id, OWNER))) == 200
    receiver.followups.shutdown(wait=True)
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
        assert (request.state, request.decided_by) == (ApprovalState.expired, "steward")
        assert session.query(AuditEntry).filter_by(action="approval.approved").count() == 0
        assert session.query(AuditEntry).filter_by(action="approval.expired").count() == 1
    assert "expired" in slack.posted("chat.postEphemeral")[-1]["text"]
    assert "changed nothing" in slack.posted("chat.postEphemeral")[-1]["text"]
    assert "Expired" in str(slack.posted("chat.update")[-1]["blocks"])


def test_a_click_one_second_before_the_deadline_still_decides(slack) -> None:
    request_id = new_request(timeout=timedelta(hours=1))
    receiver = Receiver(SECRET, now=lambda: expires_at(request_id) - timedelta(seconds=1))
    assert receiver.handle(*signed(click(request_id, OWNER))) == 200
    receiver.followups.shutdown(wait=True)
    assert state(request_id) == ApprovalState.approved


# --- Slack refusing connections at ask, at click, at sweep ----------------------------------------------------

def closed_port_url() -> str:
    """A loopback address where nothing listens: every connection is refused, as in a Slack outage."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"


@pytest.fixture
def resumed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict]]:
    """The runs woken through Prefect's resume call (the flow-run side is covered in test_refresh_flow)."""
    from tasks.approvals import workflow as approval

    calls: list[tuple[str, dict]] = []
    monkeypatch.setattr(approval, "resume_flow_run", lambda run_id, run_input: calls.append((run_id, run_input)))
    return calls


def new_run_request(timeout: timedelta = timedelta(hours=1), run: str = "run-1") -> str:
    return ask(owner(), system="fraud-scoring", action="promote", text="Promote v2?", timeout=timeout,
               blocks=[], flow_run_id=run)


def test_slack_client_maps_a_refused_connection_to_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    from tasks.core.errors import Unavailable
    from tasks.slack.notifier import SlackConfig, SlackUnavailable, slack_client

    client = slack_client(SlackConfig(bot_token="xoxb-x", api_url=closed_port_url()), max_retries=0)
    with pytest.raises(SlackUnavailable, match="Slack did not answer chat.postMessage") as raised:
        client.chat_postMessage(channel=OWNER, text="hello")
    assert isinstance(raised.value, Unavailable) and "xoxb" not in str(raised.value)


def test_refused_at_ask_the_request_is_recorded_and_posted_by_the_sweep_once_slack_answers(
        slack, monkeypatch: pytest.MonkeyPatch) -> None:
    from tasks.approvals.workflow import sweep

    monkeypatch.setenv("STEWARD_SLACK_API_URL", closed_port_url())
    request_id = new_run_request()  # no exception: the run goes on to wait
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
        assert (request.state, request.slack_ts) == (ApprovalState.pending, None)
    sweep()  # still down: nothing lost, nothing raised
    assert state(request_id) == ApprovalState.pending and slack.posted() == []

    monkeypatch.setenv("STEWARD_SLACK_API_URL", slack.api_url)
    sweep()
    [message] = slack.posted()
    assert any(b["type"] == "actions" and b["elements"][0]["value"] == request_id for b in message["blocks"])
    sweep()
    assert len(slack.posted()) == 1


def test_refused_at_click_the_run_is_resumed_and_the_message_updated_later(
        slack, resumed, monkeypatch: pytest.MonkeyPatch) -> None:
    from tasks.approvals.workflow import sweep

    request_id = new_run_request(run="run-clicked")
    monkeypatch.setenv("STEWARD_SLACK_API_URL", closed_port_url())
    receiver = Receiver(SECRET)
    assert receiver.handle(*signed(click(request_id, OWNER))) == 200
    receiver.followups.shutdown(wait=True)
    assert resumed == [("run-clicked", {"approved": True, "approver": OWNER, "reason": "approved in Slack"})]
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, request_id)
        assert (request.state, request.announced_at) == (ApprovalState.approved, None)
    assert slack.posted("chat.update") == []

    monkeypatch.setenv("STEWARD_SLACK_API_URL", slack.api_url)
    sweep()
    [update] = slack.posted("chat.update")
    assert "Approved" in str(update["blocks"]) and "actions" not in str(update["blocks"])
    sweep()
    assert len(slack.posted("chat.update")) == 1 and len(resumed) == 1


def test_refused_at_sweep_overdue_requests_expire_on_time_and_every_request_is_handled(
        slack, resumed, monkeypatch: pytest.MonkeyPatch) -> None:
    from tasks.approvals import workflow as approval

    first, second = new_run_request(run="run-a"), new_run_request(run="run-b")
    fresh = new_run_request(run="run-c", timeout=timedelta(days=1))
    late = expires_at(second) + timedelta(seconds=1)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", closed_port_url())
    real = approval.expire_overdue

    def first_fails(request_id: str, now=None) -> bool:
        if request_id == first:
            raise RuntimeError("a store hiccup on one request")
        return real(request_id, now)

    monkeypatch.setattr(approval, "expire_overdue", first_fails)
    approval.sweep(now=late)
    assert state(second) == ApprovalState.expired  # after a request that failed, and with Slack down
    assert state(fresh) == ApprovalState.pending
    assert ("run-b", {"approved": False, "approver": "steward", "reason": "no decision in time"}) in resumed

    monkeypatch.setattr(approval, "expire_overdue", real)
    approval.sweep(now=late)
    assert state(first) == ApprovalState.expired
    monkeypatch.setenv("STEWARD_SLACK_API_URL", slack.api_url)
    approval.sweep(now=late)
    expired_updates = [u for u in slack.posted("chat.update") if "Expired" in str(u["blocks"])]
    assert len(expired_updates) == 2
    assert sum("expired without a decision" in m["text"] for m in slack.posted()) == 2

"""End to end: the refresh and rollback flows on a real Prefect API, the real receiver, the fake Slack.

A paused flow blocks its caller, so each flow runs in a thread while the test
clicks through the receiver with correctly (or wrongly) signed requests.
"""

from __future__ import annotations

import os

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from refresh_support import (  # noqa: F401 - shared helpers and fixtures
    BACKUP,
    HOLDOUT,
    OUTSIDER,
    OWNER,
    REPO,
    SECRET,
    flow_state,
    in_thread,
    paused_request,
    runbooks,
    slack_app,
    wait_for,
)

from tasks.store.database import open_store
from tasks.core.status import ApprovalState
from tasks.store.models import ApprovalRequest, AuditEntry
from tasks.store.registry import alias_history, alias_version, register_version, set_alias, versions


def two_versions_v2_serving() -> None:
    """v1 served first, then v2 was promoted: the state a rollback starts from."""
    with open_store().session() as session:
        for uri in ("log:fraud-gbm-1.4", "log:fraud-gbm-1.5"):
            register_version(session, system="fraud-scoring", artifact_uri=uri, metrics={})
        set_alias(session, system="fraud-scoring", alias="champion", version=1, actor="steward")
        set_alias(session, system="fraud-scoring", alias="champion", version=2, actor=OWNER)


def champion() -> int | None:
    with open_store().session() as session:
        return alias_version(session, "fraud-scoring", "champion")


def test_owner_click_promotes_once_and_forged_or_outside_clicks_change_nothing(slack_app, runbooks, prefect_api,
                                                                               monkeypatch) -> None:
    from flows.model_refresh import model_refresh

    monkeypatch.setenv("STEWARD_PUBLIC_URL", "https://steward.example.com/")
    folder = runbooks(gate={"metric": "pr_auc", "min_gain": -1.0, "max_slice_regression": 1.0})
    thread, result = in_thread(model_refresh, system="fraud-scoring", window=HOLDOUT, runbooks=folder,
                               approval_timeout_seconds=300)
    request = paused_request()
    assert champion() == 1  # the model serving in the log, registered as version 1
    message = slack_app.posted()[-1]
    assert message["channel"] == OWNER
    text = str(message["blocks"])
    for part in ("pr_auc", "Business impact", "Slices", "channel=app", "Approve", "Reject",
                 f"<https://steward.example.com/reports/fraud-scoring/refresh/{HOLDOUT}.html|Open report>",
                 f"<{prefect_api.removesuffix('/api')}/runs/flow-run/{request.flow_run_id}|Prefect run>"):
        assert part in text
    assert "None/" not in text and "/.steward" not in text and "`/" not in text  # no server path, no None URL
    page = Path(os.environ["STEWARD_HOME"]) / "reports" / "fraud-scoring" / "refresh" / f"{HOLDOUT}.html"
    assert "the owner is asked to approve" in page.read_text()  # while the decision is pending

    # A forged signature, then a stale one: 401, nothing decided, the run stays paused.
    assert slack_app.click(slack_app.receiver_url, "not-the-secret", user_id=OWNER) == 401
    assert slack_app.click(slack_app.receiver_url, SECRET, user_id=OWNER, timestamp=int(time.time()) - 600) == 401
    # Someone who is neither owner nor backup: acked, told ephemerally, nothing decided.
    assert slack_app.click(slack_app.receiver_url, SECRET, user_id=OUTSIDER) == 200
    wait_for(lambda: slack_app.posted("chat.postEphemeral"), what="the 'not authorised' answer")
    assert "not authorised" in slack_app.posted("chat.postEphemeral")[0]["text"]
    assert slack_app.posted("chat.postEphemeral")[0]["user"] == OUTSIDER
    time.sleep(1.5)
    with open_store().session() as session:
        assert session.get_one(ApprovalRequest, request.id).state == ApprovalState.pending
    assert flow_state(request.flow_run_id).is_paused()

    # The owner approves, then clicks again: one decision, one promotion.
    assert slack_app.click(slack_app.receiver_url, SECRET, user_id=OWNER) == 200
    assert slack_app.click(slack_app.receiver_url, SECRET, user_id=OWNER) == 200
    thread.join(timeout=120)
    assert not thread.is_alive()
    report = result[0]
    state = flow_state(request.flow_run_id)
    assert state.is_completed() and state.name == "Promoted"
    assert champion() == 2
    with open_store().session() as session:
        promotions = [c for c in alias_history(session, "fraud-scoring") if c.alias == "champion" and c.version == 2]
        assert len(promotions) == 1 and promotions[0].approval_id == request.id and promotions[0].actor == OWNER
        decided = session.get_one(ApprovalRequest, request.id)
        assert (decided.state, decided.decided_by) == (ApprovalState.approved, OWNER)
        actions = [e.action for e in session.query(AuditEntry).filter_by(system="fraud-scoring")]
        assert actions.count("approval.approved") == 1 and actions.count("alias.champion") == 2
        v2 = versions(session, "fraud-scoring")[1]
        assert v2.data_fingerprint and v2.code_version.startswith("deployments.demo.trainer:train_fraud_model@")
        assert Path(v2.artifact_uri).is_file() and v2.training_end is not None
    assert report.headline.startswith("v2 promoted to champion (approved by Dana Whitfield)")
    written = Path(report.report_path).read_text()  # rewritten once the decision arrived
    assert report.report_path == str(page) and "asked to approve" not in written
    assert f"approved by Dana Whitfield on {decided.decided_at:%Y-%m-%d %H:%M} UTC" in written
    assert "v2 promoted to champion, v1 retired" in written
    assert any("Already approved" in e["text"] for e in slack_app.posted("chat.postEphemeral"))
    updated = slack_app.posted("chat.update")
    assert updated and "Approved" in str(updated[-1]["blocks"]) and "actions" not in str(updated[-1]["blocks"])


def test_timeout_reminds_then_expires_and_the_champion_stays(slack_app, runbooks) -> None:
    from flows.model_refresh import model_refresh

    folder = runbooks(gate={"metric": "pr_auc", "min_gain": -1.0, "max_slice_regression": 1.0})
    thread, result = in_thread(model_refresh, system="fraud-scoring", window=HOLDOUT, runbooks=folder,
                               approval_timeout_seconds=8)
    request = paused_request()
    thread.join(timeout=120)
    assert not thread.is_alive()
    state = flow_state(request.flow_run_id)
    assert state.is_completed() and state.name == "Expired"
    assert champion() == 1
    with open_store().session() as session:
        expired = session.get_one(ApprovalRequest, request.id)
        assert expired.state == ApprovalState.expired and expired.reminded_at is not None
    texts = [m["text"] for m in slack_app.posted()]
    assert any("reminder" in t and OWNER in t for t in texts)
    assert any(m["channel"] == BACKUP and "backup approver" in m["text"] for m in slack_app.posted())
    assert any("expired" in t for t in texts)
    assert result[0].status.value == "attention" and "champion v1 stays" in result[0].headline
    written = Path(result[0].report_path).read_text()
    assert "the approval expired on " in written and "asked to approve" not in written
    # A late click changes nothing.
    assert slack_app.click(slack_app.receiver_url, SECRET, user_id=OWNER) == 200
    assert champion() == 1


def test_failed_gate_ends_with_its_reasons_and_asks_no_one(prefect_api, demo_home, runbooks) -> None:
    from flows.model_refresh import model_refresh

    report = model_refresh(system="fraud-scoring", window=HOLDOUT,
                           runbooks=runbooks(gate={"metric": "pr_auc", "min_gain": 0.5}))
    assert report.status.value == "attention"
    assert "below the required +0.5000" in report.findings[0].detail
    with open_store().session() as session:
        assert session.query(ApprovalRequest).count() == 0
        assert alias_version(session, "fraud-scoring", "champion") == 1
        assert alias_version(session, "fraud-scoring", "challenger") == 2


def test_rollback_restores_the_previous_champion_through_approval(slack_app, runbooks) -> None:
    from flows.model_rollback import model_rollback

    two_versions_v2_serving()
    thread, result = in_thread(model_rollback, system="fraud-scoring", runbooks=runbooks(),
                               approval_timeout_seconds=300)
    request = paused_request()
    assert "Roll back fraud-scoring to model v1" in str(slack_app.posted()[-1]["blocks"])
    assert slack_app.click(slack_app.receiver_url, SECRET, user_id=BACKUP) == 200
    thread.join(timeout=120)
    assert result[0].outcome == "Rolled back" and result[0].decided_by == BACKUP
    assert champion() == 1
    with open_store().session() as session:
        last = alias_history(session, "fraud-scoring")[-1]
        assert (last.version, last.previous_version, last.approval_id) == (1, 2, request.id)
        assert last.reason == "rollback from v2"


def test_under_a_deployment_the_run_suspends_and_resumes_without_retraining(slack_app, runbooks, prefect_api) -> None:
    """Served as a deployment, the run suspends (its process moves on); the owner's click resumes it,
    it re-runs from the top with every task before the wait cached: one challenger, one request."""
    import os
    import subprocess
    import sys

    from prefect.deployments import run_deployment

    folder = runbooks(gate={"metric": "pr_auc", "min_gain": -1.0, "max_slice_regression": 1.0})
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "PYTHONPATH": str(REPO)}
    runner = subprocess.Popen([sys.executable, "-c", "from flows.model_refresh import model_refresh; "
                               "model_refresh.serve(name='suspend-test')"], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        run = wait_for(lambda: _try_run(run_deployment, folder), what="the served deployment")
        request = paused_request()
        assert flow_state(str(run.id)).name == "Suspended"
        assert slack_app.click(slack_app.receiver_url, SECRET, user_id=OWNER) == 200
        final = wait_for(lambda: (s := flow_state(str(run.id))).is_final() and s, what="the resumed run")
        assert final.name == "Promoted" and champion() == 2
        with open_store().session() as session:
            assert len(versions(session, "fraud-scoring")) == 2  # nothing retrained on resume
            assert session.query(ApprovalRequest).count() == 1 and request.flow_run_id == str(run.id)
    finally:
        runner.terminate()
        runner.wait(timeout=30)


def _try_run(run_deployment: Callable[..., Any], folder: str) -> Any:
    try:
        return run_deployment("model-refresh/suspend-test", timeout=0, parameters={
            "system": "fraud-scoring", "window": HOLDOUT, "runbooks": folder, "approval_timeout_seconds": 600})
    except Exception:  # noqa: BLE001 - the deployment is not registered until the runner has started
        return None


def test_prefect_ui_resume_is_a_fallback_held_to_the_same_rules(prefect_api, demo_home, runbooks) -> None:
    """No Slack at all: the run waits for the Resume form (the same API call the UI makes); a resume by
    someone who may not decide is ignored and the run pauses again; the owner's resume decides."""
    from prefect.flow_runs import resume_flow_run

    from flows.model_rollback import model_rollback

    two_versions_v2_serving()
    thread, result = in_thread(model_rollback, system="fraud-scoring", runbooks=runbooks(),
                               approval_timeout_seconds=300)

    def waiting() -> ApprovalRequest | None:
        with open_store().session() as session:
            request = session.query(ApprovalRequest).one_or_none()
        return request if request and flow_state(request.flow_run_id).is_paused() else None

    request = wait_for(waiting, what="the paused rollback")
    assert request.slack_ts is None  # Slack is not configured
    resume_flow_run(request.flow_run_id, run_input={"approved": True, "approver": OUTSIDER, "reason": "me"})
    assert not flow_state(request.flow_run_id).is_paused()
    wait_for(lambda: flow_state(request.flow_run_id).is_paused(), what="the run to pause again")
    with open_store().session() as session:
        assert session.get_one(ApprovalRequest, request.id).state == ApprovalState.pending
    assert champion() == 2
    resume_flow_run(request.flow_run_id, run_input={"approved": False, "approver": OWNER, "reason": "not now"})
    thread.join(timeout=60)
    assert result[0].outcome == "Rejected" and champion() == 2
    with open_store().session() as session:
        decided = session.get_one(ApprovalRequest, request.id)
        assert (decided.state, decided.decided_by, decided.reason) == (ApprovalState.rejected, OWNER, "not now")


def test_rollback_during_a_slack_outage_prints_one_line_and_leaves_nothing_behind(
        prefect_api, fake_slack, monkeypatch: pytest.MonkeyPatch) -> None:
    """``steward rollback`` with Slack refusing connections: one line, exit 2; the request is withdrawn (never
    posted later), the champion stays, and the flow run has ended instead of waiting for a question no one sees."""
    import os
    import socket
    import subprocess
    import sys

    from tasks.approvals.workflow import sweep

    two_versions_v2_serving()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{s.getsockname()[1]}/api/"
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "STEWARD_SLACK_BOT_TOKEN": fake_slack.token,
           "STEWARD_SLACK_API_URL": refused}
    result = subprocess.run([sys.executable, "-m", "deployments.cli", "rollback", "fraud-scoring"], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: fraud-scoring: could not ask Dana Whitfield in Slack") and "withdrawn" in line
    assert "Traceback" not in result.stdout + result.stderr
    with open_store().session() as session:
        [request] = session.query(ApprovalRequest).all()
        assert request.state == ApprovalState.expired and request.reason.startswith("withdrawn: Slack unreachable")
    assert flow_state(request.flow_run_id).is_final()
    assert champion() == 2
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    sweep()  # Slack is back: nothing of the withdrawn request is posted
    assert fake_slack.posted() == []

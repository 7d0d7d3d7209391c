"""A duty that cannot run is a finding, not silence: its failure alerts the owner, a good run resolves it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from flows.drift_check import drift_check
from tasks.store.database import open_store
from tasks.core.status import AlertState
from tasks.store.models import Alert

from conftest import DEMO_END, edited_runbooks


@pytest.fixture
def broken_runbooks(tmp_path: Path) -> Path:
    return edited_runbooks(tmp_path, "fraud-scoring", "table: fraud_decisions", "table: fraud_decisionz")


def test_failed_run_alerts_the_owner_and_next_good_run_resolves_it(
    prefect_api, demo_home, fake_slack, monkeypatch, broken_runbooks: Path
) -> None:
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    night = DEMO_END.isoformat()

    with pytest.raises(Exception, match="fraud_decisionz"):
        drift_check(system="fraud-scoring", window=night, runbooks=str(broken_runbooks))

    with open_store().session() as session:
        [alert] = session.scalars(select(Alert).where(Alert.key == "drift:run-failed")).all()
        assert (alert.state, alert.severity, alert.delivery) == (AlertState.open, "critical", "sent")
        assert "fraud_decisionz" in alert.summary and alert.details["flow_run_id"]
    [posted] = fake_slack.posted()
    assert posted["channel"] == "C0OPSMLOPS" and "could not run" in posted["text"]  # the responders run it

    drift_check(system="fraud-scoring", window=night)
    with open_store().session() as session:
        assert session.scalars(select(Alert.state).where(Alert.key == "drift:run-failed")).one() == AlertState.resolved


def test_a_duty_flow_raises_the_original_exception_and_the_cli_calls_a_bug_a_bug(
    prefect_api, demo_home, monkeypatch
) -> None:
    """Prefect does not wrap what a flow raises: a user error stays a StewardError (exit 2), a bug a bug (exit 70)."""
    import os
    import subprocess
    import sys

    from conftest import REPO
    from tasks.core.errors import WindowError

    with pytest.raises(WindowError, match="is reversed"):
        drift_check(system="fraud-scoring", window="2026-11-07..2026-11-01")
    monkeypatch.setattr("flows.drift_check.judge", lambda *args, **kwargs: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        drift_check(system="fraud-scoring", window=DEMO_END.isoformat())

    script = ("import os, sys, deployments.cli as cli\n"
              "os.environ.update(cli.QUIET_PREFECT)  # as main() does, before Prefect is first imported\n"
              "import flows.drift_check as f\n"
              "f.judge = lambda *args, **kwargs: 1 / 0\n"
              f"sys.argv = ['steward', 'run', 'drift', 'fraud-scoring', '--window', '{DEMO_END}']\ncli.main()\n")
    env = {**os.environ, "STEWARD_HOME": str(demo_home), "PREFECT_API_URL": prefect_api}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO,
                            timeout=300)
    assert result.returncode == 70 and "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip().splitlines()[-1] == (
        "internal error: ZeroDivisionError: division by zero (a bug: rerun with STEWARD_DEBUG=1 for the traceback)")

"""The cost review end to end: a real Prefect API, the simulated logs, the ops store and the fake Slack."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import select

from chart_support import titled
from conftest import REPO
from flows.cost_review import cost_review
from tasks.store.database import open_store
from tasks.store.models import Alert, CheckResult
from cli_support import steward

OCTOBER = "2026-10-01..2026-10-31"


@pytest.fixture
def slack(fake_slack, monkeypatch):
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    return fake_slack


@pytest.fixture
def tight_budget(tmp_path: Path) -> Path:
    """A copy of the shipped runbooks whose support-assistant budget October's spend exceeds."""
    folder = tmp_path / "runbooks"
    shutil.copytree(REPO / "runbooks", folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    target = folder / "systems" / "support-assistant.yaml"
    target.write_text(target.read_text().replace("monthly_budget: 80", "monthly_budget: 5"))
    return folder


def test_month_review_is_idempotent_and_summarised_to_the_owner(prefect_api, demo_home, slack) -> None:
    first = cost_review(system="support-assistant", window=OCTOBER)
    assert first.status == "healthy" and first.alerts == []
    cost_review(system="support-assistant", window=OCTOBER)
    with open_store().session() as session:
        [row] = session.scalars(select(CheckResult).where(CheckResult.duty == "cost")).all()
        assert row.runs == 2 and row.findings["metrics"]["spend"] == first.metrics.spend
    summaries = slack.posted()
    assert len(summaries) == 2 and summaries[0]["channel"] == "#support-ai-ops"
    text = json.dumps(summaries[0]["blocks"])
    assert "Trim template support-v3" in text and "Route smalltalk to gpt-4o-mini" in text and "/month" in text
    html = Path(first.report_path).read_text()
    assert "Tokens per call, month over month" in html and "Prompt caching" in html
    [spend] = titled(html, "Spend to date")
    assert spend["layout"]["xaxis"]["type"] == "date" and spend["layout"]["yaxis"]["tickprefix"] == "$"
    assert {t["name"] for t in spend["data"]} >= {"spend to date", "budget"}
    with get_client(sync_client=True) as client:
        keys = {a.key for a in client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["cost-support-assistant", "cost-support-assistant-summary"])))}
    assert keys == {"cost-support-assistant", "cost-support-assistant-summary"}


def test_over_budget_alerts_the_owner_once(prefect_api, demo_home, slack, tight_budget) -> None:
    report = cost_review(system="support-assistant", window=OCTOBER, runbooks=str(tight_budget))
    assert report.status == "attention" and report.findings[0].key == "budget"
    [alert] = report.alerts
    assert alert.new and alert.delivery == "sent"
    cost_review(system="support-assistant", window=OCTOBER, runbooks=str(tight_budget))
    with open_store().session() as session:
        assert len(session.scalars(select(Alert)).all()) == 1
    alerts = [m for m in slack.posted() if m["text"].startswith("support-assistant cost:")]
    assert len(alerts) == 1 and len(slack.posted("chat.update")) == 1
    assert alerts[0]["channel"] == "#support-ai-ops"  # money: the owner's, not the responders'



def test_cli_month_json_and_a_future_month_is_one_line(prefect_api, demo_home) -> None:
    result = steward("run", "cost", "support-assistant", "--month", "2026-10", "--format", "json",
                     home=demo_home, api=prefect_api)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["duty"] == "cost" and report["metrics"]["calls"] > 0
    assert {"by_model", "by_route", "by_day", "recommendations", "caching"} <= set(report["metrics"])
    future = steward("run", "cost", "support-assistant", "--month", "2099-01", "--format", "json",
                     home=demo_home, api=prefect_api)
    assert future.returncode == 0 and "Traceback" not in future.stderr
    skipped = json.loads(future.stdout)
    assert skipped["status"] == "skipped" and skipped["headline"] == "Not judged: window 2099-01-01..2099-01-31 is in the future"
    with open_store().session() as session:  # not judged: nothing stored for it
        assert [r.window_start.year for r in session.scalars(select(CheckResult))] == [2026]


def test_the_logs_first_month_is_reviewed_on_its_covered_days(prefect_api, demo_home, slack) -> None:
    """``steward demo`` crashed here: the log starts 2026-08-24, the review of August met days without calls."""
    report = cost_review(system="support-assistant", window="2026-08-01..2026-08-31")
    assert report.coverage == "2026-08-24..2026-08-31" and "partial window" in report.headline
    assert report.metrics.by_day[0].day == "2026-08-24" and Path(report.report_path).exists()
    [summary] = slack.posted()
    assert "partial window" in json.dumps(summary["blocks"])

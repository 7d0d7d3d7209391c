"""The outcome review end to end: a real Prefect API, the simulated logs, the ops store and the fake Slack."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import select

from flows.outcome_review import outcome_review
from tasks.store.database import open_store
from tasks.store.models import Alert, AuditEntry, CheckResult, RefreshRequest

from chart_support import figures, titled
from cli_support import steward

FRAUD = "fraud-scoring"
# At the tests' 0.2 scale the app slice's 14-day recall is clearly below 0.80 from 2026-11-02 on.
BREACHED = ["2026-11-04", "2026-11-05", "2026-11-06"]


@pytest.fixture
def slack(fake_slack, monkeypatch):
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    return fake_slack


def sql(home: Path, *statements: str) -> None:
    with sqlite3.connect(home / "demo.db") as db:
        for statement in statements:
            db.execute(statement)


def test_slice_breach_alerts_and_a_sustained_one_recommends_a_refresh(prefect_api, demo_home, slack) -> None:
    before = outcome_review(system=FRAUD, window="2026-10-22")
    assert before.status == "healthy" and before.alerts == []

    first = outcome_review(system=FRAUD, window=BREACHED[0])
    assert first.status == "attention"
    assert [f.key for f in first.findings] == ["sla:recall:channel=app"]
    verdicts = {(j.segment, j.metric): j.verdict for j in first.metrics.judgements}
    assert verdicts["total", "recall"] == "met"  # the total holds while the slice breaches
    auc_now = first.metrics.total.metrics["roc_auc"]
    auc_before = first.metrics.reference.total.metrics["roc_auc"]
    assert abs(auc_now - auc_before) < 0.01
    assert "fraud_missed $" in first.findings[0].detail
    [opened] = first.alerts
    assert opened.new and opened.delivery == "sent"

    outcome_review(system=FRAUD, window=BREACHED[1])
    third = outcome_review(system=FRAUD, window=BREACHED[2])
    sustained = third.findings[0]
    assert sustained.key == "sustained-breach" and sustained.severity == "critical"
    assert "refresh recommended in the ops store" in sustained.detail
    again = outcome_review(system=FRAUD, window=BREACHED[2])  # idempotent per window
    assert "already requested" in again.findings[0].detail

    with open_store().session() as session:
        [request] = session.scalars(select(RefreshRequest)).all()
        assert (request.system, request.action, request.deployment) == (FRAUD, "recommended", None)
        assert f"{request.window_end:%Y-%m-%d}" == "2026-11-07"
        actions = session.scalars(select(AuditEntry.action)).all()
        assert [a for a in actions if not a.startswith("alert.")] == ["refresh-recommended"]
        assert actions.count("alert.opened") == 1  # the alert's timeline is in the trail too
        assert len(session.scalars(select(CheckResult)).all()) == 4
        alert = session.get_one(Alert, opened.id)
        assert (alert.state, alert.occurrences, alert.playbook.endswith("outcomes.md")) == ("open", 4, True)
    assert len(slack.posted()) == 1

    estimate_only = outcome_review(system=FRAUD, window="2026-11-20")  # not judged: no evidence of recovery
    assert estimate_only.status == "skipped" and estimate_only.alerts == []
    with open_store().session() as session:
        assert session.get_one(Alert, opened.id).state == "open"

    html = Path(again.report_path).read_text()
    assert len(figures(html)) >= 5 and "recall per channel" in html and "channel=app" in html
    [recall] = titled(html, "recall per window")
    assert recall["layout"]["xaxis"]["type"] == "date" and recall["layout"]["yaxis"]["tickformat"].endswith("%")
    assert recall["layout"]["yaxis"]["range"][0] == 0 <= recall["layout"]["yaxis"]["range"][1] <= 1
    band = [t for t in recall["data"] if t.get("fill") == "tonexty"]
    assert band and band[0]["name"] == "recall (estimated): 95% band" and any(v is not None for v in band[0]["y"])
    [money_chart] = titled(html, "Business metrics per window")
    assert money_chart["layout"]["yaxis"]["tickprefix"] == "$" and money_chart["layout"]["yaxis"]["range"][0] == 0
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[f"outcomes-{FRAUD}", f"outcomes-{FRAUD}-summary"])))
    assert {"table", "markdown"} <= {a.type for a in artifacts}


def test_refresh_deployment_is_started_when_it_exists(prefect_api, demo_home) -> None:
    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("model-refresh")
        deployment_id = client.create_deployment(flow_id=flow_id, name=FRAUD)
    try:
        for window in BREACHED:
            report = outcome_review(system=FRAUD, window=window)
        assert report.findings[0].detail.startswith(f"started model-refresh/{FRAUD}")
        with open_store().session() as session:
            [request] = session.scalars(select(RefreshRequest)).all()
        assert request.action == "deployment_started"
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(request.flow_run_id)
        assert run.deployment_id == deployment_id and run.parameters == {"system": FRAUD}
    finally:
        with get_client(sync_client=True) as client:
            client.delete_deployment(deployment_id)


def test_estimate_is_stored_and_later_sits_beside_the_realised_value(prefect_api, demo_home) -> None:
    window = "2026-11-02"  # labels complete once outcomes reach 2026-11-17
    sql(demo_home, "CREATE TABLE later AS SELECT * FROM fraud_outcomes WHERE outcome_ts >= '2026-11-10'",
        "DELETE FROM fraud_outcomes WHERE outcome_ts >= '2026-11-10'")
    early = outcome_review(system=FRAUD, window=window)
    assert early.status == "skipped" and early.headline.startswith("Estimated (label-free")
    estimate = early.metrics.total.estimated
    assert early.alerts == [] and all(f.severity == "info" for f in early.findings)

    sql(demo_home, "INSERT INTO fraud_outcomes SELECT * FROM later")
    mature = outcome_review(system=FRAUD, window=window)
    assert mature.metrics.mature and mature.metrics.total.estimated == estimate
    realised = mature.metrics.total.metrics["roc_auc"]
    assert mature.metrics.estimate_error["roc_auc"] == pytest.approx(estimate["roc_auc"] - realised)
    assert abs(mature.metrics.estimate_error["roc_auc"]) < 0.02


def test_outcomes_that_never_arrive_wait_without_alarm(prefect_api, demo_home) -> None:
    sql(demo_home, "DELETE FROM fraud_outcomes")
    report = outcome_review(system=FRAUD, window=BREACHED[0])
    assert report.status == "skipped" and report.alerts == [] and report.findings == []
    assert "no outcome has arrived yet" in report.headline


def test_default_run_reviews_the_newest_mature_day_and_estimates_yesterday(prefect_api, demo_home) -> None:
    report = outcome_review(system=FRAUD)
    assert report.window.label() == "2026-11-06" and report.metrics.mature
    with open_store().session() as session:
        assert len(session.scalars(select(CheckResult)).all()) == 2


def test_cli_json_and_exit_codes(prefect_api, demo_home) -> None:
    breached = steward("run", "outcomes", FRAUD, "--window", BREACHED[0], "--format", "json", home=demo_home,
                       api=prefect_api)
    assert breached.returncode == 1, breached.stderr
    report = json.loads(breached.stdout)
    assert report["duty"] == "outcomes" and report["findings"][0]["key"] == "sla:recall:channel=app"
    assert report["metrics"]["currency"] == "USD" and report["metrics"]["total"]["business"]["fraud_missed"] > 0


def test_llm_app_is_judged_on_its_outcome_fields(prefect_api, demo_home) -> None:
    report = outcome_review(system="support-assistant", window="2026-11-10")
    assert report.status == "healthy" and report.headline.startswith("SLA met")
    total = report.metrics.total
    assert 0.7 < total.metrics["resolution_rate"] < 0.9 and total.metrics["latency_p99_ms"] > 0
    assert {s.name for s in report.metrics.slices} == {f"route={r}" for r in ("account", "billing", "smalltalk", "technical")}
    assert total.business["escalation_cost"] > 0


def test_unreadable_labels_and_missing_columns_are_one_line_errors(demo_home) -> None:
    from runbooks.loader import load_catalog
    from tasks.io.outcomes import load_outcome_frame
    from tasks.io.sources import SourceError
    from tasks.core.windows import Window

    spec = load_catalog().get(FRAUD)
    sql(demo_home, "UPDATE fraud_outcomes SET is_fraud = 'maybe' WHERE rowid = (SELECT min(rowid) FROM fraud_outcomes)")
    with pytest.raises(SourceError, match="outcome label 'is_fraud' must hold 0/1 or true/false, found 'maybe'"):
        load_outcome_frame(spec, Window.parse("2026-08-24..2026-08-30"))
    sql(demo_home, "ALTER TABLE fraud_decisions DROP COLUMN channel")
    with pytest.raises(SourceError, match="has no column 'channel'"):
        load_outcome_frame(spec, Window.parse("2026-11-01"))

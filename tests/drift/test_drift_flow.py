"""The drift duty end to end: a real Prefect API, the simulated logs, the ops store and the fake Slack."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import select

from deployments.demo.simulator import incidents
from flows.drift_check import drift_check
from tasks.store.database import open_store
from tasks.store.models import Alert, CheckResult

from chart_support import figures
from conftest import DEMO_END

SHIFT = next(i for i in incidents(DEMO_END) if i.name == "device-trust-shift").start
DIP = next(i for i in incidents(DEMO_END) if i.name == "volume-dip").start


@pytest.fixture
def slack(fake_slack, monkeypatch):
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    return fake_slack


def night(day) -> str:
    return day.isoformat()


def test_one_alert_per_incident_through_real_flows(prefect_api, demo_home, slack) -> None:
    before = drift_check(system="fraud-scoring", window=night(SHIFT - timedelta(days=1)))
    assert before.status == "healthy" and before.alerts == []

    first = drift_check(system="fraud-scoring", window=night(SHIFT))
    assert first.status == "attention"
    drifted = {f.key for f in first.findings}
    assert {"feature:device_trust_score", "feature:merchant_category"} <= drifted
    merchant = next(f for f in first.findings if f.key == "feature:merchant_category")
    assert merchant.evidence["new_categories"] == ["crypto"]
    assert len(drifted) <= 4, f"false alarms: {drifted}"
    [opened] = first.alerts
    assert opened.new and opened.delivery == "sent"

    second = drift_check(system="fraud-scoring", window=night(SHIFT + timedelta(days=1)))
    [repeat] = second.alerts
    assert repeat.id == opened.id and not repeat.new
    assert len(slack.posted()) == 1 and len(slack.posted("chat.update")) == 1

    # Back-filling an older healthy night must not close the live incident.
    drift_check(system="fraud-scoring", window=night(SHIFT - timedelta(days=2)))
    with open_store().session() as session:
        alert = session.get_one(Alert, opened.id)
        assert (alert.state, alert.occurrences) == ("open", 2)
        results = session.scalars(select(CheckResult).where(CheckResult.system == "fraud-scoring")).all()
        assert len(results) == 4

    rerun = drift_check(system="fraud-scoring", window=night(SHIFT))  # idempotent per window
    with open_store().session() as session:
        assert len(session.scalars(select(CheckResult)).all()) == 4
    html = open(rerun.report_path).read()
    drawn = figures(html)  # a distribution plot and a score history on a date axis per drifted column
    assert len(drawn) >= 4 and "<svg" not in html
    bars = [f for f in drawn if f["data"][0]["type"] == "bar"]
    assert bars and all(t["orientation"] == "h" for f in bars for t in f["data"])  # long bin labels stay readable
    trends = [f for f in drawn if f["layout"]["xaxis"].get("type") == "date"]
    assert trends and all(f["layout"]["yaxis"]["range"][0] == 0 for f in trends)
    assert all(any(t["name"] == "threshold" for t in f["data"]) for f in trends)
    assert "device_trust_score (wasserstein_norm" in html and "New values: crypto" in html


def test_volume_dip_is_found(prefect_api, demo_home) -> None:
    report = drift_check(system="fraud-scoring", window=night(DIP))
    volume = next(f for f in report.findings if f.key == "volume")
    assert 0.3 < volume.evidence["rows"] / volume.evidence["expected"] < 0.5


def test_artifacts_reach_the_prefect_api(prefect_api, demo_home) -> None:
    drift_check(system="fraud-scoring", window=night(SHIFT))
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["drift-fraud-scoring", "drift-fraud-scoring-summary"]))
        )
    kinds = {a.type for a in artifacts}
    assert {"table", "markdown"} <= kinds
    assert any("device_trust_score" in str(a.data) for a in artifacts)


def test_baseline_is_stored_versioned_and_used(prefect_api, demo_home) -> None:
    from tasks.drift.baseline import create_baseline
    from tasks.store.baselines import current_baseline
    from tasks.core.windows import Window
    from runbooks.loader import load_catalog

    first = drift_check(system="fraud-scoring", window=night(SHIFT - timedelta(days=1)))
    assert first.metrics.baseline_version == 1  # built automatically from the log's first 28 days
    spec = load_catalog().get("fraud-scoring")
    record = create_baseline(spec, Window.days(SHIFT, SHIFT + timedelta(days=6)), actor="dana")
    version, rows = record.version, record.rows
    assert version == 2 and rows > 1000
    with open_store().session() as session:
        record = current_baseline(session, "fraud-scoring")
        assert (record.version, record.created_by) == (2, "dana")
        assert set(record.rows_by_weekday) == {str(d) for d in range(7)}
    # Against a post-shift baseline, a post-shift night no longer flags the device trust shift.
    later = drift_check(system="fraud-scoring", window=night(SHIFT + timedelta(days=8)))
    assert later.metrics.baseline_version == 2
    assert "feature:device_trust_score" not in {f.key for f in later.findings}
    html = open(later.report_path).read()
    assert "baseline v2" in html


def test_prefect_shows_the_verdict_the_concrete_window_and_a_link_to_the_report(prefect_api, demo_home,
                                                                                 monkeypatch) -> None:
    """A drifted night ends Completed named Attention, with a link artifact to its served report; a
    window not judged ends Skipped; run names carry the window judged, the default one included."""
    from datetime import UTC, datetime

    from prefect.client.schemas.filters import ArtifactFilterFlowRunId

    monkeypatch.setenv("STEWARD_PUBLIC_URL", "https://steward.example.com")
    state = drift_check(system="fraud-scoring", window=night(SHIFT), return_state=True)
    assert (state.type.value, state.name) == ("COMPLETED", "Attention") and "drifted" in state.message
    report = state.result()
    assert report.status == "attention"  # called directly, the flow still gives the report
    skipped = drift_check(system="fraud-scoring", window="2099-01-01", return_state=True)
    assert (skipped.type.value, skipped.name) == ("COMPLETED", "Skipped")
    healthy = drift_check(system="fraud-scoring", window=night(SHIFT - timedelta(days=1)), return_state=True)
    assert (healthy.type.value, healthy.name) == ("COMPLETED", "Completed")
    default = drift_check(system="fraud-scoring", return_state=True)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    with get_client(sync_client=True) as client:
        names = [client.read_flow_run(s.state_details.flow_run_id).name for s in (state, skipped, default)]
        ours = ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])
        [link] = client.read_artifacts(artifact_filter=ArtifactFilter(  # Prefect stores a link as markdown
            key=ArtifactFilterKey(any_=["drift-fraud-scoring-report"]), flow_run_id=ours))
        [summary] = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["drift-fraud-scoring-summary"]), flow_run_id=ours))
    assert names == [f"drift/fraud-scoring/{night(SHIFT)}", "drift/fraud-scoring/2099-01-01",
                     f"drift/fraud-scoring/{yesterday}"]
    url = f"https://steward.example.com/reports/fraud-scoring/drift/{night(SHIFT)}.html"
    assert str(link.data) == f"[Drift report · fraud-scoring · {night(SHIFT)}]({url})"
    assert link.flow_run_id == state.state_details.flow_run_id
    assert f"[Open report]({url})" in str(summary.data) and str(demo_home) not in str(summary.data)

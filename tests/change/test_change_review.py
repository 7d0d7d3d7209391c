"""The change review end to end on the demo data: golden set (no raw PII), the three demo candidates' verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest
from refresh_support import SECRET, in_thread, paused_request, slack_app  # noqa: F401 - shared helpers and fixtures

from deployments.demo.simulator import PLANTED_PII

PLANTED = [v for _, values in PLANTED_PII.values() for v in values]
SYSTEM = "support-assistant"


def _store_bytes(home: Path) -> bytes:
    """The ops store's files (WAL included), as grep would read them: every table, the audit trail too."""
    return b"".join(path.read_bytes() for path in sorted(home.glob("steward.db*")))


def test_golden_set_is_stratified_masked_and_versioned(demo_home: Path) -> None:
    from runbooks.loader import load_catalog
    from tasks.change.data import build_golden
    from tasks.core.windows import Window
    from tasks.store.database import open_store
    from tasks.store.golden import current_interactions, interaction_version, remove_interaction

    spec = load_catalog().get(SYSTEM)
    window = Window.parse("2026-10-01..2026-11-18")
    version = build_golden(spec, window, 200, actor="test", reason="test")
    with open_store().session() as session:
        rows = current_interactions(session, SYSTEM)
        routes = {r.route for r in rows}
        assert routes == {"billing", "technical", "account", "smalltalk"}
        assert all(sum(r.route == x for r in rows) == 50 for x in routes)  # stratified: equal per route
        assert {r.outcome for r in rows} == {"resolved", "escalated", "failed"}
        assert remove_interaction(session, SYSTEM, rows[0].request_id, actor="test") == version + 1
        assert len(current_interactions(session, SYSTEM)) == 199 and interaction_version(session, SYSTEM) == 2


def test_golden_set_holds_no_raw_pii_even_from_messages_that_carried_it(demo_home: Path) -> None:
    """Every interaction of a window, so the planted PII is surely among them; the store must not hold any."""
    from runbooks.loader import load_catalog
    from tasks.change.data import build_golden
    from tasks.core.windows import Window

    spec = load_catalog().get(SYSTEM)
    build_golden(spec, Window.parse("2026-10-01..2026-11-18"), 20_000, actor="test", reason="test")
    stored = _store_bytes(demo_home)
    assert b"***@***." in stored  # masked emails were there
    leaked = [v for v in PLANTED if v.encode() in stored]
    assert leaked == []


@pytest.fixture
def reviewed(prefect_api: str, demo_home: Path):
    from flows.change_review import change_review

    def run(*candidate: str):
        return change_review(system=SYSTEM, candidate=list(candidate), approval_timeout_seconds=5)

    return run


def test_three_demo_candidates_get_the_verdicts_their_simulation_implies(reviewed, fake_slack, monkeypatch) -> None:
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    from tasks.store.database import open_store
    from tasks.store.registry import alias_version

    leaky = reviewed("prompt=support-v5")
    review = leaky.metrics
    assert leaky.status.value == "attention" and review.verdict["label"] == "blocked"
    assert "account: " in leaky.findings[0].detail and "unsafe" in leaky.findings[0].detail
    page = Path(leaky.report_path).read_text()
    assert "@example.com" not in page.replace("***@***.com", "")  # the leaked address is masked in the matrix
    assert "c***@***.com" in page

    better = reviewed("prompt=support-v4")  # passes, asked, expires (no one clicks): still judged
    assert better.metrics.verdict["label"] == "better"
    assert any(g.startswith("billing: quality") for g in better.metrics.verdict["gains"])

    cheaper = reviewed("model=gpt-4o-mini")
    verdict = cheaper.metrics.verdict
    assert verdict["label"] == "cheaper" and verdict["passed"]
    assert [loss.split(":")[0] for loss in verdict["losses"]] == ["technical"]
    assert any("per month" in g and "-" in g for g in verdict["gains"])
    with open_store().session() as session:
        assert alias_version(session, SYSTEM, "champion") == 1  # nothing approved: the serving configuration


def test_an_approved_candidate_becomes_champion_and_rollback_restores_the_previous_one(slack_app) -> None:
    from flows.change_review import change_review
    from flows.model_rollback import model_rollback
    from runbooks.loader import load_catalog
    from tasks.store.database import open_store
    from tasks.store.models import AuditEntry
    from tasks.store.registry import alias_history, alias_version, approved_prompts

    spec = load_catalog().get(SYSTEM)
    owner, backup = spec.owner.slack_user_id, spec.owner.backup.slack_user_id
    thread, result = in_thread(change_review, system=SYSTEM, candidate=["prompt=support-v4"],
                               approval_timeout_seconds=300)
    request = paused_request()
    assert "Adopt prompt=support-v4" in str(slack_app.posted()[-1]["blocks"])
    assert slack_app.click(slack_app.receiver_url, SECRET, user_id=owner) == 200
    thread.join(timeout=300)
    assert result[0].status.value == "healthy" and "is the champion (v2" in result[0].headline
    with open_store().session() as session:
        assert alias_version(session, SYSTEM, "champion") == 2
        assert "support-v4" in approved_prompts(session, SYSTEM)
        entry = session.query(AuditEntry).filter_by(action="change.approved").one()
        assert entry.actor == owner and entry.details["approval_id"] == request.id
        assert entry.details["evidence"]["verdict"] == "better"

    thread, result = in_thread(model_rollback, system=SYSTEM, approval_timeout_seconds=300)
    paused_request()
    assert slack_app.click(slack_app.receiver_url, SECRET, user_id=backup) == 200
    thread.join(timeout=300)
    assert result[0].outcome == "Rolled back"
    with open_store().session() as session:
        assert alias_version(session, SYSTEM, "champion") == 1
        assert alias_history(session, SYSTEM)[-1].reason == "rollback from v2"

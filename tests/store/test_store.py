"""The ops store on SQLite and on a real PostgreSQL: idempotence, de-duplication, approvals, registry, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tasks.store.alerts import acknowledge, active_alerts, raise_alert, resolve_recovered, undelivered
from tasks.store.approvals import NotAuthorised, decide, request_approval
from tasks.store.audit import append_audit, broken_links
from tasks.store.database import Store, StoreUnavailable, open_store
from tasks.core.status import AlertState, Delivery
from tasks.store.models import Alert, AuditEntry, Base, CheckResult
from tasks.store.registry import alias_history, alias_version, register_version, set_alias
from tasks.store.results import latest_results, record_result

NIGHT = datetime(2026, 11, 20, tzinfo=UTC)


def alert_args(**overrides: object) -> dict:
    args = dict(system="fraud-scoring", duty="drift", key="drift", severity="warning", title="2 columns drifted",
                summary="s", playbook="runbooks/playbooks/drift.md", destination="U04DANA0001")
    return {**args, **overrides}


def test_migrations_match_the_models(store_url: str) -> None:
    store = Store(store_url)
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    Store(store_url)  # a second open finds the schema at head and changes nothing


def test_check_results_are_idempotent_per_window(store_url: str) -> None:
    store = Store(store_url)
    for headline in ("first run", "re-run"):
        with store.session() as session:
            record_result(session, system="fraud-scoring", duty="drift", window_start=NIGHT,
                          window_end=NIGHT + timedelta(days=1), status="attention", headline=headline,
                          findings={"n": 1})
    with store.session() as session:
        rows = session.scalars(select(CheckResult)).all()
        assert len(rows) == 1
        assert (rows[0].headline, rows[0].runs, rows[0].window_start) == ("re-run", 2, NIGHT)
        record_result(session, system="fraud-scoring", duty="drift", window_start=NIGHT + timedelta(days=1),
                      window_end=NIGHT + timedelta(days=2), status="healthy", headline="next night", findings={})
        assert latest_results(session, "fraud-scoring")["drift"].headline == "next night"


def test_repeat_finding_updates_the_open_alert_and_recovery_resolves_it(store_url: str) -> None:
    store = Store(store_url)
    with store.session() as session:
        first, new = raise_alert(session, **alert_args())
        assert new
    with store.session() as session:
        again, new = raise_alert(session, **alert_args(title="3 columns drifted"))
        assert not new and again.id == first.id and again.occurrences == 2 and again.title == "3 columns drifted"
        other, new = raise_alert(session, **alert_args(duty="outcomes", key="outcomes"))
        assert new and other.id != first.id
    with store.session() as session:
        acknowledge(session, first.id, by="U04DANA0001")
        again, new = raise_alert(session, **alert_args())
        assert not new and again.state == AlertState.acknowledged  # ack is kept while the incident lasts
    with store.session() as session:
        resolved = resolve_recovered(session, "fraud-scoring", "drift", still_firing=[])
        assert [a.id for a in resolved] == [first.id]
        assert [a.duty for a in active_alerts(session, "fraud-scoring")] == ["outcomes"]
    with store.session() as session:
        relapse, new = raise_alert(session, **alert_args())
        assert new and relapse.id != first.id
        assert session.scalar(select(func.count()).select_from(Alert)) == 3


def test_database_refuses_two_open_alerts_for_one_incident(store_url: str) -> None:
    store = Store(store_url)
    with pytest.raises(DBAPIError.__base__):  # IntegrityError on both dialects
        with store.session() as session:
            session.add(Alert(**alert_args(), details={}))
            session.add(Alert(**alert_args(), details={}))
            session.flush()


def test_unconfigured_alerts_are_sent_once_slack_is_configured(store_url: str) -> None:
    store = Store(store_url)
    with store.session() as session:
        alert, _ = raise_alert(session, **alert_args())
        alert.delivery = Delivery.not_configured
    with store.session() as session:
        assert undelivered(session, slack_configured=False) == []
        assert [a.id for a in undelivered(session, slack_configured=True)] == [alert.id]


def test_first_approval_decision_wins_and_only_approvers_decide(store_url: str) -> None:
    store = Store(store_url)
    with store.session() as session:
        request = request_approval(session, system="fraud-scoring", action="promote", summary="v2 over v1",
                                   approvers=["U04DANA0001", "U04LUIS0002"], timeout=timedelta(hours=48))
    with store.session() as session:
        with pytest.raises(NotAuthorised):
            decide(session, request.id, approved=True, by="U0MALLORY1")
    with store.session() as session:
        assert decide(session, request.id, approved=False, by="U04LUIS0002", reason="slice regressed")
        assert not decide(session, request.id, approved=True, by="U04DANA0001")
    with store.session() as session:
        from tasks.store.models import ApprovalRequest

        stored = session.get_one(ApprovalRequest, request.id)
        assert (stored.state, stored.decided_by, stored.reason) == ("rejected", "U04LUIS0002", "slice regressed")
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["approval.requested.promote", "approval.rejected"]


def test_alias_switch_history_and_audit_commit_together(store_url: str) -> None:
    store = Store(store_url)
    with store.session() as session:
        v1 = register_version(session, system="fraud-scoring", artifact_uri="file:///m/1.pkl", metrics={"pr_auc": 0.61})
        v2 = register_version(session, system="fraud-scoring", artifact_uri="file:///m/2.pkl", metrics={"pr_auc": 0.64})
        assert (v1.version, v2.version) == (1, 2)
        set_alias(session, system="fraud-scoring", alias="champion", version=1, actor="steward")
    with pytest.raises(RuntimeError):
        with store.session() as session:
            set_alias(session, system="fraud-scoring", alias="champion", version=2, actor="U04DANA0001")
            raise RuntimeError("crash before commit")
    with store.session() as session:
        assert alias_version(session, "fraud-scoring", "champion") == 1
        assert len(alias_history(session, "fraud-scoring")) == 1
        set_alias(session, system="fraud-scoring", alias="champion", version=2, actor="U04DANA0001", reason="better")
    with store.session() as session:
        history = alias_history(session, "fraud-scoring")
        assert [(h.version, h.previous_version) for h in history] == [(1, None), (2, 1)]
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 2
        with pytest.raises(LookupError):
            set_alias(session, system="fraud-scoring", alias="champion", version=9, actor="x")


def test_audit_trail_is_append_only_and_chained(store_url: str) -> None:
    store = Store(store_url)
    with store.session() as session:
        for i in range(3):
            append_audit(session, actor="steward", action="test", system="fraud-scoring", details={"i": i})
    with store.session() as session:
        assert broken_links(session) == []
    for statement in ("UPDATE audit_trail SET actor = 'mallory'", "DELETE FROM audit_trail"):
        with pytest.raises(DBAPIError, match="append-only"):
            with store.session() as session:
                session.execute(text(statement))
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == 3


def test_tampering_behind_the_triggers_is_detected(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'ops.db'}")
    with store.session() as session:
        for i in range(3):
            append_audit(session, actor="steward", action="test", details={"i": i})
    with store.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_trail_no_update"))
        connection.execute(text("""UPDATE audit_trail SET details = '{"i": 7}' WHERE id = 2"""))
    with store.session() as session:
        assert broken_links(session) == [2]


def test_unreachable_store_is_one_clear_line() -> None:
    with pytest.raises(StoreUnavailable) as info:
        Store("postgresql://steward:s3cret@127.0.0.1:1/ops")
    message = str(info.value)
    assert "unreachable" in message and "127.0.0.1:1" in message
    assert "s3cret" not in message and "\n" not in message


def test_default_store_lives_under_steward_home(_isolated_home) -> None:
    store = open_store()
    assert store.url == f"sqlite:///{_isolated_home / 'steward.db'}"
    assert (_isolated_home / "steward.db").exists()

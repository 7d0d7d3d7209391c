"""Retention purge: nothing is deleted without an approved, current request for this system."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import create_engine, select, text

from runbooks.spec import RunbookSpec
from tasks.compliance.purge import PurgeRefused, execute_purge, ids_hash, plan_purge, request_purge
from tasks.store.approvals import decide
from tasks.store.audit import broken_links
from tasks.store.database import Store
from tasks.store.models import AuditEntry

OWNER, BACKUP = "U04PRIYA003", "U04TOMB0004"


def spec_for(url: str, system: str = "support-assistant") -> RunbookSpec:
    return RunbookSpec.model_validate({
        "system": system, "description": "test", "kind": "llm_app",
        "owner": {"name": "Priya", "role": "Director", "slack_user_id": OWNER,
                  "backup": {"name": "Tom", "slack_user_id": BACKUP}},
        "source": {"url": url, "table": "log"},
        "compliance": {"retention_days": 30},
    })


@pytest.fixture
def log_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    now = datetime.now(UTC).replace(tzinfo=None)
    frame = pd.DataFrame({"request_id": [f"r{i}" for i in range(10)],
                          "ts": [now - timedelta(days=d) for d in (90, 80, 45, 40, 31, 29, 10, 5, 1, 0)]})
    frame.to_sql("log", create_engine(url), index=False)
    return url


def remaining(url: str) -> int:
    with create_engine(url).connect() as connection:
        return connection.execute(text("select count(*) from log")).scalar_one()


def requested(store: Store, spec: RunbookSpec) -> str:
    with store.session() as session:
        return request_purge(session, spec, plan_purge(spec)).id


def test_plan_pins_the_expired_ids(log_url: str) -> None:
    plan = plan_purge(spec_for(log_url))
    assert plan.rows == 5 and plan.ids_hash == ids_hash(["r0", "r1", "r2", "r3", "r4"])


@pytest.mark.parametrize("decision", ["pending", "rejected", "wrong-system", "stale", "unknown"])
def test_refused_purges_delete_nothing(log_url: str, store_url: str, decision: str) -> None:
    store, spec = Store(store_url), spec_for(log_url)
    approval = requested(store, spec)
    target = spec
    if decision == "rejected":
        with store.session() as session:
            decide(session, approval, approved=False, by=OWNER)
    elif decision != "pending":
        with store.session() as session:
            decide(session, approval, approved=True, by=OWNER)
    if decision == "wrong-system":
        target = spec_for(log_url, system="fraud-scoring")
    if decision == "stale":  # a late row arrived for the expired period after the owner looked
        with create_engine(log_url).begin() as connection:
            connection.execute(text("insert into log values ('late', :ts)"),
                               {"ts": datetime.now(UTC).replace(tzinfo=None) - timedelta(days=60)})
    if decision == "unknown":
        approval = "no-such-request"
    before = remaining(log_url)
    with pytest.raises(PurgeRefused, match="nothing deleted|rolled back"):
        with store.session() as session:
            execute_purge(session, target, approval)
    assert remaining(log_url) == before
    with store.session() as session:
        assert not session.scalars(select(AuditEntry).where(AuditEntry.action == "purge.executed")).all()


def test_approved_purge_deletes_exactly_the_expired_rows_and_records_it(log_url: str, store_url: str) -> None:
    store, spec = Store(store_url), spec_for(log_url)
    approval = requested(store, spec)
    with store.session() as session:
        decide(session, approval, approved=True, by=BACKUP)
    with store.session() as session:
        plan = execute_purge(session, spec, approval)
    assert (plan.rows, remaining(log_url)) == (5, 5)
    with store.session() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "purge.executed")).all()
        assert entry.details["count"] == 5 and entry.details["ids_hash"] == ids_hash(f"r{i}" for i in range(5))
        assert entry.actor == BACKUP and broken_links(session) == []
    with pytest.raises(PurgeRefused, match="stale"):  # the same approval cannot run twice
        with store.session() as session:
            execute_purge(session, spec, approval)


def test_purge_in_the_store_database_is_one_transaction(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'both.db'}"
    store = Store(url)
    pd.DataFrame({"request_id": ["old", "new"],
                  "ts": [datetime(2020, 1, 1), datetime.now(UTC).replace(tzinfo=None)]}).to_sql("log", store.engine, index=False)
    spec = spec_for(url)
    approval = requested(store, spec)
    with store.session() as session:
        decide(session, approval, approved=True, by=OWNER)
    with store.session() as session:
        assert execute_purge(session, spec, approval).rows == 1
    assert remaining(url) == 1


def test_owner_approves_a_purge_with_the_signed_slack_button(log_url: str, fake_slack, monkeypatch) -> None:
    """The same path as a model promotion: Block Kit buttons, a signed click, the receiver decides."""
    from deployments.receiver import Receiver
    from tasks.approvals.workflow import post_request
    from tasks.store.database import open_store
    from approval_support import SECRET, click, signed

    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    spec = spec_for(log_url)
    with open_store().session() as session:
        request_id = request_purge(session, spec, plan_purge(spec)).id
    post_request(request_id)
    [message] = fake_slack.posted()
    buttons = next(b for b in message["blocks"] if b["type"] == "actions")["elements"]
    assert message["channel"] == OWNER and {b["value"] for b in buttons} == {request_id}
    assert "Delete 5 rows of log" in message["text"]

    receiver = Receiver(SECRET)
    assert receiver.handle(*signed(click(request_id, "U09MALLORY"))) == 200  # refused: not an approver
    with open_store().session() as session, pytest.raises(PurgeRefused, match="pending"):
        execute_purge(session, spec, request_id)
    assert receiver.handle(*signed(click(request_id, BACKUP))) == 200
    with open_store().session() as session:
        plan = execute_purge(session, spec, request_id)
    assert plan.rows == 5 and remaining(log_url) == 5
    receiver.followups.shutdown(wait=True)

"""A fleet's night in one flow run (``steward night``): each system's duty is a task, stored as its own run would
be; a system that fails alerts its owner, the others still run, and the batch's final state names it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from uuid import UUID

from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from sqlalchemy import select

from tasks.core.status import AlertState
from tasks.render.links import reports_dir
from tasks.store.database import open_store
from tasks.store.models import Alert, CheckResult

from cli_support import steward
from conftest import edited_runbooks


def batch_task_runs(client: SyncPrefectClient, flow_run_id: str, expected: int) -> list[str]:
    """The batch's task runs by name (the index's without its suffix), once the server has recorded ``expected``
    of them: task runs reach it as events, after the flow run's own final state."""
    flow_runs = FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)]))
    for _ in range(50):
        names = ["reports-index" if r.name.startswith("reports-index") else r.name
                 for r in client.read_task_runs(flow_run_filter=flow_runs)]
        if len(names) >= expected:
            return names
        time.sleep(0.2)
    return names


def test_one_flow_run_for_the_fleet_and_a_failing_system_stops_no_other(prefect_api, demo_home, tmp_path: Path) -> None:
    runbooks = edited_runbooks(tmp_path, "fraud-scoring", "system: fraud-scoring", "system: fraud-scoring")
    fraud = (runbooks / "systems" / "fraud-scoring.yaml").read_text()
    (runbooks / "systems" / "fraud-broken.yaml").write_text(  # first in name order: the rest run after it fails
        fraud.replace("system: fraud-scoring", "system: fraud-broken").replace("table: fraud_decisions",
                                                                               "table: fraud_decisionz"))

    result = steward("night", "--duty", "drift", "--runbooks", str(runbooks), "--format", "json", home=demo_home,
                     api=prefect_api)

    assert result.returncode == 1, result.stderr  # something failed or needs attention
    summary = json.loads(result.stdout)
    assert list(summary["failed"]) == ["drift/fraud-broken"] and "fraud_decisionz" in summary["failed"]["drift/fraud-broken"]
    assert set(summary["done"]) == {"drift/fraud-scoring", "drift/support-assistant"}
    with open_store().session() as session:
        stored = {r.system: r for r in session.scalars(select(CheckResult))}
        [failed] = session.scalars(select(Alert).where(Alert.key == "drift:run-failed")).all()
    assert set(stored) == {"fraud-scoring", "support-assistant"}  # each system's result, as its own run stores it
    [batch_run] = {r.flow_run_id for r in stored.values()}  # one flow run for the whole fleet
    assert (failed.system, failed.state, failed.severity) == ("fraud-broken", AlertState.open, "critical")
    assert failed.details["flow_run_id"] == batch_run and "fraud_decisionz" in failed.summary
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(batch_run).state
        task_runs = batch_task_runs(client, batch_run, expected=4)
    assert state.is_failed() and "1 failed (drift/fraud-broken)" in state.message
    # A task run per system's duty, its steps plain calls inside it, and the index: not six task runs per duty.
    assert sorted(task_runs) == ["drift/fraud-broken", "drift/fraud-scoring", "drift/support-assistant", "reports-index"]
    index = (reports_dir() / "index.html").read_text()  # written once, at the end, for the whole fleet
    assert all(f"<section id='{name}'>" in index for name in ("fraud-broken", "fraud-scoring", "support-assistant"))

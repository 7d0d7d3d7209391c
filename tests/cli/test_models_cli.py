"""``steward models`` and ``steward rollback`` as a user runs them (no Prefect needed for these paths)."""

from __future__ import annotations

import json
from pathlib import Path

from cli_support import assert_one_line_error, steward

from tasks.store.database import open_store
from tasks.store.registry import register_version, set_alias


def test_models_lists_versions_and_alias_history(_isolated_home: Path) -> None:
    empty = steward("models", "fraud-scoring", home=_isolated_home)
    assert empty.returncode == 0 and "no registered model versions" in empty.stdout
    with open_store().session() as session:
        register_version(session, system="fraud-scoring", artifact_uri="log:fraud-gbm-1.4", metrics={})
        register_version(session, system="fraud-scoring", artifact_uri="/m/v2.joblib", metrics={"pr_auc": "0.8643"},
                         data_fingerprint="ab" * 32, code_version="deployments.demo.trainer:train_fraud_model@123")
        set_alias(session, system="fraud-scoring", alias="champion", version=1, actor="steward")
        set_alias(session, system="fraud-scoring", alias="champion", version=2, actor="U04DANA0001",
                  reason="approved in Slack", approval_id="0d4a5c1e-aaaa-bbbb-cccc-000000000000")
    listing = json.loads(steward("models", "fraud-scoring", "--format", "json", home=_isolated_home).stdout)
    assert [v["version"] for v in listing["versions"]] == [1, 2]
    assert listing["versions"][1]["data_fingerprint"] == "ab" * 32
    assert [(c["version"], c["previous"], c["actor"]) for c in listing["alias_history"]] == [
        (1, None, "steward"), (2, 1, "U04DANA0001")]
    table = steward("models", "fraud-scoring", home=_isolated_home)
    assert "alias history" in table.stdout and "0d4a5c1e" in table.stdout


def test_rollback_that_cannot_be_asked_for_is_one_line(_isolated_home: Path) -> None:
    assert_one_line_error(steward("rollback", "fraud-scoring", home=_isolated_home), "no champion")
    with open_store().session() as session:
        register_version(session, system="fraud-scoring", artifact_uri="log:fraud-gbm-1.4", metrics={})
        set_alias(session, system="fraud-scoring", alias="champion", version=1, actor="steward")
    assert_one_line_error(steward("rollback", "fraud-scoring", home=_isolated_home), "no predecessor")
    assert_one_line_error(steward("rollback", "fraud-scoring", "--to", "7", home=_isolated_home), "no model version 7")
    assert_one_line_error(steward("models", "no-such-system", home=_isolated_home), "no-such-system")


def test_receiver_without_a_signing_secret_is_one_line(_isolated_home: Path) -> None:
    assert_one_line_error(steward("approvals", "serve", "--port", "0", home=_isolated_home), "signing secret")

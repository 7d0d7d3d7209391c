"""The MLflow mirror of the model registry: a real local MLflow registry, Steward's own registry calls."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mlflow import MlflowClient
from refresh_support import BACKUP, SECRET, in_thread, paused_request, runbooks, slack_app  # noqa: F401 - fixtures

from tasks.store.mlflow import TRACKING_URI_ENV, VERSION_TAG, version_tags
from tasks.store.database import Store, open_store
from tasks.store.models import ModelVersion
from tasks.store.registry import alias_history, alias_version, record_metrics, register_version, set_alias

SYSTEM = "fraud-scoring"
MODEL = f"steward-{SYSTEM}"


def _mlflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MlflowClient:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv(TRACKING_URI_ENV, uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _register_trained(store: Store, alias: str) -> int:
    with store.session() as session:
        record = register_version(
            session, system=SYSTEM, artifact_uri="/models/fraud-scoring/v2.joblib", metrics={"training_rows": 812},
            training_start=datetime(2026, 9, 1, tzinfo=UTC), training_end=datetime(2026, 10, 1, tzinfo=UTC),
            data_fingerprint="ab" * 32, code_version="deployments.demo.trainer:train_fraud_model@0123456789ab")
        set_alias(session, system=SYSTEM, alias=alias, version=record.version, actor="steward")
        return record.version


def test_tags_carry_metrics_and_lineage_as_strings() -> None:
    record = ModelVersion(system=SYSTEM, version=3, artifact_uri="/m/3.joblib", metrics={"pr_auc": 0.86, "gate_passed": True},
                          training_start=datetime(2026, 9, 1, tzinfo=UTC), training_end=None,
                          data_fingerprint="cd" * 32, code_version=None)
    assert version_tags(record) == {
        VERSION_TAG: "3", "steward.metric.gate_passed": "True", "steward.metric.pr_auc": "0.86",
        "steward.training_start": "2026-09-01T00:00:00+00:00", "steward.data_fingerprint": "cd" * 32}


def test_versions_and_alias_switches_are_mirrored(store_url: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    client = _mlflow(tmp_path, monkeypatch)
    store = Store(store_url)
    with store.session() as session:
        register_version(session, system=SYSTEM, artifact_uri="log:fraud-gbm-1.4", metrics={}, code_version="fraud-gbm-1.4")
        set_alias(session, system=SYSTEM, alias="champion", version=1, actor="steward")
    assert client.get_model_version_by_alias(MODEL, "champion").source == "log:fraud-gbm-1.4"

    challenger = _register_trained(store, "challenger")
    with store.session() as session:  # the gate's metrics land after registration, as in model-refresh's compare
        record_metrics(session, SYSTEM, challenger, {"pr_auc": 0.8643})
    assert client.get_model_version_by_alias(MODEL, "challenger").tags["steward.metric.pr_auc"] == "0.8643"
    with store.session() as session:
        set_alias(session, system=SYSTEM, alias="champion", version=challenger, actor="U04DANA0001", reason="approved")

    champion = client.get_model_version_by_alias(MODEL, "champion")
    assert champion.source == "/models/fraud-scoring/v2.joblib"
    assert champion.tags == {
        VERSION_TAG: "2", "steward.metric.training_rows": "812", "steward.metric.pr_auc": "0.8643",
        "steward.training_start": "2026-09-01T00:00:00+00:00", "steward.training_end": "2026-10-01T00:00:00+00:00",
        "steward.data_fingerprint": "ab" * 32, "steward.code_version": "deployments.demo.trainer:train_fraud_model@0123456789ab"}
    assert client.get_model_version_by_alias(MODEL, "challenger").version == champion.version
    mirrored = client.search_model_versions(f"name='{MODEL}'")
    assert sorted(v.tags[VERSION_TAG] for v in mirrored) == ["1", "2"]

    with pytest.raises(RuntimeError), store.session() as session:
        set_alias(session, system=SYSTEM, alias="champion", version=1, actor="U04DANA0001")
        raise RuntimeError("crash before commit")
    assert client.get_model_version_by_alias(MODEL, "champion").tags[VERSION_TAG] == "2"


def test_unreachable_mlflow_never_blocks_a_promotion_and_is_caught_up_later(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    store = Store(f"sqlite:///{tmp_path / 'ops.db'}")
    monkeypatch.setenv(TRACKING_URI_ENV, "http://steward:s3cret@127.0.0.1:1")
    with caplog.at_level(logging.WARNING, logger="steward.mlflow"):
        promoted = _register_trained(store, "champion")
    with store.session() as session:
        assert alias_version(session, SYSTEM, "champion") == promoted
        assert [h.version for h in alias_history(session, SYSTEM)] == [promoted]
    warning = caplog.records[-1].getMessage()
    assert "MLflow mirror of fraud-scoring failed" in warning and "127.0.0.1:1" in warning
    assert "s3cret" not in caplog.text

    client = _mlflow(tmp_path, monkeypatch)  # MLflow is back: the next registry change carries everything
    _register_trained(store, "challenger")
    assert client.get_model_version_by_alias(MODEL, "champion").tags[VERSION_TAG] == str(promoted)
    assert client.get_model_version_by_alias(MODEL, "challenger").tags[VERSION_TAG] == str(promoted + 1)


def test_an_approved_rollback_moves_the_mlflow_champion(slack_app, runbooks, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.model_rollback import model_rollback

    client = _mlflow(tmp_path, monkeypatch)
    store = open_store()
    with store.session() as session:
        register_version(session, system=SYSTEM, artifact_uri="log:fraud-gbm-1.4", metrics={})
        set_alias(session, system=SYSTEM, alias="champion", version=1, actor="steward")
    _register_trained(store, "champion")
    assert client.get_model_version_by_alias(MODEL, "champion").tags[VERSION_TAG] == "2"
    thread, _ = in_thread(model_rollback, system=SYSTEM, runbooks=runbooks(), approval_timeout_seconds=300)
    paused_request()
    assert slack_app.click(slack_app.receiver_url, SECRET, user_id=BACKUP) == 200
    thread.join(timeout=120)
    assert client.get_model_version_by_alias(MODEL, "champion").tags[VERSION_TAG] == "1"

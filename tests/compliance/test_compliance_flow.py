"""The compliance audit end to end: real Prefect, the simulated logs, the ops store and the fake Slack."""

from __future__ import annotations

import json
import logging
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import select

from deployments.demo.simulator import PLANTED_PII
from flows.compliance_audit import compliance_audit
from tasks.compliance.seals import erased_text
from tasks.store.database import open_store
from tasks.store.models import Alert, ApprovalRequest, CheckResult

from conftest import REPO
from cli_support import steward

WEEK = "2026-11-15..2026-11-21"
PLANTED = [v for _, values in PLANTED_PII.values() for v in values]


@pytest.fixture
def slack(fake_slack, monkeypatch):
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    return fake_slack


def sql(home: Path, query: str, *args: object) -> list[tuple]:
    with sqlite3.connect(home / "demo.db") as connection:
        return connection.execute(query, args).fetchall()


def in_week(home: Path, where: str) -> int:
    return sql(home, f"select count(*) from support_interactions where ts >= '2026-11-15' and ts < '2026-11-22' and {where}")[0][0]


def finding(report, key: str):
    return next(f for f in report.findings if f.key == key)


def every_output(home: Path, report, slack, caplog) -> str:
    """Everything the audit wrote or said: files, artifacts, Slack, the ops store, logs, the JSON report."""
    files = [p.read_text(errors="replace") for p in home.rglob("*") if p.is_file() and p.suffix in (".html", ".json")]
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=[f"compliance-{report.system}", f"compliance-{report.system}-summary"])))
    with open_store().session() as session:
        stored = [json.dumps(r.findings) for r in session.scalars(select(CheckResult))]
        stored += [a.summary + a.title for a in session.scalars(select(Alert))]
    return "\n".join([*files, *(json.dumps(a.data) for a in artifacts), json.dumps(slack.posted()), *stored,
                      caplog.text, report.model_dump_json()])


def test_audit_finds_every_leak_counts_exactly_and_shows_no_pii(prefect_api, demo_home, slack, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    report = compliance_audit(system="support-assistant", window=WEEK)
    leaked = sql(demo_home, "select count(*) from support_interactions where ts >= '2026-11-15' and ts < '2026-11-22' "
                 "and (" + " or ".join("instr(user_message, ?) > 0" for _ in PLANTED) + ")", *PLANTED)[0][0]
    assert leaked > 0
    pii = finding(report, "pii")
    assert pii.severity == "critical" and pii.evidence["counts"]["rows_with_pii"] == leaked
    missing = in_week(demo_home, "model_version is null")
    assert missing > 0 and finding(report, "completeness").evidence["counts"]["missing_model_version"] == missing
    assert report.status == "attention" and report.alerts and report.alerts[0].delivery == "sent"
    assert finding(report, "tamper-evidence").evidence["counts"]["sealed_now"] == 14
    pack = json.loads(Path(report.report_path).with_suffix(".json").read_text())
    assert {c["name"] for c in pack["checks"]} >= {"completeness", "outcome-linkage", "pii", "retention-expired",
                                                   "retention-gaps", "human-oversight", "policy-drift", "tamper-evidence"}
    assert len(pack["seals"]) == 14 and all(re.fullmatch("[0-9a-f]{64}", s["seal_hash"]) for s in pack["seals"])
    page = Path(report.report_path).read_text()
    assert all(s["seal_hash"] in page for s in pack["seals"]) and "Scope" in page and "tamper-evidence" in page
    assert any("Compliance audit" in m.get("text", "") for m in slack.posted())

    outputs = every_output(demo_home, report, slack, caplog)
    assert "***@***." in outputs  # masked samples are there ...
    assert [v for v in PLANTED if v in outputs] == []  # ... raw values never


def test_an_edit_to_a_sealed_day_is_caught_and_an_erasure_is_not(prefect_api, demo_home) -> None:
    first = compliance_audit(system="support-assistant", window=WEEK)
    assert finding(first, "tamper-evidence").evidence["verdict"] == "pass"
    [(rid, message)] = sql(demo_home, "select request_id, user_message from support_interactions where ts >= '2026-11-15'"
                           " and ts < '2026-11-22' and instr(user_message, '@') > 0 limit 1")
    with sqlite3.connect(demo_home / "demo.db") as connection:
        # erase the PII the way the playbook says: the seal must survive
        connection.execute("update support_interactions set user_message = ? where request_id = ?",
                           (erased_text(message), rid))
        connection.execute("update support_interactions set tokens_in = tokens_in + 1 where request_id = "
                           "(select request_id from support_interactions where ts >= '2026-11-19' order by ts limit 1)")
    second = compliance_audit(system="support-assistant", window=WEEK)
    tamper = finding(second, "tamper-evidence")
    assert tamper.severity == "critical" and tamper.evidence["counts"]["changed_days"] == ["decisions:2026-11-19"]
    assert "2026-11-19" in tamper.title


def test_fraud_oversight_and_linkage(prefect_api, demo_home) -> None:
    report = compliance_audit(system="fraud-scoring", window=WEEK)
    oversight = finding(report, "human-oversight").evidence["counts"]
    need = sql(demo_home, "select count(*), sum(reviewer is not null and review_ts is not null) from fraud_decisions "
               "where ts >= '2026-11-15' and ts < '2026-11-22' and (decision = 'review' or "
               "(decision = 'decline' and amount > 5000))")[0]
    assert (oversight["need_review"], oversight["reviewed"]) == need
    assert finding(report, "outcome-linkage").evidence["counts"]["rate"] > 0.95
    assert finding(report, "completeness").evidence["verdict"] == "pass"


def test_purge_cli_asks_the_owner_and_deletes_nothing(demo_home, tmp_path) -> None:
    runbooks = tmp_path / "runbooks"
    shutil.copytree(REPO / "runbooks", runbooks)
    spec = yaml.safe_load((REPO / "runbooks/systems/support-assistant.yaml").read_text())
    spec["compliance"].update(retention_days=30, min_retention_days=14)
    (runbooks / "systems/support-assistant.yaml").write_text(yaml.safe_dump(spec))
    before = sql(demo_home, "select count(*) from support_interactions")[0][0]
    result = steward("purge", "support-assistant", "--runbooks", str(runbooks), home=demo_home)
    assert result.returncode == 0, result.stderr
    approval = re.search(r"Approval request ([0-9a-f-]{36})", result.stdout).group(1)
    assert "Nothing deleted" in result.stdout
    assert sql(demo_home, "select count(*) from support_interactions")[0][0] == before
    with open_store().session() as session:
        request = session.get_one(ApprovalRequest, approval)
        assert (request.action, request.state, request.approvers) == ("purge", "pending", ["U04PRIYA003", "U04TOMB0004"])
    refused = steward("purge", "support-assistant", "--approval", approval, "--runbooks", str(runbooks), home=demo_home)
    assert refused.returncode == 2 and refused.stderr.startswith("error: ") and "pending" in refused.stderr
    assert sql(demo_home, "select count(*) from support_interactions")[0][0] == before


def test_a_misnamed_text_field_fails_in_one_line_before_anything_is_sealed(prefect_api, demo_home, tmp_path) -> None:
    from sqlalchemy import func, select

    from conftest import edited_runbooks
    from tasks.io.sources import SourceError
    from tasks.store.database import open_store
    from tasks.store.models import LogSeal

    runbooks = edited_runbooks(tmp_path, "support-assistant", "text_fields: [user_message, response]",
                               "text_fields: [user_mesage, response]")
    with pytest.raises(SourceError, match="source.columns.text_fields names 'user_mesage'"):
        compliance_audit(system="support-assistant", window="2026-11-16..2026-11-21", runbooks=str(runbooks))
    with open_store().session() as session:
        assert session.scalar(select(func.count()).select_from(LogSeal)) == 0

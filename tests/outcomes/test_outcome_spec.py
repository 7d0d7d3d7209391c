"""The runbook's outcomes section: what cannot be measured as written fails when the runbook loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from runbooks.loader import load_catalog

from conftest import REPO


@pytest.fixture
def runbooks(tmp_path: Path) -> Path:
    target = tmp_path / "runbooks"
    shutil.copytree(REPO / "runbooks" / "systems", target / "systems")
    shutil.copytree(REPO / "runbooks" / "playbooks", target / "playbooks")
    return target


def test_shipped_outcome_sections() -> None:
    catalog = load_catalog(REPO / "runbooks")
    fraud = catalog.get("fraud-scoring").outcomes
    support = catalog.get("support-assistant").outcomes
    assert fraud and fraud.flagged_decisions == ["decline"] and fraud.evaluation_days == 14
    assert [m.name for m in fraud.business_metrics] == ["fraud_caught", "fraud_missed", "false_decline_cost"]
    assert support and support.signals.resolved == "resolved" and support.business_metrics[0].factor == 4.5


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("{metric: recall, min: 0.80, slice: total}", "{metric: recal, min: 0.80}", "SLA metric 'recal' is not one of"),
        ("{metric: recall, min: 0.80, slice: channel}", "{metric: recall, min: 0.80, slice: device}",
         "'device' is not in outcomes.slices"),
        ("  flagged_decisions: [decline]\n", "", "'flagged_decisions' or 'flag_threshold'"),
        ("  flagged_decisions: [decline]\n", "  flagged_decisions: [decline]\n  flag_threshold: 0.7\n", "not both"),
        ("cell: false_negative, column: amount}", "cell: resolved, column: amount}", "cell 'resolved' does not exist"),
        ("cell: false_negative, column: amount}", "cell: missed, column: amount}", "Input should be"),
        ("{name: fraud_missed,", "{name: fraud_caught,", "names must be unique"),
        ("{name: fraud_missed,", "{name: 'fraud missed; import os',", "pattern"),
        ("    label: is_fraud\n", "", "needs source.outcomes.label"),
        ("  url: sqlite:///${STEWARD_HOME}/demo.db\n  table: fraud_decisions\n", "  path: logs/*.parquet\n",
         "outcomes.table needs a SQL source"),
    ],
)
def test_unmeasurable_outcome_sections_are_named(runbooks: Path, old: str, new: str, fragment: str) -> None:
    path = runbooks / "systems" / "fraud-scoring.yaml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    [problem] = load_catalog(runbooks).problems
    assert fragment in problem.message
    assert problem.file.endswith("fraud-scoring.yaml")


def test_money_sla_on_a_business_metric_per_day_is_accepted(runbooks: Path) -> None:
    path = runbooks / "systems" / "fraud-scoring.yaml"
    path.write_text(path.read_text().replace("{metric: false_decline_cost_per_day, max: 5000, slice: total}",
                                             "{metric: fraud_missed, max: 50000, slice: channel=app}"))
    assert load_catalog(runbooks).problems == []

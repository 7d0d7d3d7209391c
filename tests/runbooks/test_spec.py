"""Runbook specs: the shipped ones validate; every broken copy names file, line, field and value."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError
import yaml

from runbooks.loader import load_catalog, load_runbook, RunbookError
from runbooks.spec import Duty, RunbookSpec

from conftest import REPO

SHIPPED = REPO / "runbooks"


@pytest.fixture
def runbooks(tmp_path: Path) -> Path:
    """A writable copy of the shipped runbooks folder."""
    target = tmp_path / "runbooks"
    shutil.copytree(SHIPPED / "systems", target / "systems")
    shutil.copytree(SHIPPED / "playbooks", target / "playbooks")
    return target


def fraud(runbooks: Path) -> Path:
    return runbooks / "systems" / "fraud-scoring.yaml"


def problems_of(path: Path) -> list[str]:
    return [str(p) for p in load_catalog(path).problems]


def test_shipped_runbooks_are_valid() -> None:
    catalog = load_catalog(SHIPPED)
    assert catalog.problems == []
    assert set(catalog.specs) == {"fraud-scoring", "support-assistant"}
    fraud_spec = catalog.get("fraud-scoring")
    assert fraud_spec.owner.backup.slack_user_id == "U04LUIS0002"
    assert list(fraud_spec.duties()) == [Duty.drift, Duty.outcomes, Duty.cost, Duty.compliance, Duty.refresh]
    assert catalog.playbook_path("fraud-scoring", Duty.drift).endswith("runbooks/playbooks/drift.md")


def test_every_runbook_the_readme_shows_is_valid(runbooks: Path) -> None:
    """A user copies the README's examples first: each YAML block that declares a system must load."""
    import re

    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", (REPO / "README.md").read_text(), re.S)
              if b.startswith("system:")]
    assert blocks
    for i, block in enumerate(blocks):
        shutil.rmtree(runbooks / "systems")
        (runbooks / "systems").mkdir()
        (runbooks / "systems" / "example.yaml").write_text(block)
        assert problems_of(runbooks) == [], f"README yaml block {i + 1}"


def test_unknown_key_is_an_error_with_file_line_and_key(runbooks: Path) -> None:
    path = fraud(runbooks)
    path.write_text(path.read_text().replace("    psi: 0.2", "    psi: 0.2\n    psii: 0.3"))
    [problem] = load_catalog(runbooks).problems
    assert problem.file == str(path)
    assert problem.field == "drift.thresholds.psii"
    assert "unknown key" in problem.message and problem.value == "0.3"
    assert problem.line == path.read_text().splitlines().index("    psii: 0.3") + 1


def test_missing_owner(runbooks: Path) -> None:
    path = fraud(runbooks)
    data = yaml.safe_load(path.read_text())
    del data["owner"]
    path.write_text(yaml.safe_dump(data))
    assert [p.field for p in load_catalog(runbooks).problems] == ["owner"]
    assert "fraud-scoring.yaml" in problems_of(runbooks)[0] and "Field required" in problems_of(runbooks)[0]


def test_broken_yaml_names_the_line(runbooks: Path) -> None:
    path = fraud(runbooks)
    lines = path.read_text().splitlines()
    at = lines.index("kind: classifier")
    lines[at] = "kind: [classifier"
    path.write_text("\n".join(lines))
    [problem] = load_catalog(runbooks).problems
    assert "invalid YAML" in problem.message
    assert problem.line is not None and at + 1 <= problem.line <= at + 3


@pytest.mark.parametrize(
    ("content", "message"),
    [("- system: x\n- owner: y\n", "top level is a list"), ("", "file is empty"), ("# only a comment\n", "file is empty")],
)
def test_wrong_top_level(runbooks: Path, content: str, message: str) -> None:
    fraud(runbooks).write_text(content)
    [problem] = load_catalog(runbooks).problems
    assert message in problem.message and problem.file.endswith("fraud-scoring.yaml")


def test_duplicate_system_id_names_both_files(runbooks: Path) -> None:
    copy = runbooks / "systems" / "fraud-copy.yaml"
    shutil.copy(fraud(runbooks), copy)
    [problem] = load_catalog(runbooks).problems
    assert problem.field == "system" and "duplicate system id" in problem.message
    assert "fraud-copy.yaml" in problem.file or "fraud-copy.yaml" in problem.message


def test_duplicate_yaml_key_is_not_silently_overwritten(runbooks: Path) -> None:
    path = fraud(runbooks)
    path.write_text(path.read_text().replace("kind: classifier", "kind: classifier\nkind: regressor"))
    [problem] = load_catalog(runbooks).problems
    assert "duplicate key 'kind'" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "field", "fragment"),
    [
        ('cron: "0 2 * * *", timezone: UTC', 'cron: "0 25 * * *", timezone: UTC', "drift.schedule.cron", "cron"),
        ('cron: "0 2 * * *", timezone: UTC', 'cron: "0 2 * * *", timezone: Mars/Olympus', "drift.schedule.timezone", "IANA"),
        ("url: sqlite:///${STEWARD_HOME}/demo.db", "url: postgresql://risk:hunter2@db/prod", "source.url", "password"),
        ("slack_user_id: U04DANA0001", "slack_user_id: dana", "owner.slack_user_id", "pattern"),
        ("label_delay_days: 14", "label_delay_days: -3", "source.outcomes.label_delay_days", "greater than"),
        ("kind: classifier", "kind: ranker", "kind", "classifier"),
    ],
)
def test_bad_values_are_named(runbooks: Path, old: str, new: str, field: str, fragment: str) -> None:
    path = fraud(runbooks)
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    [problem] = load_catalog(runbooks).problems
    assert problem.field == field
    assert fragment in problem.message
    assert "hunter2" not in str(problem)


def test_missing_playbook_is_reported(runbooks: Path) -> None:
    (runbooks / "playbooks" / "cost.md").unlink()
    fields = {p.field for p in load_catalog(runbooks).problems}
    assert fields == {"cost.playbook"}


def test_llm_cost_section_needs_token_columns(runbooks: Path) -> None:
    path = runbooks / "systems" / "support-assistant.yaml"
    path.write_text(path.read_text().replace("    tokens_out: tokens_out\n", ""))
    [problem] = load_catalog(runbooks).problems
    assert "tokens_in, tokens_out and model_name" in problem.message


def test_spec_is_frozen_and_sections_are_optional() -> None:
    spec = load_runbook(SHIPPED / "systems" / "support-assistant.yaml")
    assert Duty.refresh not in spec.duties()
    with pytest.raises(ValidationError):
        spec.system = "other"  # type: ignore[misc]
    minimal = RunbookSpec.model_validate(
        {"system": "tiny", "description": "d", "kind": "regressor",
         "owner": {"name": "A", "role": "R", "slack_user_id": "U1AAA", "backup": {"name": "B", "slack_user_id": "U2BBB"}},
         "source": {"path": "logs/*.parquet"}}
    )
    assert minimal.duties() == {}


def test_load_runbook_raises_with_all_problems(runbooks: Path) -> None:
    path = fraud(runbooks)
    path.write_text(path.read_text().replace("kind: classifier", "kind: ranker").replace("min_rows: 500", "min_rows: 0"))
    with pytest.raises(RunbookError) as info:
        load_runbook(path)
    assert {p.field for p in info.value.problems} == {"kind", "drift.min_rows"}

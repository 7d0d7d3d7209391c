"""Deployments come from the runbooks alone: prefect.yaml and ``steward serve`` share one plan."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from deployments.plan import plan_deployments, render_prefect_yaml
from flows.registry import DUTY_FLOWS, duty_flow, flow_name, flow_path, load_flow
from runbooks.loader import load_catalog

from conftest import REPO


def test_committed_prefect_yaml_is_the_rendered_plan() -> None:
    """Regenerate with `steward deployments --write prefect.yaml` after changing a runbook."""
    rendered = render_prefect_yaml(plan_deployments(load_catalog(REPO / "runbooks")))
    assert (REPO / "prefect.yaml").read_text() == rendered


def test_plan_mirrors_every_runbook_schedule() -> None:
    catalog = load_catalog(REPO / "runbooks")
    planned = {(p.duty, p.system): (p.cron, p.timezone) for p in plan_deployments(catalog) if p.duty is not None}
    expected = {
        (duty, name): (section.schedule.cron, section.schedule.timezone) if section.schedule else (None, "UTC")
        for name, spec in catalog.specs.items()
        for duty, section in spec.duties().items()
        if duty in DUTY_FLOWS
    }
    assert planned == expected
    declared = yaml.safe_load(render_prefect_yaml(plan_deployments(catalog)))["deployments"]
    assert len(declared) == len(expected) + len(catalog.specs) and all(d["work_pool"]["name"] == "steward" for d in declared)


def test_flow_names_match_the_real_flows() -> None:
    for duty in DUTY_FLOWS:
        assert duty_flow(duty).name == flow_name(duty)
    assert load_flow(flow_path(None)).name == flow_name(None) == "owner-report"


def test_every_system_gets_a_monthly_owner_report_in_its_owners_timezone() -> None:
    catalog = load_catalog(REPO / "runbooks")
    reports = {p.system: p for p in plan_deployments(catalog) if p.duty is None}
    assert set(reports) == set(catalog.specs)
    assert reports["support-assistant"].full_name == "owner-report/support-assistant"
    assert (reports["support-assistant"].cron, reports["support-assistant"].timezone) == ("0 9 2 * *", "Europe/Berlin")
    assert reports["fraud-scoring"].entrypoint == "flows/owner_report.py:owner_report"


def test_a_new_runbook_file_adds_its_deployments(tmp_path: Path) -> None:
    shutil.copytree(REPO / "runbooks", tmp_path / "runbooks")
    source = (tmp_path / "runbooks/systems/fraud-scoring.yaml").read_text()
    (tmp_path / "runbooks/systems/fraud-scoring-eu.yaml").write_text(
        source.replace("system: fraud-scoring", "system: fraud-scoring-eu"))
    before = plan_deployments(load_catalog(REPO / "runbooks"))
    after = plan_deployments(load_catalog(tmp_path / "runbooks"))
    added = {p.full_name for p in after} - {p.full_name for p in before}
    fraud_duties = {p.flow_name for p in before if p.system == "fraud-scoring"}
    assert added == {f"{name}/fraud-scoring-eu" for name in fraud_duties}

"""A fleet that batches its nights: one deployment per (schedule, shard), agreeing with what each batch runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from deployments.plan import plan_deployments, render_prefect_yaml, slug
from flows.fleet_night import night_items
from flows.registry import BATCH_FLOW, DUTY_WORK, load_flow, name_of
from runbooks.loader import load_catalog
from runbooks.spec import Duty, Schedule

from conftest import REPO


def batched_fleet(tmp_path: Path, copies: int, shards: int) -> Path:
    """The shipped runbooks, each copied ``copies`` times under new ids, with ``nightly_batch`` in fleet.yaml."""
    folder = tmp_path / "runbooks"
    shutil.copytree(REPO / "runbooks", folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    for template in ("fraud-scoring", "support-assistant"):
        text = (folder / "systems" / f"{template}.yaml").read_text()
        for i in range(copies):
            (folder / "systems" / f"{template}-{i}.yaml").write_text(text.replace(f"system: {template}",
                                                                                  f"system: {template}-{i}"))
    (folder / "fleet.yaml").write_text(f"nightly_batch:\n  shards: {shards}\n")
    return folder


def test_every_scheduled_duty_is_in_exactly_the_batch_that_runs_it(tmp_path: Path) -> None:
    catalog = load_catalog(batched_fleet(tmp_path, copies=4, shards=3))  # 10 systems
    plans = plan_deployments(catalog)
    batches = {p.full_name: p for p in plans if p.flow == BATCH_FLOW}
    assert len(batches) == 8 * 3  # the two templates' four duty schedules, three shards each
    runs: dict[tuple[str, Duty], str] = {}
    for name, batch in batches.items():
        assert (batch.cron, batch.timezone) == (batch.parameters["cron"], batch.parameters["timezone"])
        for item in night_items(catalog, duties=None, **batch.parameters):  # what the flow runs when it fires
            assert (item.system, item.duty) not in runs
            runs[(item.system, item.duty)] = name
    duties = {(p.system, p.duty): p for p in plans if p.system and p.duty}
    scheduled = {key for key, p in duties.items() if p.duty in DUTY_WORK}
    assert set(runs) == scheduled and len(scheduled) == 10 * 4
    for key in scheduled:  # the duty's own deployment stays, unscheduled, for runs by hand
        assert duties[key].cron is None and duties[key].batched_in == runs[key] and duties[key].when == f"in {runs[key]}"
    assert duties[("fraud-scoring", Duty.refresh)].batched_in is None  # waits for an owner: never batched
    assert all(p.cron == "0 9 2 * *" for p in plans if p.duty is None and p.system)  # owner's reports unchanged


def test_prefect_yaml_deploys_the_batches_to_the_work_pool(tmp_path: Path) -> None:
    catalog = load_catalog(batched_fleet(tmp_path, copies=1, shards=2))
    declared = yaml.safe_load(render_prefect_yaml(plan_deployments(catalog)))["deployments"]
    batches = [d for d in declared if d["entrypoint"] == "flows/fleet_night.py:nightly_batch"]
    assert len(batches) == 8 * 2 and len({d["name"] for d in batches}) == 16
    [night] = [d for d in batches if d["name"] == "0_7_x_x_x-america-new_york-shard-2-of-2"]
    assert night["parameters"] == {"shard": "2/2", "cron": "0 7 * * *", "timezone": "America/New_York"}
    assert night["schedules"] == [{"cron": "0 7 * * *", "timezone": "America/New_York"}]
    assert night["work_pool"] == {"name": "steward"}
    drift = next(d for d in declared if d["name"] == "fraud-scoring" and d["entrypoint"].endswith(":drift_check"))
    assert drift["schedules"] == []
    assert load_flow(BATCH_FLOW).name == name_of(BATCH_FLOW) == "nightly-batch"


def test_without_fleet_settings_nothing_is_batched() -> None:
    plans = plan_deployments(load_catalog(REPO / "runbooks"))
    assert all(p.flow != BATCH_FLOW and p.batched_in is None for p in plans)


def test_schedule_slugs_are_distinct_names_prefect_accepts() -> None:
    crons = ["0 2 * * *", "0 2 * * 1-5", "0 2 * * 1,5", "*/15 * * * *", "0 2 1 * *"]
    names = {slug(Schedule(cron=c, timezone=z)) for c in crons for z in ("UTC", "Europe/Berlin")}
    assert len(names) == 10 and not any(set("/%&<> ") & set(n) for n in names)


def test_a_misspelt_fleet_setting_is_a_runbook_problem(tmp_path: Path) -> None:
    folder = batched_fleet(tmp_path, copies=0, shards=2)
    (folder / "fleet.yaml").write_text("nightly_batch:\n  shard: 2\n")
    [problem] = load_catalog(folder).problems
    assert (problem.file, problem.line, problem.field) == (str(folder / "fleet.yaml"), 2, "nightly_batch.shard")
    assert problem.message == "unknown key (typo?)"

"""prefect.yaml must declare exactly the runbooks' schedules for every duty that has a flow."""

from __future__ import annotations

import yaml

from flows.registry import DUTY_FLOWS
from runbooks.loader import load_catalog

from conftest import REPO


def test_prefect_yaml_mirrors_runbook_schedules() -> None:
    declared = yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"]
    entry_to_duty = {path.replace(".", "/", 1).replace(":", ".py:", 1): duty for duty, path in DUTY_FLOWS.items()}
    found = {}
    for d in declared:
        duty = entry_to_duty[d["entrypoint"]]
        [schedule] = d["schedules"]
        found[(duty, d["parameters"]["system"])] = (schedule["cron"], schedule["timezone"])
    expected = {
        (duty, name): (section.schedule.cron, section.schedule.timezone)
        for name, spec in load_catalog(REPO / "runbooks").specs.items()
        for duty, section in spec.duties().items()
        if duty in DUTY_FLOWS and section.schedule
    }
    assert found == expected

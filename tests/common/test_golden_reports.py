"""Every duty's report JSON on the demo log, compared with the golden files recorded before metrics were typed.

The shape of ``steward run --format json`` (and of the stored CheckResult) is a contract with its readers: typing
the metrics must not move a key. Ids, timestamps and paths are left out. ``STEWARD_WRITE_GOLDEN=1`` rewrites
the files (only when the shape is meant to change).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import DEMO_END
from duty_support import compliance_report, cost_report, drift_report, outcome_report, refresh_metrics, scrubbed
from runbooks.loader import default_runbooks_dir, load_catalog
from tasks.core.windows import Window

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "golden_reports"
NOW = datetime.combine(DEMO_END + timedelta(days=1), time(9), UTC)
SHIFT = "2026-10-23"
def reports() -> dict[str, Any]:
    catalog = load_catalog(default_runbooks_dir())
    fraud, support = catalog.get("fraud-scoring"), catalog.get("support-assistant")
    return {
        "drift-fraud-shift": drift_report(fraud, Window.parse(SHIFT), NOW),
        "drift-fraud-healthy": drift_report(fraud, Window.parse("2026-10-20"), NOW),
        "drift-fraud-reference": drift_report(fraud, Window.parse("2026-08-25"), NOW),
        "drift-fraud-before-log": drift_report(fraud, Window.parse("2026-01-01"), NOW),
        "drift-support-spike": drift_report(support, Window.parse("2026-11-08"), NOW),
        "outcomes-fraud-met": outcome_report(fraud, Window.parse("2026-11-01"), NOW),
        "outcomes-fraud-breach": outcome_report(fraud, Window.parse("2026-11-04"), NOW, prior_streak=2),
        "outcomes-fraud-immature": outcome_report(fraud, Window.parse("2026-11-20"), NOW),
        "outcomes-support": outcome_report(support, Window.parse("2026-11-15"), NOW),
        "cost-support-october": cost_report(support, Window.month("2026-10").label(), NOW.date()),
        "cost-support-november": cost_report(support, f"2026-11-01..{DEMO_END}", NOW.date()),
        "cost-fraud-october": cost_report(fraud, Window.month("2026-10").label(), NOW.date()),
        "compliance-fraud-week": compliance_report(fraud, Window.parse("2026-11-10..2026-11-16"), NOW),
        "compliance-support-week": compliance_report(support, Window.parse("2026-11-10..2026-11-16"), NOW),
        "refresh-fraud-metrics": refresh_metrics(fraud, Window.parse("2026-11-01..2026-11-07")),
    }


def as_json(report: Any) -> Any:
    return scrubbed(report if isinstance(report, dict) else report.model_dump(mode="json"))


def test_every_duty_report_keeps_its_golden_json(demo_home: Path) -> None:
    produced = {name: as_json(report) for name, report in reports().items()}
    if os.environ.get("STEWARD_WRITE_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name, data in produced.items():
            (GOLDEN / f"{name}.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        pytest.skip("golden files written")
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(produced)
    for name, data in produced.items():
        golden = json.loads((GOLDEN / f"{name}.json").read_text())
        # the round trip through json keeps key order out of it, float formatting in
        assert json.loads(json.dumps(data)) == golden, f"{name}: the report's JSON shape changed"

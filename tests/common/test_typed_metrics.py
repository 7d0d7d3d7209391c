"""Typed metrics hold every key a report stores, dump only what a verdict set, and older stored rows still load."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from duty_support import scrubbed
from runbooks.spec import Duty
from tasks.common.findings import DutyMetrics, DutyReport, not_judged
from tasks.compliance.metrics import ComplianceReport
from tasks.core.windows import Window
from tasks.cost.metrics import CostMetrics, CostReport
from tasks.drift.metrics import DriftMetrics, DriftReport
from tasks.outcomes.metrics import OutcomeMetrics, OutcomeReport
from tasks.refresh.evaluate import RefreshMetrics

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "golden_reports"
MODELS: dict[str, type[DutyReport]] = {"drift": DriftReport, "outcomes": OutcomeReport, "cost": CostReport,
                                       "compliance": ComplianceReport}


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.stem)
def test_a_stored_report_loads_into_its_typed_model_and_dumps_unchanged(path: Path) -> None:
    """Every key of the recorded JSON has a field: none is dropped on the way in, none added on the way out."""
    stored = json.loads(path.read_text())
    duty = path.stem.split("-")[0]
    if duty == "refresh":
        assert json.loads(RefreshMetrics.model_validate(stored).model_dump_json()) == stored
        return
    if duty == "compliance":  # the scope names the flow run, left out of the golden file
        stored["metrics"]["scope"]["flow_run_id"] = "run"
    report = MODELS[duty].model_validate(stored)
    assert type(report.metrics) is not DutyMetrics
    assert scrubbed(json.loads(report.model_dump_json())) == scrubbed(stored)


def test_a_window_not_judged_carries_the_duty_metrics_with_nothing_set() -> None:
    window = Window.days(datetime(2026, 1, 1, tzinfo=UTC).date())
    for metrics in (DriftMetrics(), OutcomeMetrics(), CostMetrics()):
        report = not_judged("s", Duty.drift, window, "in the future", metrics)
        assert report.model_dump(mode="json")["metrics"] == {}
        assert report.metrics is metrics  # attributes work on every report a duty's flow returns
    assert not_judged("s", Duty.drift, window, "in the future").model_dump()["metrics"] == {}


def test_only_what_the_verdict_set_is_dumped_even_a_default_value() -> None:
    assert DriftMetrics(reference="2026-08-24..2026-09-20").model_dump() == {"reference": "2026-08-24..2026-09-20"}
    metrics = OutcomeMetrics(streak=0)
    metrics.estimate_error = {"roc_auc": 0.01}  # set later by the verdict: dumped too
    assert metrics.model_dump() == {"streak": 0, "estimate_error": {"roc_auc": 0.01}}


def test_older_stored_outcome_rows_still_feed_the_streak_and_the_estimate() -> None:
    """Rows an older version wrote (plain dicts, fewer keys) are read leniently, never validated away."""
    from tasks.outcomes.windows import prior_streak, stored_estimate
    from tasks.store.database import open_store
    from tasks.store.models import CheckResult

    day = datetime(2026, 11, 10, tzinfo=UTC)
    with open_store().session() as session:
        for back, metrics in ((1, {"breached": True}), (2, {"breached": True, "total": {"estimated": {"recall": 0.7}}})):
            start = day - timedelta(days=back)
            session.add(CheckResult(system="s", duty="outcomes", window_start=start, window_end=start + timedelta(days=1),
                                    status="attention", headline="-", findings={"metrics": metrics}))
    with open_store().session() as session:
        assert prior_streak(session, "s", Window(start=day, end=day + timedelta(days=1))) == 2
        older = Window(start=day - timedelta(days=2), end=day - timedelta(days=1))
        assert stored_estimate(session, "s", older) == {"recall": 0.7}

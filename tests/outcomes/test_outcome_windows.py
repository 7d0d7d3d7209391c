"""The outcome review on any day, with any data: windows before, across, inside and after the log."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings

from duty_support import outcome_report, unjudgeable_windows
from generated_classifier_logs import FIRST_DAY, logs, nows, windows, write_log
from tasks.outcomes.windows import plan_windows
from tasks.io.sources import first_timestamp
from tasks.core.windows import Window, cover

from conftest import DEMO_END


def test_the_span_keeps_to_the_days_the_log_covers_and_says_so() -> None:
    from generated_classifier_logs import tiny_spec

    spec = tiny_spec(Path("unused.db"))
    first = datetime.combine(FIRST_DAY, datetime.min.time(), UTC) + timedelta(hours=9)
    now = first + timedelta(days=20)
    plan = plan_windows(spec, Window.days(FIRST_DAY + timedelta(days=1)), now, now, first)
    assert plan.span == Window.days(FIRST_DAY, FIRST_DAY + timedelta(days=1))  # not 3 days back into nothing
    assert plan.coverage is not None and plan.coverage.partial and plan.reference is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=logs(), days=windows(), now=nows())
def test_outcomes_on_generated_logs_and_windows(log, days: tuple[date, date], now: datetime) -> None:
    window = Window.days(*days)
    with tempfile.TemporaryDirectory() as folder:
        spec = write_log(Path(folder) / "log.db", log)
        first = first_timestamp(spec.source)
        report = outcome_report(spec, window, now)
    event(f"{report.status.value}: {report.headline[:30]}")
    coverage = cover(window, first, now)
    if coverage.covered is None:  # before the log, after today, today, or an empty log
        assert report.status == "skipped" and report.findings == [] and report.headline.startswith("Not judged")
    assert all(f.severity != "critical" for f in report.findings)  # one window never pages: only a sustained breach
    if coverage.partial:
        assert report.coverage and "partial window" in report.headline
    if report.coverage:
        assert f"partial window: judged on {report.coverage} only" in report.headline


def test_edge_windows_through_the_flow_alert_no_one(prefect_api, demo_home) -> None:
    from flows.outcome_review import outcome_review
    from tasks.store.database import open_store
    from tasks.store.models import Alert

    today = datetime.now(UTC).date()
    first_day = DEMO_END - timedelta(days=89)
    for window, reason in unjudgeable_windows(today):
        report = outcome_review(system="fraud-scoring", window=window)
        assert report.status == "skipped" and reason in report.headline, window
    straddle = outcome_review(system="fraud-scoring", window=f"{first_day - timedelta(days=2)}..{first_day + timedelta(days=1)}")
    assert straddle.coverage == "2026-08-24..2026-08-25"  # of the 14-day span ending on 2026-08-25
    assert "partial window: judged on 2026-08-24..2026-08-25 only (2 of 14 days)" in straddle.headline
    with open_store().session() as session:
        assert session.query(Alert).count() == 0

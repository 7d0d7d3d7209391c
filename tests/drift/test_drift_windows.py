"""Drift on any day, with any data: windows before, across, inside and after the log; findings that stay bounded."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings

from duty_support import drift_report, unjudgeable_windows
from generated_classifier_logs import FIRST_DAY, logs, nows, tiny_spec, windows, write_log
from tasks.drift.verdict import build_baseline, default_reference, insufficient_reference, judge, judged_days
from tasks.drift.data import summarise
from tasks.common.duty import _summary
from tasks.io.sources import first_timestamp
from tasks.core.windows import Window, cover

from conftest import DEMO_END

SPEC = tiny_spec(Path("unused.db"))
FIRST = datetime.combine(FIRST_DAY, datetime.min.time(), UTC)


def frame(days: int, per_day: int, start: date = FIRST_DAY, channels: list[str] | None = None, seed: int = 0) -> pd.DataFrame:
    """``per_day`` decisions on each of ``days`` days from ``start``, of one steady distribution."""
    rng = np.random.default_rng(seed)
    n = days * per_day
    stamps = [datetime.combine(start + timedelta(days=i // per_day), datetime.min.time(), UTC)
              + timedelta(minutes=int(rng.integers(0, 1440))) for i in range(n)]
    return pd.DataFrame({"rid": [f"r{seed}-{i}" for i in range(n)], "ts": pd.to_datetime(stamps, utc=True),
                         "amount": rng.normal(100, 10, n), "channel": rng.choice(channels or ["web", "app", "pos"], n),
                         "score": rng.uniform(0, 1, n), "decision": rng.choice(["approve", "decline"], n)})


def test_a_window_straddling_the_first_row_is_judged_on_its_covered_days_only() -> None:
    reference = frame(7, 20)
    profile, by_weekday = build_baseline(reference, SPEC)
    window = Window.days(FIRST_DAY - timedelta(days=3), FIRST_DAY + timedelta(days=3))
    coverage = cover(window, FIRST + timedelta(hours=5), now=FIRST + timedelta(days=20))
    current = summarise(frame(4, 20, seed=1), SPEC, profile)
    report = judge(SPEC, window, profile, by_weekday, current, 1, coverage)
    assert report.metrics.expected_rows == 80.0  # 4 covered days of 20, not 7
    assert "volume" not in {f.key for f in report.findings}
    assert report.coverage == "2026-03-01..2026-03-04" and report.window == window
    assert report.headline.endswith("partial window: judged on 2026-03-01..2026-03-04 only (4 of 7 days)")


@pytest.mark.parametrize(("first_offset", "reason"), [
    (3, "ends before the log's first row"),  # the window is wholly before the log
    (-30, "in the future"),
])
def test_windows_without_log_days_are_not_judged(first_offset: int, reason: str) -> None:
    window = Window.days(FIRST_DAY, FIRST_DAY + timedelta(days=1))
    first = FIRST + timedelta(days=first_offset)
    coverage = cover(window, first, now=FIRST - timedelta(days=5) if first_offset < 0 else FIRST + timedelta(days=40))
    assert coverage.covered is None and reason in str(coverage.reason)


def test_default_reference_period_reads_insufficient_data_never_drifted() -> None:
    reference = default_reference(SPEC, FIRST + timedelta(hours=7))
    assert reference.label() == "2026-03-01..2026-03-02"
    inside = cover(Window.days(FIRST_DAY + timedelta(days=1)), FIRST, now=FIRST + timedelta(days=9))
    days = judged_days(SPEC, inside, reference, 500)
    assert days.covered is None and "inside the reference period" in str(days.reason)
    report = insufficient_reference(SPEC, days, reference)
    assert report.status == "skipped" and report.headline.startswith("insufficient data") and not report.findings
    thin = judged_days(SPEC, cover(Window.days(FIRST_DAY + timedelta(days=5)), FIRST, FIRST + timedelta(days=9)),
                       reference, 2)
    assert thin.covered is None and "holds 2 rows (min_rows 3)" in str(thin.reason)
    young = judged_days(SPEC, inside, reference, None)
    assert young.covered is None and "is not over yet" in str(young.reason)
    across = judged_days(SPEC, cover(Window.days(FIRST_DAY, FIRST_DAY + timedelta(days=4)), FIRST,
                                     FIRST + timedelta(days=9)), reference, 500)
    assert across.covered == Window.days(FIRST_DAY + timedelta(days=2), FIRST_DAY + timedelta(days=4))
    assert across.partial  # judged on the days after the reference, and it says so


def test_ten_thousand_new_categories_give_a_bounded_report_in_seconds() -> None:
    profile, by_weekday = build_baseline(frame(7, 200), SPEC)
    current = frame(1, 10_000, start=FIRST_DAY + timedelta(days=10), seed=2)
    current["channel"] = [f"new-{i:05d}" for i in range(len(current))]
    clock = time.perf_counter()
    report = judge(SPEC, Window.days(FIRST_DAY + timedelta(days=10)), profile, by_weekday,
                   summarise(current, SPEC, profile), 1)
    seconds = time.perf_counter() - clock
    channel = next(f for f in report.findings if f.key == "feature:channel")
    assert len(channel.evidence["new_categories"]) == 20 and channel.evidence["new_category_count"] == 50
    assert channel.evidence["unnamed_new_rows"] == 9_950
    assert "(+30 more; 9,950 rows in further unseen values)" in channel.detail and len(channel.detail) < 600
    assert len(report.model_dump_json(include={"findings", "metrics"})) < 30_000  # the ops-store row
    assert len(_summary(report, report.findings)) < 3_000  # the Slack message
    assert seconds < 5, f"{seconds:.1f} s"


def test_many_drifted_columns_are_capped_with_a_summary() -> None:
    names = [f"x{i:02d}" for i in range(60)]
    spec = SPEC.model_copy(update={"drift": SPEC.drift.model_copy(update={"features": names})})
    rng = np.random.default_rng(3)

    def columns(shift: float, n: int, day: date) -> pd.DataFrame:
        base = frame(1, n, start=day, seed=int(shift))
        return base.assign(**{name: rng.normal(shift * (1 + i / 60), 1, n) for i, name in enumerate(names)})

    profile, by_weekday = build_baseline(columns(0, 2_000, FIRST_DAY), spec)
    day = FIRST_DAY + timedelta(days=7)
    report = judge(spec, Window.days(day), profile, by_weekday, summarise(columns(3, 2_000, day), spec, profile), 1)
    assert len(report.findings) == 21
    assert report.findings[0].key == "feature:x59"  # the largest drift first
    summary = report.findings[-1]  # of 40 more drifted columns and 60 out-of-range ones
    assert summary.severity == "info" and summary.title.startswith("100 more findings")
    assert "60 of 62 monitored columns drifted" in report.headline and "and 55 more" in report.headline
    assert len(report.headline) < 200


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=logs(), days=windows(), now=nows())
def test_drift_on_generated_logs_and_windows(log, days: tuple[date, date], now: datetime) -> None:
    judged = Window.days(*days)
    with tempfile.TemporaryDirectory() as folder:
        spec = write_log(Path(folder) / "log.db", log)
        first = first_timestamp(spec.source)
        report = drift_report(spec, judged, now)
    coverage = cover(judged, first, now)
    event(f"{report.status.value}: {report.headline[:40]}")
    if coverage.covered is None:  # before the log, after today, today, or an empty log
        assert report.status == "skipped" and report.findings == [] and report.headline.startswith("Not judged")
    if "rows" in report.metrics and coverage.partial:  # judged on part of the window
        assert report.coverage and "partial window" in report.headline
    if report.coverage:  # partial because of the log's life, or of the reference period it must not overlap
        assert f"partial window: judged on {report.coverage} only" in report.headline
    assert report.status != "healthy" or report.metrics.rows >= spec.drift.min_rows


def test_edge_windows_through_the_flow_alert_no_one(prefect_api, demo_home) -> None:
    from flows.drift_check import drift_check
    from tasks.store.database import open_store
    from tasks.store.models import Alert, CheckResult

    today = datetime.now(UTC).date()
    first_day = DEMO_END - timedelta(days=89)
    for window, reason in unjudgeable_windows(today):
        report = drift_check(system="fraud-scoring", window=window)
        assert report.status == "skipped" and reason in report.headline, window
    straddle = drift_check(system="fraud-scoring",
                           window=f"{first_day - timedelta(days=2)}..{first_day + timedelta(days=2)}")
    assert straddle.status == "skipped" and straddle.headline.startswith("insufficient data")
    assert "inside the reference period 2026-08-24..2026-09-20" in straddle.headline
    with open_store().session() as session:
        assert session.query(Alert).count() == 0
        assert {r.status for r in session.query(CheckResult)} == {"skipped"}
    outage = drift_check(system="fraud-scoring", window=(DEMO_END + timedelta(days=3)).isoformat())
    assert [(f.key, f.severity) for f in outage.findings] == [("volume", "critical")]  # inside the log's life

"""The nightly verdict on the simulated logs, without Prefect: quiet before the shift, loud on its first night."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from deployments.demo.simulator import incidents
from runbooks.loader import load_catalog
from tasks.drift.verdict import build_baseline, expected_rows, judge, rows_by_weekday
from tasks.drift.data import merge_all, split, summarise
from tasks.core.windows import Window

from conftest import DEMO_END, REPO

SPEC = load_catalog(REPO / "runbooks").get("fraud-scoring")
SHIFT = next(i for i in incidents(DEMO_END) if i.name == "device-trust-shift").start
DIP = next(i for i in incidents(DEMO_END) if i.name == "volume-dip").start


@pytest.fixture(scope="module")
def fraud_log() -> pd.DataFrame:
    """The demo's fraud log at its real traffic (~3,000 decisions a night), in memory."""
    from deployments.demo.simulator import simulate_fraud

    decisions, _ = simulate_fraud(DEMO_END)
    return decisions


@pytest.fixture
def nights(fraud_log):
    start = SHIFT - timedelta(days=60)
    reference = fraud_log[(fraud_log.ts >= pd.Timestamp(start, tz="UTC"))
                          & (fraud_log.ts < pd.Timestamp(start + timedelta(days=28), tz="UTC"))]
    profile, by_weekday = build_baseline(reference, SPEC)

    def judge_night(day):
        window = Window.days(day)
        rows = fraud_log[(fraud_log.ts >= window.start) & (fraud_log.ts < window.end)]
        return judge(SPEC, window, profile, by_weekday, summarise(rows, SPEC, profile), baseline_version=1)

    return judge_night


def test_thirty_unshifted_nights_raise_nothing_and_the_shift_is_flagged_on_its_first_night(nights) -> None:
    quiet = [nights(SHIFT - timedelta(days=d)) for d in range(1, 31)]
    noisy = [(r.window.label(), [f.key for f in r.findings]) for r in quiet if r.findings]
    assert noisy == []
    first = nights(SHIFT)
    keys = {f.key for f in first.findings}
    assert {"feature:device_trust_score", "feature:merchant_category"} <= keys
    assert len([k for k in keys if k.startswith("feature:")]) <= 3


def test_empty_window_is_insufficient_data_and_a_volume_incident(nights, fraud_log) -> None:
    report = nights(DEMO_END + timedelta(days=5))  # a night with no rows at all
    assert report.headline.startswith("insufficient data: 0 rows")
    assert [(f.key, f.severity) for f in report.findings] == [("volume", "critical")]
    assert report.status == "attention" and "columns" not in report.metrics


def test_volume_dip_against_the_weekday_and_duplicate_ids(nights, fraud_log) -> None:
    dip = nights(DIP)
    volume = next(f for f in dip.findings if f.key == "volume")
    assert 0.3 < volume.evidence["rows"] / volume.evidence["expected"] < 0.5

    day = Window.days(SHIFT - timedelta(days=3))
    rows = fraud_log[(fraud_log.ts >= day.start) & (fraud_log.ts < day.end)]
    profile, by_weekday = build_baseline(rows, SPEC)
    report = judge(SPEC, day, profile, by_weekday, summarise(pd.concat([rows, rows.iloc[:50]]), SPEC, profile), 1)
    assert [f.title for f in report.findings if f.key == "quality:duplicate_ids"] == ["50 duplicate request_id values"]


def test_missing_rate_and_out_of_range_are_data_quality_findings(fraud_log) -> None:
    day = Window.days(SHIFT - timedelta(days=3))
    rows = fraud_log[(fraud_log.ts >= day.start) & (fraud_log.ts < day.end)]
    profile, by_weekday = build_baseline(rows, SPEC)
    broken = rows.copy()
    broken.loc[broken.index[::5], "amount"] = None
    broken.loc[broken.index[::7], "device_trust_score"] = 5.0
    keys = {f.key for f in judge(SPEC, day, profile, by_weekday, summarise(broken, SPEC, profile), 1).findings}
    assert {"quality:missing:amount", "quality:out_of_range:device_trust_score"} <= keys


def test_weekday_volume_expectation() -> None:
    ts = pd.Series(pd.to_datetime(["2026-11-16 10:00", "2026-11-16 11:00", "2026-11-17 09:00",
                                   "2026-11-23 10:00", "2026-11-23 12:00", "2026-11-23 13:00"], utc=True))
    by_weekday = rows_by_weekday(ts)
    assert by_weekday == {"0": 2.5, "1": 1.0}  # two Mondays (2 and 3 rows), one Tuesday
    assert expected_rows(Window.parse("2026-11-30"), by_weekday) == 2.5
    assert expected_rows(Window.parse("2026-11-30..2026-12-02"), by_weekday) == 2.5 + 1.0 + 1.75


def rounded(value):
    """Floats to 9 significant digits: summing slices in another order moves the last bits only."""
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    return value


def test_partitions_merge_into_the_whole_window_verdict(fraud_log) -> None:
    """A window profiled in slices (as for windows bigger than memory) gives the same verdict, duplicates included."""
    reference = fraud_log[fraud_log.ts < pd.Timestamp(SHIFT - timedelta(days=30), tz="UTC")]
    profile, by_weekday = build_baseline(reference, SPEC)
    window = Window.days(SHIFT, SHIFT + timedelta(days=1))
    rows = fraud_log[(fraud_log.ts >= window.start) & (fraud_log.ts < window.end)]
    rows = pd.concat([rows, rows.iloc[-7:]]).sort_values("ts")  # duplicates that straddle no slice boundary...
    rows = pd.concat([rows, rows.iloc[:5].assign(ts=window.end - timedelta(seconds=1))])  # ...and ones that do
    slices = split(window, 5)
    assert slices[0].start == window.start and slices[-1].end == window.end
    assert all(a.end == b.start for a, b in zip(slices, slices[1:]))
    parts = [summarise(rows[(rows.ts >= s.start) & (rows.ts < s.end)], SPEC, profile) for s in slices]
    merged, whole = merge_all(parts), summarise(rows, SPEC, profile)
    assert (merged.rows, merged.duplicate_ids) == (whole.rows, whole.duplicate_ids) == (len(rows), 12)
    assert rounded(merged.profile.model_dump()) == rounded(whole.profile.model_dump())  # counts exact, sums to 1e-9
    by_parts = judge(SPEC, window, profile, by_weekday, merged, 1)
    at_once = judge(SPEC, window, profile, by_weekday, whole, 1)
    assert rounded(by_parts.model_dump(include={'findings', 'metrics'})) == rounded(at_once.model_dump(include={'findings', 'metrics'}))
    assert "feature:device_trust_score" in {f.key for f in by_parts.findings}

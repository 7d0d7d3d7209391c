"""The compliance audit on any window: before the log, straddling its first row, after its last, today;
rows without a timestamp. Real Prefect, the simulated demo log (first row 2026-08-24), the ops store."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select

from duty_support import unjudgeable_windows
from flows.compliance_audit import compliance_audit
from runbooks.spec import Source
from tasks.io.sources import count_null_timestamps
from tasks.store.database import open_store
from tasks.store.models import Alert, CheckResult, LogSeal


def finding(report, key: str):
    return next(f for f in report.findings if f.key == key)


def stored() -> tuple[int, int, int]:
    with open_store().session() as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) for t in (LogSeal, CheckResult, Alert))


@pytest.fixture
def slack(fake_slack, monkeypatch):
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    return fake_slack


def test_windows_the_log_does_not_cover_are_skipped_before_any_side_effect(prefect_api, demo_home, slack) -> None:
    today = datetime.now(UTC).date()
    for window, reason in unjudgeable_windows(today):
        report = compliance_audit(system="support-assistant", window=window)
        assert report.status == "skipped" and reason in report.headline and report.findings == []
        assert report.report_path is None and report.alerts == []
    assert stored() == (0, 0, 0) and slack.posted() == []


def test_a_window_straddling_the_first_row_is_audited_and_sealed_on_its_covered_days(prefect_api, demo_home) -> None:
    report = compliance_audit(system="support-assistant", window="2026-08-20..2026-08-27")
    assert report.coverage == "2026-08-24..2026-08-27" and "(4 of 8 days)" in report.headline
    assert finding(report, "retention-gaps").evidence["counts"]["missing_days"] == 0
    assert {str(s.day) for s in report.metrics.seals} == {f"2026-08-{d}" for d in range(24, 28)}
    with open_store().session() as session:
        assert min(session.scalars(select(LogSeal.day))) == date(2026, 8, 24)


def test_a_window_without_rows_is_no_data_and_no_day_that_has_not_happened_is_missing(prefect_api, demo_home) -> None:
    today = datetime.now(UTC).date()
    report = compliance_audit(system="support-assistant", window=f"2026-11-25..{today}")
    assert report.status == "no_data" and report.needs_attention()
    assert report.coverage is not None and not report.coverage.endswith(str(today))
    assert report.headline.startswith("No decisions logged in 2026-11-25..")
    assert not [f for f in report.findings if f.severity == "critical"]
    assert all(str(today) not in f.title for f in report.findings)


def test_rows_without_a_timestamp_are_counted_by_completeness(prefect_api, demo_home) -> None:
    with sqlite3.connect(demo_home / "demo.db") as connection:
        connection.execute("update support_interactions set ts = NULL where rowid in "
                           "(select rowid from support_interactions order by rowid limit 7)")
    report = compliance_audit(system="support-assistant", window="2026-11-15..2026-11-21")
    complete = finding(report, "completeness")
    assert complete.evidence["counts"]["log_rows_without_timestamp"] == 7
    assert "7 row(s) in the whole log without a timestamp" in complete.title


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_null_timestamps_are_counted_in_files(tmp_path, kind) -> None:
    frame = pd.DataFrame({"request_id": ["a", "b", "c", "d"],
                          "ts": pd.to_datetime(["2026-11-01", None, "2026-11-02", None], utc=True)})
    path = tmp_path / f"log.{kind}"
    frame.to_parquet(path) if kind == "parquet" else frame.to_csv(path, index=False)
    source = Source(path=str(path), columns={"request_id": "request_id", "timestamp": "ts"})
    assert count_null_timestamps(source) == 2

"""A refresh validates its hold-out window before anything is registered, trained, asked or alerted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flows.model_refresh import holdout_refusal
from tasks.core.windows import Window

FIRST = datetime(2026, 8, 24, 0, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)


def training(holdout: Window, days: int = 60) -> Window:
    return Window(start=holdout.start - timedelta(days=days), end=holdout.start)


@pytest.mark.parametrize(("holdout", "reason"), [
    ("2026-01-01..2026-01-07", "ends before the log's first row (2026-08-24)"),
    ("2026-08-20..2026-08-26", "is only partly in the log (2026-08-24..2026-08-26)"),
    ("2026-08-24..2026-08-30", "the training window 2026-06-25..2026-08-23 lies before the log's first row"),
    ("2026-11-20..2026-11-26", "the labels of the hold-out window 2026-11-20..2026-11-26 mature on 2026-12-11"),
    ("2026-11-28..2026-12-01", "is only partly in the log"),  # ends today
    ("2026-12-05..2026-12-11", "is in the future"),
])
def test_a_hold_out_the_log_cannot_judge_is_refused_with_the_reason(holdout: str, reason: str) -> None:
    window = Window.parse(holdout)
    refusal = holdout_refusal(window, training(window), FIRST, 14, NOW)
    assert refusal is not None and reason in refusal


def test_a_covered_matured_hold_out_is_accepted() -> None:
    window = Window.parse("2026-11-01..2026-11-07")
    assert holdout_refusal(window, training(window), FIRST, 14, NOW) is None
    assert holdout_refusal(window, training(window), None, 14, NOW) == "hold-out window: the log has no rows yet"


def test_an_immature_hold_out_registers_trains_and_asks_nothing(prefect_api, demo_home) -> None:
    from flows.model_refresh import model_refresh
    from tasks.store.database import open_store
    from tasks.store.models import Alert, ApprovalRequest, CheckResult, ModelVersion

    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    report = model_refresh(system="fraud-scoring", window=f"{yesterday - timedelta(days=6)}..{yesterday}")
    assert report.status.value == "skipped" and "labels of the hold-out window" in report.headline
    assert "(label_delay_days 14)" in report.headline and report.findings == []
    with open_store().session() as session:
        assert session.query(ModelVersion).count() == 0  # no champion registered, no challenger trained
        assert session.query(ApprovalRequest).count() == 0 and session.query(Alert).count() == 0
        assert [r.status for r in session.query(CheckResult)] == ["skipped"]

"""The owner's numbers as pure functions: no store, no Prefect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks.core.windows import Window
from tasks.owner.assess import level
from tasks.owner.data import AlertRecord, AliasRecord, ApprovalRecord, RefreshRecord, Result
from tasks.owner.metrics import (
    approvals,
    classifier_money,
    compliance,
    detection_trend,
    incidents,
    refresh_cycles,
    spend,
    step_medians,
    versions_in_use,
)

T0 = datetime(2026, 11, 3, 9, tzinfo=UTC)
NOV = Window.month("2026-11")


def result(duty: str, window_end: datetime, metrics: dict, status: str = "attention", created: datetime = T0,
           start: datetime | None = None) -> Result:
    return Result(duty=duty, window_start=start or window_end - timedelta(days=1), window_end=window_end,
                  status=status, headline="", metrics=metrics, created_at=created, updated_at=created)


def test_money_missed_is_measured_against_the_reference_periods_detection_rate() -> None:
    r = result("outcomes", T0, {
        "evaluation": "2026-10-24..2026-11-06", "days": 14.0,
        "total": {"business": {"caught": 600.0, "missed": 400.0, "declined": 140.0}},
        "reference": {"window": "2026-09-26..2026-10-23",
                      "total": {"business": {"caught": 900.0, "missed": 100.0, "declined": 280.0}}}})
    m = classifier_money(r, "caught", "missed", "declined")
    assert m.detection_rate == pytest.approx(0.6) and m.reference_detection_rate == pytest.approx(0.9)
    assert m.missed_at_reference_rate == pytest.approx(100.0)  # 1,000 of fraud at a 10% miss rate
    assert m.excess_missed == pytest.approx(300.0)
    assert m.false_declines_per_day == pytest.approx(10.0) and m.reference_false_declines_per_day == pytest.approx(10.0)


def test_no_reference_leaves_the_comparison_unknown_not_zero() -> None:
    r = result("outcomes", T0, {"total": {"business": {"caught": 1.0, "missed": 1.0}}})
    m = classifier_money(r, "caught", "missed", "declined")
    assert m.reference_detection_rate is None and m.excess_missed is None


def test_spend_over_budget_uses_the_forecast_when_it_is_larger_and_sums_the_savings() -> None:
    r = result("cost", T0, {"spend": 70.0, "budget": 80.0, "forecast": 95.0, "calls": 10,
                            "recommendations": [{"monthly_saving": 2.5}, {"monthly_saving": 1.25}]},
               start=NOV.start)
    s = spend(r)
    assert s.month == "2026-11" and s.over_budget == pytest.approx(15.0) and s.savings_on_offer == 3.75
    assert spend(result("cost", T0, {"spend": 10.0, "budget": 80.0, "forecast": None})).over_budget is None


def test_spend_to_date_keeps_the_judged_days_not_the_baseline_before_them() -> None:
    days = [{"day": f"2026-10-{d}", "cost": 9.0} for d in (30, 31)] + [{"day": "2026-11-01", "cost": 2.0},
                                                                       {"day": "2026-11-02", "cost": None}]
    s = spend(result("cost", NOV.end, {"spend": 2.0, "by_day": days}, start=NOV.start))
    assert s.by_day == [("2026-11-01", 2.0), ("2026-11-02", None)] and s.last_day == "2026-11-30"


def test_the_detection_trend_bands_the_label_free_estimate_and_dates_each_review_by_its_start() -> None:
    judged = result("outcomes", T0, {"total": {"rows": 1000, "metrics": {"recall": 0.8}, "estimated": {}},
                                     "reference": {"total": {"metrics": {"recall": 0.9}}}})
    unlabelled = result("outcomes", T0 + timedelta(days=1), {"mature": False, "total": {
        "rows": 1000, "metrics": {}, "estimated": {"recall": 0.7, "positives": 40.0}}})
    first, second = detection_trend([judged, unlabelled], T0 - timedelta(days=90), T0 + timedelta(days=1), 0.95)
    assert (first["window_start"], first["realised"], first["reference"]) == (T0 - timedelta(days=1), 0.8, 0.9)
    assert first["estimated_low"] is None and second["realised"] is None
    low, high = second["estimated_low"], second["estimated_high"]
    assert 0.5 < low < 0.7 < high < 0.85  # a Wilson band on 40 expected frauds: wide, as 40 cases are
    narrower = detection_trend([unlabelled], T0, T0 + timedelta(days=1), 0.5)[0]
    assert low < narrower["estimated_low"] < narrower["estimated_high"] < high


def alert(i: int, raised: datetime, ack: float | None, resolve: float | None, window_end: datetime | None = None):
    return AlertRecord(id=i, duty="outcomes", key="k", state="resolved" if resolve else "open", severity="warning",
                       title="t", window_end=window_end, first_seen=raised,
                       acknowledged_at=raised + timedelta(hours=ack) if ack is not None else None,
                       resolved_at=raised + timedelta(hours=resolve) if resolve is not None else None)


def test_incidents_of_the_month_by_their_window_with_unacknowledged_ones_left_out_of_the_median() -> None:
    late_october_window = datetime(2026, 10, 31, tzinfo=UTC)
    found = incidents([alert(1, T0, 1.0, 5.0), alert(2, T0, 3.0, None), alert(3, T0, None, None),
                       alert(4, T0, 0.5, 1.0, window_end=late_october_window)], NOV)
    assert found.count == 3 and found.open == 2 and found.acknowledged == 2
    assert found.median_hours_to_acknowledge == pytest.approx(2.0)
    assert found.median_hours_to_resolve == pytest.approx(5.0)


def test_approvals_counted_by_state() -> None:
    asked = [ApprovalRecord(id=str(i), action="promote", state=s, requested_at=T0, decided_at=None, decided_by=None)
             for i, s in enumerate(["approved", "expired", "expired", "pending"])]
    assert approvals(asked, NOV).model_dump() == {"asked": 4, "approved": 1, "rejected": 0, "expired": 2, "pending": 1}


def _cycle_inputs(with_request: bool):
    h = lambda n: T0 + timedelta(hours=n)  # noqa: E731
    results = [result("outcomes", h(-48), {"breached": False}, "healthy", created=h(-48)),
               result("outcomes", h(-24), {"breached": True}, created=h(0)),
               result("outcomes", h(0), {"breached": True}, created=h(1))]
    refreshes = [RefreshRecord(id=1, window_end=h(0), action="recommended", flow_run_id=None, requested_at=h(2))] \
        if with_request else []
    aliases = [AliasRecord(alias="challenger", version=2, previous_version=None, changed_at=h(6), actor="steward",
                           approval_id=None),
               AliasRecord(alias="champion", version=2, previous_version=1, changed_at=h(30), actor="U1",
                           approval_id="a")]
    asked = [ApprovalRecord(id="a", action="promote", state="approved", requested_at=h(6), decided_at=h(29),
                            decided_by="U1")]
    return refreshes, results, aliases, asked


def test_refresh_cycle_steps_from_first_breach_to_promotion() -> None:
    [cycle] = refresh_cycles(*_cycle_inputs(with_request=True))
    assert cycle.promoted_version == 2 and cycle.decision == "approved"
    assert {k: v for k, v in cycle.hours.items() if v is not None} == {
        "breach_to_request": 2.0, "request_to_challenger": 4.0, "challenger_to_decision": 23.0,
        "decision_to_promotion": 1.0}
    assert step_medians([cycle, cycle])["challenger_to_decision"] == 23.0


def test_a_refresh_started_by_hand_shows_breach_to_challenger_whole() -> None:
    [cycle] = refresh_cycles(*_cycle_inputs(with_request=False))
    assert cycle.requested is None and cycle.hours["breach_to_challenger"] == 6.0
    assert cycle.hours["breach_to_request"] is None and cycle.hours["request_to_challenger"] is None


def test_compliance_counts_violations_seals_and_pii_rows() -> None:
    r = result("compliance", T0, {"checks": [
        {"name": "pii", "title": "PII in logged text", "verdict": "violation", "counts": {"rows_with_pii": 7}},
        {"name": "retention", "title": "Retention", "verdict": "pass"},
        {"name": "policy-drift", "verdict": "pass", "counts": {"versions": {"support-v3": 5}}}],
        "seals": [{"intact": True}, {"intact": True, "new": True}, {"intact": False}]})
    c = compliance([r, r])
    assert c.violations == ["PII in logged text"] and c.pii_rows == 14
    assert (c.seals_verified, c.seals_broken, c.audits) == (2, 2, 2)  # a seal made by the audit is not verified
    assert versions_in_use([r, r]) == {"support-v3": 10}


@given(st.integers(0, 40), st.integers(1, 40))
def test_level_is_zero_to_five_monotone_and_five_only_when_all_pass(passed: int, total: int) -> None:
    passed = min(passed, total)
    assert 0 <= level(passed, total) <= 5
    assert (level(passed, total) == 5) == (passed == total)
    if passed < total:
        assert level(passed, total) <= level(passed + 1, total)

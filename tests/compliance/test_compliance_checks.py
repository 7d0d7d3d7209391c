"""The audit's checks as plain functions: completeness, retention, oversight, policy drift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from pydantic import ValidationError

from runbooks.loader import default_runbooks_dir, load_catalog
from runbooks.spec import ComplianceSection, ReviewRule
from tasks.compliance import checks
from tasks.io.sources import LogHistory, SourceError
from tasks.core.windows import Window

CATALOG = load_catalog(default_runbooks_dir())
SUPPORT, FRAUD = CATALOG.get("support-assistant"), CATALOG.get("fraud-scoring")
AS_OF = datetime(2026, 11, 22, tzinfo=UTC)


def test_completeness_counts_rows_without_model_version_exactly() -> None:
    frame = pd.DataFrame({"request_id": ["a", "b", "c", None], "ts": pd.Timestamp("2026-11-20", tz="UTC"),
                          "model_version": ["m", None, " ", "m"], "prompt_version": ["p", "p", "p", "p"]})
    check = checks.completeness(SUPPORT, frame, rows_without_timestamp=0)
    assert check.counts["missing_model_version"] == 2 and check.counts["missing_request_id"] == 1
    assert check.counts["rows_incomplete"] == 3 and check.counts["unmapped"] == ["decision"]
    assert check.verdict == "violation" and check.examples == ["b", "c"]


def history(days_back: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"request_id": [f"r{d}" for d in days_back],
                         "ts": [AS_OF - timedelta(days=d, hours=1) for d in days_back]})


def log_history(section: ComplianceSection, frame: pd.DataFrame) -> LogHistory:
    return LogHistory.of_rows(frame["ts"], frame["request_id"], examples=checks.EXAMPLES,
                              **checks.retention_bounds(section, AS_OF))


def test_retention_flags_expired_rows_and_gaps_inside_the_minimum() -> None:
    section = ComplianceSection(retention_days=30, min_retention_days=10, regulation="EU AI Act Art. 19, 26")
    frame = history([45, 31, *range(0, 30) ])
    frame = frame[~frame.request_id.isin(["r3", "r4", "r20"])]  # r20 is outside the 10-day minimum
    expired, gaps = checks.retention(section, log_history(section, frame))
    assert expired.counts["expired_rows"] == 2 and expired.examples == ["r45", "r31"]
    assert expired.regulation == "EU AI Act Art. 19, 26" and expired.severity == "critical"
    assert gaps.counts["days"] == [str(AS_OF.date() - timedelta(days=5)), str(AS_OF.date() - timedelta(days=4))]


def test_a_young_log_has_no_gaps_before_it_started() -> None:
    assert checks.missing_days(log_history(ComplianceSection(min_retention_days=183), history([2, 1, 0]))) == []


def test_review_rule_and_override_rate() -> None:
    section = FRAUD.compliance
    frame = pd.DataFrame({
        "request_id": list("abcdef"),
        "decision": ["decline", "decline", "review", "review", "approve", "decline"],
        "amount": [9000, 6000, 10, 20, 9000, 100],
        "reviewer": ["x", "y", "z", None, None, None],
        "review_ts": [pd.Timestamp("2026-11-20", tz="UTC")] * 3 + [None] * 3,
        "final_decision": ["approve", "decline", "decline", "review", "approve", "decline"],
    })
    assert checks.needs_review(section.review_rule, frame).tolist() == [True, True, True, True, False, False]
    check = checks.oversight(FRAUD, frame, section)
    assert check.counts["need_review"] == 4 and check.counts["reviewed"] == 3
    assert check.counts["override_rate"] == 0.5  # of the two reviewed declines, one was reversed; referrals don't count
    assert check.verdict == "violation" and check.examples == ["d"]


def test_policy_drift_names_unapproved_versions() -> None:
    frame = pd.DataFrame({"request_id": ["a", "b", "c"], "prompt_version": ["support-v2", "support-v4", "support-v4"]})
    check = checks.policy_drift(SUPPORT, frame, SUPPORT.compliance)
    assert check.counts["unapproved"] == {"support-v4": 2} and check.examples == ["b", "c"]


def test_rules_are_declarative_and_validated() -> None:
    with pytest.raises(ValidationError):
        ReviewRule.model_validate({"any_of": [{"all_of": [{"column": "x", "op": "in", "value": 3}]}]})
    with pytest.raises(ValidationError):
        ReviewRule.model_validate({"any_of": [{"all_of": [{"column": "x", "op": "__import__", "value": 3}]}]})
    with pytest.raises(ValidationError, match="regular expression"):
        ComplianceSection.model_validate({"national_ids": [{"name": "bad", "pattern": "(unclosed"}]})


def test_linkage_over_the_matured_cohort() -> None:
    found = checks.Linkage(cohort=Window.parse("2026-11-01..2026-11-07"), request_ids=["a", "b", "c", "d"],
                           linked={"a", "c"})
    assert checks.linkage(found, FRAUD.compliance).counts["rate"] == 0.5
    low = checks.linkage(found, FRAUD.compliance.model_copy(update={"min_linkage_rate": 0.9}))
    assert low.verdict == "violation" and low.examples == ["b", "d"] and "2026-11-01..2026-11-07" in low.title


def test_an_empty_period_gives_clear_verdicts() -> None:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in
                          ["request_id", "ts", "model_version", "prompt_version", "user_message", "response"]})
    results = [checks.completeness(SUPPORT, frame, rows_without_timestamp=0), checks.pii(SUPPORT, frame, checks.Detector()),
               *checks.retention(SUPPORT.compliance, log_history(SUPPORT.compliance, frame)),
               checks.policy_drift(SUPPORT, frame, SUPPORT.compliance)]
    assert [c.verdict for c in results] == ["violation", "pass", "pass", "pass", "pass"]
    assert results[0].title == "Incomplete records: no decision column mapped"


def test_a_rule_naming_a_missing_column_is_one_clear_error() -> None:
    frame = pd.DataFrame({"request_id": ["a"], "decision": ["decline"]})
    with pytest.raises(SourceError, match="compliance.review_rule names 'amount'"):
        checks.require_columns(FRAUD, frame)

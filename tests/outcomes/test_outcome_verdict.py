"""The outcome verdict on small synthetic windows: slices, SLA intervals, money, estimates and edge cases."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from runbooks.loader import default_runbooks_dir, load_catalog
from runbooks.spec import BusinessMetric, RunbookSpec, SlaRule
from tasks.io.outcomes import ERROR, ESCALATED, FALLBACK, FLAGGED, KNOWN, LABEL, LATENCY, PREDICTION, RESOLVED, SCORE, TS
from tasks.outcomes.verdict import PROBABILITY, review
from tasks.outcomes.windows import Maturity, OutcomePlan
from tasks.core.windows import Window

DAY = date(2026, 10, 20)
CATALOG = load_catalog(default_runbooks_dir())


def fraud_spec(**outcomes) -> RunbookSpec:
    spec = CATALOG.get("fraud-scoring")
    assert spec.outcomes is not None
    section = spec.outcomes.model_copy(update={
        "slices": ["channel"],
        "sla": [SlaRule(metric="recall", min=0.8), SlaRule(metric="false_positive_rate", max=0.02)],
        "min_slice_size": 100, "min_slice_positives": 30, **outcomes})
    return spec.model_copy(update={"outcomes": section})


def plan(mature: bool = True) -> OutcomePlan:
    window = Window.days(DAY)
    return OutcomePlan(window=window, span=Window.days(DAY - timedelta(days=13), DAY), read=window, reference=None,
                       maturity=Maturity(mature=mature, mature_on=DAY + timedelta(days=15), outcomes_until=None))


def channel(name: str, rows: int, positives: int, caught: int, false_alarms: int = 0) -> pd.DataFrame:
    """Rows of one channel: ``caught`` of the positives and ``false_alarms`` negatives are declined."""
    label = np.r_[np.ones(positives), np.zeros(rows - positives)]
    flagged = np.r_[np.arange(positives) < caught, np.arange(rows - positives) < false_alarms]
    score = np.where(flagged, 0.9, np.where(label == 1, 0.4, 0.05)) + np.linspace(0, 0.01, rows)
    return pd.DataFrame({
        TS: pd.Timestamp(DAY, tz="UTC"), "channel": name, "decision": np.where(flagged, "decline", "approve"),
        "amount": 100.0, LABEL: label, SCORE: score, FLAGGED: flagged, KNOWN: True,
    })


def windowed(*parts: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(parts, ignore_index=True)


def test_slice_breach_is_flagged_while_the_total_holds() -> None:
    rows = windowed(channel("web", 6_000, 300, 270), channel("app", 2_000, 100, 50), channel("pos", 2_000, 100, 90))
    report = review(fraud_spec(), plan(), rows)
    assert report.status == "attention"
    judged = {(j.segment, j.metric): j for j in report.metrics.judgements}
    assert judged["total", "recall"].value == pytest.approx(410 / 500) and judged["total", "recall"].verdict == "met"
    assert judged["channel=app", "recall"].verdict == "breached"
    assert judged["channel=app", "recall"].high < 0.8
    [finding] = report.findings
    assert finding.key == "sla:recall:channel=app" and finding.severity == "warning"
    assert "fraud_missed $5,000" in finding.detail  # 50 missed frauds of $100


def test_business_metrics_follow_the_cost_matrix() -> None:
    rows = windowed(channel("web", 1_000, 60, 45, false_alarms=7))
    total = review(fraud_spec(), plan(), rows).metrics.total
    assert total.business["fraud_caught"] == 4_500
    assert total.business["fraud_missed"] == 1_500
    assert total.business["false_decline_cost"] == 700
    assert total.business["false_decline_cost_per_day"] == pytest.approx(50)  # over the 14-day span
    assert total.decision_rates == {"approve": pytest.approx(0.948), "decline": pytest.approx(0.052)}


def test_noise_in_a_small_slice_does_not_alert() -> None:
    # app: recall 0.73 on 30 positives is within noise of 0.80; pos is too small to judge at all
    rows = windowed(channel("web", 6_000, 300, 260), channel("app", 1_000, 30, 22), channel("pos", 60, 5, 1))
    report = review(fraud_spec(), plan(), rows)
    assert report.status == "healthy" and report.findings == []
    slices = {s.name: s for s in report.metrics.slices}
    assert slices["channel=pos"].status == "insufficient data"
    verdicts = {j.segment: j.verdict for j in report.metrics.judgements if j.metric == "recall"}
    assert verdicts == {"total": "met", "channel=app": "met", "channel=pos": "insufficient data", "channel=web": "met"}


def test_single_class_slice_is_insufficient_not_a_breach() -> None:
    rows = windowed(channel("web", 6_000, 300, 270), channel("pos", 1_000, 0, 0))
    report = review(fraud_spec(), plan(), rows)
    pos = next(s for s in report.metrics.slices if s.name == "channel=pos")
    assert pos.metrics["recall"] is None and "0 positives" in pos.note
    assert report.status == "healthy" and not report.findings


def test_window_without_positive_labels_judges_only_what_it_can() -> None:
    report = review(fraud_spec(), plan(), windowed(channel("web", 3_000, 0, 0, false_alarms=3)))
    verdicts = {(j.segment, j.metric): j.verdict for j in report.metrics.judgements}
    assert verdicts["total", "recall"] == "insufficient data"
    assert verdicts["total", "false_positive_rate"] == "met"
    assert report.status == "healthy" and not report.findings
    assert "recall n/a" in report.headline


def test_empty_window_inside_the_log_is_no_data_without_findings() -> None:
    report = review(fraud_spec(), plan(), channel("web", 10, 1, 1).iloc[:0])
    assert report.status == "no_data" and report.findings == [] and report.needs_attention()
    assert report.headline.startswith("No decisions in")


def test_outcomes_that_never_arrive_are_reported_not_alarmed() -> None:
    rows = windowed(channel("web", 3_000, 100, 10)).assign(**{KNOWN: False})
    report = review(fraud_spec(), plan(mature=True), rows)
    assert report.status == "skipped" and report.headline.startswith("Outcomes missing: only 0%")
    assert [f.severity for f in report.findings] == ["info"]


def test_immature_window_without_an_estimate_waits() -> None:
    report = review(fraud_spec(), plan(mature=False), windowed(channel("web", 3_000, 100, 10)))
    assert report.status == "skipped" and report.findings == []
    assert "labels mature on 2026-11-04" in report.headline


def test_immature_window_is_estimated_and_never_alerts() -> None:
    rows = windowed(channel("web", 6_000, 0, 0), channel("app", 2_000, 0, 0))
    rows[PROBABILITY] = np.where(rows[SCORE] > 0.5, 0.9, np.where(rows["channel"] == "app", 0.03, 0.001))
    rows[FLAGGED] = rows[SCORE] > 0.5
    report = review(fraud_spec(), plan(mature=False), rows)
    estimated = report.metrics.total.estimated
    assert set(estimated) >= {"roc_auc", "recall", "precision", "false_positive_rate", "fraud_missed"}
    assert report.headline.startswith("Estimated (label-free")
    assert report.status == "skipped" and all(f.severity == "info" for f in report.findings)
    assert any(f.key == "estimated:recall:channel=app" for f in report.findings)


def test_estimate_error_is_stored_beside_the_realised_value() -> None:
    rows = windowed(channel("web", 6_000, 300, 270, false_alarms=10))
    stored = {"roc_auc": 0.91, "recall": 0.85}
    report = review(fraud_spec(), plan(), rows, stored_estimate=stored)
    realised = report.metrics.total.metrics
    assert report.metrics.total.estimated == stored
    assert report.metrics.estimate_error["recall"] == pytest.approx(0.85 - realised["recall"])
    assert report.metrics.estimate_error["roc_auc"] == pytest.approx(0.91 - realised["roc_auc"])


def test_sustained_breach_requests_a_refresh() -> None:
    rows = windowed(channel("web", 6_000, 300, 150))
    first = review(fraud_spec(), plan(), rows, prior_streak=0)
    assert first.metrics.streak == 1 and all(f.key != "sustained-breach" for f in first.findings)
    third = review(fraud_spec(), plan(), rows, prior_streak=2)
    assert third.findings[0].key == "sustained-breach" and third.findings[0].severity == "critical"
    healthy = review(fraud_spec(), plan(), windowed(channel("web", 6_000, 300, 290)), prior_streak=5)
    assert healthy.metrics.streak == 0


def test_money_sla_uses_the_daily_rate() -> None:
    spec = fraud_spec(sla=[SlaRule(metric="false_decline_cost_per_day", max=40, slice="total")])
    report = review(spec, plan(), windowed(channel("web", 1_000, 60, 45, false_alarms=7)))  # $700 / 14 days
    [judgement] = report.metrics.judgements
    assert (judgement.value, judgement.verdict) == (pytest.approx(50), "breached")


def support_rows(n: int, resolved_share: float) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    resolved = (rng.random(n) < resolved_share).astype(float)
    escalated = np.where(resolved == 1, 0.0, (rng.random(n) < 0.5).astype(float))
    known = rng.random(n) < 0.9
    return pd.DataFrame({
        TS: pd.Timestamp(DAY, tz="UTC"), "route": rng.choice(["billing", "technical"], n),
        RESOLVED: np.where(known, resolved, np.nan), ESCALATED: np.where(known, escalated, np.nan), KNOWN: known,
        ERROR: (rng.random(n) < 0.02).astype(float), FALLBACK: (rng.random(n) < 0.03).astype(float),
        LATENCY: rng.gamma(4, 500, n),
    })


def test_llm_app_rates_and_latency_by_hand() -> None:
    spec = CATALOG.get("support-assistant")
    rows = support_rows(4_000, 0.6)
    report = review(spec, plan(), rows)
    m = report.metrics.total.metrics
    known = rows[rows[KNOWN]]
    assert m["resolution_rate"] == pytest.approx(known[RESOLVED].mean())
    assert m["escalation_rate"] == pytest.approx(known[ESCALATED].mean())
    assert m["failure_rate"] == pytest.approx(((known[RESOLVED] == 0) & (known[ESCALATED] == 0)).mean())
    assert m["error_rate"] == pytest.approx(rows[ERROR].mean())
    assert m["fallback_rate"] == pytest.approx(rows[FALLBACK].mean())
    assert m["latency_p95_ms"] == pytest.approx(np.quantile(rows[LATENCY], 0.95))
    assert report.metrics.total.business["escalation_cost"] == pytest.approx(4.5 * known[ESCALATED].sum())
    assert report.status == "attention"  # 60% resolved < the 70% SLA
    assert any(f.key == "sla:resolution_rate:total" for f in report.findings)


def test_business_metric_cells_are_validated_per_kind() -> None:
    spec = CATALOG.get("support-assistant")
    assert spec.outcomes is not None
    with pytest.raises(ValueError, match="cell 'false_negative' does not exist for a llm_app"):
        RunbookSpec.model_validate({**spec.model_dump(), "outcomes": {
            **spec.outcomes.model_dump(), "business_metrics": [BusinessMetric(name="x", cell="false_negative").model_dump()]}})


def test_regressor_is_judged_on_mae_rmse_and_bias() -> None:
    fraud = CATALOG.get("fraud-scoring").model_dump(exclude_none=True)
    spec = RunbookSpec.model_validate({
        "system": "delivery-eta", "description": "Predicts delivery minutes.", "kind": "regressor",
        "owner": fraud["owner"],
        "source": {"url": "sqlite:///eta.db", "table": "eta_log", "columns": {"prediction": "eta"},
                   "outcomes": {"table": "eta_actuals", "label": "minutes", "label_delay_days": 1}},
        "outcomes": {"slices": ["region"], "sla": [{"metric": "mae", "max": 5.0}, {"metric": "bias", "max": 2.0}]},
    })
    rng = np.random.default_rng(2)
    actual = rng.gamma(4, 10, 1_000)
    predicted = actual + np.where(np.arange(actual.size) < 500, 1.0, 9.0)  # the north over-predicts by 9
    rows = pd.DataFrame({TS: pd.Timestamp(DAY, tz="UTC"), "region": np.where(np.arange(actual.size) < 500, "south", "north"),
                         LABEL: actual, PREDICTION: predicted, KNOWN: True})
    report = review(spec, plan(), rows)
    total = report.metrics.total.metrics
    assert (total["mae"], total["bias"]) == (pytest.approx(5.0), pytest.approx(5.0))
    assert total["rmse"] == pytest.approx(np.sqrt((500 * 1 + 500 * 81) / 1_000))
    breached = {(j.segment, j.metric) for j in report.metrics.judgements if j.verdict == "breached"}
    assert breached == {("total", "bias"), ("region=north", "mae"), ("region=north", "bias")}


def test_files_as_log_and_outcome_feed(tmp_path) -> None:
    """Parquet decisions with a CSV outcomes feed: joined by request id, labels as true/false text."""
    from tasks.io.outcomes import load_outcome_frame, outcomes_arrived_until

    rows = windowed(channel("web", 400, 40, 36, false_alarms=4))
    log = rows[[TS, "channel", "decision", "amount", SCORE]].rename(columns={TS: "ts", SCORE: "score"})
    log.insert(0, "request_id", [f"r{i}" for i in range(len(log))])
    log.to_parquet(tmp_path / "log.parquet")
    feed = pd.DataFrame({"request_id": log["request_id"][:390], "outcome_ts": "2026-11-01T00:00:00Z",
                         "is_fraud": np.where(rows[LABEL][:390] == 1, "true", "false")})
    feed.to_csv(tmp_path / "outcomes.csv", index=False)
    fraud = CATALOG.get("fraud-scoring").model_dump(exclude_none=True)
    spec = RunbookSpec.model_validate({
        **{k: fraud[k] for k in ("system", "description", "kind", "owner")},
        "source": {"path": str(tmp_path / "log.parquet"), "columns": {"score": "score", "decision": "decision"},
                   "outcomes": {"path": str(tmp_path / "outcomes.csv"), "label": "is_fraud", "label_delay_days": 3}},
        "outcomes": {"slices": ["channel"], "flagged_decisions": ["decline"], "sla": [{"metric": "recall", "min": 0.8}],
                     "business_metrics": [{"name": "fraud_missed", "cell": "false_negative", "column": "amount"}]},
    })
    frame = load_outcome_frame(spec, Window.days(DAY - timedelta(days=13), DAY))
    assert len(frame) == 400 and frame[KNOWN].sum() == 390 and frame[LABEL].sum() == 40
    assert f"{outcomes_arrived_until(spec):%Y-%m-%d}" == "2026-11-01"
    total = review(spec, plan(), frame).metrics.total
    assert total.metrics["recall"] == pytest.approx(0.9) and total.business["fraud_missed"] == 400


def test_rows_without_a_score_or_label_are_left_out_of_the_model_metrics() -> None:
    rows = windowed(channel("web", 1_000, 60, 45))
    rows.loc[:4, SCORE] = np.nan  # five caught frauds lost their score
    rows.loc[5:9, LABEL] = np.nan
    total = review(fraud_spec(), plan(), rows).metrics.total
    assert (total.rows, total.labelled, total.positives) == (1_000, 990, 50)
    assert total.metrics["recall"] == pytest.approx(35 / 50)


def test_rows_without_a_score_are_left_out_of_the_calibration_and_the_estimate() -> None:
    from tasks.outcomes.estimate import calibrate, with_probabilities

    reference = windowed(channel("web", 2_000, 100, 80))
    reference.loc[:2, SCORE] = np.nan
    calibration = calibrate(reference)
    assert calibration is not None and not np.isnan(calibration.scores).any()
    rows = windowed(channel("web", 1_000, 60, 45))
    rows.loc[:4, SCORE] = np.nan
    total = review(fraud_spec(), plan(mature=False), with_probabilities(rows, calibration)).metrics.total
    assert total.estimated["recall"] is not None and 0 <= total.estimated["recall"] <= 1
    assert total.estimated["positives"] < 60  # five rows without a score carry no expected positive


def test_streak_counts_a_long_breach_whole_and_a_stored_estimate_survives_re_reviews() -> None:
    from tasks.outcomes.windows import prior_streak, stored_estimate
    from tasks.store.database import open_store
    from tasks.store.results import record_result

    store = open_store()
    with store.session() as session:
        for back in range(8, 0, -1):  # eight breached days in a row, a healthy one before them
            day = Window.days(DAY - timedelta(days=back))
            metrics = {"breached": back <= 7, "mature": True, "total": {"estimated": {"roc_auc": 0.9 + back / 100}}}
            record_result(session, system="fraud-scoring", duty="outcomes", window_start=day.start,
                          window_end=day.end, status="attention", headline="-", findings={"metrics": metrics})
        assert prior_streak(session, "fraud-scoring", Window.days(DAY)) == 7
        assert stored_estimate(session, "fraud-scoring", Window.days(DAY - timedelta(days=2))) == {"roc_auc": 0.92}
        assert stored_estimate(session, "fraud-scoring", Window.days(DAY)) is None

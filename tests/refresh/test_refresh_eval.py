"""Champion against challenger without Prefect: business impact, slices, the promotion gate, artifacts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from flows.model_refresh import default_holdout
from deployments.demo.trainer import train_fraud_model
from runbooks.spec import PromotionGate, RefreshSection
from tasks.refresh.artifacts import ModelError, fingerprint, load_trainer, predict, save_model
from tasks.refresh.evaluate import evaluate, judge_gate


def frame() -> pd.DataFrame:
    # 8 rows: 4 positives; the 'app' slice holds rows 0-3.
    return pd.DataFrame({"label": [1, 1, 0, 0, 1, 1, 0, 0], "channel": ["app"] * 4 + ["web"] * 4,
                         "amount": [100.0, 50.0, 10.0, 20.0, 300.0, 5.0, 1.0, 2.0]})


def test_business_impact_counts_what_flagging_at_the_threshold_catches_and_misses() -> None:
    scores = np.array([0.9, 0.2, 0.8, 0.1, 0.95, 0.6, 0.3, 0.1])
    result = evaluate(frame(), scores, threshold=0.7, slices=["channel"], value_column="amount")
    b = result.business
    assert (b.flagged, b.positives_caught, b.positives_missed, b.false_alarms) == (3, 2, 2, 1)
    assert (b.value_caught, b.value_missed) == (400.0, 55.0)
    assert set(result.slices) == {"channel=app", "channel=web"}
    assert result.slices["channel=app"].rows == 4 and result.overall.brier is not None


def models(champion_scores: list[float], challenger_scores: list[float]):
    rows = frame()
    kw = dict(threshold=0.5, slices=["channel"])
    return evaluate(rows, np.array(champion_scores), **kw), evaluate(rows, np.array(challenger_scores), **kw)


WEAK = [0.9, 0.2, 0.8, 0.1, 0.9, 0.3, 0.7, 0.1]
PERFECT = [0.9, 0.8, 0.1, 0.2, 0.9, 0.8, 0.1, 0.2]


def test_gate_passes_a_challenger_that_gains_and_regresses_no_slice() -> None:
    verdict = judge_gate(*models(WEAK, PERFECT), PromotionGate(), min_slice_size=1)
    assert verdict.passed and verdict.gain > 0.1 and verdict.reasons == []


def test_gate_fails_without_enough_gain() -> None:
    verdict = judge_gate(*models(PERFECT, PERFECT), PromotionGate(min_gain=0.01), min_slice_size=1)
    assert not verdict.passed and "below the required" in verdict.reasons[0]


def test_gate_fails_when_one_slice_regresses_even_if_overall_gains() -> None:
    app_worse = [0.6, 0.1, 0.9, 0.2, 0.9, 0.8, 0.1, 0.2]  # 'web' perfect, 'app' ranks a negative first
    champion, challenger = models([0.9, 0.8, 0.1, 0.2, 0.9, 0.3, 0.7, 0.1], app_worse)
    gate = PromotionGate(min_gain=-1.0, max_slice_regression=0.02)
    verdict = judge_gate(champion, challenger, gate, min_slice_size=1)
    assert not verdict.passed and any(r.startswith("channel=app") for r in verdict.reasons)
    # Too small a slice (rows or positives) is shown but never gates.
    assert judge_gate(champion, challenger, gate, min_slice_size=5).passed
    assert judge_gate(champion, challenger, gate, min_slice_size=1, min_slice_positives=3).passed


def test_gate_reads_lower_is_better_metrics_the_right_way_round() -> None:
    champion, challenger = models(WEAK, PERFECT)
    assert judge_gate(champion, challenger, PromotionGate(metric="brier", min_gain=0.0), min_slice_size=1).passed
    assert not judge_gate(challenger, champion, PromotionGate(metric="brier", min_gain=0.0), min_slice_size=1).passed


def test_gate_fails_when_the_golden_set_regresses() -> None:
    champion, challenger = models(WEAK, PERFECT)
    verdict = judge_gate(champion, challenger, PromotionGate(), min_slice_size=1, golden=(challenger, champion))
    assert not verdict.passed and verdict.reasons[-1].startswith("golden set")


def test_runbook_refuses_an_unknown_gate_metric() -> None:
    with pytest.raises(ValidationError, match="not a gate metric"):
        PromotionGate(metric="accuracy")


def test_default_holdout_is_the_latest_week_with_matured_labels() -> None:
    from datetime import UTC, datetime

    window = default_holdout(RefreshSection(holdout_days=7), label_delay_days=14, today=datetime(2026, 11, 23, tzinfo=UTC))
    assert window.label() == "2026-11-02..2026-11-08"


def test_trained_model_round_trips_and_scores_unseen_categories(_isolated_home) -> None:
    from runbooks.loader import load_catalog

    spec = load_catalog().get("fraud-scoring")
    rng = np.random.default_rng(1)
    n = 600
    features = pd.DataFrame({c: rng.gamma(2.0, 1.0, n) for c in spec.source.columns.features})
    features.loc[:10, "amount"] = np.nan  # a missing value is imputed, not an error
    for c in ("merchant_category", "country", "channel"):
        features[c] = rng.choice(["a", "b"], n).astype(object)
    labels = pd.Series((features["ip_risk_score"] + rng.normal(0, 0.5, n) > 2).astype(int))
    model = load_trainer(spec.refresh.trainer)(features, labels)
    uri = save_model(model, "fraud-scoring", 2)
    unseen = features.head(5).assign(merchant_category="crypto")
    scores = predict(uri, unseen, spec)
    assert scores.shape == (5,) and ((scores >= 0) & (scores <= 1)).all()
    assert np.allclose(predict(uri, features.head(5), spec), train_fraud_model(features, labels).predict_proba(
        features.head(5))[:, 1])
    logged = predict("log:fraud-gbm-1.4", pd.DataFrame({"score": [0.1, 0.9]}), spec)
    assert logged.tolist() == [0.1, 0.9]
    assert fingerprint(features) == fingerprint(features.copy()) != fingerprint(features.head(10))
    with pytest.raises(ModelError, match="cannot be imported"):
        load_trainer("deployments.demo.trainer:no_such_trainer")


def test_noise_guard_excuses_a_chance_regression_but_not_a_real_one() -> None:
    from tasks.refresh.evaluate import within_noise

    rng = np.random.default_rng(3)
    labels = (rng.random(400) < 0.1).astype(int)
    signal = labels + rng.normal(0, 0.6, 400)
    same_model_other_noise = signal + rng.normal(0, 0.05, 400)
    kw = dict(metric="pr_auc", threshold=0.5)
    assert within_noise(labels, signal, same_model_other_noise, **kw)
    assert not within_noise(labels, signal, rng.normal(0, 1, 400), **kw)  # a challenger that lost the signal
    champion, challenger = models(WEAK, PERFECT)
    excuse_all = judge_gate(challenger, champion, PromotionGate(min_gain=-1.0), min_slice_size=1,
                            noise=lambda _name: True)
    assert excuse_all.passed and excuse_all.excused


def test_golden_set_keeps_positives_up_to_half_then_samples_negatives() -> None:
    from tasks.store.golden import choose_golden

    rows = pd.DataFrame({"label": [1] * 30 + [0] * 970, "i": range(1000)})
    chosen = choose_golden(rows, 100, label="label")
    assert len(chosen) == 100 and chosen["label"].sum() == 30 and chosen["i"].is_unique
    assert choose_golden(rows, 40, label="label")["label"].sum() == 20


def test_labels_are_read_strictly_and_the_latest_correction_wins(tmp_path) -> None:
    """Text labels mean what they say ("false" is 0), unknown labels are left out, a later row corrects an earlier."""
    import pandas as pd

    from runbooks.spec import RunbookSpec
    from tasks.refresh.data import read_labelled
    from tasks.core.windows import Window

    day = pd.Timestamp("2026-11-20 10:00")
    pd.DataFrame({"request_id": ["a", "b", "c", "d"], "ts": [day] * 4, "score": [0.9, 0.1, 0.5, 0.2]}).to_sql(
        "log", f"sqlite:///{tmp_path / 'log.db'}", index=False)
    pd.DataFrame({"request_id": ["a", "b", "c", "b", "d"], "label": ["true", "false", None, "true", "FALSE"],
                  "outcome_ts": [day + pd.Timedelta(days=d) for d in (1, 1, 1, 5, 2)]}).sample(frac=1, random_state=3).to_sql(
        "outcomes", f"sqlite:///{tmp_path / 'log.db'}", index=False)
    spec = RunbookSpec.model_validate({
        "system": "labels-test", "description": "d", "kind": "classifier",
        "owner": {"name": "O", "role": "r", "slack_user_id": "U01OWNER01", "backup": {"name": "B", "slack_user_id": "U01BACK001"}},
        "source": {"url": f"sqlite:///{tmp_path / 'log.db'}", "table": "log", "columns": {"score": "score"},
                   "outcomes": {"table": "outcomes", "label": "label"}},
    })
    frame = read_labelled(spec, Window.parse("2026-11-20"))
    assert dict(zip(frame["request_id"], frame["label"])) == {"a": 1, "b": 1, "d": 0}

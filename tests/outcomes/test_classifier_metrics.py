"""Classifier metrics checked against scikit-learn on the same data, and edge cases by hand."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    precision_score,
    recall_score,
    roc_auc_score,
)

from tasks.metrics.classifier import (
    MetricInputError,
    classifier_metrics,
    expected_calibration_error,
    expected_classifier_metrics,
)


def scored_sample(n: int, fraud_rate: float, seed: int, rounding: int | None = None):
    """Labels with overlapping score distributions; rounding creates many tied scores."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < fraud_rate).astype(int)
    scores = 1 / (1 + np.exp(-(rng.normal(0, 1, n) + 2.2 * labels - 3)))
    if rounding is not None:
        scores = np.round(scores, rounding)
    return labels, scores, scores >= 0.5


@pytest.mark.parametrize(
    ("n", "rate", "rounding"), [(5_000, 0.02, None), (2_000, 0.3, None), (3_000, 0.1, 1), (400, 0.05, 2)]
)
def test_every_metric_matches_scikit_learn(n: int, rate: float, rounding: int | None) -> None:
    labels, scores, flagged = scored_sample(n, rate, seed=n, rounding=rounding)
    m = classifier_metrics(labels, scores, flagged)
    tn, fp, _, _ = confusion_matrix(labels, flagged).ravel()
    assert (m.rows, m.positives, m.predicted_positive) == (n, labels.sum(), flagged.sum())
    assert m.precision == pytest.approx(precision_score(labels, flagged))
    assert m.recall == pytest.approx(recall_score(labels, flagged))
    assert m.false_positive_rate == pytest.approx(fp / (fp + tn))
    assert m.roc_auc == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert m.pr_auc == pytest.approx(average_precision_score(labels, scores), abs=1e-12)
    assert m.brier == pytest.approx(brier_score_loss(labels, scores))


def test_ece_by_hand() -> None:
    # bin 0.1-0.2: scores 0.1, 0.1 -> mean 0.1, observed 0.5 -> |gap| 0.4 over 2 of 4 rows
    # bin 0.9-1.0: scores 0.9, 1.0 -> mean 0.95, observed 1.0 -> |gap| 0.05 over 2 of 4 rows
    labels, scores = [0, 1, 1, 1], [0.1, 0.1, 0.9, 1.0]
    assert expected_calibration_error(labels, scores) == pytest.approx(0.5 * 0.4 + 0.5 * 0.05)
    assert classifier_metrics(labels, scores, [False, False, True, True]).ece == pytest.approx(0.225)


def test_perfect_calibration_has_no_ece() -> None:
    labels = [1, 0, 0, 0, 1, 1, 1, 0]
    scores = [0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75]
    assert expected_calibration_error(labels, scores) == pytest.approx(0.0)


def test_ties_count_half_in_roc_auc() -> None:
    m = classifier_metrics([0, 1], [0.5, 0.5], [False, False])
    assert m.roc_auc == pytest.approx(0.5)
    assert m.precision is None  # nothing flagged


def test_no_positives_leaves_recall_and_aucs_undefined() -> None:
    m = classifier_metrics([0, 0, 0], [0.1, 0.8, 0.3], [False, True, False])
    assert (m.positives, m.recall, m.roc_auc, m.pr_auc) == (0, None, None, None)
    assert m.false_positive_rate == pytest.approx(1 / 3)
    assert m.precision == 0.0


def test_only_positives_leaves_fpr_and_roc_auc_undefined() -> None:
    m = classifier_metrics([1, 1], [0.9, 0.2], [True, False])
    assert (m.false_positive_rate, m.roc_auc) == (None, None)
    assert m.recall == 0.5
    assert m.pr_auc == pytest.approx(1.0)


def test_empty_input_is_all_undefined() -> None:
    m = classifier_metrics([], [], [])
    assert m.rows == 0
    assert all(getattr(m, f) is None for f in ("precision", "recall", "false_positive_rate", "roc_auc", "brier", "ece"))


def test_scores_that_are_not_probabilities_skip_calibration() -> None:
    m = classifier_metrics([0, 1, 0, 1], [-2.0, 3.0, 0.5, 1.0], [False, True, False, True])
    assert (m.brier, m.ece) == (None, None)
    assert m.roc_auc == pytest.approx(roc_auc_score([0, 1, 0, 1], [-2.0, 3.0, 0.5, 1.0]))


@pytest.mark.parametrize(
    ("labels", "scores", "predicted", "message"),
    [
        ([0, 2], [0.1, 0.2], [False, True], "0/1"),
        ([0, 1], [0.1], [False, True], "lengths differ"),
        ([0, 1], [0.1, float("nan")], [False, True], "missing"),
    ],
)
def test_bad_input_is_a_clear_error(labels, scores, predicted, message: str) -> None:
    with pytest.raises(MetricInputError, match=message):
        classifier_metrics(labels, scores, predicted)


def test_metrics_are_frozen() -> None:
    with pytest.raises(ValidationError):
        classifier_metrics([0, 1], [0.2, 0.7], [False, True]).recall = 1.0  # type: ignore[misc]


def test_estimate_with_hard_probabilities_equals_realised() -> None:
    labels, scores, flagged = scored_sample(3_000, 0.05, seed=7)
    realised = classifier_metrics(labels, scores, flagged)
    estimate = expected_classifier_metrics(labels.astype(float), scores, flagged)
    for field in ("precision", "recall", "false_positive_rate", "roc_auc", "pr_auc"):
        assert getattr(estimate, field) == pytest.approx(getattr(realised, field))
    assert (estimate.brier, estimate.ece) == (None, None)


def test_estimate_from_calibrated_scores_tracks_realised_auc() -> None:
    """When labels are drawn from the scores, the expected AUC is close to the realised one."""
    rng = np.random.default_rng(3)
    scores = 1 / (1 + np.exp(-rng.normal(-3, 1.5, 200_000)))
    labels = (rng.random(scores.size) < scores).astype(int)
    flagged = scores >= 0.5
    realised = classifier_metrics(labels, scores, flagged)
    estimate = expected_classifier_metrics(scores, scores, flagged)
    assert estimate.roc_auc == pytest.approx(realised.roc_auc, abs=0.01)
    assert estimate.recall == pytest.approx(realised.recall, abs=0.02)
    assert estimate.positives == pytest.approx(realised.positives, rel=0.05)


def test_estimate_rejects_probabilities_outside_unit_interval() -> None:
    with pytest.raises(MetricInputError, match="within"):
        expected_classifier_metrics([0.2, 1.3], [0.2, 0.9], [False, True])

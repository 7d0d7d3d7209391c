"""Regression, LLM-app, interval and calibration pieces of the outcome review, against scikit-learn or by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import mean_absolute_error, mean_squared_error

from tasks.metrics.classifier import MetricInputError
from tasks.metrics.outcome import fit_calibration, latency_quantiles, regression_metrics, share, wilson_interval

rng = np.random.default_rng(11)


def test_regression_metrics_match_scikit_learn() -> None:
    actual = rng.gamma(2, 50, 2_000)
    predicted = actual * 1.1 + rng.normal(0, 20, actual.size)
    m = regression_metrics(actual, predicted)
    assert m.mae == pytest.approx(mean_absolute_error(actual, predicted))
    assert m.rmse == pytest.approx(np.sqrt(mean_squared_error(actual, predicted)))
    assert m.bias == pytest.approx(np.mean(predicted - actual))
    assert m.bias > 0  # the model over-predicts by construction


def test_regression_edge_cases() -> None:
    assert regression_metrics([], []).mae is None
    with pytest.raises(MetricInputError, match="lengths differ"):
        regression_metrics([1.0, 2.0], [1.0])


def test_share_ignores_unknown_outcomes() -> None:
    assert share([1.0, 0.0, np.nan, 1.0]) == (pytest.approx(2 / 3), 3)
    assert share([np.nan, np.nan]) == (None, 0)


def test_latency_quantiles_by_numpy_definition() -> None:
    latency = np.arange(1, 101, dtype=float)
    q = latency_quantiles(np.r_[latency, np.nan])
    assert q == {"latency_p50_ms": 50.5, "latency_p95_ms": pytest.approx(95.05), "latency_p99_ms": pytest.approx(99.01)}
    assert latency_quantiles([])["latency_p95_ms"] is None


def test_wilson_interval_by_hand() -> None:
    # p = 0.5, n = 100, z = 1.96: centre 0.5, half-width 1.96 * sqrt(0.0025 + 0.000096) / 1.0384 = 0.0962
    low, high = wilson_interval(0.5, 100, 0.95)
    assert (low, high) == (pytest.approx(0.4038, abs=1e-4), pytest.approx(0.5962, abs=1e-4))
    low, high = wilson_interval(0.0, 20, 0.95)  # no successes: still a non-empty interval
    assert low == 0.0 and high == pytest.approx(0.1611, abs=1e-4)
    assert wilson_interval(0.3, 0, 0.95) == (0.0, 1.0)


def test_isotonic_calibration_matches_scikit_learn() -> None:
    scores = np.round(rng.beta(1, 20, 20_000), 3)
    labels = (rng.random(scores.size) < np.clip(0.6 * scores + 0.002, 0, 1)).astype(int)
    ours = fit_calibration(labels, scores)
    theirs = IsotonicRegression(out_of_bounds="clip").fit(scores, labels)
    grid = np.unique(scores)
    np.testing.assert_allclose(ours.apply(grid), theirs.predict(grid), atol=1e-9)
    assert ours.rows == scores.size


def test_calibration_without_both_classes_is_the_identity() -> None:
    calibration = fit_calibration([0, 0, 0], [0.2, 0.5, 0.9])
    np.testing.assert_allclose(calibration.apply([0.2, 0.5]), [0.2, 0.5])

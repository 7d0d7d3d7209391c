"""Drift statistics as plain functions: effect sizes decide, p-values never do."""

from __future__ import annotations

import numpy as np
import pandas as pd

from runbooks.spec import DriftThresholds
from tasks.drift_stats import column_kind, compare_columns, psi

T = DriftThresholds()
rng = np.random.default_rng(0)


def test_large_negligible_shift_is_not_drift_even_with_a_tiny_p_value() -> None:
    ref, cur = pd.Series(rng.normal(0, 1, 200_000)), pd.Series(rng.normal(0.03, 1, 200_000))
    [result] = compare_columns(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}), ["x"], T)
    assert result.p_value is not None and result.p_value < 1e-6
    assert not result.drifted and result.kind == "numeric"


def test_real_shift_is_drift() -> None:
    ref, cur = pd.Series(rng.beta(6, 2, 20_000)), pd.Series(rng.beta(3, 3, 5_000))
    [result] = compare_columns(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}), ["x"], T)
    assert result.drifted and result.score >= T.wasserstein and result.psi > 0.2


def test_new_category_is_named_and_categorical_shift_judged_by_js() -> None:
    ref = pd.DataFrame({"c": rng.choice(["a", "b", "c"], 10_000, p=[0.6, 0.3, 0.1])})
    cur = pd.DataFrame({"c": rng.choice(["a", "b", "crypto"], 2_000, p=[0.3, 0.3, 0.4])})
    [result] = compare_columns(ref, cur, ["c"], T)
    assert result.kind == "categorical" and result.method == "jensen_shannon"
    assert result.new_categories == ["crypto"] and result.drifted


def test_same_distribution_is_not_drift() -> None:
    ref = pd.DataFrame({"c": rng.choice(["a", "b"], 10_000), "x": rng.lognormal(3, 1, 10_000)})
    cur = pd.DataFrame({"c": rng.choice(["a", "b"], 3_000), "x": rng.lognormal(3, 1, 3_000)})
    assert not any(r.drifted for r in compare_columns(ref, cur, ["c", "x"], T))


def test_column_kinds_and_psi() -> None:
    assert column_kind(pd.Series([True, False] * 50)) == "categorical"
    assert column_kind(pd.Series([0, 1, 2] * 50)) == "categorical"
    assert column_kind(pd.Series(np.arange(100) / 3)) == "numeric"
    assert psi(np.array([50, 50]), np.array([50, 50])) == 0.0
    assert psi(np.array([50, 50]), np.array([90, 10])) > 0.5

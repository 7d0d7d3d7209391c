"""Drift scores from profiles, checked against independent computations (scipy or by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from runbooks.spec import DriftThresholds
from tasks.drift.stats import compare_profiles, decile_groups, psi, quantile
from tasks.core.profiles import column_kind, profile_like, profile_table, reference_profile

T = DriftThresholds()
rng = np.random.default_rng(0)


def drift(ref: pd.DataFrame, cur: pd.DataFrame):
    reference = profile_table(ref)
    return {c.name: c for c in compare_profiles(reference, profile_table(cur, reference=reference), T)}


@pytest.mark.parametrize(
    "make",
    [
        lambda n, shifted: rng.normal(0.5 if shifted else 0, 1.3 if shifted else 1, n),
        lambda n, shifted: rng.lognormal(1, 1.5 if shifted else 1, n),
        lambda n, shifted: rng.pareto(2.0 if shifted else 2.5, n),
        lambda n, shifted: np.where(rng.random(n) < (0.35 if shifted else 0.6), 0.0, rng.gamma(2, 3, n)),
        lambda n, shifted: rng.poisson(33 if shifted else 30, n).astype(float),
    ],
    ids=["normal", "lognormal", "pareto", "zero-inflated", "counts"],
)
def test_binned_wasserstein_and_ks_match_scipy(make) -> None:
    ref, cur = make(200_000, False), make(50_000, True)
    result = drift(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}))["x"]
    exact = stats.wasserstein_distance(ref, cur) / np.std(ref)
    assert result.score == pytest.approx(exact, rel=0.05, abs=0.005)
    d = stats.ks_2samp(ref, cur).statistic
    assert result.p_value == pytest.approx(stats.kstwobign.sf(d * np.sqrt(200_000 * 50_000 / 250_000)), abs=1e-3)


def test_psi_and_js_on_deciles_match_a_hand_computation() -> None:
    ref, cur = rng.normal(0, 1, 100_000), rng.normal(0.4, 1, 20_000)
    result = drift(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}))["x"]
    cuts = np.quantile(ref, np.linspace(0, 1, 11)[1:-1])
    p = np.bincount(np.searchsorted(cuts, ref), minlength=10) / len(ref)
    q = np.bincount(np.searchsorted(cuts, cur), minlength=10) / len(cur)
    assert result.psi == pytest.approx(np.sum((q - p) * np.log(q / p)), rel=0.03)
    assert result.jensen_shannon == pytest.approx(jensenshannon(p, q, base=2), rel=0.03)


def test_categorical_scores_match_scipy_and_name_new_categories() -> None:
    ref = pd.DataFrame({"c": rng.choice(["a", "b", "c"], 10_000, p=[0.6, 0.3, 0.1])})
    cur = pd.DataFrame({"c": rng.choice(["a", "b", "crypto"], 2_000, p=[0.3, 0.3, 0.4])})
    result = drift(ref, cur)["c"]
    labels = ["a", "b", "c", "crypto"]
    rc = np.array([(ref.c == k).sum() for k in labels], float)
    cc = np.array([(cur.c == k).sum() for k in labels], float)
    assert result.score == pytest.approx(jensenshannon(rc, cc, base=2), abs=1e-6)
    assert result.p_value == pytest.approx(stats.chi2_contingency(np.vstack([rc, cc]))[1])
    assert result.new_categories == ["crypto"] and result.drifted and result.kind == "categorical"


def test_null_case_300k_rows_raises_no_alarm() -> None:
    n = 300_000
    def sample() -> pd.DataFrame:
        return pd.DataFrame({
            "normal": rng.normal(5, 2, n), "lognormal": rng.lognormal(3, 1, n), "counts": rng.poisson(30, n),
            "uniform": rng.uniform(0, 1, n), "cat": rng.choice(list("abcdefgh"), n), "flag": rng.random(n) < 0.3,
        })
    results = drift(sample(), sample())
    assert not [name for name, r in results.items() if r.drifted]
    assert all(r.score is not None and r.score < 0.02 for r in results.values())


def test_large_negligible_shift_has_tiny_p_value_but_no_verdict() -> None:
    result = drift(pd.DataFrame({"x": rng.normal(0, 1, 300_000)}), pd.DataFrame({"x": rng.normal(0.03, 1, 300_000)}))["x"]
    assert result.p_value < 1e-6 and not result.drifted


def test_real_shift_is_drift() -> None:
    result = drift(pd.DataFrame({"x": rng.beta(6, 2, 20_000)}), pd.DataFrame({"x": rng.beta(3, 3, 5_000)}))["x"]
    assert result.drifted and result.score >= T.wasserstein and result.psi > 0.2


def test_merged_partition_profiles_equal_the_profile_of_the_concatenation() -> None:
    frame = pd.DataFrame({"x": rng.lognormal(0, 1, 30_000), "c": rng.choice(["a", "b", "z"], 30_000),
                          "k": rng.integers(0, 5, 30_000)})
    frame.loc[::97, "x"] = np.nan
    reference = profile_table(frame.iloc[:10_000])
    whole = profile_table(frame.iloc[10_000:], reference=reference)
    parts = [profile_table(frame.iloc[a:b], reference=reference) for a, b in [(10_000, 17_000), (17_000, 25_000), (25_000, 30_000)]]
    merged = parts[0].merge(parts[1]).merge(parts[2])
    assert merged.rows == whole.rows
    for name in ("c", "k"):
        assert merged.columns[name] == whole.columns[name]
    mx, wx = merged.columns["x"], whole.columns["x"]
    assert (mx.counts, mx.missing, mx.minimum, mx.maximum, mx.below, mx.above) == (
        wx.counts, wx.missing, wx.minimum, wx.maximum, wx.below, wx.above)
    assert mx.total == pytest.approx(wx.total) and mx.total_sq == pytest.approx(wx.total_sq)


@pytest.mark.parametrize(
    ("ref", "cur", "expect"),
    [
        (pd.Series([np.nan] * 500, dtype=float), pd.Series(rng.normal(0, 1, 500)), "insufficient data"),
        (pd.Series(rng.normal(0, 1, 500)), pd.Series([np.nan] * 500, dtype=float), "insufficient data"),
        (pd.Series([7.0] * 500), pd.Series([7.0] * 400), None),
        (pd.Series(["only"] * 500), pd.Series(["only"] * 300), None),
        (pd.Series([1, "a", 2.5, None] * 200, dtype=object), pd.Series([2.5, "a", 1] * 100, dtype=object), None),
    ],
    ids=["all-nan-reference", "all-nan-current", "constant", "single-category", "mixed-types"],
)
def test_bad_input_never_raises_or_false_alarms(ref: pd.Series, cur: pd.Series, expect: str | None) -> None:
    result = drift(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}))["x"]
    assert not result.drifted
    assert (result.note or "").startswith(expect) if expect else result.note is None


def test_infinities_are_counted_not_binned() -> None:
    ref = pd.Series(rng.normal(0, 1, 5_000))
    cur = pd.Series(np.concatenate([rng.normal(0, 1, 4_990), [np.inf] * 5, [-np.inf] * 5, [50.0] * 0]))
    result = drift(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}))["x"]
    assert result.infinite_cur == 10 and not result.drifted
    assert result.missing_rate_cur == pytest.approx(10 / 5_000)


def test_out_of_range_values_are_counted() -> None:
    ref = reference_profile(pd.Series(rng.uniform(0, 1, 5_000)))
    cur = profile_like(ref, pd.Series([-1.0, 0.5, 2.0, 3.0]))
    assert (cur.below, cur.above) == (1, 2)


def test_column_kinds_and_helpers() -> None:
    assert column_kind(pd.Series([True, False] * 50)) == "categorical"
    assert column_kind(pd.Series([0, 1, 2] * 50)) == "categorical"
    assert column_kind(pd.Series(np.arange(100) / 3)) == "numeric"
    assert column_kind(pd.Series(["a", 1], dtype=object)) == "categorical"
    assert psi(np.array([50, 50]), np.array([50, 50])) == 0.0
    assert list(decile_groups(np.array([10] * 20))) == [i // 2 for i in range(20)]


def test_arrow_file_profiles_equal_pandas_profiles(tmp_path) -> None:
    from tasks.io.files import profile_file

    n = 5_000
    frame = pd.DataFrame({"x": rng.lognormal(0, 1, n), "k": rng.integers(0, 4, n), "c": rng.choice(["a", "b"], n),
                          "big": rng.integers(0, 1_000, n)})
    frame.loc[::50, "x"] = np.nan
    frame.loc[::70, "c"] = None
    frame.to_parquet(tmp_path / "f.parquet")
    from_arrow = profile_file(str(tmp_path / "f.parquet"))
    from_pandas = profile_table(frame)
    assert from_arrow.columns.keys() == from_pandas.columns.keys()
    for name in frame.columns:
        a, b = from_arrow.columns[name], from_pandas.columns[name]
        assert a.kind == b.kind
        assert a.model_dump(exclude={"total", "total_sq", "low_sum", "high_sum", "low_sq", "high_sq"}) == b.model_dump(
            exclude={"total", "total_sq", "low_sum", "high_sum", "low_sq", "high_sq"})


@pytest.mark.parametrize("dof", [1, 2, 5, 30, 200])
@pytest.mark.parametrize("quantile", [0.001, 0.3, 0.5, 0.9, 0.999999])
def test_chi_square_survival_matches_scipy(dof: int, quantile: float) -> None:
    from tasks.drift.stats import chi2_sf

    statistic = stats.chi2.ppf(quantile, dof)
    assert chi2_sf(statistic, dof) == pytest.approx(stats.chi2.sf(statistic, dof), rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("x", [0.1, 0.3, 0.5, 1.0, 1.5, 3.0])
def test_kolmogorov_survival_and_rel_entr_match_scipy(x: float) -> None:
    from scipy.special import rel_entr as scipy_rel_entr

    from tasks.drift.stats import kolmogorov_sf, rel_entr

    assert kolmogorov_sf(x) == pytest.approx(stats.kstwobign.sf(x), abs=1e-9)
    p, q = np.array([0.0, 0.2, 0.8]), np.array([0.1, 0.4, 0.5])
    assert rel_entr(p, q) == pytest.approx(scipy_rel_entr(p, q))


@pytest.mark.parametrize("shift", [0.01, 0.02, 0.03])
def test_ks_p_value_matches_scipy_where_it_is_not_trivially_zero(shift: float) -> None:
    ref, cur = rng.normal(0, 1, 200_000), rng.normal(shift, 1, 20_000)
    result = drift(pd.DataFrame({"x": ref}), pd.DataFrame({"x": cur}))["x"]
    exact = stats.ks_2samp(ref, cur, method="asymp").pvalue
    assert 1e-4 < exact < 0.99  # a p-value in the range where a wrong formula would show
    # The sup is taken at the 99 bin edges only, so the binned D can only be smaller: a conservative p-value.
    assert exact - 1e-9 <= result.p_value <= exact + 0.1


def test_a_column_below_min_rows_reads_insufficient_data_never_drifted() -> None:
    ref = pd.DataFrame({"x": rng.normal(0, 1, 30), "c": rng.choice(["a", "b"], 30)})
    cur = pd.DataFrame({"x": rng.normal(3, 1, 5_000), "c": ["b"] * 5_000})  # far off: judged, both would drift
    reference = profile_table(ref)
    current = profile_table(cur, reference=reference)
    assert all(c.drifted for c in compare_profiles(reference, current, T))
    for column in compare_profiles(reference, current, T, min_rows=200):
        assert (column.drifted, column.score) == (False, None)
        assert column.note.startswith("insufficient data: 30 ") and "in the reference (min_rows 200)" in column.note
    [small] = [c for c in compare_profiles(current, profile_table(ref[["x"]].assign(c="b"), reference=current), T,
                                           min_rows=200) if c.name == "x"]
    assert small.note == "insufficient data: 30 finite values in the current data (min_rows 200)"


def test_quantile_is_numpys_to_the_bit() -> None:
    rng = np.random.default_rng(11)
    for n in (1, 2, 3, 200, 2_001):
        for q in (0.0, 0.001, 0.5, 0.999, 1.0):
            values = rng.lognormal(0, 2, n) * 10.0 ** rng.integers(-9, 7)
            assert quantile(values, q) == float(np.quantile(values, q))

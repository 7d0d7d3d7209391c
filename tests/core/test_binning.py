"""Profiling without a sort gives exactly what sorting gives: the same edges and counts, on any data and any grid."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.core.binning import CELLS, Cells, Grid
from tasks.core.profiles import GRID, NumericProfile, numeric_like, numeric_reference

# The "wild" columns hold values near 1e308 on purpose: their sums overflow, in any order.
pytestmark = pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")

EXACT = ("edges", "counts", "missing", "infinite", "minimum", "maximum", "below", "above")
SUMS = ("total", "total_sq", "low_sum", "high_sum", "low_sq", "high_sq")


def sorted_profile(values: np.ndarray, reference: NumericProfile | None = None) -> NumericProfile:
    """The profile the plain way, one full sort: what the cells must reproduce."""
    finite = values[np.isfinite(values)]
    ordered = np.sort(finite)
    n = len(ordered)
    if reference is not None:
        edges = np.asarray(reference.edges, float)
    elif n:
        position = np.linspace(0, 1, GRID + 1)[1:-1] * (n - 1)
        lower = np.floor(position).astype(int)
        upper = np.minimum(lower + 1, n - 1)
        edges = np.unique(ordered[lower] + (position - lower) * (ordered[upper] - ordered[lower]))
    else:
        edges = np.array([], float)
    at_or_below = np.searchsorted(ordered, edges, side="right")
    first, last = (int(at_or_below[0]), int(at_or_below[-1])) if len(edges) else (n, n)
    bounded = reference is not None and reference.minimum is not None
    return NumericProfile(
        edges=edges.tolist(), counts=np.diff(np.concatenate([[0], at_or_below, [n]])).astype(int).tolist(),
        missing=int(np.isnan(values).sum()), infinite=int(np.isinf(values).sum()),
        minimum=float(ordered[0]) if n else None, maximum=float(ordered[-1]) if n else None,
        total=float(ordered.sum()), total_sq=float(ordered @ ordered),
        below=int(np.searchsorted(ordered, reference.minimum, side="left")) if bounded else 0,
        above=n - int(np.searchsorted(ordered, reference.maximum, side="right")) if bounded else 0,
        low_sum=float(ordered[:first].sum()), high_sum=float(ordered[last:].sum()),
        low_sq=float(ordered[:first] @ ordered[:first]), high_sq=float(ordered[last:] @ ordered[last:]),
    )


def assert_same(got: NumericProfile, want: NumericProfile, values: np.ndarray) -> None:
    assert {f: getattr(got, f) for f in EXACT} == {f: getattr(want, f) for f in EXACT}
    magnitude = float(np.abs(values[np.isfinite(values)]).sum())
    for name in SUMS:  # summed in another order: equal up to rounding (and to where an overflow happens)
        expected = getattr(want, name)
        if np.isfinite(expected) and np.isfinite(magnitude) and magnitude < 1e300:
            assert np.isclose(getattr(got, name), expected, rtol=1e-9, atol=1e-12 * magnitude), name


@st.composite
def columns(draw: st.DrawFn) -> np.ndarray:
    """Continuous, tied (counts, a spike at zero), constant or wild values, with NaNs and infinities mixed in."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.sampled_from([0, 1, 2, 7, 100, 1_000, 20_000]))
    shape = draw(st.sampled_from(["normal", "lognormal", "counts", "spike", "constant", "two", "wild", "offset"]))
    values = {
        "normal": lambda: rng.normal(0, 1, n),
        "lognormal": lambda: rng.lognormal(0, 3, n),  # a heavy tail: most values in a few cells
        "counts": lambda: rng.poisson(3, n).astype(float),
        "spike": lambda: np.where(rng.random(n) < 0.6, 0.0, rng.gamma(2, 1e-4, n)),  # zeros and their neighbours
        "constant": lambda: np.full(n, -7.25),
        "two": lambda: rng.choice([1.0, np.nextafter(1.0, 2)], n),  # adjacent floats: one cell, two values
        "wild": lambda: rng.choice([-1e308, -1.0, 0.0, 5e-324, 1.0, 1e308], n) * rng.integers(1, 3, n),
        "offset": lambda: 1e9 + rng.integers(0, 50, n) * 1e-6,
    }[shape]()
    for special, share in ((np.nan, draw(st.sampled_from([0, 0.1, 1]))), (np.inf, 0.01), (-np.inf, 0.01)):
        values[rng.random(n) < share] = special
    return values


@settings(max_examples=120, deadline=None)
@given(columns(), columns())
def test_the_sort_free_profile_equals_the_sorted_one(reference: np.ndarray, current: np.ndarray) -> None:
    ref = numeric_reference(reference)
    assert_same(ref, sorted_profile(reference), reference)
    assert_same(numeric_like(ref, current), sorted_profile(current, ref), current)
    assert_same(numeric_like(ref, reference), sorted_profile(reference, ref), reference)


@settings(max_examples=120, deadline=None)
@given(columns(), st.floats(-1e6, 1e6), st.floats(1e-300, 1e300), st.lists(st.floats(-1e300, 1e300), max_size=12),
       st.integers(0, 2**32 - 1))
def test_counts_and_order_statistics_are_exact_on_any_grid(values: np.ndarray, low: float, scale: float,
                                                          extra_edges: list[float], seed: int) -> None:
    """The grid only decides which values take the slow way; a grid that fits the data badly must still be exact."""
    finite = values[np.isfinite(values)]
    cells = Cells.place(finite, Grid(low, scale))
    assert cells.count.sum() == len(finite) and len(cells.count) == CELLS + 2
    ordered = np.sort(finite)
    if len(finite):
        ranks = np.unique(np.random.default_rng(seed).integers(0, len(finite), 50))
        np.testing.assert_array_equal(cells.order_statistics(ranks), ordered[ranks])
    picked = np.random.default_rng(seed).choice(finite, min(len(finite), 30)) if len(finite) else []
    edges = np.unique(np.concatenate([picked, extra_edges]))
    expected = np.bincount(np.searchsorted(edges, finite, side="left"), minlength=len(edges) + 1)
    np.testing.assert_array_equal(cells.bin_counts(edges), expected)

"""Column profiles: a compact, mergeable summary of a column's distribution.

A reference profile is built once (one quantile pass per column); every later
window is binned against its edges or categories, so counts simply add. That is
what lets a window be profiled partition by partition, on workers or in SQL,
and merged without re-reading raw rows.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import BaseModel, Field

from tasks.core.binning import Cells, Grid, distinct
from tasks.core.errors import DataError

if TYPE_CHECKING:  # pandas is imported lazily: the ad-hoc file mode profiles Arrow columns without it
    import pandas as pd

GRID = 100  # fine quantile bins of a numeric reference: Wasserstein and KS need resolution
OTHER = "<other>"
MISSING_LABEL = "<missing>"
MAX_CATEGORIES = 100  # the reference's most frequent categories kept by name
MAX_NEW_CATEGORIES = 50  # unseen categories kept by name in a current profile
LOW_CARDINALITY = 10
KIND_SAMPLE = 20_000

Kind = Literal["numeric", "categorical"]


class NumericProfile(BaseModel):
    """Counts in bins (-inf, e0], (e0, e1], ..., (e_k-1, +inf) of the reference's quantile edges."""

    kind: Literal["numeric"] = "numeric"
    edges: list[float]
    counts: list[int]
    missing: int = 0
    infinite: int = 0
    minimum: float | None = None
    maximum: float | None = None
    total: float = 0.0
    total_sq: float = 0.0
    below: int = 0  # values under the reference's minimum (0 in a reference)
    above: int = 0  # values over the reference's maximum
    low_sum: float = 0.0  # sum of the values in the lowest bin: makes Wasserstein's tails exact
    high_sum: float = 0.0  # sum of the values in the highest bin
    low_sq: float = 0.0  # sums of squares in the two tail bins: how noisy a small window's tails are
    high_sq: float = 0.0

    @property
    def n(self) -> int:
        return int(sum(self.counts))

    def mean_std(self) -> tuple[float, float]:
        if self.n == 0:
            return 0.0, 0.0
        mean = self.total / self.n
        return mean, float(np.sqrt(max(self.total_sq / self.n - mean * mean, 0.0)))

    def merge(self, other: NumericProfile) -> NumericProfile:
        if other.edges != self.edges:
            raise ValueError("numeric profiles with different bin edges cannot be merged")
        bounds = [v for v in (self.minimum, other.minimum) if v is not None]
        tops = [v for v in (self.maximum, other.maximum) if v is not None]
        return NumericProfile(
            edges=self.edges,
            counts=[a + b for a, b in zip(self.counts, other.counts, strict=True)],
            missing=self.missing + other.missing,
            infinite=self.infinite + other.infinite,
            minimum=min(bounds) if bounds else None,
            maximum=max(tops) if tops else None,
            total=self.total + other.total,
            total_sq=self.total_sq + other.total_sq,
            below=self.below + other.below,
            above=self.above + other.above,
            low_sum=self.low_sum + other.low_sum,
            high_sum=self.high_sum + other.high_sum,
            low_sq=self.low_sq + other.low_sq,
            high_sq=self.high_sq + other.high_sq,
        )


class CategoricalProfile(BaseModel):
    """Frequencies of the reference's categories; anything else is counted under ``<other>``."""

    kind: Literal["categorical"] = "categorical"
    categories: list[str]
    counts: dict[str, int]
    missing: int = 0
    other: int = 0  # rows in categories neither kept nor named

    @property
    def n(self) -> int:
        return int(sum(self.counts.values()) + self.other)

    def new_categories(self) -> list[str]:
        """Named values outside the reference, most frequent first."""
        known = set(self.categories)
        return sorted((c for c in self.counts if c not in known), key=lambda c: (-self.counts[c], c))

    def merge(self, other: CategoricalProfile) -> CategoricalProfile:
        if other.categories != self.categories:
            raise ValueError("categorical profiles with different reference categories cannot be merged")
        counts = dict(self.counts)
        for key, value in other.counts.items():
            counts[key] = counts.get(key, 0) + value
        return CategoricalProfile(
            categories=self.categories, counts=counts, missing=self.missing + other.missing,
            other=self.other + other.other,
        )


Profile = Annotated[NumericProfile | CategoricalProfile, Field(discriminator="kind")]


class TableProfile(BaseModel):
    """Every monitored column of one window, plus its row count."""

    rows: int
    columns: dict[str, Profile]

    def merge(self, other: TableProfile) -> TableProfile:
        if other.columns.keys() != self.columns.keys():
            raise ValueError("table profiles cover different columns")
        return TableProfile(
            rows=self.rows + other.rows,
            columns={name: self.columns[name].merge(other.columns[name]) for name in self.columns},  # type: ignore[arg-type]
        )


def column_kind(series: pd.Series) -> Kind:
    """Numbers with more than 10 distinct values are numeric; strings, booleans, codes are categorical."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return "categorical"
    return "numeric" if series.iloc[:KIND_SAMPLE].nunique(dropna=True) > LOW_CARDINALITY else "categorical"


def finite(values: np.ndarray) -> tuple[np.ndarray, int, int]:
    """The finite values (``values`` itself when all are) and the NaN and infinity counts."""
    with np.errstate(invalid="ignore", over="ignore"):
        if np.isfinite(values.sum()):  # a NaN or an infinity makes the sum one: no mask needed when there is none
            return values, 0, 0
    kept = np.isfinite(values)
    missing = int(np.isnan(values).sum())
    values = values[kept]
    return values, missing, len(kept) - len(values) - missing


def _quantile_edges(cells: Cells) -> np.ndarray:
    """numpy's default (linear) quantiles at GRID-1 cut points, from the ~200 order statistics they need."""
    n = len(cells.values)
    if n == 0:
        return np.array([], float)
    position = np.linspace(0, 1, GRID + 1)[1:-1] * (n - 1)
    lower = np.floor(position).astype(int)
    upper = np.minimum(lower + 1, n - 1)
    ranks = distinct(np.concatenate([lower, upper]))
    at = cells.order_statistics(ranks)
    low, high = at[np.searchsorted(ranks, lower)], at[np.searchsorted(ranks, upper)]
    return distinct(low + (position - lower) * (high - low))


def _sum_sq(values: np.ndarray) -> float:
    """Sum of squares in numpy's own loop: BLAS ``dot`` starts its own threads per call, which on top of the
    column thread pool oversubscribes the cores (5x slower on a loaded 2-core machine) and makes the
    rounding depend on the BLAS thread count."""
    return float(np.einsum("i,i->", values, values))


def _numeric(cells: Cells, edges: np.ndarray, missing: int, infinite: int,
             bounds: NumericProfile | None = None) -> NumericProfile:
    """Bin finite values against ``edges`` and keep the sums the tails and the spread need; no sort."""
    values = cells.values
    n = len(values)
    low = values[values <= edges[0]] if len(edges) else values
    high = values[values > edges[-1]] if len(edges) else values[:0]
    # the reference's extremes lie beyond its outer edges, so whatever is out of its range is in a tail
    below = int(np.count_nonzero(low < bounds.minimum)) if bounds and bounds.minimum is not None else 0
    above = int(np.count_nonzero(high > bounds.maximum)) if bounds and bounds.maximum is not None else 0
    return NumericProfile(
        low_sum=float(low.sum()),
        high_sum=float(high.sum()),
        low_sq=_sum_sq(low),
        high_sq=_sum_sq(high),
        below=below,
        above=above,
        edges=edges.tolist(),
        counts=cells.bin_counts(edges).tolist(),
        missing=missing,
        infinite=infinite,
        minimum=float(values.min()) if n else None,
        maximum=float(values.max()) if n else None,
        total=float(values.sum()),
        total_sq=_sum_sq(values),
    )


def numeric_reference(values: np.ndarray) -> NumericProfile:
    """A reference profile of float values (NaN = missing): quantile edges and their counts."""
    kept, missing, infinite = finite(values)
    cells = Cells.place(kept, Grid.around(kept))
    return _numeric(cells, _quantile_edges(cells), missing, infinite)


def numeric_like(reference: NumericProfile, values: np.ndarray) -> NumericProfile:
    """A window's profile on the reference's edges: the grid spans them, so few values share a cell with one."""
    kept, missing, infinite = finite(values)
    edges = np.asarray(reference.edges, float)
    grid = Grid.spanning(edges[0], edges[-1]) if len(edges) else Grid(0.0, 1.0)
    return _numeric(Cells.place(kept, grid), edges, missing, infinite, bounds=reference)


def categorical_reference(frequencies: dict[str, int], missing: int) -> CategoricalProfile:
    """A reference profile from category counts: the most frequent kept by name, the rest as <other>."""
    ranked = sorted(frequencies.items(), key=lambda kv: (-kv[1], kv[0]))
    kept = dict(ranked[:MAX_CATEGORIES])
    return CategoricalProfile(categories=sorted(kept), counts=kept, missing=missing,
                              other=sum(v for _, v in ranked[MAX_CATEGORIES:]))


def categorical_like(reference: CategoricalProfile, frequencies: dict[str, int], missing: int) -> CategoricalProfile:
    known = set(reference.categories)
    counts = {k: v for k, v in frequencies.items() if k in known}
    unseen = sorted(((k, v) for k, v in frequencies.items() if k not in known), key=lambda kv: (-kv[1], kv[0]))
    counts.update(unseen[:MAX_NEW_CATEGORIES])
    return CategoricalProfile(categories=reference.categories, counts=counts, missing=missing,
                              other=sum(v for _, v in unseen[MAX_NEW_CATEGORIES:]))


def _floats(series: pd.Series) -> np.ndarray:
    import pandas as pd

    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _frequencies(series: pd.Series) -> tuple[dict[str, int], int]:
    counts = series.dropna().astype(str).value_counts()
    return {str(k): int(v) for k, v in counts.items()}, int(series.isna().sum())


def reference_profile(series: pd.Series, kind: Kind | None = None) -> NumericProfile | CategoricalProfile:
    """Profile a reference column: quantile edges for numbers, the top categories by name."""
    if (kind or column_kind(series)) == "numeric":
        return numeric_reference(_floats(series))
    return categorical_reference(*_frequencies(series))


def profile_like(reference: NumericProfile | CategoricalProfile, series: pd.Series) -> NumericProfile | CategoricalProfile:
    """Profile a window against a reference's bins or categories, so the two are comparable and mergeable."""
    if isinstance(reference, NumericProfile):
        return numeric_like(reference, _floats(series))
    return categorical_like(reference, *_frequencies(series))


@cache
def _pool() -> ThreadPoolExecutor:
    """One pool for the process: its threads, and the memory their allocator keeps warm, serve every batch
    and both sides (a new thread's arena starts cold: thousands of page faults)."""
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="steward-profile")


os.register_at_fork(after_in_child=_pool.cache_clear)  # a forked child has none of the parent's threads


def profile_columns(names: list[str], one: Callable[[str], NumericProfile | CategoricalProfile], rows: int) -> TableProfile:
    """Profile columns on the thread pool: numpy releases the GIL, so both cores work at once."""
    profiles = list(_pool().map(one, names))
    return TableProfile(rows=rows, columns=dict(zip(names, profiles, strict=True)))


def profile_table(frame: pd.DataFrame, reference: TableProfile | None = None,
                  kinds: dict[str, Kind] | None = None) -> TableProfile:
    """Profile every column of ``frame``: as a reference, or against ``reference``."""
    names = list(reference.columns if reference else frame.columns)
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise DataError(f"column {', '.join(map(repr, missing))} missing from the data")

    def one(name: str) -> NumericProfile | CategoricalProfile:
        if reference:
            return profile_like(reference.columns[name], frame[name])
        return reference_profile(frame[name], (kinds or {}).get(name))

    return profile_columns(names, one, len(frame))

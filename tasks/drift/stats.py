"""Drift scores from profiles: effect sizes that decide, p-values that only inform.

At large N every p-value is tiny, so verdicts come from the owner's effect-size
thresholds: normalised Wasserstein (or PSI) for numbers, Jensen-Shannon for
categories. Everything here reads two profiles; no raw rows, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel

from tasks.core.profiles import OTHER, CategoricalProfile, Kind, NumericProfile, TableProfile

if TYPE_CHECKING:
    from runbooks.thresholds import DriftThresholds

_EPS = 1e-4
NEW_SHOWN = 20  # unseen categories named in a finding: a report, an ops-store row and a Slack line stay short
DECILES = 10


class ColumnDrift(BaseModel):
    name: str
    kind: Kind
    method: str
    score: float | None
    threshold: float
    drifted: bool
    p_value: float | None
    psi: float | None = None
    jensen_shannon: float | None = None
    new_categories: list[str] = []  # the most frequent unseen values, at most NEW_SHOWN of them
    new_category_count: int = 0  # unseen values the profile names (MAX_NEW_CATEGORIES a partition; more fold into <other>)
    unnamed_new_rows: int = 0  # rows in unseen values beyond those the profile names
    rows_ref: int
    rows_cur: int
    missing_rate_ref: float
    missing_rate_cur: float
    infinite_cur: int = 0
    out_of_range_cur: int = 0
    noise_floor: float | None = None  # the score sampling noise alone reaches at this window's size
    note: str | None = None
    bins: list[str] = []  # what the report plots: decile ranges or categories ...
    reference_shares: list[float] = []  # ... and each side's share in them
    current_shares: list[float] = []


def _shares(counts: np.ndarray) -> list[float]:
    return [round(float(v), 5) for v in counts / max(counts.sum(), 1)]


def rel_entr(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Elementwise p log(p / q), 0 where p is 0 (scipy.special.rel_entr, without scipy's import cost)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * np.log(np.where(p > 0, p, 1) / np.where(q > 0, q, 1)), 0.0)


def kolmogorov_sf(x: float) -> float:
    """P(K > x) for the Kolmogorov distribution: 2 sum (-1)^(k-1) exp(-2 k^2 x^2)."""
    if x < 0.2:
        return 1.0
    k = np.arange(1, 101)
    return float(min(max(2 * np.sum((-1.0) ** (k - 1) * np.exp(-2 * k * k * x * x)), 0.0), 1.0))


def chi2_sf(statistic: float, dof: int) -> float:
    """P(X > statistic) for chi-square with ``dof`` degrees of freedom: the regularised upper gamma Q(dof/2, x/2)."""
    a, x = dof / 2, statistic / 2
    if x <= 0:
        return 1.0
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:  # series for P, then Q = 1 - P
        term = total = 1 / a
        for n in range(1, 1000):
            term *= x / (a + n)
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1 - total * math.exp(log_prefix))
    b, c, d = x + 1 - a, 1 / 1e-300, 1 / (x + 1 - a)  # Lentz's continued fraction for Q
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = 1 / (d if abs(d) > 1e-300 else 1e-300)
        c = b + an / c
        c = c if abs(c) > 1e-300 else 1e-300
        h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)


def psi(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Population stability index, with empty bins floored at a small share."""
    p = np.clip(ref_counts / max(ref_counts.sum(), 1), _EPS, None)
    q = np.clip(cur_counts / max(cur_counts.sum(), 1), _EPS, None)
    return float(np.sum((q - p) * np.log(q / p)))


def js_distance(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Jensen-Shannon distance (base 2, so within [0, 1])."""
    if ref_counts.sum() == 0 or cur_counts.sum() == 0:
        return 0.0
    p, q = ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum()
    m = (p + q) / 2
    divergence = (rel_entr(p, m).sum() + rel_entr(q, m).sum()) / 2 / np.log(2)
    return float(np.sqrt(max(divergence, 0.0)))


def chi_square_p_value(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float | None:
    """Pearson's chi-square test of homogeneity on a 2 x k table (None when k < 2)."""
    table = np.vstack([ref_counts, cur_counts])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return None
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    return chi2_sf(statistic, table.shape[1] - 1)


def decile_groups(ref_counts: np.ndarray) -> np.ndarray:
    """Map each fine bin to one of ~10 groups of equal reference mass.

    PSI and JS over 100 fine bins would be inflated by sampling noise on a
    night's few thousand rows; deciles keep them comparable to the usual rules.
    """
    before = np.concatenate([[0], np.cumsum(ref_counts)[:-1]]) / max(ref_counts.sum(), 1)
    return np.minimum((before * DECILES + 1e-9).astype(int), DECILES - 1)


def wasserstein_binned(ref: NumericProfile, cur: NumericProfile) -> float:
    """W1 = integral of |F_ref - F_cur| dx from two profiles on the same edges.

    Inside the grid both CDFs are taken as linear within each bin (100 quantile
    bins keep that close). The two open tail bins are exact: the area beyond an
    edge e is E[(X - e)+], which the tail bins' counts and sums give directly.
    """
    if ref.n == 0 or cur.n == 0:
        return 0.0
    edges = np.asarray(ref.edges, float)
    if len(edges) == 0:
        return abs(ref.total / ref.n - cur.total / cur.n)
    low, high = edges[0], edges[-1]
    low_tail = abs((low * ref.counts[0] - ref.low_sum) / ref.n - (low * cur.counts[0] - cur.low_sum) / cur.n)
    high_tail = abs((ref.high_sum - high * ref.counts[-1]) / ref.n - (cur.high_sum - high * cur.counts[-1]) / cur.n)
    f_ref = np.cumsum(ref.counts)[:-1] / ref.n  # CDF at each edge
    f_cur = np.cumsum(cur.counts)[:-1] / cur.n
    return float(_binned_w1(f_ref, f_cur, np.diff(edges)) + low_tail + high_tail)


NULL_DRAWS = 2000
NULL_QUANTILE = 0.999  # per column and night: a fleet of columns checked nightly must stay quiet


def _binned_w1(f_ref: np.ndarray, f_cur: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Interior W1 between CDFs given at the edges (last axis), linear inside each bin."""
    a, b = (f_ref - f_cur)[..., :-1], (f_ref - f_cur)[..., 1:]
    area = np.where(a * b >= 0, np.abs(a + b) / 2, (a * a + b * b) / (2 * (np.abs(a) + np.abs(b) + 1e-300)))
    return (area * widths).sum(axis=-1)


def quantile(values: np.ndarray, q: float) -> float:
    """``np.quantile(values, q)`` of a 1-D array without NaN, to the bit (numpy's linear method, its own
    arithmetic): ``np.quantile`` calls ``np.unique``, whose first call imports ``numpy.ma`` (~50 ms)."""
    ordered = np.sort(values)
    virtual = (len(ordered) - 1) * q
    if virtual >= len(ordered) - 1:
        return float(ordered[-1])
    below = math.floor(virtual)
    a, b, t = ordered[below], ordered[below + 1], virtual - below
    return float(a + (b - a) * t if t < 0.5 else b - (b - a) * (1 - t))


def wasserstein_noise_floor(ref: NumericProfile, n: int, seed: int = 0, draws: int = NULL_DRAWS) -> float:
    """The 99.9th percentile of binned W1 between the reference and samples of ``n`` rows drawn from it.

    A small window measures W1 with noise; a score under this floor is not
    evidence of drift however the threshold is set. It can only silence an alarm.
    """
    if ref.n == 0 or n == 0 or len(ref.edges) < 2:
        return 0.0
    shares = np.asarray(ref.counts, float) / ref.n
    sampled = np.random.default_rng(seed).multinomial(n, shares, size=draws) / n
    edges = np.asarray(ref.edges, float)
    f_ref, f_draw = np.cumsum(shares)[:-1], np.cumsum(sampled, axis=1)[:, :-1]
    rng = np.random.default_rng(seed + 1)
    tails = np.zeros(draws)
    for column, total, squares, edge, sign in ((0, ref.low_sum, ref.low_sq, edges[0], -1.0),
                                               (-1, ref.high_sum, ref.high_sq, edges[-1], 1.0)):
        count = ref.counts[column]
        if not count:
            continue
        mean = total / count
        spread = np.sqrt(max(squares / count - mean * mean, 0.0))
        drawn = np.maximum(sampled[:, column] * n, 1)
        sample_mean = mean + spread / np.sqrt(drawn) * rng.standard_normal(draws)
        depth, sample_depth = sign * (mean - edge), np.maximum(sign * (sample_mean - edge), 0)
        tails += np.abs(sampled[:, column] * sample_depth - shares[column] * depth)
    return quantile(_binned_w1(f_ref, f_draw, np.diff(edges)) + tails, NULL_QUANTILE)


def js_noise_floor(ref_counts: np.ndarray, n: int, seed: int = 0, draws: int = NULL_DRAWS) -> float:
    """The 99.9th percentile of JS distance between the reference and samples of ``n`` rows drawn from it."""
    if ref_counts.sum() == 0 or n == 0:
        return 0.0
    shares = ref_counts / ref_counts.sum()
    sampled = np.random.default_rng(seed).multinomial(n, shares, size=draws) / n
    m = (shares + sampled) / 2
    divergence = (rel_entr(shares, m).sum(axis=1) + rel_entr(sampled, m).sum(axis=1)) / 2 / np.log(2)
    return quantile(np.sqrt(np.maximum(divergence, 0)), NULL_QUANTILE)


def silenced_by_noise(score: float, floor: Callable[[int], float]) -> tuple[bool, float]:
    """(is the score within sampling noise?, the floor). A cheap 200-draw floor settles clear cases;
    only a score near it pays for the full bootstrap."""
    quick = floor(NULL_DRAWS // 10)
    if score > 2 * quick:
        return False, quick
    full = floor(NULL_DRAWS)
    return score <= full, full


def ks_p_value(ref: NumericProfile, cur: NumericProfile) -> float:
    """Asymptotic two-sample KS p-value from the CDFs at the shared bin edges.

    The sup is taken at the edges only, so D can only be underestimated: the p-value is conservative.
    """
    d = float(np.max(np.abs(np.cumsum(ref.counts) / ref.n - np.cumsum(cur.counts) / cur.n)))
    effective = ref.n * cur.n / (ref.n + cur.n)
    return kolmogorov_sf(d * np.sqrt(effective))


def _rates(ref_missing: int, ref_n: int, cur_missing: int, cur_n: int) -> dict[str, float | int]:
    return {
        "rows_ref": ref_n + ref_missing,
        "rows_cur": cur_n + cur_missing,
        "missing_rate_ref": ref_missing / (ref_n + ref_missing) if ref_n + ref_missing else 0.0,
        "missing_rate_cur": cur_missing / (cur_n + cur_missing) if cur_n + cur_missing else 0.0,
    }


MAX_PLOTTED = 12


def _plotted(labels: list[str], rc: np.ndarray, cc: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The largest categories for the report's chart; the rest folded into one bar."""
    order = np.argsort(-(rc / max(rc.sum(), 1) + cc / max(cc.sum(), 1)), kind="stable")
    order = order[(rc + cc)[order] > 0]
    keep, rest = order[:MAX_PLOTTED], order[MAX_PLOTTED:]
    names = [labels[i] for i in keep] + (["<rest>"] if len(rest) else [])
    fold = (lambda c: np.concatenate([c[keep], [c[rest].sum()]])) if len(rest) else (lambda c: c[keep])
    return names, fold(rc), fold(cc)


def _decile_labels(edges: np.ndarray, groups: np.ndarray, ref: NumericProfile) -> list[str]:
    """'lo–hi' for each decile group, read off the fine edges."""
    bounds = np.concatenate([[ref.minimum if ref.minimum is not None else -np.inf], edges,
                             [ref.maximum if ref.maximum is not None else np.inf]])
    labels = []
    for g in range(DECILES):
        members = np.flatnonzero(groups == g)
        labels.append(f"{bounds[members[0]]:.3g}–{bounds[members[-1] + 1]:.3g}" if len(members) else "–")
    return labels


def _too_few(ref_n: int, cur_n: int, min_rows: int, values: str) -> str | None:
    """The 'insufficient data' note when either side holds fewer than ``min_rows`` values (at least one)."""
    least = max(min_rows, 1)
    if min(ref_n, cur_n) >= least:
        return None
    side, n = ("reference", ref_n) if ref_n < least else ("current data", cur_n)
    return f"insufficient data: {n:,} {values} in the {side} (min_rows {least})"


def numeric_drift(name: str, ref: NumericProfile, cur: NumericProfile, thresholds: DriftThresholds,
                  min_rows: int = 1) -> ColumnDrift:
    base = dict(name=name, kind="numeric", method="wasserstein_norm", threshold=thresholds.wasserstein,
                infinite_cur=cur.infinite, **_rates(ref.missing + ref.infinite, ref.n, cur.missing + cur.infinite, cur.n))
    if note := _too_few(ref.n, cur.n, min_rows, "finite values"):
        return ColumnDrift(**base, score=None, drifted=False, p_value=None, note=note)
    _, spread = ref.mean_std()
    if spread == 0:
        spread = 1.0
    distance = wasserstein_binned(ref, cur) / spread
    groups = decile_groups(np.asarray(ref.counts))
    rc = np.bincount(groups, weights=ref.counts, minlength=DECILES)
    cc = np.bincount(groups, weights=cur.counts, minlength=DECILES)
    score_psi = psi(rc, cc)
    over = distance >= thresholds.wasserstein or score_psi >= thresholds.psi
    floor = None
    if over:  # the noise floor is only ever needed to silence an alarm
        silenced, floor = silenced_by_noise(distance, lambda k: wasserstein_noise_floor(ref, cur.n, draws=k) / spread)
        over = not silenced
    return ColumnDrift(
        **base,
        score=round(distance, 6),
        drifted=bool(over),
        noise_floor=None if floor is None else round(floor, 6),
        p_value=ks_p_value(ref, cur),
        psi=round(score_psi, 6),
        jensen_shannon=round(js_distance(rc, cc), 6),
        out_of_range_cur=cur.below + cur.above,
        bins=_decile_labels(np.asarray(ref.edges), groups, ref),
        reference_shares=_shares(rc),
        current_shares=_shares(cc),
    )


def categorical_drift(name: str, ref: CategoricalProfile, cur: CategoricalProfile, thresholds: DriftThresholds,
                      min_rows: int = 1) -> ColumnDrift:
    base = dict(name=name, kind="categorical", method="jensen_shannon", threshold=thresholds.jensen_shannon,
                **_rates(ref.missing, ref.n, cur.missing, cur.n))
    if note := _too_few(ref.n, cur.n, min_rows, "values"):
        return ColumnDrift(**base, score=None, drifted=False, p_value=None, note=note)
    labels = sorted(set(ref.counts) | set(cur.counts)) + [OTHER]
    rc = np.array([ref.counts.get(k, 0) for k in labels[:-1]] + [ref.other], float)
    cc = np.array([cur.counts.get(k, 0) for k in labels[:-1]] + [cur.other], float)
    distance = js_distance(rc, cc)
    new = cur.new_categories()
    floor, over = None, distance >= thresholds.jensen_shannon
    if over:
        silenced, floor = silenced_by_noise(distance, lambda k: js_noise_floor(rc, int(cc.sum()), draws=k))
        over = not silenced
    p_value = chi_square_p_value(rc, cc)
    plotted = _plotted(labels, rc, cc)
    return ColumnDrift(
        **base,
        score=round(distance, 6),
        drifted=bool(over),
        noise_floor=None if floor is None else round(floor, 6),
        p_value=p_value,
        psi=round(psi(rc, cc), 6),
        jensen_shannon=round(distance, 6),
        new_categories=new[:NEW_SHOWN],
        new_category_count=len(new),
        unnamed_new_rows=cur.other,
        bins=plotted[0],
        reference_shares=_shares(plotted[1]),
        current_shares=_shares(plotted[2]),
    )


def compare_profiles(reference: TableProfile, current: TableProfile, thresholds: DriftThresholds,
                     min_rows: int = 1) -> list[ColumnDrift]:
    """One verdict per column of the reference profile; a side with fewer than ``min_rows`` values gets none."""
    results = []
    for name, ref in reference.columns.items():
        cur = current.columns[name]
        if isinstance(ref, NumericProfile) and isinstance(cur, NumericProfile):
            results.append(numeric_drift(name, ref, cur, thresholds, min_rows))
        elif isinstance(ref, CategoricalProfile) and isinstance(cur, CategoricalProfile):
            results.append(categorical_drift(name, ref, cur, thresholds, min_rows))
        else:
            raise ValueError(f"column {name!r}: reference and current profiles are of different kinds")
    return results

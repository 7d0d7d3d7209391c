"""The paired bootstrap both gates use: is a regression real, or what sampling noise alone would show?"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

SURE = 0.95  # a regression is real when at least this share of resamples shows it


def paired_resamples(rows: int, resamples: int, seed: int = 7) -> Iterator[np.ndarray]:
    """Row indices drawn with replacement, the same rows for both versions in each resample."""
    rng = np.random.default_rng(seed)
    for _ in range(resamples):
        yield rng.integers(0, rows, rows)


def share_worse(before: np.ndarray, after: np.ndarray, by: float, *, resamples: int = 400, seed: int = 7) -> float:
    """The share of paired resamples in which ``after``'s mean is below ``before``'s by more than ``by``."""
    if before.size == 0:
        return 0.0
    change = after - before
    means = np.array([change[rows].mean() for rows in paired_resamples(change.size, resamples, seed)])
    return float((means < -by).mean())

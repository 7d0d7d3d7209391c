"""One window's drift evidence in a mergeable form: its profile against the baseline and its ids' fingerprints.

A window larger than memory is read partition by partition (on this machine or on
Dask workers); each part is summarised here and the parts merge into exactly what
the whole window gives, duplicate request ids across parts included.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

import numpy as np
import pandas as pd

from runbooks.spec import RunbookSpec
from tasks.core.profiles import TableProfile, profile_table
from tasks.core.windows import Window


def feature_columns(spec: RunbookSpec) -> list[str]:
    assert spec.drift is not None
    return list(spec.drift.features or spec.source.columns.features)


def prediction_columns(spec: RunbookSpec) -> list[str]:
    columns = spec.source.columns
    return [c for c in (columns.score, columns.decision) if c and c not in feature_columns(spec)]


def monitored_columns(spec: RunbookSpec) -> list[str]:
    return feature_columns(spec) + prediction_columns(spec)


@dataclass(frozen=True)
class WindowSummary:
    profile: TableProfile
    id_hashes: np.ndarray  # uint64 fingerprint of each row's request id

    @property
    def rows(self) -> int:
        return self.profile.rows

    @property
    def duplicate_ids(self) -> int:
        return int(self.id_hashes.size - np.unique(self.id_hashes).size)

    def merge(self, other: WindowSummary) -> WindowSummary:
        return WindowSummary(self.profile.merge(other.profile), np.concatenate([self.id_hashes, other.id_hashes]))


def summarise(frame: pd.DataFrame, spec: RunbookSpec, reference: TableProfile) -> WindowSummary:
    """Profile ``frame``'s monitored columns against ``reference`` and fingerprint its request ids."""
    request_id = spec.source.columns.request_id
    ids = frame[request_id] if request_id in frame else pd.Series([], dtype="object")
    hashes = pd.util.hash_pandas_object(ids, index=False).to_numpy(np.uint64)
    return WindowSummary(profile_table(frame[monitored_columns(spec)], reference=reference), hashes)


def merge_all(parts: list[WindowSummary]) -> WindowSummary:
    return reduce(WindowSummary.merge, parts)


def split(window: Window, parts: int) -> list[Window]:
    """``parts`` consecutive, equal time slices that cover ``window`` exactly."""
    step = (window.end - window.start) / parts
    edges = [window.start + i * step for i in range(parts)] + [window.end]
    return [Window(start=a, end=b) for a, b in zip(edges, edges[1:])]

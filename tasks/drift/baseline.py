"""Build and store a system's drift baseline from a window of its log or a training snapshot."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from pydantic import BaseModel

from runbooks.spec import RunbookSpec
from tasks.core.errors import DataError
from tasks.core.profiles import TableProfile
from tasks.core.windows import Window
from tasks.drift.data import monitored_columns
from tasks.drift.verdict import build_baseline
from tasks.io.files import FileError, read_file
from tasks.io.sources import read_window
from tasks.store.baselines import save_baseline
from tasks.store.database import open_store
from tasks.store.models import ReferenceProfile


class Baseline(BaseModel):
    """A stored baseline as a drift run uses it."""

    version: int
    window: Window
    profile: TableProfile
    rows_by_weekday: dict[str, float]

    @property
    def label(self) -> str:
        return f"v{self.version} ({self.window.label()})"

    @classmethod
    def of(cls, record: ReferenceProfile) -> Baseline:
        return cls(version=record.version, window=Window(start=record.window_start, end=record.window_end),
                   profile=TableProfile.model_validate(record.profile), rows_by_weekday=record.rows_by_weekday)


def create_baseline(spec: RunbookSpec, window: Window, actor: str) -> ReferenceProfile:
    """Profile ``window`` of the log and store it as the newest baseline version."""
    frame = read_window(spec.source, window, [*monitored_columns(spec), spec.source.columns.timestamp])
    if frame.empty:
        raise DataError(f"{spec.system}: no rows in {window.label()}; a baseline needs data")
    return _store(spec, frame, window, actor)


def create_baseline_from_file(spec: RunbookSpec, path: str, actor: str) -> ReferenceProfile:
    """Profile a training snapshot; its timestamps, when present, date the baseline and set weekday volumes."""
    timestamp = spec.source.columns.timestamp
    frame = read_file(path)
    missing = [c for c in monitored_columns(spec) if c not in frame.columns]
    if missing:
        raise FileError(f"{path}: no column {', '.join(map(repr, missing))} (runbook source.columns)")
    if frame.empty:
        raise FileError(f"{path}: no rows; a baseline needs data")
    if timestamp in frame.columns:
        frame[timestamp] = pd.to_datetime(frame[timestamp], utc=True)
        window = Window.days(frame[timestamp].min().date(), frame[timestamp].max().date())
    else:
        frame[timestamp] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
        today = datetime.now(UTC).date()
        window = Window.days(today, today)
    return _store(spec, frame, window, actor)


def _store(spec: RunbookSpec, frame: pd.DataFrame, window: Window, actor: str) -> ReferenceProfile:
    profile, by_weekday = build_baseline(frame, spec)
    with open_store().session() as session:
        return save_baseline(session, system=spec.system, window=window, profile=profile,
                             rows_by_weekday=by_weekday, created_by=actor)

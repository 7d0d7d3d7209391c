"""Build and store a system's drift baseline from a window of its log."""

from __future__ import annotations

from runbooks.spec import RunbookSpec
from tasks.drift_verdict import build_baseline, monitored_columns
from tasks.sources import read_window
from tasks.store.baselines import save_baseline
from tasks.store.database import open_store
from tasks.windows import Window


def create_baseline(spec: RunbookSpec, window: Window, actor: str) -> tuple[int, int]:
    """Profile ``window`` of the log and store it as the newest baseline version: (version, rows)."""
    frame = read_window(spec.source, window, [*monitored_columns(spec), spec.source.columns.timestamp])
    if frame.empty:
        raise ValueError(f"{spec.system}: no rows in {window.label()}; a baseline needs data")
    profile, by_weekday = build_baseline(frame, spec)
    with open_store().session() as session:
        record = save_baseline(session, system=spec.system, window=window, profile=profile,
                               rows_by_weekday=by_weekday, created_by=actor)
        return record.version, profile.rows

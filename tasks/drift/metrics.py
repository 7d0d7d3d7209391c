"""What a drift check measured: volume against the weekday's expectation and every monitored column's score."""

from __future__ import annotations

from tasks.common.findings import DutyMetrics, DutyReport
from tasks.drift.stats import ColumnDrift


class DriftMetrics(DutyMetrics):
    """A judged window sets the volume fields (and ``columns`` once it has ``min_rows``); a window the reference
    cannot judge names only the ``reference``."""

    rows: int = 0
    expected_rows: float = 0.0
    volume_ratio: float = 0.0
    duplicate_ids: int = 0
    baseline_version: int | None = None
    columns: list[ColumnDrift] = []
    reference: str | None = None


DriftReport = DutyReport[DriftMetrics]

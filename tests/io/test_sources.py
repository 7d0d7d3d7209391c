"""File logs are filtered to the window while they are read, for every timestamp type, and counted the same way."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from runbooks.spec import Source
from tasks.io.sources import count_rows, read_window
from tasks.core.windows import Window

STAMPS = pd.date_range("2026-11-19 12:00", periods=72, freq="h", tz="UTC")  # 12 h, 24 h, 24 h, 12 h of four days


@pytest.mark.parametrize("kind", ["aware", "naive", "text"])
def test_file_log_window_read_and_count(tmp_path: Path, kind: str) -> None:
    stamps = {"aware": STAMPS, "naive": STAMPS.tz_localize(None), "text": STAMPS.strftime("%Y-%m-%dT%H:%M:%SZ")}[kind]
    frame = pd.DataFrame({"request_id": [f"r{i}" for i in range(72)], "ts": stamps, "x": range(72)})
    path = tmp_path / ("log.csv" if kind == "text" else "log.parquet")
    frame.to_csv(path, index=False) if kind == "text" else frame.to_parquet(path)
    source = Source(path=str(path))
    day = Window.parse("2026-11-20")

    rows = read_window(source, day, ["request_id", "x"])
    assert list(rows["x"]) == list(range(12, 36))  # exactly the 24 hours of 2026-11-20, in UTC
    assert str(rows["ts"].dt.tz) == "UTC"
    assert count_rows(source, day) == 24
    assert count_rows(source, Window.parse("2026-11-23")) == 0

"""Logs are filtered to the window while they are read, for every timestamp type, and counted the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine

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


@settings(max_examples=60, deadline=None)
@given(st.lists(st.datetimes(min_value=datetime(2026, 11, 18), max_value=datetime(2026, 11, 23)), min_size=1,
                max_size=40))
def test_sqlite_log_window_read_gives_back_the_written_times(tmp_path_factory: pytest.TempPathFactory,
                                                             stamps: list[datetime]) -> None:
    """SQLite keeps DATETIME as text that the reader parses itself: whatever the microseconds, each row in the
    window comes back with the time it was written (UTC), and no other row does."""
    url = f"sqlite:///{tmp_path_factory.mktemp('log') / 'log.db'}"
    engine = create_engine(url)
    table = Table("log", MetaData(), Column("request_id", String), Column("ts", DateTime), Column("x", Integer))
    table.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(table.insert(), [{"request_id": f"r{i}", "ts": t, "x": i} for i, t in enumerate(stamps)])
    day = Window.parse("2026-11-20")
    rows = read_window(Source(url=url, table="log"), day, ["request_id", "x"])
    expected = sorted((i, pd.Timestamp(t, tz="UTC")) for i, t in enumerate(stamps)
                      if day.start <= t.replace(tzinfo=UTC) < day.end)
    assert sorted(zip(rows["x"], rows["ts"])) == expected
    assert str(rows["ts"].dt.tz) == "UTC"

"""Logs are filtered to the window while they are read, for every timestamp type, and counted the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine

from runbooks.spec import ComplianceSection, Source
from tasks.compliance import checks
from tasks.io.sources import LogHistory, count_rows, log_history, read_window
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


STAMPS_2026 = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 1))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(STAMPS_2026, st.one_of(st.none(), st.text("abc", min_size=1, max_size=3))),
                     max_size=30, unique_by=lambda r: r[0]),
       until=STAMPS_2026, retention=st.one_of(st.none(), st.integers(1, 200)),
       minimum=st.one_of(st.none(), st.integers(1, 200)), aware=st.booleans())
def test_log_history_where_the_log_lives_equals_it_from_the_rows(store_url: str, rows: list, until: datetime,
                                                                 retention: int | None, minimum: int | None,
                                                                 aware: bool) -> None:
    """Retention's figures (oldest row, expired rows and the oldest of their ids, days with rows near ``until``)
    from three SQL aggregates on SQLite and PostgreSQL, naive or aware columns, are those of the rows themselves."""
    engine = create_engine(store_url)
    table = Table("log", MetaData(), Column("request_id", String), Column("ts", DateTime(timezone=aware)))
    table.drop(engine, checkfirst=True)
    table.create(engine)
    with engine.begin() as connection:
        connection.execute(table.insert(), [{"request_id": r, "ts": t.replace(tzinfo=UTC) if aware else t}
                                            for t, r in rows])
    engine.dispose()
    until = until.replace(tzinfo=UTC)
    minimum = min(minimum, retention) if minimum and retention else minimum
    bounds = checks.retention_bounds(ComplianceSection(retention_days=retention, min_retention_days=minimum), until)
    frame = pd.DataFrame(rows, columns=["ts", "request_id"])

    found = log_history(Source(url=store_url, table="log"), examples=3, **bounds)
    assert found == LogHistory.of_rows(frame["ts"], frame["request_id"], examples=3, **bounds)

"""Read a system's own decision log for a window, by the runbook's column mapping.

Errors name the system, the table and the column, and never show a password.
"""

from __future__ import annotations

import glob
from datetime import datetime
import os
import re
from functools import cache

import pandas as pd
import pyarrow.dataset as ds
from sqlalchemy import Column, Engine, MetaData, Table, and_, func, select
from sqlalchemy.exc import NoSuchTableError, OperationalError, SQLAlchemyError

from runbooks.spec import Source
from tasks.errors import StewardError
from tasks.store.database import make_engine, redact, secret_from_block, steward_home
from tasks.windows import Window

_VAR = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


class SourceError(StewardError):
    """The system's log cannot be read as the runbook describes; the message is safe to show."""


class SourceUnavailable(SourceError):
    """The log's database did not answer: worth retrying, unlike a missing table or column."""


def expand(text: str) -> str:
    """Expand ``${VAR}`` from the environment; ``STEWARD_HOME`` defaults to Steward's data folder."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "STEWARD_HOME":
            return str(steward_home())
        if name not in os.environ:
            raise SourceError(f"source URL uses ${{{name}}} but the environment variable {name} is not set")
        return os.environ[name]

    return _VAR.sub(value, text)


def source_url(source: Source) -> str:
    if source.url:
        return expand(source.url)
    if source.url_env:
        if not (url := os.environ.get(source.url_env)):
            raise SourceError(f"source.url_env names {source.url_env}, which is not set")
        return url
    assert source.block
    return secret_from_block(source.block)


@cache
def _engine(url: str) -> Engine:
    return make_engine(url)


def _table(engine: Engine, name: str) -> Table:
    schema, _, table = name.rpartition(".")
    try:
        return Table(table, MetaData(), autoload_with=engine, schema=schema or None)
    except NoSuchTableError:
        raise SourceError(f"table {name!r} does not exist in {redact(str(engine.url))}") from None
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise SourceUnavailable(f"cannot reach {redact(str(engine.url))}: {reason}") from None


def sql_table(source: Source, table: str | None = None) -> tuple[Engine, Table]:
    """The engine and reflected table of a SQL source's log (or of ``table``), for queries built elsewhere."""
    name = table or source.table
    assert name, "a SQL source always names its table"
    engine = _engine(source_url(source))
    return engine, _table(engine, name)


def sql_bounds(engine: Engine, column: Column, window: Window) -> tuple[datetime, datetime]:
    """The window's bounds as ``column`` compares them: naive timestamp columns hold UTC, so they get
    naive bounds (an aware bound would be read in the session's time zone)."""
    if engine.dialect.name == "sqlite" or not getattr(column.type, "timezone", False):
        return window.start.replace(tzinfo=None), window.end.replace(tzinfo=None)
    return window.start, window.end


def require_columns(table: Table, columns: list[str]) -> None:
    missing = [c for c in columns if c not in table.c]
    if missing:
        raise SourceError(f"table {table.name!r} has no column {', '.join(map(repr, missing))} (runbook source.columns)")


def read_window(
    source: Source, window: Window, columns: list[str], *, table: str | None = None, timestamp: str | None = None
) -> pd.DataFrame:
    """Rows of the log (or of ``table``) whose ``timestamp`` falls in ``window``, with ``columns`` only."""
    table = table or source.table
    timestamp = timestamp or source.columns.timestamp
    wanted = list(dict.fromkeys([timestamp, *columns]))
    if source.path:
        return _read_files(source.path, window, wanted, timestamp)
    engine, log = sql_table(source, table)
    require_columns(log, wanted)
    ts = log.c[timestamp]
    start, end = sql_bounds(engine, ts, window)
    query = select(*(log.c[c] for c in wanted)).where(and_(ts >= start, ts < end))
    try:
        with engine.connect() as connection:
            frame = pd.read_sql(query, connection)
    except SQLAlchemyError as exc:
        raise SourceError(f"reading {table!r} failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from None
    frame[timestamp] = pd.to_datetime(frame[timestamp], utc=True)
    return frame


def _dataset(pattern: str, columns: list[str]) -> ds.Dataset:
    files = sorted(glob.glob(expand(pattern), recursive=True))
    if not files:
        raise SourceError(f"source.path {pattern!r} matches no files")
    dataset = ds.dataset(files, format="csv" if files[0].endswith(".csv") else "parquet")
    missing = [c for c in columns if c not in dataset.schema.names]
    if missing:
        raise SourceError(f"{pattern!r} has no column {', '.join(map(repr, missing))} (runbook source.columns)")
    return dataset


def _read_files(pattern: str, window: Window, columns: list[str], timestamp: str) -> pd.DataFrame:
    frame = _dataset(pattern, columns).to_table(columns=columns).to_pandas()
    frame[timestamp] = pd.to_datetime(frame[timestamp], utc=True)
    return frame[(frame[timestamp] >= window.start) & (frame[timestamp] < window.end)].reset_index(drop=True)


def first_timestamp(source: Source) -> datetime | None:
    """When the log starts: the default drift reference period begins here."""
    column = source.columns.timestamp
    if source.path:
        values = pd.to_datetime(_dataset(source.path, [column]).to_table(columns=[column]).to_pandas()[column], utc=True)
        return values.min().to_pydatetime() if len(values) else None
    assert source.table
    engine = _engine(source_url(source))
    log = _table(engine, source.table)
    with engine.connect() as connection:
        value = connection.execute(select(func.min(log.c[column]))).scalar()
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).to_pydatetime()


"""Read a system's own decision log for a window, by the runbook's column mapping.

Errors name the system, the table and the column, and never show a password.
"""

from __future__ import annotations

import glob
import os
import re
from datetime import UTC, date, datetime
from functools import cache

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
from pydantic import BaseModel
from sqlalchemy import Column, Date, DateTime, Engine, MetaData, String, Table, and_, cast, func, select, type_coerce
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.exc import NoSuchTableError, OperationalError, SQLAlchemyError

from runbooks.spec import Source
from tasks.core.errors import StewardError, Unavailable
from tasks.core.windows import Window
from tasks.store.database import make_engine, redact, secret_from_block, steward_home

_VAR = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # before any log: the start of a read of "everything before"


class SourceError(StewardError):
    """The system's log cannot be read as the runbook describes; the message is safe to show."""


class SourceUnavailable(SourceError, Unavailable):
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


def column_time(engine: Engine, column: Column, moment: datetime) -> datetime:
    """``moment`` as ``column`` compares it: naive timestamp columns (and SQLite) hold UTC, so they get a
    naive value (an aware one would be read in the database session's time zone)."""
    if engine.dialect.name == "sqlite" or not getattr(column.type, "timezone", False):
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def sql_bounds(engine: Engine, column: Column, window: Window) -> tuple[datetime, datetime]:
    """The window's bounds as ``column`` compares them."""
    return column_time(engine, column, window.start), column_time(engine, column, window.end)


def sql_day(engine: Engine, column: Column) -> ColumnElement:
    """The UTC calendar day of a timestamp column, as a GROUP BY key (and the expression its planner statistics
    must spell the same way, tasks/io/indexes.py)."""
    if engine.dialect.name == "sqlite":
        return func.date(column)
    aware = engine.dialect.name == "postgresql" and getattr(column.type, "timezone", False)
    return cast(func.timezone("UTC", column) if aware else column, Date)


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
    text_time = engine.dialect.name == "sqlite" and isinstance(ts.type, DateTime)
    query = select(*(type_coerce(log.c[c], String).label(c) if c == timestamp and text_time else log.c[c]
                     for c in wanted)).where(and_(ts >= start, ts < end))
    try:
        with engine.connect() as connection:
            frame = pd.read_sql(query, connection)
    except SQLAlchemyError as exc:
        raise SourceError(f"reading {table!r} failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from None
    # SQLite keeps a DATETIME as ISO text: parsed here in one vectorised pass, not row by row by SQLAlchemy
    # (half the read of a small system's window).
    frame[timestamp] = pd.to_datetime(frame[timestamp], utc=True, format="ISO8601" if text_time else None)
    return frame


def count_rows(source: Source, window: Window) -> int:
    """Rows of the log in ``window``, counted where the data lives: decides how to partition a big window."""
    timestamp = source.columns.timestamp
    if source.path:
        dataset = _dataset(source.path, [timestamp])
        predicate = _window_filter(dataset, timestamp, window)
        if predicate is not None:
            return dataset.count_rows(filter=predicate)
        return len(_read_files(source.path, window, [timestamp], timestamp))
    engine, log = sql_table(source)
    require_columns(log, [timestamp])
    ts = log.c[timestamp]
    start, end = sql_bounds(engine, ts, window)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).where(and_(ts >= start, ts < end))).scalar_one())
    except SQLAlchemyError as exc:
        raise SourceError(f"counting {source.table!r} failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from None


def count_null_timestamps(source: Source) -> int:
    """Rows of the whole log with no timestamp: no window holds them, so the reader never returns them and
    only this count (where the data lives) makes them visible to the compliance audit."""
    timestamp = source.columns.timestamp
    if source.path:
        dataset = _dataset(source.path, [timestamp])
        if pa.types.is_timestamp(dataset.schema.field(timestamp).type):
            return dataset.count_rows(filter=ds.field(timestamp).is_null())
        values = dataset.to_table(columns=[timestamp]).column(timestamp).to_pandas()
        return int(pd.to_datetime(values, utc=True, errors="coerce").isna().sum())  # CSV: empty text is no time
    engine, log = sql_table(source)
    require_columns(log, [timestamp])
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).where(log.c[timestamp].is_(None))).scalar_one())
    except SQLAlchemyError as exc:
        raise SourceError(f"counting {source.table!r} failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from None


def _dataset(pattern: str, columns: list[str]) -> ds.Dataset:
    files = sorted(glob.glob(expand(pattern), recursive=True))
    if not files:
        raise SourceError(f"source.path {pattern!r} matches no files")
    dataset = ds.dataset(files, format="csv" if files[0].endswith(".csv") else "parquet")
    missing = [c for c in columns if c not in dataset.schema.names]
    if missing:
        raise SourceError(f"{pattern!r} has no column {', '.join(map(repr, missing))} (runbook source.columns)")
    return dataset


def _window_filter(dataset: ds.Dataset, timestamp: str, window: Window) -> ds.Expression | None:
    """The window as a pyarrow predicate on a timestamp-typed column, so files are filtered while they are read
    (and a partition reads only its slice); None for text timestamps (CSV), which are filtered after parsing."""
    kind = dataset.schema.field(timestamp).type
    if not pa.types.is_timestamp(kind):
        return None

    def bound(moment: datetime) -> pa.Scalar:
        return pa.scalar(moment if kind.tz else moment.astimezone(UTC).replace(tzinfo=None), type=kind)

    field = ds.field(timestamp)
    return (field >= bound(window.start)) & (field < bound(window.end))


def _read_files(pattern: str, window: Window, columns: list[str], timestamp: str) -> pd.DataFrame:
    dataset = _dataset(pattern, columns)
    frame = dataset.to_table(columns=columns, filter=_window_filter(dataset, timestamp, window)).to_pandas()
    frame[timestamp] = pd.to_datetime(frame[timestamp], utc=True)
    return frame[(frame[timestamp] >= window.start) & (frame[timestamp] < window.end)].reset_index(drop=True)


def first_timestamp(source: Source) -> datetime | None:
    """When the log starts: the default drift reference period begins here."""
    return _timestamp_bound(source, source.columns.timestamp, newest=False)


def last_timestamp(source: Source, column: str | None = None) -> datetime | None:
    """The newest value of a timestamp column (default: the log's): how far a feed has arrived."""
    return _timestamp_bound(source, column or source.columns.timestamp, newest=True)


def _timestamp_bound(source: Source, column: str, newest: bool) -> datetime | None:
    if source.path:
        values = pd.to_datetime(_dataset(source.path, [column]).to_table(columns=[column]).to_pandas()[column], utc=True)
        if not len(values):
            return None
        return (values.max() if newest else values.min()).to_pydatetime()
    assert source.table
    engine = _engine(source_url(source))
    log = _table(engine, source.table)
    if column not in log.c:
        raise SourceError(f"table {source.table!r} has no column {column!r} (runbook source)")
    with engine.connect() as connection:
        value = connection.execute(select((func.max if newest else func.min)(log.c[column]))).scalar()
    return _utc(value)


class LogHistory(BaseModel):
    """The whole log before ``until``, as the retention checks judge it: a handful of figures, computed where
    the data lives, so a nightly audit never reads the rows of years of log to count the expired ones."""

    until: datetime
    cutoff: datetime  # rows before it are expired
    horizon: datetime  # the days from here to ``until`` must each hold a row
    oldest: datetime | None = None  # the log's first row before ``until``
    expired: int = 0
    expired_examples: list[str] = []  # the oldest expired rows' request ids
    days: list[date] = []  # the UTC days from ``horizon`` to ``until`` that have rows

    @classmethod
    def of_rows(cls, stamps: pd.Series, request_ids: pd.Series, *, until: datetime, cutoff: datetime,
                horizon: datetime, examples: int) -> LogHistory:
        """The figures from the rows themselves (a file log; the reference for the SQL form)."""
        stamps = pd.to_datetime(stamps, utc=True)
        before = stamps < until
        stamps, request_ids = stamps[before], request_ids[before]
        expired = stamps < cutoff
        oldest_first = stamps[expired].sort_values(kind="stable").index
        recent = stamps[stamps >= horizon]
        return cls(until=until, cutoff=cutoff, horizon=horizon,
                   oldest=stamps.min().to_pydatetime() if len(stamps) else None, expired=int(expired.sum()),
                   expired_examples=request_ids[oldest_first].dropna().astype(str).head(examples).tolist(),
                   days=sorted(set(recent.dt.date)))


def log_history(source: Source, *, until: datetime, cutoff: datetime, horizon: datetime, examples: int) -> LogHistory:
    """``LogHistory`` of the source's log: three aggregate queries on SQL (the timestamp index serves them), the
    timestamp and request id columns of a file log."""
    timestamp, request_id = source.columns.timestamp, source.columns.request_id
    if source.path:
        rows = _read_files(source.path, Window(start=EPOCH, end=until), [timestamp, request_id], timestamp)
        return LogHistory.of_rows(rows[timestamp], rows[request_id], until=until, cutoff=cutoff, horizon=horizon,
                                  examples=examples)
    engine, log = sql_table(source)
    require_columns(log, [timestamp, request_id])
    ts, day = log.c[timestamp], sql_day(engine, log.c[timestamp])
    end, old, near = (column_time(engine, ts, t) for t in (until, cutoff, horizon))
    try:
        with engine.connect() as connection:
            oldest, expired = connection.execute(
                select(func.min(ts), func.count().filter(ts < old)).where(ts < end)).one()
            ids = connection.execute(select(log.c[request_id]).where(and_(ts < old, ts < end,
                                                                          log.c[request_id].is_not(None)))
                                     .order_by(ts).limit(examples)).scalars().all()
            days = connection.execute(select(day).distinct().where(and_(ts >= near, ts < end))).scalars().all()
    except SQLAlchemyError as exc:
        raise SourceError(f"reading {source.table!r} failed: {type(exc).__name__}: "
                          f"{str(exc).splitlines()[0][:200]}") from None
    return LogHistory(until=until, cutoff=cutoff, horizon=horizon, oldest=_utc(oldest), expired=int(expired),
                      expired_examples=[str(i) for i in ids], days=sorted(_as_date(d) for d in days))


def _utc(value: object) -> datetime | None:
    """A timestamp as a database returns it (naive UTC, aware, or SQLite's text), in UTC."""
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")).to_pydatetime()


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))  # SQLite's date() gives text


def log_columns(source: Source) -> list[str]:
    """Every column of the log, in table order: what a seal covers."""
    if source.path:
        return list(_dataset(source.path, []).schema.names)
    assert source.table
    return list(_table(_engine(source_url(source)), source.table).c.keys())


def sql_log(source: Source) -> tuple[Engine, Table]:
    """The log's engine and table, for the one duty allowed to write to it: the approved purge."""
    if source.path or not source.table:
        raise SourceError(f"{source.path!r} is a file log: expire it with your storage's lifecycle rules, not Steward")
    return sql_table(source)

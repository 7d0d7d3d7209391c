"""What a runbook declares its SQL log should carry for Steward's reads: created only on command, never by a run.

``steward index SYSTEM`` runs :func:`statements` (``--dry-run`` only prints them). A duty run never alters
the system's database, so a declared index that was never created just leaves the reads as they were.

- ``source.timestamp_index`` (``brin`` or ``btree``): an index on the timestamp column, so a window's
  read touches only that window's pages when the log holds more than the window. BRIN suits an append-only
  log (rows arrive in time order; the index is a few pages at any size); other dialects than PostgreSQL
  get a B-tree whatever is declared (SQLite has no other kind).
- On PostgreSQL 14+, always: statistics on the UTC day of the timestamp (the cost review's GROUP BY key).
  Without them the planner takes every row for its own group (it knows the timestamp's distinct values,
  not the day's), plans a hash aggregate that spills to 32 partitions, and never splits the month's
  scan across parallel workers; with them it plans a parallel scan with partial hash aggregates.
"""

from __future__ import annotations

from sqlalchemy import Index, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateIndex

from runbooks.spec import Source
from tasks.io.sources import SourceError, require_columns, sql_day, sql_table

MAX_NAME = 63  # PostgreSQL's identifier length


def _name(*parts: str) -> str:
    return "_".join(("steward", *parts)).replace(".", "_")[:MAX_NAME]


def statements(source: Source) -> list[str]:
    """The DDL that gives ``source``'s log what its runbook declares, then ANALYZE; empty when nothing applies."""
    if source.path:
        raise SourceError("an index needs a SQL source: this runbook's log is files (source.path)")
    engine, log = sql_table(source)
    timestamp = source.columns.timestamp
    require_columns(log, [timestamp])
    ts, dialect = log.c[timestamp], engine.dialect
    table = dialect.identifier_preparer.format_table(log)
    wanted: list[str] = []
    if source.timestamp_index:
        kind = source.timestamp_index if dialect.name == "postgresql" else "btree"
        # CONCURRENTLY: a live log keeps taking inserts while the index builds.
        index = Index(_name(log.name, timestamp, kind), ts, postgresql_using=kind, postgresql_concurrently=True)
        wanted.append(str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect)))
    if dialect.name == "postgresql" and (dialect.server_version_info or (0,)) >= (14,):
        day = sql_day(engine, ts).compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        wanted.append(f"CREATE STATISTICS IF NOT EXISTS {_name(log.name, timestamp, 'day')} ON (({day})) FROM {table}")
    return [*wanted, f"ANALYZE {table}"] if wanted else []


def create(source: Source, ddl: list[str]) -> None:
    """Run ``ddl`` (from :func:`statements`), each statement on its own (a concurrent build cannot be in a transaction)."""
    engine, _ = sql_table(source)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for statement in ddl:
                connection.execute(text(statement))
    except SQLAlchemyError as exc:
        raise SourceError(f"creating the declared index failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from None

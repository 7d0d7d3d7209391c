"""The cost review's only read of the log: sums per (day, model, route, prompt template).

For a SQL log the GROUP BY runs in the database (SQLAlchemy Core, outcomes
joined there too), so a month of ten million calls arrives as a few thousand
rows. Parquet/CSV logs, and the benchmark's naive path, group the same way in
pandas; a test keeps both paths equal.

A call "has token counts" when both its input and output tokens are logged; every token sum (and the
shortest prompt) is over those calls only, and ``token_calls`` counts them, so a call logged without
tokens is never summed as zero tokens nor priced as $0.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, Float, Integer, Select, and_, cast, func, literal, literal_column, null, outerjoin, select
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from runbooks.spec import RunbookSpec
from tasks.core.windows import Window
from tasks.io.sources import (SourceError, SourceUnavailable, read_window, require_columns, sql_bounds, sql_day,
                              sql_table)
from tasks.store.database import redact

KEYS = ["day", "model", "route", "template"]
MEASURES = ["calls", "token_calls", "tokens_in", "tokens_out", "cached_tokens", "cached_calls", "min_tokens_in",
            "latency_sum", "latency_calls", "logged_cost", "logged_calls", "unlogged_token_calls", "unlogged_in",
            "unlogged_out", "unlogged_cached", "successes", "outcomes"]
NONE = "(none)"


def log_columns(spec: RunbookSpec) -> dict[str, str | None]:
    """Steward's names for the columns the review reads, mapped to the log's own names (None: not logged)."""
    c = spec.source.columns
    return {"model": c.model_name or c.model_version, "route": c.route, "template": c.prompt_template,
            "tokens_in": c.tokens_in, "tokens_out": c.tokens_out, "cached_tokens": c.cached_tokens,
            "latency_ms": c.latency_ms, "cost": c.cost}


def _success_field(spec: RunbookSpec) -> str | None:
    return spec.cost.success_outcome if spec.cost else None


def load_aggregates(spec: RunbookSpec, period: Window) -> pd.DataFrame:
    """Per-group sums over ``period``: pushed down to the database for SQL logs, pandas for files."""
    outcomes = spec.source.outcomes
    if spec.source.path or (outcomes and outcomes.path and _success_field(spec)):
        return aggregate_frame(*read_calls(spec, period), spec)  # outcomes in files cannot be joined in SQL
    return aggregate_sql(spec, period)


# ------------------------------------------------------------------------------------ SQL


def pushdown_query(spec: RunbookSpec, period: Window) -> tuple[Engine, Select]:
    """The one GROUP BY over ``period``: a single scan of the log, aggregated where it lives.

    On PostgreSQL ``steward index`` gives the planner statistics on the day key, so it plans a parallel scan
    with partial hash aggregates (tasks/io/indexes.py).
    """
    source, cols = spec.source, log_columns(spec)
    engine, log = sql_table(source)
    ts_name = source.columns.timestamp
    require_columns(log, [ts_name, source.columns.request_id, *(v for v in cols.values() if v)])
    ts = log.c[ts_name]
    start, end = sql_bounds(engine, ts, period)

    def col(name: str) -> ColumnElement:  # an unlogged column sums to 0: a SQL constant, not an untyped parameter
        return log.c[cols[name]] if cols[name] else literal_column("0", Integer)

    def label(name: str, default: str) -> ColumnElement:
        return func.coalesce(log.c[cols[name]], default) if cols[name] else literal(default)

    tokens_in, tokens_out, cached = col("tokens_in"), col("tokens_out"), col("cached_tokens")
    counted = and_(tokens_in.is_not(None), tokens_out.is_not(None))
    latency = log.c[cols["latency_ms"]] if cols["latency_ms"] else cast(null(), Float)  # typed: sum(NULL) is ambiguous
    # FILTER, not CASE inside the sums: the same one pass, each aggregate skipping the rows it does not count.
    measures = [
        func.count().label("calls"),
        func.count().filter(counted).label("token_calls"),
        func.sum(tokens_in).filter(counted).label("tokens_in"),
        func.sum(tokens_out).filter(counted).label("tokens_out"),
        func.sum(cached).filter(counted).label("cached_tokens"),
        func.count().filter(and_(counted, cached > 0)).label("cached_calls"),
        func.min(tokens_in).filter(counted).label("min_tokens_in"),
        func.sum(latency).label("latency_sum"),
        func.count(latency).label("latency_calls"),
    ]
    if cols["cost"]:  # tokens price only the calls without a logged cost
        logged = log.c[cols["cost"]]
        unlogged = and_(logged.is_(None), counted)
        measures += [func.sum(logged).label("logged_cost"), func.count(logged).label("logged_calls"),
                     func.count().filter(unlogged).label("unlogged_token_calls"),
                     *(func.sum(tokens).filter(unlogged).label(name)
                       for name, tokens in (("unlogged_in", tokens_in), ("unlogged_out", tokens_out),
                                            ("unlogged_cached", cached)))]
    joined = log
    outcomes = source.outcomes
    field = _success_field(spec)
    if outcomes and outcomes.table and field:
        _, table = sql_table(source, outcomes.table)
        require_columns(table, [outcomes.request_id, field])
        # One row per request (a request with several outcome rows must not count its calls twice).
        key = table.c[outcomes.request_id]
        per_request = (select(key.label("request_id"), func.max(cast(table.c[field], Integer)).label("success"))
                       .where(table.c[field].is_not(None)).group_by(key).subquery())
        joined = outerjoin(log, per_request, log.c[source.columns.request_id] == per_request.c.request_id)
        measures += [func.count().filter(per_request.c.success == 1).label("successes"),
                     func.count(per_request.c.success).label("outcomes")]
    else:
        measures += [literal(0).label("successes"), literal(0).label("outcomes")]
    day = sql_day(engine, ts)
    keys = [day.label("day"), label("model", "(unknown)").label("model"),
            label("route", NONE).label("route"), label("template", NONE).label("template")]
    grouping = [day, *(log.c[cols[k]] for k in ("model", "route", "template") if cols[k])]
    return engine, select(*keys, *measures).select_from(joined).where(ts >= start, ts < end).group_by(*grouping)


def aggregate_sql(spec: RunbookSpec, period: Window) -> pd.DataFrame:
    """The pushdown's rows as a frame: only the aggregates leave the database."""
    source = spec.source
    engine, query = pushdown_query(spec, period)
    try:
        with engine.connect() as connection:
            frame = pd.DataFrame(connection.execute(query).mappings().all())
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise SourceUnavailable(f"cannot reach {redact(str(engine.url))}: {reason}") from None
    except SQLAlchemyError as exc:
        raise SourceError(f"summing {source.table!r} failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}") from None
    if frame.empty:
        frame = pd.DataFrame(columns=[*KEYS, *MEASURES])
    if not log_columns(spec)["cost"]:
        frame = frame.assign(logged_cost=0.0, logged_calls=0, unlogged_token_calls=frame["token_calls"],
                             unlogged_in=frame["tokens_in"], unlogged_out=frame["tokens_out"],
                             unlogged_cached=frame["cached_tokens"])
    return _normalised(frame[[*KEYS, *MEASURES]])


# --------------------------------------------------------------------------------- pandas


def read_calls(spec: RunbookSpec, period: Window) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Every call of ``period`` and the outcomes that may join them: the naive path, and the one for files."""
    source, cols = spec.source, log_columns(spec)
    wanted = [source.columns.request_id, *(v for v in dict.fromkeys(cols.values()) if v)]
    calls = read_window(source, period, wanted)
    field = _success_field(spec)
    if not (source.outcomes and field):
        return calls, None
    # Outcomes arrive after their call, however late: read everything from the period's start.
    until = Window(start=period.start, end=max(period.end, datetime.now(UTC)) + timedelta(days=1))
    where = source.model_copy(update={"path": source.outcomes.path}) if source.outcomes.path else source
    outcomes = read_window(where, until, [source.outcomes.request_id, field], table=source.outcomes.table,
                           timestamp=source.outcomes.timestamp)
    return calls, outcomes


def aggregate_frame(calls: pd.DataFrame, outcomes: pd.DataFrame | None, spec: RunbookSpec) -> pd.DataFrame:
    """The same sums as :func:`aggregate_sql`, computed in pandas from every call."""
    source, cols = spec.source, log_columns(spec)
    ts = pd.to_datetime(calls[source.columns.timestamp], utc=True)
    zeros = pd.Series(0, index=calls.index)

    def numeric(name: str) -> pd.Series:
        return pd.to_numeric(calls[cols[name]]) if cols[name] else zeros

    def label(name: str, default: str) -> pd.Series:
        return calls[cols[name]].astype("object").fillna(default).astype(str) if cols[name] else default

    tokens_in, tokens_out, cached = numeric("tokens_in"), numeric("tokens_out"), numeric("cached_tokens")
    counted = tokens_in.notna() & tokens_out.notna()
    tokens_in, tokens_out, cached = tokens_in.where(counted), tokens_out.where(counted), cached.where(counted)
    cost = pd.to_numeric(calls[cols["cost"]]) if cols["cost"] else pd.Series(float("nan"), index=calls.index)
    unlogged = cost.isna() & counted
    latency = pd.to_numeric(calls[cols["latency_ms"]]) if cols["latency_ms"] else pd.Series(float("nan"), index=calls.index)
    frame = pd.DataFrame({
        "day": ts.dt.strftime("%Y-%m-%d"), "model": label("model", "(unknown)"), "route": label("route", NONE),
        "template": label("template", NONE), "calls": 1, "token_calls": counted.astype(int), "tokens_in": tokens_in,
        "tokens_out": tokens_out, "cached_tokens": cached, "cached_calls": (cached > 0).astype(int),
        "min_tokens_in": tokens_in, "latency_sum": latency, "latency_calls": latency.notna().astype(int),
        "logged_cost": cost, "logged_calls": cost.notna().astype(int),
        "unlogged_token_calls": unlogged.astype(int), "unlogged_in": tokens_in.where(unlogged, 0),
        "unlogged_out": tokens_out.where(unlogged, 0), "unlogged_cached": cached.where(unlogged, 0),
        "successes": 0, "outcomes": 0,
    })
    if outcomes is not None:
        field, key = spec.cost.success_outcome, source.outcomes.request_id  # type: ignore[union-attr]
        known = outcomes.dropna(subset=[field])
        by_request = known[field].astype(int).groupby(known[key]).max()  # the SQL path's rule: any success counts
        matched = calls[source.columns.request_id].map(by_request)
        frame["outcomes"] = matched.notna().astype(int)
        frame["successes"] = matched.fillna(0).astype(int).eq(1).astype(int)
    sums = {m: "sum" for m in MEASURES}
    sums["min_tokens_in"] = "min"
    grouped = frame.groupby(KEYS, sort=False).agg(sums).reset_index()
    grouped["logged_cost"] = grouped["logged_cost"].fillna(0.0)
    return _normalised(grouped)


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """Both paths' output in one shape: dates as ``date``, sums as floats, a stable row order."""
    out = frame.copy()
    out["day"] = pd.to_datetime(out["day"]).dt.date
    for name in MEASURES:
        out[name] = pd.to_numeric(out[name]).fillna(0).astype(float)
    for name in ("model", "route", "template"):
        out[name] = out[name].astype(str)
    return out.sort_values(KEYS, ignore_index=True)

"""Write the simulated frames to SQL in one transaction: naive UTC, so SQLite and PostgreSQL agree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
from sqlalchemy import create_engine, text

from deployments.demo.simulator.fraud import simulate_fraud
from deployments.demo.simulator.incidents import FRAUD_SYSTEM, SUPPORT_SYSTEM, TABLES
from deployments.demo.simulator.support import simulate_support


def naive_utc(df: pd.DataFrame) -> pd.DataFrame:
    """Drop the timezone (values stay UTC) so SQLite and PostgreSQL store the same instants."""
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_convert("UTC").dt.tz_localize(None)
    return out


def write_demo_database(
    url: str,
    end: date,
    days: int = 90,
    scale: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Replace the four demo tables at ``url`` with freshly simulated data; return row counts.

    Everything is written in one transaction, and indexes are built after the
    bulk load because that is much faster than maintaining them row by row.
    """
    say = progress or (lambda _msg: None)
    say(f"Simulating {FRAUD_SYSTEM}")
    fraud = simulate_fraud(end, days, per_day=max(1, round(3000 * scale)))
    say(f"Simulating {SUPPORT_SYSTEM}")
    support = simulate_support(end, days, per_day=max(1, round(800 * scale)))
    frames = dict(zip(TABLES, (*fraud, *support)))
    ts_column = {"fraud_decisions": "ts", "fraud_outcomes": "outcome_ts",
                 "support_interactions": "ts", "support_outcomes": "outcome_ts"}

    engine = create_engine(url)
    counts: dict[str, int] = {}
    try:
        with engine.begin() as conn:
            for name, frame in frames.items():
                say(f"Writing {name} ({len(frame):,} rows)")
                conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
                naive_utc(frame).to_sql(name, conn, if_exists="fail", index=False, chunksize=50_000, method=None)
                counts[name] = len(frame)
            say("Creating indexes")
            for name in frames:
                conn.execute(text(f"CREATE INDEX ix_{name}_{ts_column[name]} ON {name} ({ts_column[name]})"))
                conn.execute(text(f"CREATE UNIQUE INDEX ix_{name}_request_id ON {name} (request_id)"))
    finally:
        engine.dispose()
    return counts

"""Tiny decision logs written to SQLite from generated rows, and the spec that reads them.

Shared by the property tests of the drift and outcome duties: windows before, across, inside and after a log
that may be empty, one row long, full of NULLs or of categories the reference never saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
from hypothesis import strategies as st
from sqlalchemy import create_engine

from runbooks.loader import default_runbooks_dir, load_catalog
from runbooks.spec import RunbookSpec

FIRST_DAY = date(2026, 3, 1)
OWNER = load_catalog(default_runbooks_dir()).get("fraud-scoring").owner


@dataclass(frozen=True)
class Log:
    decisions: pd.DataFrame
    outcomes: pd.DataFrame


def tiny_spec(db: Path) -> RunbookSpec:
    """A classifier runbook over the generated tables, with thresholds small enough for a few rows."""
    return RunbookSpec.model_validate({
        "system": "tiny", "description": "a generated log", "kind": "classifier", "owner": OWNER.model_dump(),
        "source": {
            "url": f"sqlite:///{db}", "table": "log",
            "columns": {"request_id": "rid", "timestamp": "ts", "model_version": None, "score": "score",
                        "decision": "decision", "features": ["amount", "channel"]},
            "outcomes": {"table": "outcomes", "request_id": "rid", "timestamp": "outcome_ts", "label": "label",
                         "label_delay_days": 2},
        },
        "drift": {"min_rows": 3, "reference_days": 2},
        "outcomes": {"slices": ["channel"], "sla": [{"metric": "recall", "min": 0.5},
                                                    {"metric": "false_positive_rate", "max": 0.5}],
                     "flagged_decisions": ["decline"], "evaluation_days": 3, "reference_days": 2,
                     "min_slice_size": 1, "min_slice_positives": 1, "min_label_coverage": 0.5},
    })


def write_log(db: Path, log: Log) -> RunbookSpec:
    engine = create_engine(f"sqlite:///{db}")
    log.decisions.to_sql("log", engine, index=False)
    log.outcomes.to_sql("outcomes", engine, index=False)
    engine.dispose()
    return tiny_spec(db)


def _maybe(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.none(), values)


@st.composite
def logs(draw: st.DrawFn) -> Log:
    """An empty log, one row, or up to 6 days of 0-20 decisions a day from FIRST_DAY; NULLs in any column, 1 to
    60 channels, outcomes arriving 0-5 days later (or never)."""
    shape = draw(st.sampled_from(["days"] * 8 + ["empty", "one row"]))
    per_day = {"empty": [], "one row": [1]}.get(shape) or draw(st.lists(st.integers(0, 20), min_size=1, max_size=6))
    categories = draw(st.integers(1, 60))
    row = st.fixed_dictionaries({
        "minute": st.integers(0, 1439),
        "null_ts": st.sampled_from([False] * 19 + [True]),
        "amount": _maybe(st.floats(-1e6, 1e6, allow_nan=False)),
        "channel": _maybe(st.integers(0, categories - 1).map(lambda i: f"c{i}")),
        "score": _maybe(st.floats(0, 1)),
        "decision": _maybe(st.sampled_from(["approve", "decline"])),
        "label": st.sampled_from([0] * 6 + [1] * 3 + [None]),
        "delay_hours": st.sampled_from([*range(0, 24 * 5, 6), None]),
    })
    start = datetime.combine(FIRST_DAY, time.min)
    rows = [{**r, "at": start + timedelta(days=day, minutes=r["minute"])}
            for day, count in enumerate(per_day) for r in draw(st.lists(row, min_size=count, max_size=count))]
    decisions = pd.DataFrame({
        "rid": [f"r{i}" for i in range(len(rows))],
        "ts": [None if r["null_ts"] else r["at"] for r in rows],
        "amount": [r["amount"] for r in rows], "channel": [r["channel"] for r in rows],
        "score": [r["score"] for r in rows], "decision": [r["decision"] for r in rows],
    }, columns=["rid", "ts", "amount", "channel", "score", "decision"])
    arrived = [(f"r{i}", r["at"] + timedelta(hours=r["delay_hours"]), r["label"])
               for i, r in enumerate(rows) if r["delay_hours"] is not None]
    outcomes = pd.DataFrame(arrived, columns=["rid", "outcome_ts", "label"])
    return Log(decisions.astype({"ts": "datetime64[us]"}), outcomes.astype({"outcome_ts": "datetime64[us]"}))


def windows() -> st.SearchStrategy[tuple[date, date]]:
    """Inclusive day ranges from well before FIRST_DAY to well after the longest log (sampled, not shrunk to
    FIRST_DAY, so windows after the reference period are as common as the others)."""
    return st.tuples(st.sampled_from(range(-5, 11)), st.sampled_from(range(6))).map(
        lambda t: (FIRST_DAY + timedelta(days=t[0]), FIRST_DAY + timedelta(days=t[0] + t[1])))


def nows() -> st.SearchStrategy[datetime]:
    """A moment from the log's first day to 12 days later."""
    return st.sampled_from(range(0, 12 * 24, 5)).map(
        lambda h: datetime.combine(FIRST_DAY, time.min, UTC) + timedelta(hours=h))

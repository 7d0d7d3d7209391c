"""Hypothesis strategies for small decision logs and windows around them (shared by the property tests).

A log is written to its own SQLite file with the demo's support-assistant columns: timestamps spread over a
few weeks, any mapped column possibly NULL (the timestamp too), empty and one-row logs, many routes.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from runbooks.loader import default_runbooks_dir, load_catalog
from runbooks.spec import RunbookSpec
from tasks.core.windows import Window

BASE = datetime(2026, 10, 1, tzinfo=UTC)
COLUMNS = {"request_id": "TEXT", "ts": "TIMESTAMP", "model_version": "TEXT", "prompt_version": "TEXT",
           "route": "TEXT", "model_name": "TEXT", "tokens_in": "INTEGER", "tokens_out": "INTEGER",
           "cached_tokens": "INTEGER", "latency_ms": "REAL", "user_message": "TEXT", "response": "TEXT"}


def _maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), values)


moments = st.builds(lambda day, second: BASE + timedelta(days=day, seconds=second),
                    st.integers(0, 20), st.integers(0, 86_399))
rows = st.fixed_dictionaries({
    "ts": st.one_of(moments, moments, moments, st.none()),
    "model_version": _maybe(st.sampled_from(["m1", "m2"])),
    "prompt_version": _maybe(st.sampled_from(["support-v2", "support-v3", "support-v9"])),
    "route": _maybe(st.integers(0, 400).map(lambda n: f"route-{n}")),
    "model_name": _maybe(st.sampled_from(["gpt-4o", "gpt-4o-mini", "acme-llama-70b", "mystery-model"])),
    "tokens_in": _maybe(st.integers(0, 5_000)),
    "tokens_out": _maybe(st.integers(0, 800)),
    "cached_tokens": _maybe(st.integers(0, 1_000)),
    "latency_ms": _maybe(st.floats(1, 9_000)),
    "user_message": _maybe(st.sampled_from(["where is my order", "mail me at ana@example.com", ""])),
    "response": _maybe(st.sampled_from(["on its way", "call +1 415 555 0100"])),
})
logs = st.lists(rows, max_size=60)
windows = st.builds(lambda first, days: Window.days((BASE + timedelta(days=first)).date(),
                                                    (BASE + timedelta(days=first + days - 1)).date()),
                    st.integers(-30, 40), st.integers(1, 40))
nows = st.builds(lambda day, hour: BASE + timedelta(days=day, hours=hour), st.integers(0, 30), st.integers(0, 23))


def write_log(folder: Path, generated: list[dict[str, Any]]) -> RunbookSpec:
    """The generated rows as a SQLite log, and a support-assistant spec (without outcomes) that reads it.

    Each log gets its own file and system id, so examples never share engines or seals."""
    path = folder / f"log-{uuid.uuid4().hex[:10]}.db"
    with sqlite3.connect(path) as connection:
        connection.execute(f"CREATE TABLE support_interactions ({', '.join(f'{c} {t}' for c, t in COLUMNS.items())})")
        connection.executemany(
            f"INSERT INTO support_interactions VALUES ({', '.join('?' for _ in COLUMNS)})",
            [(f"q{i}", None if r["ts"] is None else str(r["ts"].replace(tzinfo=None)),
              *(r[c] for c in list(COLUMNS)[2:])) for i, r in enumerate(generated)])
    spec = load_catalog(default_runbooks_dir()).get("support-assistant")
    source = spec.source.model_copy(update={"url": f"sqlite:///{path}", "outcomes": None})
    return spec.model_copy(update={"system": f"gen-{path.stem}", "source": source,
                                   "cost": spec.cost.model_copy(update={"success_outcome": None})})


def timed(generated: list[dict[str, Any]], window: Window) -> int:
    """Generated rows whose timestamp falls in ``window``."""
    return sum(r["ts"] is not None and window.start <= r["ts"] < window.end for r in generated)

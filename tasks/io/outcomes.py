"""Decisions joined with their late outcomes by request id, in Steward's own column names.

The runbook maps the system's columns; this module reads only what the outcome review needs and
hands back one frame whose outcome columns are NaN where the outcome has not arrived.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from runbooks.spec import RunbookSpec, Source
from tasks.core.windows import Window
from tasks.io.sources import SourceError, last_timestamp, read_window

LABEL, SCORE, FLAGGED, PREDICTION = "_label", "_score", "_flagged", "_prediction"
RESOLVED, ESCALATED, ERROR, FALLBACK, LATENCY, KNOWN = "_resolved", "_escalated", "_error", "_fallback", "_latency", "_known"
TS = "_ts"
_TRUTH = {True: 1.0, False: 0.0, "1": 1.0, "0": 0.0, "true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0}  # True == 1 and False == 0 as keys: integers map too


def outcome_source(source: Source) -> Source:
    """The outcomes feed as a source of its own: a table in the log's database, or files."""
    feed = source.outcomes
    assert feed is not None
    if feed.path:
        return Source(path=feed.path)
    return source.model_copy(update={"table": feed.table, "path": None, "outcomes": None})


def outcomes_arrived_until(spec: RunbookSpec) -> datetime | None:
    """The newest outcome timestamp: labels cannot be more complete than the feed that carries them."""
    assert spec.source.outcomes is not None
    return last_timestamp(outcome_source(spec.source), spec.source.outcomes.timestamp)


def _outcome_fields(spec: RunbookSpec) -> list[str]:
    assert spec.outcomes is not None and spec.source.outcomes is not None
    feed, signals = spec.source.outcomes, spec.outcomes.signals
    wanted = [feed.label, signals.resolved, signals.escalated,
              *(m.column for m in spec.outcomes.business_metrics if m.column in feed.fields)]
    return list(dict.fromkeys(c for c in wanted if c))


def _log_columns(spec: RunbookSpec) -> list[str]:
    assert spec.outcomes is not None and spec.source.outcomes is not None
    cols, section = spec.source.columns, spec.outcomes
    outcome_fields = set(_outcome_fields(spec))
    wanted = [cols.request_id, cols.score, cols.decision, cols.prediction, cols.latency_ms,
              section.signals.error, section.signals.fallback, *section.slices,
              *(m.column for m in section.business_metrics if m.column and m.column not in outcome_fields)]
    return list(dict.fromkeys(c for c in wanted if c))


def load_outcome_frame(spec: RunbookSpec, span: Window) -> pd.DataFrame:
    """Decisions in ``span`` with their outcomes (NaN where none has arrived) in Steward's column names."""
    assert spec.outcomes is not None and spec.source.outcomes is not None
    cols, feed, section = spec.source.columns, spec.source.outcomes, spec.outcomes
    log = read_window(spec.source, span, _log_columns(spec))
    fields = _outcome_fields(spec)
    arrived = read_window(outcome_source(spec.source), Window(start=span.start, end=span.end + timedelta(days=3650)),
                          [feed.request_id, *fields], timestamp=feed.timestamp)
    arrived = arrived.sort_values(feed.timestamp).drop_duplicates(feed.request_id, keep="last")
    arrived = arrived.drop(columns=[feed.timestamp]).rename(columns={feed.request_id: cols.request_id})
    arrived[KNOWN] = True
    overlap = [c for c in fields if c in log.columns]
    frame = log.drop(columns=overlap).merge(arrived, on=cols.request_id, how="left")
    frame[KNOWN] = frame[KNOWN].notna()
    frame[TS] = frame[cols.timestamp]
    if feed.label:
        frame[LABEL] = binary(frame[feed.label], f"outcome label {feed.label!r}") if spec.kind == "classifier" \
            else pd.to_numeric(frame[feed.label], errors="coerce")
    if cols.score:
        frame[SCORE] = pd.to_numeric(frame[cols.score], errors="coerce")
    if cols.prediction:
        frame[PREDICTION] = pd.to_numeric(frame[cols.prediction], errors="coerce")
    if section.flagged_decisions:
        frame[FLAGGED] = frame[cols.decision].astype(str).isin(section.flagged_decisions)
    elif section.flag_threshold is not None:
        frame[FLAGGED] = frame[SCORE] >= section.flag_threshold
    for name, column in ((RESOLVED, section.signals.resolved), (ESCALATED, section.signals.escalated),
                         (ERROR, section.signals.error), (FALLBACK, section.signals.fallback)):
        if column:
            frame[name] = binary(frame[column], f"column {column!r}")
    if cols.latency_ms:
        frame[LATENCY] = pd.to_numeric(frame[cols.latency_ms], errors="coerce")
    return frame


def binary(values: pd.Series, what: str) -> pd.Series:
    """0/1 as floats with NaN where unknown; anything else is an error naming the column and value."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        numeric = values.astype(float)
    else:
        numeric = values.map(lambda v: _TRUTH.get(v.strip().lower() if isinstance(v, str) else v, np.nan)
                             if pd.notna(v) else np.nan).astype(float)
        unreadable = values.notna() & numeric.isna()
        if unreadable.any():
            raise SourceError(f"{what} must hold 0/1 or true/false, found {values[unreadable].iloc[0]!r}")
    if not numeric.dropna().isin((0.0, 1.0)).all():
        raise SourceError(f"{what} must hold 0/1 or true/false, found {numeric[~numeric.isin((0.0, 1.0)) & numeric.notna()].iloc[0]!r}")
    return numeric

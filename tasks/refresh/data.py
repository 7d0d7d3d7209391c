"""Decisions joined with their late-arriving labels: what a model is trained and judged on."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from runbooks.spec import RunbookSpec
from tasks.core.windows import Window
from tasks.io.outcomes import binary, outcome_source
from tasks.io.sources import SourceError, read_window

LABEL = "label"  # the label column's name in a labelled frame, whatever the log calls it
LABEL_HORIZON = timedelta(days=730)  # how long after a decision its label may still arrive


def labelled_columns(spec: RunbookSpec, extra: list[str]) -> list[str]:
    """The log columns a labelled frame keeps: request id, timestamp, features, score and ``extra``."""
    cols = spec.source.columns
    wanted = [cols.request_id, cols.timestamp, *cols.features, cols.score, *extra]
    return list(dict.fromkeys(c for c in wanted if c))


def read_labelled(spec: RunbookSpec, window: Window, extra: list[str] | None = None) -> pd.DataFrame:
    """Rows of ``window`` that have a label, with the label as a 0/1 column named ``label``.

    Rows whose label has not arrived are left out: they cannot be scored, and
    counting them as negatives would flatter every model.
    """
    outcomes = spec.source.outcomes
    if outcomes is None or outcomes.label is None:
        raise SourceError(f"{spec.system}: runbook source.outcomes.label is needed to train and evaluate models")
    cols = spec.source.columns
    decisions = read_window(spec.source, window, labelled_columns(spec, extra or []))
    labels = read_window(outcome_source(spec.source), Window(start=window.start, end=window.end + LABEL_HORIZON),
                         [outcomes.request_id, outcomes.label], timestamp=outcomes.timestamp)
    labels[LABEL] = binary(labels[outcomes.label], f"outcomes.label {outcomes.label!r}")
    latest = labels.dropna(subset=[LABEL]).sort_values(outcomes.timestamp, kind="stable")  # a correction wins
    latest = latest.drop_duplicates(outcomes.request_id, keep="last")[[outcomes.request_id, LABEL]]
    frame = decisions.merge(latest.rename(columns={outcomes.request_id: cols.request_id}), on=cols.request_id)
    frame[LABEL] = frame[LABEL].astype(int)
    return frame.sort_values(cols.timestamp, kind="stable", ignore_index=True)

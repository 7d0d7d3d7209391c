"""Per-system golden sets: real, labelled decisions every model version is judged on."""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.store.audit import append_audit
from tasks.store.models import GoldenExample


def add_golden(session: Session, system: str, frame: pd.DataFrame, *, request_id: str, timestamp: str, label: str,
               actor: str) -> int:
    """Keep ``frame``'s rows (features, logged score and label) as golden examples; returns how many were new."""
    known = set(session.scalars(select(GoldenExample.request_id).where(GoldenExample.system == system)))
    fresh = frame[~frame[request_id].astype(str).isin(known)]
    records = json.loads(fresh.to_json(orient="records", date_format="iso"))
    for record, ts, value in zip(records, fresh[timestamp], fresh[label], strict=True):
        session.add(GoldenExample(system=system, request_id=str(record[request_id]), ts=ts.to_pydatetime(),
                                  label=int(value), row=record, added_by=actor))
    if len(fresh):
        append_audit(session, actor=actor, action="golden.added", system=system, details={"examples": len(fresh)})
    session.flush()
    return len(fresh)


def choose_golden(rows: pd.DataFrame, size: int, *, label: str, seed: int = 7) -> pd.DataFrame:
    """Every positive up to half of ``size``, then negatives: a rare class is still judged on enough cases."""
    positives = rows[rows[label] == 1]
    positives = positives.sample(min(len(positives), size // 2), random_state=seed)
    negatives = rows[rows[label] == 0]
    return pd.concat([positives, negatives.sample(min(len(negatives), size - len(positives)), random_state=seed)])


def golden_frame(session: Session, system: str) -> pd.DataFrame:
    """The golden set as a frame, one row per example, in the log's column names."""
    rows = session.scalars(select(GoldenExample.row).where(GoldenExample.system == system).order_by(GoldenExample.id))
    return pd.DataFrame.from_records(list(rows))

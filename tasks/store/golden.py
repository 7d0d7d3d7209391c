"""Per-system golden sets: real, labelled decisions every model version is judged on, and (for LLM apps)
real interactions with known outcomes every prompt or model change is judged on."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.store.audit import append_audit
from tasks.store.models import GoldenExample, GoldenInteraction


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


# LLM interactions (change reviews): versioned sets, each change a new version with its audit entry.


def interaction_version(session: Session, system: str) -> int:
    """The current golden-set version of ``system`` (0 before any was built)."""
    rows = session.execute(select(GoldenInteraction.since_version, GoldenInteraction.until_version)
                           .where(GoldenInteraction.system == system)).all()
    return max((max(s, u or 0) for s, u in rows), default=0)


def current_interactions(session: Session, system: str) -> list[GoldenInteraction]:
    """The examples of the current version, oldest first."""
    return list(session.scalars(select(GoldenInteraction).where(
        GoldenInteraction.system == system, GoldenInteraction.until_version.is_(None)).order_by(GoldenInteraction.ts,
                                                                                                 GoldenInteraction.id)))


def add_interactions(session: Session, system: str, records: list[dict[str, Any]], *, actor: str,
                     replace: bool = False, reason: str) -> int:
    """A new version holding ``records`` (already masked) besides, or with ``replace`` instead of, the current ones;
    returns the new version number. ``records`` hold request_id, ts, route, outcome, input_text and reference."""
    version = interaction_version(session, system) + 1
    current = current_interactions(session, system)
    known = {row.request_id for row in current}
    if replace:
        for row in current:
            row.until_version = version
        known = set()
    fresh = [r for r in records if str(r["request_id"]) not in known]
    for record in fresh:
        session.add(GoldenInteraction(system=system, since_version=version, added_by=actor,
                                      **{**record, "request_id": str(record["request_id"])}))
    append_audit(session, actor=actor, action="golden.version", system=system,
                 details={"version": version, "added": len(fresh), "replaced": len(current) if replace else 0,
                          "reason": reason})
    session.flush()
    return version


def remove_interaction(session: Session, system: str, request_id: str, *, actor: str) -> int | None:
    """A new version without ``request_id``; None when the current set does not hold it."""
    row = session.scalars(select(GoldenInteraction).where(
        GoldenInteraction.system == system, GoldenInteraction.request_id == request_id,
        GoldenInteraction.until_version.is_(None))).first()
    if row is None:
        return None
    version = interaction_version(session, system) + 1
    row.until_version = version
    append_audit(session, actor=actor, action="golden.version", system=system,
                 details={"version": version, "removed": request_id})
    session.flush()
    return version

"""Versioned reference profiles (drift baselines); the newest version is the one in force."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasks.core.profiles import TableProfile
from tasks.core.windows import Window
from tasks.store.audit import append_audit
from tasks.store.models import ReferenceProfile


def save_baseline(
    session: Session, *, system: str, window: Window, profile: TableProfile, rows_by_weekday: dict[str, float],
    created_by: str,
) -> ReferenceProfile:
    latest = session.scalar(select(func.max(ReferenceProfile.version)).where(ReferenceProfile.system == system))
    record = ReferenceProfile(
        system=system, version=(latest or 0) + 1, window_start=window.start, window_end=window.end,
        rows=profile.rows, rows_by_weekday=rows_by_weekday, profile=profile.model_dump(mode="json"),
        created_by=created_by,
    )
    session.add(record)
    session.flush()
    append_audit(session, actor=created_by, action="baseline.created", system=system,
                 details={"version": record.version, "window": window.label(), "rows": profile.rows,
                          "columns": sorted(profile.columns)})
    return record


def current_baseline(session: Session, system: str) -> ReferenceProfile | None:
    return session.scalars(
        select(ReferenceProfile).where(ReferenceProfile.system == system).order_by(ReferenceProfile.version.desc()).limit(1)
    ).first()

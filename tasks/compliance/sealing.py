"""Seal what is not sealed yet and recompute what is: the tamper-evidence step of the compliance audit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.compliance.seals import EMPTY_DAY, SealCheck, day_hashes
from tasks.core.windows import Window
from tasks.store.models import AuditEntry
from tasks.store.seals import add_seal, sealed_days

DECISIONS, AUDIT = "decisions", "audit"
AUDIT_COLUMNS = ("id", "at", "actor", "system", "action", "details", "prev_hash", "hash")


def audit_rows(session: Session, system: str, window: Window) -> pd.DataFrame:
    """Steward's own audit-trail entries about ``system`` in ``window``, as rows to seal."""
    entries = session.scalars(select(AuditEntry).where(
        AuditEntry.system == system, AuditEntry.at >= window.start, AuditEntry.at < window.end))
    return pd.DataFrame([{c: getattr(e, c) for c in AUDIT_COLUMNS} for e in entries], columns=list(AUDIT_COLUMNS))


def window_days(window: Window) -> list[date]:
    return [d.date() for d in pd.date_range(window.start.date(), window.end.date() - timedelta(days=1), freq="D")]


def seal_and_verify(
    session: Session, system: str, log: str, frame: pd.DataFrame, *, timestamp: str, key: str,
    text_fields: Sequence[str], days: Sequence[date], now: datetime,
) -> list[SealCheck]:
    """Recompute every sealed day among ``days``; seal the complete days (before ``now``) that have none."""
    hashes = day_hashes(frame, timestamp, key, text_fields)
    existing = sealed_days(session, system, log, days)
    today = now.astimezone(UTC).date()
    checks: list[SealCheck] = []
    for day in sorted(days):
        rows, content = hashes.get(day, (0, EMPTY_DAY))
        if (seal := existing.get(day)) is not None:
            if seal.purged_by is None:
                checks.append(SealCheck(log=log, day=day, sealed_rows=seal.rows, rows=rows, sealed_hash=seal.content_hash,
                                        content_hash=content, seal_hash=seal.hash,
                                        intact=(seal.rows, seal.content_hash) == (rows, content)))
        elif day < today:
            seal = add_seal(session, system, log, day, rows, content)
            checks.append(SealCheck(log=log, day=day, sealed_rows=rows, rows=rows, sealed_hash=content,
                                    content_hash=content, seal_hash=seal.hash, intact=True, new=True))
    return checks

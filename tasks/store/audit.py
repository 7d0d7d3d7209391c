"""The append-only audit trail, hash-chained so that a removed or edited entry shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.core.chain import GENESIS, Link, sha256_json
from tasks.core.chain import broken_links as broken_chain_links
from tasks.store.models import AuditEntry, utcnow


def entry_hash(prev_hash: str, at: datetime, actor: str, system: str | None, action: str, details: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and a canonical JSON envelope of the entry."""
    return sha256_json({"prev": prev_hash, "at": at.isoformat(), "actor": actor, "system": system, "action": action,
                        "details": details}, sort_keys=True)


def append_audit(
    session: Session, *, actor: str, action: str, system: str | None = None, details: dict[str, Any] | None = None
) -> AuditEntry:
    """Append one entry in the caller's transaction, so it commits with the change it records."""
    details = details or {}
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1).with_for_update()).first()
    prev = last.hash if last else GENESIS
    at = utcnow().replace(microsecond=0)
    entry = AuditEntry(
        at=at,
        actor=actor,
        system=system,
        action=action,
        details=details,
        prev_hash=prev,
        hash=entry_hash(prev, at, actor, system, action, details),
    )
    session.add(entry)
    session.flush()
    return entry


def broken_links(session: Session) -> list[int]:
    """Ids of entries whose hash or chain link does not verify (empty when intact)."""
    return broken_chain_links(
        Link(e.id, "audit", e.prev_hash, e.hash, entry_hash(e.prev_hash, e.at, e.actor, e.system, e.action, e.details))
        for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id)))

"""Daily seals in the ops store: add one chained to the last, read them back, verify the chain."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.core.chain import GENESIS, Link, broken_links, sha256_json
from tasks.store.models import LogSeal


def seal_hash(prev_hash: str, system: str, log: str, day: date, rows: int, content_hash: str) -> str:
    """A seal's own hash: it commits to the previous seal, so removing or editing one breaks the chain."""
    return sha256_json([prev_hash, system, log, day.isoformat(), rows, content_hash])


def sealed_days(session: Session, system: str, log: str, days: Iterable[date]) -> dict[date, LogSeal]:
    wanted = list(days)
    rows = session.scalars(select(LogSeal).where(LogSeal.system == system, LogSeal.log == log, LogSeal.day.in_(wanted)))
    return {s.day: s for s in rows}


def add_seal(session: Session, system: str, log: str, day: date, rows: int, content_hash: str) -> LogSeal:
    """Seal one day, chained to this log's latest seal (locked, so two audits cannot fork the chain)."""
    last = session.scalars(
        select(LogSeal).where(LogSeal.system == system, LogSeal.log == log)
        .order_by(LogSeal.id.desc()).limit(1).with_for_update()
    ).first()
    prev = last.hash if last else GENESIS
    seal = LogSeal(system=system, log=log, day=day, rows=rows, content_hash=content_hash, prev_hash=prev,
                   hash=seal_hash(prev, system, log, day, rows, content_hash))
    session.add(seal)
    session.flush()
    return seal


def broken_seal_links(session: Session, system: str) -> list[str]:
    """'log:day' of every seal whose hash or link to the previous seal does not verify."""
    return broken_links(
        Link(f"{s.log}:{s.day}", s.log, s.prev_hash, s.hash,
             seal_hash(s.prev_hash, s.system, s.log, s.day, s.rows, s.content_hash))
        for s in session.scalars(select(LogSeal).where(LogSeal.system == system).order_by(LogSeal.id)))

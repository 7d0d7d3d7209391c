"""Check results: one row per (system, duty, window); re-running a window replaces it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from tasks.store.models import CheckResult, utcnow


def record_result(
    session: Session,
    *,
    system: str,
    duty: str,
    window_start: datetime,
    window_end: datetime,
    status: str,
    headline: str,
    findings: dict[str, Any],
    report_path: str | None = None,
    flow_run_id: str | None = None,
) -> CheckResult:
    """Upsert atomically, so two runs of the same night can never leave two rows."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    values = dict(
        system=system,
        duty=duty,
        window_start=window_start,
        window_end=window_end,
        status=status,
        headline=headline,
        findings=findings,
        report_path=report_path,
        flow_run_id=flow_run_id,
        runs=1,
        created_at=now,
        updated_at=now,
    )
    statement = insert(CheckResult).values(**values)
    replaced = {k: statement.excluded[k] for k in ("status", "headline", "findings", "report_path", "flow_run_id")}
    statement = statement.on_conflict_do_update(
        index_elements=["system", "duty", "window_start", "window_end"],
        set_={**replaced, "runs": CheckResult.runs + 1, "updated_at": now},
    ).returning(CheckResult.id)
    row_id = session.execute(statement).scalar_one()
    session.expire_all()
    return session.get_one(CheckResult, row_id)


def latest_results(session: Session, system: str) -> dict[str, CheckResult]:
    """The most recent window's result for each duty of ``system``."""
    return latest_by_system(session, system).get(system, {})


def latest_by_system(session: Session, system: str | None = None) -> dict[str, dict[str, CheckResult]]:
    """The most recent window's result for each duty of each system (or of ``system``): one query for a whole
    fleet, which the reports index lists."""
    newest = select(CheckResult.system, CheckResult.duty, func.max(CheckResult.window_end).label("window_end"))
    rows = select(CheckResult)
    if system is not None:
        newest, rows = newest.where(CheckResult.system == system), rows.where(CheckResult.system == system)
    latest = newest.group_by(CheckResult.system, CheckResult.duty).subquery()
    found: dict[str, dict[str, CheckResult]] = {}
    for r in session.scalars(rows.join(latest, (CheckResult.system == latest.c.system)
                                       & (CheckResult.duty == latest.c.duty)
                                       & (CheckResult.window_end == latest.c.window_end))):
        found.setdefault(r.system, {})[r.duty] = r
    return found


def latest_judged(session: Session, system: str, duty: str) -> CheckResult | None:
    """The newest window that was actually judged: a skipped one (e.g. labels not mature) says nothing."""
    return session.scalars(
        select(CheckResult)
        .where(CheckResult.system == system, CheckResult.duty == duty, CheckResult.status != "skipped")
        .order_by(CheckResult.window_end.desc())
        .limit(1)
    ).first()

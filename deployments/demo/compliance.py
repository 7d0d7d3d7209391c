"""The compliance duty's two demo moments: its counts next to the planted truth, and a tamper drill."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from rich.console import Console

from deployments.demo.simulator import PLANTED_PII, SUPPORT_SYSTEM
from tasks.common.findings import DutyReport
from tasks.core.windows import Window
from tasks.store.database import steward_home

_IN = "from support_interactions where ts >= ? and ts < ?"


def _bounds(window: Window) -> tuple[str, str]:
    return str(window.start.replace(tzinfo=None)), str(window.end.replace(tzinfo=None))


def versus_planted(reports: list[DutyReport], console: Console) -> None:
    """For support-assistant's latest audit: rows with PII found vs planted, rows without model version vs the log."""
    report = [r for r in reports if r.system == SUPPORT_SYSTEM][-1]
    planted = [v for _, values in PLANTED_PII.values() for v in values]
    leaked = " and (" + " or ".join("instr(user_message, ?) > 0" for _ in planted) + ")"
    with sqlite3.connect(steward_home() / "demo.db") as db:
        leaks = db.execute(f"select count(*) {_IN}{leaked}", (*_bounds(report.window), *planted)).fetchone()[0]
        unversioned = db.execute(f"select count(*) {_IN} and model_version is null", _bounds(report.window)).fetchone()[0]
    counts = {f.key: f.evidence["counts"] for f in report.findings}
    console.print(f"  {SUPPORT_SYSTEM} · compliance {report.window.label()}: rows with PII found "
                  f"{counts['pii'].get('rows_with_pii', 0)} (planted {leaks}); rows without model version counted "
                  f"{counts['completeness'].get('missing_model_version', 0)} (in the log {unversioned})", markup=False)


def tamper_drill(window: str, console: Console) -> DutyReport:
    """Edit one logged answer on a sealed day, as an insider might, and show the next audit catching it."""
    from flows.compliance_audit import compliance_audit

    day: date = Window.parse(window).end.date() - timedelta(days=3)
    with sqlite3.connect(steward_home() / "demo.db") as db:
        [row] = db.execute(f"select request_id {_IN} order by ts limit 1", (str(day), str(day + timedelta(days=1)))).fetchone()
        db.execute("update support_interactions set response = 'Refund approved.' where request_id = ?", (row,))
    report = compliance_audit(system=SUPPORT_SYSTEM, window=window)
    tamper = next(f for f in report.findings if f.key == "tamper-evidence")
    console.print(f"  tamper drill: edited {row} on sealed day {day}; next audit: {tamper.title}", markup=False)
    return report

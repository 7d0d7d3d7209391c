"""The reports index: every system, its owner, the latest report of each duty by status, open alerts.

Written to ``$STEWARD_HOME/reports/index.html`` after every duty run (so it opens
as a file) and rendered fresh at ``/`` by the report server. Report links are
relative to the reports folder, so the same page works from either place.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy.orm import Session

from runbooks.loader import Catalog
from tasks.core.status import CheckStatus
from tasks.core.windows import Window
from tasks.render.links import reports_dir
from tasks.store.alerts import active_alerts
from tasks.store.models import Alert, utcnow
from tasks.store.results import latest_by_system

COLOURS = {CheckStatus.healthy: "#1a7f37", CheckStatus.attention: "#cf222e", CheckStatus.failed: "#cf222e",
           CheckStatus.no_data: "#bf8700", CheckStatus.skipped: "#6e7781"}


class DutyCell(BaseModel):
    """The latest result of one duty; ``report`` is the report's path relative to the reports folder."""

    duty: str
    window: str | None = None
    status: CheckStatus | None = None  # None: never run
    headline: str = "never run"
    report: str | None = None


class AlertLine(BaseModel):
    id: int
    duty: str
    severity: str
    state: str
    title: str
    since: datetime


class SystemEntry(BaseModel):
    system: str
    owner: str
    role: str
    duties: list[DutyCell]
    alerts: list[AlertLine]


class IndexPage(BaseModel):
    """What the index shows, gathered from the ops store; rendering needs nothing else."""

    generated_at: datetime
    systems: list[SystemEntry]


def _relative(path: str | None, root: Path) -> str | None:
    if not path:
        return None
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None  # outside the reports folder: not served


def gather_index(session: Session, catalog: Catalog) -> IndexPage:
    """Two queries for the whole fleet, not two per system: a batch of a thousand writes it once, at its end."""
    root = reports_dir()
    results = latest_by_system(session)
    open_alerts: dict[str, list[Alert]] = {}
    for alert in active_alerts(session):
        open_alerts.setdefault(alert.system, []).append(alert)
    systems = []
    for name, spec in sorted(catalog.specs.items()):
        latest = results.get(name, {})
        duties = [
            DutyCell(duty=d.value, window=Window(start=r.window_start, end=r.window_end).label(),
                     status=CheckStatus(r.status), headline=r.headline, report=_relative(r.report_path, root))
            if (r := latest.get(d.value)) else DutyCell(duty=d.value)
            for d in spec.duties()
        ]
        alerts = [AlertLine(id=a.id, duty=a.duty, severity=a.severity, state=a.state, title=a.title, since=a.first_seen)
                  for a in open_alerts.get(name, [])]
        systems.append(SystemEntry(system=name, owner=spec.owner.name, role=spec.owner.role, duties=duties,
                                   alerts=alerts))
    return IndexPage(generated_at=utcnow(), systems=systems)


def index_html(page: IndexPage, base: str = "") -> str:
    """The page; report links are ``base`` + their path under the reports folder."""
    e = html.escape
    style = ("body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}table{border-collapse:collapse;"
             "margin-bottom:1rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left}th{background:#f3f3f3}"
             ".status{color:#fff;padding:0 .4rem;border-radius:.3rem;font-weight:600}")
    parts = []
    for entry in page.systems:
        rows = []
        for cell in entry.duties:
            colour = COLOURS.get(cell.status, "#6e7781") if cell.status else "#afb8c1"
            label = cell.status.value if cell.status else "never run"
            link = f"<a href='{e(base + cell.report)}'>{e(cell.window or 'report')}</a>" if cell.report else e(cell.window or "")
            rows.append(f"<tr class='duty' data-duty='{e(cell.duty)}' data-status='{e(label)}'><td>{e(cell.duty)}</td>"
                        f"<td><span class='status' style='background:{colour}'>{e(label)}</span></td>"
                        f"<td>{link}</td><td>{e(cell.headline)}</td></tr>")
        alerts = "".join(f"<li>#{a.id} {e(a.duty)} · {e(a.severity)} · {e(a.state)} since {a.since:%Y-%m-%d}: "
                         f"{e(a.title)}</li>" for a in entry.alerts) or "<li>none</li>"
        parts.append(f"<section id='{e(entry.system)}'><h2>{e(entry.system)}</h2>"
                     f"<p>Owner: {e(entry.owner)} ({e(entry.role)})</p>"
                     "<table><thead><tr><th>duty</th><th>status</th><th>window</th><th>headline</th></tr></thead>"
                     f"<tbody>{''.join(rows)}</tbody></table><h3>Open alerts</h3><ul>{alerts}</ul></section>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Steward reports</title><style>{style}</style>"
            f"</head><body><h1>Steward reports</h1><p>As of {page.generated_at:%Y-%m-%d %H:%M} UTC.</p>"
            f"{''.join(parts) or '<p>No systems.</p>'}</body></html>")


def write_index(page: IndexPage, path: Path | None = None) -> Path:
    """Write the index (default: ``$STEWARD_HOME/reports/index.html``) atomically, for whoever opens it."""
    path = path or reports_dir() / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".html.tmp")
    partial.write_text(index_html(page), encoding="utf-8")
    partial.replace(path)
    return path

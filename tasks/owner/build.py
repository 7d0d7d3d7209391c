"""Open the store once and build what the owner reads: the monthly report, the portfolio, the assessment.

The CLI, the ``owner-report`` flow and the demo all call these, so they build the same pages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from runbooks.loader import Catalog
from tasks.core.status import Delivery
from tasks.owner.assess import Assessment, assess
from tasks.owner.data import OpsRecord, read_ops
from tasks.owner.report import (
    OwnerReport,
    PortfolioRow,
    build_owner_report,
    owner_page_path,
    portfolio_row,
    write_owner_page,
    write_portfolio,
)
from tasks.slack.summary import post_summary
from tasks.store.database import open_store


def _runbooks_dir(catalog: Catalog, system: str) -> Path:
    """The runbooks folder of ``system``'s file (its playbooks live beside systems/)."""
    return catalog.files[system].parent.parent


def read_all(catalog: Catalog, systems: list[str]) -> dict[str, OpsRecord]:
    with open_store().session() as session:
        return {s: read_ops(session, s) for s in systems}


def assessments(catalog: Catalog, systems: list[str], now: datetime | None = None,
                ops: dict[str, OpsRecord] | None = None) -> list[Assessment]:
    now = now or datetime.now(UTC)
    ops = ops or read_all(catalog, systems)
    return [assess(catalog.get(s), ops[s], _runbooks_dir(catalog, s), now) for s in systems]


def monthly_report(catalog: Catalog, system: str, month: str, ops: OpsRecord | None = None,
                   write: bool = True) -> OwnerReport:
    """Build (and write) ``system``'s page for ``month``, with its readiness level."""
    ops = ops or read_all(catalog, [system])[system]
    spec = catalog.get(system)
    [assessment] = assessments(catalog, [system], ops={system: ops})
    report = build_owner_report(spec, ops, month, assessment)
    if write:
        report = report.model_copy(update={"path": str(owner_page_path(system, month))})
        write_owner_page(report)
    return report


def post_owner_summary(catalog: Catalog, report: OwnerReport) -> Delivery:
    return post_summary(catalog.get(report.system).owner, f"{report.system} · {report.month} · the month in short",
                        report.headline, report.path)


def portfolio(catalog: Catalog, month: str) -> tuple[Path, list[PortfolioRow], list[OwnerReport]]:
    """Every system's monthly page, then the portfolio page linking them."""
    systems = sorted(catalog.specs)
    ops = read_all(catalog, systems)
    reports = [monthly_report(catalog, s, month, ops=ops[s]) for s in systems]
    rows = [portfolio_row(r, sum(a.state != "resolved" for a in ops[r.system].alerts)) for r in reports]
    return write_portfolio(rows, month), rows, reports

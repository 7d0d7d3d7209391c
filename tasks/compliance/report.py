"""The compliance evidence pack: one JSON file and one HTML page per audit, beside each other.

The pack holds the scope, every check with its rule and result, and the seal
hashes; the JSON's own SHA-256 is printed in the HTML so a copy can be checked.
"""

from __future__ import annotations

import hashlib
import html
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from runbooks.spec import Duty, RunbookSpec
from tasks.common.findings import cap_findings
from tasks.compliance.checks import Check
from tasks.compliance.metrics import AuditScope, ComplianceMetrics, ComplianceReport
from tasks.compliance.seals import SealCheck
from tasks.core.status import CheckStatus
from tasks.core.windows import Coverage
from tasks.render.html import html_table, report_path, write_html_report


def build_report(spec: RunbookSpec, coverage: Coverage, checks: list[Check], seals: list[SealCheck],
                 scope: AuditScope) -> ComplianceReport:
    """The audit's verdict on the covered days of ``coverage.window`` (``scope['rows']`` rows).

    Days without a single row are never "all checks pass": they are ``no_data`` (still ``attention`` when a
    critical check fails, e.g. rows deleted from a sealed day).
    """
    window, covered = coverage.window, coverage.covered
    assert covered is not None, "an uncovered window is not audited"
    violations = [c for c in checks if c.verdict == "violation"]
    found = f"{len(violations)} compliance violation(s): {'; '.join(c.title for c in violations)}"
    if not scope.rows:
        headline = f"No decisions logged in {covered.label()}, inside the log's life: nothing to audit"
        headline += f"; {found}" if violations else ""
        critical = any(c.severity == "critical" for c in violations)
        status = CheckStatus.attention if critical else CheckStatus.no_data
    else:
        headline = found if violations else f"All {sum(c.verdict == 'pass' for c in checks)} measured compliance checks pass"
        status = CheckStatus.attention if any(c.severity != "info" for c in violations) else CheckStatus.healthy
    if coverage.partial:
        headline += f" ({coverage.note()})"
    return ComplianceReport(
        system=spec.system, duty=Duty.compliance, window_start=window.start, window_end=window.end,
        status=status, headline=headline, findings=cap_findings([c.finding() for c in checks]),
        coverage=coverage.label() if coverage.partial else None,
        metrics=ComplianceMetrics(scope=scope, checks=checks, seals=seals),
    )


def check_rows(report: ComplianceReport) -> list[dict[str, Any]]:
    """One row per check: the Prefect table artifact and the HTML overview."""
    return [{k: getattr(c, k) for k in ("name", "verdict", "severity", "title", "rule", "regulation")}
            for c in report.metrics.checks]


def write_evidence_pack(report: ComplianceReport, generated_at: datetime) -> Path:
    """Write ``<window>.json`` and ``<window>.html``; returns the HTML path."""
    page = report_path(report.system, Duty.compliance.value, report.window.label())
    pack = {"generated_at": generated_at.isoformat(), "system": report.system, "window": report.window.label(),
            "status": report.status.value, "headline": report.headline, **report.metrics.model_dump(mode="json")}
    body = json.dumps(pack, indent=2, sort_keys=True, default=str)
    page.with_suffix(".json").write_text(body, encoding="utf-8")
    digest = hashlib.sha256(body.encode()).hexdigest()
    checks = report.metrics.model_dump(mode="json")["checks"]  # counts as the JSON pack holds them
    pii = next((c for c in checks if c["name"] == "pii"), None)
    scope = report.metrics.scope.model_dump() if report.metrics.scope else {}
    sections = {
        "Scope": html_table([{"item": k, "value": v} for k, v in scope.items()]),
        "Checks": html_table(check_rows(report), sort_by="verdict"),
        "Counts and example request ids": html_table(
            [{"check": c["name"], "counts": json.dumps({k: v for k, v in c["counts"].items() if k != "detail"}),
              "examples": ", ".join(c["examples"])} for c in checks]),
        "PII by field (masked samples only)": html_table(pii["counts"].get("detail", [])) if pii else "",
        "Seals recomputed": html_table([s.model_dump(mode="json") for s in report.metrics.seals]),
        "This pack": f"<p>JSON: <code>{html.escape(page.with_suffix('.json').name)}</code>, "
                     f"SHA-256 <code>{digest}</code></p>",
    }
    return write_html_report(page, f"Compliance evidence · {report.system} · {report.window.label()}",
                             report.headline, sections)

"""The owner's read-out after every audit (alerts go separately, through ``settle``)."""

from __future__ import annotations

from runbooks.spec import RunbookSpec
from tasks.compliance.metrics import ComplianceReport
from tasks.core.status import Delivery
from tasks.slack.summary import post_summary


def send_summary(spec: RunbookSpec, report: ComplianceReport) -> Delivery:
    title = f"Compliance audit · {spec.system} · {report.window.label()}: {report.headline}"
    return post_summary(spec.owner, title, [f.title for f in report.findings], report.report_path)

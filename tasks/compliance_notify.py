"""What the compliance duty tells the owner outside alerts: the audit summary and purge requests.

Kept to these two small functions so a shared summary poster can replace ``tell_owner``.
"""

from __future__ import annotations

from runbooks.spec import RunbookSpec
from tasks.findings import DutyReport
from tasks.slack.notifier import destination, slack_client, slack_config


def tell_owner(spec: RunbookSpec, text: str) -> None:
    """One message to the owner's Slack destination; silent when Slack is not configured."""
    if (config := slack_config()) is not None:
        slack_client(config).chat_postMessage(channel=destination(spec.owner), text=text[:3000])


def send_summary(spec: RunbookSpec, report: DutyReport) -> None:
    """A short summary to the owner after every audit (alerts go separately, through ``settle``)."""
    lines = [f"*Compliance audit · {spec.system} · {report.window.label()}*: {report.headline}"]
    lines += [f"• {f.title}" for f in report.findings]
    lines.append(f"Evidence pack: `{report.report_path}`")
    tell_owner(spec, "\n".join(lines))

"""A duty's periodic summary for its owner: a short Slack message, whether or not anything alerted.

Alerts (``tasks.common.duty``) page once per incident; a summary is the monthly or
weekly read-out every owner gets. Any duty can send one; it never raises, it
says what became of the message.
"""

from __future__ import annotations

from runbooks.spec import Owner
from tasks.core.status import Delivery
from tasks.render.links import report_url, slack_link
from tasks.slack.notifier import SLACK_FAILURES, destination, slack_client, slack_config

MAX_TEXT = 2900  # a Block Kit section holds 3,000 characters


CHANGE_REVIEW = "steward_change_review"


def summary_blocks(title: str, lines: list[str], report_path: str | None,
                   commands: list[str] | None = None) -> list[dict]:
    """``commands`` (e.g. the change review a saving needs) become buttons whose value is the command."""
    body = "\n".join(f"• {line}" for line in lines) or "Nothing to report."
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
                          {"type": "section", "text": {"type": "mrkdwn", "text": body[:MAX_TEXT]}}]
    if commands:
        blocks.append({"type": "actions", "block_id": CHANGE_REVIEW, "elements": [
            {"type": "button", "action_id": f"{CHANGE_REVIEW}_{i}", "value": command[:2000],
             "text": {"type": "plain_text", "text": f"Test: {command.split('--candidate ')[-1]}"[:75]}}
            for i, command in enumerate(commands[:5])]})
    if report_path:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": slack_link(report_url(report_path), "Open report")}]})
    return blocks


def post_summary(owner: Owner, title: str, lines: list[str], report_path: str | None = None,
                 commands: list[str] | None = None) -> Delivery:
    """Post ``title`` and ``lines`` to the owner's channel (or DM); the delivery status, never an exception."""
    config = slack_config()
    if config is None:
        return Delivery.not_configured
    try:
        slack_client(config).chat_postMessage(channel=destination(owner), text=title,
                                              blocks=summary_blocks(title, lines, report_path, commands),
                                              unfurl_links=False)
    except SLACK_FAILURES:
        return Delivery.failed
    return Delivery.sent

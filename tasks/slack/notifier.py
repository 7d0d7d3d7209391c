"""Tell the accountable owner: Block Kit alerts through the real ``slack_sdk`` client.

Slack is optional. Without it, alerts are still stored and the CLI shows where
they would have gone. A failed post is kept as undelivered and retried later,
so an outage never loses an alert. Tokens are never logged or shown.
"""

from __future__ import annotations

import http.client
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from runbooks.spec import Owner, RunbookSpec
from tasks.core.errors import Unavailable
from tasks.core.status import AlertState, Delivery
from tasks.render.links import playbook_url, report_url, run_url, slack_links
from tasks.store.database import secret_from_block
from tasks.store.models import Alert, utcnow

ACKNOWLEDGE, SNOOZE = "steward_alert_ack", "steward_alert_snooze"
ALERT_ACTIONS = (ACKNOWLEDGE, SNOOZE)
SNOOZE_HOURS = 24

SEVERITY_EMOJI = {"critical": ":rotating_light:", "warning": ":warning:", "info": ":information_source:"}


class SlackConfig(BaseModel):
    bot_token: SecretStr
    api_url: str = "https://slack.com/api/"
    signing_secret: SecretStr | None = None


def slack_config() -> SlackConfig | None:
    """The Slack app to post as, or None when Slack is not configured.

    In order: ``STEWARD_SLACK_BOT_TOKEN``; a Prefect Secret block holding the token,
    named by ``STEWARD_SLACK_TOKEN_BLOCK``; a ``Steward Slack`` block named by
    ``STEWARD_SLACK_BLOCK``. ``STEWARD_SLACK_API_URL`` overrides the API URL.
    """
    token = os.environ.get("STEWARD_SLACK_BOT_TOKEN")
    if not token and (secret_block := os.environ.get("STEWARD_SLACK_TOKEN_BLOCK")):
        token = secret_from_block(secret_block)
    if token:
        return SlackConfig(
            bot_token=SecretStr(token),
            api_url=os.environ.get("STEWARD_SLACK_API_URL") or "https://slack.com/api/",
            signing_secret=os.environ.get("STEWARD_SLACK_SIGNING_SECRET") or None,
        )
    if block_name := os.environ.get("STEWARD_SLACK_BLOCK"):
        from blocks.slack import StewardSlack

        block = StewardSlack.load(block_name)
        return SlackConfig(bot_token=block.bot_token, api_url=block.api_url, signing_secret=block.signing_secret)
    return None


class ServerErrorRetryHandler(RetryHandler):
    """Retry 5xx answers too: a Slack hiccup should cost a delay, not an undelivered alert."""

    def _can_retry(
        self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code >= 500


class SlackUnavailable(Unavailable):
    """Slack could not be reached at all (refused, DNS, timeout, dropped connection); worth retrying later."""


SLACK_FAILURES = (SlackClientError, SlackUnavailable)  # what any Slack call may raise; callers catch exactly these


class GuardedWebClient(WebClient):
    """The one Slack boundary: ``slack_sdk`` raises ``SlackApiError`` for an answer it dislikes but lets
    ``URLError``/``OSError``/``TimeoutError`` through for a connection that failed; those become
    :class:`SlackUnavailable`, so no caller mistakes an outage for a bug."""

    def api_call(self, api_method: str, **kwargs: Any) -> Any:  # type: ignore[override]
        try:
            return super().api_call(api_method, **kwargs)
        except (OSError, http.client.HTTPException) as exc:  # URLError and TimeoutError are OSErrors
            reason = getattr(exc, "reason", None) or exc
            raise SlackUnavailable(f"Slack did not answer {api_method} at {self.base_url}: "
                                   f"{type(exc).__name__}: {reason}") from exc


def slack_client(config: SlackConfig, max_retries: int = 2) -> WebClient:
    backoff = BackoffRetryIntervalCalculator(backoff_factor=0.2)
    return GuardedWebClient(
        token=config.bot_token.get_secret_value(),
        base_url=config.api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=max_retries, interval_calculator=backoff),
            RateLimitErrorRetryHandler(max_retry_count=max_retries),
            ServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=backoff),
        ],
    )


def destination(owner: Owner) -> str:
    """The owner's channel when the runbook names one, else a DM to the owner."""
    return owner.slack_channel or owner.slack_user_id


def alert_destination(spec: RunbookSpec, *, to_owner: bool = False) -> str:
    """Where an alert is posted: routine ones to the responders (their first channel, else the first of them)
    when the runbook names any; approvals' kin (``to_owner``: money-denominated SLA breaches) to the owner."""
    if spec.responders and not to_owner:
        channels = [r for r in spec.responders if not r.startswith(("U", "W"))]
        return (channels or spec.responders)[0]
    return destination(spec.owner)



def _button(text: str, **fields: Any) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, **fields}


def alert_buttons(alert: Alert) -> dict[str, Any] | None:
    """Acknowledge and Snooze (while unresolved; clicks go to the receiver), Open report and Playbook (links)."""
    elements: list[dict[str, Any]] = []
    if alert.state == AlertState.open:
        elements.append(_button("Acknowledge", action_id=ACKNOWLEDGE, value=str(alert.id), style="primary"))
    if alert.state != AlertState.resolved:
        elements.append(_button(f"Snooze {SNOOZE_HOURS} h", action_id=SNOOZE, value=str(alert.id)))
    if url := report_url(alert.details.get("report_path")):
        elements.append(_button("Open report", action_id="steward_alert_report", url=url))
    if url := playbook_url(alert.playbook):
        elements.append(_button("Playbook", action_id="steward_alert_playbook", url=url))
    return {"type": "actions", "block_id": f"alert-{alert.id}", "elements": elements} if elements else None


def lifecycle_line(alert: Alert) -> str | None:
    """Who has it: acknowledged by, snoozed until, escalated to, the latest note."""
    parts = []
    if alert.acknowledged_by:
        parts.append(f":eyes: Acknowledged by <@{alert.acknowledged_by}> at {alert.acknowledged_at:%Y-%m-%d %H:%M} UTC")
    if alert.snoozed_until and alert.snoozed_until > utcnow() and alert.state != AlertState.resolved:
        parts.append(f":zzz: Snoozed until {alert.snoozed_until:%Y-%m-%d %H:%M} UTC")
    if alert.escalation_level and alert.state == AlertState.open:
        parts.append(f"escalated to the {'backup' if alert.escalation_level == 1 else 'owner'}")
    if note := alert.details.get("note"):
        parts.append(f"Latest: {note}")
    return " · ".join(parts) or None


def alert_links(alert: Alert) -> str:
    """Open report, Prefect run and playbook as links; a report not reachable by URL gets the one note."""
    details = alert.details or {}
    links: list[tuple[str | None, str]] = []
    if details.get("report_path"):
        links.append((report_url(details["report_path"]), "Open report"))
    if run := run_url(details.get("flow_run_id")):
        links.append((run, "Prefect run"))
    if playbook := playbook_url(alert.playbook):
        links.append((playbook, "Playbook"))
    shown = slack_links(*links)
    if alert.playbook and playbook is None:  # not published: its name, never its path on the server
        shown = " · ".join(filter(None, [shown, f"playbook `{Path(alert.playbook).name}`"]))
    return shown


def alert_message(alert: Alert, owner: Owner) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text and Block Kit blocks for an alert in its current state."""
    resolved = alert.state == AlertState.resolved
    icon = ":white_check_mark:" if resolved else SEVERITY_EMOJI.get(alert.severity, ":warning:")
    status = "Resolved" if resolved else f"{alert.severity.capitalize()} · seen {alert.occurrences}×"
    text = f"{'[resolved] ' if resolved else ''}{alert.system} {alert.duty}: {alert.title}"
    context = (
        f"{status} · since {alert.first_seen:%Y-%m-%d %H:%M} UTC · owner {owner.name} (<@{owner.slack_user_id}>)"
        f" · alert `#{alert.id}`"
    )
    links = alert_links(alert)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{icon} *{alert.system} · {alert.duty}*: {alert.title}"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": alert.summary[:2900]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
    ]
    if links:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": links}]})
    if line := lifecycle_line(alert):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": line[:2900]}]})
    if buttons := alert_buttons(alert):
        blocks.append(buttons)
    return text, blocks


def deliver(client: WebClient, alert: Alert, owner: Owner) -> None:
    """Post a new alert, or update its existing message; records the outcome on the alert."""
    text, blocks = alert_message(alert, owner)
    try:
        if alert.slack_ts and alert.slack_channel:
            client.chat_update(channel=alert.slack_channel, ts=alert.slack_ts, text=text, blocks=blocks)
        else:
            reply = client.chat_postMessage(channel=alert.destination, text=text, blocks=blocks, unfurl_links=False)
            alert.slack_channel, alert.slack_ts = reply["channel"], reply["ts"]
    except SlackApiError as exc:
        alert.delivery, alert.delivery_error = Delivery.failed, f"Slack answered {exc.response.get('error', exc.response.status_code)}"
    except SLACK_FAILURES as exc:
        alert.delivery, alert.delivery_error = Delivery.failed, f"Slack unreachable: {type(exc).__name__}"
    else:
        alert.delivery, alert.delivery_error = Delivery.sent, None


def describe_destination(alert: Alert) -> str:
    """Where an alert went, or would have gone, in words for the CLI."""
    where = f"DM to {alert.destination}" if alert.destination.startswith(("U", "W")) else alert.destination
    if alert.delivery == Delivery.not_configured:
        return f"not sent (Slack not configured); would go to {where}"
    if alert.delivery == Delivery.failed:
        return f"not yet delivered to {where} ({alert.delivery_error}); will retry"
    if alert.delivery == Delivery.pending:
        return f"queued for {where}"
    return f"sent to {where}"

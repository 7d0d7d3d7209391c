"""Signed Slack clicks as the receiver gets them: the payload of a button click and its request signature."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tasks.approvals.workflow import APPROVE

SECRET = "unit-signing-secret"
OWNER, BACKUP, OUTSIDER = "U04DANA0001", "U04LUIS0002", "U09MALLORY"


def signed(payload: dict, secret: str = SECRET, stamp: int | None = None) -> tuple[bytes, dict[str, str]]:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    ts = str(stamp if stamp is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return body, {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature or ""}


def click(request_id: str, user: str, action: str = APPROVE) -> dict:
    return {"type": "block_actions", "user": {"id": user}, "container": {"channel_id": "D04DANA0001"},
            "actions": [{"action_id": action, "value": request_id}]}



def button_click(button: dict, user: str, channel: str = "D04DANA0001") -> dict:
    """The ``block_actions`` payload of pressing ``button`` (a Block Kit element as posted) in ``channel``."""
    return {"type": "block_actions", "user": {"id": user}, "container": {"channel_id": channel},
            "actions": [{"action_id": button["action_id"], "value": button.get("value"), "type": "button"}]}

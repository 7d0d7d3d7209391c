"""post_summary: any duty's read-out to its owner, through the real slack_sdk client and the fake Slack."""

from __future__ import annotations

import pytest

from runbooks.loader import default_runbooks_dir, load_catalog
from tasks.render.links import NO_PUBLIC_URL
from tasks.slack.summary import post_summary
from tasks.core.status import Delivery


@pytest.fixture
def owner():
    return load_catalog(default_runbooks_dir()).get("fraud-scoring").owner


def test_summary_goes_to_the_owner_and_says_how_it_went(fake_slack, monkeypatch, owner) -> None:
    assert post_summary(owner, "Cost review", ["a"]) == Delivery.not_configured
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    assert post_summary(owner, "Cost review · fraud-scoring", ["Spend $1", "Trim it"], "/r.html") == Delivery.sent
    [message] = fake_slack.posted()
    assert message["channel"] == owner.slack_user_id and message["text"] == "Cost review · fraud-scoring"
    assert message["blocks"][1]["text"]["text"] == "• Spend $1\n• Trim it"
    assert "/r.html" not in str(message["blocks"]) and NO_PUBLIC_URL in str(message["blocks"])  # no server path
    fake_slack.outage = 10
    assert post_summary(owner, "Cost review", ["a"]) == Delivery.failed

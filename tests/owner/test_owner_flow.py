"""The ``owner-report`` flow: the page, the portfolio beside it, and the owner's Slack summary with the path."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.owner_report import owner_report
from tasks.core.errors import WindowError


def test_the_flow_writes_both_pages_and_sends_the_owner_the_summary(prefect_api, fake_slack, monkeypatch,
                                                                     _isolated_home: Path) -> None:
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    report = owner_report(system="support-assistant", month="2026-11")
    assert Path(report.path).is_file() and (_isolated_home / "reports" / "portfolio.html").is_file()
    [message] = fake_slack.posted()
    assert message["channel"] == "#support-ai-ops"  # the owner's channel from the runbook
    header, body, context = message["blocks"]
    assert header["text"]["text"] == "support-assistant · 2026-11 · the month in short"
    assert "SLA not judged" in body["text"]["text"] and "set STEWARD_PUBLIC_URL" in context["elements"][0]["text"]  # a link, never a server path
    assert report.path not in str(fake_slack.posted())
    with pytest.raises(WindowError, match="2026-13"):
        owner_report(system="support-assistant", month="2026-13")

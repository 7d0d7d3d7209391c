"""Links users can open: a report's address under ``STEWARD_PUBLIC_URL`` (minimal stub; the report server's
branch owns this module)."""

from __future__ import annotations

import os
from pathlib import Path

from tasks.store.database import steward_home


def report_url(path: str | Path | None) -> str | None:
    """The public URL of a report under the reports folder, or None without ``STEWARD_PUBLIC_URL``."""
    base = os.environ.get("STEWARD_PUBLIC_URL")
    if not base or not path:
        return None
    try:
        relative = Path(path).resolve().relative_to((steward_home() / "reports").resolve())
    except ValueError:
        return None
    return f"{base.rstrip('/')}/reports/{relative.as_posix()}"


def slack_link(url: str | None, label: str) -> str:
    """``<url|label>`` for Slack mrkdwn, or the label alone without a URL."""
    return f"<{url}|{label}>" if url else label

"""Links people can open: reports, playbooks and Prefect runs as URLs, never as paths on the server.

``STEWARD_PUBLIC_URL`` is the address users reach the Steward server at (e.g. a
TLS proxy in front of it); ``steward up`` and ``steward serve`` default it to
their own report server. Without it there is no URL for a report, and a Slack
message says so once instead of printing a server path.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from tasks.store.database import steward_home

REPORTS = "/reports/"  # where the report server mounts $STEWARD_HOME/reports
NO_PUBLIC_URL = "reports are on the Steward server; set STEWARD_PUBLIC_URL to link them"


def public_url() -> str | None:
    """``STEWARD_PUBLIC_URL`` without its trailing slash; None when unset."""
    url = os.environ.get("STEWARD_PUBLIC_URL", "").strip().rstrip("/")
    return url or None


def reports_dir() -> Path:
    return steward_home() / "reports"


def report_url(path: str | Path | None) -> str | None:
    """The public URL of a report file under the reports folder; None without a public URL, or for a
    file outside the folder (it is not served)."""
    base = public_url()
    if not path or base is None:
        return None
    try:
        relative = Path(path).resolve().relative_to(reports_dir().resolve())
    except ValueError:
        return None
    return base + REPORTS + quote(relative.as_posix())


def run_url(flow_run_id: str | None, api_url: str | None = None) -> str | None:
    """The Prefect UI page of a flow run: ``PREFECT_UI_URL``, else the UI beside the API; None when
    there is no server (a run on Prefect's ephemeral API has no UI to open)."""
    if not flow_run_id:
        return None
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL

    ui = PREFECT_UI_URL.value() if api_url is None else None
    api = api_url or PREFECT_API_URL.value()
    ui = ui or (str(api).rstrip("/").removesuffix("/api") if api else None)
    if not ui or ui == "None":
        return None
    return f"{str(ui).rstrip('/')}/runs/flow-run/{flow_run_id}"


def playbook_url(playbook: str | None) -> str | None:
    """A playbook's URL: itself when the runbook gives one, else under ``STEWARD_PLAYBOOK_BASE_URL``
    (its path below ``runbooks/``); None when playbooks are not published."""
    if not playbook:
        return None
    if "://" in playbook:
        return playbook
    if base := os.environ.get("STEWARD_PLAYBOOK_BASE_URL"):
        return f"{base.rstrip('/')}/{playbook.split('runbooks/', 1)[-1]}"
    return None


def slack_link(url: str | None, label: str) -> str:
    """``<url|label>`` in Slack mrkdwn; without a URL, the one note saying why there is no link."""
    if url is None:
        return NO_PUBLIC_URL
    return f"<{url}|{label.replace('|', '/').replace('>', '')}>"


def slack_links(*links: tuple[str | None, str]) -> str:
    """Several ``(url, label)`` links joined with `` · ``; those without a URL are left out and the note
    appears once, whatever is missing."""
    shown = [slack_link(url, label) for url, label in links if url]
    if any(url is None for url, _ in links):
        shown.append(NO_PUBLIC_URL)
    return " · ".join(shown)


def markdown_link(url: str | None, label: str) -> str:
    """A markdown link for a Prefect artifact; without a URL, the same note."""
    return f"[{label}]({url})" if url else f"_{NO_PUBLIC_URL}_"

"""Links people can open: report, run and playbook URLs, and the Slack messages that carry them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, temporary_settings

from conftest import REPO
from runbooks.loader import load_catalog
from runbooks.spec import Duty
from tasks.common.duty import notify_owner, persist_report
from tasks.common.findings import DutyReport, Finding
from tasks.render.html import report_path
from tasks.render.links import NO_PUBLIC_URL, playbook_url, report_url, run_url, slack_link, slack_links
from tasks.slack.summary import post_summary
from tasks.store.database import Store

CATALOG = load_catalog(REPO / "runbooks")
PUBLIC = "https://steward.example.com/"
LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")


def test_a_report_under_the_reports_folder_has_a_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    page = report_path("fraud-scoring", "drift", "2026-11-20")
    assert report_url(page) is None  # no public URL configured: no link, whatever the path
    monkeypatch.setenv("STEWARD_PUBLIC_URL", PUBLIC)
    assert report_url(page) == "https://steward.example.com/reports/fraud-scoring/drift/2026-11-20.html"
    assert report_url(str(page.parent / ".." / ".." / ".." / "steward.db")) is None  # outside: not served
    assert report_url("/etc/passwd") is None and report_url(None) is None


def test_run_url_comes_from_the_prefect_server_and_is_never_none_slash() -> None:
    with temporary_settings(restore_defaults={PREFECT_API_URL, PREFECT_UI_URL}):
        assert run_url("abc") is None  # the ephemeral API has no UI to open
    with temporary_settings({PREFECT_API_URL: "http://10.0.0.5:4200/api"}, restore_defaults={PREFECT_UI_URL}):
        assert run_url("abc") == "http://10.0.0.5:4200/runs/flow-run/abc"
    with temporary_settings({PREFECT_API_URL: "http://10.0.0.5:4200/api", PREFECT_UI_URL: "https://prefect.example.com/"}):
        assert run_url("abc") == "https://prefect.example.com/runs/flow-run/abc"
    assert run_url(None) is None


def test_playbook_base_url_keeps_working(monkeypatch: pytest.MonkeyPatch) -> None:
    playbook = str(REPO / "runbooks" / "playbooks" / "drift.md")
    assert playbook_url(playbook) is None
    assert playbook_url("https://wiki.example.com/drift") == "https://wiki.example.com/drift"
    monkeypatch.setenv("STEWARD_PLAYBOOK_BASE_URL", "https://git.example.com/steward/blob/main/runbooks/")
    assert playbook_url(playbook) == "https://git.example.com/steward/blob/main/runbooks/playbooks/drift.md"


@given(st.lists(st.tuples(st.one_of(st.none(), st.just("https://x.example/r")), st.sampled_from(["a", "b|c"])),
                min_size=1, max_size=4))
def test_slack_links_say_the_note_once_however_many_are_missing(links) -> None:
    shown = slack_links(*links)
    assert shown.count(NO_PUBLIC_URL) == (1 if any(u is None for u, _ in links) else 0)
    assert len(LINK.findall(shown)) == sum(u is not None for u, _ in links)
    assert slack_link(None, "Open report") == NO_PUBLIC_URL


def drift_report(day: int = 20) -> DutyReport:
    start = datetime(2026, 11, day, tzinfo=UTC)
    page = report_path("fraud-scoring", "drift", start.date().isoformat())
    page.write_text("<html>drift</html>")
    return DutyReport(system="fraud-scoring", duty=Duty.drift, window_start=start, window_end=start + timedelta(days=1),
                      status="attention", headline="1 of 19 monitored columns drifted", report_path=str(page),
                      flow_run_id="0c5e1d7a-0000-4000-8000-000000000001",
                      findings=[Finding(key="feature:f0", severity="warning", title="f0 drifted")])


@pytest.fixture
def slack(fake_slack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("STEWARD_SLACK_BOT_TOKEN", fake_slack.token)
    monkeypatch.setenv("STEWARD_SLACK_API_URL", fake_slack.api_url)
    return fake_slack


def alert_text(slack, tmp_path: Path) -> str:
    store = Store(f"sqlite:///{tmp_path / 'ops.db'}")
    with store.session() as session:
        persist_report(session, drift_report(), CATALOG)
    notify_owner(store, CATALOG, "fraud-scoring")
    [post] = slack.posted()
    return str(post["blocks"])


def no_server_paths(text: str, home: Path) -> None:
    assert str(home) not in text and str(REPO) not in text and "None/" not in text and "`/" not in text


def test_an_alert_links_its_report_run_and_playbook(slack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    _isolated_home: Path) -> None:
    monkeypatch.setenv("STEWARD_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("STEWARD_PLAYBOOK_BASE_URL", "https://git.example.com/runbooks")
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:4200/api"}, restore_defaults={PREFECT_UI_URL}):
        text = alert_text(slack, tmp_path)
    links = dict((label, url) for url, label in LINK.findall(text))
    assert links == {
        "Open report": "https://steward.example.com/reports/fraud-scoring/drift/2026-11-20.html",
        "Prefect run": "http://127.0.0.1:4200/runs/flow-run/0c5e1d7a-0000-4000-8000-000000000001",
        "Playbook": "https://git.example.com/runbooks/playbooks/drift.md",
    }
    assert NO_PUBLIC_URL not in text
    no_server_paths(text, _isolated_home)


def test_without_a_public_url_an_alert_says_so_once(slack, tmp_path: Path, _isolated_home: Path) -> None:
    with temporary_settings(restore_defaults={PREFECT_API_URL, PREFECT_UI_URL}):
        text = alert_text(slack, tmp_path)
    assert text.count(NO_PUBLIC_URL) == 1 and not LINK.findall(text)
    no_server_paths(text, _isolated_home)


def test_a_summary_links_its_report(slack, monkeypatch: pytest.MonkeyPatch, _isolated_home: Path) -> None:
    owner = CATALOG.get("fraud-scoring").owner
    page = report_path("fraud-scoring", "cost", "2026-10")
    post_summary(owner, "Cost review", ["Spend $1"], str(page))
    monkeypatch.setenv("STEWARD_PUBLIC_URL", PUBLIC)
    post_summary(owner, "Cost review", ["Spend $1"], str(page))
    without, with_url = (str(p["blocks"]) for p in slack.posted())
    assert without.count(NO_PUBLIC_URL) == 1 and not LINK.findall(without)
    assert LINK.findall(with_url) == [("https://steward.example.com/reports/fraud-scoring/cost/2026-10.html", "Open report")]
    for text in (without, with_url):
        no_server_paths(text, _isolated_home)
